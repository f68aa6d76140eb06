"""Yearly aid declarations at national scale: the national report's time, beside a plain
SQL sum over the same lines (they must agree to the cent).

`run()` builds var/bench/declarations/ once (migrate, reference data, the year's rules,
5,000 synthetic authorities × 10 lines × 5 years; BENCH_DECL_REBUILD=1 rebuilds), then
measures in a child process with the bench settings (DEBUG off):
- `selectors.report(year)` (every breakdown of the report) and the JSON API over Django's
  test client (routing, serialisation), warm, median of BENCH_RUNS (default 10);
- `SELECT SUM(amount_cents) …` over the counted ODA lines of the same year, by sqlite3.
Standalone: `python -m bench.declarations`.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench" / "declarations"
DB = VAR / "coopatlas.sqlite3"
YEAR = int(os.environ.get("BENCH_DECL_YEAR", 2024))
RUNS = int(os.environ.get("BENCH_RUNS", 10))
SQL = """SELECT SUM(l.amount_cents), COUNT(*) FROM declarations_declarationline l
JOIN declarations_declarationversion v ON v.id = l.version_id
JOIN declarations_declaration d ON d.id = v.declaration_id
WHERE v.is_counted = 1 AND l.counts_as_oda = 1 AND d.year = ?"""


def _env() -> dict:
    env = dict(os.environ)
    env.update(COOPATLAS_VAR_DIR=str(VAR), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench")
    env.pop("DATABASE_URL", None)
    return env


def _manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], env=_env(), check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )


def build() -> float:
    started = time.monotonic()
    VAR.mkdir(parents=True, exist_ok=True)
    _manage("migrate", "-v0")
    _manage("load_reference", "-v0")
    _manage("load_declaration_rules", "-v0")
    _manage("synth_declarations", "--last-year", str(YEAR), "-v0")
    con = sqlite3.connect(DB)
    con.execute("ANALYZE")
    con.close()
    return time.monotonic() - started


def measure() -> None:
    """Runs in the child process (Django set up with the bench settings)."""
    import django

    django.setup()
    from django.test import Client

    from coopatlas.declarations import selectors

    def timed(func) -> tuple[float, object]:
        func()  # warm
        samples, result = [], None
        for _ in range(RUNS):
            started = time.perf_counter()
            result = func()
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples), result

    ms, data = timed(lambda: selectors.report(year=YEAR))
    client = Client()
    api_ms, response = timed(
        lambda: client.get("/api/v1/declarations/report", {"year": YEAR}, HTTP_HOST="127.0.0.1")
    )
    assert response.status_code == 200, response.content[:300]

    con = sqlite3.connect(DB)
    con.execute(SQL, (YEAR,)).fetchall()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        cents, count = con.execute(SQL, (YEAR,)).fetchone()
        samples.append((time.perf_counter() - started) * 1000)
    sql_total = selectors.cents_str(cents)
    same = sql_total == data["total"] == response.json()["total"]
    print(
        f"  national report {YEAR}: {data['lines']:,} ODA lines, {data['declarants']:,} "
        f"declarants, {len(data['by_country'])} countries"
    )
    print(f"  selectors.report          {ms:8.1f} ms  (target < 1000 ms)")
    print(f"  GET /api/v1/declarations/report?year={YEAR} {api_ms:8.1f} ms")
    print(f"  plain SQL SUM             {statistics.median(samples):8.1f} ms  ({count:,} lines)")
    print(
        f"  total: report {data['total']} €, SQL {sql_total} € -> "
        f"{'EQUAL to the cent' if same else 'DIFFERENT'}"
    )
    if not same:
        raise SystemExit(1)


def run() -> None:
    print("Yearly aid declarations (5,000 authorities × 10 lines × 5 years, SQLite):")
    if os.environ.get("BENCH_DECL_REBUILD") == "1" and DB.exists():
        DB.unlink()
    if not DB.exists():
        print(f"  dataset built in {build():.0f} s")
    subprocess.run(
        [sys.executable, "-m", "bench.declarations", "--measure"], env=_env(), check=True, cwd=ROOT
    )


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        run()
