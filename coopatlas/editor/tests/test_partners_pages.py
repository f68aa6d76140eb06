"""Editing space: adding a missing foreign partner, the embassy's list to confirm, and the
pickers offering gazetteer entries (gaz: codes) and refusing a State."""

import pytest
from django.urls import reverse

from coopatlas.accounts import services as accounts
from coopatlas.editor import resolve
from coopatlas.geo.models import Country, LocalAuthority

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    user = accounts.user_add(
        email="ri@rennes.example", role="editor", authorities=[rennes], password="x" * 12
    )[0]
    client.force_login(user)
    return user


def test_picker_offers_gazetteer_entries_and_refuses_a_state(client, editor):
    r = client.get(reverse("editor:pick_authorities"), {"q": "Sikasso"})
    rows = r.json()["results"]
    assert {"code": "gaz:gn:2451185", "label": "Sikasso (commune, cercle de Sikasso, Mali)"} in rows
    r = client.get(reverse("editor:pick_authorities"), {"q": "Mali"})
    assert r.json()["results"] == [] and "jamais partenaire" in r.json()["refusal"]


def test_a_gazetteer_code_resolves_to_an_authority_created_once():
    a = resolve.authority("gaz:gn:2451185 — Sikasso (commune…)", field="parties")
    assert a.name == "Sikasso" and a.country_id == "ML"
    assert resolve.authority("gaz:gn:2451185", field="parties") == a


def test_add_page_creates_to_verify_then_embassy_confirms(client, editor):
    url = reverse("editor:partner_add")
    assert client.get(url).status_code == 200
    body = {
        "country": "ML",
        "name": "Commune de Kassorola-fictive",
        "kind": "commune",
        "parent": "gaz:iso:ML-3",
        "alternate_names": "Kassorola-f",
    }
    r = client.post(url, body)
    assert r.status_code == 302, r.content.decode()[:2000]
    a = LocalAuthority.objects.get(name="Commune de Kassorola-fictive")
    assert a.to_verify
    embassy = accounts.user_add(
        email="scac@bamako.example", role="embassy", country=Country.objects.get(iso2="ML"), password="x" * 12
    )[0]
    client.force_login(embassy)
    page = client.get(reverse("editor:partner_review"))
    assert "Commune de Kassorola-fictive" in page.content.decode()
    client.post(reverse("editor:partner_review"), {"authority": a.pk})
    a.refresh_from_db()
    assert not a.to_verify


def test_add_page_shows_the_field_error_and_writes_nothing(client, editor):
    count = LocalAuthority.objects.count()
    r = client.post(
        reverse("editor:partner_add"),
        {"country": "ML", "name": "Sikaso", "kind": "commune", "parent": "gaz:iso:ML-3"},
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert "Vouliez-vous dire" in page and "gaz:gn:2451185" in page
    assert LocalAuthority.objects.count() == count


def test_review_list_is_for_embassies_and_admins(client, editor):
    assert client.get(reverse("editor:partner_review")).status_code == 403
