"""Substring search on an index made for it: `field__indexed_contains=word`.

The type-ahead and the lists' `q=` filters look for folded words anywhere in folded columns
(`search_name`, `search_value`, `search_text`: accents and case removed by core.text.fold;
and slugs, folded already: lower-case ASCII words and hyphens).
A plain `LIKE '%word%'` reads every row, so its cost grows with the data. Both backends
have an index for exactly that question, with the same answers:

- SQLite: an FTS5 table with the `trigram` tokenizer per indexed column (external content,
  no copy of the text), kept by triggers; `MATCH '"word"'` finds the rows containing the
  word as a substring. Words under three characters have no trigram: plain LIKE then.
- PostgreSQL: a GIN `gin_trgm_ops` index (pg_trgm) per column; the planner uses it for the
  same `LIKE '%word%'` Django writes for `contains`, so nothing changes in the SQL.

Triggers, not the write services, keep the SQLite index: authorities, aliases and projects
are written by services, bulk loaders, importers and raw SQL alike, and a trigger sees them
all in the same transaction. Django's SQLite schema editor rebuilds a table (and drops its
triggers) on many ALTERs, so the index is (re)made after every `migrate` (post_migrate),
idempotently, and rebuilt from its table whenever its triggers had to be made again.
"""

from __future__ import annotations

import logging
import sqlite3

from django.apps import apps
from django.db import DatabaseError, connections, transaction
from django.db.models import CharField, TextField
from django.db.models.lookups import Contains

# (model, column): the folded columns the searches read with `indexed_contains`.
INDEXED = (
    ("geo.LocalAuthority", "search_name"),
    ("geo.AuthorityAlias", "search_value"),
    ("geo.AdministrativeArea", "search_name"),
    ("cooperation.Organisation", "search_name"),
    ("cooperation.Project", "search_text"),
    # partnerships by their folded title and by their slug (folded already: lower-case
    # ASCII words and hyphens), for the type-ahead and the list's q= (a scan of 104,000 rows
    # at 10x: 12 ms a suggestion)
    ("cooperation.Partnership", "search_text"),
    ("cooperation.Partnership", "slug"),
    ("cooperation.Project", "slug"),
    ("cooperation.Programme", "search_text"),
)
logger = logging.getLogger(__name__)
TRIGRAM = 3  # shortest word an index can answer
# FTS5's trigram tokenizer came with SQLite 3.34 (2020): older libraries scan, as before.
SQLITE_TRIGRAM = sqlite3.sqlite_version_info >= (3, 34)


def _tables() -> list[tuple[str, str, str]]:
    """(table, primary-key column, column) of each indexed column."""
    out = []
    for label, column in INDEXED:
        model = apps.get_model(label)
        out.append((model._meta.db_table, model._meta.pk.column, column))
    return out


def fts_table(table: str, column: str) -> str:
    return f"{table}__{column}_trgm"


def _sqlite_statements(table: str, pk: str, column: str) -> list[str]:
    fts = fts_table(table, column)
    add = f'INSERT INTO "{fts}"(rowid, "{column}") VALUES (new."{pk}", new."{column}");'
    remove = (
        f'INSERT INTO "{fts}"("{fts}", rowid, "{column}") VALUES (\'delete\', old."{pk}", old."{column}");'
    )
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ai" AFTER INSERT ON "{table}" BEGIN {add} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ad" AFTER DELETE ON "{table}" BEGIN {remove} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_au" AFTER UPDATE OF "{column}", "{pk}" ON "{table}" '
        f"BEGIN {remove} {add} END",
    ]


def search_indexes_ensure(*, using: str = "default", rebuild: bool = False) -> list[str]:
    """Make the missing indexes (and, on SQLite, their triggers); returns the tables made or
    rebuilt. Safe to run again: what exists is kept unless `rebuild` asks for a rebuild."""
    connection = connections[using]
    done = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table, pk, column in _tables():
            if table not in existing:
                continue  # a partial migrate (tests of one migration): made on the next one
            fts = fts_table(table, column)
            if connection.vendor == "sqlite" and SQLITE_TRIGRAM:
                cursor.execute(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)",
                    [f"{fts}_ai", f"{fts}_ad", f"{fts}_au"],
                )
                triggers = cursor.fetchone()[0]
                if fts not in existing:
                    cursor.execute(
                        f'CREATE VIRTUAL TABLE "{fts}" USING fts5("{column}", content="{table}", '
                        f"content_rowid=\"{pk}\", tokenize='trigram')"
                    )
                for sql in _sqlite_statements(table, pk, column):
                    cursor.execute(sql)
                if rebuild or fts not in existing or triggers < 3:
                    cursor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')
                    done.append(fts)
            elif connection.vendor == "postgresql":
                try:
                    with transaction.atomic(using=using):
                        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                except DatabaseError as exc:
                    # A role that may not create it (PostgreSQL < 13, or not the owner): the
                    # searches still answer, by scan; an administrator can create it later.
                    logger.warning("search indexes: pg_trgm unavailable (%s); searches scan", exc)
                    return done
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{fts}" ON "{table}" USING gin ("{column}" gin_trgm_ops)'
                )
                if rebuild:
                    cursor.execute(f'REINDEX INDEX "{fts}"')
                done.append(fts)
    return done


def ensure_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate handler (core/apps.py): once, after the last app's migrations."""
    if sender.label != "core":
        return
    search_indexes_ensure(using=using)


def _indexed(field) -> bool:
    model = getattr(field, "model", None)
    return model is not None and (model._meta.label, field.column) in INDEXED


class IndexedContains(Contains):
    """`contains` answered by the trigram index: the same rows, without reading them all."""

    lookup_name = "indexed_contains"

    def as_sql(self, compiler, connection):
        # PostgreSQL's GIN trigram index answers Django's own `contains` SQL.
        return Contains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        field = getattr(self.lhs, "target", None)
        word = self.rhs if isinstance(self.rhs, str) else None
        if (
            not SQLITE_TRIGRAM
            or word is None
            or len(word) < TRIGRAM
            or not _indexed(field)
            or self.lhs.alias is None
        ):
            return self.as_sql(compiler, connection)
        model = field.model
        table, pk = model._meta.db_table, model._meta.pk.column
        fts = fts_table(table, field.column)
        phrase = '"' + word.replace('"', '""') + '"'
        sql = f'"{self.lhs.alias}"."{pk}" IN (SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s)'
        return sql, [phrase]


def register() -> None:
    for field in (CharField, TextField):
        field.register_lookup(IndexedContains)
