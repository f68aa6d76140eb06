"""`python -m bench.load [VAR_DIR]` (and `make bench`): a load test on loopback (figures, not a test).

Starts `coopatlas serve` (gunicorn, production-like bench settings) on the store in VAR_DIR
(default var/bench/national, made by `make bench`), runs locust headless — LOAD_USERS
concurrent clients (50, no think time: see locustfile.py) for LOAD_SECONDS (60) on a mix of
public pages drawn from the store (bench/load/pages.py) — then prints answers per second,
p95, errors and the server's resident memory (master + workers), beside the targets; and the
server's CPU seconds per answer (psutil), a figure that does not depend on what else the
machine is doing: 2 idle cores can answer at most 2,000 / (CPU ms per answer) a second.

Before the measure, the mix's few dozen list, country and API pages (the URLs the whole
crowd shares, which a running atlas has been asked for already) are read once
(LOAD_PREWARM=0: not); the thousands of fiches and suggestions stay first visits.
The crowd is measured LOAD_ROUNDS (2) times back to back on the same server: round 1 is its
first minute after a write (every fiche a first visit), round 2 the same crowd going on (what
it read in round 1 kept, thousands of other fiches still first visits): a server's first
minute, then its way to a steady state. LOAD_WARMUP_SECONDS (0) first lets the crowd read that
long unmeasured.

On PostgreSQL: `python -m bench.load var/bench/national postgres://…` serves the store loaded
into that database (bench/reads.py's pg_store loads it: the same seed as the SQLite file);
`make bench` runs it when $COOPATLAS_BENCH_DATABASE_URL is set.

Re-run: `.venv/bin/python -m bench.load var/bench/national` (or var/bench/10x)."""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from bench import server as bench_server

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"p95_ms": 500, "rps": 150, "rss_mb": 500}
# Every run starts from an empty shared cache (runs are comparable: nothing kept from the
# last one), then renders what a deployment's worker renders after each write.
WARM = (
    "from django.core.cache import cache; cache.clear(); "
    "from coopatlas.ops.warm import warm_public_pages; warm_public_pages.call()"
)


def _rss_mb(pid: int) -> float:
    try:
        parent = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except psutil.Error:
        return 0.0


def _anon_mb(pid: int) -> float:
    """The processes' own memory (RSS less its file-backed and shared pages: code, the SQLite
    file's memory map), summed."""
    try:
        parent = psutil.Process(pid)
        return (
            sum(
                p.memory_info().rss - p.memory_info().shared
                for p in [parent, *parent.children(recursive=True)]
            )
            / 2**20
        )
    except psutil.Error:
        return float("nan")


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (the preloaded code, copy-on-write) counted once
    across the processes, where a sum of RSS counts them once per process."""
    try:
        parent = psutil.Process(pid)
        return sum(p.memory_full_info().pss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except (psutil.Error, AttributeError):
        return float("nan")


class ServerCpu:
    """CPU seconds (user + system) the server spent: master, live workers, and workers that
    exited (gunicorn recycles them after max_requests; the master reaps them, so their time
    is in its children_* fields). Sampled each second; a worker's last sample counts."""

    def __init__(self, pid: int):
        self.pid = pid
        self.last: dict[int, float] = {}
        self.start = self.total()

    def sample(self) -> None:
        try:
            master = psutil.Process(self.pid)
            t = master.cpu_times()
            now = {self.pid: t.user + t.system + t.children_user + t.children_system}
            for child in master.children(recursive=True):
                c = child.cpu_times()
                now[child.pid] = c.user + c.system
        except psutil.Error:
            return  # a worker between its exit and its reaping: the last sample stands
        # Only the live processes: a recycled worker's time is in the master's children_*
        # fields once reaped; keeping its last sample too counted it twice.
        self.last = now

    def total(self) -> float:
        self.sample()
        return sum(self.last.values())


# Pages a running atlas has been asked for before (a few dozen URLs the whole crowd shares):
# read once before the measure unless LOAD_PREWARM=0. Fiches and suggestions, thousands of
# URLs, stay first visits.
PREWARM_KINDS = ("home", "list", "country fiche", "api list")


def _prewarm(base: str, pages_file: Path) -> int:
    import json

    pages = json.loads(pages_file.read_text(encoding="utf-8"))
    urls = [path for kind in PREWARM_KINDS for path in pages.get(kind, {}).get("paths", [])]
    for path in urls:
        request = urllib.request.Request(
            base + path, headers={"Accept-Encoding": "gzip", "Accept-Language": "fr"}
        )
        urllib.request.urlopen(request, timeout=120).read()
    return len(urls)


def _locust(base: str, users: int, seconds: int, prefix: Path, pages_file: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 5)),
            "-t",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_PAGES_FILE": str(pages_file)},
        check=False,
        stdout=subprocess.DEVNULL,
        timeout=seconds + 120,
    )


def _measure(base: str, users: int, seconds: int, tmp: Path, name: str, pages_file: Path, cpu) -> dict:
    """One measured round: locust for `seconds`, the server's CPU over it, locust's figures."""
    prefix = tmp / name
    cpu_before, wall_before = cpu.total(), time.monotonic()
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _locust(base, users, seconds, prefix, pages_file)
    server_cpu, wall = cpu.total() - cpu_before, time.monotonic() - wall_before
    client = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (client.ru_utime - client_before.ru_utime) + (client.ru_stime - client_before.ru_stime)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    return {
        "rows": rows,
        "users": users,
        "seconds": seconds,
        "requests": requests,
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "median_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "wall_s": wall,
        "cpu_ms_per_request": 1000 * server_cpu / max(1, requests),
        "load_avg": os.getloadavg(),
    }


