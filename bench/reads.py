"""Reads that do not grow with the data (issue 15): public pages and API calls, warm, at
national and 10x scale, each beside the raw SQL of the same question (not a test).

Targets: median < 100 ms and p95 < 250 ms per call, warm (the second and later requests
at one data stamp, the way a crowd reads an atlas); a revalidation (If-None-Match) answers
304 without rebuilding the page. Data: the synthetic loader's (cooperation/synth.py),
marked synthetic.

`python -m bench.reads` uses var/bench/national (and var/bench/10x when built: BENCH_10X=0
skips building it). SQLite only unless $COOPATLAS_BENCH_DATABASE_URL names a PostgreSQL
database (an empty one will do): then the national store is loaded into it the first time
(`coopatlas setup` + `coopatlas synth --scale national` on that DATABASE_URL, the same seed
hence the same rows as the SQLite store; later runs only migrate it), the same pages are
timed on it, and each raw SQL beside them runs on PostgreSQL through psycopg. Without the
variable it says so and skips PostgreSQL (`make bench` never needs it). Re-run:
`COOPATLAS_BENCH_DATABASE_URL=postgres://user@127.0.0.1:5432/coopatlas_bench python -m bench.reads`
(BENCH_10X=0 BENCH_READS_SQLITE=0 to time PostgreSQL alone; $COOPATLAS_BENCH_DATABASE_URL_10X,
a second database, gets the 10x store the same way; BENCH_READS_EXTRAS=0 skips the
search-index, after-a-write and CSV-export parts). With Datasette installed (optional dev dependency, never
at run time), each call's raw SQL is also timed through Datasette on the same file. Also:
the search index beside the scan it replaces, and the first request after a write with and
without the worker's warm-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import server
from bench.__main__ import OUT, ROOT, coopatlas, fetch, store, time_sql, time_statements

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
    project_q_sql = (
        """SELECT count(*) FROM cooperation_project WHERE publication_status = 'published'
           AND search_text LIKE '%eau%'""",
        """SELECT id, title FROM cooperation_project WHERE publication_status = 'published'
           AND search_text LIKE '%eau%' ORDER BY start_year DESC, title LIMIT 25""",
    )
    partnership_q_sql = (
        """SELECT count(*) FROM cooperation_partnership p WHERE p.publication_status = 'published'
           AND (p.search_text LIKE '%saint%' OR p.id IN (SELECT pp.partnership_id
             FROM cooperation_partnershipparty pp JOIN geo_localauthority a ON a.id = pp.authority_id
             WHERE a.search_name LIKE '%saint%'))""",
        """SELECT p.id, p.title FROM cooperation_partnership p WHERE p.publication_status = 'published'
           AND (p.search_text LIKE '%saint%' OR p.id IN (SELECT pp.partnership_id
             FROM cooperation_partnershipparty pp JOIN geo_localauthority a ON a.id = pp.authority_id
             WHERE a.search_name LIKE '%saint%')) ORDER BY p.title, p.id LIMIT 25""",
    )
    authority_country_sql = (
        """SELECT count(*) FROM geo_localauthority a WHERE a.country_id = 'SN' AND a.id IN
           (SELECT pp.authority_id FROM cooperation_partnershipparty pp)""",
        """SELECT a.id, a.name FROM geo_localauthority a WHERE a.country_id = 'SN' AND a.id IN
           (SELECT pp.authority_id FROM cooperation_partnershipparty pp) ORDER BY a.name, a.id LIMIT 25""",
    )
    return [
        ("home page", f"{base}/", count_sql),
        ("partnerships list", f"{base}/partenariats/", list_sql),
        ("projects list, country=SN", f"{base}/projets/?country=SN", list_sql),
        ("authorities list, q=saint", f"{base}/collectivites/?q=saint", list_sql),
        ("partnerships list, q=saint", f"{base}/partenariats/?q=saint", partnership_q_sql),
        ("authorities list, country=SN", f"{base}/collectivites/?country=SN", authority_country_sql),
        ("partnerships list, page 200", f"{base}/partenariats/?page=200", deep_sql),
        ("country fiche (Sénégal)", f"{base}/pays/senegal/", country_sql),
        ("map GeoJSON (all)", f"{base}/carte/partenariats.geojson", country_sql),
        ("map GeoJSON (SN)", f"{base}/carte/partenariats.geojson?country=SN", country_sql),
        ("projects list, q=eau", f"{base}/projets/?q=eau", project_q_sql),
        ("suggest 'mont'", f"{base}/recherche/suggestions.json?q=mont", search_sql),
        ("suggest 'mali'", f"{base}/recherche/suggestions.json?q=mali", search_sql),
        ("API partnerships", f"{api}/partnerships?page_size=50", list_sql),
        ("API projects ML ongoing", f"{api}/projects?country=ML&status=ongoing", list_sql),
        ("API country summary SN", f"{api}/countries/SN/summary", country_sql),
    ]


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


def _datasette(db: Path) -> tuple[subprocess.Popen | None, str]:
    """Datasette on the same SQLite file (optional dev dependency): the same SQL through
    another well-kept server's JSON API, for scale. None when it is not installed."""
    import shutil

    exe = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    if not Path(exe).exists():
        return None, ""
    port = server.free_port()
    proc = subprocess.Popen(
        [exe, "serve", "-i", str(db), "--port", str(port), "--setting", "sql_time_limit_ms", "20000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/{db.stem}.json"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.2)
    server.stop(proc)
    return None, ""


def time_datasette(base: str, sql: str | tuple[str, ...]) -> float:
    """Median of 10 rounds of the statements through Datasette's JSON API (warm)."""
    from urllib.parse import urlencode

    statements = (sql,) if isinstance(sql, str) else sql
    urls = [f"{base}?{urlencode({'sql': s, '_shape': 'array'})}" for s in statements]
    for url in urls:
        fetch(url)
    samples = [sum(fetch(url)[0] for url in urls) for _ in range(10)]
    return statistics.median(samples)


def time_sql_pg(url: str, sql: str | tuple[str, ...]) -> float:
    """The same raw SQL on PostgreSQL (psycopg, one connection, warm): median of 10."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        return time_statements(lambda statement: con.execute(statement).fetchall(), sql)


def pg_projects(url: str) -> int:
    """Synthetic projects in the PostgreSQL database (0 when empty or not migrated yet)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as con:
            return con.execute("SELECT count(*) FROM cooperation_project WHERE is_synthetic").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def pg_store(url: str, var_dir: Path, scale: str = "national") -> float | None:
    """Load the store of `scale` into the PostgreSQL at `url` unless it already holds it (as
    many synthetic projects as the SQLite store in `var_dir`). Seconds taken, or None when reused."""
    import sqlite3

    with sqlite3.connect(var_dir / "coopatlas.sqlite3") as con:
        wanted = con.execute("SELECT count(*) FROM cooperation_project WHERE is_synthetic").fetchone()[0]
    have = pg_projects(url)
    env = server.env_for(var_dir, url)
    if have == wanted:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        return None
    if have:
        raise SystemExit(
            f"bench.reads: {url} holds {have} synthetic projects, not the {wanted} of {var_dir}; "
            "give an empty database (createdb) or the one loaded before"
        )
    started = time.monotonic()
    for args in (("setup",), ("synth", "--scale", scale)):
        command = [sys.executable, "-m", "coopatlas.cli", *args]
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def run_store(label: str, var_dir: Path, database_url: str | None = None) -> None:
    db = var_dir / "coopatlas.sqlite3"
    proc, base = server.start(var_dir, kind="dev", database_url=database_url)
    datasette, datasette_base = _datasette(db) if database_url is None else (None, "")
    try:
        print(f"\n-- {label} --")
        print(
            f"{'request':32} {'cold':>8} {'median':>8} {'p95':>8} {'size':>9} {'raw SQL':>8} {'304':>7}"
            f" {'datasette':>9}"
        )
        worst = []
        for name, url, sql in calls(base):
            cold, status, size = fetch(url)
            samples = sorted(fetch(url)[0] for _ in range(RUNS))
            median = statistics.median(samples)
            p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
            worst.append((median, p95))
            not_modified_ms, not_modified = revalidate(url)
            raw = time_sql(db, sql) if database_url is None else time_sql_pg(database_url, sql)
            flag = "" if status == 200 and median < MEDIAN_MS and p95 < P95_MS else "  <-- "
            if status != 200:
                flag += f"HTTP {status}"
            elif flag:
                flag += "over target"
            same_sql = f"{time_datasette(datasette_base, sql):7.1f}ms" if datasette else "        -"
            print(
                f"{name:32} {cold:7.0f}ms {median:7.1f}ms {p95:7.1f}ms {size / 1024:7.1f}KB {raw:6.1f}ms"
                f" {not_modified_ms:5.1f}ms{'' if not_modified == 304 else f' ({not_modified})'}"
                f" {same_sql}{flag}"
            )
        ok = all(m < MEDIAN_MS and p < P95_MS for m, p in worst)
        print(f"targets (median < {MEDIAN_MS} ms, p95 < {P95_MS} ms warm): {'met' if ok else 'NOT met'}")
    finally:
        server.stop(proc)
        if datasette:
            server.stop(datasette)


# The searches' words against their indexed columns (core/search.py): the trigram index
# beside the scan it replaces, with the number of rows each finds (they must agree).
SEARCHES = (
    ("geo_localauthority", "search_name", ("mont", "saint", "bamako", "sur mer")),
    ("geo_authorityalias", "search_value", ("saint", "ville")),
    ("cooperation_project", "search_text", ("eau", "sante", "formation")),
    ("cooperation_partnership", "search_text", ("synth", "0012", "mopti")),
    ("cooperation_partnership", "slug", ("synth-pa", "0012")),
)


def search_index(db) -> None:
    import sqlite3

    con = sqlite3.connect(db)
    print(f"\n{'search (SQLite)':44} {'rows':>7} {'scan':>9} {'index':>9}")
    try:
        for table, column, words in SEARCHES:
            fts = f"{table}__{column}_trgm"
            for word in words:
                scan = f"SELECT count(*) FROM {table} WHERE {column} LIKE '%{word}%'"
                index = f"""SELECT count(*) FROM {table} WHERE id IN
                    (SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH '"{word}"')"""
                found = con.execute(scan).fetchone()[0], con.execute(index).fetchone()[0]
                same = "" if found[0] == found[1] else f"  <-- index finds {found[1]}"
                print(
                    f"{table + '.' + column + ' ~ ' + word:44} {found[0]:7} "
                    f"{time_sql(db, scan):7.1f}ms {time_sql(db, index):7.1f}ms{same}"
                )
    except sqlite3.OperationalError as exc:
        print(f"search index: {exc} (a store made before core/search.py: run `coopatlas setup`)")
    finally:
        con.close()


AFTER_WRITE = ("/", "/partenariats/", "/projets/", "/carte/partenariats.geojson")


def after_write(var_dir: Path) -> None:
    """The first visitor after a write: without the warm-up (recounts in the request), and
    after the worker's warm-up (ops/warm.py), timed here as the worker's own cost."""
    import sqlite3

    db = var_dir / "coopatlas.sqlite3"

    def bump() -> None:
        with sqlite3.connect(db) as con:
            con.execute("UPDATE core_dataversion SET version = version + 1")

    proc, base = server.start(var_dir, kind="dev")
    try:
        for path in AFTER_WRITE:  # warm the process itself
            fetch(base + path)
        print(f"\n{'first request after a write':32} {'no warm':>9} {'warmed':>9} {'warm-up':>9}")
        for path in AFTER_WRITE:
            bump()
            cold = fetch(base + path)[0]
            bump()
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "from coopatlas.ops.warm import warm_public_pages; warm_public_pages.call()",
                ],
                cwd=ROOT,
                env=server.env_for(var_dir),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            warm_up = time.perf_counter() - started
            warmed = fetch(base + path)[0]
            print(f"{path:32} {cold:7.0f}ms {warmed:7.0f}ms {warm_up:7.1f}s (all warm pages)")
    finally:
        server.stop(proc)


