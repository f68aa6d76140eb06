"""`coopatlas backup` / `coopatlas restore` on real SQLite files, through the CLI.

A populated database is backed up, restored into an empty (migrated) one and compared
table by table, row by row; a damaged or truncated archive is refused and leaves the target
empty."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

POPULATE = r"""
import django, decimal
django.setup()
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from coopatlas.accounts.models import User
from coopatlas.cooperation.tests.factories import ProjectFactory, FundingFactory
from coopatlas.documents.models import Document
user = User.objects.create_user(email="marie@example.org", password="x" * 20)
project = ProjectFactory()
FundingFactory(project=project) if hasattr(FundingFactory, "_meta") else None
doc = Document(project=project, title="Convention", original_name="c.pdf", kind="pdf", size=9,
               sha256="0" * 64, uploaded_by=user)
doc.file.save("convention.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
send_mail("Bienvenue", "Votre compte est prêt.", None, ["marie@example.org"])
"""


def _env(var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COOPATLAS_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="coopatlas.config.settings.dev")
    env["COOPATLAS_EMAIL_DELIVERY"] = "django.core.mail.backends.locmem.EmailBackend"
    return env


def _run(var: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=ROOT, env=_env(var), capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
    return done


def _cli(var: Path, *args: str, check: bool = True):
    return _run(var, sys.executable, "-m", "coopatlas.cli", *args, check=check)


def _tables(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            if not row[0].startswith("sqlite_")
            and row[0] not in ("django_cache", "core_dataversion")
            and "_trgm" not in row[0]  # search indexes (core/search.py): rebuilt from the rows
        ]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A migrated empty database (copied for each target) and a populated one with its archive."""
    base = tmp_path_factory.mktemp("backup")
    empty, source = base / "empty", base / "source"
    empty.mkdir()
    _run(empty, sys.executable, "manage.py", "migrate", "-v0")
    shutil.copytree(empty, source)
    _run(source, sys.executable, "-c", POPULATE)
    archive = base / "atlas.tar"
    out = _cli(source, "backup", str(archive)).stdout
    assert "Sauvegarde écrite" in out
    return base, empty, source, archive


def _fresh(base: Path, empty: Path, name: str) -> Path:
    target = base / name
    shutil.copytree(empty, target)
    return target


def test_restore_into_an_empty_database_gives_back_every_row_and_document(stores):
    base, empty, source, archive = stores
    target = _fresh(base, empty, "target")
    out = _cli(target, "restore", str(archive)).stdout
    assert "Restauration terminée" in out
    before, after = _tables(source / "coopatlas.sqlite3"), _tables(target / "coopatlas.sqlite3")
    assert set(before) == set(after)
    assert before["ops_outboxmessage"] and before["documents_document"] and before["cooperation_project"]
    for table in before:
        assert after[table] == before[table], table
    docs = list((source / "media").rglob("*.pdf"))
    assert docs
    for doc in docs:
        assert (target / "media" / doc.relative_to(source / "media")).read_bytes() == doc.read_bytes()
    # The restored database takes new rows (sequences follow the restored ids).
    out = _run(
        target,
        sys.executable,
        "-c",
        "import django; django.setup(); from coopatlas.accounts.models import User;"
        "print(User.objects.create_user(email='new@example.org', password='y' * 20).pk)",
    ).stdout
    assert int(out) > max(row[0] for row in before["accounts_user"])


def _assert_nothing_restored(target: Path):
    rows = _tables(target / "coopatlas.sqlite3")
    assert not rows["cooperation_project"] and not rows["accounts_user"] and not rows["ops_outboxmessage"]
    assert not list((target / "media").rglob("*.pdf")) if (target / "media").exists() else True


def test_a_damaged_archive_is_refused_and_nothing_is_written(stores):
    base, empty, source, archive = stores
    damaged = base / "damaged.tar"
    data = bytearray(archive.read_bytes())
    at = data.find(b"Bienvenue")  # inside the outbox table's rows
    assert at > 0
    data[at] ^= 0x20
    damaged.write_bytes(bytes(data))
    target = _fresh(base, empty, "target-damaged")
    done = _cli(target, "restore", str(damaged), check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "somme de contrôle" in done.stderr and "ops.outboxmessage" in done.stderr
    _assert_nothing_restored(target)


def test_a_truncated_archive_is_refused(stores):
    base, empty, source, archive = stores
    truncated = base / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = _fresh(base, empty, "target-truncated")
    done = _cli(target, "restore", str(truncated), check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "rien n'a été restauré" in done.stderr
    _assert_nothing_restored(target)


def test_restore_refuses_a_database_that_has_data(stores):
    base, empty, source, archive = stores
    done = _cli(source, "restore", str(archive), check=False)
    assert done.returncode == 2 and "n'est pas vide" in done.stderr
    missing = _cli(source, "restore", str(base / "nope.tar"), check=False)
    assert missing.returncode == 2 and "introuvable" in missing.stderr
