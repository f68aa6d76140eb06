"""Two app servers (two `coopatlas serve` gunicorn processes on two ports) that share
nothing but the database answer the same client: a session opened on one is valid on the
other, failed sign-ins count across both, and the cache is the same for both."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .test_backup import ROOT, _env, _run

PASSWORD = "correct-horse-battery-staple"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    var: Path = tmp_path_factory.mktemp("shared")
    _run(var, sys.executable, "manage.py", "migrate", "-v0")
    _run(
        var,
        sys.executable,
        "-c",
        "import django; django.setup(); from coopatlas.accounts.models import User;"
        f"User.objects.create_user(email='anne@example.org', password='{PASSWORD}')",
    )
    procs, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "coopatlas.cli",
                        "serve",
                        "--port",
                        str(port),
                        "--workers",
                        "1",
                        "--no-worker",
                    ],
                    cwd=ROOT,
                    env=_env(var),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"{base} did not answer")
        yield var, bases, [p.pid for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


class Client:
    """One browser: one cookie jar for both servers (cookies do not depend on the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, url):
        try:
            return self.opener.open(url, timeout=30)
        except urllib.error.HTTPError as exc:
            return exc

    def signin(self, base: str, email: str, password: str):
        page = self.get(base + "/compte/connexion/").read().decode()
        found = re.search(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"', page)
        where = page.find('exception_value">')
        assert found, f"no CSRF token on {base}/compte/connexion/: {page[where:][:400]!r}"
        token = found.group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email, "password": password})
        request = urllib.request.Request(
            base + "/compte/connexion/", data=body.encode(), headers={"Referer": base + "/compte/connexion/"}
        )
        try:
            return self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            return exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_servers_are_two_processes(servers):
    var, bases, pids = servers
    assert len(set(pids)) == 2 and bases[0] != bases[1]


def test_a_session_opened_on_one_server_is_valid_on_the_other(servers):
    var, (a, b), _pids = servers
    client = Client()
    assert client.get(b + "/compte/").status == 302  # not signed in yet: to the sign-in page
    answer = client.signin(a, "anne@example.org", PASSWORD)
    assert answer.status == 302, answer.read()[:500]
    on_b = client.get(b + "/compte/")
    assert on_b.status == 200 and "anne@example.org" in on_b.read().decode()
    assert client.get(b + "/espace/messages/").status == 200


def test_failed_sign_ins_are_counted_across_servers(servers):
    var, (a, b), _pids = servers
    client = Client()
    for base in (a, b, a, b, a):  # COOPATLAS_SIGNIN_MAX_FAILURES = 5, spread over both
        page = client.signin(base, "anne@example.org", "wrong-password").read().decode()
        assert "incorrect" in page
    refused = client.signin(b, "anne@example.org", PASSWORD).read().decode()  # even the right one
    assert "Trop d&#x27;essais" in refused or "Trop d'essais" in refused


def test_the_cache_is_shared_through_the_database(servers):
    var, _bases, _pids = servers
    setup = "import django; django.setup(); from django.core.cache import cache;"
    _run(var, sys.executable, "-c", setup + "cache.set('ops-probe', 'from process one', 60)")
    out = _run(var, sys.executable, "-c", setup + "print(cache.get('ops-probe'))").stdout
    assert out.strip() == "from process one"


WRITE_IN_ANOTHER_PROCESS = """
import django
django.setup()
from coopatlas.cooperation import services
from coopatlas.cooperation.tests import factories as f
services.partnership_create(
    slug="written-elsewhere", title="Written elsewhere", kind="cooperation",
    parties=[f.CommuneFactory(), f.ForeignAuthorityFactory(country=f.CountryFactory(iso2="QM"))],
    source=f.SourceFactory(),
)
"""


def test_a_server_never_serves_its_own_copy_of_a_page_after_another_process_wrote(servers):
    """Each server keeps copies of kept pages in its own memory (core.freshness.LocalPages).
    A write committed by another process must show on the very next request to both."""
    var, (a, b), _pids = servers
    url = "/api/v1/partnerships?page_size=50"
    headers = {"Accept-Encoding": "identity"}

    def read(base):
        request = urllib.request.Request(base + url, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode(), response.headers["ETag"]

    before = {base: read(base) for base in (a, b)}
    assert {base: read(base) for base in (a, b)} == before  # now kept, and copied in each process
    assert "written-elsewhere" not in before[b][0]
    _run(var, sys.executable, "-c", WRITE_IN_ANOTHER_PROCESS)  # a third process commits a write
    for base in (b, a):
        body, etag = read(base)
        assert "written-elsewhere" in body, base
        assert etag != before[base][1]
