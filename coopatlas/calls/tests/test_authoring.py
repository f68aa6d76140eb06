"""The ministry writes calls and their rules through the pages and the API, not only data
files (issue 10, "how it will be checked"): other years' published rules encoded as data,
a self-contradictory rule set refused naming its key, a call edited after opening refused
with a message, nothing half-written."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from coopatlas.calls import selectors
from coopatlas.calls.models import Call, RuleSet
from coopatlas.core.testing import assert_nothing_written, table_counts

# A year with a flat 60 % for multi-country projects, authorities ≥ 10 % of the budget and
# in-kind ≤ half of their share (DOMAIN.md: public call texts of 2025, outside the documents).
RULES_2025 = """
key: aap-multipays-api
version: 1
year: 2025
title: "AAP multi-pays (exemple 2025, saisi par l'API)"
origin: example
source: "exemple hors des documents (DOMAIN.md)"
ministry_share: {caps_by_category: {ldc: 70, oda_eligible: 50, not_eligible: 30}, multi_country_rate: 60}
authorities: {min_share: 10, in_kind_max_of_share: 50}
grant: {min: 10000, max: 400000}
"""


def _when(delta_days: float) -> str:
    return selectors.paris(timezone.now() + timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def admin_api(client, world):
    from coopatlas.accounts import services as accounts

    token = accounts.token_create(user=world["admin"])[1]
    return {"Authorization": f"Bearer {token}"}


def _post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_a_call_and_its_rules_through_the_api_then_frozen_once_open(client, world, admin_api):
    body = {
        "slug": "aap-api-2025",
        "title": "AAP créé par l'API",
        "opens_at": _when(-1),
        "deadline_at": _when(30),
        "opinion_deadline_at": _when(60),
        "budget": "2 000 000",
        "countries": ["QM", "QN"],
        "rules_text": RULES_2025,
    }
    r = _post(client, "/api/v1/calls", body, admin_api)
    assert r.status_code == 201, r.content
    data = r.json()
    assert D(data["rules"]["ministry_share"]["multi_country_rate"]) == 60
    assert data["countries"] == ["QM", "QN"] and data["is_published"] is False
    # before opening everything may change, dates included
    r = client.patch(
        "/api/v1/calls/aap-api-2025",
        json.dumps({"deadline_at": _when(31)}),
        content_type="application/json",
        headers=admin_api,
    )
    assert r.status_code == 200, r.content
    r = _post(client, "/api/v1/calls/aap-api-2025/open", {}, admin_api)
    assert r.status_code == 200 and r.json()["is_open"] is True
    assert RuleSet.objects.get(key="aap-multipays-api").frozen_at is not None
    # once open: the deadline is frozen (409 naming the field), the summary is not
    before = table_counts()
    r = client.patch(
        "/api/v1/calls/aap-api-2025",
        json.dumps({"deadline_at": _when(40)}),
        content_type="application/json",
        headers=admin_api,
    )
    assert r.status_code == 409 and list(r.json()["errors"]) == ["deadline_at"]
    assert "sont figés" in r.json()["detail"]
    assert_nothing_written(before)
    r = client.patch(
        "/api/v1/calls/aap-api-2025",
        json.dumps({"summary": "Résumé corrigé."}),
        content_type="application/json",
        headers=admin_api,
    )
    assert r.status_code == 200 and Call.objects.get(slug="aap-api-2025").summary == "Résumé corrigé."


@pytest.mark.parametrize(
    "rules, field",
    [
        (RULES_2025.replace("min: 10000, max: 400000", "min: 500000, max: 400000"), "grant.min"),
        (RULES_2025 + "\nfoo: 1\n", "foo"),
        (
            RULES_2025.replace(
                "authorities: {min_share: 10, in_kind_max_of_share: 50}",
                "authorities: {in_kind_max_of_share: 50}",
            ),
            "authorities.in_kind_max_of_share",
        ),
    ],
)
def test_a_contradictory_rule_set_through_the_api_names_its_key_and_writes_nothing(
    client, world, admin_api, rules, field
):
    body = {
        "slug": "aap-contradictoire",
        "title": "AAP contradictoire",
        "opens_at": _when(-1),
        "deadline_at": _when(30),
        "rules_text": rules,
    }
    before = table_counts()
    r = _post(client, "/api/v1/calls", body, admin_api)
    assert r.status_code == 422 and list(r.json()["errors"]) == [field], r.content
    assert_nothing_written(before)


def test_the_api_refuses_a_call_from_anyone_but_the_ministry(client, world):
    from coopatlas.accounts import services as accounts

    token = accounts.token_create(user=world["users"]["editor"])[1]
    body = {
        "slug": "x",
        "title": "X",
        "opens_at": _when(-1),
        "deadline_at": _when(1),
        "rules_text": RULES_2025,
    }
    r = _post(client, "/api/v1/calls", body, {"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert not Call.objects.filter(slug="x").exists()


def test_a_call_and_its_rules_through_the_pages(client, world):
    client.force_login(world["admin"])
    form = {
        "slug": "aap-page-2025",
        "title": "AAP saisi sur la page",
        "kind": "generalist",
        "opens_at": _when(-1),
        "deadline_at": _when(30),
        "budget": "1 500 000",
        "countries": "QM",
        "rules_text": RULES_2025,
    }
    bad = dict(form, rules_text=RULES_2025.replace("min: 10000, max: 400000", "min: 500000, max: 400000"))
    before = table_counts()
    r = client.post("/appels/nouveau/", bad)
    page = r.content.decode().replace("\u202f", " ").replace("\u00a0", " ")
    assert r.status_code == 422 and 'data-error-field="grant.min"' in page
    assert "le minimum (500 000 €) dépasse le maximum (400 000 €)" in page
    assert_nothing_written(before)
    r = client.post("/appels/nouveau/", form)
    assert r.status_code == 302
    call = Call.objects.get(slug="aap-page-2025")
    authorities = {k: D(v) for k, v in call.ruleset.rules["authorities"].items()}
    assert authorities == {"min_share": 10, "in_kind_max_of_share": 50}
    # edit before opening: the deadline moves
    edit = client.get(f"/appels/{call.slug}/modifier/").content.decode()
    assert 'name="deadline_at"' in edit
    r = client.post(f"/appels/{call.slug}/modifier/", dict(form, deadline_at=_when(32)))
    assert r.status_code == 302
    client.post(f"/appels/{call.slug}/open/")
    call.refresh_from_db()
    assert call.is_published
    # after opening: the same form with the texts changed is accepted (the frozen fields
    # come back unchanged), a moved deadline is refused with a message naming the field
    current = client.get(f"/appels/{call.slug}/modifier/").content.decode()
    assert "sont figés" in current
    unchanged = {
        "title": call.title,
        "kind": call.kind,
        "summary": "Texte précisé après l'ouverture.",
        "opens_at": selectors.paris(call.opens_at).strftime("%Y-%m-%dT%H:%M:%S"),
        "deadline_at": selectors.paris(call.deadline_at).strftime("%Y-%m-%dT%H:%M:%S"),
        "budget": "1500000.00",
        "countries": "QM",
        "ruleset": str(call.ruleset_id),
    }
    r = client.post(f"/appels/{call.slug}/modifier/", unchanged)
    assert r.status_code == 302, r.content.decode()[:2000]
    before = table_counts()
    r = client.post(f"/appels/{call.slug}/modifier/", dict(unchanged, deadline_at=_when(45)))
    assert r.status_code == 422
    page = r.content.decode()
    assert 'data-error-field="deadline_at"' in page and "Créez un nouvel appel" in page
    assert_nothing_written(before)
    assert Call.objects.get(pk=call.pk).summary == "Texte précisé après l'ouverture."
