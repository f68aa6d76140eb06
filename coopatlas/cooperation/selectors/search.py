"""Home: headline figures and type-ahead search."""

from __future__ import annotations

import heapq
import re

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy, pgettext_lazy

from coopatlas.core.freshness import cached_read
from coopatlas.core.search import TRIGRAM
from coopatlas.core.text import fold
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityAlias,
    AuthorityKind,
    LocalAuthority,
)
from coopatlas.geo.selectors import country_search as geo_country_search

from ..models import (
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    PartnershipStatus,
    Programme,
    Project,
)
from ._common import _CODE_WORD, _label, _url
from ._filters import _authority_word_q, title_word_q
from .authorities import involved_authority_ids
from .partnerships import _partnerships_base

# --------------------------------------------------------------------------------------
# Home: headline figures, type-ahead search, map
# --------------------------------------------------------------------------------------


def headline_figures() -> dict:
    """The home page's eight counts: cached under the data stamp (core/freshness.py).

    Not a summary table: the counts depend on publication status, deletion and the parties
    of every record, changed by a dozen write paths; one recount per committed write
    (~0.1 s at national scale) is cheaper than keeping eight counters right everywhere."""
    return cached_read("headline_figures", _headline_figures, per_language=False)  # counts only


def _headline_figures() -> dict:
    partnerships = _partnerships_base()
    parties = PartnershipParty.objects.filter(Partnership.public_q("partnership"))
    return {
        "partnerships": partnerships.count(),
        "active_partnerships": partnerships.filter(status=PartnershipStatus.ACTIVE).count(),
        "projects": Project.objects.atlas().count(),
        "french_authorities": parties.filter(authority__country_id="FR")
        .values("authority_id")
        .distinct()
        .count(),
        "partner_authorities": parties.exclude(authority__country_id="FR")
        .values("authority_id")
        .distinct()
        .count(),
        "countries": parties.exclude(authority__country_id="FR")
        .values("authority__country_id")
        .distinct()
        .count(),
        "programmes": Programme.objects.public().filter(is_open=True).count(),
        "open_partner_requests": PartnerRequest.objects.public()
        .filter(status=PartnerRequest.Status.OPEN)
        .count(),
    }


# Suggestion groups, in the order shown when no group has a better match than another.
SUGGEST_GROUPS = {
    # plural, as the other headings: the navigation's « Pays » is « Countries » in English
    "country": pgettext_lazy("navigation", "Pays"),
    "french_authority": gettext_lazy("Collectivités françaises"),
    "partner_authority": gettext_lazy("Autorités partenaires"),
    "area": gettext_lazy("Territoires"),
    "partnership": gettext_lazy("Partenariats"),
    "organisation": gettext_lazy("Acteurs"),
}
# How many suggestions each group may give at most (the type-ahead shows ten).
_GROUP_QUOTA = {
    "country": 3,
    "french_authority": 5,
    "partner_authority": 5,
    "area": 3,
    "partnership": 3,
    "organisation": 3,
}
EXACT, PREFIX, CONTAINS = 0, 1, 2
# Authorities ranked here per side (French, partner) after the database's first cut by match
# and name: the involved ones come first among these (« mon »: ~1,000 French communes).
CANDIDATES_PER_SIDE = 2000


def search_suggest(*, q: str, limit: int = 10) -> list[dict]:
    """Type-ahead over countries, authorities (names, aliases, codes), partner territories,
    partnerships and actors, grouped by kind.

    Exact names come first, then names that start with the query: within each group, and
    the groups themselves by their best match (so "Mali" puts the country first, "Montreuil"
    the communes). Homonyms say where they are: "Montreuil (93 – Seine-Saint-Denis)".
    Accents and case do not matter. Each suggestion carries `group` and `group_label`.
    Cached under the data stamp: the same prefixes are typed again and again.
    """
    words = fold(q or "")[:100].split()
    if not words:
        return []
    limit = max(1, min(int(limit), 50))
    return cached_read(f"suggest:{limit}:{' '.join(words)}", lambda: _suggest(words, limit))


def _match_rank(folded: str, head: str) -> int:
    if folded == head:
        return EXACT
    return PREFIX if folded.startswith(head) else CONTAINS


