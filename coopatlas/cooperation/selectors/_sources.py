"""How a record's sources appear on pages, JSON and CSV: all of them, in order (core.selectors)."""

from __future__ import annotations

from coopatlas.core.selectors import record_sources, source_dict, sources_for

__all__ = ["_sources", "source_dict", "sources_for"]


def _sources(record) -> list[dict]:
    # All the record's sources; lists read them per page with sources_for.
    return record_sources(record)
