"""Reads for the atlas pages and the open API: one plain structure per page.

Every function returns JSON-ready dicts and lists (Decimal amounts as strings, dates in ISO
format) carrying `html_url` and `api_url`: the HTML page renders the structure, the JSON twin
is the structure, the CSV twin flattens its `results` (Datasette's habit).

Scale (12,129 projects, ~10,000 partnerships, 15,000 authorities): filters are `id IN
(subquery)` so no join multiplies rows and no DISTINCT is needed; facets are GROUP BY
queries; a page's related rows come from a fixed number of prefetch queries.
Only published records are shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from math import ceil
from urllib.parse import quote, urlencode

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coopatlas.atlas.filters import AtlasFilters, check_choice
from coopatlas.core.errors import NotFound
from coopatlas.core.models import PublishedFigure, Source
from coopatlas.core.text import fold
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityAlias,
    AuthorityKind,
    Country,
    CountryOdaStatus,
    CountryProfile,
    LocalAuthority,
)
from coopatlas.reference.models import Theme

from .models import (
    Contact,
    Convention,
    FundingContribution,
    FundingInstrument,
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipKind,
    PartnershipParty,
    PartnershipStatus,
    Programme,
    ProgrammeMembership,
    Project,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectSector,
    ProjectStatus,
    ProjectTheme,
    PublicationStatus,
)

PUBLISHED = PublicationStatus.PUBLISHED
# What the public sees: published and not deleted (deletion is reversible, see editing.py).
PUBLIC = {"publication_status": PUBLISHED, "deleted_at__isnull": True}


def _public(relation: str) -> dict:
    return {f"{relation}__{key}": value for key, value in PUBLIC.items()}
FACET_LIMIT = 50  # long facets (areas, départements) keep their biggest values
DETAIL_LIST_LIMIT = 200  # related lists on a fiche; the count is always given in full
COUNTRY_LIST_LIMIT = 100
_CODE_WORD = re.compile(r"^[0-9][0-9ab]{1,8}$")
_PLACEHOLDER = "zzkeyzz"
_BAD_KEY = re.compile(r"[\x00-\x1f\x7f]")

# --------------------------------------------------------------------------------------
# Small formatting helpers
# --------------------------------------------------------------------------------------

_url_cache: dict[tuple, str | None] = {}


def _url(name: str, kwarg: str | None = None, value: str | None = None) -> str | None:
    """reverse() once per route and language, then fill in: the map has 20,000 links."""
    key = (name, kwarg, get_language(), get_script_prefix())
    if key not in _url_cache:
        try:
            _url_cache[key] = reverse(name, kwargs={kwarg: _PLACEHOLDER} if kwarg else None)
        except NoReverseMatch:  # a page another part has not built yet
            _url_cache[key] = None
    template = _url_cache[key]
    if template is None:
        return None
    return template.replace(_PLACEHOLDER, quote(str(value), safe="")) if kwarg else template


def is_lookup_key(value: str) -> bool:
    """A slug or code we may send to the database (PostgreSQL refuses NUL in text)."""
    return bool(value) and len(value) <= 300 and not _BAD_KEY.search(value)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal) -> str:
    """58.00 → '58' (a count), 342405.50 → '342405.50'."""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _country_name_field() -> str:
    return "name_en" if (get_language() or "fr")[:2] == "en" else "name_fr"


def _p(prefix: str, name: str) -> str:
    return f"{prefix}__{name}" if prefix else name


def source_dict(source: Source | None) -> dict | None:
    if source is None:
        return None
    doc = source.document if source.document_id else None
    lines = ""
    if source.line_start:
        end = source.line_end or source.line_start
        lines = f"{source.line_start}–{end}" if end != source.line_start else str(end)
    if source.is_synthetic:
        label = "Donnée synthétique (tests de charge)"
    else:
        label = (doc.key if doc else source.url) + (f", lignes {lines}" if lines else "")
    return {
        "label": label,
        "document": {"key": doc.key, "title": doc.title, "url": doc.url or None} if doc else None,
        "line_start": source.line_start,
        "line_end": source.line_end,
        "lines": lines,
        "url": source.url or (doc.url if doc else "") or None,
        "quote": source.quote,
        "is_synthetic": source.is_synthetic,
    }


def _sources(record) -> list[dict]:
    src = source_dict(getattr(record, "source", None))
    return [src] if src else []


def _country_dict(country: Country | None) -> dict | None:
    if country is None:
        return None
    return {"iso2": country.iso2, "name": country.name, "label": country.name,
            "html_url": _url("atlas:country", "slug", country.slug),
            "api_url": _url("api:country_summary", "iso2", country.iso2)}


def _area_dict(area: AdministrativeArea | None) -> dict | None:
    if area is None:
        return None
    return {"code": area.code, "name": area.display_name, "label": area.display_name,
            "level": area.level, "html_url": _url("atlas:area", "code", area.code)}


def authority_ref(authority: LocalAuthority) -> dict:
    """How an authority appears inside another record (a party, a member, a funder)."""
    country = authority.country
    return {
        "name": authority.name,
        "label": f"{authority.name} ({authority.country_id})",
        "kind": authority.kind,
        "kind_label": _label(AuthorityKind, authority.kind),
        "country": authority.country_id,
        "country_name": country.name,
        "is_french": authority.country_id == "FR",
        "insee_code": authority.insee_code,
        "siren": authority.siren,
        "foreign_code": authority.foreign_code or None,
        "area": authority.area.code if authority.area_id else None,
        "slug": authority.slug,
        "html_url": _url("atlas:authority", "slug", authority.slug),
        "api_url": _url("api:authority_detail", "key", authority.slug),
    }


def _organisation_ref(org: Organisation) -> dict:
    return {
        "name": org.name, "acronym": org.acronym, "label": str(org), "kind": org.kind,
        "kind_label": _label(Organisation.Kind, org.kind), "slug": org.slug,
        "html_url": _url("atlas:organisation", "slug", org.slug),
        "api_url": _url("api:organisation_detail", "slug", org.slug),
    }


def _theme_dict(theme: Theme) -> dict:
    return {"slug": theme.slug, "name": theme.name, "label": theme.name, "level": theme.level}


def _theme_path_dict(theme: Theme, themes_by_id: dict[int, Theme]) -> dict:
    path, node = [], theme
    while node is not None:
        path.append(node)
        node = themes_by_id.get(node.parent_id)
    out = _theme_dict(theme)
    out["path"] = [_theme_dict(t) for t in reversed(path)]
    out["label"] = " › ".join(t.name for t in reversed(path))
    return out


def _themes_by_id() -> dict[int, Theme]:
    return {t.id: t for t in Theme.objects.all()}


def _theme_subtree_ids(slug: str, themes_by_id: dict[int, Theme]) -> list[int]:
    children = defaultdict(list)
    root = None
    for t in themes_by_id.values():
        children[t.parent_id].append(t.id)
        if t.slug == slug:
            root = t.id
    if root is None:
        return []
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(children[node])
    return out


# --------------------------------------------------------------------------------------
# Filters shared by the lists (each builds `id IN (subquery)` conditions)
# --------------------------------------------------------------------------------------


def _authority_word_q(word: str, prefix: str = "") -> Q:
    """One folded word against an authority's name, aliases, codes and country."""
    if _CODE_WORD.match(word):
        codes = [word, word.upper()]
        aliases = AuthorityAlias.objects.filter(kind=AuthorityAlias.Kind.FORMER_CODE,
                                                value__in=codes).values("authority_id")
        return (Q(**{_p(prefix, "insee_code__in"): codes}) | Q(**{_p(prefix, "siren"): word})
                | Q(**{_p(prefix, "id__in"): aliases}))
    aliases = AuthorityAlias.objects.filter(search_value__contains=word).values("authority_id")
    return (Q(**{_p(prefix, "search_name__contains"): word})
            | Q(**{_p(prefix, "id__in"): aliases})
            | Q(**{_p(prefix, "country__slug__contains"): slugify(word)}))


