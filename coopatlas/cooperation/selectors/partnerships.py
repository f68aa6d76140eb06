"""Partnerships: list, fiche, conventions."""

from __future__ import annotations

from django.db.models import (
    Case,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.cooperation.partner_side import partner_side_of
from coopatlas.core.errors import NotFound
from coopatlas.core.freshness import cached_read
from coopatlas.core.shapes import kept_prefetch, shaped, shaped_first
from coopatlas.geo.models import (
    AuthorityKind,
    LocalAuthority,
)

from ..models import (
    Convention,
    Organisation,
    Partnership,
    PartnershipKind,
    PartnershipParty,
    PartnershipStatus,
    Project,
)
from ._common import (
    DETAIL_LIST_LIMIT,
    FACET_LIMIT,
    PARTY_FIELDS,
    _iso,
    _label,
    _money,
    _organisation_ref,
    _theme_dict,
    _theme_path_dict,
    _theme_subtree_ids,
    _themes_by_id,
    _url,
    authority_joins,
    authority_ref,
    is_lookup_key,
    ref_fields,
)
from ._facets import (
    _area_options,
    _country_options,
    _facet_choice,
    _facet_themes,
    _french_options,
    _kind_options,
    facets_of_links,
)
from ._filters import (
    _authority_place_qs,
    _authority_word_q,
    _facet_ids,
    _list_result,
    _paginate,
    _period_q,
    facet_key,
    summaries,
    title_word_q,
)
from ._sources import _sources, sources_for
from .projects import _project_rows, _project_summary

# --------------------------------------------------------------------------------------
# Partnerships
# --------------------------------------------------------------------------------------


def _party_links_prefetch() -> Prefetch:
    french_first = Case(When(authority__country_id="FR", then=Value(0)), default=Value(1))
    return kept_prefetch(
        Partnership,
        "party_links",
        "partnership_rows.party_links",
        # the authorities' countries come from the kept copy (authority_ref)
        PartnershipParty.objects.select_related(*authority_joins("authority"))
        .only("partnership", "authority", *ref_fields("authority", PARTY_FIELDS))
        .order_by(french_first, "authority__name"),
    )


def _partnerships_base() -> QuerySet:
    return Partnership.objects.public()


def _partnership_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    qs = _partnerships_base()
    check_choice(field="kind", value=f.kind, choices=PartnershipKind.choices)
    check_choice(field="status", value=f.status, choices=PartnershipStatus.choices)
    check_choice(field="authority_kind", value=f.authority_kind, choices=AuthorityKind.choices)
    for word in f.words:
        parties = PartnershipParty.objects.filter(_authority_word_q(word, "authority"))
        # the folded title and the slug on the search index (core/search.py), as projects
        qs = qs.filter(title_word_q(word) | Q(id__in=parties.values("partnership_id")))
    for cond in _authority_place_qs(f, "authority"):
        qs = qs.filter(id__in=PartnershipParty.objects.filter(cond).values("partnership_id"))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.theme:
        through = Partnership.themes.through.objects.filter(
            theme_id__in=_theme_subtree_ids(f.theme, themes_by_id)
        )
        qs = qs.filter(id__in=through.values("partnership_id"))
    if f.sdg:
        projects = Project.sdg_goals.through.objects.filter(
            Project.public_q("project"), sdggoal_id=f.sdg
        ).values("project_id")
        links = Project.partnerships.through.objects.filter(project_id__in=projects)
        qs = qs.filter(id__in=links.values("partnership_id"))
    return qs.filter(_period_q(f))


def _partnership_summary(p: Partnership) -> dict:
    parties = [authority_ref(link.authority) for link in p.party_links.all()]
    countries = list(dict.fromkeys(a["country"] for a in parties if not a["is_french"]))
    return {
        "slug": p.slug,
        "title": p.title,
        "kind": p.kind,
        "kind_label": _label(PartnershipKind, p.kind),
        "status": p.status,
        "status_label": _label(PartnershipStatus, p.status),
        "start_year": p.start_year,
        "end_year": p.end_year,
        "first_convention_year": p.first_convention_year,
        "parties": parties,
        "countries": countries,
        "themes": [_theme_dict(t) for t in p.themes.all()],
        "sources": _sources(p),
        "is_synthetic": p.is_synthetic,
        "html_url": _url("atlas:partnership", "slug", p.slug),
        "api_url": _url("api:partnership_detail", "slug", p.slug),
    }


def _partnership_rows(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related("source__document")
        .prefetch_related(
            _party_links_prefetch(), kept_prefetch(Partnership, "themes", "partnership_rows.themes")
        )
        .order_by("title", "id")
    )


def partnership_list(*, filters: AtlasFilters, all_rows: bool = False, facets: bool = True) -> dict:
    """Partnerships matching the filters, a page of them, and facet counts.

    `all_rows=True` (CSV export) returns every match and no facets; `facets=False` (the
    home page's latest partnerships) skips them too.
    """
    themes_by_id = _themes_by_id()
    qs = _partnership_filtered(filters, themes_by_id)
    count, rows, page = _paginate(_partnership_rows(qs), filters, all_rows)
    results = summaries(_partnership_summary, rows)
    wanted = facets and not all_rows
    facets = (
        cached_read(
            f"facets:partnership:{facet_key(filters)}",
            lambda: _partnership_facets(qs, _facet_ids(qs, count), count, themes_by_id),
        )
        if wanted
        else {}
    )
    return _list_result(count, page, results, facets, filters)


def _partnership_facets(qs: QuerySet, ids, count: int, themes_by_id) -> dict:
    qs = _partnerships_base().filter(id__in=ids)
    parties = PartnershipParty.objects.filter(partnership_id__in=ids)
    places = facets_of_links(parties, "authority", "partnership_id", count)
    return {
        "country": _country_options(places["country"]),
        "area": _area_options(places["area"][:FACET_LIMIT]),
        "french_region": _french_options(places["french_region"][:FACET_LIMIT], "region"),
        "french_departement": _french_options(places["french_departement"][:FACET_LIMIT], "departement"),
        "authority_kind": _kind_options(places["kind"]),
        "kind": _facet_choice(qs, "kind", PartnershipKind),
        "status": _facet_choice(qs, "status", PartnershipStatus),
        "theme": _facet_themes(
            Partnership.themes.through.objects.filter(partnership_id__in=ids), "partnership_id", themes_by_id
        ),
    }


def partnership_detail(*, slug: str) -> dict:
    p = (
        shaped_first(
            _partnership_rows(_partnerships_base())
            .prefetch_related(
                kept_prefetch(
                    Partnership,
                    "organisations",
                    "partnership_detail.organisations",
                    Organisation.objects.public(),
                )
            )
            .filter(slug=slug),
            "partnership_detail",
        )
        if is_lookup_key(slug)
        else None
    )
    if p is None:
        raise NotFound(
            _(
                "Aucun partenariat publié « %(slug)s » : cherchez-le par nom avec la "
                "liste des partenariats (paramètre q)."
            )
            % {"slug": slug[:100]},
            field="slug",
        )
    themes_by_id = _themes_by_id()
    conventions = list(
        shaped(
            Convention.objects.public()
            .filter(partnership=p)
            .select_related("source__document")
            .prefetch_related(
                kept_prefetch(
                    Convention,
                    "parties",
                    "partnership_detail.convention_parties",
                    LocalAuthority.objects.select_related(*authority_joins()),
                )
            )
            .order_by("signed_year", "id"),
            "partnership_detail.conventions",
        )
    )
    projects = _project_rows(Project.objects.public().filter(partnerships=p))
    # One read of the page of projects (with its prefetches); `len(projects)` on the
    # queryset read them all a second time. The count only when the page is full.
    shown = list(shaped(projects[:DETAIL_LIST_LIMIT], "partnership_detail.projects"))
    project_count = len(shown) if len(shown) < DETAIL_LIST_LIMIT else projects.count()
    sources_for([p, *conventions, *shown])  # all the fiche's sources in one read
    out = _partnership_summary(p)
    out["themes"] = [_theme_path_dict(t, themes_by_id) for t in p.themes.all()]
    out["partner_side"] = partner_side_of(record=p)
    out.update(
        {
            "description": p.description,
            "history": p.history,
            "start_date": _iso(p.start_date),
            "end_date": _iso(p.end_date),
            "organisations": [_organisation_ref(o) for o in p.organisations.all()],
            "conventions": [_convention_dict(c) for c in conventions],
            "projects": [_project_summary(x) for x in shown],
            "project_count": project_count,
        }
    )
    return out


def _convention_dict(c: Convention) -> dict:
    return {
        "id": c.pk,
        "version": c.version,  # for the write API's PATCH /conventions/{id}
        "title": c.title,
        "purpose": c.purpose,
        "signed_on": _iso(c.signed_on),
        "signed_year": c.signed_year,
        "starts_on": _iso(c.starts_on),
        "ends_on": _iso(c.ends_on),
        "duration_months": c.duration_months,
        "estimated_commitment": _money(c.estimated_commitment),
        "currency": c.currency,
        "language": c.language,
        "council_vote_on": _iso(c.council_vote_on),
        "legality_control_on": _iso(c.legality_control_on),
        "parties": [authority_ref(a) for a in c.parties.all()],
        "sources": _sources(c),
    }
