"""`python -m bench.load [VAR_DIR]` (and `make bench`): a load test on loopback (figures, not a test).

Starts `coopatlas serve` (gunicorn, production-like bench settings) on the store in VAR_DIR
(default var/bench/national, made by `make bench`), runs locust headless — LOAD_USERS readers
(50) for LOAD_SECONDS (60) on a mix of public pages — then prints answers per second, p95,
errors and the server's resident memory (master + workers), beside the targets."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import psutil

from bench import server as bench_server

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"p95_ms": 500, "rps": 150, "rss_mb": 500}


def _pages(db: Path) -> str:
    """The default mix, plus one real partnership and project fiche of this store."""
    paths = [
        "/:3",
        "/partenariats/:2",
        "/projets/?country=SN:2",
        "/collectivites/:1",
        "/pays/senegal/:1",
        "/recherche/suggestions.json?q=mop:2",
        "/api/v1/partnerships?page_size=50:1",
    ]
    with sqlite3.connect(db) as conn:
        for table, prefix in (
            ("cooperation_partnership", "partenariats"),
            ("cooperation_project", "projets"),
        ):
            row = conn.execute(
                f"SELECT slug FROM {table} WHERE publication_status='published' LIMIT 1"
            ).fetchone()
            if row:
                paths.append(f"/{prefix}/{row[0]}/:2")
    return " ".join(paths)


def _rss_mb(pid: int) -> float:
    try:
        parent = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except psutil.Error:
        return 0.0


def run(var_dir: Path, *, users: int | None = None, seconds: int | None = None) -> dict:
    users = users or int(os.environ.get("LOAD_USERS") or 50)
    seconds = seconds or int(os.environ.get("LOAD_SECONDS") or 60)
    server, base = bench_server.start(var_dir, kind="prod")
    peak = [0.0]
    stop = threading.Event()

    def watch():
        while not stop.wait(1):
            peak[0] = max(peak[0], _rss_mb(server.pid))

    try:
        for path in ("/", "/partenariats/", "/projets/"):  # warm the workers once
            urllib.request.urlopen(base + path, timeout=60)
        threading.Thread(target=watch, daemon=True).start()
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "load"
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
                env={**os.environ, "LOAD_PATHS": _pages(var_dir / "coopatlas.sqlite3")},
                check=False,
                stdout=subprocess.DEVNULL,
                timeout=seconds + 120,
            )
            with open(f"{prefix}_stats.csv", newline="") as fh:
                rows = list(csv.DictReader(fh))
    finally:
        stop.set()
        rss_now = _rss_mb(server.pid)
        bench_server.stop(server)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    figures = {
        "users": users,
        "seconds": seconds,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "median_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "rss_mb": max(peak[0], rss_now),
    }
    print(f"load: {users} readers for {seconds} s on a mix of public pages (gunicorn, loopback)")
    for row in rows:
        if row["Name"] != "Aggregated":
            print(
                f"  {row['Name'][:40]:40} {int(row['Request Count']):6} req"
                f"  median {float(row['50%']):6.0f} ms"
                f"  p95 {float(row['95%']):6.0f} ms  errors {row['Failure Count']}"
            )
    print(
        f"answers/s {figures['rps']:.1f} (target >= {TARGETS['rps']}), "
        f"p95 {figures['p95_ms']:.0f} ms (target < {TARGETS['p95_ms']}), "
        f"median {figures['median_ms']:.0f} ms, "
        f"errors {figures['errors']} of {figures['requests']} (target 0), "
        f"server RSS peak {figures['rss_mb']:.0f} MB (target < {TARGETS['rss_mb']})"
    )
    return figures


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "var" / "bench" / "national"
    if not (target / "coopatlas.sqlite3").exists():
        raise SystemExit(
            f"bench.load: no store in {target}; run `make bench` first, or give a COOPATLAS_VAR_DIR"
        )
    run(target)
