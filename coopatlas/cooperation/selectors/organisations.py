"""Organisations (actors): list and fiche."""

from __future__ import annotations

from django.db.models import (
    Q,
)
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.core.errors import NotFound

from ..models import (
    Contact,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    Programme,
    Project,
    ProjectOperator,
    ProjectParticipant,
)
from ._common import DETAIL_LIST_LIMIT, _organisation_ref, is_lookup_key
from ._facets import _facet_choice
from ._filters import _list_result, _paginate, slug_word_q, summaries
from ._sources import _sources, sources_for
from .partnerships import _partnership_rows, _partnership_summary, _partnerships_base
from .programmes import _programme_rows, _programme_summary
from .projects import _project_rows, _project_summary
from .requests import _contact_dict, _contact_rows, _partner_request_summary, _request_rows

# --------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------


def organisation_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    qs = Organisation.objects.public()
    check_choice(field="kind", value=filters.kind, choices=Organisation.Kind.choices)
    for word in filters.words:
        qs = qs.filter(Q(search_name__indexed_contains=word) | slug_word_q(word))
    if filters.country:
        qs = qs.filter(_organisation_country_q(filters.country))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    rows_qs = qs.select_related("country", "source__document").order_by("name", "id")
    count, rows, page = _paginate(rows_qs, filters, all_rows)
    results = summaries(_organisation_summary, rows)
    # No country facet: an actor's countries are a union over five relations (see below),
    # which a GROUP BY cannot count without double counting.
    facets = {} if all_rows else {"kind": _facet_choice(qs, "kind", Organisation.Kind)}
    return _list_result(count, page, results, facets, filters)


def _organisation_country_q(iso2: str) -> Q:
    """An actor based in the country, or working there (projects, partnerships, requests)."""
    in_country = PartnershipParty.objects.filter(
        Partnership.public_q("partnership"), authority__country_id=iso2
    )
    projects = (
        Project.objects.public()
        .filter(
            Q(id__in=Project.countries.through.objects.filter(country_id=iso2).values("project_id"))
            | Q(id__in=ProjectParticipant.objects.filter(authority__country_id=iso2).values("project_id"))
        )
        .values("id")
    )
    return (
        Q(country_id=iso2)
        | Q(
            id__in=Partnership.organisations.through.objects.filter(
                partnership_id__in=in_country.values("partnership_id")
            ).values("organisation_id")
        )
        | Q(id__in=ProjectOperator.objects.filter(project_id__in=projects).values("organisation_id"))
        | Q(
            id__in=FundingContribution.objects.public()
            .filter(project_id__in=projects)
            .values("funder_organisation_id")
        )
        | Q(
            id__in=Programme.countries.through.objects.filter(
                Programme.public_q("programme"), country_id=iso2
            ).values("programme__carrier_organisation_id")
        )
        | Q(
            id__in=PartnerRequest.objects.public()
            .filter(authority__country_id=iso2)
            .values("registered_by_id")
        )
    )


def _organisation_summary(o: Organisation) -> dict:
    return {
        **_organisation_ref(o),
        "country": o.country_id,
        "country_name": o.country.name if o.country_id else None,
        "website": o.website,
        "iati_identifier": o.iati_identifier,
        "siren": o.siren,
        "sources": _sources(o),
        "is_synthetic": o.is_synthetic,
    }


def organisation_detail(*, slug: str) -> dict:
    o = (
        (
            Organisation.objects.public()
            .filter(slug=slug)
            .select_related("country", "source__document")
            .first()
        )
        if is_lookup_key(slug)
        else None
    )
    if o is None:
        raise NotFound(
            _("Aucun acteur publié « %(slug)s » : cherchez-le avec la liste des acteurs (paramètre q).")
            % {"slug": slug[:100]},
            field="slug",
        )
    out = _organisation_summary(o)
    partnerships = _partnership_rows(_partnerships_base().filter(organisations=o))
    operated = _project_rows(
        Project.objects.public().filter(
            id__in=ProjectOperator.objects.filter(organisation=o).values("project_id")
        )
    )
    funded = _project_rows(
        Project.objects.public().filter(
            id__in=FundingContribution.objects.public().filter(funder_organisation=o).values("project_id")
        )
    )
    out.update(
        {
            "description": o.description,
            "partnerships": [_partnership_summary(p) for p in sources_for(partnerships[:DETAIL_LIST_LIMIT])],
            "operated_projects": [_project_summary(p) for p in sources_for(operated[:DETAIL_LIST_LIMIT])],
            "funded_projects": [_project_summary(p) for p in sources_for(funded[:DETAIL_LIST_LIMIT])],
            "programmes": [
                _programme_summary(p)
                for p in sources_for(
                    _programme_rows(Programme.objects.public().filter(carrier_organisation=o))
                )
            ],
            "partner_requests": [
                _partner_request_summary(r)
                for r in sources_for(_request_rows(PartnerRequest.objects.public().filter(registered_by=o)))
            ],
            "contacts": [
                _contact_dict(c) for c in sources_for(_contact_rows(Contact.objects.filter(organisation=o)))
            ],
        }
    )
    return out
