"""The partners API: search (public), add a missing foreign authority (token), confirm."""

import pytest

from coopatlas.accounts import services as accounts
from coopatlas.geo.models import Country, LocalAuthority

pytestmark = pytest.mark.django_db
API = "/api/v1/partners"


@pytest.fixture
def tokens():
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    users = {
        "editor": accounts.user_add(
            email="ri@rennes.example", role="editor", authorities=[rennes], password="x" * 12
        )[0],
        "embassy_ml": accounts.user_add(
            email="scac@bamako.example",
            role="embassy",
            country=Country.objects.get(iso2="ML"),
            password="x" * 12,
        )[0],
        "embassy_ht": accounts.user_add(
            email="scac@pap.example",
            role="embassy",
            country=Country.objects.get(iso2="HT"),
            password="x" * 12,
        )[0],
    }
    return {k: accounts.token_create(user=u)[1] for k, u in users.items()}


def post(client, path, token, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(f"{API}{path}", data=body or {}, content_type="application/json", **headers)


BODY = {
    "country": "ML",
    "name": "Cercle de Nioro-fictif",
    "kind": "cercle",
    "parent": "gaz:iso:ML-1",
    "alternate_names": ["Nioro-fictif"],
}


def test_search_is_public_and_labels_both_levels(client):
    r = client.get(f"{API}/search", {"q": "sikasso", "country": "ML"})
    assert r.status_code == 200
    labels = [x["label"] for x in r.json()["results"]]
    assert "Sikasso (région, Mali)" in labels
    assert "Sikasso (commune, cercle de Sikasso, Mali)" in labels


def test_search_refuses_a_state(client):
    body = client.get(f"{API}/search", {"q": "Haïti"}).json()
    assert body["results"] == [] and "jamais partenaire" in body["refusal"]


def test_add_then_the_embassy_confirms(client, tokens):
    r = post(client, "", tokens["editor"], BODY)
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["to_verify"] is True and made["label"].endswith("— à vérifier")
    assert made["aliases"] == ["Nioro-fictif"]
    r = post(client, f"/{made['slug']}/confirm", tokens["embassy_ht"])
    assert r.status_code == 403
    r = post(client, f"/{made['slug']}/confirm", tokens["embassy_ml"])
    assert r.status_code == 200 and r.json()["to_verify"] is False


def test_without_token_401_and_nothing_written(client):
    count = LocalAuthority.objects.count()
    assert post(client, "", None, BODY).status_code == 401
    assert LocalAuthority.objects.count() == count


@pytest.mark.parametrize(
    "change,field",
    [
        ({"country": "ZZ"}, "country"),
        ({"name": "République du Mali"}, "name"),
        ({"parent": "gaz:iso:HT-OU"}, "parent"),
        ({"latitude": 18.5, "longitude": -72.3}, "latitude"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, tokens, change, field):
    count = LocalAuthority.objects.count()
    r = post(client, "", tokens["editor"], {**BODY, **change})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert LocalAuthority.objects.count() == count


def test_embassy_of_another_country_is_403(client, tokens):
    count = LocalAuthority.objects.count()
    r = post(client, "", tokens["embassy_ht"], BODY)
    assert r.status_code == 403
    assert LocalAuthority.objects.count() == count


def test_invite_then_answer_over_the_api_and_the_cli(client, tokens, django_capture_on_commit_callbacks):
    """Invitations and answers had pages only (issue 9 gap): the API and the CLI too."""
    from io import StringIO

    from django.core import mail
    from django.core.management import CommandError, call_command

    from coopatlas.accounts.models import PartnerInvitation
    from coopatlas.cooperation.models import PartnerConfirmation
    from coopatlas.cooperation.tests import factories as f

    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    kita = f.ForeignAuthorityFactory(country=Country.objects.get(iso2="ML"), name="Commune de Kita-api")
    partnership = f.PartnershipFactory(parties=[rennes, kita])
    r = post(client, f"/{kita.slug}/invitations", tokens["embassy_ht"], {"email": "maire@kita.example"})
    assert r.status_code == 403 and not PartnerInvitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, f"/{kita.slug}/invitations", tokens["embassy_ml"], {"email": "maire@kita.example"})
    assert r.status_code == 201 and r.json()["email"] == "maire@kita.example"
    assert "token" not in r.json() and mail.outbox[-1].to == ["maire@kita.example"]
    token = mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]
    officer = accounts.partner_invitation_accept(token=token, password="un mot de passe long")
    officer_token = accounts.token_create(user=officer)[1]
    body = {"partnership": partnership.slug, "state": "contested"}
    r = post(client, f"/{kita.slug}/answers", officer_token, body)
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = post(client, f"/{kita.slug}/answers", officer_token, {**body, "reason": "Mauvaise date."})
    assert r.status_code == 200 and r.json()["state"] == "contested"
    r = post(client, f"/{kita.slug}/answers", tokens["editor"], {**body, "reason": "x"})
    assert r.status_code == 403  # the French editor does not answer for the partner side
    r = post(client, f"/{kita.slug}/answers", officer_token, {"state": "confirmed"})
    assert r.status_code == 422 and "partnership" in r.json()["errors"]

    out = StringIO()
    call_command(
        "partners", "answer", "--as", officer.email, kita.slug, "--partnership", partnership.slug,
        "--state", "confirmed", stdout=out,
    )  # fmt: skip
    assert "Confirmé" in out.getvalue()
    assert PartnerConfirmation.objects.get(partnership=partnership).state == "confirmed"
    with pytest.raises(CommandError, match="introuvable"):
        call_command(
            "partners",
            "answer",
            "--as",
            officer.email,
            kita.slug,
            "--project",
            "nope",
            "--state",
            "confirmed",
        )
    out = StringIO()
    call_command(
        "partners", "invite", "--as", "scac@bamako.example", kita.slug, "adjoint@kita.example", stdout=out
    )
    assert "adjoint@kita.example" in out.getvalue()
    with pytest.raises(CommandError, match="aucune collectivité étrangère"):
        call_command("partners", "invite", "--as", "scac@bamako.example", "rennes", "x@y.example")
