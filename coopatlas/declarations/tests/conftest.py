"""Declaration tests: the year's rules loaded once per worker; a small fictional world of
three French communes (codes 96xxx, no real authority), their editors and a ministry admin."""

from __future__ import annotations

import pytest

from coopatlas.accounts import services as accounts
from coopatlas.cooperation.tests import factories as f

YEAR = 2023


@pytest.fixture(scope="session", autouse=True)
def declaration_rules(django_db_setup, django_db_blocker):
    from coopatlas.declarations.services import rules_load

    with django_db_blocker.unblock():
        rules_load()


@pytest.fixture
def world(db):
    from coopatlas.geo.models import AdministrativeArea

    area = AdministrativeArea.objects.get(code="FR-35")
    a = f.CommuneFactory(name="Commune test Alpha", area=area, is_synthetic=True)
    b = f.CommuneFactory(name="Commune test Bêta", area=area, is_synthetic=True)
    c = f.CommuneFactory(name="Commune test Gamma", area=area, is_synthetic=True)
    users = {
        "a": accounts.user_add(email="editor-a@example.org", role="editor", authorities=[a])[0],
        "b": accounts.user_add(email="editor-b@example.org", role="editor", authorities=[b])[0],
        "admin": accounts.user_add(email="ministry@example.org", role="admin")[0],
    }
    users["c"] = accounts.user_add(email="editor-c@example.org", role="editor", authorities=[c])[0]
    return {"a": a, "b": b, "c": c, "users": users}


@pytest.fixture
def tokens(world):
    return {name: accounts.token_create(user=user)[1] for name, user in world["users"].items()}
