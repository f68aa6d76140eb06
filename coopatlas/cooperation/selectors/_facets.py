"""Facets: GROUP BY queries over the filtered ids."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from coopatlas.core.freshness import read_once
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityKind,
    Country,
    LocalAuthority,
)
from coopatlas.reference.models import Theme

from ._common import FACET_LIMIT, _country_name_field, _label, _p
from ._filters import _french_ancestor_code, _level1_area_code

# --------------------------------------------------------------------------------------
# Facets: GROUP BY queries over the filtered ids
# --------------------------------------------------------------------------------------


def _rows_once(rows: QuerySet) -> list[dict]:
    """A facet's GROUP BY rows, read once per data stamp for both languages: only the
    labels put on them are in a language."""
    return read_once("facet-rows", rows, lambda: list(rows), [])


def _facet_choice(qs: QuerySet, field: str, choices) -> list[dict]:
    rows = _rows_once(qs.order_by().values(field).annotate(n=Count("id")))
    out = [
        {"value": r[field], "label": _label(choices, r[field]), "count": r["n"]}
        for r in rows
        if r[field] not in (None, "")
    ]
    return sorted(out, key=lambda r: (-r["count"], r["label"]))


def _facet_grouped(rows_qs: QuerySet, value_expr, count_field: str, limit: int | None = None):
    rows = (
        rows_qs.order_by()
        .annotate(v=value_expr)
        .exclude(v__isnull=True)
        .values("v")
        .annotate(n=Count(count_field, distinct=True))
        .order_by("-n", "v")
    )
    rows = _rows_once(rows[:limit] if limit else rows)
    return [(r["v"], r["n"]) for r in rows]


def _facet_countries(rows_qs, field: str, count_field: str, *, exclude_fr: bool = True):
    qs = rows_qs.exclude(**{field: "FR"}) if exclude_fr else rows_qs
    return _country_options(_facet_grouped(qs, F(field), count_field))


def _country_options(pairs: list[tuple]) -> list[dict]:
    """(iso2, count) pairs as a facet's options, named in the page's language."""
    names = dict(
        Country.objects.filter(iso2__in=[v for v, _ in pairs]).values_list("iso2", _country_name_field())
    )
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _facet_areas(rows_qs, area_prefix: str, count_field: str, exclude_fr_field: str | None):
    qs = rows_qs.exclude(**{exclude_fr_field: "FR"}) if exclude_fr_field else rows_qs
    return _area_options(_facet_grouped(qs, _level1_area_code(area_prefix), count_field, FACET_LIMIT))


def _area_options(pairs: list[tuple]) -> list[dict]:
    """(level-1 area code, count) pairs as a facet's options, with the areas' names."""
    names = {
        a.code: a.display_name for a in AdministrativeArea.objects.filter(code__in=[v for v, _ in pairs])
    }
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _french_options(pairs: list[tuple], kind: str) -> list[dict]:
    """(INSEE code, count) pairs of French régions or départements as a facet's options."""
    names = dict(
        LocalAuthority.objects.filter(
            country_id="FR", kind=kind, insee_code__in=[v for v, _ in pairs]
        ).values_list("insee_code", "name")
    )
    return [{"value": v, "label": names.get(v, v), "count": n} for v, n in pairs]


def _facet_authority_kinds(rows_qs, field: str, count_field: str) -> list[dict]:
    return _kind_options(_facet_grouped(rows_qs, F(field), count_field))


def _kind_options(pairs: list[tuple]) -> list[dict]:
    return [{"value": v, "label": _label(AuthorityKind, v), "count": n} for v, n in pairs]


def _french_kind_pairs(rows_qs, prefix: str, count_field: str) -> list[tuple]:
    """The kinds of the French authorities among the rows (a list's « type de collectivité »).

    The French side is a conditional count, not a WHERE: SQLite's planner (no STAT4, one
    average per index) took `country_id = 'FR'` for a selective index (182,864 authorities
    over 144 countries: 1,270 a country on average; France holds 83,916 at 10x) and drove
    the join from every French authority to the links of the list's few hundred records:
    4.9 s for the partnerships matching « saint » at 10x. Counted over the records' links
    first, the same answer takes milliseconds on both databases."""
    french = Q(**{_p(prefix, "country_id"): "FR"})
    rows = (
        rows_qs.order_by()
        .exclude(**{_p(prefix, "kind__isnull"): True})
        .values(v=F(_p(prefix, "kind")))
        .annotate(n=Count(count_field, distinct=True, filter=french))
        .filter(n__gt=0)
        .order_by("-n", "v")
    )
    return [(r["v"], r["n"]) for r in _rows_once(rows)]