def _authority_place_qs(f: AtlasFilters, prefix: str = "") -> list[Q]:
    """Where an authority is: country, partner area (ISO 3166-2), French région/département."""
    out = []
    if f.country:
        out.append(Q(**{_p(prefix, "country_id"): f.country}))
    if f.area:
        out.append(Q(**{_p(prefix, "area__code"): f.area})
                   | Q(**{_p(prefix, "area__parent__code"): f.area})
                   | Q(**{_p(prefix, "area__parent__parent__code"): f.area}))
    if f.french_region:
        out.append(_french_ancestor_q(prefix, "region", f.french_region, depth=3))
    if f.french_departement:
        out.append(_french_ancestor_q(prefix, "departement", f.french_departement, depth=2))
    if f.authority_kind:
        out.append(Q(**{_p(prefix, "kind"): f.authority_kind}))
    return out


def _french_ancestor_q(prefix: str, kind: str, code: str, *, depth: int) -> Q:
    """The authority is that région/département, or lies in it (parent chain)."""
    q = Q()
    hop = prefix
    for _hop in range(depth):
        q |= Q(**{_p(hop, "kind"): kind, _p(hop, "insee_code"): code, _p(hop, "country_id"): "FR"})
        hop = _p(hop, "parent")
    return q


def _french_ancestor_code(prefix: str, kind: str, *, depth: int) -> Case:
    whens, hop = [], prefix
    for _hop in range(depth):
        whens.append(When(**{_p(hop, "kind"): kind}, then=F(_p(hop, "insee_code"))))
        hop = _p(hop, "parent")
    return Case(*whens, default=None, output_field=CharField())


def _level1_area_code(prefix: str) -> Case:
    whens, hop = [], prefix
    for _hop in range(3):
        whens.append(When(**{_p(hop, "level"): 1}, then=F(_p(hop, "code"))))
        hop = _p(hop, "parent")
    return Case(*whens, default=None, output_field=CharField())


def _period_q(f: AtlasFilters, start: str = "start_year", end: str = "end_year") -> Q:
    """Overlap of [start, end] with [year_from, year_to]; no end year means still running.

    A record without a start year is left out of a period search: we cannot place it.
    """
    q = Q()
    if f.year_to:
        q &= Q(**{f"{start}__lte": f.year_to})
    if f.year_from:
        q &= Q(**{f"{end}__gte": f.year_from}) | Q(**{f"{end}__isnull": True,
                                                      f"{start}__isnull": False})
    return q


EXPORT_CHUNK = 200
FACET_ID_LIST_MAX = 500


def _paginate(qs: QuerySet, f: AtlasFilters, all_rows: bool) -> tuple[int, list, dict]:
    count = qs.count()
    if all_rows:
        # In chunks: SQLite plans a prefetch with thousands of ids as a nested loop over
        # every authority (minutes at national scale); 200 ids keep the good plan.
        rows = []
        for offset in range(0, count, EXPORT_CHUNK):
            rows.extend(qs[offset:offset + EXPORT_CHUNK])
        return count, rows, {"page": 1, "page_size": count, "num_pages": 1}
    num_pages = max(1, ceil(count / f.page_size))
    offset = (f.page - 1) * f.page_size
    rows = list(qs[offset:offset + f.page_size]) if offset < count else []
    return count, rows, {"page": f.page, "page_size": f.page_size, "num_pages": num_pages}


def _facet_ids(qs: QuerySet, count: int):
    """The matching ids for the facet queries: a short list when the filters are selective
    (the filter subquery then runs once, not once per facet), else the subquery itself."""
    if count <= FACET_ID_LIST_MAX:
        return list(qs.values_list("id", flat=True))
    return qs.values("id")


def _list_result(count, page_info, results, facets, f: AtlasFilters) -> dict:
    return {"count": count, **page_info, "filters": f.as_params(), "results": results,
            "facets": facets}


# --------------------------------------------------------------------------------------
# Facets: GROUP BY queries over the filtered ids
# --------------------------------------------------------------------------------------


def _facet_choice(qs: QuerySet, field: str, choices) -> list[dict]:
    rows = qs.order_by().values(field).annotate(n=Count("id"))
    out = [{"value": r[field], "label": _label(choices, r[field]), "count": r["n"]} for r in rows
           if r[field] not in (None, "")]
    return sorted(out, key=lambda r: (-r["count"], r["label"]))


def _facet_grouped(rows_qs: QuerySet, value_expr, count_field: str, limit: int | None = None):
    rows = (rows_qs.order_by().annotate(v=value_expr).exclude(v__isnull=True).values("v")
            .annotate(n=Count(count_field, distinct=True)).order_by("-n", "v"))
    rows = list(rows[:limit] if limit else rows)
    return [(r["v"], r["n"]) for r in rows]


def _facet_countries(rows_qs, field: str, count_field: str, *, exclude_fr: bool = True):
    qs = rows_qs.exclude(**{field: "FR"}) if exclude_fr else rows_qs
    pairs = _facet_grouped(qs, F(field), count_field)
    names = dict(Country.objects.filter(iso2__in=[v for v, _ in pairs])
                 .values_list("iso2", _country_name_field()))
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _facet_areas(rows_qs, area_prefix: str, count_field: str, exclude_fr_field: str | None):
    qs = rows_qs.exclude(**{exclude_fr_field: "FR"}) if exclude_fr_field else rows_qs
    pairs = _facet_grouped(qs, _level1_area_code(area_prefix), count_field, FACET_LIMIT)
    names = {a.code: a.display_name for a in AdministrativeArea.objects.filter(
        code__in=[v for v, _ in pairs])}
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _facet_french(rows_qs, prefix: str, kind: str, count_field: str) -> list[dict]:
    depth = 3 if kind == "region" else 2
    qs = rows_qs.filter(**{_p(prefix, "country_id"): "FR"})
    pairs = _facet_grouped(qs, _french_ancestor_code(prefix, kind, depth=depth), count_field,
                           FACET_LIMIT)
    names = dict(LocalAuthority.objects.filter(country_id="FR", kind=kind,
                                               insee_code__in=[v for v, _ in pairs])
                 .values_list("insee_code", "name"))
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _facet_authority_kinds(rows_qs, field: str, count_field: str) -> list[dict]:
    pairs = _facet_grouped(rows_qs, F(field), count_field)
    return [{"value": v, "label": _label(AuthorityKind, v), "count": n} for v, n in pairs]


def _facet_themes(through_qs, owner_field: str, themes_by_id: dict[int, Theme]) -> list[dict]:
    """Counts per theme including descendants: one GROUP BY per tree level."""
    counts: dict[int, int] = {}
    for level in (1, 2, 3):
        whens, hop = [], "theme"
        for _hop in range(level, 4):
            whens.append(When(**{_p(hop, "level"): level}, then=F(_p(hop, "id"))))
            hop = _p(hop, "parent")
        expr = Case(*whens, default=None, output_field=IntegerField())
        counts.update(_facet_grouped(through_qs, expr, owner_field))
    ordered = _theme_tree_order(themes_by_id)
    return [{"value": t.slug, "label": t.name, "count": counts[t.id], "level": t.level,
             "parent": themes_by_id[t.parent_id].slug if t.parent_id in themes_by_id else None}
            for t in ordered if counts.get(t.id)]


def _theme_tree_order(themes_by_id: dict[int, Theme]) -> list[Theme]:
    children = defaultdict(list)
    for t in themes_by_id.values():
        children[t.parent_id].append(t)
    out = []

    def walk(parent_id):
        for t in sorted(children[parent_id], key=lambda t: (t.position, t.name_fr)):
            out.append(t)
            walk(t.id)

    walk(None)
    return out


def _facet_sdg(through_qs, owner_field: str) -> list[dict]:
    from coopatlas.reference.models import SdgGoal

    pairs = _facet_grouped(through_qs, F("sdggoal_id"), owner_field)
    names = {g.number: g.name for g in SdgGoal.objects.filter(number__in=[v for v, _ in pairs])}
    out = [{"value": v, "label": f"ODD {v} – {names.get(v, '')}".strip(" –"), "count": n}
           for v, n in pairs]
    return sorted(out, key=lambda r: r["value"])


