"""Offline evaluation of the suggestions (issue 14): hide known partnerships, ask for
suggestions for their French side, and count how often the true partner is in the top 10
and the true country in the top 3 and top 10.

Only the held-out part of each set (fit.split, fixed seed) is hidden: the weights are
fitted on the other part (fit.py), never on what they are measured on. Hidden pairs are
split into folds that each hide at most `share` of the known pairs; each fold's graph is
built without its pairs (their themes hidden too), the rest stays known. A popularity
baseline (the countries and authorities with most French partners, computed apart) is
measured on the same folds, so the figures say what the features add.
"""

from __future__ import annotations

import time
from collections import Counter

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

from . import suggestions as s


def _baseline(g: s.Graph, fr: int, k: int) -> tuple[list[int], list[str]]:
    """The most partnered authorities and countries (sorted once per graph)."""
    order = getattr(g, "_base_degree", None)
    if order is None:
        order = g._base_degree = sorted(g.candidates, key=lambda fx: (-len(g.fx_partners.get(fx, ())), fx))
        g._base_countries = [c for c, _n in sorted(g.prior.items(), key=lambda kv: (-kv[1], kv[0]))]
    known = g.fr_partners.get(fr, set())
    partners = []
    for fx in order:
        if fx not in known:
            partners.append(fx)
            if len(partners) == k:
                break
    return partners, g._base_countries[:k]


BASELINE = {"country": {"prior": 1.0}, "partner": {"popularity": 1.0}}


def _ranked(g: s.Graph, fr: int, w: dict) -> tuple[list[int], list[str]]:
    """The top 10 partners and countries for `fr` with the weights `w` (country, partner)."""
    ctx = s.partner_context(g, fr, country_w=w["country"])
    countries = [c for c, _v in sorted(ctx.countries.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10]]
    partners = [fx for _v, fx, _f in s.top_partners(g, ctx, w["partner"], 10)]
    return partners, countries


def _shipped_seed(synthetic: bool | None, seed: int) -> int:
    """The split of the set the shipped weights were fitted on is the fitting's own (its
    held-out part is what they never saw); other sets take the seed asked for."""
    fitted = s.weights().get("_fitted") or {}
    name = "synthetic" if synthetic else "real"
    return int(fitted.get("seed", seed)) if fitted.get("set") == name else seed


def evaluate(
    *,
    synthetic: bool | None,
    share: float = 0.1,
    limit: int = 1_000,
    seed: int = 1,
    rows: dict | None = None,
    refit: bool = False,
) -> dict:
    """Recall on the held-out pairs of one set (fit.split), with the shipped weights, the
    popularity baseline and, with `refit`, weights fitted on this set's training split."""
    from . import fit

    if not 0 < share <= 0.5:
        raise AppError(
            _("share : donnez une part entre 0 et 0,5 (0,1 cache un partenariat sur dix à la fois)."),
            field="share",
        )
    if limit < 1:
        raise AppError(_("limit : donnez au moins 1 partenariat à cacher."), field="limit")
    started = time.monotonic()
    rows = rows or s.graph_rows(synthetic=synthetic)
    seed = _shipped_seed(synthetic, seed)
    train, test = fit.split(rows, seed=seed)
    if not test or len(train) < 1:
        return {"pairs": len(train) + len(test), "hidden": 0}
    models = {"ranking": {"country": s.weights()["country"], "partner": s.weights()["partner"]}}
    fitted = None
    if refit and len(rows["pairs"]) >= fit.CROSS_FIT_BELOW:
        fitted = fit.fit(synthetic=bool(synthetic), seed=seed, share=share, rows=rows)
        models["refit"] = {"country": fitted["country"], "partner": fitted["partner"]}
    sample = test[:limit]
    hits = Counter()
    for fold in fit.folds(sample, share=share, total=len(rows["pairs"])):
        g = s.graph_build(rows, hidden=fold)
        for fr, fx in fold:
            truth = rows["auths"][fx].country
            for name, w in models.items():
                partners, countries = _ranked(g, fr, w)
                hits[f"{name}_partner10"] += fx in partners
                hits[f"{name}_country3"] += truth in countries[:3]
                hits[f"{name}_country10"] += truth in countries
            b_partners, b_countries = _baseline(g, fr, 10)
            hits["base_partner10"] += fx in b_partners
            hits["base_country3"] += truth in b_countries[:3]
            hits["base_country10"] += truth in b_countries
    n = len(sample)

    def figures(prefix: str) -> dict:
        return {
            "recall_partner_at_10": hits[f"{prefix}_partner10"] / n,
            "recall_country_at_3": hits[f"{prefix}_country3"] / n,
            "recall_country_at_10": hits[f"{prefix}_country10"] / n,
        }

    out = {
        "pairs": len(rows["pairs"]),
        "train": len(train),
        "hidden": n,
        "seed": seed,
        "candidates": len({fx for _fr, fx in rows["pairs"]} | set(rows["requests"])),
        **figures("ranking"),
        "baseline": figures("base"),
    }
    if fitted:
        out["refit"] = {**figures("refit"), "weights": models["refit"], "train_figures": fitted["train"]}
    elif refit:
        out["refit"] = _cross_fit(rows, synthetic=synthetic, seed=seed, share=share)
    out["seconds"] = round(time.monotonic() - started, 2)
    return out


