"""Read replicas: reads go to a replica, writes — and every read that must see them — to
the primary.

Read-your-writes, in three layers:
- a request that is not GET/HEAD/OPTIONS reads from the primary throughout;
- once anything is written (db_for_write), the rest of the request reads from the primary;
- after a request that wrote, a cookie pins the same browser to the primary for
  COOPATLAS_REPLICA_PIN_SECONDS (longer than the replication lag), so the page it is
  redirected to shows the change.
Without COOPATLAS_REPLICA_URLS the router is not installed and nothing here runs.
"""

from __future__ import annotations

import contextvars
import random

from django.conf import settings

PRIMARY = "default"
COOKIE = "coopatlas_primary"
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("coopatlas_primary_pinned", default=False)
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("coopatlas_primary_wrote", default=False)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def replicas() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def pin_primary() -> None:
    """From now on in this request (or task), read from the primary."""
    _pinned.set(True)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _pinned.get():
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY and _wrote.get():
            return PRIMARY
        aliases = replicas()
        return random.choice(aliases) if aliases else PRIMARY

    def db_for_write(self, model, **hints):
        _pinned.set(True)
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas are copies of the primary: every object is on all of them

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class PrimaryPinMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replicas():
            return self.get_response(request)
        pin_token = _pinned.set(request.method not in SAFE_METHODS or COOKIE in request.COOKIES)
        wrote_token = _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get():
                response.set_cookie(
                    COOKIE,
                    "1",
                    max_age=settings.COOPATLAS_REPLICA_PIN_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
        finally:
            _pinned.reset(pin_token)
            _wrote.reset(wrote_token)
