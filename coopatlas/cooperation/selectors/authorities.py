"""Local authorities: list and fiche."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from coopatlas.cooperation.filters import AtlasFilters, check_choice
from coopatlas.core.freshness import cached_read, read_once
from coopatlas.core.memo import per_stamp
from coopatlas.core.models import PublishedFigure
from coopatlas.core.shapes import shaped
from coopatlas.geo import selectors as geo_selectors
from coopatlas.geo.models import (
    AuthorityKind,
    LocalAuthority,
)

from ..models import (
    Contact,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    Programme,
    ProgrammeMembership,
    Project,
    ProjectParticipant,
    ProjectTheme,
)
from ._common import (
    DETAIL_LIST_LIMIT,
    FACET_LIMIT,
    _area_dict,
    _country_dict,
    _money,
    _theme_subtree_ids,
    _themes_by_id,
    authority_ref,
)
from ._facets import _area_options, _country_options, _french_options, _kind_options, ranked
from ._filters import (
    _authority_place_qs,
    _authority_word_q,
    _facet_ids,
    _french_ancestor_code,
    _level1_area_code,
    _list_result,
    _paginate,
    facet_key,
    summaries,
)
from ._sources import _sources, sources_for
from .partnerships import _partnership_rows, _partnership_summary, _partnerships_base
from .programmes import _programme_rows, _programme_summary
from .projects import _project_rows, _project_summary
from .requests import _contact_dict, _contact_rows, _figure_dict, _partner_request_summary, _request_rows

# --------------------------------------------------------------------------------------
# Local authorities
# --------------------------------------------------------------------------------------


def _involvement_links() -> list[QuerySet]:
    """The one rule of what involves an authority: its links to published partnerships,
    projects and programmes, and its published partnership requests (each with `authority_id`)."""
    return [
        PartnershipParty.objects.filter(Partnership.public_q("partnership")),
        ProjectParticipant.objects.filter(Project.public_q("project")),
        ProgrammeMembership.objects.filter(Programme.public_q("programme")),
        PartnerRequest.objects.public(),
    ]


def _involved_ids(*where: Q) -> QuerySet:
    """The ids of the authorities `_involvement_links` names, as one UNION; `where` are
    conditions on the linked authority (prefix `authority`) that each part applies first."""
    first, *rest = [
        links.filter(*where).values_list("authority_id", flat=True) for links in _involvement_links()
    ]
    return first.union(*rest)


def _involved_authorities(*where: Q) -> QuerySet:
    """Authorities the atlas has something about (not the 35,000 communes of the code).

    One IN over a UNION: four OR'ed IN subqueries cost a third more on every facet query.
    A partner country (`_partner_place_qs`) goes inside each part of the UNION as well,
    which then reads the links of that country's authorities by index instead of every
    link of the atlas (450,000 rows at 10x) in the count, the page and each facet: the
    authorities of Sénégal at 10x, first request, 1,565 -> 578 ms on SQLite."""
    return LocalAuthority.objects.filter(id__in=_involved_ids(*where))


def _involved_q() -> Q:
    """The same rule as a condition asked of each row (EXISTS per kind of link), for a
    list already narrowed by words: the UNION above reads every link of the atlas (450,000
    rows at 10x, 150-190 ms) whatever the words, where a few thousand matches each look up
    their links by index (« saint » at 10x: 188 → 52 ms on PostgreSQL, 230 → 10 ms on
    SQLite). Unnarrowed, the UNION stays cheaper (PostgreSQL 10x: 156 ms, EXISTS 468)."""
    q = Q()
    for links in _involvement_links():
        q |= Exists(links.filter(authority_id=OuterRef("pk")))
    return q


def involved_authority_ids() -> frozenset[int]:
    """The same rule as a set of ids, kept once per data stamp in this process (core/memo.py):
    the type-ahead ranks the authorities the atlas has something about first, among matches
    that can number thousands for three letters. Asked of each match in SQL (EXISTS, or the
    UNION hashed whole), that cost grew with the link tables on every suggestion; the set is
    read once per write: 13,009 ids in ~40 ms at national scale, 128,872 (7.6 MB) in ~200 ms
    at 10x. Read from the UNION itself, without joining the authority table (1.5-3x faster)."""
    return per_stamp("involved_authority_ids", lambda: frozenset(_involved_ids()) - {None})


def _partner_place_qs(f: AtlasFilters) -> list[Q]:
    """The filter's partner country, as a condition on a link's authority: a partner country
    holds a few thousand authorities at most, whose links the UNION then reads by index.
    France (84,000 authorities at 10x), an area (an OR over three parent levels), a French
    région or département and a kind stay outside: on one database or the other the UNION
    narrowed by them was planned worse than the whole one (measured at 10x, first request)."""
    if not f.country or f.country == "FR":
        return []
    return _authority_place_qs(AtlasFilters(country=f.country), "authority")


def _authority_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    # Narrowed by words (their indexed matches), each match is asked for its links; else
    # the authorities come from the one UNION of the links.
    kind = f.kind or f.authority_kind
    check_choice(field="kind" if f.kind else "authority_kind", value=kind, choices=AuthorityKind.choices)
    place = f.replace(authority_kind=kind)
    qs = LocalAuthority.objects.all() if f.words else _involved_authorities(*_partner_place_qs(f))
    for word in f.words:
        qs = qs.filter(_authority_word_q(word))
    if f.words:
        qs = qs.filter(_involved_q())
    for cond in _authority_place_qs(place):
        qs = qs.filter(cond)
    if f.theme:
        subtree = _theme_subtree_ids(f.theme, themes_by_id)
        in_partnership = PartnershipParty.objects.filter(
            Partnership.public_q("partnership"),
            partnership_id__in=Partnership.themes.through.objects.filter(theme_id__in=subtree).values(
                "partnership_id"
            ),
        )
        in_project = ProjectParticipant.objects.filter(
            Project.public_q("project"),
            project_id__in=ProjectTheme.objects.filter(theme_id__in=subtree).values("project_id"),
        )
        qs = qs.filter(
            Q(id__in=in_partnership.values("authority_id")) | Q(id__in=in_project.values("authority_id"))
        )
    return qs


def _authority_summary(a: LocalAuthority) -> dict:
    out = authority_ref(a)
    out.update(
        {
            "area_name": a.area.display_name if a.area_id else None,
            "parent": a.parent.name if a.parent_id else None,
            "population": a.population,
            "partnership_count": getattr(a, "partnership_count", None),
            "is_synthetic": a.is_synthetic,
        }
    )
    return out


def _partnership_count() -> Subquery:
    sub = (
        PartnershipParty.objects.filter(Partnership.public_q("partnership"), authority_id=OuterRef("id"))
        .order_by()
        .values("authority_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def authority_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = _authority_filtered(filters, themes_by_id)
    rows_qs = (
        qs.select_related("country", "area", "parent")
        .annotate(partnership_count=_partnership_count())
        .order_by("name", "id")
    )
    count, rows, page = _paginate(rows_qs, filters, all_rows)
    results = summaries(_authority_summary, rows)
    facets = {}
    if not all_rows:
        facets = cached_read(f"facets:authority:{facet_key(filters)}", lambda: _authority_facets(qs, count))
    return _list_result(count, page, results, facets, filters)


def _authority_facets(qs: QuerySet, count: int) -> dict:
    """The five facets from one GROUP BY over where each authority is (country, kind,
    level-1 area, French département and région), summed here per facet. A row of the
    list is one authority, in exactly one group, so the sums are the distinct counts the
    five GROUP BYs gave; those each ran the filter again (unfiltered at 10x: ~0.4 s each)."""
    groups = (
        LocalAuthority.objects.filter(id__in=_facet_ids(qs, count))  # like the other lists
        .order_by()
        .values(
            "country_id",
            "kind",
            area1=_level1_area_code("area"),
            departement=_french_ancestor_code("", "departement", depth=2),
            region=_french_ancestor_code("", "region", depth=3),
        )
        .annotate(n=Count("id"))
    )
    rows = read_once("authority-facet-groups", groups, lambda: list(groups), [])

    def tally(field: str, *, french: bool | None = None, limit: int | None = None) -> list[tuple]:
        counts: dict = defaultdict(int)
        for r in rows:
            if r[field] is not None and (french is None or (r["country_id"] == "FR") == french):
                counts[r[field]] += r["n"]
        return ranked(counts)[:limit]

    return {
        "country": _country_options(tally("country_id")),
        "kind": _kind_options(tally("kind")),
        "area": _area_options(tally("area1", french=False, limit=FACET_LIMIT)),
        "french_region": _french_options(tally("region", french=True, limit=FACET_LIMIT), "region"),
        "french_departement": _french_options(
            tally("departement", french=True, limit=FACET_LIMIT), "departement"
        ),
    }


def authority_get(*, slug: str) -> LocalAuthority:
    """By slug or by code (INSEE, former INSEE, SIREN, iso:…): geo's one lookup."""
    return geo_selectors.authority_get(key=slug, field="slug")