def _print_round(label: str, figures: dict) -> None:
    print(f"{label}:")
    for row in figures["rows"]:
        if row["Name"] != "Aggregated":
            print(
                f"  {row['Name'][:40]:40} {int(row['Request Count']):6} req"
                f"  median {float(row['50%']):6.0f} ms"
                f"  p95 {float(row['95%']):6.0f} ms  errors {row['Failure Count']}"
            )
    print(
        f"  answers/s {figures['rps']:.1f} (target >= {TARGETS['rps']}), "
        f"p95 {figures['p95_ms']:.0f} ms (target < {TARGETS['p95_ms']}), "
        f"median {figures['median_ms']:.0f} ms, "
        f"errors {figures['errors']} of {figures['requests']} (target 0)"
    )
    print(
        f"  server CPU {figures['server_cpu_s']:.1f} s for {figures['requests']} answers = "
        f"{figures['cpu_ms_per_request']:.2f} ms CPU per answer "
        f"(2 idle cores: at most {2000 / max(figures['cpu_ms_per_request'], 0.01):.0f} answers/s); "
        f"locust's own CPU {figures['client_cpu_s']:.1f} s; wall {figures['wall_s']:.0f} s; "
        f"load average {' '.join(f'{x:.2f}' for x in figures['load_avg'])}"
    )


def run(
    var_dir: Path, *, users: int | None = None, seconds: int | None = None, database_url: str | None = None
) -> list[dict]:
    """LOAD_ROUNDS (2) measured rounds back to back on one server: the first is the crowd's
    first minute after a write (every fiche a first visit), the next ones the same crowd
    going on (the fiches it read already kept, the long tail still first visits)."""
    users = users or int(os.environ.get("LOAD_USERS") or 50)
    seconds = seconds or int(os.environ.get("LOAD_SECONDS") or 60)
    rounds = max(1, int(os.environ.get("LOAD_ROUNDS") or 2))
    warmup = int(os.environ.get("LOAD_WARMUP_SECONDS") or 0)
    prewarm = os.environ.get("LOAD_PREWARM", "1") != "0"
    server, base = bench_server.start(var_dir, kind="prod", database_url=database_url)
    env = bench_server.env_for(var_dir, database_url)
    peak = [0.0, 0.0]  # summed RSS, PSS
    stop = threading.Event()
    cpu = ServerCpu(server.pid)
    results: list[dict] = []

    def watch():
        while not stop.wait(1):
            peak[0] = max(peak[0], _rss_mb(server.pid))
            peak[1] = max(peak[1], _pss_mb(server.pid))
            cpu.sample()

    try:
        # What a deployment's worker does after each write (ops/warm.py): the most-read
        # pages rendered again. Every other page of the mix is a first visit to the server.
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", WARM],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for path in ("/", "/partenariats/", "/projets/"):  # each process's imports and templates
            for _ in range(4):
                urllib.request.urlopen(base + path, timeout=60).read()
        threading.Thread(target=watch, daemon=True).start()
        with tempfile.TemporaryDirectory() as tmp:
            pages_file = Path(tmp) / "pages.json"
            subprocess.run(
                [sys.executable, "-m", "bench.load.pages", str(pages_file)],
                cwd=ROOT,
                env=env,
                check=True,
            )
            prewarmed = _prewarm(base, pages_file) if prewarm else 0
            if warmup:  # the same crowd before the measured runs
                _locust(base, users, warmup, Path(tmp) / "warmup", pages_file)
            for n in range(rounds):
                results.append(_measure(base, users, seconds, Path(tmp), f"round{n}", pages_file, cpu))
    finally:
        stop.set()
        rss_now, pss_now, anon_now = _rss_mb(server.pid), _pss_mb(server.pid), _anon_mb(server.pid)
        bench_server.stop(server)
    print(
        f"load on {'PostgreSQL' if database_url else 'SQLite'}: {users} concurrent readers "
        f"(no think time), {rounds} × {seconds} s on a mix of public pages"
        f" (coopatlas serve, loopback, locust FastHttpUser; "
        + (
            f"{prewarmed} list, country and API pages read once before; "
            if prewarm
            else "nothing read before; "
        )
        + (f"after {warmup} s of the same crowd unmeasured)" if warmup else "no warm-up crowd)")
    )
    for n, figures in enumerate(results):
        start, end = n * seconds, (n + 1) * seconds
        what = "every fiche a first visit" if n == 0 else "fiches read in earlier rounds kept"
        _print_round(f"round {n + 1}, {start}-{end} s ({what})", figures)
    rss = max(peak[0], rss_now)
    print(
        f"server memory: RSS summed over master and workers {rss:.0f} MB at its peak "
        f"(target < {TARGETS['rss_mb']}); PSS {max(peak[1], pss_now):.0f} MB at its peak, "
        f"{pss_now:.0f} MB at the end "
        f"(shared pages counted once: the preloaded code, the SQLite memory map), "
        f"anonymous {anon_now:.0f} MB (the processes' own: heap, page copies, SQLite page caches)"
    )
    for figures in results:
        figures.update(rss_mb=rss, pss_mb=pss_now, pss_peak_mb=max(peak[1], pss_now))
    return results


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "var" / "bench" / "national"
    database_url = sys.argv[2] if len(sys.argv) > 2 else None
    if len(sys.argv) > 3 or (database_url and not database_url.startswith(("postgres://", "postgresql://"))):
        raise SystemExit("usage: python -m bench.load [VAR_DIR] [postgres://user@host:port/db]")
    if not (target / "coopatlas.sqlite3").exists():
        raise SystemExit(
            f"bench.load: no store in {target}; run `make bench` first, or give a COOPATLAS_VAR_DIR"
        )
    if database_url:
        from bench.reads import pg_store

        pg_store(database_url, target, target.name)  # loaded once, then reused
    run(target, database_url=database_url)
