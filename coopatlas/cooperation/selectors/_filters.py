"""Filters shared by the lists and pagination (each builds `id IN (subquery)` conditions)."""

from __future__ import annotations

from math import ceil

from django.db.models import (
    Case,
    CharField,
    F,
    OrderBy,
    Q,
    QuerySet,
    When,
)
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.cooperation.filters import AtlasFilters, cursor_decode, cursor_encode
from coopatlas.core.errors import AppError
from coopatlas.core.freshness import count_once, read_once, rows_of_ids
from coopatlas.geo.models import (
    AuthorityAlias,
    LocalAuthority,
)

from ._common import _CODE_WORD, _p
from ._sources import sources_for

# --------------------------------------------------------------------------------------
# Filters shared by the lists (each builds `id IN (subquery)` conditions)
# --------------------------------------------------------------------------------------


def slug_word_q(word: str, field: str = "slug") -> Q:
    """A folded word of `q` against a slug (on the search index where it has one). A word
    with nothing a slug keeps ("💩", "٣٣", "';--") matches no slug: `contains=""` matched
    every row, so such a `q=` listed everything (the Q below is empty, dropped from an OR)."""
    slug = slugify(word)
    return Q(**{f"{field}__indexed_contains": slug}) if slug else Q(pk__in=[])


def title_word_q(word: str) -> Q:
    """A folded word of `q` in a record's folded title or its slug (both on the search
    index, core/search.py): the one rule for partnerships, projects and programmes, in the
    public lists, the type-ahead and the editor's pickers."""
    return Q(search_text__indexed_contains=word) | slug_word_q(word)


def _authority_word_q(word: str, prefix: str = "", *, countries: bool = True) -> Q:
    """One folded word against an authority's name, aliases, codes and (with `countries`)
    its country's name: every authority of « Mali » for « mali »."""
    if _CODE_WORD.match(word):
        codes = [word, word.upper()]
        aliases = AuthorityAlias.objects.filter(kind=AuthorityAlias.Kind.FORMER_CODE, value__in=codes).values(
            "authority_id"
        )
        return (
            Q(**{_p(prefix, "insee_code__in"): codes})
            | Q(**{_p(prefix, "siren"): word})
            | Q(**{_p(prefix, "id__in"): aliases})
        )
    return Q(**{_p(prefix, "id__in"): authority_word_ids(word, countries=countries)})


def authority_word_ids(word: str, *, countries: bool = True) -> QuerySet:
    """The ids of the authorities whose folded name, an alias or (with `countries`) their
    country's slug holds the word: one UNION of the indexed matches. An OR of the name's
    LIKE, the alias IN and the country's LIKE read every authority row joined to its
    country (PostgreSQL 10x « saint »: 34 ms for the word alone; the lists paid it in each
    of their three reads of the filter); the UNION reads the name and alias indexes."""
    named = LocalAuthority.objects.filter(search_name__indexed_contains=word).order_by().values("id")
    aliases = AuthorityAlias.objects.filter(search_value__indexed_contains=word)
    parts = [aliases.order_by().values("authority_id")]
    slug = slugify(word)  # a word with nothing a slug keeps names no country (slug_word_q)
    if countries and slug:
        parts.append(
            LocalAuthority.objects.filter(country__slug__indexed_contains=slug).order_by().values("id")
        )
    return named.union(*parts)


def _authority_place_qs(f: AtlasFilters, prefix: str = "") -> list[Q]:
    """Where an authority is: country, partner area (ISO 3166-2), French région/département."""
    out = []
    if f.country:
        out.append(Q(**{_p(prefix, "country_id"): f.country}))
    if f.area:
        out.append(
            Q(**{_p(prefix, "area__code"): f.area})
            | Q(**{_p(prefix, "area__parent__code"): f.area})
            | Q(**{_p(prefix, "area__parent__parent__code"): f.area})
        )
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
        q &= Q(**{f"{end}__gte": f.year_from}) | Q(**{f"{end}__isnull": True, f"{start}__isnull": False})
    return q


EXPORT_CHUNK = 200
FACET_ID_LIST_MAX = 500


def _order_keys(qs: QuerySet) -> list[tuple[str, bool, bool]]:
    """(field path, descending, nulls last) of each ORDER BY term of a list's queryset."""
    keys = []
    for term in qs.query.order_by:
        if isinstance(term, str):
            keys.append((term.lstrip("-"), term.startswith("-"), False))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            keys.append((term.expression.name, term.descending, bool(term.nulls_last)))
        else:
            raise TypeError(f"keyset pagination cannot follow {term!r}")
    return keys


