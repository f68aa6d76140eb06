"""Matchmaking figures (not a test): suggestions for one French authority at national
scale (targets: < 200 ms), and the offline evaluation over 1,000 hidden partnerships
(target: < 2 min) with its recall figures beside a popularity baseline, measured on the
held-out split only (the weights are fitted on the rest: `coopatlas fit-suggestions`).

Called by `python -m bench` (BENCH_MATCHMAKING=0 skips it) on the national database, or
alone: `python -m bench.matchmaking [SQLITE_FILE]` (default var/bench/national/).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "var" / "bench" / "national" / "coopatlas.sqlite3"


def run(db: Path | None = None) -> None:
    db = db or DEFAULT
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.bench")
    import django

    django.setup()
    from coopatlas.geo.models import LocalAuthority
    from coopatlas.matchmaking import evaluate, suggestions

    french = list(
        LocalAuthority.objects.filter(country_id="FR", party_links__isnull=False)
        .distinct()
        .order_by("id")
        .values_list("id", flat=True)[:4000:200]
    )
    authorities = list(LocalAuthority.objects.filter(pk__in=french))
    started = time.perf_counter()
    suggestions.suggestions_for_authority(authority=authorities[0])
    cold = (time.perf_counter() - started) * 1000
    g = suggestions.graph()
    times = []
    for a in authorities:
        started = time.perf_counter()
        suggestions.suggestions_for_authority(authority=a)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"suggestions for one authority ({len(g.pairs):,} partnerships, {len(g.candidates):,} candidates): "
        f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms (target < 200 ms); "
        f"first call with the graph built {cold:.0f} ms"
    )
    started = time.monotonic()
    result = evaluate.report(limit=1000)
    seconds = time.monotonic() - started
    # The real (demo) set is small: cross-fitted too (each pair held out in turn, the
    # weights fitted on the others), so that every pair is measured and none on its fit.
    result["real"] = evaluate.evaluate(synthetic=False, limit=1000, refit=True)
    print(evaluate.format_report(result))
    print(
        f"evaluation, real and synthetic sets (1,000 hidden at most each): {seconds:.0f} s (target < 120 s)"
    )
    print(
        "baseline (issue 14, last round): country@3 32 % vs 38.9 % popularity on the synthetic set, "
        "66.7 % vs 76.2 % on the demo. The synthetic generator (cooperation/synth.py) draws each "
        "partnership's French and foreign sides independently (skewed activity, country weights): "
        "popularity is all there is to learn there, and the fitted ranking ties with it."
    )


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
