"""Diff-then-write for the reference loaders: only rows that changed are written.

A second load of the same files therefore writes nothing, which keeps `load_reference`
idempotent and fast (it runs once per test worker). bulk_create/bulk_update skip `save()`,
so callers compute derived columns (search_name…) themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models

BATCH = 2000  # Django lowers it further where the backend needs (SQLite's variable limit)


# (table, created, updated) per sync_rows call; reference_load resets and reports it.
WRITE_LOG: list[tuple[str, int, int]] = []


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    total: int = 0
    pks: dict = field(default_factory=dict)  # key -> pk, for rows of this load


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return a == b


def sync_rows(
    model: type[models.Model],
    *,
    key: tuple[str, ...],
    rows: Iterable[dict],
    fields: list[str],
    existing_filter: dict | None = None,
) -> SyncResult:
    """Create missing rows, update changed ones (compared on `fields`), never delete.

    `key` names the columns that identify a row (attnames such as "country_id" allowed);
    every row dict holds the key columns and `fields`.
    """
    pk_name = model._meta.pk.attname
    cols = list(dict.fromkeys([pk_name, *key, *fields]))
    qs = model.objects.all()
    if existing_filter:
        qs = qs.filter(**existing_filter)
    existing = {tuple(r[k] for k in key): r for r in qs.values(*cols)}

    result = SyncResult()
    to_create, to_update, seen = [], [], set()
    for row in rows:
        k = tuple(row[c] for c in key)
        if k in seen:
            continue  # the data names one row twice: first wins
        seen.add(k)
        result.total += 1
        old = existing.get(k)
        if old is None:
            to_create.append(model(**row))
        elif not all(_same(old[f], row[f]) for f in fields):
            to_update.append(model(**{**row, pk_name: old[pk_name]}))
        if old is not None:
            result.pks[k] = old[pk_name]
    if to_create:
        model.objects.bulk_create(to_create, batch_size=BATCH)
        result.created = len(to_create)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=BATCH)
        result.updated = len(to_update)
    WRITE_LOG.append((model._meta.db_table, result.created, result.updated))
    if to_create:  # fetch the new primary keys (not every backend returns them)
        qs = model.objects.all()
        if existing_filter:
            qs = qs.filter(**existing_filter)
        for r in qs.values(pk_name, *key):
            k = tuple(r[c] for c in key)
            if k in seen:
                result.pks[k] = r[pk_name]
    return result