def _suggest(words: list[str], limit: int) -> list[dict]:
    head = " ".join(words)
    groups: dict[str, list[tuple[int, dict]]] = {g: [] for g in SUGGEST_GROUPS}
    for item_rank, item in _country_suggestions(words, head):
        groups["country"].append((item_rank, item))
    for item_rank, item in _authority_suggestions(words, head):
        groups[item["group"]].append((item_rank, item))
    for item_rank, item in _area_suggestions(words, head):
        groups["area"].append((item_rank, item))
    # Each word in the folded title or the slug (the state atlas's slugs, « atlas-etat-<prjId> »,
    # name nothing); a word with nothing a slug keeps ("💩", "٣٣", "';--") is looked for in
    # the title only (slug__contains="" matched every partnership).
    partnerships = _partnerships_base()
    for word in words:
        partnerships = partnerships.filter(title_word_q(word))
    for p in partnerships.only("slug", "title").order_by("title")[: _GROUP_QUOTA["partnership"]]:
        groups["partnership"].append(
            (
                _match_rank(fold(p.title), head),
                {
                    "label": p.title,
                    "kind": "partnership",
                    "code": p.slug,
                    "html_url": _url("atlas:partnership", "slug", p.slug),
                },
            )
        )
    organisations = Organisation.objects.public()
    for word in words:
        organisations = organisations.filter(search_name__indexed_contains=word)
    for o in organisations.order_by("name")[: _GROUP_QUOTA["organisation"]]:
        groups["organisation"].append(
            (
                min(_match_rank(fold(o.name), head), _match_rank(fold(o.acronym or ""), head)),
                {
                    "label": str(o),
                    "kind": "organisation",
                    "code": o.acronym or o.slug,
                    "html_url": _url("atlas:organisation", "slug", o.slug),
                },
            )
        )
    order = list(SUGGEST_GROUPS)
    ranked = sorted(
        (g for g in order if groups[g]),
        key=lambda g: (min(r for r, _ in groups[g]), order.index(g)),
    )
    out: list[dict] = []
    for group in ranked:
        items = sorted(groups[group], key=lambda pair: pair[0])  # stable: keeps each query's order
        for _rank, item in items[: _GROUP_QUOTA[group]]:
            item["group"] = group
            item["group_label"] = str(SUGGEST_GROUPS[group])
            out.append(item)
    return out[:limit]


def _country_suggestions(words: list[str], head: str) -> list[tuple[int, dict]]:
    # geo's ranks are the same three steps as EXACT, PREFIX, CONTAINS here.
    return [
        (
            rank,
            {
                "label": c.name,
                "kind": "country",
                "code": c.iso2,
                "html_url": _url("atlas:country", "slug", c.slug),
            },
        )
        for rank, c in geo_country_search(q=head, limit=_GROUP_QUOTA["country"])
    ]


def _authority_suggestions(words: list[str], head: str) -> list[tuple[int, dict]]:
    """Five per side (French, partner), by match (exact, prefix, contains), then the
    authorities the atlas has something about, then name. The matches come from the search
    index as a few small columns; the ranking is done here against the per-stamp set of
    involved authorities, and only the chosen rows are read whole."""
    # The longest word narrows through the search index; a word too short for it (« le »)
    # is checked on the rows found, instead of an index-less scan of every authority.
    narrowing = max(words, key=len)
    row_checks = len(narrowing) >= TRIGRAM and not _CODE_WORD.match(narrowing)
    matches = LocalAuthority.objects.order_by()
    for word in words:
        if row_checks and len(word) < TRIGRAM and not _CODE_WORD.match(word):
            matches = matches.filter(_authority_name_or_alias_row_q(word))
        else:
            matches = matches.filter(_authority_name_or_code_q(word))
    rank = Case(
        When(search_name=head, then=Value(EXACT)),
        When(search_name__startswith=head, then=Value(PREFIX)),
        default=Value(CONTAINS),
    )
    # The first CANDIDATES_PER_SIDE of each side by match and name, numbered by the
    # database: « syn » matched 146,000 synthetic authorities at 10x, all sent here to keep 5.
    french = ExpressionWrapper(Q(country_id="FR"), output_field=BooleanField())
    place = Window(RowNumber(), partition_by=[french], order_by=[F("rank").asc(), F("name").asc()])
    candidates = matches.annotate(rank=rank, place=place).filter(place__lte=CANDIDATES_PER_SIDE)
    involved = involved_authority_ids()
    per_side = max(_GROUP_QUOTA["french_authority"], _GROUP_QUOTA["partner_authority"])
    sides: dict[bool, list[tuple]] = {True: [], False: []}
    for pk, country_id, match_rank, name in candidates.values_list("id", "country_id", "rank", "name"):
        sides[country_id == "FR"].append((match_rank, pk not in involved, name, pk))
    chosen = {is_french: heapq.nsmallest(per_side, rows) for is_french, rows in sides.items()}
    by_id = LocalAuthority.objects.select_related("country", "area", "parent").in_bulk(
        [key[-1] for rows in chosen.values() for key in rows]
    )
    out = []
    for is_french in (True, False):
        for match_rank, _not_involved, _name, pk in chosen[is_french]:
            a = by_id[pk]
            code = a.insee_code or a.siren or a.foreign_code or (a.area.code if a.area_id else "")
            out.append(
                (
                    match_rank,
                    {
                        "label": authority_label(a),
                        "kind": "authority",
                        "group": "french_authority" if is_french else "partner_authority",
                        "code": code,
                        "html_url": _url("atlas:authority", "slug", a.slug),
                    },
                )
            )
    return out


