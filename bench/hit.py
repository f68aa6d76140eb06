"""CPU of one public answer inside a server process, middleware and all (figures, not a test).

Calls the WSGI application in-process (what a gunicorn worker runs per request, minus the
socket) on the store in VAR_DIR with the bench settings, for a list of public URLs:
- "cached hit": the page is already kept under the current stamp (the crowd's common case);
- "miss": the kept pages dropped before each call, other cached reads (facets, counts)
  kept: a fiche read for the first time, a list at a stamp its facets are already cached at;
and prints CPU ms per call (process time, user + system) beside wall ms, and the number
of SQL queries per call. `--profile` prints cProfile's top functions of the cached hits
(`--miss`: of the misses); `--fiches` measures each kind of fiche (HTML and API) instead
of the mix. BENCH_HIT_RUNS hits and BENCH_HIT_MISSES misses per URL.

Re-run: `.venv/bin/python -m bench.hit [VAR_DIR] [--fiches] [--profile [--miss]]`
(default var/bench/national).
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_HIT_RUNS", 300))
MISSES = int(os.environ.get("BENCH_HIT_MISSES", max(5, RUNS // 30)))


def _environ(path: str, gzip: bool = True) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_LANGUAGE": "fr",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if gzip:
        env["HTTP_ACCEPT_ENCODING"] = "gzip"
    return env


def call(app, path: str, gzip: bool = True) -> tuple[str, int]:
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    body = app(_environ(path, gzip), start_response)
    size = sum(len(chunk) for chunk in body)
    if hasattr(body, "close"):
        body.close()
    return status[0], size


def _forget_pages() -> None:
    """Drop the kept pages only (other cached reads stay): a fiche read for the first time."""
    from django.conf import settings
    from django.db import connection

    from coopatlas.core import freshness

    table = settings.CACHES["default"]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE cache_key LIKE %s", ["%coopatlas:page:%"])
    getattr(freshness, "local_pages_clear", lambda: None)()


def measure(app, path: str, runs: int, *, miss: bool) -> tuple[float, float, float, int]:
    from django.db import connection, reset_queries

    status, size = call(app, path)
    if not status.startswith("200"):
        raise SystemExit(f"bench.hit: {path} answered {status}")
    cpu = wall = 0.0
    queries = 0
    connection.force_debug_cursor = True
    for _ in range(runs):
        if miss:
            _forget_pages()
        reset_queries()
        c0, w0 = time.process_time(), time.perf_counter()
        call(app, path)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        queries += len(connection.queries)
    connection.force_debug_cursor = False
    return 1000 * cpu / runs, 1000 * wall / runs, queries / runs, size


PATHS = (
    "/",
    "/partenariats/",
    "/projets/?country=SN",
    "/partenariats/synth-pa-000001/",
    "/projets/synth-pr-000001/",
    "/recherche/suggestions.json?q=mop",
    "/api/v1/partnerships?page_size=50",
)

# `--fiches`: the fiches a crowd reads for the first time (issue 15), each kind once.
FICHE_PATHS = (
    "/partenariats/synth-pa-000001/",
    "/projets/synth-pr-000001/",
    "/projets/synth-pr-000002/",
    "/collectivites/synth-fr-000002/",
    "/collectivites/synth-x-000001/",
    "/api/v1/partnerships/synth-pa-000001",
    "/api/v1/projects/synth-pr-000001",
    "/api/v1/local-authorities/synth-fr-000002",
)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    var_dir = Path(args[0]) if args else ROOT / "var" / "bench" / "national"
    from bench.server import env_for

    os.environ.update(env_for(var_dir))
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    load = os.getloadavg()
    print(f"in-process answers on {var_dir} (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"{'url':40} {'hit CPU':>9} {'hit wall':>9} {'SQL':>4} {'miss CPU':>9} {'miss wall':>9} {'SQL':>4}")
    paths = FICHE_PATHS if "--fiches" in sys.argv else PATHS
    for path in paths:
        hit = measure(app, path, RUNS, miss=False)
        missed = measure(app, path, MISSES, miss=True)
        print(
            f"{path[:40]:40} {hit[0]:7.2f}ms {hit[1]:7.2f}ms {hit[2]:4.0f} "
            f"{missed[0]:7.1f}ms {missed[1]:7.1f}ms {missed[2]:4.0f}"
        )
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        miss = "--miss" in sys.argv  # profile first reads (pages dropped before each call)
        for _ in range(RUNS if not miss else MISSES):
            for path in paths:
                if miss:
                    _forget_pages()
                call(app, path)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
