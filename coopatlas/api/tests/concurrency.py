"""Concurrent saves of one record through the write API, in threads with their own
database connections (imported by test_concurrent_saves.py; run as a script against a
file SQLite database, since the tests' in-memory SQLite has a single connection).

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m coopatlas.api.tests.concurrency
"""

from __future__ import annotations

import json
import threading
import time

API = "/api/v1"


def patch_concurrently(*, n: int = 4) -> dict:
    """N clients PATCH the same partnership with the same version at the same moment.
    Returns their statuses and whether the requests really overlapped in time."""
    from django.db import connection
    from django.test import Client

    from coopatlas.accounts import services as accounts
    from coopatlas.accounts.tests.world import build_world

    world = build_world()
    p1 = world["p1"]
    token = accounts.token_create(user=world["users"]["admin"])[1]
    barrier = threading.Barrier(n)
    results: list[tuple[int, float, float, str]] = []
    # Each client's middleware is loaded here, one after the other: loaded by the threads at
    # once, django-prometheus's metrics singleton raced and registered its metrics twice
    # (DuplicateTimeseries). A server loads its middleware once, before any request.
    clients = [Client(raise_request_exception=False) for _ in range(n)]
    for client in clients:
        client.handler.load_middleware()

    def save(i: int) -> None:
        client = clients[i]
        try:
            barrier.wait(timeout=30)
            start = time.monotonic()
            response = client.patch(
                f"{API}/partnerships/{p1.slug}",
                data=json.dumps({"description": f"écrit par {i}", "version": p1.version}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            results.append((response.status_code, start, time.monotonic(), response.content.decode()[:300]))
        except Exception as exc:  # noqa: BLE001 - reported in the result, not lost in a thread
            results.append((-1, 0.0, 0.0, repr(exc)[:300]))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    p1.refresh_from_db()
    return {
        "statuses": sorted(r[0] for r in results),
        # every request started before the first one finished: they ran at the same time
        "overlapped": bool(results) and max(r[1] for r in results) < min(r[2] for r in results),
        "bodies": [r[3] for r in results if r[0] not in (200, 409)],
        "version": p1.version,
        "read": p1.version - 1 if p1.version > 1 else None,
    }


def main() -> None:  # pragma: no cover - run in a subprocess by the SQLite test
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.test")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(patch_concurrently(n=int(os.environ.get("CONCURRENT_SAVES", "4")))))


if __name__ == "__main__":  # pragma: no cover
    main()