def authority_label(a: LocalAuthority) -> str:
    """A name a person can tell from its homonyms: « Montreuil (93 – Seine-Saint-Denis) »,
    « Bretagne (Région) », « Kayes (Cercle, Kayes, Mali) »."""
    kind = _label(AuthorityKind, a.kind)
    if a.country_id == "FR":
        parent = a.parent if a.parent_id else None
        if parent is not None and parent.kind == AuthorityKind.DEPARTEMENT:
            where = f"{parent.insee_code} – {parent.name}"
            return f"{a.name} ({where})" if a.kind == AuthorityKind.COMMUNE else f"{a.name} ({kind}, {where})"
        if a.kind == AuthorityKind.DEPARTEMENT and a.insee_code:
            return f"{a.name} ({kind}, {a.insee_code})"
        return f"{a.name} ({kind})"
    parts = [kind]
    if a.area_id and a.area.display_name != a.name:
        parts.append(a.area.display_name)
    parts.append(a.country.name)
    return f"{a.name} ({', '.join(parts)})"


def _area_suggestions(words: list[str], head: str) -> list[tuple[int, dict]]:
    """Partner territories (ISO 3166-2 areas abroad): their page gathers their partnerships."""
    areas = AdministrativeArea.objects.exclude(country_id="FR").select_related("country")
    for word in words:
        areas = areas.filter(search_name__indexed_contains=word)
    rank = Case(
        When(search_name=head, then=Value(EXACT)),
        When(search_name__startswith=head, then=Value(PREFIX)),
        default=Value(CONTAINS),
    )
    # Each word must start a word of the name: « mali » is not « Nord » because its Arabic
    # name holds « shamali ». The index narrows, this keeps what a person meant.
    starts = [re.compile(rf"(?:^|[^a-z0-9]){re.escape(w)}") for w in words]
    candidates = areas.annotate(rank=rank).order_by("rank", "level", "code")[: _GROUP_QUOTA["area"] * 10]
    rows = [a for a in candidates if all(s.search(a.search_name) for s in starts)][: _GROUP_QUOTA["area"]]
    return [
        (
            a.rank,
            {
                "label": f"{a.display_name} ({a.country.name})",
                "kind": "area",
                "code": a.code,
                "html_url": _url("atlas:area", "code", a.code),
            },
        )
        for a in rows
    ]


def _authority_name_or_alias_row_q(word: str) -> Q:
    """A short word (under TRIGRAM letters) in an authority's name or one of its aliases,
    tested on the rows another word found (no index answers it)."""
    aliases = AuthorityAlias.objects.filter(search_value__contains=word).order_by().values("authority_id")
    return Q(search_name__contains=word) | Q(id__in=aliases)


def _authority_name_or_code_q(word: str) -> Q:
    """Like the list search, without matching every authority of a country by its name."""
    return _authority_word_q(word, countries=False)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
