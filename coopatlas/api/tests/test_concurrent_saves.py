"""Concurrent saves of the same version: exactly one 200, the others 409, never a 500.

On SQLite the saves run against a file database in a subprocess (the tests' in-memory
database has one connection, so it cannot show the bug): with SQLite's default DEFERRED
transactions the losers answered 500 "database is locked"; IMMEDIATE transactions and the
busy timeout (settings/base.py) make them wait and get their 409. On PostgreSQL the same
function runs in this process, on the test database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .concurrency import patch_concurrently

SAVES = 4


def _on_a_file_sqlite(tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'concurrent.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.test",
        "CONCURRENT_SAVES": str(SAVES),
    }
    done = subprocess.run(
        [sys.executable, "-m", "coopatlas.api.tests.concurrency"],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check(result: dict) -> None:
    # a test whose saves ran one after the other would pass without proving anything
    assert result["overlapped"], result
    assert result["statuses"] == [200] + [409] * (SAVES - 1), result
    assert result["version"] == 2  # one save took the version; no loser consumed one


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite run of the same check")
def test_concurrent_saves_on_sqlite_answer_one_200_and_the_rest_409(tmp_path):
    _check(_on_a_file_sqlite(tmp_path))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the PostgreSQL run (make test-postgres); SQLite runs the same check on a file database",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_on_postgresql_answer_one_200_and_the_rest_409():
    _check(patch_concurrently(n=SAVES))  # pragma: no cover - PostgreSQL CI
