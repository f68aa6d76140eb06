"""Uploading a document: content checked by its first bytes, size capped, permission
checked like an edit of the record it is attached to. One transaction; the file written
to storage is removed again if the database write fails."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import require
from coopatlas.core.errors import AppError

from .models import Document

MAX_BYTES = 20 * 1024 * 1024
ATTACHABLE = {"convention", "project", "partnership"}
# Magic numbers; the name and the browser's content type are the sender's to forge.
SIGNATURES: list[tuple[str, bytes, int]] = [
    ("pdf", b"%PDF-", 0),
    ("png", b"\x89PNG\r\n\x1a\n", 0),
    ("jpeg", b"\xff\xd8\xff", 0),
]
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "webp": "webp"}


def detect_kind(head: bytes) -> str | None:
    for kind, magic, offset in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _read_capped(file) -> bytes:
    """At most MAX_BYTES + 1 bytes: enough to know it is too large, never the whole flood."""
    if hasattr(file, "seek"):
        file.seek(0)
    chunks, total = [], 0
    chunk_iter = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b"")
    for chunk in chunk_iter:
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            break
    return b"".join(chunks)


def _clean_name(name: str) -> str:
    base = PurePath((name or "").replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>:/|?*;')
    return cleaned.strip(" .")[:200] or "document"


def document_upload(*, actor, record: Model, file, title: str = "") -> Document:
    """Attach `file` to a convention, project or partnership the actor may edit."""
    kind_name = record._meta.model_name
    if kind_name not in ATTACHABLE:
        raise AppError(
            _(
                "Un document s'attache à une convention, un projet ou un partenariat, "
                "pas à « %(verbose_name)s »."
            )
            % {"verbose_name": record._meta.verbose_name},
            field="record",
        )
    require("edit", user=actor, record=record)
    name = _clean_name(getattr(file, "name", ""))
    data = _read_capped(file)
    if not data:
        raise AppError(
            _("file : « %(name)s » est vide (0 octet) ; choisissez le bon fichier.") % {"name": name},
            field="file",
        )
    if len(data) > MAX_BYTES:
        raise AppError(
            _(
                "file : « %(name)s » dépasse 20 Mo ; réduisez-le (PDF compressé, "
                "image redimensionnée) ou découpez-le."
            )
            % {"name": name},
            field="file",
        )
    kind = detect_kind(data[:16])
    if kind is None:
        raise AppError(
            _(
                "file : le contenu de « %(name)s » n'est ni un PDF ni une image PNG, "
                "JPEG ou WebP, quel que soit son nom ; exportez-le en PDF."
            )
            % {"name": name},
            field="file",
        )
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[kind]}"
    document = Document(
        title=(title or "").strip()[:300],
        original_name=name,
        kind=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{kind_name: record},
    )
    document.file.save(stored_name, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            document.full_clean()
            document.save()
    except BaseException:
        document.file.delete(save=False)
        raise
    return document
