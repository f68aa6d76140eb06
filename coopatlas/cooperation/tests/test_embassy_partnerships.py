"""Issue 9: an embassy records a partnership with an authority of its country; the French
party is asked to confirm it, answers on its page, and the public fiche says so."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from coopatlas.accounts import services as accounts
from coopatlas.accounts.permissions import PermissionDenied, can_delete
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import PartnerConfirmation, Partnership
from coopatlas.cooperation.partner_side import (
    french_confirmations_due,
    partner_answer_record,
    partner_side_of,
)
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.geo.models import Country, LocalAuthority

pytestmark = pytest.mark.django_db
State = PartnerConfirmation.State


@pytest.fixture
def world():
    ml = Country.objects.get(iso2="ML")
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    brest = LocalAuthority.objects.get(kind="commune", insee_code="29019")
    kita = f.ForeignAuthorityFactory(country=ml, name="Commune de Kita-essai")
    tana = f.ForeignAuthorityFactory(country=Country.objects.get(iso2="MG"), name="Commune d'Ambohi-essai")
    return {
        "rennes": rennes,
        "brest": brest,
        "kita": kita,
        "tana": tana,
        "editor": accounts.user_add(
            email="ri@rennes.example", role="editor", authorities=[rennes], password="x" * 12
        )[0],
        "brest_editor": accounts.user_add(
            email="ri@brest.example", role="editor", authorities=[brest], password="x" * 12
        )[0],
        "embassy": accounts.user_add(
            email="scac@bamako.example", role="embassy", country=ml, password="x" * 12
        )[0],
    }


def record(w, actor, parties, slug="jumelage-kita-essai"):
    return editing.partnership_create(
        actor=actor, slug=slug, title="Rennes – Kita (essai)", kind="cooperation", parties=parties
    )


def test_the_embassy_records_a_partnership_and_the_french_party_is_asked(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    ask = PartnerConfirmation.objects.get(partnership=p)
    assert (ask.authority, ask.state, ask.by) == (world["rennes"], State.REQUESTED, world["embassy"])
    # only the French party is asked: the foreign one answers through its invited officer
    assert PartnerConfirmation.objects.filter(partnership=p).count() == 1
    assert french_confirmations_due(user=world["editor"]) == 1
    assert french_confirmations_due(user=world["brest_editor"]) == 0
    assert [m.to for m in mail.outbox] == [["ri@rennes.example"]]
    assert reverse("editor:partner_side") in mail.outbox[0].body
    with translation.override("fr"):
        side = partner_side_of(record=p)
    assert side["answers"][0]["label"].startswith(
        "En attente de la confirmation de la partie française (Rennes), demandée le "
    )


def test_an_editor_recording_its_own_partnership_is_not_asked(world):
    p = record(world, world["editor"], [world["rennes"], world["kita"]])
    assert not PartnerConfirmation.objects.filter(partnership=p).exists()


def test_the_french_party_confirms_then_the_fiche_says_so(world, client):
    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    answer = partner_answer_record(
        user=world["editor"], record=p, authority=world["rennes"], state="confirmed"
    )
    assert (answer.state, answer.version) == (State.CONFIRMED, 2)
    assert french_confirmations_due(user=world["editor"]) == 0
    with translation.override("fr"):
        label = partner_side_of(record=p)["answers"][0]["label"]
    assert label.startswith("Confirmé par la partie française le ")
    with translation.override("en"):
        assert partner_side_of(record=p)["answers"][0]["label"].startswith("Confirmed by the French side on")


def test_another_authority_cannot_answer_for_the_french_party(world):
    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    before = table_counts()
    with pytest.raises(PermissionDenied):
        partner_answer_record(
            user=world["brest_editor"], record=p, authority=world["rennes"], state="confirmed"
        )
    assert_nothing_written(before)
    before = table_counts()
    with pytest.raises(PermissionDenied):
        # the embassy recorded it: it does not answer in the French party's place
        partner_answer_record(user=world["embassy"], record=p, authority=world["rennes"], state="confirmed")
    assert_nothing_written(before)


def test_requested_is_not_an_answer_one_can_give(world):
    from coopatlas.core.errors import AppError

    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    before = table_counts()
    with pytest.raises(AppError) as err:
        partner_answer_record(user=world["editor"], record=p, authority=world["rennes"], state="requested")
    assert_nothing_written(before)
    assert err.value.field == "state"


def test_the_embassy_cannot_record_a_partnership_outside_its_country(world):
    before = table_counts()
    with pytest.raises(PermissionDenied):
        record(world, world["embassy"], [world["rennes"], world["tana"]], slug="hors-pays")
    assert_nothing_written(before)
    assert not Partnership.objects.filter(slug="hors-pays").exists()


def test_the_embassy_corrects_but_does_not_remove_a_partnership(world):
    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    p = editing.partnership_update(
        actor=world["embassy"], partnership=p, version=p.version, description="Eau."
    )
    assert p.description == "Eau."
    assert not can_delete(user=world["embassy"], record=p)


def test_a_french_party_added_later_is_asked_once(world):
    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    p = editing.partnership_update(
        actor=world["embassy"],
        partnership=p,
        version=p.version,
        parties=[world["rennes"], world["brest"], world["kita"]],
    )
    asked = dict(PartnerConfirmation.objects.filter(partnership=p).values_list("authority_id", "state"))
    assert asked == {world["rennes"].pk: State.REQUESTED, world["brest"].pk: State.REQUESTED}


def test_the_french_editor_answers_on_its_page(world, client):
    p = record(world, world["embassy"], [world["rennes"], world["kita"]])
    client.force_login(world["editor"])
    dashboard = client.get(reverse("editor:dashboard")).content.decode()
    assert "attend votre confirmation" in dashboard
    page = client.get(reverse("editor:partner_side"))
    assert page.status_code == 200 and p.title in page.content.decode()
    assert "Proposer une correction" not in page.content.decode()  # the French side edits directly
    r = client.post(
        reverse("editor:partner_side"),
        {"kind": "partnership", "record": p.pk, "authority": world["rennes"].pk, "state": "contested"},
    )
    assert r.status_code == 422  # a contest without its reason
    r = client.post(
        reverse("editor:partner_side"),
        {
            "kind": "partnership",
            "record": p.pk,
            "authority": world["rennes"].pk,
            "state": "contested",
            "reason": "Notre convention est avec le cercle, pas la commune.",
        },
    )
    assert r.status_code == 302
    assert PartnerConfirmation.objects.get(partnership=p).state == State.CONTESTED
    client.force_login(world["brest_editor"])
    assert client.get(reverse("editor:partner_side")).status_code == 403
