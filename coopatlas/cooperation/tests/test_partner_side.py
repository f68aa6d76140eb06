"""The partner side (issue 9, step 4): invitations of a partner officer, scoped to its
authority; confirming or contesting the records naming it; the public fiches showing it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from coopatlas.accounts import services as accounts
from coopatlas.accounts.models import Membership, PartnerInvitation, Role
from coopatlas.accounts.permissions import (
    PermissionDenied,
    can_answer_as_partner,
    can_edit,
    can_invite_partner,
    scope_of,
)
from coopatlas.cooperation.models import PartnerConfirmation
from coopatlas.cooperation.partner_side import partner_answer_record, partner_side_of
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.errors import AppError
from coopatlas.core.models import Change
from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.geo.models import Country, LocalAuthority

pytestmark = pytest.mark.django_db
PASSWORD = "un mot de passe long"


@pytest.fixture
def world():
    ml = Country.objects.get(iso2="ML")
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    kita = f.ForeignAuthorityFactory(country=ml, name="Commune de Kita-essai")
    other = f.ForeignAuthorityFactory(country=ml, name="Commune de Bafoulabé-essai")
    partnership = f.PartnershipFactory(parties=[rennes, kita])
    elsewhere = f.PartnershipFactory(parties=[rennes, other])
    project = f.ProjectFactory(participants=[(kita, "partner")])
    return {
        "ml": ml,
        "rennes": rennes,
        "kita": kita,
        "other": other,
        "partnership": partnership,
        "elsewhere": elsewhere,
        "project": project,
        "editor": accounts.user_add(
            email="ri@rennes.example", role="editor", authorities=[rennes], password="x" * 12
        )[0],
        "stranger": accounts.user_add(
            email="ri@brest.example",
            role="editor",
            password="x" * 12,
            authorities=[LocalAuthority.objects.get(kind="commune", insee_code="29019")],
        )[0],
        "embassy": accounts.user_add(
            email="scac@bamako.example", role="embassy", country=ml, password="x" * 12
        )[0],
        "embassy_mg": accounts.user_add(
            email="scac@tana.example",
            role="embassy",
            country=Country.objects.get(iso2="MG"),
            password="x" * 12,
        )[0],
    }


def officer_of(w, authority, email="maire@kita.example"):
    _inv, token = accounts.partner_invitation_create(user=w["embassy"], authority=authority, email=email)
    return accounts.partner_invitation_accept(token=token, password=PASSWORD)


# --------------------------------------------------------------------------- invitations


def test_who_may_invite(world):
    kita = world["kita"]
    assert can_invite_partner(user=world["embassy"], authority=kita)
    assert can_invite_partner(user=world["editor"], authority=kita)  # its French partner
    assert not can_invite_partner(user=world["stranger"], authority=kita)  # no partnership
    assert not can_invite_partner(user=world["embassy_mg"], authority=kita)  # other country
    assert not can_invite_partner(user=world["editor"], authority=world["rennes"])  # French
    officer = officer_of(world, kita)
    assert not can_invite_partner(user=officer, authority=kita)  # no powers passed on


def test_an_invitation_is_mailed_used_once_and_gives_only_the_partner_scope(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inv, token = accounts.partner_invitation_create(
            user=world["editor"],
            authority=world["kita"],
            email="Maire@Kita.example",
            site="https://atlas.example",
        )
    assert inv.email == "maire@kita.example" and token not in inv.token_hash
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maire@kita.example"]
    assert f"https://atlas.example/compte/invitation/{token}/" in mail.outbox[0].body
    user = accounts.partner_invitation_accept(token=token, password=PASSWORD)
    assert user.check_password(PASSWORD)
    scope = scope_of(user)
    assert scope.partner_authorities == {world["kita"].pk}
    assert not scope.any_role and not scope.editor_authorities and not scope.countries
    assert [m.role for m in user.memberships.all()] == [Role.PARTNER]
    # a partner officer edits nothing, not even the records naming its authority
    assert not can_edit(user=user, record=world["partnership"])
    before = table_counts()
    with pytest.raises(AppError, match="déjà servi"):
        accounts.partner_invitation_accept(token=token, password=PASSWORD)
    assert_nothing_written(before)


def test_an_expired_or_unknown_token_is_refused_and_nothing_written(world):
    inv, token = accounts.partner_invitation_create(
        user=world["embassy"], authority=world["kita"], email="maire@kita.example"
    )
    PartnerInvitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = table_counts()
    with pytest.raises(AppError, match="expiré"):
        accounts.partner_invitation_accept(token=token, password=PASSWORD)
    with pytest.raises(AppError, match="pas valable"):
        accounts.partner_invitation_accept(token=token + "x", password=PASSWORD)
    assert_nothing_written(before)


def test_an_invitation_refused_to_an_editor_without_a_partnership(world):
    before = table_counts()
    with pytest.raises(PermissionDenied, match="inviter sa partie partenaire"):
        accounts.partner_invitation_create(
            user=world["stranger"], authority=world["kita"], email="maire@kita.example"
        )
    with pytest.raises(AppError, match="collectivité étrangère"):
        accounts.partner_invitation_create(
            user=world["embassy"], authority=world["rennes"], email="maire@kita.example"
        )
    with pytest.raises(AppError, match="adresse électronique"):
        accounts.partner_invitation_create(
            user=world["embassy"], authority=world["kita"], email="pas une adresse"
        )
    assert_nothing_written(before)
    assert mail.outbox == []


def test_an_existing_account_keeps_its_password(world):
    inv, token = accounts.partner_invitation_create(
        user=world["embassy"], authority=world["kita"], email=world["stranger"].email
    )
    before = table_counts()
    with pytest.raises(AppError, match="mot de passe actuel"):
        accounts.partner_invitation_accept(token=token, password="un autre mot de passe")
    assert_nothing_written(before)
    user = accounts.partner_invitation_accept(token=token, password="x" * 12)
    assert user == world["stranger"]
    assert Membership.objects.filter(user=user, role=Role.PARTNER).count() == 1


# --------------------------------------------------------------------------- answers


def test_the_officer_confirms_then_contests_with_history(world):
    officer = officer_of(world, world["kita"])
    p = world["partnership"]
    a = partner_answer_record(
        user=officer,
        record=p,
        authority=world["kita"],
        state="confirmed",
        account="Deux forages réalisés ; besoin : formation des fontainiers.",
    )
    assert a.state == "confirmed" and a.by == officer and a.version == 1
    a = partner_answer_record(
        user=officer,
        record=p,
        authority=world["kita"],
        state="contested",
        reason="La convention date de 2009.",
    )
    assert PartnerConfirmation.objects.filter(partnership=p).count() == 1
    assert a.version == 2 and a.account == ""
    changes = Change.objects.filter(model="cooperation.partnerconfirmation", object_id=a.pk)
    assert [c.action for c in changes] == ["create", "update"]
    assert changes[1].after["state"] == "contested"
    assert partner_answer_record(
        user=officer, record=world["project"], authority=world["kita"], state="confirmed"
    ).project_id


def test_an_officer_cannot_answer_for_another_authority_or_record(world):
    officer = officer_of(world, world["kita"])
    assert not can_answer_as_partner(user=officer, record=world["elsewhere"], authority=world["other"])
    assert not can_answer_as_partner(
        user=world["editor"], record=world["partnership"], authority=world["kita"]
    )
    before = table_counts()
    with pytest.raises(PermissionDenied):
        partner_answer_record(
            user=officer, record=world["elsewhere"], authority=world["other"], state="confirmed"
        )
    with pytest.raises(PermissionDenied):  # its authority, but a record not naming it
        partner_answer_record(
            user=officer, record=world["elsewhere"], authority=world["kita"], state="confirmed"
        )
    with pytest.raises(PermissionDenied):  # the French party is not the partner side
        partner_answer_record(
            user=world["editor"], record=world["partnership"], authority=world["kita"], state="confirmed"
        )
    with pytest.raises(AppError, match="pourquoi vous contestez") as exc:
        partner_answer_record(
            user=officer, record=world["partnership"], authority=world["kita"], state="contested", reason="  "
        )
    assert exc.value.field == "reason"
    with pytest.raises(AppError, match="inconnu"):
        partner_answer_record(
            user=officer, record=world["partnership"], authority=world["kita"], state="maybe"
        )
    assert_nothing_written(before)


def test_the_public_side_labels_in_french_and_english(world, settings):
    from django.utils import translation

    officer = officer_of(world, world["kita"])
    partner_answer_record(
        user=officer,
        record=world["partnership"],
        authority=world["kita"],
        state="confirmed",
        account="Deux forages.",
    )
    with translation.override("fr"):
        side = partner_side_of(record=world["partnership"])
    answer = side["answers"][0]
    assert answer["label"].startswith("Confirmé par la partie malienne le ")
    assert answer["account_label"] == "Selon la partie malienne"
    with translation.override("en"):
        side = partner_side_of(record=world["partnership"])
    assert "the Malian side" in side["answers"][0]["label"]
    assert side["authorities"][0]["name"] == "Commune de Kita-essai"


def test_a_country_without_demonym_falls_back_to_its_name():
    from coopatlas.geo.demonyms import partner_side_name

    assert (
        partner_side_name(country_id="QM", country_name="Pays fictif") == "la partie partenaire (Pays fictif)"
    )


def test_the_fiches_show_the_answer_html_and_json(world, client):
    officer = officer_of(world, world["kita"])
    partner_answer_record(
        user=officer,
        record=world["partnership"],
        authority=world["kita"],
        state="contested",
        reason="La date de début est fausse.",
    )
    url = world["partnership"].get_absolute_url()
    page = client.get(url).content.decode()
    assert "Contesté par la partie malienne le" in page and "La date de début est fausse." in page
    data = client.get(url, {"format": "json"}).json()
    assert data["partner_side"]["answers"][0]["state"] == "contested"
    project = client.get(world["project"].get_absolute_url(), {"format": "json"}).json()
    assert project["partner_side"]["answers"] == []
    api = client.get(reverse("api:partnership_detail", kwargs={"slug": world["partnership"].slug})).json()
    assert api["partner_side"]["answers"][0]["reason"] == "La date de début est fausse."


# --------------------------------------------------------------------------- pages


def test_invite_page_then_acceptance_page(world, client):
    client.force_login(world["editor"])
    url = reverse("editor:partner_invite", kwargs={"pk": world["kita"].pk})
    assert client.get(url).status_code == 200
    r = client.post(url, {"email": "maire@kita.example"})
    page = r.content.decode()
    assert r.status_code == 200 and "/compte/invitation/" in page
    token = page.split("/compte/invitation/")[1].split("/")[0]
    client.logout()
    accept = reverse("accounts:invitation", kwargs={"token": token})
    assert "Commune de Kita-essai" in client.get(accept).content.decode()
    r = client.post(accept, {"password": "court"})
    assert "12 caractères" in r.content.decode()
    r = client.post(accept, {"password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == reverse("editor:partner_side")
    side = client.get(reverse("editor:partner_side")).content.decode()
    assert world["partnership"].title in side and world["project"].title in side
    assert world["elsewhere"].title not in side
    r = client.post(
        reverse("editor:partner_side"),
        {
            "kind": "partnership",
            "record": world["partnership"].pk,
            "authority": world["kita"].pk,
            "state": "confirmed",
            "account": "",
        },
    )
    assert r.status_code == 302
    assert PartnerConfirmation.objects.get(partnership=world["partnership"]).state == "confirmed"
    client.logout()
    r = client.get(accept)
    assert r.status_code == 410 and "déjà servi" in r.content.decode()


def test_pages_refuse_out_of_scope(world, client):
    client.force_login(world["stranger"])
    before = table_counts()
    r = client.post(
        reverse("editor:partner_invite", kwargs={"pk": world["kita"].pk}), {"email": "maire@kita.example"}
    )
    assert r.status_code == 403
    assert client.get(reverse("editor:partner_side")).status_code == 403
    officer = officer_of(world, world["kita"])
    before = table_counts()
    client.force_login(officer)
    r = client.post(
        reverse("editor:partner_side"),
        {
            "kind": "partnership",
            "record": world["elsewhere"].pk,
            "authority": world["other"].pk,
            "state": "confirmed",
        },
    )
    assert r.status_code == 403
    r = client.post(
        reverse("editor:partner_side"),
        {
            "kind": "partnership",
            "record": world["partnership"].pk,
            "authority": world["kita"].pk,
            "state": "contested",
            "reason": "",
        },
    )
    assert r.status_code == 422 and "pourquoi vous contestez" in r.content.decode()
    r = client.post(
        reverse("editor:partner_invite", kwargs={"pk": world["kita"].pk}), {"email": "adjoint@kita.example"}
    )
    assert r.status_code == 403
    assert_nothing_written(before)


def test_dashboard_offers_the_invitation_and_the_officer_its_page(world, client):
    client.force_login(world["editor"])
    page = client.get(reverse("editor:dashboard")).content.decode()
    assert reverse("editor:partner_invite", kwargs={"pk": world["kita"].pk}) in page
    officer = officer_of(world, world["kita"])
    client.force_login(officer)
    page = client.get(reverse("editor:dashboard")).content.decode()
    assert reverse("editor:partner_side") in page and "pas encore de rôle" not in page


# --------------------------------------------------------------------------- step 3


def test_the_foreign_authority_page_shows_who_works_there(world, client):
    from coopatlas.geo.models import AdministrativeArea

    kita, mopti = world["kita"], AdministrativeArea.objects.get(code="ML-5")
    LocalAuthority.objects.filter(pk=kita.pk).update(area=mopti, to_verify=True)
    other_donor = f.ProjectFactory(is_imported=True, title="Forages d'un autre bailleur-essai")
    other_donor.areas.add(mopti)
    url = reverse("atlas:authority", kwargs={"slug": kita.slug})
    data = client.get(url, {"format": "json"}).json()
    assert data["verification"]["to_verify"] is True
    partner = data["french_partners"][0]
    assert partner["authority"]["name"] == "Rennes"
    assert [p["title"] for p in partner["partnerships"]] == [world["partnership"].title]
    assert data["other_actors_scope"] == "area"
    assert [a["title"] for a in data["other_actors"]["results"]] == [other_donor.title]
    page = client.get(url).content.decode()
    assert "À vérifier" in page and "Qui travaille ici" in page and "autre bailleur-essai" in page
    area = client.get(reverse("atlas:area", kwargs={"code": "ML-5"})).content.decode()
    assert "autre bailleur-essai" in area
    # a French authority's page is unchanged
    rennes = client.get(
        reverse("atlas:authority", kwargs={"slug": world["rennes"].slug}), {"format": "json"}
    ).json()
    assert "french_partners" not in rennes and "verification" not in rennes


def test_the_partner_role_is_given_only_by_an_invitation(world):
    before = table_counts()
    with pytest.raises(AppError, match="invitation") as exc:
        accounts.user_add(email="maire@kita.example", role="partner", authorities=[world["kita"]])
    assert exc.value.field == "role"
    assert_nothing_written(before)


def test_a_partner_officer_has_none_of_the_editing_actions(world):
    from coopatlas.accounts.permissions import ACTIONS

    officer = officer_of(world, world["kita"])
    for record in (world["partnership"], world["project"]):
        allowed = [name for name, (check, _verb) in ACTIONS.items() if check(user=officer, record=record)]
        assert allowed == [], (record, allowed)


def test_a_correction_is_a_pending_revision_applied_by_the_embassy(world):
    from coopatlas.cooperation.editing import revision_apply
    from coopatlas.cooperation.partner_side import partner_correction_propose
    from coopatlas.core.models import Revision

    officer = officer_of(world, world["kita"])
    p = world["partnership"]
    assert p.is_public
    old = p.description
    revision = partner_correction_propose(
        user=officer, record=p, authority=world["kita"], changes={"description": "Le texte selon Kita."}
    )
    assert revision.status == Revision.Status.PENDING
    assert revision.after == {"description": "Le texte selon Kita."}
    p.refresh_from_db()
    assert p.description == old  # the public keeps the published text
    before = table_counts()
    with pytest.raises(AppError, match="attend déjà"):
        partner_correction_propose(
            user=officer, record=p, authority=world["kita"], changes={"description": "Encore."}
        )
    with pytest.raises(AppError, match="seulement") as exc:
        partner_correction_propose(
            user=officer, record=p, authority=world["kita"], changes={"title": "Autre titre"}
        )
    assert exc.value.field == "title"
    with pytest.raises(PermissionDenied):
        partner_correction_propose(
            user=officer, record=world["elsewhere"], authority=world["kita"], changes={"description": "x"}
        )
    assert_nothing_written(before)
    revision_apply(actor=world["embassy"], revision=revision)
    p.refresh_from_db()
    assert p.description == "Le texte selon Kita."


def test_the_officer_page_proposes_a_correction(world, client):
    from coopatlas.core.models import Revision

    client.force_login(officer_of(world, world["kita"]))
    r = client.post(
        reverse("editor:partner_side"),
        {
            "action": "correct",
            "kind": "partnership",
            "record": world["partnership"].pk,
            "authority": world["kita"].pk,
            "description": "Selon Kita : deux écoles.",
        },
    )
    assert r.status_code == 302
    revision = Revision.objects.get(object_id=world["partnership"].pk, model="cooperation.partnership")
    assert revision.after == {"description": "Selon Kita : deux écoles."}


def test_merging_two_authorities_that_both_answered_keeps_the_latest_answer(world):
    """A duplicate whose officer answered the same partnership as the kept authority's:
    the merge used to fail on the one-answer-per-record constraint (issue 9 gap)."""
    from coopatlas.cooperation.services import partnership_update
    from coopatlas.geo.partners import foreign_authority_merge

    dup = f.ForeignAuthorityFactory(country=world["ml"], name="Kita-essai (doublon)")
    p = world["partnership"]
    partnership_update(partnership=p, parties=[world["rennes"], world["kita"], dup])
    partner_answer_record(
        user=officer_of(world, world["kita"]), record=p, authority=world["kita"], state="confirmed"
    )
    latest = partner_answer_record(
        user=officer_of(world, dup, email="maire2@kita.example"),
        record=p,
        authority=dup,
        state="contested",
        reason="Deux noms pour la même commune.",
    )
    foreign_authority_merge(user=world["embassy"], duplicate=dup, into=world["kita"])
    answers = PartnerConfirmation.objects.filter(partnership=p)
    assert [(a.authority_id, a.pk) for a in answers] == [(world["kita"].pk, latest.pk)]
    assert sorted(p.party_links.values_list("authority_id", flat=True)) == sorted(
        [world["rennes"].pk, world["kita"].pk]
    )