# --------------------------------------------------------------------------------------
# Partnerships
# --------------------------------------------------------------------------------------


def _party_links_prefetch() -> Prefetch:
    french_first = Case(When(authority__country_id="FR", then=Value(0)), default=Value(1))
    return Prefetch(
        "party_links",
        queryset=PartnershipParty.objects.select_related(
            "authority__country", "authority__area").order_by(french_first, "authority__name"),
    )


def _partnerships_base() -> QuerySet:
    return Partnership.objects.filter(**PUBLIC)


def _partnership_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    qs = _partnerships_base()
    check_choice(field="kind", value=f.kind, choices=PartnershipKind.choices)
    check_choice(field="status", value=f.status, choices=PartnershipStatus.choices)
    check_choice(field="authority_kind", value=f.authority_kind, choices=AuthorityKind.choices)
    for word in f.words:
        parties = PartnershipParty.objects.filter(_authority_word_q(word, "authority"))
        qs = qs.filter(Q(slug__contains=slugify(word)) | Q(title__icontains=word)
                       | Q(id__in=parties.values("partnership_id")))
    for cond in _authority_place_qs(f, "authority"):
        qs = qs.filter(id__in=PartnershipParty.objects.filter(cond).values("partnership_id"))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.theme:
        through = Partnership.themes.through.objects.filter(
            theme_id__in=_theme_subtree_ids(f.theme, themes_by_id))
        qs = qs.filter(id__in=through.values("partnership_id"))
    if f.sdg:
        projects = Project.sdg_goals.through.objects.filter(sdggoal_id=f.sdg).values("project_id")
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
    return qs.select_related("source__document").prefetch_related(
        _party_links_prefetch(), "themes").order_by("title", "id")


def partnership_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    """Partnerships matching the filters, a page of them, and facet counts.

    `all_rows=True` (CSV export) returns every match and no facets.
    """
    themes_by_id = _themes_by_id()
    qs = _partnership_filtered(filters, themes_by_id)
    count, rows, page = _paginate(_partnership_rows(qs), filters, all_rows)
    results = [_partnership_summary(p) for p in rows]
    facets = {} if all_rows else _partnership_facets(qs, _facet_ids(qs, count), themes_by_id)
    return _list_result(count, page, results, facets, filters)


def _partnership_facets(qs: QuerySet, ids, themes_by_id) -> dict:
    qs = _partnerships_base().filter(id__in=ids)
    parties = PartnershipParty.objects.filter(partnership_id__in=ids)
    return {
        "country": _facet_countries(parties, "authority__country_id", "partnership_id"),
        "area": _facet_areas(parties, "authority__area", "partnership_id",
                             "authority__country_id"),
        "french_region": _facet_french(parties, "authority", "region", "partnership_id"),
        "french_departement": _facet_french(parties, "authority", "departement",
                                            "partnership_id"),
        "authority_kind": _facet_authority_kinds(parties.filter(authority__country_id="FR"),
                                                 "authority__kind", "partnership_id"),
        "kind": _facet_choice(qs, "kind", PartnershipKind),
        "status": _facet_choice(qs, "status", PartnershipStatus),
        "theme": _facet_themes(Partnership.themes.through.objects.filter(partnership_id__in=ids),
                               "partnership_id", themes_by_id),
    }


def partnership_detail(*, slug: str) -> dict:
    p = (_partnership_rows(_partnerships_base()).prefetch_related("organisations")
         .filter(slug=slug).first()) if is_lookup_key(slug) else None
    if p is None:
        raise NotFound(_("Aucun partenariat publié « %(slug)s » : cherchez-le par nom avec la "
                         "liste des partenariats (paramètre q).") % {"slug": slug[:100]}, field="slug")
    themes_by_id = _themes_by_id()
    out = _partnership_summary(p)
    out["themes"] = [_theme_path_dict(t, themes_by_id) for t in p.themes.all()]
    conventions = (Convention.objects.filter(partnership=p, **PUBLIC)
                   .select_related("source__document")
                   .prefetch_related(Prefetch("parties", queryset=LocalAuthority.objects
                                              .select_related("country", "area")))
                   .order_by("signed_year", "id"))
    projects = _project_rows(Project.objects.filter(**PUBLIC,
                                                    partnerships=p))
    out.update({
        "description": p.description,
        "history": p.history,
        "start_date": _iso(p.start_date),
        "end_date": _iso(p.end_date),
        "organisations": [_organisation_ref(o) for o in p.organisations.all()],
        "conventions": [_convention_dict(c) for c in conventions],
        "projects": [_project_summary(x) for x in projects[:DETAIL_LIST_LIMIT]],
        "project_count": len(projects) if len(projects) < DETAIL_LIST_LIMIT else projects.count(),
    })
    return out


def _convention_dict(c: Convention) -> dict:
    return {
        "title": c.title, "purpose": c.purpose, "signed_on": _iso(c.signed_on),
        "signed_year": c.signed_year, "starts_on": _iso(c.starts_on), "ends_on": _iso(c.ends_on),
        "duration_months": c.duration_months,
        "estimated_commitment": _money(c.estimated_commitment), "currency": c.currency,
        "language": c.language, "council_vote_on": _iso(c.council_vote_on),
        "legality_control_on": _iso(c.legality_control_on),
        "parties": [authority_ref(a) for a in c.parties.all()],
        "sources": _sources(c),
    }


# --------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------


def project_queryset(*, filters: AtlasFilters) -> QuerySet:
    """The published projects matching the atlas filters, for exports (IATI)."""
    return _project_filtered(filters, _themes_by_id())


def _project_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    # Other publishers' activities imported from IATI show as "other actors", not here.
    qs = Project.objects.filter(**PUBLIC,
                                is_imported=False)
    check_choice(field="status", value=f.status, choices=ProjectStatus.choices)
    check_choice(field="authority_kind", value=f.authority_kind, choices=AuthorityKind.choices)
    for word in f.words:
        people = ProjectParticipant.objects.filter(_authority_word_q(word, "authority"))
        qs = qs.filter(Q(search_text__contains=word) | Q(slug__contains=slugify(word))
                       | Q(id__in=people.values("project_id")))
    countries = Project.countries.through.objects
    areas = Project.areas.through.objects
    if f.country:
        qs = qs.filter(Q(id__in=countries.filter(country_id=f.country).values("project_id"))
                       | Q(id__in=ProjectParticipant.objects.filter(
                           authority__country_id=f.country).values("project_id")))
    if f.area:
        in_area = (Q(administrativearea__code=f.area)
                   | Q(administrativearea__parent__code=f.area)
                   | Q(administrativearea__parent__parent__code=f.area))
        by_authority = _authority_place_qs(f.replace(country=None, french_region=None,
                                                     french_departement=None,
                                                     authority_kind=None), "authority")[0]
        qs = qs.filter(Q(id__in=areas.filter(in_area).values("project_id"))
                       | Q(id__in=ProjectParticipant.objects.filter(by_authority)
                           .values("project_id")))
    for cond in _authority_place_qs(f.replace(country=None, area=None), "authority"):
        qs = qs.filter(id__in=ProjectParticipant.objects.filter(cond).values("project_id"))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.theme:
        qs = qs.filter(id__in=ProjectTheme.objects.filter(
            theme_id__in=_theme_subtree_ids(f.theme, themes_by_id)).values("project_id"))
    if f.sdg:
        qs = qs.filter(id__in=Project.sdg_goals.through.objects.filter(sdggoal_id=f.sdg)
                       .values("project_id"))
    return qs.filter(_period_q(f))


