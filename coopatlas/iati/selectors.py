"""IATI reads: which projects an export holds, and the imported "other actors"."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from coopatlas.cooperation.models import (
    FundingContribution,
    Organisation,
    Project,
    ProjectOperator,
)
from coopatlas.geo.selectors import authority_get, country_get

EXPORT_CHUNK = 500


def projects_for_export(
    *, authority: str | None = None, country: str | None = None, include_imported: bool = False
) -> QuerySet:
    """Public projects; imported ones only on request (they are other publishers' data)."""
    qs = Project.objects.public()
    if not include_imported:
        qs = qs.filter(is_imported=False)
    if authority:
        found = authority_get(key=authority, field="authority")
        funded = FundingContribution.objects.public().filter(funder_authority=found)
        qs = qs.filter(Q(participants__authority=found) | Q(id__in=funded.values("project_id")))
    if country:
        qs = qs.filter(countries=country_get(iso2=country.upper()))
    return qs.distinct()


def projects_for_filters(*, filters) -> QuerySet:
    """The atlas's project list filters (q, country, area, theme, sdg, status, years…)."""
    from coopatlas.cooperation import selectors

    # The atlas selectors own the filter semantics; we reuse their queryset unchanged.
    ids = selectors.project_queryset(filters=filters).values("id")
    return Project.objects.public().filter(id__in=ids, is_imported=False)


def project_export_rows(projects: QuerySet) -> Iterable[Project]:
    """The projects with what an activity shows; only public funding lines and actors."""
    return (
        projects.select_related("source__document", "iati_import", "iati_published")
        .prefetch_related(
            "participants__authority",
            Prefetch(
                "operator_links",
                queryset=ProjectOperator.objects.filter(Organisation.public_q("organisation")).select_related(
                    "organisation"
                ),
            ),
            Prefetch(
                "funding",
                queryset=FundingContribution.objects.public().select_related(
                    "funder_authority", "funder_organisation"
                ),
            ),
            "countries",
            "areas",
            "places",
            "sector_links",
            "theme_links__theme__sectors",
            "sdg_goals",
            "sdg_targets",
            "marker_links",
        )
        .order_by("id")
        .iterator(chunk_size=EXPORT_CHUNK)
    )


def known_publisher_ids() -> set[str]:
    """Organisation identifiers known to be IATI publishers: the reference list and the
    identifiers of publishers whose files were imported (the Validator's Registry list)."""
    from .codes import known_publishers
    from .models import ImportedActivity

    ids = {row["ref"] for row in known_publishers()}
    ids.update(
        ImportedActivity.objects.exclude(reporting_ref="").values_list("reporting_ref", flat=True).distinct()
    )
    return ids


def imported_activities_for(*, country: str | None, area: str | None, limit: int = 50) -> dict:
    """Other donors' activities (imported from IATI) in a country or an area, for its page."""
    qs = Project.objects.public().filter(is_imported=True)
    if country:
        qs = qs.filter(countries__iso2=country.upper())
    if area:
        qs = qs.filter(Q(areas__code=area) | Q(areas__parent__code=area))
    qs = qs.distinct()
    rows = qs.select_related("iati_import").order_by("iati_import__reporting_name", "title")[:limit]
    results = [
        {
            "title": p.title,
            "iati_identifier": p.iati_identifier,
            "publisher": p.iati_import.reporting_name if hasattr(p, "iati_import") else "",
            "status": p.get_status_display(),
            "start_year": p.start_year,
            "end_year": p.end_year,
            "budget": str(p.budget) if p.budget is not None else None,
            "currency": p.currency,
            "html_url": p.get_absolute_url(),
        }
        for p in rows
    ]
    return {"count": qs.count(), "results": results}
