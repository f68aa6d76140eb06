"""Shared test set-up: one database per worker, loaded once with reference and demo data.

Read-only tests use it as it is; write tests run inside a rolled-back transaction.
Browser tests need /usr/bin/chromium: skipped with the reason outside CI, an error in CI.

Under xdist the first worker migrates and loads its database, then leaves a copy (a file
for SQLite, a template database for PostgreSQL); the other workers start from that copy
instead of migrating and loading again (about 30 s on SQLite, 45 s on PostgreSQL each, and
the workers no longer load at the same time on two cores).
"""

import fcntl
import os
import shutil
import sqlite3
from contextlib import contextmanager

import pytest
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _load_reference_and_demo() -> None:
    from django.core.management import get_commands

    available = get_commands()
    for name in ("load_reference", "load_demo"):
        if name in available:  # while the loaders are being built
            call_command(name, verbosity=0)


@contextmanager
def _locked(path):
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _snapshot_name(shared) -> str:
    """The PostgreSQL template of this run (one per pytest run: its temporary folder's name)."""
    return "test_snapshot_" + "".join(c if c.isalnum() else "_" for c in shared.name).lower()


def _snapshot_make(connection, shared) -> None:
    """The loaded database, copied where the other workers start from."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(shared / "snapshot.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        own = connection.settings_dict["NAME"]
        connection.close()  # a template must have no open connection
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{_snapshot_name(shared)}"')
            cursor.execute(f'CREATE DATABASE "{_snapshot_name(shared)}" TEMPLATE "{own}"')
    (shared / f"snapshot-{connection.vendor}.ready").touch()


def _snapshot_restore(connection, shared) -> list:
    """This worker's test database made from the snapshot: what setup_databases would have
    made, without migrating and loading again. Returns teardown_databases's configuration."""
    from django.conf import settings

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    name = creation._get_test_db_name()
    if connection.vendor != "sqlite":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_snapshot_name(shared)}"')
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    if connection.vendor == "sqlite":  # an in-memory database, filled from the file
        source = sqlite3.connect(shared / "snapshot.sqlite3")
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    return [(connection, old_name, True)]


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    worker = getattr(request.config, "workerinput", {}).get("workerid")
    with django_db_blocker.unblock():
        if worker is None:  # one process: nobody to share with
            db_cfg = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
            _load_reference_and_demo()
        else:
            shared = request.config._tmp_path_factory.getbasetemp().parent
            with _locked(shared / "snapshot.lock"):
                if (shared / f"snapshot-{connection.vendor}.ready").exists():
                    db_cfg = _snapshot_restore(connection, shared)
                else:
                    db_cfg = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
                    _load_reference_and_demo()
                    _snapshot_make(connection, shared)
                    connection.ensure_connection()
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=0)


def pytest_sessionfinish(session, exitstatus):
    """The controller drops the PostgreSQL template its workers started from."""
    if hasattr(session.config, "workerinput") or not hasattr(session.config, "_tmp_path_factory"):
        return
    shared = session.config._tmp_path_factory.getbasetemp()
    if not (shared / "snapshot-postgresql.ready").exists():
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    with session.config.stash[blocking_manager_key].unblock(), connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{_snapshot_name(shared)}"')


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI: /usr/bin/chromium is missing; .ci/run must install it")
    skip = pytest.mark.skip(reason="browser suite skipped: install Debian's chromium to run it")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in French: a test that switches language must not leak it to the next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _site_config_forgotten():
    """The site configuration, the kept pages and the cached reads are kept per data stamp
    in the process; a test's bumps are rolled back with it, so the next test could meet the
    same stamp number again (the shared cache is a table: its rows are rolled back too)."""
    from coopatlas.atlas.context_processors import site_config_clear
    from coopatlas.core import freshness, memo

    def forget():
        site_config_clear()
        memo.clear()
        freshness.local_pages_clear()

    forget()
    yield
    forget()


# --- Browser suites: one real server on a database made by `coopatlas setup` ---------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


class Site:
    """A served coopatlas: its URL, and the CLI run against the same database."""

    def __init__(self, env: dict, root):
        self.env, self.root, self.base = env, root, ""

    def cli(self, *args: str) -> str:
        import subprocess
        import sys

        done = subprocess.run(
            [sys.executable, "-m", "coopatlas.cli", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
        return done.stdout


@pytest.fixture(scope="session")
def coopatlas_site(tmp_path_factory):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        COOPATLAS_VAR_DIR=str(tmp_path_factory.mktemp("var")),
        DJANGO_SETTINGS_MODULE="coopatlas.config.settings.dev",
    )
    site = Site(env, root)
    site.cli("setup")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "coopatlas.cli", "serve", "--port", str(port)],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site.base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(site.base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server started by `coopatlas serve` did not answer")
        yield site
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _serve_until_answering(site: Site, *args: str):
    """`coopatlas serve` on a free port for `site`; the process, once / answers."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "coopatlas.cli", "serve", "--port", str(port), *args],
        env=site.env,
        cwd=site.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site.base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(site.base + "/", timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers, even if not 200
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    proc.wait(timeout=20)
    pytest.fail("the server started by `coopatlas serve` did not answer")


@pytest.fixture(scope="session")
def coopatlas_prod_site(coopatlas_site):
    """The same database and collected static files (WhiteNoise's compressed manifest, made
    by `coopatlas setup` in the var dir) served with DEBUG off: the bench settings, i.e.
    production's without HTTPS and secrets from the environment. What a visitor sees:
    the atlas's own 404, 403 and CSRF pages, never Django's technical ones. One gunicorn
    worker and no task worker (coopatlas_site's runs against the same database)."""
    env = dict(coopatlas_site.env, DJANGO_SETTINGS_MODULE="coopatlas.config.settings.bench")
    site = Site(env, coopatlas_site.root)
    proc = _serve_until_answering(site, "--workers", "1", "--no-worker")
    try:
        yield site
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
