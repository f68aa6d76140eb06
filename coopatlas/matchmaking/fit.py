"""Fitting the ranking's weights on known partnerships (issue 14).

The known pairs of one set (real or synthetic) are split once, with a fixed seed, into a
training part and a held-out part (`split`). The weights are fitted on the training part
only: its pairs are hidden a fold at a time from a graph that never contains the held-out
pairs, and for each hidden pair the features of every country and of the candidates that
could reach the top 10 are kept (`_queries`). A coordinate ascent then starts from the
popularity baseline (every weight 0 but the popularity ones at 1; the countries' prior
stays fixed, as the scale) and, one feature at a time, keeps the grid value that raises the
training recall (country in the top 3, partner in the top 10; the mean reciprocal rank
breaks ties), so the result is never below the baseline on the training split, and a
weight stays 0 unless it adds to it (the partners' popularity may fall when the other
features explain the choice better).
The evaluation (evaluate.py) measures the result on the held-out part.

`coopatlas fit-suggestions [--set real|synthetic] [--write]` runs it and, with --write,
writes the fitted weights and their figures into data/suggestion_weights.yaml.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

from . import suggestions as s

GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
PASSES = 2
TEST_SHARE = 0.3
MAX_TRAIN_QUERIES = 300
CROSS_FIT_BELOW = 200  # pairs: a smaller set is cross-fitted, one pair held out at a time


def split(rows: dict, *, seed: int, test_share: float = TEST_SHARE) -> tuple[list, list]:
    """(training pairs, held-out pairs) of a set, the same for the same seed."""
    pairs = sorted(p for p in rows["pairs"] if p[0] in rows["auths"] and p[1] in rows["auths"])
    random.Random(seed).shuffle(pairs)
    n_test = max(1, round(test_share * len(pairs))) if len(pairs) >= 2 else 0
    return pairs[n_test:], pairs[:n_test]


def folds(pairs: list, *, share: float, total: int) -> list[list]:
    """Consecutive folds that each hide at most `share` of the `total` known pairs."""
    size = max(1, math.floor(share * total))
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def _rows_without(rows: dict, pairs: list) -> dict:
    drop = set(pairs)
    out = dict(rows)
    out["pairs"] = [p for p in rows["pairs"] if p not in drop]
    return out


def _queries(rows: dict, train: list, test: list, *, share: float, seed: int) -> list[tuple]:
    """Per hidden training pair: (the countries' features, the true country, the French
    authority's context, the pool's partner features, the true partner)."""
    known = _rows_without(rows, test)  # the held-out pairs never enter the fitting
    rng = random.Random(seed + 1)
    sample = train if len(train) <= MAX_TRAIN_QUERIES else rng.sample(train, MAX_TRAIN_QUERIES)
    out = []
    for fold in folds(sample, share=share, total=len(known["pairs"])):
        g = s.graph_build(known, hidden=fold)
        for fr, fx in fold:
            out.append((g, fr, fx, s.country_features(g, fr), rows["auths"][fx].country))
    return out


def _rank_of(truth, scores: dict) -> int:
    mine = scores.get(truth)
    if mine is None:
        return 10**9
    return 1 + sum(1 for k, v in scores.items() if v > mine or (v == mine and k < truth))


def _objective(ranks: list[int], k: int) -> float:
    return sum(1 for r in ranks if r <= k) + 1e-3 * sum(1 / r for r in ranks)


def _ascend(w: dict, names: tuple, fixed: set, evaluate_w) -> tuple[dict, float]:
    best = evaluate_w(w)
    for _pass in range(PASSES):
        changed = False
        for name in names:
            if name in fixed:
                continue
            for value in GRID:
                if value == w.get(name, 0.0):
                    continue
                trial = {**w, name: value}
                score = evaluate_w(trial)
                if score > best + 1e-9:
                    best, w, changed = score, trial, True
        if not changed:
            break
    return w, best


def _pruned_pool(g, ctx, truth: int) -> dict[int, dict]:
    """The pool's features, keeping of each group of candidates alike but for their
    popularity (same country, same other features) only the 10 most partnered: the others
    can never reach the top 10, whatever the weights (the pool is ordered by degree)."""
    kept: dict[int, dict] = {}
    groups: dict[tuple, int] = {}
    for x in s.partner_pool(g, ctx):
        f = s.partner_features(g, ctx, x)
        key = (
            g.auths[x].country,
            tuple(sorted((k, v) for k, v in f.items() if k not in ("country", "popularity"))),
        )
        if groups.get(key, 0) < 10 or x == truth:
            groups[key] = groups.get(key, 0) + 1
            kept[x] = f
    return kept


def fit(
    *,
    synthetic: bool,
    seed: int = 1,
    share: float = 0.1,
    rows: dict | None = None,
    held_out: list | None = None,
) -> dict:
    """Fitted `country` and `partner` weights of one set, with the training figures. The
    held-out pairs are the split's (`split`), or `held_out` (cross-fitting)."""
    rows = rows or s.graph_rows(synthetic=synthetic)
    if held_out is None:
        train, test = split(rows, seed=seed)
    else:
        drop = set(held_out)
        train, test = (
            [p for p in split(rows, seed=seed)[0] + split(rows, seed=seed)[1] if p not in drop],
            held_out,
        )
    if len(train) < 2:
        raise AppError(
            _("set : trop peu de partenariats connus pour ajuster les poids (il en faut au moins 3)."),
            field="set",
        )
    queries = _queries(rows, train, test, share=share, seed=seed)

    def country_objective(w: dict) -> float:
        ranks = [
            _rank_of(truth, {c: s._dot(w, f) for c, f in feats.items()})
            for _g, _fr, _fx, feats, truth in queries
        ]
        return _objective(ranks, 3)

    base_country = {"prior": 1.0}
    country_w, _c = _ascend(dict(base_country), ("prior",) + s.COUNTRY_FEATURES, {"prior"}, country_objective)
    # The partner pools, with the fitted country weights (they choose the pool's countries).
    pools = []
    for g, fr, fx, _feats, _truth in queries:
        ctx = s.partner_context(g, fr, country_w=country_w)
        pools.append((_pruned_pool(g, ctx, fx), fx))

    def partner_objective(w: dict) -> float:
        ranks = [_rank_of(fx, {x: s._dot(w, f) for x, f in pool.items()}) for pool, fx in pools]
        return _objective(ranks, 10)

    base_partner = {"popularity": 1.0}
    partner_w, _p = _ascend(dict(base_partner), s.PARTNER_FEATURES, set(), partner_objective)
    n = len(queries)
    return {
        "set": "synthetic" if synthetic else "real",
        "seed": seed,
        "test_share": TEST_SHARE,
        "train_pairs": len(train),
        "held_out_pairs": len(test),
        "train_queries": n,
        "country": {k: float(country_w.get(k, 0.0)) for k in ("prior",) + s.COUNTRY_FEATURES},
        "partner": {k: float(partner_w.get(k, 0.0)) for k in s.PARTNER_FEATURES},
        "train": {
            "recall_country_at_3": int(country_objective(country_w)) / n,
            "baseline_country_at_3": int(country_objective(base_country)) / n,
            "recall_partner_at_10": int(partner_objective(partner_w)) / n,
            "baseline_partner_at_10": int(partner_objective(base_partner)) / n,
        },
    }


