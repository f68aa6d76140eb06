"""Offline evaluation of the suggestions (issue 14): hide known partnerships, ask for
suggestions for their French side, and count how often the true partner is in the top 10
and the true country in the top 3 and top 10.

Hidden pairs are split into folds that each hide at most `share` of the known pairs; each
fold's graph is built without its pairs (their themes hidden too), the rest stays known.
A popularity baseline (the countries and authorities with most French partners) is
measured on the same folds, so the figures say what the features add.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

from . import suggestions as s


def _baseline(g: s.Graph, fr: int, k: int) -> tuple[list[int], list[str]]:
    """The most partnered authorities and countries (sorted once per graph)."""
    order = getattr(g, "_by_degree", None)
    if order is None:
        order = g._by_degree = sorted(g.candidates, key=lambda fx: (-len(g.fx_partners.get(fx, ())), fx))
        g._countries = [c for c, _n in sorted(g.prior.items(), key=lambda kv: (-kv[1], kv[0]))]
    known = g.fr_partners.get(fr, set())
    partners = []
    for fx in order:
        if fx not in known:
            partners.append(fx)
            if len(partners) == k:
                break
    return partners, g._countries[:k]


def evaluate(
    *, synthetic: bool | None, share: float = 0.1, limit: int = 1_000, seed: int = 1, rows: dict | None = None
) -> dict:
    if not 0 < share <= 0.5:
        raise AppError(
            _("share : donnez une part entre 0 et 0,5 (0,1 cache un partenariat sur dix à la fois)."),
            field="share",
        )
    if limit < 1:
        raise AppError(_("limit : donnez au moins 1 partenariat à cacher."), field="limit")
    started = time.monotonic()
    rows = rows or s.graph_rows(synthetic=synthetic)
    pairs = [p for p in rows["pairs"] if p[0] in rows["auths"] and p[1] in rows["auths"]]
    if len(pairs) < 2:
        return {"pairs": len(pairs), "hidden": 0}
    rng = random.Random(seed)
    sample = rng.sample(pairs, min(limit, len(pairs)))
    fold_size = max(1, math.floor(share * len(pairs)))
    hits = Counter()
    for start in range(0, len(sample), fold_size):
        fold = sample[start : start + fold_size]
        g = s.graph_build(rows, hidden=fold)
        for fr, fx in fold:
            truth_country = rows["auths"][fx].country
            ranked = [x.id for x in s.rank_partners(g, fr, limit=10)]
            countries = [c for c, _score, _parts in s.rank_countries(g, fr, limit=10)]
            hits["partner10"] += fx in ranked
            hits["country3"] += truth_country in countries[:3]
            hits["country10"] += truth_country in countries
            b_partners, b_countries = _baseline(g, fr, 10)
            hits["base_partner10"] += fx in b_partners
            hits["base_country3"] += truth_country in b_countries[:3]
            hits["base_country10"] += truth_country in b_countries
    n = len(sample)
    return {
        "pairs": len(pairs),
        "hidden": n,
        "folds": math.ceil(n / fold_size),
        "candidates": len({fx for _fr, fx in pairs} | set(rows["requests"])),
        "recall_partner_at_10": hits["partner10"] / n,
        "recall_country_at_3": hits["country3"] / n,
        "recall_country_at_10": hits["country10"] / n,
        "baseline": {
            "recall_partner_at_10": hits["base_partner10"] / n,
            "recall_country_at_3": hits["base_country3"] / n,
            "recall_country_at_10": hits["base_country10"] / n,
        },
        "seconds": round(time.monotonic() - started, 2),
    }


def report(*, share: float = 0.1, limit: int = 1_000, seed: int = 1) -> dict:
    """Real (demo) partnerships and synthetic ones, evaluated apart: they do not mix."""
    return {
        "real": evaluate(synthetic=False, share=share, limit=limit, seed=seed),
        "synthetic": evaluate(synthetic=True, share=share, limit=limit, seed=seed),
    }


def format_report(result: dict) -> str:
    lines = [
        f"{'set':10} {'pairs':>6} {'hidden':>6} {'partner@10':>11} {'country@3':>10} {'country@10':>11}  "
        f"{'(popularity baseline: partner@10 / country@3 / country@10)'}"
    ]
    for name, r in result.items():
        if not r.get("hidden"):
            lines.append(f"{name:10} {r['pairs']:>6} {'-':>6}  (too few partnerships to evaluate)")
            continue
        b = r["baseline"]
        lines.append(
            f"{name:10} {r['pairs']:>6} {r['hidden']:>6} {r['recall_partner_at_10']:>10.1%} "
            f"{r['recall_country_at_3']:>10.1%} {r['recall_country_at_10']:>11.1%}  "
            f"({b['recall_partner_at_10']:.1%} / {b['recall_country_at_3']:.1%} / "
            f"{b['recall_country_at_10']:.1%})  {r['seconds']:.1f} s"
        )
    return "\n".join(lines)