def _project_rows(qs: QuerySet) -> QuerySet:
    return qs.select_related("source__document").prefetch_related(
        Prefetch("participants", queryset=ProjectParticipant.objects.select_related(
            "authority__country", "authority__area").order_by("role", "authority__name")),
        "countries",
        Prefetch("theme_links", queryset=ProjectTheme.objects.select_related("theme")
                 .order_by("-is_main", "priority", "theme__name_fr")),
        "sdg_goals",
        Prefetch("partnerships", queryset=Partnership.objects.only("id", "slug", "title")),
    ).order_by("-start_year", "title", "id")


def _project_summary(p: Project) -> dict:
    participants = [{**authority_ref(x.authority), "role": x.role,
                     "role_label": _label(ProjectParticipant.Role, x.role)}
                    for x in p.participants.all()]
    themes = [{**_theme_dict(t.theme), "is_main": t.is_main, "priority": t.priority}
              for t in p.theme_links.all()]
    return {
        "slug": p.slug,
        "title": p.title,
        "summary": p.summary,
        "status": p.status,
        "status_label": _label(ProjectStatus, p.status),
        "start_year": p.start_year,
        "end_year": p.end_year,
        "countries": [_country_dict(c) for c in p.countries.all()],
        "participants": participants,
        "themes": themes,
        "main_theme": next((t for t in themes if t["is_main"]), None),
        "sdg_goals": sorted(g.number for g in p.sdg_goals.all()),
        "budget": _money(p.budget),
        "currency": p.currency,
        "partnerships": [{"slug": x.slug, "title": x.title, "label": x.title,
                          "html_url": _url("atlas:partnership", "slug", x.slug),
                          "api_url": _url("api:partnership_detail", "slug", x.slug)}
                         for x in p.partnerships.all()],
        "sources": _sources(p),
        "is_synthetic": p.is_synthetic,
        "html_url": _url("atlas:project", "slug", p.slug),
        "api_url": _url("api:project_detail", "slug", p.slug),
    }


def project_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = _project_filtered(filters, themes_by_id)
    count, rows, page = _paginate(_project_rows(qs), filters, all_rows)
    results = [_project_summary(p) for p in rows]
    facets = {} if all_rows else _project_facets(qs, _facet_ids(qs, count), themes_by_id)
    return _list_result(count, page, results, facets, filters)


def _project_facets(qs: QuerySet, ids, themes_by_id) -> dict:
    qs = Project.objects.filter(id__in=ids)
    people = ProjectParticipant.objects.filter(project_id__in=ids)
    return {
        "country": _facet_countries(Project.countries.through.objects.filter(project_id__in=ids),
                                    "country_id", "project_id", exclude_fr=False),
        "area": _facet_areas(Project.areas.through.objects.filter(project_id__in=ids),
                             "administrativearea", "project_id", None),
        "french_region": _facet_french(people, "authority", "region", "project_id"),
        "french_departement": _facet_french(people, "authority", "departement", "project_id"),
        "authority_kind": _facet_authority_kinds(people.filter(authority__country_id="FR"),
                                                 "authority__kind", "project_id"),
        "status": _facet_choice(qs, "status", ProjectStatus),
        "theme": _facet_themes(ProjectTheme.objects.filter(project_id__in=ids), "project_id",
                               themes_by_id),
        "sdg": _facet_sdg(Project.sdg_goals.through.objects.filter(project_id__in=ids),
                          "project_id"),
    }


def project_detail(*, slug: str) -> dict:
    p = (_project_rows(Project.objects.filter(**PUBLIC, slug=slug)).first()
         if is_lookup_key(slug) else None)
    if p is None:
        raise NotFound(_("Aucun projet publié « %(slug)s » : cherchez-le avec la liste des "
                         "projets (paramètre q).") % {"slug": slug[:100]}, field="slug")
    themes_by_id = _themes_by_id()
    out = _project_summary(p)
    out["themes"] = [{**_theme_path_dict(t.theme, themes_by_id), "is_main": t.is_main,
                      "priority": t.priority} for t in p.theme_links.all()]
    out["main_theme"] = next((t for t in out["themes"] if t["is_main"]), None)
    funding = list(FundingContribution.objects.filter(project=p, **PUBLIC)
                   .select_related("funder_authority__country", "funder_authority__area",
                                   "funder_organisation", "source__document")
                   .order_by("-amount", "id"))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in funding:
        totals[line.currency] += line.amount
    out.update({
        "context": p.context,
        "objective": p.objective,
        "description": p.description,
        "start_date": _iso(p.start_date),
        "end_date": _iso(p.end_date),
        "operators": [{**_organisation_ref(o.organisation), "role": o.role,
                       "role_label": _label(ProjectOperator.Role, o.role)}
                      for o in ProjectOperator.objects.filter(project=p)
                      .select_related("organisation")],
        "areas": [_area_dict(a) for a in p.areas.all()],
        "places": [{"name": x.name, "latitude": x.latitude, "longitude": x.longitude}
                   for x in p.places.all()],
        "sectors": [{"code": s.sector_id, "name": s.sector.name, "label":
                     f"{s.sector_id} {s.sector.name}", "percentage": f"{s.percentage:.2f}"}
                    for s in ProjectSector.objects.filter(project=p).select_related("sector")],
        "sdg_targets": [{"code": t.code, "name": t.name, "label": f"{t.code} {t.name}"}
                        for t in p.sdg_targets.all()],
        "policy_markers": [{"slug": m.marker.slug, "name": m.marker.name, "label":
                            f"{m.marker.name} : {m.significance}",
                            "significance": m.significance,
                            "significance_label": _label(ProjectPolicyMarker.Significance,
                                                         m.significance)}
                           for m in ProjectPolicyMarker.objects.filter(project=p)
                           .select_related("marker")],
        "funding": [_funding_dict(x) for x in funding],
        "funding_totals": [{"currency": c, "amount": _money(a)} for c, a in sorted(totals.items())],
        "beneficiaries": p.beneficiaries,
        "beneficiaries_count": p.beneficiaries_count,
        "results": p.results,
        "iati_identifier": p.iati_identifier,
    })
    return out


def _funding_dict(x: FundingContribution) -> dict:
    if x.funder_authority_id:
        funder = authority_ref(x.funder_authority)
    else:
        funder = _organisation_ref(x.funder_organisation)
    return {
        "funder": funder, "label": f"{funder['name']} : {_money(x.amount)} {x.currency}",
        "instrument": x.instrument,
        "instrument_label": _label(FundingInstrument, x.instrument),
        "amount": _money(x.amount), "currency": x.currency, "nature": x.nature,
        "nature_label": _label(FundingContribution.Nature, x.nature), "year": x.year,
        "is_annual": x.is_annual, "note": x.note, "sources": _sources(x),
    }


# --------------------------------------------------------------------------------------
# Local authorities
# --------------------------------------------------------------------------------------


def _involved_authorities() -> QuerySet:
    """Authorities the atlas has something about (not the 35,000 communes of the code)."""
    parties = PartnershipParty.objects.filter(**_public("partnership")).values("authority_id")
    people = ProjectParticipant.objects.filter(**_public("project")).values("authority_id")
    members = ProgrammeMembership.objects.filter(**_public("programme")).values("authority_id")
    requests = PartnerRequest.objects.filter(**PUBLIC).values("authority_id")
    # One IN over a UNION: four OR'ed IN subqueries cost a third more on every facet query.
    return LocalAuthority.objects.filter(id__in=parties.union(people, members, requests))


def _authority_filtered(f: AtlasFilters, themes_by_id) -> QuerySet:
    qs = _involved_authorities()
    kind = f.kind or f.authority_kind
    check_choice(field="kind" if f.kind else "authority_kind", value=kind,
                 choices=AuthorityKind.choices)
    for word in f.words:
        qs = qs.filter(_authority_word_q(word))
    for cond in _authority_place_qs(f.replace(authority_kind=kind)):
        qs = qs.filter(cond)
    if f.theme:
        subtree = _theme_subtree_ids(f.theme, themes_by_id)
        in_partnership = PartnershipParty.objects.filter(
            **_public("partnership"),
            partnership_id__in=Partnership.themes.through.objects.filter(
                theme_id__in=subtree).values("partnership_id"))
        in_project = ProjectParticipant.objects.filter(
            project_id__in=ProjectTheme.objects.filter(theme_id__in=subtree).values("project_id"))
        qs = qs.filter(Q(id__in=in_partnership.values("authority_id"))
                       | Q(id__in=in_project.values("authority_id")))
    return qs


