"""Fuzzing the open API from its OpenAPI description (schemathesis, in-process WSGI, no
network): whatever the generated parameters and bodies, the API never answers 5xx.

Bounded to a few examples per operation so the whole fuzz suite stays under a minute on
two cores; run with SCHEMATHESIS_MAX_EXAMPLES=200 to search harder (locally, not in CI)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
# Whole-dataset files (every project as IATI XML, every partnership on the map) take
# seconds per call and have no parameter beyond the ones the list tests already fuzz.
HEAVY = r"(iati/activities\.xml|map/partnerships\.geojson)$"


@pytest.fixture
def bearer(db):
    """A signed-in API client: an administrator's token, so write operations get past
    authentication and reach their parsers (a rolled-back transaction keeps nothing)."""
    from coopatlas.accounts import services as accounts

    user = accounts.user_add(email="fuzz-admin@example.org", role="admin")[0]
    return {"Authorization": f"Bearer {accounts.token_create(user=user)[1]}"}


def _schema():
    from coopatlas.config.wsgi import application

    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    # The coverage phase generates every boundary case of every parameter whatever
    # max_examples says (minutes here): examples + bounded random fuzzing keep it < 1 min.
    loaded.config.phases.update(phases=["examples", "fuzzing"])
    return loaded


schema = _schema()


@schema.include(method="GET").exclude(path_regex=HEAVY).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_read_answers_5xx(case, db):
    case.call_and_validate(checks=[not_a_server_error])


@schema.exclude(method="GET").parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_write_answers_5xx_signed_in(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error])