def _row_value(row, path: str):
    for part in path.split("__"):
        row = getattr(row, part, None) if row is not None else None
    return row


def _keyset_q(keys: list[tuple[str, bool, bool]], values: list) -> Q:
    """Rows strictly after `values` in the order `keys`: (k1 > v1) or (k1 = v1 and k2 > v2)…

    A nulls-last key (start_year) sorts NULL after every value: after a value comes a
    smaller value or NULL; after NULL only other NULLs (then the next keys decide)."""
    out, equal = Q(pk__in=[]), Q()
    for (path, desc, nulls_last), value in zip(keys, values, strict=True):
        if value is None:
            beyond, same = Q(pk__in=[]), Q(**{f"{path}__isnull": True})
        else:
            beyond = Q(**{f"{path}__{'lt' if desc else 'gt'}": value})
            if nulls_last:
                beyond |= Q(**{f"{path}__isnull": True})
            same = Q(**{path: value})
        out |= equal & beyond
        equal &= same
    return out


def _cursor_of(row, keys) -> str:
    return cursor_encode([_row_value(row, path) for path, _desc, _nulls in keys])


class StreamedRows:
    """Every match of a list, read EXPORT_CHUNK rows at a time each time it is iterated:
    a full CSV export holds one chunk in memory, not the list (issue 15).

    In chunks also because SQLite plans a prefetch with thousands of ids as a nested loop
    over every authority (minutes at national scale); 200 ids keep the good plan."""

    def __init__(self, qs: QuerySet, count: int, shape=None):
        self.qs, self.count, self.shape = qs, count, shape

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        for offset in range(0, self.count, EXPORT_CHUNK):
            for row in sources_for(self.qs[offset : offset + EXPORT_CHUNK]):
                yield self.shape(row) if self.shape else row

    def map(self, shape) -> StreamedRows:
        return StreamedRows(self.qs, self.count, shape)


def summaries(shape, rows):
    """A page's rows shaped into their summaries: a list, or a StreamedRows for an export."""
    return rows.map(shape) if isinstance(rows, StreamedRows) else [shape(row) for row in rows]


def _paginate(qs: QuerySet, f: AtlasFilters, all_rows: bool) -> tuple[int, list, dict]:
    count = count_once(qs)
    if f.after and not all_rows:
        return _paginate_keyset(qs, f, count)
    if all_rows:
        return count, StreamedRows(qs, count), {"page": 1, "page_size": count, "num_pages": 1}
    num_pages = max(1, ceil(count / f.page_size))
    offset = (f.page - 1) * f.page_size
    ids_qs = qs.values_list("pk", flat=True)[offset : offset + f.page_size]
    rows = rows_of_ids(qs, ids_qs) if offset < count else []
    sources_for(rows)
    more = offset + len(rows) < count
    next_after = _cursor_of(rows[-1], _order_keys(qs)) if rows and more else None
    return (
        count,
        rows,
        {"page": f.page, "page_size": f.page_size, "num_pages": num_pages, "next_after": next_after},
    )


def _paginate_keyset(qs: QuerySet, f: AtlasFilters, count: int) -> tuple[int, list, dict]:
    keys = _order_keys(qs)
    values = cursor_decode(f.after) or []
    if len(values) != len(keys):
        raise AppError(
            _("« after » : ce curseur vient d'une autre liste ; retirez-le pour revenir à la première page."),
            field="after",
        )
    ids_qs = qs.filter(_keyset_q(keys, values)).values_list("pk", flat=True)[: f.page_size + 1]
    rows = rows_of_ids(qs, ids_qs)
    more = len(rows) > f.page_size
    rows = rows[: f.page_size]
    sources_for(rows)
    num_pages = max(1, ceil(count / f.page_size))
    next_after = _cursor_of(rows[-1], keys) if rows and more else None
    return (
        count,
        rows,
        {"page": f.page, "page_size": f.page_size, "num_pages": num_pages, "next_after": next_after},
    )


def _facet_ids(qs: QuerySet, count: int):
    """The matching ids for the facet queries: a short list when the filters are selective
    (the filter subquery then runs once, not once per facet), else the subquery itself."""
    if count <= FACET_ID_LIST_MAX:
        ids = qs.values_list("id", flat=True)
        return read_once("facet-ids", ids, lambda: list(ids), [])
    return qs.values("id")


def facet_key(f: AtlasFilters) -> str:
    """Facets depend on the filters, not on the page: deep pages share them."""
    return repr(sorted(f.replace(page=1, page_size=1, after="").as_params().items()))


def _list_result(count, page_info, results, facets, f: AtlasFilters) -> dict:
    return {"count": count, **page_info, "filters": f.as_params(), "results": results, "facets": facets}
