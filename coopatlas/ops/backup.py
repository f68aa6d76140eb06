"""Backup and restore of the database and the documents, as one tar archive.

The archive holds:
- `data/<app_label>.<model>.jsonl`: every row of every table Django knows (models, many-to-many
  tables, the task queue's), one JSON array of column values per line, read in one
  transaction (REPEATABLE READ on PostgreSQL, one read transaction on SQLite's WAL): a
  consistent snapshot while the site keeps serving;
- `media/...`: each uploaded document of the default storage (filesystem or S3);
- `manifest.json`: format, the migrations the data was written under, the columns and row
  count of each table, and the SHA-256 of every other member.

A Django-level dump rather than pg_dump or SQLite's file: one format for both databases, so an
archive of SQLite restores into PostgreSQL and back, and no client binary of the right
version is needed.

Restore checks the whole archive (every checksum, every table known, the same migrations)
before writing anything; then loads every table in one transaction into an empty database,
and puts the documents in place last, inside that transaction: any failure rolls back the
rows and removes the files written so far. It never half-restores.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import hashlib
import io
import json
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError

FORMAT = "coopatlas-backup/1"
BATCH = 2000
# Rows that a new database gets from `migrate` itself: replaced by the archive's.
REPLACED_ON_RESTORE = {"contenttypes.contenttype", "auth.permission"}
# Never dumped: the cache is rebuilt on demand.
SKIPPED = {"django_cache", "core_dataversion"}  # a cache, and the stamp of what was cached


def _models() -> list[type[models.Model]]:
    out = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in SKIPPED:
            continue
        out.append(model)
    return sorted(out, key=lambda m: m._meta.label_lower)


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _applied_migrations() -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _plain(value):
    """JSON for the values json cannot write, exactly (DjangoJSONEncoder cuts microseconds)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot write {type(value).__name__} in a backup")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows(model) -> Iterator[list]:
    columns = _columns(model)
    yield from model._base_manager.order_by("pk").values_list(*columns).iterator(chunk_size=BATCH)


def _document_names(storage) -> Iterator[str]:
    def walk(folder: str):
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in sorted(files):
            yield f"{folder}/{name}" if folder else name
        for name in sorted(dirs):
            yield from walk(f"{folder}/{name}" if folder else name)

    yield from walk("")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup(*, path: Path) -> dict:
    """Write the archive to `path` (written beside it, then renamed: never a partial file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), "vendor": connection.vendor}
    tables, files = {}, {}
    with tarfile.open(tmp, "w") as tar, transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        manifest["migrations"] = _applied_migrations()
        for model in _models():
            lines = [json.dumps(row, default=_plain, ensure_ascii=False) for row in _rows(model)]
            data = ("\n".join(lines) + ("\n" if lines else "")).encode()
            member = f"data/{model._meta.label_lower}.jsonl"
            _add(tar, member, data)
            tables[model._meta.label_lower] = {"columns": _columns(model), "rows": len(lines)}
            files[member] = _sha256(data)
        for name in _document_names(default_storage):
            with default_storage.open(name, "rb") as fh:
                data = fh.read()
            member = f"media/{name}"
            _add(tar, member, data)
            files[member] = _sha256(data)
        manifest["tables"], manifest["files"] = tables, files
        _add(tar, "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    tmp.replace(path)
    return {
        "tables": len(tables),
        "rows": sum(t["rows"] for t in tables.values()),
        "documents": sum(1 for m in files if m.startswith("media/")),
    }


def _refuse(message: str, field: str = "archive") -> AppError:
    return AppError(message, field=field)


def _read_checked(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every member's bytes, each checked against its SHA-256."""
    try:
        tar = tarfile.open(path, "r")
    except (OSError, tarfile.TarError) as exc:
        raise _refuse(
            _("archive : %(path)s n'est pas une archive lisible de `coopatlas backup` (%(error)s).")
            % {"path": path, "error": exc}
        ) from None
    members: dict[str, bytes] = {}
    try:
        with tar:
            for info in tar:
                if not info.isfile() or info.name.startswith("/") or ".." in Path(info.name).parts:
                    raise _refuse(
                        _("archive : membre inattendu %(name)s ; archive refusée.") % {"name": info.name}
                    )
                members[info.name] = tar.extractfile(info).read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise _refuse(
            _("archive : %(path)s est tronquée ou abîmée (%(error)s) ; rien n'a été restauré.")
            % {"path": path, "error": exc}
        ) from None
    try:
        manifest = json.loads(members.pop("manifest.json"))
    except (KeyError, ValueError):
        raise _refuse(_("archive : pas de manifest.json lisible ; rien n'a été restauré.")) from None
    if manifest.get("format") != FORMAT:
        raise _refuse(
            _("archive : format %(f)s inconnu ; rien n'a été restauré.") % {"f": manifest.get("format")}
        )
    expected = manifest.get("files") or {}
    if set(expected) != set(members):
        missing = sorted(set(expected) - set(members))[:3]
        extra = sorted(set(members) - set(expected))[:3]
        raise _refuse(
            _("archive : membres manquants %(missing)s ou en trop %(extra)s ; rien n'a été restauré.")
            % {"missing": missing, "extra": extra}
        )
    for name, digest in expected.items():
        if _sha256(members[name]) != digest:
            raise _refuse(
                _(
                    "archive : la somme de contrôle de %(name)s ne correspond pas (archive abîmée) ; "
                    "rien n'a été restauré."
                )
                % {"name": name}
            )
    return manifest, members


