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
