"""The shared cache: Django's database cache, with a `set` of one statement.

Django's `DatabaseCache.set` runs five statements for each entry it stores: a COUNT(*) of
the whole table (to cull it when it is over MAX_ENTRIES), then, in a transaction, a SELECT
of the key, and an UPDATE or an INSERT. Each page or read kept after a write is one `set`,
and on PostgreSQL every statement is a round trip and a plan: the five cost about as much
as the page's own reads of a small fiche (bench/load, PostgreSQL, first minute after a
write). Here `set` is one upsert (`INSERT … ON CONFLICT (cache_key) DO UPDATE`, SQLite 3.24+
and PostgreSQL), and the table is counted (and culled as Django does) once every
CULL_EVERY sets per process instead of on each: it may hold up to CULL_EVERY entries per
process over MAX_ENTRIES between two counts.

`add` and `touch`, whose answer depends on what is stored, stay Django's.
"""

from __future__ import annotations

import base64
import pickle
from contextlib import nullcontext
from datetime import UTC, datetime
from itertools import count

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

CULL_EVERY = 100  # sets per process between two counts of the table
UPSERT_VENDORS = ("sqlite", "postgresql")


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sets = count()

    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if mode != "set" or connection.vendor not in UPSERT_VENDORS:
            return super()._base_set(mode, key, value, timeout)
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        q = connection.ops.quote_name
        table = q(self._table)
        # Inside a transaction, a savepoint: a failed set must not abort the caller's work.
        guard = transaction.atomic(using=db) if connection.in_atomic_block else nullcontext()
        try:
            with guard, connection.cursor() as cursor:
                if next(self._sets) % CULL_EVERY == 0:
                    cursor.execute(f"SELECT COUNT(*) FROM {table}")
                    entries = cursor.fetchone()[0]
                    if entries > self._max_entries:
                        self._cull(db, cursor, tz_now().replace(microsecond=0), entries)
                cursor.execute(
                    f"INSERT INTO {table} ({q('cache_key')}, {q('value')}, {q('expires')}) "
                    f"VALUES (%s, %s, %s) ON CONFLICT ({q('cache_key')}) DO UPDATE SET "
                    f"{q('value')} = excluded.{q('value')}, {q('expires')} = excluded.{q('expires')}",
                    [key, encoded, expires],
                )
        except DatabaseError:
            # as Django's: a cache that cannot store an entry answers without it
            return False
        return True