def authority_detail(*, slug: str, authority: LocalAuthority | None = None) -> dict:
    """`authority`: the one `slug` names, when the caller has looked it up already."""
    a = authority if authority is not None else authority_get(slug=slug)
    out = _authority_summary(a)
    partnerships = _partnership_rows(
        _partnerships_base().filter(
            id__in=PartnershipParty.objects.filter(authority=a).values("partnership_id")
        )
    )
    projects = _project_rows(
        Project.objects.public().filter(
            id__in=ProjectParticipant.objects.filter(authority=a).values("project_id")
        )
    )
    programmes = Programme.objects.public().filter(
        Q(carrier_authority=a)
        | Q(id__in=ProgrammeMembership.objects.filter(authority=a).values("programme_id"))
    )
    requests = PartnerRequest.objects.public().filter(authority=a)
    # Each list read once; its count only when the page is full (issue 15).
    shown_partnerships = list(shaped(partnerships[:DETAIL_LIST_LIMIT], "authority_detail.partnerships"))
    shown_projects = list(shaped(projects[:DETAIL_LIST_LIMIT], "authority_detail.projects"))
    programme_rows = list(shaped(_programme_rows(programmes), "authority_detail.programmes"))
    request_rows = _request_rows(requests, authority=a)
    contact_rows = _contact_rows(Contact.objects.filter(authority=a), authority=a)
    # All the fiche's sources in one read (citations and deduced values of every kind).
    sources_for([a, *shown_partnerships, *shown_projects, *programme_rows, *request_rows, *contact_rows])
    out.update(
        {
            "country": a.country_id,
            "country_info": _country_dict(a.country),
            "area_info": _area_dict(a.area),
            "parent_info": authority_ref(a.parent) if a.parent_id else None,
            "foreign_code": a.foreign_code or None,
            "area_km2": _money(a.area_km2),
            "latitude": a.latitude,
            "longitude": a.longitude,
            "coordinates_from": a.coordinates_from,
            "is_current": a.is_current,
            "aliases": [
                {"kind": x.kind, "value": x.value, "label": x.value}
                for x in a.aliases.all().order_by("kind", "value")
            ],
            "partnerships": [_partnership_summary(p) for p in shown_partnerships],
            "partnership_count": _count(shown_partnerships, partnerships),
            "projects": [_project_summary(p) for p in shown_projects],
            "project_count": _count(shown_projects, projects),
            "programmes": [_programme_summary(p) for p in programme_rows],
            "partner_requests": [_partner_request_summary(r) for r in request_rows],
            "contacts": [_contact_dict(c) for c in contact_rows],
            "published_figures": [
                _figure_dict(x)
                for x in shaped(
                    PublishedFigure.objects.filter(authority=a).select_related("source__document"),
                    "authority_detail.figures",
                )
            ],
            "sources": _sources(a),
            # coordination on a foreign authority's page: its area's projects side by side
            "overlaps": _area_overlaps(a),
        }
    )
    return out


def _count(shown: list, qs: QuerySet) -> int:
    """All the rows when fewer than a page were shown, else a COUNT."""
    return len(shown) if len(shown) < DETAIL_LIST_LIMIT else qs.count()


def _area_overlaps(a: LocalAuthority) -> list[dict]:
    from .projects import area_overlaps

    if a.is_french or a.area_id is None:
        return []
    return area_overlaps(area_ids={a.area_id})
