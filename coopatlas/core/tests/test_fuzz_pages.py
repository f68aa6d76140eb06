"""Fuzzing every URL pattern of the HTML site (hypothesis): hostile query parameters —
unicode digits, huge numbers, empty and 10 KB strings, NUL — never give a 5xx, for an
anonymous visitor and a signed-in administrator. GET only: POSTs have their own tests."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_PAGES_MAX_EXAMPLES", "30"))
# Every query parameter a page reads (atlas filters, declarations, editor, pickers)…
PARAMS = [
    "q",
    "page",
    "page_size",
    "year",
    "year_from",
    "year_to",
    "sdg",
    "country",
    "area",
    "region",
    "departement",
    "theme",
    "kind",
    "status",
    "sort",
    "format",
    "version",
    "line",
    "to_version",
    "authority",
    "next",
    "lang",
    "type",
    "sector",
    "fmt",
]
HOSTILE = [
    "²",
    "⑨",
    "١٢",
    "１２",
    "9" * 40,
    "1e1000",
    "NaN",
    "-1",
    "0",
    "",
    " ",
    "x" * 10_000,
    "a\x00b",
    "%00",
    "<script>",
    "../../etc/passwd",
    "json",
    "csv",
    "xlsx",
    "crs",
    "geojson",
    "\u00a0",
    "2023",
    "ML",
    "FR-35",
]
SKIP = ("admin:", "api:", "set_language", "accounts:signout")  # the API has its own fuzz


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}".strip(":"), prefix + str(p.pattern)


def _routes() -> list[tuple[str, str]]:
    return [(name, route) for name, route in _walk(get_resolver().url_patterns) if not name.startswith(SKIP)]


def _samples() -> dict[str, str]:
    """Real keys from the demo data, so that detail pages render and read their parameters."""
    from coopatlas.cooperation.models import Organisation, Partnership, Programme, Project
    from coopatlas.geo.models import LocalAuthority

    def first(model):
        return model.objects.values_list("slug", flat=True).order_by("pk").first() or "x"

    return {
        "partnership": first(Partnership),
        "project": first(Project),
        "authority": first(LocalAuthority),
        "organisation": first(Organisation),
        "programme": first(Programme),
        "country": "mali",
        "declarations": first(LocalAuthority),
    }


def _fill(name: str, route: str, samples: dict, huge: bool = False) -> str:
    """A concrete path for `route`: ints (or a huge int), slugs of the right kind, codes."""
    import re

    def one(match):
        conv, arg = match.group(1) or "str", match.group(2)
        if conv == "int":
            return "9" * 25 if huge else ("2023" if arg == "year" else "1")
        if arg == "kind":
            return "project"
        if arg == "code":
            return "ML-5"
        if arg == "fmt":
            return "csv"
        for key, value in samples.items():
            if key in name:
                return value
        return "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", one, route)


@pytest.fixture
def admin_client(client, db):
    from coopatlas.accounts import services as accounts

    user = accounts.user_add(email="fuzz-pages@example.org", role="admin")[0]
    client.force_login(user)
    return client


def _assert_no_5xx(client, path: str, params: dict) -> None:
    response = client.get(path + ("?" + urlencode(params) if params else ""))
    assert response.status_code < 500, (path, {k: v[:40] for k, v in params.items()}, response.status_code)


def _every_route(client):
    samples = _samples()
    for name, route in _routes():
        for huge in (False, True) if "<int:" in route else (False,):
            path = _fill(name, route, samples, huge=huge)
            for value in ("١٢", "9" * 40, "x" * 10_000):
                _assert_no_5xx(client, path, dict.fromkeys(PARAMS, value))


def test_every_route_with_hostile_parameters_anonymous(client, db):
    _every_route(client)


def test_every_route_with_hostile_parameters_signed_in(admin_client):
    _every_route(admin_client)


ROUTE_INDEX = st.integers(min_value=0, max_value=10_000)
QUERY = st.dictionaries(
    st.sampled_from(PARAMS) | st.text(max_size=8),
    st.sampled_from(HOSTILE)
    | st.text(max_size=30)
    | st.integers(min_value=-(10**30), max_value=10**30).map(str),
    max_size=5,
)


@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(index=ROUTE_INDEX, params=QUERY, huge=st.booleans())
def test_generated_parameters_never_give_5xx_anonymous(client, db, index, params, huge):
    routes = _routes()
    name, route = routes[index % len(routes)]
    _assert_no_5xx(client, _fill(name, route, _samples(), huge=huge), params)


@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(index=ROUTE_INDEX, params=QUERY, huge=st.booleans())
def test_generated_parameters_never_give_5xx_signed_in(admin_client, index, params, huge):
    routes = _routes()
    name, route = routes[index % len(routes)]
    _assert_no_5xx(admin_client, _fill(name, route, _samples(), huge=huge), params)
