"""IATI reads: which projects an export holds, and the imported "other actors"."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from coopatlas.cooperation.models import Project, PublicationStatus
from coopatlas.geo.selectors import authority_get_by_code, country_get


def projects_for_export(*, authority: str | None = None, country: str | None = None,
                        include_imported: bool = False) -> QuerySet:
    """Published projects; imported ones only on request (they are other publishers' data)."""
    qs = Project.objects.filter(publication_status=PublicationStatus.PUBLISHED)
    if not include_imported:
        qs = qs.filter(is_imported=False)
    if authority:
        found = authority_get_by_code(code=authority)
        qs = qs.filter(Q(participants__authority=found) | Q(funding__funder_authority=found))
    if country:
        qs = qs.filter(countries=country_get(iso2=country.upper()))
    return qs.distinct()


def projects_for_filters(*, filters) -> QuerySet:
    """The atlas's project list filters (q, country, area, theme, sdg, status, years…)."""
    from coopatlas.cooperation import selectors

    # The atlas selectors own the filter semantics; we reuse their queryset unchanged.
    ids = selectors.project_queryset(filters=filters).values("id")
    return Project.objects.filter(id__in=ids, is_imported=False,
                                  publication_status=PublicationStatus.PUBLISHED)


def imported_activities_for(*, country: str | None, area: str | None, limit: int = 50) -> dict:
    """Other donors' activities (imported from IATI) in a country or an area, for its page."""
    qs = Project.objects.filter(is_imported=True, deleted_at__isnull=True,
                                publication_status=PublicationStatus.PUBLISHED)
    if country:
        qs = qs.filter(countries__iso2=country.upper())
    if area:
        qs = qs.filter(Q(areas__code=area) | Q(areas__parent__code=area))
    qs = qs.distinct()
    rows = (qs.select_related("iati_import")
            .order_by("iati_import__reporting_name", "title")[:limit])
    results = [{
        "title": p.title,
        "iati_identifier": p.iati_identifier,
        "publisher": p.iati_import.reporting_name if hasattr(p, "iati_import") else "",
        "status": p.get_status_display(),
        "start_year": p.start_year,
        "end_year": p.end_year,
        "budget": str(p.budget) if p.budget is not None else None,
        "currency": p.currency,
        "html_url": p.get_absolute_url(),
    } for p in rows]
    return {"count": qs.count(), "results": results}
