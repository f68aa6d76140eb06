"""How a record's sources appear on pages, JSON and CSV."""

from __future__ import annotations

from coopatlas.core.models import Source


def source_dict(source: Source | None) -> dict | None:
    if source is None:
        return None
    doc = source.document if source.document_id else None
    lines = ""
    if source.line_start:
        end = source.line_end or source.line_start
        lines = f"{source.line_start}–{end}" if end != source.line_start else str(end)
    if source.is_synthetic:
        label = "Donnée synthétique (tests de charge)"
    else:
        label = (doc.key if doc else source.url) + (f", lignes {lines}" if lines else "")
    return {
        "label": label,
        "document": {"key": doc.key, "title": doc.title, "url": doc.url or None} if doc else None,
        "line_start": source.line_start,
        "line_end": source.line_end,
        "lines": lines,
        "url": source.url or (doc.url if doc else "") or None,
        "quote": source.quote,
        "is_synthetic": source.is_synthetic,
    }


def _sources(record) -> list[dict]:
    src = source_dict(getattr(record, "source", None))
    return [src] if src else []