def _authority_summary(a: LocalAuthority) -> dict:
    out = authority_ref(a)
    out.update({
        "area_name": a.area.display_name if a.area_id else None,
        "parent": a.parent.name if a.parent_id else None,
        "population": a.population,
        "partnership_count": getattr(a, "partnership_count", None),
        "is_synthetic": a.is_synthetic,
    })
    return out


def _partnership_count() -> Subquery:
    sub = (PartnershipParty.objects.filter(authority_id=OuterRef("id"),
                                           **_public("partnership"))
           .order_by().values("authority_id").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def authority_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = _authority_filtered(filters, themes_by_id)
    rows_qs = (qs.select_related("country", "area", "parent")
               .annotate(partnership_count=_partnership_count()).order_by("name", "id"))
    count, rows, page = _paginate(rows_qs, filters, all_rows)
    results = [_authority_summary(a) for a in rows]
    facets = {}
    if not all_rows:
        facets = {
            "country": _facet_countries(qs, "country_id", "id", exclude_fr=False),
            "kind": _facet_authority_kinds(qs, "kind", "id"),
            "area": _facet_areas(qs, "area", "id", "country_id"),
            "french_region": _facet_french(qs, "", "region", "id"),
            "french_departement": _facet_french(qs, "", "departement", "id"),
        }
    return _list_result(count, page, results, facets, filters)


def authority_get(*, slug: str) -> LocalAuthority:
    a = LocalAuthority.objects.select_related("country", "area", "parent").filter(
        slug=slug).first() if is_lookup_key(slug) else None
    if a is None:
        raise NotFound(_("Aucune collectivité « %(slug)s » : cherchez-la par nom ou par code "
                         "INSEE/SIREN (liste des collectivités, paramètre q).")
                       % {"slug": slug[:100]}, field="slug")
    return a


def authority_detail(*, slug: str) -> dict:
    a = authority_get(slug=slug)
    out = _authority_summary(a)
    partnerships = _partnership_rows(_partnerships_base().filter(
        id__in=PartnershipParty.objects.filter(authority=a).values("partnership_id")))
    projects = _project_rows(Project.objects.filter(
        **PUBLIC,
        id__in=ProjectParticipant.objects.filter(authority=a).values("project_id")))
    programmes = Programme.objects.filter(**PUBLIC).filter(
        Q(carrier_authority=a) | Q(id__in=ProgrammeMembership.objects.filter(authority=a)
                                   .values("programme_id")))
    requests = PartnerRequest.objects.filter(**PUBLIC, authority=a)
    out.update({
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
        "aliases": [{"kind": x.kind, "value": x.value, "label": x.value}
                    for x in a.aliases.all().order_by("kind", "value")],
        "partnerships": [_partnership_summary(p) for p in partnerships[:DETAIL_LIST_LIMIT]],
        "partnership_count": partnerships.count(),
        "projects": [_project_summary(p) for p in projects[:DETAIL_LIST_LIMIT]],
        "project_count": projects.count(),
        "programmes": [_programme_summary(p) for p in _programme_rows(programmes)],
        "partner_requests": [_partner_request_summary(r) for r in _request_rows(requests)],
        "contacts": [_contact_dict(c) for c in _contact_rows(Contact.objects.filter(authority=a))],
        "published_figures": [_figure_dict(x) for x in PublishedFigure.objects.filter(
            authority=a).select_related("source__document")],
        "sources": _sources(a),
    })
    return out


# --------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------


def organisation_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    qs = Organisation.objects.filter(**PUBLIC)
    check_choice(field="kind", value=filters.kind, choices=Organisation.Kind.choices)
    for word in filters.words:
        qs = qs.filter(Q(search_name__contains=word) | Q(slug__contains=slugify(word)))
    if filters.country:
        qs = qs.filter(_organisation_country_q(filters.country))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    rows_qs = qs.select_related("country", "source__document").order_by("name", "id")
    count, rows, page = _paginate(rows_qs, filters, all_rows)
    results = [_organisation_summary(o) for o in rows]
    # No country facet: an actor's countries are a union over five relations (see below),
    # which a GROUP BY cannot count without double counting.
    facets = {} if all_rows else {"kind": _facet_choice(qs, "kind", Organisation.Kind)}
    return _list_result(count, page, results, facets, filters)


def _organisation_country_q(iso2: str) -> Q:
    """An actor based in the country, or working there (projects, partnerships, requests)."""
    in_country = PartnershipParty.objects.filter(authority__country_id=iso2)
    projects = Project.objects.filter(
        Q(id__in=Project.countries.through.objects.filter(country_id=iso2).values("project_id"))
        | Q(id__in=ProjectParticipant.objects.filter(authority__country_id=iso2)
            .values("project_id"))).values("id")
    return (Q(country_id=iso2)
            | Q(id__in=Partnership.organisations.through.objects.filter(
                partnership_id__in=in_country.values("partnership_id")).values("organisation_id"))
            | Q(id__in=ProjectOperator.objects.filter(project_id__in=projects)
                .values("organisation_id"))
            | Q(id__in=FundingContribution.objects.filter(project_id__in=projects)
                .values("funder_organisation_id"))
            | Q(id__in=Programme.countries.through.objects.filter(country_id=iso2)
                .values("programme__carrier_organisation_id"))
            | Q(id__in=PartnerRequest.objects.filter(authority__country_id=iso2)
                .values("registered_by_id")))


def _organisation_summary(o: Organisation) -> dict:
    return {**_organisation_ref(o), "country": o.country_id,
            "country_name": o.country.name if o.country_id else None, "website": o.website,
            "iati_identifier": o.iati_identifier, "siren": o.siren,
            "sources": _sources(o), "is_synthetic": o.is_synthetic}


def organisation_detail(*, slug: str) -> dict:
    o = (Organisation.objects.filter(**PUBLIC, slug=slug)
         .select_related("country", "source__document").first()) if is_lookup_key(slug) else None
    if o is None:
        raise NotFound(_("Aucun acteur publié « %(slug)s » : cherchez-le avec la liste des "
                         "acteurs (paramètre q).") % {"slug": slug[:100]}, field="slug")
    out = _organisation_summary(o)
    published = PUBLIC
    partnerships = _partnership_rows(_partnerships_base().filter(organisations=o))
    operated = _project_rows(Project.objects.filter(
        **published, id__in=ProjectOperator.objects.filter(organisation=o).values("project_id")))
    funded = _project_rows(Project.objects.filter(
        **published, id__in=FundingContribution.objects.filter(funder_organisation=o)
        .values("project_id")))
    out.update({
        "description": o.description,
        "partnerships": [_partnership_summary(p) for p in partnerships[:DETAIL_LIST_LIMIT]],
        "operated_projects": [_project_summary(p) for p in operated[:DETAIL_LIST_LIMIT]],
        "funded_projects": [_project_summary(p) for p in funded[:DETAIL_LIST_LIMIT]],
        "programmes": [_programme_summary(p) for p in _programme_rows(
            Programme.objects.filter(**published, carrier_organisation=o))],
        "partner_requests": [_partner_request_summary(r) for r in _request_rows(
            PartnerRequest.objects.filter(**published, registered_by=o))],
        "contacts": [_contact_dict(c) for c in _contact_rows(
            Contact.objects.filter(organisation=o))],
    })
    return out


# --------------------------------------------------------------------------------------
# Programmes
# --------------------------------------------------------------------------------------

_PROGRAMME_STATUS = [("open", "Ouvert aux nouveaux membres"), ("closed", "Fermé")]


def _programme_rows(qs: QuerySet) -> QuerySet:
    return (qs.select_related("carrier_organisation", "carrier_authority__country",
                              "carrier_authority__area", "source__document")
            .prefetch_related("countries", "themes")
            .annotate(member_count=Count("memberships", distinct=True))
            .order_by("title", "id"))


def _programme_summary(p: Programme) -> dict:
    if p.carrier_authority_id:
        carrier = authority_ref(p.carrier_authority)
    elif p.carrier_organisation_id:
        carrier = _organisation_ref(p.carrier_organisation)
    else:
        carrier = None
    return {
        "slug": p.slug, "title": p.title, "carrier": carrier,
        "countries": [_country_dict(c) for c in p.countries.all()],
        "themes": [_theme_dict(t) for t in p.themes.all()],
        "budget_per_member": _money(p.budget_per_member),
        "budget_total": _money(p.budget_total), "currency": p.currency,
        "start_year": p.start_year, "end_year": p.end_year, "is_open": p.is_open,
        "status": "open" if p.is_open else "closed",
        "member_count": getattr(p, "member_count", None),
        "sources": _sources(p), "is_synthetic": p.is_synthetic,
        "html_url": _url("atlas:programme", "slug", p.slug),
        "api_url": _url("api:programme_detail", "slug", p.slug),
    }


def programme_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = Programme.objects.filter(**PUBLIC)
    check_choice(field="status", value=filters.status, choices=_PROGRAMME_STATUS)
    for word in filters.words:
        qs = qs.filter(Q(slug__contains=slugify(word)) | Q(title__icontains=word))
    if filters.country:
        qs = qs.filter(id__in=Programme.countries.through.objects.filter(
            country_id=filters.country).values("programme_id"))
    if filters.theme:
        qs = qs.filter(id__in=Programme.themes.through.objects.filter(
            theme_id__in=_theme_subtree_ids(filters.theme, themes_by_id)).values("programme_id"))
    if filters.status:
        qs = qs.filter(is_open=filters.status == "open")
    qs = qs.filter(_period_q(filters))
    count, rows, page = _paginate(_programme_rows(qs), filters, all_rows)
    facets = {}
    if not all_rows:
        ids = qs.values("id")
        status_rows = dict(qs.order_by().values_list("is_open").annotate(n=Count("id")))
        facets = {
            "status": [{"value": v, "label": label, "count": status_rows[v == "open"]}
                       for v, label in _PROGRAMME_STATUS if status_rows.get(v == "open")],
            "country": _facet_countries(Programme.countries.through.objects.filter(
                programme_id__in=ids), "country_id", "programme_id", exclude_fr=False),
            "theme": _facet_themes(Programme.themes.through.objects.filter(
                programme_id__in=ids), "programme_id", themes_by_id),
        }
    return _list_result(count, page, [_programme_summary(p) for p in rows], facets, filters)


def programme_detail(*, slug: str) -> dict:
    p = (_programme_rows(Programme.objects.filter(**PUBLIC, slug=slug))
         .first() if is_lookup_key(slug) else None)
    if p is None:
        raise NotFound(_("Aucun programme publié « %(slug)s » : voyez la liste des programmes.")
                       % {"slug": slug[:100]}, field="slug")
    out = _programme_summary(p)
    members = (ProgrammeMembership.objects.filter(programme=p)
               .select_related("authority__country", "authority__area")
               .order_by("authority__name"))
    out.update({
        "description": p.description,
        "members": [{**authority_ref(m.authority), "joined_year": m.joined_year}
                    for m in members],
    })
    return out


# --------------------------------------------------------------------------------------
# Partner requests, contacts, figures
# --------------------------------------------------------------------------------------


def _request_rows(qs: QuerySet) -> QuerySet:
    return (qs.select_related("authority__country", "authority__area", "registered_by",
                              "source__document")
            .prefetch_related("themes").order_by("-registered_year", "authority__name", "id"))


def _partner_request_summary(r: PartnerRequest) -> dict:
    page = _url("atlas:authority", "slug", r.authority.slug)
    return {
        "id": r.id,
        "title": f"{r.authority.name} ({r.authority.country.name})",
        "authority": authority_ref(r.authority),
        "country": r.authority.country_id,
        "registered_by": _organisation_ref(r.registered_by) if r.registered_by_id else None,
        "description": r.description,
        "wishes": r.wishes,
        "themes": [_theme_dict(t) for t in r.themes.all()],
        "status": r.status,
        "status_label": _label(PartnerRequest.Status, r.status),
        "registered_year": r.registered_year,
        "sources": _sources(r),
        "is_synthetic": r.is_synthetic,
        # A request has no page of its own: it shows on the foreign authority's fiche.
        "html_url": f"{page}#demande-{r.id}" if page else None,
        "api_url": _url("api:partner_request_detail", "pk", r.id),
    }


def partner_request_list(*, filters: AtlasFilters, all_rows: bool = False) -> dict:
    themes_by_id = _themes_by_id()
    qs = PartnerRequest.objects.filter(**PUBLIC)
    check_choice(field="status", value=filters.status, choices=PartnerRequest.Status.choices)
    for word in filters.words:
        qs = qs.filter(_authority_word_q(word, "authority") | Q(description__icontains=word))
    for cond in _authority_place_qs(filters.replace(french_region=None, french_departement=None),
                                    "authority"):
        qs = qs.filter(cond)
    if filters.theme:
        qs = qs.filter(id__in=PartnerRequest.themes.through.objects.filter(
            theme_id__in=_theme_subtree_ids(filters.theme, themes_by_id))
            .values("partnerrequest_id"))
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
            "theme": _facet_themes(PartnerRequest.themes.through.objects.filter(
                partnerrequest_id__in=ids), "partnerrequest_id", themes_by_id),
        }
    results = [_partner_request_summary(r) for r in rows]
    return _list_result(count, page, results, facets, filters)


