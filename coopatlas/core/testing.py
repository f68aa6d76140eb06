"""Helpers for tests of every app (imported by tests only)."""

from __future__ import annotations

from django.apps import apps


def table_counts() -> dict[str, int]:
    """Rows in every table the project's models own, through tables included: compare
    before and after a refused write to prove it wrote nothing (a `Source`, a history
    line, a link row…). Sessions are left out: a page's own session is not a record."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower == "sessions.session":
            continue
        counts[model._meta.db_table] = model._base_manager.count()
    return counts


def assert_nothing_written(before: dict[str, int]) -> None:
    after = table_counts()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"rows written by a refused request (table: before, after): {changed}"


def data_reads(captured) -> int:
    """Statements a CaptureQueriesContext saw, the shared cache's own left out: it counts
    its table once every CULL_EVERY sets per process (core/cache.py), which may fall in
    either of two reads a test compares."""
    return sum(
        "coopatlas_cache" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        for q in captured.captured_queries
    )
