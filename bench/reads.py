"""Reads that do not grow with the data (issue 15): public pages and API calls, warm, at
national and 10x scale, each beside the raw SQL of the same question (not a test).

Targets: median < 100 ms and p95 < 250 ms per call, warm (the second and later requests
at one data stamp, the way a crowd reads an atlas); a revalidation (If-None-Match) answers
304 without rebuilding the page. Data: the synthetic loader's (cooperation/synth.py),
marked synthetic.

`python -m bench.reads` uses var/bench/national (and var/bench/10x when built: BENCH_10X=0
skips building it). SQLite only unless $COOPATLAS_BENCH_DATABASE_URL names a PostgreSQL
database already holding the same data (then it is timed too); without one it says so.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.__main__ import OUT, ROOT, coopatlas, env_for, fetch, free_port, time_sql

RUNS = int(os.environ.get("BENCH_READS_RUNS", 30))
MEDIAN_MS, P95_MS = 100, 250


def calls(base: str) -> list[tuple[str, str, str | tuple[str, ...]]]:
    """(label, url, raw SQL of the same question)."""
    api = f"{base}/api/v1"
    count_sql = (
        "SELECT count(*) FROM cooperation_partnership WHERE publication_status = 'published'",
        "SELECT count(*) FROM cooperation_project WHERE publication_status = 'published'",
        """SELECT count(DISTINCT pp.authority_id) FROM cooperation_partnershipparty pp
           JOIN geo_localauthority a ON a.id = pp.authority_id WHERE a.country_id = 'FR'""",
    )
    list_sql = (
        "SELECT count(*) FROM cooperation_partnership WHERE publication_status = 'published'",
        """SELECT id, title FROM cooperation_partnership WHERE publication_status = 'published'
           ORDER BY title, id LIMIT 25""",
        """SELECT a.country_id, count(DISTINCT pp.partnership_id) FROM cooperation_partnershipparty pp
           JOIN geo_localauthority a ON a.id = pp.authority_id GROUP BY a.country_id""",
    )
    deep_sql = """SELECT id, title FROM cooperation_partnership WHERE publication_status = 'published'
           AND title > 'T' ORDER BY title, id LIMIT 25"""
    country_sql = """SELECT a.kind, count(DISTINCT pp.partnership_id) FROM cooperation_partnershipparty pp
        JOIN geo_localauthority a ON a.id = pp.authority_id
        WHERE pp.partnership_id IN (SELECT pp2.partnership_id FROM cooperation_partnershipparty pp2
          JOIN geo_localauthority a2 ON a2.id = pp2.authority_id WHERE a2.country_id = 'SN')
        GROUP BY a.kind"""
    search_sql = "SELECT id, name FROM geo_localauthority WHERE search_name LIKE 'mont%' LIMIT 10"
    return [
        ("home page", f"{base}/", count_sql),
        ("partnerships list", f"{base}/partenariats/", list_sql),
        ("projects list, country=SN", f"{base}/projets/?country=SN", list_sql),
        ("authorities list, q=saint", f"{base}/collectivites/?q=saint", list_sql),
        ("partnerships list, page 200", f"{base}/partenariats/?page=200", deep_sql),
        ("country fiche (Sénégal)", f"{base}/pays/senegal/", country_sql),
        ("map GeoJSON (all)", f"{base}/carte/partenariats.geojson", country_sql),
        ("map GeoJSON (SN)", f"{base}/carte/partenariats.geojson?country=SN", country_sql),
        ("suggest 'mont'", f"{base}/recherche/suggestions.json?q=mont", search_sql),
        ("suggest 'mali'", f"{base}/recherche/suggestions.json?q=mali", search_sql),
        ("API partnerships", f"{api}/partnerships?page_size=50", list_sql),
        ("API projects ML ongoing", f"{api}/projects?country=ML&status=ongoing", list_sql),
        ("API country summary SN", f"{api}/countries/SN/summary", country_sql),
    ]


def serve(var_dir: Path, database_url: str | None = None) -> tuple[subprocess.Popen, str]:
    env = env_for(var_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("bench.reads: the server did not start")


def revalidate(url: str) -> tuple[float, int]:
    with urllib.request.urlopen(url, timeout=60) as response:
        etag = response.headers.get("ETag")
    request = urllib.request.Request(url, headers={"If-None-Match": etag or ""})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return (time.perf_counter() - started) * 1000, status


def run_store(label: str, var_dir: Path, database_url: str | None = None) -> None:
    db = var_dir / "coopatlas.sqlite3"
    proc, base = serve(var_dir, database_url)
    try:
        print(f"\n-- {label} --")
        print(f"{'request':32} {'cold':>8} {'median':>8} {'p95':>8} {'size':>9} {'raw SQL':>8} {'304':>7}")
        worst = []
        for name, url, sql in calls(base):
            cold, status, size = fetch(url)
            samples = sorted(fetch(url)[0] for _ in range(RUNS))
            median = statistics.median(samples)
            p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
            worst.append((median, p95))
            not_modified_ms, not_modified = revalidate(url)
            raw = time_sql(db, sql) if database_url is None else float("nan")
            flag = "" if status == 200 and median < MEDIAN_MS and p95 < P95_MS else "  <-- "
            if status != 200:
                flag += f"HTTP {status}"
            elif flag:
                flag += "over target"
            print(
                f"{name:32} {cold:7.0f}ms {median:7.1f}ms {p95:7.1f}ms {size / 1024:7.1f}KB {raw:6.1f}ms"
                f" {not_modified_ms:5.1f}ms{'' if not_modified == 304 else f' ({not_modified})'}{flag}"
            )
        ok = all(m < MEDIAN_MS and p < P95_MS for m, p in worst)
        print(f"targets (median < {MEDIAN_MS} ms, p95 < {P95_MS} ms warm): {'met' if ok else 'NOT met'}")
    finally:
        proc.terminate()
        proc.wait()


def run() -> None:
    national = OUT / "national"
    if not (national / "coopatlas.sqlite3").exists():
        national.mkdir(parents=True, exist_ok=True)
        coopatlas(national, "setup")
        coopatlas(national, "synth", "--scale", "national")
    run_store("SQLite, national scale (synthetic data)", national)
    big = OUT / "10x"
    if not (big / "coopatlas.sqlite3").exists() and os.environ.get("BENCH_10X", "1") != "0":
        big.mkdir(parents=True, exist_ok=True)
        coopatlas(big, "setup")
        coopatlas(big, "synth", "--scale", "10x")
    if (big / "coopatlas.sqlite3").exists():
        run_store("SQLite, 10x scale (synthetic data)", big)
    url = os.environ.get("COOPATLAS_BENCH_DATABASE_URL")
    if url:
        run_store("PostgreSQL ($COOPATLAS_BENCH_DATABASE_URL)", national, url)
    else:
        print("\nPostgreSQL: skipped (set COOPATLAS_BENCH_DATABASE_URL to a loaded database to time it)")


if __name__ == "__main__":
    run()