def partner_request_detail(*, pk: int) -> dict:
    r = _request_rows(PartnerRequest.objects.filter(**PUBLIC, pk=pk)).first()
    if r is None:
        raise NotFound(_("Aucune demande de partenariat publiée n° %(pk)s.") % {"pk": pk}, field="id")
    return _partner_request_summary(r)


def _contact_rows(qs: QuerySet) -> QuerySet:
    return (qs.filter(**PUBLIC)
            .select_related("organisation", "authority__country", "authority__area", "country",
                            "source__document")
            .order_by("organisation__name", "role", "id"))


def _contact_dict(c: Contact) -> dict:
    return {
        "name": c.name, "role": c.role, "label": f"{c.name} – {c.role}" if c.name else c.role,
        "email": c.email, "phone": c.phone,
        "organisation": _organisation_ref(c.organisation) if c.organisation_id else None,
        "authority": authority_ref(c.authority) if c.authority_id else None,
        "country": c.country_id, "sources": _sources(c),
    }


def _figure_dict(x: PublishedFigure) -> dict:
    return {
        "metric": x.metric, "label": x.label, "value": _number(x.value), "unit": x.unit,
        "dimension": x.dimension or None, "dimension_value": x.dimension_value or None,
        "year": x.year, "as_of": _iso(x.as_of), "source": source_dict(x.source),
    }


# --------------------------------------------------------------------------------------
# Country fiche
# --------------------------------------------------------------------------------------


def country_get(*, iso2: str) -> Country:
    code = (iso2 or "").upper()
    country = (Country.objects.filter(iso2=code).first()
               if len(code) == 2 and is_lookup_key(code) else None)
    if country is None:
        raise NotFound(_("Aucun pays de code « %(iso2)s » : utilisez un code ISO 3166-1 "
                         "alpha-2, ex. ML pour le Mali.") % {"iso2": str(iso2)[:20]}, field="iso2")
    return country


