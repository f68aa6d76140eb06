"""Partner requests, contacts and published figures."""

from __future__ import annotations

from django.db.models import (
    F,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.core.errors import NotFound
from coopatlas.core.models import PublishedFigure
from coopatlas.geo.models import LocalAuthority

from ..models import (
    Contact,
    PartnerRequest,
)
from ._common import (
    _iso,
    _label,
    _number,
    _organisation_ref,
    _theme_dict,
    _theme_subtree_ids,
    _themes_by_id,
    _url,
    authority_ref,
)
from ._facets import _facet_areas, _facet_choice, _facet_countries, _facet_themes
from ._filters import _authority_place_qs, _authority_word_q, _list_result, _paginate, summaries
from ._sources import _sources, source_dict

# --------------------------------------------------------------------------------------
# Partner requests, contacts, figures
# --------------------------------------------------------------------------------------


def _request_rows(qs: QuerySet, *, authority: LocalAuthority | None = None) -> QuerySet | list:
    """`authority`: the one all of `qs`'s requests are of (its fiche), set on each row
    instead of joined again (issue 15); the order is then by year alone, as the name ties."""
    if authority is not None:
        rows = list(
            qs.select_related("registered_by", "source__document", "partnership")
            .prefetch_related("themes")
            .order_by(F("registered_year").desc(nulls_last=True), "id")
        )
        for r in rows:
            r.authority = authority
        return rows
    return (
        qs.select_related(
            "authority__country", "authority__area", "registered_by", "source__document", "partnership"
        )
        .prefetch_related("themes")
        .order_by(F("registered_year").desc(nulls_last=True), "authority__name", "id")
    )


def _partner_request_summary(r: PartnerRequest) -> dict:
    return {
        "id": r.id,
        "title": f"{r.authority.name} ({r.authority.country.name})",
        "authority": authority_ref(r.authority),
        "country": r.authority.country_id,
        "registered_by": (
            _organisation_ref(r.registered_by) if r.registered_by_id and r.registered_by.is_public else None
        ),
        "description": r.description,
        "wishes": r.wishes,
        "themes": [_theme_dict(t) for t in r.themes.all()],
        "status": r.status,
        "status_label": _label(PartnerRequest.Status, r.status),
        "registered_year": r.registered_year,
        "sources": _sources(r),
        "is_synthetic": r.is_synthetic,
        # Its own page (issue 14: matchmaking), with the embassy contact and the answers.
        "html_url": reverse("matchmaking:request", kwargs={"pk": r.id}),
        "partnership": _url("atlas:partnership", "slug", r.partnership.slug)
        if r.partnership_id and r.partnership.is_public
        else None,
        "api_url": _url("api:partner_request_detail", "pk", r.id),
    }


def partner_request_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = PartnerRequest.objects.public()
    check_choice(field="status", value=filters.status, choices=PartnerRequest.Status.choices)
    for word in filters.words:
        qs = qs.filter(_authority_word_q(word, "authority") | Q(description__icontains=word))
    for cond in _authority_place_qs(
        filters.replace(french_region=None, french_departement=None), "authority"
    ):
        qs = qs.filter(cond)
    if filters.theme:
        qs = qs.filter(
            id__in=PartnerRequest.themes.through.objects.filter(
                theme_id__in=_theme_subtree_ids(filters.theme, themes_by_id)
            ).values("partnerrequest_id")
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.year_from:
        qs = qs.filter(registered_year__gte=filters.year_from)
    if filters.year_to:
        qs = qs.filter(registered_year__lte=filters.year_to)
    count, rows, page = _paginate(_request_rows(qs), filters, all_rows)
    facets = {}
    if not all_rows:
        ids = qs.values("id")
        facets = {
            "status": _facet_choice(qs, "status", PartnerRequest.Status),
            "country": _facet_countries(qs, "authority__country_id", "id", exclude_fr=False),
            "area": _facet_areas(qs, "authority__area", "id", None),
            "theme": _facet_themes(
                PartnerRequest.themes.through.objects.filter(partnerrequest_id__in=ids),
                "partnerrequest_id",
                themes_by_id,
            ),
        }
    results = summaries(_partner_request_summary, rows)
    return _list_result(count, page, results, facets, filters)


def partner_request_detail(*, pk: int) -> dict:
    r = _request_rows(PartnerRequest.objects.public().filter(pk=pk)).first()
    if r is None:
        raise NotFound(_("Aucune demande de partenariat publiée n° %(pk)s.") % {"pk": pk}, field="id")
    return _partner_request_summary(r)


def _contact_rows(qs: QuerySet, *, authority: LocalAuthority | None = None) -> QuerySet | list:
    """`authority`: the one all of `qs`'s contacts are of (its fiche), set on each row
    instead of joined again (issue 15)."""
    if authority is not None:
        rows = list(
            qs.public()
            .select_related("organisation", "country", "source__document")
            .order_by("organisation__name", "role", "id")
        )
        for c in rows:
            c.authority = authority
        return rows
    return (
        qs.public()
        .select_related(
            "organisation", "authority__country", "authority__area", "country", "source__document"
        )
        .order_by("organisation__name", "role", "id")
    )


def _contact_dict(c: Contact) -> dict:
    return {
        "id": c.pk,
        "version": c.version,  # for the write API's PATCH /contacts/{id}
        "name": c.name,
        "role": c.role,
        "label": f"{c.name} – {c.role}" if c.name else c.role,
        "email": c.email,
        "phone": c.phone,
        "organisation": _organisation_ref(c.organisation) if c.organisation_id else None,
        "authority": authority_ref(c.authority) if c.authority_id else None,
        "country": c.country_id,
        "sources": _sources(c),
    }


def _figure_dict(x: PublishedFigure) -> dict:
    return {
        "metric": x.metric,
        "label": x.label,
        "value": _number(x.value),
        "unit": x.unit,
        "dimension": x.dimension or None,
        "dimension_value": x.dimension_value or None,
        "year": x.year,
        "as_of": _iso(x.as_of),
        "source": source_dict(x.source),
    }
