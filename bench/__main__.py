"""`make bench`: speed and memory figures at national scale, each beside its raw SQL.

Not a test: it prints figures. It builds its own SQLite database under var/bench/ (reference
+ demo + synthetic national dataset), serves it with DEBUG off on a free local port, times
each page and API call over real HTTP (warm), reads the server's resident memory, then
generates the 10x dataset into a second database and times that. BENCH_10X=0,
BENCH_LOAD=0, BENCH_IATI=0, BENCH_DECLARATIONS=0, BENCH_GAZETTEER=0, BENCH_STATEATLAS=0,
BENCH_MATCHMAKING=0 and BENCH_PAGEWEIGHT=0 skip those parts.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import server
from bench.server import env_for, free_port  # noqa: F401 - the other benches import them here

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
RUNS = int(os.environ.get("BENCH_RUNS", 40))


def coopatlas(var_dir: Path, *args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "coopatlas.cli", *args],
        env=env_for(var_dir),
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def store(scale: str) -> tuple[Path, float | None]:
    """var/bench/<scale>: `setup` + `synth --scale <scale>`, built once and marked done (an
    interrupted build is made again); later runs only migrate it. BENCH_REBUILD=1 rebuilds.
    Returns the folder and the synth's seconds (None when reused)."""
    folder = OUT / scale
    done = folder / f"synth-{scale}.done"
    if done.exists() and os.environ.get("BENCH_REBUILD") != "1":
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env_for(folder), check=True
        )
        return folder, None
    done.unlink(missing_ok=True)
    (folder / "coopatlas.sqlite3").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    coopatlas(folder, "setup")
    seconds = coopatlas(folder, "synth", "--scale", scale)
    done.write_text(f"{seconds:.0f} s\n")
    return folder, seconds


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def fetch(url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return (time.perf_counter() - started) * 1000, status, len(body)


def time_statements(execute, sql: str | tuple[str, ...]) -> float:
    """Median of 10 warm runs of the raw SQL a request needs (several statements timed
    together), through `execute(statement)`, which runs one and fetches all its rows."""
    statements = (sql,) if isinstance(sql, str) else sql
    for statement in statements:  # warm
        execute(statement)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        for statement in statements:
            execute(statement)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def time_sql(db: Path, sql: str | tuple[str, ...]) -> float:
    """The raw SQL on the SQLite store (one connection)."""
    con = sqlite3.connect(db)
    try:
        return time_statements(lambda statement: con.execute(statement).fetchall(), sql)
    finally:
        con.close()


def targets(base: str) -> list[tuple[str, str, float, str]]:
    """(label, url, median target ms, raw SQL equivalent) for each page and API call."""
    api = f"{base}/api/v1"
    country_sql = """SELECT a.kind, count(DISTINCT p.id) FROM cooperation_partnership p
        JOIN cooperation_partnershipparty pp ON pp.partnership_id = p.id
        JOIN geo_localauthority a ON a.id = pp.authority_id
        WHERE p.id IN (SELECT pp2.partnership_id FROM cooperation_partnershipparty pp2
          JOIN geo_localauthority a2 ON a2.id = pp2.authority_id WHERE a2.country_id = 'SN')
        AND a.country_id = 'FR' GROUP BY a.kind"""
    # A list page: its count, its page of rows and its facet counts (country, status).
    list_sql = (
        "SELECT count(*) FROM cooperation_partnership WHERE publication_status = 'published'",
        """SELECT p.id, p.title, p.status, p.start_year FROM cooperation_partnership p
           WHERE p.publication_status = 'published' ORDER BY p.title LIMIT 25""",
        """SELECT a.country_id, count(DISTINCT pp.partnership_id)
           FROM cooperation_partnershipparty pp
           JOIN geo_localauthority a ON a.id = pp.authority_id GROUP BY a.country_id""",
        """SELECT status, count(*) FROM cooperation_partnership GROUP BY status""",
    )
    geo_sql = """SELECT a.latitude, a.longitude, b.latitude, b.longitude, p.title
        FROM cooperation_partnership p
        JOIN cooperation_partnershipparty x ON x.partnership_id = p.id
        JOIN geo_localauthority a ON a.id = x.authority_id AND a.country_id = 'FR'
        JOIN cooperation_partnershipparty y ON y.partnership_id = p.id
        JOIN geo_localauthority b ON b.id = y.authority_id AND b.country_id = 'SN'"""
    search_sql = """SELECT id, name FROM geo_localauthority WHERE search_name LIKE 'mopt%' LIMIT 10"""
    detail_sql = """SELECT * FROM cooperation_partnership WHERE slug = 'synth-pa-000001'"""
    return [
        ("home page", f"{base}/", 150, list_sql),
        ("partnerships list", f"{base}/partenariats/", 150, list_sql),
        ("projects list, filtered by country", f"{base}/projets/?country=SN", 150, list_sql),
        ("authorities list", f"{base}/collectivites/", 150, list_sql),
        ("partnership fiche", f"{base}/partenariats/synth-pa-000001/", 150, detail_sql),
        ("project fiche", f"{base}/projets/synth-pr-000001/", 150, detail_sql),
        ("country fiche (Senegal, biggest)", f"{base}/pays/senegal/", 150, country_sql),
        ("search suggest 'mopt'", f"{base}/recherche/suggestions.json?q=mopt", 150, search_sql),
        ("API partnerships list", f"{api}/partnerships?page_size=50", 150, list_sql),
        ("API projects list, country+status", f"{api}/projects?country=ML&status=ongoing", 150, list_sql),
        ("API partnerships CSV", f"{api}/partnerships?format=csv&country=MA", 150, list_sql),
        ("API country summary (SN)", f"{api}/countries/SN/summary", 100, country_sql),
        ("API map GeoJSON (SN)", f"{api}/map/partnerships.geojson?country=SN", 300, geo_sql),
        ("home map data (all countries)", f"{base}/carte/partenariats.geojson", 300, geo_sql),
    ]


def serve(var_dir: Path) -> tuple[subprocess.Popen, str]:
    return server.start(var_dir, kind="dev")


def main() -> int:
    national = OUT / "national"
    national.mkdir(parents=True, exist_ok=True)
    db = national / "coopatlas.sqlite3"
    print("== coopatlas bench (figures, not tests) ==")
    print(f"setup (migrate + reference + demo): {coopatlas(national, 'setup'):.1f} s")
    print(f"synth --scale national:            {coopatlas(national, 'synth', '--scale', 'national'):.1f} s")
    proc, base = serve(national)
    all_times = []
    try:
        print(f"\n{'request':40} {'median':>8} {'p95':>8} {'target':>7} {'size':>9} {'raw SQL':>8}")
        for label, url, target, sql in targets(base):
            for _ in range(3):
                fetch(url)
            samples, status, size = [], 0, 0
            for _ in range(RUNS):
                ms, status, size = fetch(url)
                samples.append(ms)
            samples.sort()
            median = statistics.median(samples)
            p95 = samples[int(len(samples) * 0.95) - 1]
            all_times += samples
            flag = (
                ""
                if status == 200 and median < target
                else "  <-- " + (f"HTTP {status}" if status != 200 else "over target")
            )
            print(
                f"{label:40} {median:7.1f}ms {p95:7.1f}ms {target:6.0f}ms {size / 1024:7.1f}KB"
                f" {time_sql(db, sql):6.1f}ms{flag}"
            )
        all_times.sort()
        print(
            f"\nall requests: median {statistics.median(all_times):.1f} ms, "
            f"p95 {all_times[int(len(all_times) * 0.95) - 1]:.1f} ms "
            f"(targets 150 / 300 ms)"
        )
        rss, peak = rss_mb(proc.pid)
        print(f"server resident memory: {rss:.0f} MB now, {peak:.0f} MB peak (target < 500 MB)")
        if os.environ.get("BENCH_PAGEWEIGHT", "1") != "0":
            from bench import pageweight

            print("\n== page weight on a throttled phone (issue 13) ==")
            pageweight.run(base)
    finally:
        server.stop(proc)
    if os.environ.get("BENCH_LOAD", "1") != "0":
        from bench import load

        print("\n== Load: 50 readers for 60 s (locust, gunicorn) ==")
        load.run(national)
        pg_url = os.environ.get("COOPATLAS_BENCH_DATABASE_URL")
        if pg_url:
            from bench.reads import pg_store

            pg_store(pg_url, national)  # the same store, loaded once into PostgreSQL
            load.run(national, database_url=pg_url)
    if os.environ.get("BENCH_IATI", "1") != "0":
        from bench import iati

        print("\n== IATI 2.03 export and import ==")
        iati.run()
    if os.environ.get("BENCH_DECLARATIONS", "1") != "0":
        from bench import declarations

        print("\n== Aid declarations: national report ==")
        declarations.run()
    if os.environ.get("BENCH_MATCHMAKING", "1") != "0":
        print("\n== Matchmaking: suggestions and their evaluation ==")
        subprocess.run([sys.executable, "-m", "bench.matchmaking", str(db)], cwd=ROOT, check=True)
    if os.environ.get("BENCH_GAZETTEER", "1") != "0":
        print("\n== Gazetteer type-ahead ==")
        subprocess.run([sys.executable, "-m", "bench.gazetteer"], cwd=ROOT, check=True)
    if os.environ.get("BENCH_CALLS", "1") != "0":
        print("\n== Calls for proposals ==")
        subprocess.run([sys.executable, "-m", "bench.calls"], cwd=ROOT, check=True)
    if os.environ.get("BENCH_STATEATLAS", "1") != "0":
        print("\n== State atlas import ==")
        subprocess.run([sys.executable, "-m", "bench.stateatlas"], cwd=ROOT, check=True)
    if os.environ.get("BENCH_10X", "1") != "0":
        _big, seconds = store("10x")
        if seconds is None:
            print("\nsynth --scale 10x: reusing var/bench/10x (BENCH_REBUILD=1 builds it again)")
        else:
            print(f"\nsynth --scale 10x (121,290 projects) generated and loaded: {seconds:.0f} s")
            print("(target < 600 s)")
    if os.environ.get("BENCH_READS", "1") != "0":
        from bench import reads

        print("\n== Reads under the data stamp (issue 15) ==")
        reads.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