def country_summary(*, iso2: str) -> dict:
    """The country fiche: figures the atlas counts next to the figures documents publish."""
    country = country_get(iso2=iso2)
    active = _partnerships_base().filter(
        status=PartnershipStatus.ACTIVE,
        id__in=PartnershipParty.objects.filter(authority__country=country)
        .values("partnership_id"))
    all_partnerships = _partnerships_base().filter(
        id__in=PartnershipParty.objects.filter(authority__country=country)
        .values("partnership_id"))
    published = list(PublishedFigure.objects.filter(country=country)
                     .select_related("source__document").order_by("metric", "dimension",
                                                                   "dimension_value", "year"))
    active_ids = active.values("id")
    french = PartnershipParty.objects.filter(partnership_id__in=active_ids,
                                             authority__country_id="FR")
    foreign = PartnershipParty.objects.filter(partnership_id__in=active_ids,
                                              authority__country=country)
    by_kind = _facet_authority_kinds(french, "authority__kind", "partnership_id")
    by_area = _facet_grouped(foreign, _level1_area_code("authority__area"), "partnership_id")
    projects = Project.objects.filter(**PUBLIC,
                                      is_imported=False).filter(
        Q(id__in=Project.countries.through.objects.filter(country=country).values("project_id"))
        | Q(id__in=ProjectParticipant.objects.filter(authority__country=country)
            .values("project_id")))
    active_count = active.count()
    themes_by_id = _themes_by_id()
    return {
        "country": _country_block(country),
        "profile": _profile_dict(country),
        "figures": {
            "active_partnerships": {"counted": active_count,
                                    "published": _published_for(published, "", "")},
            "partnerships": all_partnerships.count(),
            "projects": projects.count(),
            "french_authorities": french.values("authority_id").distinct().count(),
            "partner_authorities": foreign.values("authority_id").distinct().count(),
            "by_french_kind": _side_by_side(
                [(r["value"], r["label"], r["count"]) for r in by_kind], published,
                "french_kind", lambda v: _label(AuthorityKind, v)),
            "by_area": _side_by_side(_area_labels(by_area), published, "partner_area",
                                     _area_label),
        },
        "published_figures": [_figure_dict(x) for x in published],
        "themes": _facet_themes(Partnership.themes.through.objects.filter(
            partnership_id__in=all_partnerships.values("id")), "partnership_id", themes_by_id),
        "active_partnerships": [_partnership_summary(p) for p in
                                _partnership_rows(active)[:COUNTRY_LIST_LIMIT]],
        "active_partnerships_list_url": _list_url("atlas:partnership_list",
                                                  country=country.iso2, status="active"),
        "partner_requests": [_partner_request_summary(r) for r in _request_rows(
            PartnerRequest.objects.filter(**PUBLIC,
                                          authority__country=country))[:COUNTRY_LIST_LIMIT]],
        "programmes": [_programme_summary(p) for p in _programme_rows(
            Programme.objects.filter(**PUBLIC, countries=country)
        ).order_by("-is_open", "title")[:COUNTRY_LIST_LIMIT]],
        "contacts": [_contact_dict(c) for c in _contact_rows(
            Contact.objects.filter(country=country))],
        "other_actors": _other_actors(country=country.iso2),
        "declared_aid": _declared_aid(country=country.iso2),
        "html_url": _url("atlas:country", "slug", country.slug),
        "api_url": _url("api:country_summary", "iso2", country.iso2),
    }


def _other_actors(*, country: str) -> dict:
    """Other donors' activities imported from IATI files, for coordination on the fiche."""
    from coopatlas.iati.selectors import imported_activities_for  # iati builds on cooperation

    return imported_activities_for(country=country, area=None)


def _declared_aid(*, country: str) -> list[dict]:
    """Aid French authorities declared to this country per year (validated declarations)."""
    from coopatlas.declarations.selectors import aid_by_year_for_country

    return aid_by_year_for_country(iso2=country)


def _country_block(country: Country) -> dict:
    oda = CountryOdaStatus.objects.filter(country=country).order_by("-year").first()
    return {
        **_country_dict(country), "iso3": country.iso3, "slug": country.slug,
        "name_fr": country.name_fr, "name_en": country.name_en, "dac_code": country.dac_code,
        "is_least_developed": country.is_least_developed,
        "is_cicid_priority": country.is_cicid_priority,
        "oda_status": {"year": oda.year, "category": oda.category,
                       "label": oda.get_category_display(), "is_eligible": oda.is_eligible}
        if oda else None,
        "latitude": country.latitude, "longitude": country.longitude,
    }


def _profile_dict(country: Country) -> dict | None:
    profile = (CountryProfile.objects.filter(country=country).select_related("source__document")
               .first())
    if profile is None:
        return None
    return {"summary": profile.summary, "history": profile.history, "context": profile.context,
            "embassy_service": profile.embassy_service, "source": source_dict(profile.source)}


def _published_for(published, dimension: str, value: str) -> list[dict]:
    return [_figure_dict(x) for x in published
            if x.metric == "active_partnerships" and x.dimension == dimension
            and x.dimension_value == value]


def _area_labels(pairs) -> list[tuple]:
    names = {a.code: a.display_name for a in AdministrativeArea.objects.filter(
        code__in=[v for v, _ in pairs])}
    return [(v, names.get(v, v), n) for v, n in pairs]


def _area_label(code: str) -> str:
    area = AdministrativeArea.objects.filter(code=code).first()
    return area.display_name if area else code


def _side_by_side(counted: list[tuple], published, dimension: str, label_of) -> list[dict]:
    """One row per value, counted by the atlas and (if a document gives it) published."""
    rows = {v: {"value": v, "label": label, "counted": n, "published": None}
            for v, label, n in counted}
    for x in published:
        if x.metric != "active_partnerships" or x.dimension != dimension:
            continue
        row = rows.setdefault(x.dimension_value, {"value": x.dimension_value,
                                                  "label": label_of(x.dimension_value),
                                                  "counted": 0, "published": None})
        row["published"] = _number(x.value)
        row["published_source"] = source_dict(x.source)
    return sorted(rows.values(), key=lambda r: (-r["counted"], r["label"]))


def _list_url(name: str, **params) -> str | None:
    base = _url(name)
    if base is None:
        return None
    return base + "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items())


# --------------------------------------------------------------------------------------
# Home: headline figures, type-ahead search, map
# --------------------------------------------------------------------------------------


def headline_figures() -> dict:
    partnerships = _partnerships_base()
    parties = PartnershipParty.objects.filter(**_public("partnership"))
    return {
        "partnerships": partnerships.count(),
        "active_partnerships": partnerships.filter(status=PartnershipStatus.ACTIVE).count(),
        "projects": Project.objects.filter(**PUBLIC,
                                           is_imported=False).count(),
        "french_authorities": parties.filter(authority__country_id="FR")
        .values("authority_id").distinct().count(),
        "partner_authorities": parties.exclude(authority__country_id="FR")
        .values("authority_id").distinct().count(),
        "countries": parties.exclude(authority__country_id="FR")
        .values("authority__country_id").distinct().count(),
        "programmes": Programme.objects.filter(**PUBLIC, is_open=True).count(),
        "open_partner_requests": PartnerRequest.objects.filter(
            **PUBLIC, status=PartnerRequest.Status.OPEN).count(),
    }


def search_suggest(*, q: str, limit: int = 10) -> list[dict]:
    """Type-ahead over authorities (names, aliases, codes), countries, partnerships, actors.

    Names that start with the query come first; accents and case do not matter.
    """
    words = fold(q or "")[:100].split()
    if not words:
        return []
    limit = max(1, min(int(limit), 50))
    out: list[dict] = []
    authorities = LocalAuthority.objects.select_related("country", "area")
    for word in words:
        authorities = authorities.filter(_authority_name_or_code_q(word))
    head = fold(q)
    starts = Case(When(search_name__startswith=head, then=Value(0)), default=Value(1))
    involved = Case(When(id__in=_involved_authorities().values("id"), then=Value(0)),
                    default=Value(1))
    for a in authorities.order_by(starts, involved, "name")[:limit]:
        code = a.insee_code or a.siren or a.foreign_code or (a.area.code if a.area_id else "")
        out.append({"label": f"{a.name} ({_label(AuthorityKind, a.kind)}, {a.country.name})",
                    "kind": "authority", "code": code,
                    "html_url": _url("atlas:authority", "slug", a.slug)})
    countries = Country.objects.all()
    for word in words:
        countries = countries.filter(Q(slug__contains=slugify(word)) | Q(iso2__iexact=word))
    for c in countries[:3]:
        out.append({"label": c.name, "kind": "country", "code": c.iso2,
                    "html_url": _url("atlas:country", "slug", c.slug)})
    partnerships = _partnerships_base()
    for word in words:
        partnerships = partnerships.filter(slug__contains=slugify(word))
    for p in partnerships.only("slug", "title")[:5]:
        out.append({"label": p.title, "kind": "partnership", "code": p.slug,
                    "html_url": _url("atlas:partnership", "slug", p.slug)})
    organisations = Organisation.objects.filter(**PUBLIC)
    for word in words:
        organisations = organisations.filter(search_name__contains=word)
    for o in organisations[:3]:
        out.append({"label": str(o), "kind": "organisation", "code": o.acronym or o.slug,
                    "html_url": _url("atlas:organisation", "slug", o.slug)})
    return out[:limit]


