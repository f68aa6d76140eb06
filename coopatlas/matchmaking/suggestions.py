"""Suggestions that explain themselves (issue 14).

For a French authority: foreign authorities (those with open requests first among equals),
countries, programmes to join and open calls; for a foreign authority's request: the French
authorities most likely to answer. Every suggestion carries its reasons.

The ranking is a weighted sum of a few features, each between 0 and 1, whose weights live
in data/suggestion_weights.yaml. It reads one in-memory `Graph` of who works with whom
(live partnerships), built from a handful of flat queries and cached per process until a
partnership or a request changes; the offline evaluation builds the same graph with some
partnerships hidden (evaluate.py).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from coopatlas.cooperation.models import PartnerRequest, Partnership, PartnershipParty, Programme
from coopatlas.core.errors import AppError
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority

WEIGHTS_FILE = Path(__file__).parent / "data" / "suggestion_weights.yaml"


@cache
def weights() -> dict:
    with WEIGHTS_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------- the graph


@dataclass
class Auth:
    id: int
    name: str
    slug: str
    country: str
    area: int | None
    kind: str
    population: int | None


@dataclass
class Graph:
    """Who works with whom, and the counts the features read. French-side aggregates are
    keyed by département (`dept`), région (`region`) and "kind and size" group (`group`)."""

    auths: dict[int, Auth]
    pairs: list[tuple[int, int]]  # (French, foreign)
    themes: dict[int, set[int]]  # authority -> root theme ids (its partnerships, its requests)
    requests: dict[int, list[int]]  # foreign authority -> open request ids
    request_themes: dict[int, set[int]]
    area_parent: dict[int, int | None]
    area_level: dict[int, int]
    candidates: list[int] = field(default_factory=list)  # foreign authorities one may suggest
    fr_partners: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    fx_partners: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_dept: dict = field(default_factory=lambda: defaultdict(Counter))  # dept -> Counter(country)
    by_region: dict = field(default_factory=lambda: defaultdict(Counter))
    by_group: dict = field(default_factory=lambda: defaultdict(Counter))
    prior: Counter = field(default_factory=Counter)
    dept_areas: dict = field(default_factory=lambda: defaultdict(Counter))  # dept -> Counter(foreign area)
    region_areas: dict = field(default_factory=lambda: defaultdict(Counter))
    dept_foreign: dict = field(default_factory=lambda: defaultdict(Counter))  # dept -> Counter(foreign id)
    region_foreign: dict = field(default_factory=lambda: defaultdict(Counter))
    fr_by_country: dict = field(default_factory=lambda: defaultdict(Counter))  # country -> Counter(French)
    fr_by_area: dict = field(default_factory=lambda: defaultdict(Counter))
    pair_themes: dict = field(default_factory=dict)  # (French, foreign) -> root themes
    theme_country: dict = field(default_factory=lambda: defaultdict(Counter))  # theme -> Counter(country)

    def __post_init__(self) -> None:
        for fr, fx in self.pairs:
            self._add(fr, fx)
            if fx in self.auths:
                for t in self.pair_themes.get((fr, fx), ()):
                    self.theme_country[t][self.auths[fx].country] += 1
        cands = {fx for _fr, fx in self.pairs} | set(self.requests)
        self.candidates = sorted(cands)
        self.max_degree = max((len(v) for v in self.fx_partners.values()), default=1) or 1
        self.max_fr_degree = max((len(v) for v in self.fr_partners.values()), default=1) or 1

    # French side: département and région from the authority's area (a commune lies in
    # a département, level 2; a région is level 1).
    def dept(self, fr: int) -> int | None:
        area = self.auths[fr].area
        return area if area is not None and self.area_level.get(area) == 2 else None

    def region(self, fr: int) -> int | None:
        area = self.auths[fr].area
        if area is None:
            return None
        return self.area_parent.get(area) if self.area_level.get(area) == 2 else area

    def group(self, fr: int) -> tuple:
        a = self.auths[fr]
        return (a.kind, int(math.log10(a.population)) if a.population else None)

    def _add(self, fr: int, fx: int) -> None:
        if fr not in self.auths or fx not in self.auths:
            return
        country, area = self.auths[fx].country, self.auths[fx].area
        self.fr_partners[fr].add(fx)
        self.fx_partners[fx].add(fr)
        self.prior[country] += 1
        self.by_group[self.group(fr)][country] += 1
        self.fr_by_country[country][fr] += 1
        if area is not None:
            self.fr_by_area[area][fr] += 1
        for key, countries, areas, foreign in (
            (self.dept(fr), self.by_dept, self.dept_areas, self.dept_foreign),
            (self.region(fr), self.by_region, self.region_areas, self.region_foreign),
        ):
            if key is None:
                continue
            countries[key][country] += 1
            foreign[key][fx] += 1
            if area is not None:
                areas[key][area] += 1


def _root_theme(theme_id: int, parents: dict[int, int | None]) -> int:
    seen = 0
    while parents.get(theme_id) and seen < 5:
        theme_id, seen = parents[theme_id], seen + 1
    return theme_id


def graph_rows(*, synthetic: bool | None = None) -> dict:
    """The flat rows a graph is built from (live partnerships with a French and a foreign
    party). `synthetic` keeps only synthetic (True) or only real (False) partnerships."""
    from coopatlas.reference.models import Theme

    # Only what the public may see feeds the ranking (its reasons must not reveal drafts).
    parties = PartnershipParty.objects.filter(Partnership.public_q("partnership"))
    if synthetic is not None:
        parties = parties.filter(partnership__is_synthetic=synthetic)
    rows = list(parties.values_list("partnership_id", "authority_id", "authority__country_id"))
    by_partnership: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for pid, aid, country in rows:
        by_partnership[pid][0 if country == "FR" else 1].append(aid)
    open_requests = PartnerRequest.objects.public().filter(
        status__in=(PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS)
    )
    if synthetic is not None:
        open_requests = open_requests.filter(is_synthetic=synthetic)
    requests: dict[int, list[int]] = defaultdict(list)
    for rid, aid in open_requests.values_list("id", "authority_id"):
        requests[aid].append(rid)
    auths = {
        r[0]: Auth(*r)
        for r in LocalAuthority.objects.filter(
            Q(pk__in=parties.values("authority_id")) | Q(pk__in=open_requests.values("authority_id"))
        ).values_list("id", "name", "slug", "country_id", "area_id", "kind", "population")
    }
    parents = dict(Theme.objects.values_list("id", "parent_id"))
    partnership_themes: dict[int, set[int]] = defaultdict(set)
    qs = Partnership.themes.through.objects.filter(Partnership.public_q("partnership"))
    if synthetic is not None:
        qs = qs.filter(partnership__is_synthetic=synthetic)
    for pid, tid in qs.values_list("partnership_id", "theme_id"):
        partnership_themes[pid].add(_root_theme(tid, parents))
    # Themes per pair, so that hiding a partnership hides its themes too.
    pair_themes: dict[tuple[int, int], set[int]] = defaultdict(set)
    for pid, (fr_list, fx_list) in by_partnership.items():
        for fr in fr_list:
            for fx in fx_list:
                pair_themes[(fr, fx)] |= partnership_themes.get(pid, set())
    request_themes: dict[int, set[int]] = defaultdict(set)
    for rid, tid in PartnerRequest.themes.through.objects.filter(
        partnerrequest_id__in=open_requests.values("id")
    ).values_list("partnerrequest_id", "theme_id"):
        request_themes[rid].add(_root_theme(tid, parents))
    area_parent, area_level = {}, {}
    for aid, parent, level in AdministrativeArea.objects.filter(
        pk__in=LocalAuthority.objects.filter(pk__in=parties.values("authority_id")).values("area_id")
    ).values_list("id", "parent_id", "level"):
        area_parent[aid], area_level[aid] = parent, level
    return {
        "auths": auths,
        "pairs": sorted(pair_themes),
        "pair_themes": dict(pair_themes),
        "requests": dict(requests),
        "request_themes": dict(request_themes),
        "area_parent": area_parent,
        "area_level": area_level,
    }


def graph_build(rows: dict, *, hidden: Iterable[tuple[int, int]] = ()) -> Graph:
    """The graph of `rows` without the `hidden` pairs (their themes hidden too); a hidden
    partner stays a candidate, as a known authority of the atlas."""
    hidden = set(hidden)
    pairs = [p for p in rows["pairs"] if p not in hidden]
    themes: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        t = rows["pair_themes"].get(pair)
        if t:
            themes[pair[0]] |= t
            themes[pair[1]] |= t
    for aid, rids in rows["requests"].items():
        for rid in rids:
            themes[aid] |= rows["request_themes"].get(rid, set())
    graph = Graph(
        auths=rows["auths"],
        pairs=pairs,
        themes=themes,
        requests=rows["requests"],
        request_themes=rows["request_themes"],
        area_parent=rows["area_parent"],
        area_level=rows["area_level"],
        pair_themes={p: rows["pair_themes"][p] for p in pairs if p in rows["pair_themes"]},
    )
    if hidden:
        graph.candidates = sorted(set(graph.candidates) | {fx for _fr, fx in hidden if fx in rows["auths"]})
    return graph


_graph_cache: dict = {}


def _stamp() -> tuple:
    p = Partnership.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    r = PartnerRequest.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (p["n"], p["t"], r["n"], r["t"], PartnershipParty.objects.count())


def graph() -> Graph:
    """The live graph, rebuilt when a partnership or a request changed."""
    stamp = _stamp()
    if _graph_cache.get("stamp") != stamp:
        _graph_cache.update(stamp=stamp, graph=graph_build(graph_rows()))
    return _graph_cache["graph"]


# --------------------------------------------------------------------------- ranking
#
# Both rankings are log-linear: a score is the sum of weight × feature, the weights are in
# the data file, fitted by `coopatlas fit-suggestions` (fit.py) on a training split of the
# known partnerships. The popularity baseline is one of the features (weight 1 for the
# national spread of countries, `popularity` for an authority's French partners); every
# other weight is ≥ 0 and starts at 0, so the fitting starts from the baseline and only
# keeps what adds to it on the training split.

COUNTRY_FEATURES = ("own", "departement", "region", "similar", "co_partners", "themes")
PARTNER_FEATURES = (
    "country",
    "popularity",
    "area_own",
    "area_near",
    "neighbour_partner",
    "co_partner",
    "themes",
    "kind",
    "size",
    "open_request",
)


def _lift(level: Counter, c: str, p: float, a: float) -> float:
    """How much more often than nationally a circle works in country `c`: the log of its
    smoothed share over the national share (0 for a circle with no partnership)."""
    n = sum(level.values())
    if not n:
        return 0.0
    return math.log((level.get(c, 0) + a * p) / (n + a)) - math.log(p)


def co_partners(g: Graph, fr: int) -> set[int]:
    """French authorities sharing at least one foreign partner with `fr` (its partners'
    other French partners: "authorities like you")."""
    out: set[int] = set()
    for fx in g.fr_partners.get(fr, ()):
        out |= g.fx_partners.get(fx, set())
    out.discard(fr)
    return out


def country_features(g: Graph, fr: int) -> dict[str, dict[str, float]]:
    """Per country, the features of the country ranking: `prior` (log of the national share
    of French partnerships there, the popularity baseline), `own` (log 1 + its own
    partnerships there), and the lift of each circle around it: its département
    (neighbours), its région (its regional network's territory), the authorities of its
    kind and size, its co-partners, the partnerships sharing its themes."""
    a = weights()["smoothing"]["circle"]
    own = Counter(g.auths[fx].country for fx in g.fr_partners.get(fr, ()))
    co = Counter()
    for other in co_partners(g, fr):
        for fx in g.fr_partners.get(other, ()):
            if fx not in g.fr_partners.get(fr, ()):
                co[g.auths[fx].country] += 1
    my_themes = g.themes.get(fr, set())
    by_theme = Counter()
    for t in my_themes:
        by_theme.update(g.theme_country.get(t, {}))
    for fx in g.fr_partners.get(fr, ()):
        # its own partnerships are `own`, not evidence from others
        for t in g.pair_themes.get((fr, fx), ()):
            if t in my_themes:
                by_theme[g.auths[fx].country] -= 1
    circles = {
        "departement": _minus(g.by_dept.get(g.dept(fr)), own),
        "region": _minus(g.by_region.get(g.region(fr)), own),
        "similar": _minus(g.by_group.get(g.group(fr)), own),
        "co_partners": co,
        "themes": +by_theme,
    }
    total = sum(g.prior.values()) or 1
    smooth = weights()["smoothing"]["prior"]
    out = {}
    # Every candidate's country, even one without a visible partnership (a request only).
    countries = set(g.prior) | set(_by_country(g))
    for c in countries:
        p = (g.prior.get(c, 0) + smooth) / (total + smooth * len(countries))
        f = {"prior": math.log(p)}
        if own.get(c):
            f["own"] = math.log1p(own[c])
        for name, level in circles.items():
            v = _lift(level, c, p, a)
            if v:
                f[name] = v
        out[c] = f
    return out


def _dot(w: dict[str, float], f: dict[str, float]) -> float:
    return sum(w.get(k, 0.0) * v for k, v in f.items())


def country_scores(g: Graph, fr: int, *, w: dict | None = None) -> dict[str, tuple[float, dict[str, float]]]:
    """Per country: its score (the log of a probability, normalised over the countries) and
    the weighted contribution of each feature (its reasons)."""
    w = w or weights()["country"]
    feats = country_features(g, fr)
    raw = {c: _dot(w, f) for c, f in feats.items()}
    top = max(raw.values(), default=0.0)
    log_z = top + math.log(sum(math.exp(v - top) for v in raw.values()) or 1.0)
    out = {}
    for c, f in feats.items():
        parts = {k: w.get(k, 0.0) * v for k, v in f.items() if k != "prior" and w.get(k, 0.0) * v > 0}
        parts["prior"] = math.exp(f["prior"])  # the national share, for the popularity reason
        out[c] = (raw[c] - log_z, parts)
    return out


def _minus(counter: Counter | None, own: Counter) -> Counter:
    """A group's counts without the authority's own partnerships (they are `own`)."""
    if not counter:
        return Counter()
    return counter - own


@dataclass
class Scored:
    id: int
    score: float
    parts: dict[str, float]


def _by_country(g: Graph) -> dict[str, list[int]]:
    """Candidates per country, most partnered first (computed once per graph)."""
    cached = getattr(g, "_by_country", None)
    if cached is None:
        cached = defaultdict(list)
        for fx in sorted(g.candidates, key=lambda x: (-len(g.fx_partners.get(x, ())), x)):
            if fx in g.auths:
                cached[g.auths[fx].country].append(fx)
        g._by_country = cached
        g._by_degree = sorted(
            (fx for fx in g.candidates if fx in g.auths), key=lambda x: (-len(g.fx_partners.get(x, ())), x)
        )
    return cached


@dataclass
class Context:
    """What the partner features of one French authority read, computed once."""

    fr: int
    countries: dict[str, tuple[float, dict]]
    known: set[int]
    own_areas: set
    near_areas: set
    near_foreign: set
    co_foreign: set
    themes: set
    kinds: set
    low: float | None
    high: float | None


def partner_context(
    g: Graph, fr: int, *, country_w: dict | None = None, exclude_known: bool = True
) -> Context:
    me = g.auths[fr]
    ratio = weights()["size_ratio"]
    near_areas, near_foreign = set(), set()
    for key, areas, foreign in (
        (g.dept(fr), g.dept_areas, g.dept_foreign),
        (g.region(fr), g.region_areas, g.region_foreign),
    ):
        if key is not None:
            near_areas |= set(areas.get(key, {}))
            near_foreign |= set(foreign.get(key, {}))
    mine = g.fr_partners.get(fr, set())
    co_foreign = set()
    for other in co_partners(g, fr):
        co_foreign |= g.fr_partners.get(other, set())
    return Context(
        fr=fr,
        countries=country_scores(g, fr, w=country_w),
        known=set(mine) if exclude_known else set(),
        own_areas={g.auths[fx].area for fx in mine if g.auths[fx].area is not None},
        near_areas=near_areas,
        near_foreign=near_foreign,
        co_foreign=co_foreign - mine,
        themes=g.themes.get(fr, set()),
        kinds=set(weights()["kind_pairs"].get(me.kind, ())),
        low=me.population * ratio["low"] if me.population else None,
        high=me.population * ratio["high"] if me.population else None,
    )


def partner_features(g: Graph, ctx: Context, fx: int) -> dict[str, float]:
    b = g.auths[fx]
    f = {"country": ctx.countries[b.country][0]}
    degree = len(g.fx_partners.get(fx, ()))
    if degree:
        f["popularity"] = math.log1p(degree)
    if b.area is not None:
        if b.area in ctx.own_areas:
            f["area_own"] = 1.0
        elif b.area in ctx.near_areas:
            f["area_near"] = 1.0
    if fx in ctx.near_foreign:
        f["neighbour_partner"] = 1.0
    if fx in ctx.co_foreign:
        f["co_partner"] = 1.0
    if ctx.themes:
        shared = len(ctx.themes & g.themes.get(fx, set()))
        if shared:
            f["themes"] = min(shared, 3) / 3
    if b.kind in ctx.kinds:
        f["kind"] = 1.0
    if ctx.low is not None and b.population and ctx.low <= b.population <= ctx.high:
        f["size"] = 1.0
    if fx in g.requests:
        f["open_request"] = 1.0
    return f


def _pool_parts(g: Graph, ctx: Context) -> tuple[list[str], list[int]]:
    """The pool's countries (the best `pool_countries`) and the most partnered candidates
    overall (the popularity baseline's own list), both for `ctx`."""
    n = weights()["limits"]["pool_countries"]
    best = heapq.nsmallest(n, ctx.countries.items(), key=lambda kv: (-kv[1][0], kv[0]))
    _by_country(g)
    extra = []
    for fx in g._by_degree:
        if len(extra) >= 20:
            break
        if fx not in ctx.known:
            extra.append(fx)
    return [c for c, _v in best], extra


def partner_pool(g: Graph, ctx: Context) -> list[int]:
    """The candidates worth scoring: every candidate of the pool's countries (most
    partnered first) and the most partnered ones overall."""
    by_country = _by_country(g)
    countries, extra = _pool_parts(g, ctx)
    pool = [fx for c in countries for fx in by_country.get(c, ())]
    seen = set(pool)
    pool += [fx for fx in extra if fx not in seen]
    return [fx for fx in pool if fx not in ctx.known]


SPARSE = ("area_own", "area_near", "neighbour_partner", "co_partner", "open_request")
DENSE = ("themes", "kind", "size")


def _by_area(g: Graph) -> dict:
    cached = getattr(g, "_by_area", None)
    if cached is None:
        cached = defaultdict(list)
        for fx in g.candidates:
            if fx in g.auths and g.auths[fx].area is not None:
                cached[g.auths[fx].area].append(fx)
        g._by_area = cached
    return cached


def top_partners(g: Graph, ctx: Context, w: dict, k: int) -> list[tuple[float, int, dict]]:
    """The `k` best of `partner_pool` under the weights `w`, without scoring all of it: the
    few candidates a sparse feature names (neighbours' partners, co-partners, same areas,
    open requests) are scored, then each pool country's candidates in order of French
    partners, stopping when even every dense feature (themes, kind, size) could not lift the
    next one above the k-th best. Same result as scoring the whole pool."""
    by_country = _by_country(g)
    countries, extra = _pool_parts(g, ctx)
    allowed = set(countries)
    extra_set = set(extra)
    sparse: set[int] = set()
    if w.get("neighbour_partner"):
        sparse |= ctx.near_foreign
    if w.get("co_partner"):
        sparse |= ctx.co_foreign
    if w.get("open_request"):
        sparse |= set(g.requests)
    areas = (ctx.own_areas if w.get("area_own") else set()) | (
        ctx.near_areas if w.get("area_near") else set()
    )
    if areas:
        index = _by_area(g)
        for area in areas:
            sparse.update(index.get(area, ()))
    heap: list[tuple] = []  # (score, -fx, fx, features): the k best so far, worst first
    done: set[int] = set()

    def consider(fx: int) -> None:
        done.add(fx)
        f = partner_features(g, ctx, fx)
        item = (_dot(w, f), -fx, fx, f)
        if len(heap) < k:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)

    for fx in sparse:
        if fx in g.auths and fx not in ctx.known and (g.auths[fx].country in allowed or fx in extra_set):
            consider(fx)
    dense_max = sum(max(w.get(name, 0.0), 0.0) for name in DENSE)
    w_country, w_pop = w.get("country", 0.0), w.get("popularity", 0.0)
    lists = [(ctx.countries[c][0], by_country.get(c, ())) for c in countries]
    lists.append((None, extra))
    for country_score, fxs in lists:
        for fx in fxs:
            if fx in done or fx in ctx.known:
                continue
            if len(heap) == k:
                cs = country_score if country_score is not None else ctx.countries[g.auths[fx].country][0]
                bound = w_country * cs + w_pop * math.log1p(len(g.fx_partners.get(fx, ()))) + dense_max
                worst = heap[0]
                if bound < worst[0] and country_score is not None and w_pop >= 0:
                    break  # the rest of this country has fewer partners: lower bounds still
                if bound < worst[0] or (bound == worst[0] and -fx < worst[1]):
                    continue  # cannot beat the k-th best, even on a tie (lower id first)
            consider(fx)
    return [(score, fx, f) for score, _neg, fx, f in sorted(heap, key=lambda t: (-t[0], t[2]))]


def rank_partners(
    g: Graph, fr: int, *, limit: int | None = None, exclude_known: bool = True, ctx: Context | None = None
) -> list[Scored]:
    """Foreign authorities for the French authority `fr`, best first; each `Scored.parts`
    holds the weighted contribution of each feature (its reasons)."""
    w = weights()["partner"]
    limit = limit or weights()["limits"]["partners"]
    ctx = ctx or partner_context(g, fr, exclude_known=exclude_known)
    out = []
    for score, fx, f in top_partners(g, ctx, w, limit):
        parts = {k: w.get(k, 0.0) * v for k, v in f.items() if k != "country" and w.get(k, 0.0) * v > 0}
        out.append(Scored(fx, score, parts))
    return out


def rank_countries(
    g: Graph, fr: int, *, limit: int | None = None, scores: dict | None = None
) -> list[tuple[str, float, dict]]:
    limit = limit or weights()["limits"]["countries"]
    scores = scores if scores is not None else country_scores(g, fr)
    rows = heapq.nsmallest(limit, scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(c, math.exp(s), p) for c, (s, p) in rows]


def rank_french(
    g: Graph, fx: int, *, themes: set[int] | None = None, limit: int | None = None
) -> list[Scored]:
    """French authorities most likely to answer the foreign authority `fx`'s request."""
    w = weights()["french"]
    limit = limit or weights()["limits"]["french"]
    b = g.auths[fx]
    themes = themes if themes is not None else g.themes.get(fx, set())
    known = g.fx_partners.get(fx, set())
    in_country = g.fr_by_country.get(b.country, Counter())
    in_area = g.fr_by_area.get(b.area, Counter()) if b.area is not None else Counter()
    depts_there = Counter()
    for fr in in_country:
        d = g.dept(fr)
        if d is not None:
            depts_there[d] += 1
    log_max = math.log1p(g.max_fr_degree)
    scored = []
    for fr in g.fr_partners:
        if fr in known:
            continue
        a = g.auths[fr]
        parts = {}
        if in_country.get(fr):
            parts["own_country"] = w["own_country"]
        if in_area.get(fr):
            parts["own_area"] = w["own_area"]
        d = g.dept(fr)
        if d is not None and depts_there.get(d, 0) - (1 if in_country.get(fr) else 0) > 0:
            parts["neighbour"] = w["neighbour"]
        if themes:
            shared = len(themes & g.themes.get(fr, set()))
            if shared:
                parts["themes"] = w["themes"] * min(shared, 3) / 3
        if b.kind in weights()["kind_pairs"].get(a.kind, ()):
            parts["kind"] = w["kind"]
        parts["activity"] = w["activity"] * math.log1p(len(g.fr_partners[fr])) / log_max
        scored.append(Scored(fr, sum(parts.values()), parts))
    scored.sort(key=lambda s: (-s.score, s.id))
    return scored[:limit]


# --------------------------------------------------------------------------- reasons


def _country_names(codes: Iterable[str]) -> dict[str, str]:
    return {c.iso2: c.name for c in Country.objects.filter(iso2__in=set(codes))}


def _country_reason_items(parts: dict, name: str, *, texts: dict) -> list[tuple[float, str]]:
    """A country's reasons: its circles' contributions, strongest first, then the
    popularity prior (the national share) last."""
    items = [(v, texts[k] % {"country": name}) for k, v in parts.items() if k in texts and k != "prior"]
    items.sort(key=lambda kv: -kv[0])
    if parts.get("prior"):
        items.append((0.0, texts["prior"] % {"country": name}))
    return items


def _partner_reasons(g: Graph, fr: int, s: Scored, country_parts: dict, country_name: str) -> list[str]:
    texts = {
        "area_own": _("dans la même région que l'un de vos partenaires"),
        "area_near": _("dans une région où travaillent des collectivités de votre territoire"),
        "neighbour_partner": _("déjà partenaire d'une collectivité de votre département ou de votre région"),
        "co_partner": _("partenaire de collectivités qui partagent déjà un partenaire avec vous"),
        "themes": _("des thèmes en commun avec vos partenariats"),
        "kind": _("un niveau de collectivité comparable au vôtre"),
        "size": _("une population dans un rapport jugé praticable (rapport déduit, non donné par le guide)"),
        "open_request": _("elle cherche un partenaire français en ce moment"),
        "popularity": _("elle a déjà l'expérience de partenaires français"),
    }
    country_texts = {
        "own": _("vous travaillez déjà au pays (%(country)s)"),
        "departement": _("des collectivités de votre département travaillent au pays (%(country)s)"),
        "region": _("votre réseau régional travaille au pays (%(country)s)"),
        "similar": _("des collectivités comme la vôtre travaillent au pays (%(country)s)"),
        "co_partners": _(
            "des collectivités qui partagent un partenaire avec vous travaillent au pays (%(country)s)"
        ),
        "themes": _("des partenariats sur vos thèmes y sont nombreux (%(country)s)"),
        "prior": _("beaucoup de collectivités françaises travaillent déjà avec ce pays (%(country)s)"),
    }
    items = [(v, texts[k]) for k, v in s.parts.items() if k in texts]
    items.sort(key=lambda kv: -kv[0])
    # The country's first reason goes with the authority's own ones.
    country = _country_reason_items(country_parts, country_name, texts=country_texts)[:1]
    limit = weights()["limits"]["reasons"]
    return [t for _v, t in items[: limit - len(country)]] + [t for _v, t in country]


def _ref(a: Auth, country_names: dict) -> dict:
    from coopatlas.cooperation.selectors._common import _url

    return {
        "id": a.id,
        "name": a.name,
        "country": a.country,
        "country_name": country_names.get(a.country, a.country),
        "url": _url("atlas:authority", "slug", a.slug),
    }


# Other sources of suggestions (open calls: coopatlas/calls, wired by the lead). Each takes
# the French authority and the ranked countries and returns suggestion dicts with reasons.
SOURCES: dict[str, Callable[..., list[dict]]] = {}


def register_source(name: str, fn: Callable[..., list[dict]]) -> None:
    SOURCES[name] = fn


def _programmes_for(authority: LocalAuthority, countries: list[str], themes: set[int], parents) -> list[dict]:
    limit = weights()["limits"]["programmes"]
    rank = {c: i for i, c in enumerate(countries)}
    out = []
    qs = (
        Programme.objects.public()
        .filter(is_open=True)
        .exclude(memberships__authority=authority)
        .prefetch_related("countries", "themes")
        .annotate(member_count=Count("memberships", distinct=True))
    )
    for p in qs:
        pc = [c.iso2 for c in p.countries.all()]
        shared_c = [c for c in pc if c in rank]
        shared_t = {_root_theme(t.pk, parents) for t in p.themes.all()} & themes
        reasons = []
        score = 0.0
        if shared_c:
            best = min(rank[c] for c in shared_c)
            score += 2.0 / (1 + best)
            reasons.append(
                _("dans un pays où vous travaillez ou que l'on vous suggère (%(c)s)")
                % {"c": ", ".join(shared_c)}
            )
        if shared_t:
            score += 0.5 * len(shared_t)
            reasons.append(_("des thèmes en commun avec vos partenariats"))
        if p.min_members and p.member_count < p.min_members:
            score += 0.3
            reasons.append(
                _("il lui manque %(n)s membre(s) pour démarrer") % {"n": p.min_members - p.member_count}
            )
        if score:
            out.append(
                {
                    "slug": p.slug,
                    "title": p.title,
                    "url": p.get_absolute_url(),
                    "score": round(score, 3),
                    "reasons": reasons,
                }
            )
    out.sort(key=lambda r: (-r["score"], r["title"]))
    return out[:limit]


def suggestions_for_authority(*, authority: LocalAuthority) -> dict:
    """Everything suggested to a French authority, each with its reasons (the page's data)."""
    from coopatlas.reference.models import Theme

    if authority is None or not authority.is_french:
        raise AppError(
            _("authority : les suggestions de partenaires se demandent pour une collectivité française."),
            field="authority",
        )
    g = graph()
    if authority.pk not in g.auths:
        g.auths[authority.pk] = Auth(
            authority.pk,
            authority.name,
            authority.slug,
            "FR",
            authority.area_id,
            authority.kind,
            authority.population,
        )
    fr = authority.pk
    ctx = partner_context(g, fr)  # the countries' scores, computed once for both lists
    countries = rank_countries(g, fr, limit=weights()["limits"]["countries"], scores=ctx.countries)
    partners = rank_partners(g, fr, ctx=ctx)
    all_countries = ctx.countries
    names = _country_names([c for c, _s, _p in countries] + [g.auths[s.id].country for s in partners])
    parents = dict(Theme.objects.values_list("id", "parent_id"))
    out = {
        "authority": {"id": authority.pk, "name": authority.name},
        "partners": [
            {
                **_ref(g.auths[s.id], names),
                "score": round(s.score, 3),
                "open_requests": [
                    {"id": rid, "url": PartnerRequest(pk=rid).get_absolute_url()}
                    for rid in g.requests.get(s.id, ())
                ],
                "reasons": _partner_reasons(
                    g,
                    fr,
                    s,
                    all_countries.get(g.auths[s.id].country, (0, {}))[1],
                    names.get(g.auths[s.id].country, ""),
                ),
            }
            for s in partners
        ],
        "countries": [
            {
                "iso2": c,
                "name": names.get(c, c),
                "score": round(score, 3),
                "reasons": _country_reasons(parts, names.get(c, c)),
            }
            for c, score, parts in countries
        ],
        "programmes": _programmes_for(
            authority,
            [c for c, _s, _p in countries]
            + sorted({g.auths[fx].country for fx in g.fr_partners.get(fr, ())}),
            g.themes.get(fr, set()),
            parents,
        ),
    }
    for name, fn in SOURCES.items():
        out[name] = fn(authority=authority, countries=[c for c, _s, _p in countries])
    out.setdefault("calls", [])
    return out


def _country_reasons(parts: dict, name: str) -> list[str]:
    texts = {
        "own": _("vous y travaillez déjà"),
        "departement": _("des collectivités de votre département y travaillent"),
        "region": _("votre réseau régional y travaille"),
        "similar": _("des collectivités comme la vôtre y travaillent"),
        "co_partners": _("des collectivités qui partagent un partenaire avec vous y travaillent"),
        "themes": _("des partenariats sur vos thèmes y sont nombreux"),
        "prior": _("beaucoup de collectivités françaises travaillent déjà avec ce pays"),
    }
    items = _country_reason_items(parts, name, texts=texts)
    return [t for _v, t in items[: weights()["limits"]["reasons"]]]


def suggestions_for_request(*, request: PartnerRequest) -> dict:
    """The French authorities most likely to answer a foreign authority's request."""
    from coopatlas.reference.models import Theme

    g = graph()
    a = request.authority
    if a.pk not in g.auths:
        g.auths[a.pk] = Auth(a.pk, a.name, a.slug, a.country_id, a.area_id, a.kind, a.population)
    parents = dict(Theme.objects.values_list("id", "parent_id"))
    themes = {_root_theme(t.pk, parents) for t in request.themes.all()} or g.themes.get(a.pk, set())
    texts = {
        "own_country": _("travaille déjà dans le pays"),
        "own_area": _("travaille déjà dans la même région"),
        "neighbour": _("des collectivités de son département travaillent dans le pays"),
        "themes": _("des thèmes en commun avec la demande"),
        "kind": _("un niveau de collectivité comparable"),
        "activity": _("une collectivité active en coopération"),
    }
    rows = rank_french(g, a.pk, themes=themes)
    return {
        "request": request.pk,
        "french": [
            {
                **_ref(g.auths[s.id], {"FR": "France"}),
                "score": round(s.score, 3),
                "reasons": [texts[k] for k, _v in sorted(s.parts.items(), key=lambda kv: -kv[1])][
                    : weights()["limits"]["reasons"]
                ],
            }
            for s in rows
        ],
    }