def _cross_fit(rows: dict, *, synthetic: bool | None, seed: int, share: float) -> dict:
    """A small set, cross-fitted: each known pair in turn is held out, the weights fitted on
    all the others (never on it), and the pair suggested for with those weights; the
    baseline on the same pairs beside it."""
    from . import fit

    pairs = [p for p in rows["pairs"] if p[0] in rows["auths"] and p[1] in rows["auths"]]
    hits = Counter()
    for pair in pairs:
        fr, fx = pair
        fitted = fit.fit(synthetic=bool(synthetic), seed=seed, share=share, rows=rows, held_out=[pair])
        g = s.graph_build(rows, hidden=[pair])
        truth = rows["auths"][fx].country
        partners, countries = _ranked(g, fr, {"country": fitted["country"], "partner": fitted["partner"]})
        b_partners, b_countries = _baseline(g, fr, 10)
        hits["partner10"] += fx in partners
        hits["country3"] += truth in countries[:3]
        hits["country10"] += truth in countries
        hits["base_partner10"] += fx in b_partners
        hits["base_country3"] += truth in b_countries[:3]
        hits["base_country10"] += truth in b_countries
    n = len(pairs) or 1
    return {
        "cross_fitted": True,
        "hidden": len(pairs),
        "recall_partner_at_10": hits["partner10"] / n,
        "recall_country_at_3": hits["country3"] / n,
        "recall_country_at_10": hits["country10"] / n,
        "baseline": {
            "recall_partner_at_10": hits["base_partner10"] / n,
            "recall_country_at_3": hits["base_country3"] / n,
            "recall_country_at_10": hits["base_country10"] / n,
        },
    }


def report(*, share: float = 0.1, limit: int = 1_000, seed: int = 1, refit: bool = False) -> dict:
    """Real (demo) partnerships and synthetic ones, evaluated apart: they do not mix."""
    return {
        "real": evaluate(synthetic=False, share=share, limit=limit, seed=seed, refit=refit),
        "synthetic": evaluate(synthetic=True, share=share, limit=limit, seed=seed, refit=refit),
    }


def format_report(result: dict) -> str:
    lines = [
        f"{'set':10} {'pairs':>6} {'hidden':>6}  {'':8} "
        f"{'partner@10':>10} {'country@3':>10} {'country@10':>10}"
    ]
    for name, r in result.items():
        if not r.get("hidden"):
            lines.append(f"{name:10} {r['pairs']:>6} {'-':>6}  (too few partnerships to evaluate)")
            continue
        rows = [("ranking", r, r["hidden"]), ("baseline", r["baseline"], None)]
        refit = r.get("refit")
        if refit and refit.get("cross_fitted"):
            rows += [("refit*", refit, refit["hidden"]), ("baseline", refit["baseline"], None)]
        elif refit:
            rows.append(("refit", refit, None))
        for i, (label, f, hidden) in enumerate(rows):
            head = f"{name:10} {r['pairs']:>6} {r['hidden']:>6}" if i == 0 else " " * 17
            if i:
                head += f"{hidden:>7}" if hidden else " " * 7
            tail = f"  {r['seconds']:.1f} s" if i == 0 else ""
            lines.append(
                f"{head}  {label:8} {f['recall_partner_at_10']:>10.1%} {f['recall_country_at_3']:>10.1%} "
                f"{f['recall_country_at_10']:>10.1%}{tail}"
            )
    lines.append(
        "ranking: the shipped weights (data/suggestion_weights.yaml); baseline: popularity alone; "
        "refit: weights fitted on this set's training split; all measured on the held-out split; "
        "refit*: a small set cross-fitted (each pair held out in turn, fitted on the others)."
    )
    return "\n".join(lines)