def _authority_name_or_code_q(word: str) -> Q:
    """Like the list search, without matching every authority of a country by its name."""
    q = _authority_word_q(word)
    if _CODE_WORD.match(word):
        return q
    aliases = AuthorityAlias.objects.filter(search_value__contains=word).values("authority_id")
    return Q(search_name__contains=word) | Q(id__in=aliases)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# Above this many partnerships the map of all countries is drawn as an overview (French
# région × partner country): 10,000 individual links weigh 5 MB, the overview about 200 KB.
MAP_DETAIL_LIMIT = 1500


def partnerships_geojson(*, country: str | None = None, overview: bool | None = None) -> dict:
    """The partnership map's data: detailed per authority, or an overview at large scale.

    Without a country and above MAP_DETAIL_LIMIT partnerships (or with overview=True) the
    links are grouped by French région and partner country; each feature carries `w`, the
    number of partnerships it stands for, and links to the filtered list.
    """
    if overview is None:
        overview = country is None and _partnerships_base().count() > MAP_DETAIL_LIMIT
    if overview and country is None:
        return _partnerships_geojson_overview()
    return _partnerships_geojson_detail(country=country)


def _french_region_area():
    """The région's area of a French authority: its area, or that area's parent (département)."""
    return Case(When(authority__area__level__gte=2, then=F("authority__area__parent_id")),
                default=F("authority__area_id"))


def _partnerships_geojson_overview() -> dict:
    rows = (PartnershipParty.objects.filter(partnership_id__in=_partnerships_base().values("id"))
            .annotate(region_area=_french_region_area())
            .values_list("partnership_id", "authority__country_id", "region_area"))
    french: dict[int, set] = defaultdict(set)
    foreign: dict[int, set] = defaultdict(set)
    for pid, iso, region_area in rows.iterator(chunk_size=5000):
        if iso == "FR":
            if region_area:
                french[pid].add(region_area)
        else:
            foreign[pid].add(iso)
    pairs: dict[tuple, int] = defaultdict(int)
    for pid, regions in french.items():
        for region in regions:
            for iso in foreign.get(pid, ()):
                pairs[(region, iso)] += 1
    areas = {a["id"]: a for a in AdministrativeArea.objects.filter(
        id__in={r for r, _ in pairs}).values("id", "name", "name_fr", "latitude", "longitude")}
    region_codes = dict(LocalAuthority.objects.filter(
        country_id="FR", kind="region", area_id__in=areas, is_synthetic=False)
        .values_list("area_id", "insee_code"))
    countries = {c.iso2: c for c in Country.objects.filter(iso2__in={i for _, i in pairs})}
    list_url = _url("atlas:partnership_list")
    features, weights_fr, weights_xx = [], defaultdict(int), defaultdict(int)
    for (region, iso), n in sorted(pairs.items()):
        area, partner = areas.get(region), countries.get(iso)
        if not area or area["latitude"] is None or not partner or partner.latitude is None:
            continue
        weights_fr[region] += n
        weights_xx[iso] += n
        params = {"country": iso}
        if region_codes.get(region):
            params["french_region"] = region_codes[region]
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
            [_rounded(area["longitude"]), _rounded(area["latitude"])],
            [_rounded(partner.longitude), _rounded(partner.latitude)]]},
            "properties": {"t": f"{area['name_fr'] or area['name']} – {partner.name} ({n})",
                           "u": list_url + "?" + urlencode(params), "w": n}})
    for region, n in weights_fr.items():
        area = areas[region]
        code = region_codes.get(region)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            _rounded(area["longitude"]), _rounded(area["latitude"])]},
            "properties": {"n": f"{area['name_fr'] or area['name']} ({n})", "k": "fr", "c": "FR",
                           "u": list_url + ("?" + urlencode({"french_region": code})
                                            if code else ""), "w": n}})
    for iso, n in weights_xx.items():
        partner = countries[iso]
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            _rounded(partner.longitude), _rounded(partner.latitude)]},
            "properties": {"n": f"{partner.name} ({n})", "k": "partner", "c": iso,
                           "u": _url("atlas:country", "slug", partner.slug), "w": n}})
    return {"type": "FeatureCollection", "overview": True, "features": features,
            "keys": {"t": "title", "u": "html_url", "n": "name", "c": "country", "k": "side",
                     "w": "partnerships"}}


def _partnerships_geojson_detail(*, country: str | None = None) -> dict:
    """Lines between each French party and each foreign party, and a point per authority.

    Short property names keep a big country's map small: t title, u page, s status,
    f French authority, p partner; on points n name, u page, c country, k 'fr'|'partner',
    m number of partnerships. Coordinates are rounded to 4 decimals (about 11 m).
    """
    qs = _partnerships_base()
    if country:
        country_get(iso2=country)
        qs = qs.filter(id__in=PartnershipParty.objects.filter(
            authority__country_id=country.upper()).values("partnership_id"))
    rows = (PartnershipParty.objects.filter(partnership_id__in=qs.values("id"))
            .values_list("partnership_id", "partnership__title", "partnership__slug",
                         "partnership__status", "authority_id", "authority__name",
                         "authority__slug", "authority__country_id",
                         Coalesce("authority__latitude", "authority__area__latitude",
                                  "authority__country__latitude"),
                         Coalesce("authority__longitude", "authority__area__longitude",
                                  "authority__country__longitude"))
            .order_by("partnership_id", "authority_id"))
    partnerships: dict[int, dict] = {}
    points: dict[int, list] = {}
    for pid, title, slug, status, aid, name, aslug, iso, lat, lon in rows.iterator(
            chunk_size=5000):
        entry = partnerships.setdefault(pid, {"t": title, "u": _url("atlas:partnership", "slug",
                                                                    slug),
                                              "s": status, "fr": [], "xx": []})
        if lat is None or lon is None:
            continue
        point = points.get(aid)
        if point is None:
            point = points[aid] = [name, aslug, iso, _rounded(lon), _rounded(lat), 0]
        point[5] += 1
        entry["fr" if iso == "FR" else "xx"].append(aid)
    features = []
    for entry in partnerships.values():
        for fr in entry["fr"]:
            for xx in entry["xx"]:
                a, b = points[fr], points[xx]
                features.append({"type": "Feature", "geometry": {
                    "type": "LineString", "coordinates": [[a[3], a[4]], [b[3], b[4]]]},
                    "properties": {"t": entry["t"], "u": entry["u"], "s": entry["s"],
                                   "f": a[0], "p": b[0]}})
    for name, aslug, iso, lon, lat, n in points.values():
        features.append({"type": "Feature", "geometry": {"type": "Point",
                                                         "coordinates": [lon, lat]},
                         "properties": {"n": name, "u": _url("atlas:authority", "slug", aslug),
                                        "c": iso, "k": "fr" if iso == "FR" else "partner",
                                        "m": n}})
    return {"type": "FeatureCollection", "features": features,
            "keys": {"t": "title", "u": "html_url", "s": "status", "f": "french_authority",
                     "p": "partner_authority", "n": "name", "c": "country",
                     "k": "side", "m": "partnerships"}}
