"""Shared test set-up: one database per worker, loaded once with reference and demo data.

Read-only tests use it as it is; write tests run inside a rolled-back transaction.
Browser tests need /usr/bin/chromium: skipped with the reason outside CI, an error in CI.
"""

import os
import shutil

import pytest
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.core.management import get_commands

    available = get_commands()
    with django_db_blocker.unblock():
        for name in ("load_reference", "load_demo"):
            if name in available:  # while the loaders are being built
                call_command(name, verbosity=0)


def pytest_collection_modifyitems(config, items):
    has_chromium = os.path.exists(CHROMIUM)
    if has_chromium:
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
    """The site configuration is kept per data stamp in the process; a test's bumps are
    rolled back with it, so the next test could meet the same stamp number again."""
    from coopatlas.atlas.context_processors import site_config_clear
    from coopatlas.core import memo

    site_config_clear()
    memo.clear()
    yield
    site_config_clear()
    memo.clear()


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
