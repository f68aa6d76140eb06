"""`coopatlas serve`: gunicorn (production) or Django's development server (`--dev`).

Both start one background worker (`coopatlas worker`) beside them unless `--no-worker`
(a deployment runs its workers as their own services)."""

from __future__ import annotations

import atexit
import ctypes
import itertools
import os
import shutil
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from coopatlas.cli import SERVE_BOUNDS
from coopatlas.core.parse import BadNumber, cli_int, parse_int

METRICS_DIR_PREFIX = "coopatlas-metrics-"  # made by cli.py for this server only


def default_workers() -> int:
    """One process per core. Each holds the app (~150 MB resident with its copies of kept
    pages) and Python runs one thread at a time per process, so more processes than cores
    add memory, not answers; threads (below) cover the waits on the database and the socket.
    Measured on 2 cores (bench/load): 2 processes × 4 threads answered more a second than
    3 single-threaded ones, in less memory; and 3 threads more than 4 (below)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores


# Threads per process (gthread): keep-alive connections and database waits overlap, but
# threads wait for each other's Python. Measured on 2 cores (bench/load, 50 readers, first
# minute after a write), 4 → 3 threads: PostgreSQL national 206 → 241 answers/s, 10x 185 →
# 215; SQLite 10x 315 → 396 (CPU per answer 5.9 → 4.7 ms); 2 threads: 223 (PostgreSQL
# national).
DEFAULT_THREADS = 3

# Every TRIM_EVERY answers a worker gives the C heap's free pages back to the system
# (glibc's malloc_trim): a page read frees most of what it built, but glibc keeps the freed
# pages mapped, so each worker's resident memory ratcheted up to its busiest moment.
TRIM_EVERY = 100


def heap_trimmer(every: int = TRIM_EVERY):
    """A gunicorn `post_request` hook calling malloc_trim(0) every `every` answers of the
    process, or None where the C library has no malloc_trim (musl, macOS)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    answers = itertools.count(1)

    def post_request(worker, req, environ, resp):
        if next(answers) % every == 0:
            trim(0)

    return post_request


class Command(BaseCommand):
    help = "Serve the atlas: gunicorn on 127.0.0.1:PORT, or the development server with --dev."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=cli_int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--dev", action="store_true")
        parser.add_argument("--workers", type=cli_int, default=None)
        parser.add_argument("--threads", type=cli_int, default=DEFAULT_THREADS)
        # (bounds checked in handle, for call_command too: SERVE_BOUNDS, as the launcher)
        parser.add_argument("--no-worker", action="store_true")

    def handle(
        self,
        *args,
        port: int,
        host: str,
        dev: bool,
        workers: int | None,
        no_worker: bool,
        threads: int = DEFAULT_THREADS,
        **options,
    ):
        for name, value in (("port", port), ("workers", workers), ("threads", threads)):
            if value is not None:
                low, high = SERVE_BOUNDS[name]
                try:
                    parse_int(value, field=f"--{name}", minimum=low, maximum=high)
                except BadNumber as exc:
                    raise CommandError(exc.message) from None
        self._database_ready()
        if not no_worker and os.environ.get("RUN_MAIN") != "true":  # not again in runserver's child
            self._start_task_worker()
        if dev:
            from django.core.management import call_command

            call_command("runserver", f"{host}:{port}")
            return
        self._gunicorn(host=host, port=port, workers=workers or default_workers(), threads=threads)

    @staticmethod
    def _database_ready() -> None:
        """A server on a database that cannot be reached or was never set up would answer
        every page with an error (and its worker die on a missing table): say so first."""
        from django.db import DatabaseError

        from coopatlas.ops.health import pending_migrations

        try:
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(
                _(
                    "La base de données ne répond pas (%(error)s) : vérifiez DATABASE_URL, "
                    "ou lancez `coopatlas setup` pour préparer la base SQLite."
                )
                % {"error": str(exc).strip()[:200]}
            ) from None
        if pending:
            raise CommandError(
                _(
                    "La base de données n'est pas prête : %(n)s migration(s) à appliquer "
                    "(%(names)s). Lancez `coopatlas setup` (ou `make run`) d'abord."
                )
                % {"n": len(pending), "names": ", ".join(pending[:3])}
            )

    def _start_task_worker(self) -> None:
        worker = subprocess.Popen([sys.executable, "-m", "coopatlas.cli", "worker"], env=os.environ.copy())

        def stop():
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

        atexit.register(stop)

    def _gunicorn(self, *, host: str, port: int, workers: int, threads: int) -> None:
        from django.core.wsgi import get_wsgi_application
        from gunicorn.app.base import BaseApplication

        application = get_wsgi_application()
        connections.close_all()  # nothing opened before the fork is shared by the workers
        metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

        def child_exit(server, worker):
            if metrics_dir:
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(worker.pid)

        def on_exit(server):
            if metrics_dir and os.path.basename(metrics_dir).startswith(METRICS_DIR_PREFIX):
                shutil.rmtree(metrics_dir, ignore_errors=True)

        options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            # gthread: keep-alive (a sync worker closes every connection) and a few requests
            # per process in flight while one waits on the database.
            "worker_class": "gthread" if threads > 1 else "sync",
            "threads": threads,
            "preload_app": True,  # one copy of the code, shared by the workers (copy-on-write)
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            "max_requests": 20000,  # recycle a worker now and then (its memory is bounded anyway)
            "max_requests_jitter": 500,
            "accesslog": None,  # django-structlog logs each request (JSON, with its id)
            "errorlog": "-",
            "child_exit": child_exit,
            "on_exit": on_exit,
            "proc_name": "coopatlas",
            "control_socket_disable": True,  # several servers may run on one machine
        }
        trimmer = heap_trimmer()
        if trimmer:
            options["post_request"] = trimmer

        class Server(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        self.stdout.write(
            _("coopatlas sur http://%(host)s:%(port)s (gunicorn, %(n)s processus × %(t)s fils)")
            % {"host": host, "port": port, "n": workers, "t": threads}
        )
        Server().run()
