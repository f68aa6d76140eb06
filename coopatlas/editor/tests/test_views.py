"""The editing space's pages, for each role, in and out of scope; forms round trips through
the editing services; validation on the field; stale versions; review; confirmation;
export; CSRF."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation import editing
from coopatlas.cooperation.models import FundingContribution, Partnership, Project
from coopatlas.editor.forms import funding_totals
from coopatlas.reference.models import SdgGoal

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def _form_data(response) -> dict:
    """What the browser would send back: the form's initial values, as strings."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def _edit_url(kind, pk):
    return reverse("editor:edit", args=[kind, pk])


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    "role,status", [("editor", 200), ("facilitator", 200), ("embassy", 200), ("admin", 200), ("nobody", 200)]
)
def test_dashboard_for_each_role(world, role, status):
    response = _client(world, role).get(reverse("editor:dashboard"))
    assert response.status_code == status
    body = response.content.decode()
    if role == "editor":
        assert "Zörglüb-lès-Bains" in body and "Puits de Quimbé" in body
    if role == "nobody":
        assert "pas encore de rôle" in body and "Puits de Quimbé" not in body
    if role == "embassy":
        assert "QM" in body and "Puits de Quimbé" in body and "Projet Quenard" not in body


def test_anonymous_is_sent_to_sign_in(world):
    response = Client().get(reverse("editor:dashboard"))
    assert response.status_code == 302
    assert "next=" in response["Location"]


@pytest.mark.parametrize(
    "role,target,status",
    [
        ("editor", "project", 200),
        ("editor", "project2", 403),
        ("facilitator", "project", 403),
        ("facilitator", "project2", 200),
        ("embassy", "project", 200),
        ("embassy", "project2", 403),
        ("admin", "project", 200),
        ("admin", "project2", 200),
        ("nobody", "project", 403),
    ],
)
def test_project_edit_page_in_and_out_of_scope(world, role, target, status):
    client = _client(world, role)
    pk = world[target].pk
    assert client.get(_edit_url("projets", pk)).status_code == status
    assert client.get(reverse("editor:funding", args=[pk])).status_code == status
    assert client.get(reverse("editor:history", args=["projets", pk])).status_code == status


def test_unknown_record_and_kind_are_404(world):
    client = _client(world, "admin")
    assert client.get(_edit_url("projets", 999999)).status_code == 404
    assert client.get(_edit_url("inconnu", world["project"].pk)).status_code == 404


@pytest.mark.parametrize(
    # the embassy of the partner's country records and corrects partnerships there (issue 9)
    "role,status",
    [("editor", 200), ("facilitator", 403), ("embassy", 200), ("admin", 200)],
)
def test_partnership_edit_page_scope(world, role, status):
    assert _client(world, role).get(_edit_url("partenariats", world["p1"].pk)).status_code == status


def test_new_record_pages_need_a_role(world):
    for kind in ("partenariats", "projets", "conventions", "acteurs", "contacts", "demandes"):
        assert _client(world, "editor").get(reverse("editor:create", args=[kind])).status_code == 200
        assert _client(world, "nobody").get(reverse("editor:create", args=[kind])).status_code == 403


def test_every_form_carries_a_csrf_token(world):
    client = _client(world, "admin")
    pk = world["project"].pk
    seen_posts = 0
    for url in (
        _edit_url("projets", pk),
        reverse("editor:funding", args=[pk]),
        reverse("editor:create", args=["partenariats"]),
        reverse("editor:dashboard"),
        reverse("editor:history", args=["projets", pk]),
    ):
        body = client.get(url).content.decode()
        # the language switcher posts to the CSRF-exempt set_language (no cookie for visitors)
        posts = body.count('method="post"') - body.count('action="/i18n/setlang/" method="post"')
        assert posts == body.count('name="csrfmiddlewaretoken"'), url
        seen_posts += posts
    assert seen_posts >= 4
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["users"]["admin"])
    response = strict.post(reverse("editor:confirm", args=["projets", pk]))
    assert response.status_code == 403


# --------------------------------------------------------------------------- forms


