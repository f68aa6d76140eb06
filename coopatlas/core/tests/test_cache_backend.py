"""The shared cache's one-statement set (core/cache.py), on SQLite and PostgreSQL alike."""

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from coopatlas.core import cache as backend

pytestmark = pytest.mark.django_db
cache = caches["default"]


@pytest.fixture(autouse=True)
def _empty(monkeypatch):
    """The backend is the process's own: what a test changes on it is put back after."""
    for name in ("_sets", "_max_entries", "_cull_frequency"):
        monkeypatch.setattr(cache, name, getattr(cache, name))
    cache.clear()
    yield
    cache.clear()


def _rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM coopatlas_cache")
        return cursor.fetchone()[0]


def test_the_settings_use_it():
    assert isinstance(cache, backend.DatabaseCache)


def test_a_set_is_one_statement_and_overwrites():
    cache._sets = iter(range(1, 10**6))  # not a counting turn
    with CaptureQueriesContext(connection) as ctx:
        cache.set("k", {"a": 1}, 60)
    # (a test runs in a transaction: the set's savepoint around it, as for any caller's)
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1
    assert "ON CONFLICT" in statements[0]
    cache.set("k", b"\x00bytes", 60)
    assert cache.get("k") == b"\x00bytes"
    assert _rows() == 1


def test_an_expired_entry_is_not_served_and_a_none_timeout_keeps_it():
    cache.set("gone", 1, -1)
    assert cache.get("gone") is None
    cache.set("kept", 2, None)
    assert cache.get("kept") == 2


def test_the_table_is_culled_on_a_counting_turn(settings):
    cache._max_entries = 5
    cache._cull_frequency = 2
    cache._sets = iter(range(1, 10**6))
    for i in range(12):
        cache.set(f"k{i}", i, 60)
    assert _rows() == 12  # no counting turn: over the bound, as documented
    cache._sets = iter([0])
    cache.set("last", 1, 60)
    assert _rows() < 12
    assert cache.get("last") == 1


def test_add_and_touch_keep_their_answers():
    assert cache.add("a", 1, 60) is True
    assert cache.add("a", 2, 60) is False
    assert cache.get("a") == 1
    assert cache.touch("a", 120) is True
    assert cache.touch("missing", 120) is False


def test_a_failed_set_inside_a_transaction_answers_false_and_never_breaks_it(monkeypatch):
    from coopatlas.cooperation.tests import factories as f

    cache._sets = iter(range(1, 10**6))
    with transaction.atomic():
        cache.set("in", 1, 60)
        monkeypatch.setattr(cache, "_table", "no_such_cache_table")
        # on PostgreSQL a failed statement aborts the transaction, but for the savepoint
        assert cache._base_set("set", cache.make_and_validate_key("bad"), 1, 60) is False
        monkeypatch.undo()
        theme = f.ThemeFactory()  # the caller's work goes on
    assert cache.get("in") == 1
    assert type(theme).objects.filter(pk=theme.pk).exists()
