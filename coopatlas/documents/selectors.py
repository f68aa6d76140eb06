"""Reads of documents: what a page lists and who may download."""

from __future__ import annotations

from django.db.models import Model

from coopatlas.accounts.permissions import can_edit, can_publish
from coopatlas.cooperation.models import PublicationStatus

from .models import Document


def record_is_public(record: Model) -> bool:
    if getattr(record, "deleted_at", None) is not None:
        return False
    if getattr(record, "publication_status", None) != PublicationStatus.PUBLISHED:
        return False
    parent = getattr(record, "partnership", None) if record._meta.model_name == "convention" else None
    return parent is None or record_is_public(parent)


def document_visible(*, user, document: Document) -> bool:
    """Public once its record is published; before that, to those who may edit or validate it."""
    record = document.record
    return (record_is_public(record) or can_edit(user=user, record=record)
            or can_publish(user=user, record=record))


def documents_for(*, user, record: Model) -> list[Document]:
    """The documents of `record` the user may see (empty for a hidden record)."""
    kind = record._meta.model_name
    docs = list(Document.objects.filter(**{kind: record}))
    if not docs:
        return []
    return docs if document_visible(user=user, document=docs[0]) else []
