"""The read-replica router without a replica (unit): who reads where. The real thing, with a
PostgreSQL replica streaming from the primary, is test_replica.py."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from coopatlas.accounts.models import User
from coopatlas.ops import routing


def _with_replica(monkeypatch):
    monkeypatch.setattr(routing, "replicas", lambda: ["replica1"])


def test_reads_go_to_a_replica_until_something_is_written(settings, monkeypatch):
    _with_replica(monkeypatch)
    router = routing.PrimaryReplicaRouter()
    seen = {}

    def view(request):
        seen["before"] = router.db_for_read(User)
        router.db_for_write(User)
        seen["after"] = router.db_for_read(User)
        return HttpResponse("ok")

    response = routing.PrimaryPinMiddleware(view)(RequestFactory().get("/"))
    assert seen == {"before": "replica1", "after": "default"}
    assert response.cookies[routing.COOKIE]["max-age"] == settings.COOPATLAS_REPLICA_PIN_SECONDS
    assert router.db_for_read(User) == "replica1"  # the pin ended with the request


def test_a_post_and_a_browser_that_just_wrote_read_from_the_primary(monkeypatch):
    _with_replica(monkeypatch)
    router = routing.PrimaryReplicaRouter()
    seen = []

    def view(request):
        seen.append(router.db_for_read(User))
        return HttpResponse("ok")

    middleware = routing.PrimaryPinMiddleware(view)
    middleware(RequestFactory().post("/"))
    sticky = RequestFactory().get("/")
    sticky.COOKIES[routing.COOKIE] = "1"
    middleware(sticky)
    middleware(RequestFactory().get("/"))
    assert seen == ["default", "default", "replica1"]
    assert router.allow_migrate("replica1", "ops") is False and router.allow_migrate("default", "ops")