def _database_is_empty() -> str | None:
    """The first table holding rows that `migrate` does not create itself, or None."""
    for model in _models():
        if model._meta.label_lower in REPLACED_ON_RESTORE:
            continue
        if model._base_manager.exists():
            return model._meta.label_lower
    return None


def _convert(model, columns: list[str], row: list) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    values = {}
    for column, value in zip(columns, row, strict=True):
        field = fields[column]
        if value is not None and not isinstance(field, models.JSONField):
            value = field.to_python(value)
        values[column] = value
    return model(**values)


@contextlib.contextmanager
def _dates_as_stored(model_list):
    """bulk_create stamps auto_now/auto_now_add fields with the current time: turn that off
    while restoring, so each row keeps the dates it had (found by the row-by-row test)."""
    flagged = [
        (field, field.auto_now, field.auto_now_add)
        for model in model_list
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    for field, _now, _add in flagged:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, now, add in flagged:
            field.auto_now, field.auto_now_add = now, add


def restore(*, path: Path) -> dict:
    manifest, members = _read_checked(Path(path))
    by_label = {m._meta.label_lower: m for m in _models()}
    tables = manifest.get("tables") or {}
    unknown = sorted(set(tables) - set(by_label))
    if unknown:
        raise _refuse(
            _("archive : tables inconnues de ce code %(t)s ; rien n'a été restauré.") % {"t": unknown[:5]}
        )
    for label, table in tables.items():
        if table["columns"] != _columns(by_label[label]):
            raise _refuse(
                _(
                    "archive : les colonnes de %(t)s diffèrent de ce code ; "
                    "restaurez avec la version qui l'a écrite."
                )
                % {"t": label}
            )
    if manifest.get("migrations") != _applied_migrations():
        raise _refuse(
            _(
                "archive : écrite sous d'autres migrations que celles de cette base ; "
                "lancez `coopatlas setup` "
                "avec la version du code qui l'a écrite, puis restaurez."
            ),
        )
    busy = _database_is_empty()
    if busy:
        raise _refuse(
            _(
                "archive : la base n'est pas vide (la table %(t)s a des lignes) ; "
                "restaurez dans une base neuve "
                "(migrée, sans données)."
            )
            % {"t": busy}
        )
    written: list[str] = []
    rows = 0
    try:
        with transaction.atomic(), _dates_as_stored([by_label[label] for label in tables]):
            for label in REPLACED_ON_RESTORE:
                by_label[label]._base_manager.all().delete()
            for label, table in tables.items():
                model = by_label[label]
                data = members[f"data/{label}.jsonl"].decode()
                batch = []
                for line in data.splitlines():
                    batch.append(_convert(model, table["columns"], json.loads(line)))
                    if len(batch) >= BATCH:
                        model._base_manager.bulk_create(batch)
                        rows += len(batch)
                        batch = []
                if batch:
                    model._base_manager.bulk_create(batch)
                    rows += len(batch)
                if model._base_manager.count() != table["rows"]:
                    raise _refuse(_("archive : %(t)s n'a pas le nombre de lignes annoncé.") % {"t": label})
            _reset_sequences([by_label[label] for label in tables])
            for member, data in members.items():
                if not member.startswith("media/"):
                    continue
                name = member.removeprefix("media/")
                with tempfile.TemporaryFile() as fh:
                    fh.write(data)
                    fh.seek(0)
                    saved = default_storage.save(name, File(fh, name=name))
                written.append(saved)
                if saved != name:
                    raise _refuse(
                        _("archive : le document %(n)s existe déjà dans le stockage ; videz-le d'abord.")
                        % {"n": name}
                    )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return {"tables": len(tables), "rows": rows, "documents": len(written)}


def _reset_sequences(model_list) -> None:
    statements = connection.ops.sequence_reset_sql(_NoStyle(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text