def test_project_form_round_trip(world):
    client = _client(world, "editor")
    project = world["project"]
    # a draft: an editor's change to a published record waits for validation
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    url = _edit_url("projets", project.pk)
    data = _form_data(client.get(url))
    data.update(
        summary="Forages et latrines",
        sectors="14030 ; 60\n14031 ; 40",
        sdg_targets="6.1 — Accès universel",
        end_year="2019",
        start_year="2016",
    )
    response = client.post(url, {**data, "save": "1"})
    assert response.status_code == 302, response.context["form"].errors
    project.refresh_from_db()
    assert project.summary == "Forages et latrines"
    assert project.version == 2 and project.end_year == 2019
    assert {(s.sector_id, s.percentage) for s in project.sector_links.all()} == {
        ("14030", Decimal("60.00")),
        ("14031", Decimal("40.00")),
    }
    assert set(project.sdg_targets.values_list("code", flat=True)) == {"6.1"}
    assert 6 in set(project.sdg_goals.values_list("number", flat=True))
    # The participants survive the round trip (their codes are in the text field).
    assert project.participants.count() == 2
    # Reopened, the form shows what was saved.
    again = _form_data(client.get(url))
    # (as the picker writes it: `code — label ; share`, the row showing the sector's name)
    assert "14030 — 14030 Approvisionnement en eau potable" in again["sectors"] and again["version"] == "2"
    assert again["sectors"].splitlines()[0].endswith(" ; 60")