def write(result: dict, *, path=None) -> None:
    """Write the fitted weights into the data file, keeping its comments."""
    path = path or s.WEIGHTS_FILE
    text = path.read_text(encoding="utf-8")
    for block in ("country", "partner"):
        body = re.search(rf"^{block}:\n((?:  .*\n|\s*#.*\n)+)", text, re.M)
        lines = body.group(1)
        for name, value in result[block].items():
            lines, count = re.subn(rf"^(  {name}:\s*)[-0-9.]+", rf"\g<1>{value:g}", lines, flags=re.M)
            if not count:
                lines += f"  {name}: {value:g}\n"
        text = text[: body.start(1)] + lines + text[body.end(1) :]
    t = result["train"]
    fitted = (
        "_fitted:  # written by `coopatlas fit-suggestions --write`\n"
        f"  on: {date.today().isoformat()}\n"
        f"  set: {result['set']}\n"
        f"  seed: {result['seed']}\n"
        f"  test_share: {result['test_share']}\n"
        f"  train_pairs: {result['train_pairs']}\n"
        f"  held_out_pairs: {result['held_out_pairs']}\n"
        f"  train_recall_country_at_3: {t['recall_country_at_3']:.3f}"
        f"  # baseline {t['baseline_country_at_3']:.3f}\n"
        f"  train_recall_partner_at_10: {t['recall_partner_at_10']:.3f}"
        f"  # baseline {t['baseline_partner_at_10']:.3f}\n"
    )
    text = re.sub(r"^_fitted:.*\n(?:  .*\n)*", "", text, flags=re.M).rstrip("\n") + "\n\n" + fitted
    path.write_text(text, encoding="utf-8")
    s.weights.cache_clear()