EXPORT_SCRIPT = """
import resource, sys, time
import django
django.setup()
from coopatlas.cooperation import selectors
from coopatlas.cooperation.filters import filters_from_params
from coopatlas.core.export import people_csv, people_csv_stream
streamed = sys.argv[1] == "stream"
started = time.perf_counter()
rows = selectors.project_list(filters=filters_from_params({}), all_rows=True)["results"]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
absolute = "http://127.0.0.1".__add__
if streamed:
    size = sum(len(piece) for piece in people_csv_stream(rows, absolute=absolute, area_names=lambda c: {}))
else:
    size = len(people_csv(list(rows), absolute=absolute))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(rows), size, (peak - before) / 1024, time.perf_counter() - started)
"""


def export_memory(var_dir: Path) -> None:
    """The projects' full CSV export: memory it adds to the process, built at once (as
    before issue 15) and streamed, each in a fresh process on the same store."""
    print(f"\n{'full CSV export of the projects':32} {'rows':>7} {'size':>9} {'+memory':>9} {'time':>7}")
    for how in ("whole", "stream"):
        out = subprocess.run(
            [sys.executable, "-c", EXPORT_SCRIPT, how],
            cwd=ROOT,
            env=server.env_for(var_dir),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        rows, size, added, seconds = int(out[0]), int(out[1]), float(out[2]), float(out[3])
        label = "built at once (before)" if how == "whole" else "streamed"
        print(f"{label:32} {rows:7} {size / 2**20:7.1f}MB {added:7.0f}MB {seconds:6.1f}s")


def run() -> None:
    national = OUT / "national"
    if not (national / "coopatlas.sqlite3").exists():
        national.mkdir(parents=True, exist_ok=True)
        coopatlas(national, "setup")
        coopatlas(national, "synth", "--scale", "national")
    extras = os.environ.get("BENCH_READS_EXTRAS", "1") != "0"  # search index, after a write, CSV
    if os.environ.get("BENCH_READS_SQLITE", "1") != "0":
        run_store("SQLite, national scale (synthetic data)", national)
        if extras:
            search_index(national / "coopatlas.sqlite3")
            after_write(national)
            export_memory(national)
    big = OUT / "10x"
    if os.environ.get("BENCH_10X", "1") != "0":
        store("10x")  # built once, then reused (bench/__main__.py)
        run_store("SQLite, 10x scale (synthetic data)", big)
        if extras:
            search_index(big / "coopatlas.sqlite3")
            after_write(big)
            export_memory(big)
    url = os.environ.get("COOPATLAS_BENCH_DATABASE_URL")
    if url:
        seconds = pg_store(url, national)
        loaded = "reused" if seconds is None else f"loaded by setup + synth in {seconds:.0f} s"
        run_store(f"PostgreSQL, national scale ($COOPATLAS_BENCH_DATABASE_URL, {loaded})", national, url)
        big_url = os.environ.get("COOPATLAS_BENCH_DATABASE_URL_10X")
        if big_url and os.environ.get("BENCH_10X", "1") != "0":
            store("10x")
            seconds = pg_store(big_url, big, "10x")
            loaded = "reused" if seconds is None else f"loaded by setup + synth in {seconds:.0f} s"
            run_store(f"PostgreSQL, 10x scale ($COOPATLAS_BENCH_DATABASE_URL_10X, {loaded})", big, big_url)
        else:
            print("PostgreSQL at 10x: skipped (set COOPATLAS_BENCH_DATABASE_URL_10X to a second database)")
    else:
        print(
            "\nPostgreSQL: skipped (set COOPATLAS_BENCH_DATABASE_URL to a PostgreSQL database, an empty "
            "one will do: the national store is loaded into it the first time)"
        )


if __name__ == "__main__":
    run()
