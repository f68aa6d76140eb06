"""Pages and their twins: public lists (JSON/CSV/Atom), the live eligibility endpoint,
the application page without JavaScript, the committee, PDFs, the simulator."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coopatlas.calls import services
from coopatlas.core.testing import assert_nothing_written, table_counts


@pytest.fixture
def live_call(world):
    """A call open now (the pages use the server's clock)."""
    now = timezone.now()
    call = services.call_create(
        actor=world["admin"],
        slug="ouvert",
        title="AAP ouvert",
        ruleset=world["rulesets"]["daect-generaliste-v2"],
        opens_at=now - timedelta(days=1),
        deadline_at=now + timedelta(days=30),
        summary="Un appel ouvert.",
    )
    return services.call_open(actor=world["admin"], call=call)


def login(client, world, role):
    client.force_login(world["users"][role])
    return client


def test_public_list_json_csv_feed(client, world, live_call):
    data = client.get(reverse("calls:list"), {"format": "json"}).json()
    assert [r["slug"] for r in data["open"]] == ["ouvert"]
    assert data["open"][0]["rules_origin"] == "example"
    csv = client.get(reverse("calls:list"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and "AAP ouvert" in csv.content.decode("utf-8-sig")
    bad = client.get(reverse("calls:list"), {"format": "xml"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["format"]
    assert "valeurs acceptées html, json, csv" in bad.json()["detail"]
    feed = client.get(reverse("calls:feed"))
    assert feed.status_code == 200 and b"<feed" in feed.content and b"AAP ouvert" in feed.content


def test_call_page_states_the_rules_in_plain_french(client, world, live_call):
    page = client.get(live_call.get_absolute_url()).content.decode()
    assert "Part du ministère jusqu&#x27;à 70 % du budget pour un pays moins avancé." in page
    assert "Projet multi-pays : taux unique de 60 %." in page
    assert "exemple de règles, hors des documents" in page
    assert "Ouvrir l" not in page  # the ministry's buttons are the ministry's
    login(client, world, "admin")
    draft = services.call_create(
        actor=world["admin"],
        slug="brouillon",
        title="Brouillon",
        ruleset=world["rulesets"]["daect-generaliste-v1"],
        opens_at=timezone.now(),
        deadline_at=timezone.now() + timedelta(days=3),
    )
    assert "fige ses règles" in client.get(draft.get_absolute_url()).content.decode()
    client.post(reverse("calls:call_action", args=["brouillon", "open"]))
    draft.refresh_from_db()
    assert draft.is_published and draft.ruleset.frozen_at is not None


def test_apply_then_live_eligibility_then_submit_without_js(client, world, live_call):
    login(client, world, "editor")
    project = world["project"]
    page = client.get(reverse("calls:apply", args=[project.pk]))
    assert page.status_code == 200 and "AAP ouvert" in page.content.decode()
    response = client.post(
        reverse("calls:apply", args=[project.pk]), {"call": "ouvert", "requested": "960000"}
    )
    app = project.applications.get()
    assert response.status_code == 302 and response["Location"] == app.get_absolute_url()
    live = client.get(reverse("calls:eligibility", args=[app.pk]), {"requested": "1 000 000"}).json()
    share = next(c for c in live["checks"] if c["key"] == "ministry_share")
    # QM is an LDC (geo data): 70 % in the 2025 example rules; 1 000 000 / 2 000 000 = 50 %.
    assert share["reason"] == "part du ministère 50 % ≤ plafond 70 % pour un pays moins avancé"
    bad = client.get(
        reverse("calls:eligibility", args=[app.pk]), {"requested": "beaucoup"}, HTTP_ACCEPT="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"].keys() == {"requested"}
    before = table_counts()
    refused = client.post(
        reverse("calls:action", args=[app.pk, "submit"]), {"requested": "100"}, HTTP_ACCEPT="text/html"
    )
    assert refused.status_code == 422 and "budget" in refused.content.decode()
    assert_nothing_written(before)
    app.refresh_from_db()
    assert app.requested == 960000  # the refused submission did not keep its amount either
    ok = client.post(reverse("calls:action", args=[app.pk, "submit"]), {"requested": "960000"})
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.status == "submitted"
    pdf = client.get(reverse("calls:receipt", args=[app.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_other_people_cannot_see_or_judge(client, world, live_call):
    app = services.application_start(
        actor=world["users"]["editor"], call=live_call, project=world["project"], requested="960000"
    )
    login(client, world, "facilitator")
    assert client.get(app.get_absolute_url()).status_code == 404
    assert client.get(reverse("calls:committee", args=["ouvert"])).status_code == 403
    client.logout()
    assert client.get(app.get_absolute_url()).status_code == 302  # to the sign-in page


def test_committee_ranks_and_sums(client, world, live_call):
    app = services.application_start(
        actor=world["users"]["editor"], call=live_call, project=world["project"], requested="960000"
    )
    services.application_submit(actor=world["users"]["editor"], application=app)
    login(client, world, "admin")
    data = client.get(reverse("calls:committee", args=["ouvert"]), {"format": "json"}).json()
    assert data["results"][0]["id"] == app.pk and data["results"][0]["opinions"] == {"QM": ""}
    assert data["totals"]["requested"] == "960000.00"
    page = client.get(reverse("calls:committee", args=["ouvert"]))
    assert page.status_code == 200 and "Puits de Quimbé" in page.content.decode()
    services.decision_record(actor=world["admin"], application=app, granted=True, amount="900000")
    letter = client.get(reverse("calls:letter", args=[app.pk]))
    assert letter["Content-Type"] == "application/pdf" and letter.content.startswith(b"%PDF")
    assert "Sur rapport final approuvé" in client.get(app.get_absolute_url()).content.decode()


def test_simulator_answers_for_every_open_call_and_instrument(client, world, live_call):
    data = client.get(reverse("calls:simulate", args=[world["project"].slug]), {"format": "json"}).json()
    titles = [a["title"] for a in data["results"]]
    assert "AAP ouvert" in titles
    assert any("FICOL" in t for t in titles) and any("1 %" in t for t in titles)
    ficol = next(a for a in data["results"] if "FICOL" in a["title"])
    # what the plan leaves: 2 000 000 − 1 040 000 = 960 000 → 48 % ≤ 70 %, within 200 000–1 500 000 €
    share = next(c for c in ficol["checks"] if c["key"] == "ministry_share")
    assert share["ok"] is True and share["figure"] == "48 %"