def test_project_created_then_financing_plan_round_trip(world):
    client = _client(world, "editor")
    response = client.post(
        reverse("editor:create", args=["projets"]),
        {
            "title": "Adduction d'eau de Quimbé",
            "status": "planned",
            "currency": "EUR",
            "budget": "100000",
            "participants": f"commune:96001 ; lead\n{world['cercle'].slug}",
            "countries": "QM",
            "save": "1",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(title="Adduction d'eau de Quimbé")
    assert project.publication_status == "draft" and project.slug == "adduction-deau-de-quimbe"
    url = reverse("editor:funding", args=[project.pk])
    page = client.get(url)
    assert page.status_code == 200 and "data-funding-totals" in page.content.decode()
    form = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-funder": "commune:96001 — Zörglüb-lès-Bains",
        "lines-0-instrument": "own_funds",
        "lines-0-amount": "60000",
        "lines-0-currency": "EUR",
        "lines-0-nature": "cash",
        "lines-1-funder": "org:aaq-test",
        "lines-1-instrument": "grant",
        "lines-1-amount": "15000.50",
        "lines-1-currency": "eur",
        "lines-1-nature": "in_kind",
        "save": "1",
    }
    assert client.post(url, form).status_code == 302
    lines = list(project.funding.order_by("pk"))
    assert [(x.amount, x.nature, x.funder) for x in lines] == [
        (Decimal("60000.00"), "cash", world["commune"]),
        (Decimal("15000.50"), "in_kind", world["org"]),
    ]
    # Totals computed server-side, shown on the page.
    page = client.get(url)
    totals = page.context["totals"]
    assert (totals["cash"], totals["in_kind"], totals["gap"]) == (
        Decimal("60000.00"),
        Decimal("15000.50"),
        Decimal("24999.50"),
    )
    # Raise one line, remove the other, then submit the project: one transaction.
    edit = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "2",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, line in enumerate(lines):
        edit.update(
            {
                f"lines-{i}-id": line.pk,
                f"lines-{i}-version": line.version,
                f"lines-{i}-amount": str(line.amount),
                f"lines-{i}-nature": line.nature,
                f"lines-{i}-note": "",
            }
        )
    edit["lines-0-amount"] = "90000"
    edit["lines-1-remove"] = "on"
    assert client.post(url, {**edit, "submit": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.publication_status == "submitted"
    assert [(x.amount, x.publication_status) for x in project.funding.all()] == [
        (Decimal("90000.00"), "submitted")
    ]


def test_financing_over_budget_is_refused_on_the_amount_field(world):
    client = _client(world, "editor")
    project = world["project"]  # budget 2,000,000; lines 700,000 + 340,000
    url = reverse("editor:funding", args=[project.pk])
    form = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-funder": "commune:96001",
        "lines-0-instrument": "own_funds",
        "lines-0-amount": "5000000",
        "lines-0-currency": "EUR",
        "lines-0-nature": "cash",
    }
    response = client.post(url, form)
    assert response.status_code == 422
    line_form = response.context["formset"].forms[0]
    assert "budget" in " ".join(line_form.errors["amount"])
    assert "fr-error-text" in response.content.decode()
    assert project.funding.count() == 2  # nothing written


def test_funding_totals_gap_and_other_currencies():
    rows = [
        {"amount": Decimal("10"), "nature": "cash", "currency": "EUR"},
        {"amount": Decimal("5"), "nature": "in_kind", "currency": "EUR"},
        {"amount": Decimal("7"), "nature": "cash", "currency": "XOF"},
    ]
    totals = funding_totals(lines=rows, budget=Decimal("20"), currency="EUR")
    assert (totals["total"], totals["gap"], totals["other_currencies"]) == (
        Decimal("15"),
        Decimal("5"),
        ["XOF"],
    )


def test_validation_messages_shown_on_their_field(world):
    client = _client(world, "editor")
    project = world["project"]
    url = _edit_url("projets", project.pk)
    data = _form_data(client.get(url))
    response = client.post(url, {**data, "sectors": "14030 ; 60\n14031 ; 30"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "100" in " ".join(errors["sectors"]) and "__all__" not in errors
    assert 'id="id_sectors-desc-error"' in response.content.decode()
    response = client.post(url, {**data, "start_year": "2016", "end_year": "2010"})
    assert "end_year" in response.context["form"].errors
    response = client.post(url, {**data, "participants": "commune:00000"})
    assert "participants" in response.context["form"].errors
    project.refresh_from_db()
    assert project.version == 1  # nothing written


def test_partnership_needs_a_foreign_authority_said_on_parties(world):
    client = _client(world, "editor")
    response = client.post(
        reverse("editor:create", args=["partenariats"]),
        {
            "title": "Sans partenaire étranger",
            "kind": "cooperation",
            "status": "unknown",
            "parties": f"commune:96001\n{world['dept'].slug}",
        },
    )
    assert response.status_code == 422
    assert "collectivité locale étrangère" in " ".join(response.context["form"].errors["parties"])


def test_stale_version_shows_the_conflict_and_overwrites_nothing(world):
    client = _client(world, "editor")
    project = world["project"]
    url = _edit_url("projets", project.pk)
    data = _form_data(client.get(url))  # the editor reads version 1
    editing.project_update(
        actor=world["users"]["admin"],
        project=project,
        version=project.version,
        summary="Écrit par l'administrateur",
    )
    response = client.post(url, {**data, "summary": "Écrit par le rédacteur"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "data-conflict" in body and "Écrit par l&#x27;administrateur" in body
    assert "admin@example.org" in body
    project.refresh_from_db()
    assert project.summary == "Écrit par l'administrateur" and project.version == 2


def test_stale_financing_line_is_a_conflict(world):
    client = _client(world, "editor")
    project = world["project"]
    line = project.funding.order_by("pk").first()
    editing.funding_update(actor=world["users"]["admin"], line=line, version=line.version, amount="650000")
    url = reverse("editor:funding", args=[project.pk])
    form = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-version": "1",
        "lines-0-amount": "1",
        "lines-0-nature": "cash",
    }
    response = client.post(url, form)
    assert response.status_code == 409 and "data-conflict" in response.content.decode()
    line.refresh_from_db()
    assert line.amount == Decimal("650000.00")


def test_other_record_forms_create(world):
    client = _client(world, "admin")
    cases = {
        "acteurs": {"name": "Association Test Quimbé", "kind": "association", "country": "FR"},
        "contacts": {
            "role": "Chargé de coopération",
            "authority": "commune:96001",
            "email": "agent@example.org",
        },
        "conventions": {
            "partnership": "zorglub-quimbe",
            "title": "Convention 2024",
            "parties": f"commune:96001\n{world['cercle'].slug}",
            "currency": "EUR",
            "estimated_commitment": "12000",
        },
        "demandes": {
            "authority": world["ville"].slug,
            "status": "open",
            "description": "Cherche un partenaire pour l'eau.",
        },
        "partenariats": {
            "title": "Zörglüb – Quenard",
            "kind": "twinning",
            "status": "active",
            "parties": f"commune:96001\n{world['ville'].slug}",
        },
    }
    for kind, data in cases.items():
        response = client.post(reverse("editor:create", args=[kind]), {**data, "save": "1"})
        assert response.status_code == 302, (kind, response.context["form"].errors)
        assert response["Location"].startswith(f"/espace/{kind}/")
        edit = client.get(response["Location"])
        assert edit.status_code == 200 and edit.context["record"].publication_status == "draft"


# --------------------------------------------------------------------------- workflow


def test_submit_review_return_then_publish(world):
    editor, embassy = _client(world, "editor"), _client(world, "embassy")
    project = world["project"]
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    url = _edit_url("projets", project.pk)
    data = _form_data(editor.get(url))
    assert editor.post(url, {**data, "submit": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.publication_status == "submitted"
    assert _client(world, "facilitator").get(reverse("editor:review")).status_code == 403
    assert editor.get(reverse("editor:review")).status_code == 403
    queue = embassy.get(reverse("editor:review"))
    assert "Puits de Quimbé" in queue.content.decode()
    decide = reverse("editor:review_decide", args=["projets", project.pk])
    assert editor.post(decide, {"action": "publish"}).status_code == 403
    embassy.post(decide, {"action": "return", "comment": ""})
    project.refresh_from_db()
    assert project.publication_status == "submitted"  # a return needs a comment
    embassy.post(decide, {"action": "return", "comment": "Précisez le nombre de puits."})
    project.refresh_from_db()
    assert (project.publication_status, project.returned_comment) == ("draft", "Précisez le nombre de puits.")
    assert "Précisez le nombre de puits." in editor.get(reverse("editor:dashboard")).content.decode()
    data = _form_data(editor.get(url))
    editor.post(url, {**data, "submit": "1"})
    admin = _client(world, "admin")
    assert admin.post(decide, {"action": "publish"}).status_code == 302
    project.refresh_from_db()
    assert project.publication_status == "published"
    assert set(
        FundingContribution.objects.filter(project=project).values_list("publication_status", flat=True)
    ) == {"published"}


def test_yearly_confirmation_in_one_click(world):
    editor = _client(world, "editor")
    p1 = world["p1"]
    old = timezone.now() - timedelta(days=400)
    type(p1).objects.filter(pk=p1.pk).update(confirmed_at=old)
    body = editor.get(reverse("editor:dashboard")).content.decode()
    assert "Toujours exact" in body and reverse("editor:confirm", args=["partenariats", p1.pk]) in body
    response = editor.post(reverse("editor:confirm", args=["partenariats", p1.pk]))
    assert response.status_code == 302
    p1.refresh_from_db()
    assert p1.confirmed_at > old and p1.version == 1
    # Out of scope: refused.
    response = _client(world, "facilitator").post(reverse("editor:confirm", args=["partenariats", p1.pk]))
    assert response.status_code == 403


def test_export_downloads_parse(world):
    editor = _client(world, "editor")
    commune = world["commune"]
    response = editor.get(reverse("editor:export", args=[commune.pk, "json"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["authority"]["insee_code"] == "96001"
    assert "Puits de Quimbé" in {p["title"] for p in data["projects"]}
    response = editor.get(reverse("editor:export", args=[commune.pk, "csv"]))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {"partnerships", "projects"} <= {r["type"] for r in rows}
    assert (
        _client(world, "facilitator").get(reverse("editor:export", args=[commune.pk, "json"])).status_code
        == 403
    )


def test_history_restore_delete_and_undelete(world):
    editor, admin = _client(world, "editor"), _client(world, "admin")
    p1 = world["p1"]
    # a draft: an editor's change to a published record waits for validation
    Partnership.objects.filter(pk=p1.pk).update(publication_status="draft")
    url = _edit_url("partenariats", p1.pk)
    data = _form_data(editor.get(url))
    editor.post(url, {**data, "description": "Nouvelle description"})
    history = reverse("editor:history", args=["partenariats", p1.pk])
    page = editor.get(history).content.decode()
    assert "Nouvelle description" in page and "editor@example.org" in page
    assert "Restaurer cette version" not in page
    assert editor.post(history, {"to_version": "2", "version": "2"}).status_code == 403
    editor.post(url, {**_form_data(editor.get(url)), "description": "Troisième"})
    assert "Restaurer cette version" in admin.get(history).content.decode()
    admin.post(history, {"to_version": "2", "version": "3"})
    p1.refresh_from_db()
    assert p1.description == "Nouvelle description" and p1.version == 4
    response = editor.post(reverse("editor:delete", args=["partenariats", p1.pk]), {"version": "4"})
    assert response.status_code == 302
    p1.refresh_from_db()
    assert p1.deleted_at is not None
    assert editor.get(url).status_code == 404
    assert p1.title in editor.get(reverse("editor:deleted")).content.decode()
    editor.post(reverse("editor:undelete", args=["partenariats", p1.pk]))
    p1.refresh_from_db()
    assert p1.deleted_at is None


def test_pickers_answer_codes(world):
    client = _client(world, "editor")
    found = client.get(reverse("editor:pick_authorities"), {"q": "Zorglub"}).json()["results"]
    assert any(r["code"] == "commune:96001" for r in found)
    sectors = client.get(reverse("editor:pick_sectors"), {"q": "1403"}).json()["results"]
    assert sectors and all(r["code"].startswith("1403") for r in sectors)
    targets = client.get(reverse("editor:pick_sdg"), {"q": "6."}).json()["results"]
    assert targets and targets[0]["code"].startswith("6.")
    assert client.get(reverse("editor:pick_areas"), {"q": "QM-1"}).json()["results"]
    assert Client().get(reverse("editor:pick_authorities"), {"q": "x"}).status_code == 302


def test_compliance_warnings_shown_on_the_edit_page(world, monkeypatch):
    selectors = pytest.importorskip("coopatlas.compliance.selectors")
    warning = {
        "rule": "test",
        "severity": "warning",
        "title": "Subvention sans convention",
        "message": "Au-delà de 23 000 €, une convention est obligatoire <b>.",
    }
    monkeypatch.setattr(
        selectors,
        "compliance_warnings_for",
        lambda *, record: [warning] if record.pk == world["project"].pk else [],
    )
    body = _client(world, "editor").get(_edit_url("projets", world["project"].pk)).content.decode()
    assert "data-compliance-warnings" in body and "Subvention sans convention" in body
    assert "obligatoire &lt;b&gt;." in body  # escaped


def test_an_editors_change_to_a_published_record_shows_as_pending_then_is_published(world):
    editor, admin = _client(world, "editor"), _client(world, "admin")
    p1 = world["p1"]
    assert p1.publication_status == "published"
    url = _edit_url("partenariats", p1.pk)
    data = _form_data(editor.get(url))
    response = editor.post(url, {**data, "description": "Proposée depuis le formulaire"})
    assert response.status_code == 302
    p1.refresh_from_db()
    assert p1.description != "Proposée depuis le formulaire"
    assert "data-pending-revision" in editor.get(url).content.decode()
    assert (
        "Modifications en attente de validation" in editor.get(reverse("editor:dashboard")).content.decode()
    )
    queue = admin.get(reverse("editor:review")).content.decode()
    assert "Proposée depuis le formulaire" in queue
    admin.post(reverse("editor:review_decide", args=["partenariats", p1.pk]), {"action": "publish"})
    p1.refresh_from_db()
    assert p1.description == "Proposée depuis le formulaire"
    assert "data-pending-revision" not in editor.get(url).content.decode()


def test_countries_and_goals_are_chosen_by_name_not_by_code(world):
    """The officer types a country's name (the picker writes `code — name`, the plain field
    takes the name too) and picks goals by their names: no code syntax is asked."""
    from coopatlas.cooperation.tests.factories import CountryFactory

    CountryFactory(iso2="QZ", name_fr="Pays fictif Zède", name_en="Zed fictional country")
    client = _client(world, "editor")
    found = client.get(reverse("editor:pick_countries"), {"q": "fictif zede"}).json()["results"]
    assert found[0] == {"code": "QZ", "label": "Pays fictif Zède"}
    form = client.get(reverse("editor:create", args=["projets"])).context["form"]
    assert "code" not in str(form.fields["countries"].help_text).lower()
    assert ("6", SdgGoal.objects.get(number=6).name) in list(form.fields["sdg_goals"].choices)
    response = client.post(
        reverse("editor:create", args=["projets"]),
        {
            "title": "Puits de Zède",
            "status": "planned",
            "currency": "EUR",
            "participants": f"commune:96001 ; lead\n{world['cercle'].slug}",
            "countries": "Pays fictif Zède\nQM — Pays fictif QM",
            "sdg_goals": ["6", "11"],
            "save": "1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(title="Puits de Zède")
    assert set(project.countries.values_list("iso2", flat=True)) == {"QZ", "QM"}
    assert set(project.sdg_goals.values_list("number", flat=True)) == {6, 11}
    again = _form_data(client.get(_edit_url("projets", project.pk)))
    assert "QZ — Pays fictif Zède" in again["countries"] and set(again["sdg_goals"]) == {"6", "11"}
    # a name that is no country: the message says what to type, nothing is written
    response = client.post(
        reverse("editor:create", args=["projets"]),
        {"title": "Sans pays", "status": "planned", "currency": "EUR", "countries": "Atlantide", "save": "1"},
    )
    assert response.status_code == 422 and not Project.objects.filter(title="Sans pays").exists()
    assert "tapez le nom du pays" in response.content.decode()
