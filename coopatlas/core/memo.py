"""Small reference tables kept in this process, one copy per data stamp (issue 15).

The reference tables a fiche reads (themes, countries) are small and change only through
`load-reference`; a fiche read them on every page-cache miss. `per_stamp(name, compute)`
keeps one value per name, tagged with the data stamp it was read under, and recomputes it
as soon as the stamp moves: a write committed by any process moves it, so a kept copy is
never served after a write (tests: core/tests/test_memo.py).

The stamp is the one `coopatlas.core.freshness.stamp_get` gives: in a public GET, the one
read when the request began (no second query); elsewhere, read on each call. A request whose
transaction has written computes afresh (it reads its own writes), and a bump in this
process forgets everything at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .freshness import has_pending_writes, request_stamp_held, stamp_get

_values: dict[str, tuple[str, Any]] = {}  # name → (stamp key, value); a handful of names


def data_changed(**kwargs) -> None:
    """A bump in this process: every kept value is old."""
    _values.clear()


def in_request() -> bool:
    """Whether the kept copies serve this thread: it answers a public request, whose stamp is
    read once, and has not written (a transaction that wrote reads afresh: per_stamp would
    compute the whole table again for each row that asks)."""
    return request_stamp_held() and not has_pending_writes()


def per_stamp(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per data stamp in this process; callers must not mutate the value."""
    if has_pending_writes():
        return compute()
    key = stamp_get().key
    found = _values.get(name)
    if found is not None and found[0] == key:
        return found[1]
    value = compute()
    _values[name] = (key, value)
    return value


def clear() -> None:
    """Forget this process's copies (tests: a rolled-back test's stamp number comes back)."""
    _values.clear()
