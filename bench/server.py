"""The one way the benches start a server on a store: environment, free port, wait until it
answers, stop it. `make bench`'s page table, bench.reads and bench.load all use it.

`kind="dev"`: Django's development server, one thread (single-request timings, no worker
noise). `kind="prod"`: `coopatlas serve` (gunicorn, workers from the cores), for load.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env_for(var_dir: Path, database_url: str | None = None) -> dict:
    """Bench settings on the store in var_dir; DATABASE_URL only when asked (PostgreSQL)."""
    env = dict(os.environ)
    env.update(COOPATLAS_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.setdefault("COOPATLAS_LOG_LEVEL", "WARNING")  # one log line per request would cost CPU here
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(kind: str, port: int) -> list[str]:
    if kind == "dev":
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"]
    if kind == "prod":
        return [sys.executable, "-m", "coopatlas.cli", "serve", "--port", str(port), "--no-worker"]
    raise ValueError(f"bench server kind: dev or prod, not {kind!r}")


def start(
    var_dir: Path, *, kind: str = "dev", database_url: str | None = None, ready: str = "/healthz"
) -> tuple[subprocess.Popen, str]:
    """The server process and its base URL, once `ready` answers (120 s at most: gunicorn
    on a busy machine)."""
    port = free_port()
    proc = subprocess.Popen(
        _command(kind, port),
        cwd=ROOT,
        env=env_for(var_dir, database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: the {kind} server exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(base + ready, timeout=5)
            return proc, base
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"bench: the {kind} server did not answer {ready} within 120 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running(var_dir: Path, **kwargs):
    proc, base = start(var_dir, **kwargs)
    try:
        yield proc, base
    finally:
        stop(proc)
