"""Reads of documents: what a page lists and who may download."""

from __future__ import annotations

from django.db.models import Model

from coopatlas.accounts.permissions import can_edit, can_publish

from .models import Document


def record_is_public(record: Model) -> bool:
    """The record's own definition of public (a convention's partnership included)."""
    return type(record).objects.public().filter(pk=record.pk).exists()


def document_visible(*, user, document: Document) -> bool:
    """Public once its record is published; before that, to those who may edit or validate it."""
    record = document.record
    return (
        record_is_public(record)
        or can_edit(user=user, record=record)
        or can_publish(user=user, record=record)
    )


def documents_for(*, user, record: Model) -> list[Document]:
    """The documents of `record` the user may see (empty for a hidden record)."""
    kind = record._meta.model_name
    docs = list(Document.objects.filter(**{kind: record}))
    if not docs:
        return []
    return docs if document_visible(user=user, document=docs[0]) else []
