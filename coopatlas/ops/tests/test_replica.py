"""Read replicas for real: a PostgreSQL replica streaming from the primary (.ci/run starts
it with pg_basebackup -R and sets COOPATLAS_TEST_REPLICA_URL). Runs in a subprocess on the
primary's own database (not pytest's test database), with the router installed by
COOPATLAS_REPLICA_URLS as in production."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .test_backup import ROOT

REPLICA = os.environ.get("COOPATLAS_TEST_REPLICA_URL", "")
PRIMARY = os.environ.get("COOPATLAS_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (REPLICA and PRIMARY and os.environ.get("DATABASE_URL")),
        reason="set COOPATLAS_TEST_REPLICA_URL (a streaming replica of COOPATLAS_TEST_DATABASE_URL; "
        ".ci/run does) and run the PostgreSQL suite",
    ),
]

SCRIPT = r"""
import contextvars, time, uuid
import django
django.setup()
from django.core.management import call_command
from django.db import connections, DatabaseError
from django.http import HttpResponse
from django.test import RequestFactory
from coopatlas.accounts.models import User
from coopatlas.ops import routing

call_command("migrate", verbosity=0)  # on the primary only (allow_migrate)
with connections["default"].cursor() as c:
    c.execute("SELECT pg_is_in_recovery()"); assert c.fetchone()[0] is False
with connections["replica1"].cursor() as c:
    c.execute("SELECT pg_is_in_recovery()"); assert c.fetchone()[0] is True, "replica1 is not a standby"

def fresh(fn):
    return contextvars.Context().run(fn)  # a new request's context: nothing pinned

email = f"replica-{uuid.uuid4().hex[:8]}@example.org"
assert fresh(lambda: User.objects.all().db) == "replica1"  # reads go to the replica
fresh(lambda: User.objects.create_user(email=email, password="x" * 20))  # the write: primary
for _ in range(100):  # streamed to the replica, read from it
    if fresh(lambda: User.objects.filter(email=email).exists()):
        break
    time.sleep(0.1)
else:
    raise AssertionError("the row never reached the replica")
try:
    with connections["replica1"].cursor() as c:
        c.execute("CREATE TABLE must_fail (a int)")
    raise AssertionError("the replica accepted a write")
except DatabaseError as exc:
    assert "read-only" in str(exc), exc

seen = {}
def view(request):
    seen["before"] = User.objects.all().db
    User.objects.create_user(email="w" + email, password="x" * 20)
    seen["after"] = User.objects.all().db
    seen["found"] = User.objects.filter(email="w" + email).exists()  # read-your-writes
    return HttpResponse("ok")
response = fresh(lambda: routing.PrimaryPinMiddleware(view)(RequestFactory().get("/")))
assert seen == {"before": "replica1", "after": "default", "found": True}, seen
assert routing.COOKIE in response.cookies
sticky = RequestFactory().get("/"); sticky.COOKIES[routing.COOKIE] = "1"
def sticky_view(request):
    seen["sticky"] = User.objects.all().db
    return HttpResponse()
fresh(lambda: routing.PrimaryPinMiddleware(sticky_view)(sticky))
assert seen["sticky"] == "default"
User.objects.filter(email__in=[email, "w" + email]).delete()
print("REPLICA OK")
"""


def test_reads_go_to_the_streaming_replica_and_writes_with_their_reads_to_the_primary():
    env = {
        **os.environ,
        "DATABASE_URL": PRIMARY,
        "COOPATLAS_REPLICA_URLS": REPLICA,
        "DJANGO_SETTINGS_MODULE": "coopatlas.config.settings.test",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and "REPLICA OK" in done.stdout, done.stderr[-3000:]