# Up to this many records, a list's link facets come from one read of the distinct
# (record, place) rows; above, from one GROUP BY each. Measured at 10x (facets of one list,
# five GROUP BYs -> one read): Sénégal's 23,368 partnerships 703 -> 322 ms on SQLite and
# 948 -> 630 ms on PostgreSQL; 62,627 active ones 1,136 -> 1,027 / 1,060 -> 1,039 ms; the
# whole list (104,017) 1,016 -> 1,586 ms on PostgreSQL, as the rows then cost more to
# bring over than the GROUP BYs do to run (the whole lists are warmed: ops/warm.py).
LINK_FACETS_ONE_READ_MAX = 40_000
FACETS_OF_LINKS = ("country", "area", "french_region", "french_departement", "kind")


def facets_of_links(links: QuerySet, prefix: str, owner: str, count: int, *, partner_side: bool = True):
    """The facets a list draws from its records' links to authorities: the French
    région, département and kind, and with `partner_side` the partner country and level-1
    area. (value, count of distinct records) pairs per facet, biggest first.

    Each GROUP BY runs the filter again, so up to LINK_FACETS_ONE_READ_MAX records one read
    of the distinct (record, place) rows is counted here instead: the same answers (checked
    against the GROUP BYs on both 10x stores, and in the tests)."""
    if count > LINK_FACETS_ONE_READ_MAX:
        return _facets_of_links_grouped(links, prefix, owner, partner_side=partner_side)
    rows = (
        links.order_by()
        .values_list(
            owner,
            _p(prefix, "country_id"),
            _level1_area_code(_p(prefix, "area")) if partner_side else Value(None, output_field=CharField()),
            _french_ancestor_code(prefix, "region", depth=3),
            _french_ancestor_code(prefix, "departement", depth=2),
            _p(prefix, "kind"),
        )
        .distinct()
    )
    rows = read_once("link-facet-rows", rows, lambda: list(rows), [])
    names = FACETS_OF_LINKS if partner_side else FACETS_OF_LINKS[2:]
    owners: dict[str, dict] = {name: defaultdict(set) for name in names}
    for record, iso2, area, region, departement, kind in rows:
        if iso2 != "FR":
            if partner_side:
                owners["country"][iso2].add(record)
                if area is not None:
                    owners["area"][area].add(record)
            continue
        for name, value in (("french_region", region), ("french_departement", departement), ("kind", kind)):
            if value is not None:
                owners[name][value].add(record)
    return {name: ranked({v: len(ids) for v, ids in by_value.items()}) for name, by_value in owners.items()}


def ranked(counts: dict) -> list[tuple]:
    """Counts counted in Python as (value, count) pairs in the GROUP BYs' order: biggest
    first, then by value (`_facet_grouped`'s ORDER BY -n, v)."""
    return sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))


def _facets_of_links_grouped(links: QuerySet, prefix: str, owner: str, *, partner_side: bool):
    country = _p(prefix, "country_id")
    french = links.filter(**{country: "FR"})
    out = {
        "french_region": _facet_grouped(french, _french_ancestor_code(prefix, "region", depth=3), owner),
        "french_departement": _facet_grouped(
            french, _french_ancestor_code(prefix, "departement", depth=2), owner
        ),
        "kind": _french_kind_pairs(links, prefix, owner),
    }
    if partner_side:
        partner = links.exclude(**{country: "FR"})
        out["country"] = _facet_grouped(partner, F(country), owner)
        out["area"] = _facet_grouped(partner, _level1_area_code(_p(prefix, "area")), owner)
    return out


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
    return [
        {
            "value": t.slug,
            "label": t.name,
            "count": counts[t.id],
            "level": t.level,
            "parent": themes_by_id[t.parent_id].slug if t.parent_id in themes_by_id else None,
        }
        for t in ordered
        if counts.get(t.id)
    ]


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
    out = [{"value": v, "label": f"ODD {v} – {names.get(v, '')}".strip(" –"), "count": n} for v, n in pairs]
    return sorted(out, key=lambda r: r["value"])
