"""Small reference tables kept in this process, one copy per data stamp (issue 15).

The reference tables a fiche reads (themes, countries) are small and change only through
`load-reference`; a fiche read them on every page-cache miss. `per_stamp(name, compute)`
keeps one value per name, tagged with the data stamp it was read under, and recomputes it
as soon as the stamp moves: a write committed by any process moves it, so a kept copy is
never served after a write (tests: core/tests/test_memo.py).

The stamp is read once per request: the public-cache middleware's (RequestStampMiddleware
hands it over), else the first `per_stamp` of the request reads it; outside a request, on
every call. A
request whose transaction has written computes afresh (it reads its own writes), and a
bump in this process forgets everything at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .freshness import has_pending_writes, stamp_get

_values: dict[str, tuple[str, Any]] = {}  # name → (stamp key, value); a handful of names
_request = threading.local()  # this thread's request: active, and its stamp once read


class RequestStampMiddleware:
    """After PublicCacheMiddleware: a request's kept values go by the stamp that middleware
    read for the public answer (its ETag and kept page), so no second stamp read; other
    requests read it at their first `per_stamp`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _request.active, _request.stamp = True, None
        try:
            return self.get_response(request)
        finally:
            _request.active, _request.stamp = False, None

    def process_view(self, request, view_func, view_args, view_kwargs):
        stamp = getattr(request, "_coopatlas_stamp", None)
        if stamp is not None:
            _request.stamp = stamp.key
        return None


def data_changed(**kwargs) -> None:
    """A bump in this process: its request's stamp is old, and so is every value."""
    _request.stamp = None
    _values.clear()


def _stamp_key() -> str:
    if not getattr(_request, "active", False):
        return stamp_get().key
    if _request.stamp is None:
        _request.stamp = stamp_get().key
    return _request.stamp


def in_request() -> bool:
    """Whether this thread answers a request (whose stamp is read at most once)."""
    return getattr(_request, "active", False)


def per_stamp(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per data stamp in this process; callers must not mutate the value."""
    if has_pending_writes():
        return compute()
    key = _stamp_key()
    found = _values.get(name)
    if found is not None and found[0] == key:
        return found[1]
    value = compute()
    _values[name] = (key, value)
    return value


def clear() -> None:
    """Forget this process's copies (tests: a rolled-back test's stamp number comes back)."""
    _values.clear()
    _request.stamp = None
