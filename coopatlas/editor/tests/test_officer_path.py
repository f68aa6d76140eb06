"""Issue 13, the part-time officer's path: the dashboard lists what is due (the year's aid
declaration, returned records with the reviewer's comment, records to confirm, open calls),
links to the declaration (header, dashboard, the authority's fiche), and every form page
shows one error summary."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from coopatlas.accounts.tests.world import build_world
from coopatlas.cooperation.models import Project
from coopatlas.declarations.models import Campaign, Declaration, DeclarationVersion
from coopatlas.declarations.selectors import declarations_due, due_year
from coopatlas.editor import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _client(world, role) -> Client:
    client = Client()
    client.force_login(world["users"][role])
    return client


def _campaign(year=2025):
    # update_or_create: a transactional test elsewhere in the session may leave that year's
    # campaign behind
    return Campaign.objects.update_or_create(
        year=year, defaults={"opens_on": date(year + 1, 4, 15), "closes_on": date(year + 1, 5, 31)}
    )[0]


def _due_section(body: str) -> str:
    return body.split('id="due-title"', 1)[1].split("</section>", 1)[0]


def test_due_year_is_the_latest_open_campaign():
    _campaign(2024)
    _campaign(2025)
    assert due_year(today=date(2026, 12, 1)) == 2025
    assert due_year(today=date(2026, 1, 1)) == 2024  # 2025's campaign opens in April 2026


def test_dashboard_lists_the_declaration_to_do_then_returned_then_validated(world):
    _campaign()
    editor = _client(world, "editor")
    commune = world["commune"]
    body = _due_section(editor.get(reverse("editor:dashboard")).content.decode())
    assert 'data-declaration-state="todo"' in body and commune.name in body
    assert reverse("declarations:authority", kwargs={"slug": commune.slug}) in body

    declaration = Declaration.objects.create(authority=commune, year=2025)
    version = DeclarationVersion.objects.create(
        declaration=declaration, state="returned", return_comment="Ajoutez les bourses versées."
    )
    body = _due_section(editor.get(reverse("editor:dashboard")).content.decode())
    assert 'data-declaration-state="returned"' in body and "Ajoutez les bourses versées." in body
    assert reverse("declarations:declaration", kwargs={"pk": declaration.pk}) in body

    DeclarationVersion.objects.filter(pk=version.pk).update(state="validated")
    body = _due_section(editor.get(reverse("editor:dashboard")).content.decode())
    assert 'data-declaration-state="validated"' in body and "Ajoutez les bourses" not in body


def test_declarations_due_lists_only_the_persons_authorities(world):
    _campaign()
    assert declarations_due(user=world["users"]["admin"])["rows"] == []  # not every authority
    rows = declarations_due(user=world["users"]["editor"])["rows"]
    assert [r["authority"] for r in rows] == [world["commune"]]


def test_header_link_goes_to_the_due_declaration(world):
    _campaign()
    editor = _client(world, "editor")
    page = editor.get(reverse("editor:dashboard")).content.decode()
    assert f'href="{reverse("editor:declaration")}"' in page
    response = editor.get(reverse("editor:declaration"))
    assert response.status_code == 302
    assert response["Location"] == reverse("declarations:authority", kwargs={"slug": world["commune"].slug})
    # Nobody to declare for: the dashboard; the ministry: the declarations' list.
    assert (
        _client(world, "nobody")
        .get(reverse("editor:declaration"))["Location"]
        .startswith(reverse("editor:dashboard"))
    )
    assert _client(world, "admin").get(reverse("editor:declaration"))["Location"] == reverse(
        "declarations:index"
    )
    assert Client().get(reverse("editor:declaration")).status_code == 302  # sign in first


def test_authority_fiche_links_its_officers_to_the_declaration(world):
    commune = world["commune"]
    url = reverse("atlas:authority", kwargs={"slug": commune.slug})
    declare = reverse("declarations:authority", kwargs={"slug": commune.slug})
    officer = _client(world, "editor").get(url).content.decode()
    assert declare in officer and "data-officer-links" in officer
    # Everyone else gets the public part of the declarations, not the officer's buttons.
    for html in (Client().get(url).content.decode(), _client(world, "embassy").get(url).content.decode()):
        assert "data-officer-links" not in html and "data-declarations-link" in html
        assert declare in html


def test_returned_record_listed_with_the_comment(world):
    editor = _client(world, "editor")
    Project.objects.filter(pk=world["project"].pk).update(
        publication_status="draft", returned_comment="Précisez le nombre de puits."
    )
    body = _due_section(editor.get(reverse("editor:dashboard")).content.decode())
    assert "Précisez le nombre de puits." in body
    assert reverse("editor:edit", args=["projets", world["project"].pk]) in body


def test_open_calls_are_listed_on_the_dashboard_when_a_call_is_open(world, monkeypatch):
    from coopatlas.calls.models import Call

    editor = _client(world, "editor")
    monkeypatch.setattr(views, "calls_open", lambda: Call.objects.none())
    assert "data-open-calls" not in editor.get(reverse("editor:dashboard")).content.decode()
    fake = type("FakeCall", (), {"title": "Appel généraliste 2027", "slug": "ag-2027"})
    monkeypatch.setattr(views, "calls_open", lambda: [fake()])
    body = _due_section(editor.get(reverse("editor:dashboard")).content.decode())
    assert "data-open-calls" in body


# --------------------------------------------------------------------------- error summary


def _form_data(response) -> dict:
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        data[name] = [str(getattr(v, "pk", v)) for v in value] if isinstance(value, list) else str(value)
    return data


def test_record_form_errors_summarised_at_the_top_with_links_and_title(world):
    editor = _client(world, "editor")
    project = world["project"]
    url = reverse("editor:edit", args=["projets", project.pk])
    data = _form_data(editor.get(url))
    assert "Erreur –" not in editor.get(url).content.decode()
    response = editor.post(url, {**data, "title": "", "start_year": "1700", "beneficiaries_count": "x"})
    assert response.status_code == 422
    body = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert title.strip().startswith("Erreur –")
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in body.split('id="error-summary"', 1)[1][:80]
    assert "3 erreurs" in summary  # all the form's errors at once
    for field in ("title", "start_year", "beneficiaries_count"):
        assert f'href="#id_{field}"' in summary
    assert body.index('id="error-summary"') < body.index('<form method="post" novalidate data-editor-form')
    project.refresh_from_db()
    assert project.version == 1


def test_service_error_lands_in_the_summary_too(world):
    editor = _client(world, "editor")
    url = reverse("editor:edit", args=["projets", world["project"].pk])
    data = _form_data(editor.get(url))
    body = editor.post(url, {**data, "sectors": "14030 ; 60\n14031 ; 30"}).content.decode()
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#id_sectors"' in summary and "100" in summary


def test_signin_errors_use_the_same_summary(world):
    response = Client().post(reverse("accounts:signin"), {"email": "editor@example.org", "password": "no"})
    body = response.content.decode()
    assert 'id="error-summary"' in body
    assert re.search(r"<title>\s*Erreur –", body)


# --------------------------------------------------------------------------- forms in plain words

CODE_SYNTAX = re.compile(r"; ?lead|commune:|siren:|iso:|org:|gaz:|14030|2253354|ML-5|« ; ")


def test_no_code_syntax_in_any_help_text(world):
    from coopatlas.editor.forms import FundingLineForm
    from coopatlas.editor.specs import SPECS

    forms_ = [spec.form() for spec in SPECS.values()] + [FundingLineForm()]
    seen = 0
    for form in forms_:
        for name, field in form.fields.items():
            seen += 1
            assert not CODE_SYNTAX.search(str(field.help_text)), (type(form).__name__, name, field.help_text)
    assert seen > 50


def test_sector_picker_finds_the_dac_sector_from_its_description(world):
    editor = _client(world, "editor")
    url = reverse("editor:pick_sectors")
    for q in ("état civil", "etat civil", "ÉTAT CIVIL"):
        codes = [r["code"] for r in editor.get(url, {"q": q}).json()["results"]]
        assert "13096" in codes, q  # « … l'état civil … » is in its description only
    codes = [r["code"] for r in editor.get(url, {"q": "eau potable"}).json()["results"]]
    assert codes and codes[0].startswith("140")  # names before descriptions
    assert [r["code"] for r in editor.get(url, {"q": "1403"}).json()["results"]][0].startswith("1403")


def test_organisations_picker_answers_slugs_the_text_field_takes(world):
    org = world["org"]
    rows = _client(world, "editor").get(reverse("editor:pick_organisations"), {"q": org.name[:5]}).json()
    assert org.slug in [r["code"] for r in rows["results"]]


def test_new_project_names_the_officers_authority_as_lead(world):
    editor = _client(world, "editor")
    commune = world["commune"]
    page = editor.get(reverse("editor:create", args=["projets"]))
    initial = page.context["form"]["participants"].value()
    assert commune.name in initial and "chef de file" in initial
    body = page.content.decode()
    assert 'data-picker-extra="role"' in body and "Chef de file" in body
    # Without JavaScript: the prefilled text is posted as it is, plus a partner typed by hand.
    response = editor.post(
        reverse("editor:create", args=["projets"]),
        {
            "title": "Bibliothèque de Quimbé",
            "status": "planned",
            "currency": "EUR",
            "participants": f"{initial}\n{world['cercle'].slug}",
            "sectors": "14030 — Eau potable ; 60\n14031 ; 40",
            "save": "1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    project = Project.objects.get(title="Bibliothèque de Quimbé")
    assert dict(project.participants.values_list("authority_id", "role")) == {
        commune.pk: "lead",
        world["cercle"].pk: "partner",
    }
    # A facilitator of several authorities gets no guess.
    other = Client()
    other.force_login(world["users"]["admin"])
    assert not other.get(reverse("editor:create", args=["projets"])).context["form"]["participants"].value()


def test_policy_markers_under_advanced_with_their_meaning(world):
    body = _client(world, "editor").get(reverse("editor:edit", args=["projets", world["project"].pk]))
    body = body.content.decode()
    advanced = body.split("data-advanced>", 1)[1].split("</details>", 1)[0]
    assert "id_marker_gender" in advanced and "2 – Objectif principal" in advanced
    assert "0 – non ciblé" in advanced
    assert "id_marker_gender" not in body.split("data-advanced>", 1)[0]


# --------------------------------------------------------------------------- financing line


def _funding_post(project, lines, **changes) -> dict:
    from coopatlas.editor.forms import FundingLineForm

    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, line in enumerate(lines):
        for name, value in FundingLineForm.initial_from(line).items():
            data[f"lines-{i}-{name}"] = "" if value is None else str(value)
    data.update(changes)
    return data


def test_financing_line_funder_instrument_and_year_can_be_corrected(world):
    editor = _client(world, "editor")
    project = world["project"]
    # A draft project and its lines (a published line's change waits for validation).
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    project.funding.update(publication_status="draft")
    lines = list(project.funding.order_by("pk"))
    assert lines[0].funder_organisation is not None and lines[0].year is None
    url = reverse("editor:funding", args=[project.pk])
    page = editor.get(url)
    form = page.context["formset"].forms[0]
    assert not form.fields["funder"].disabled and not form.fields["instrument"].disabled
    assert form.fields["currency"].disabled
    body = page.content.decode()
    assert "700\u202f000,00" in body  # amounts shown the French way, in the field too
    amount_input = re.search(r'<input[^>]*name="lines-0-amount"[^>]*>', body).group(0)
    assert 'type="text"' in amount_input and 'inputmode="decimal"' in amount_input
    data = _funding_post(
        project,
        lines,
        **{
            "lines-0-funder": f"commune:{world['commune'].insee_code}",
            "lines-0-instrument": "other",
            "lines-0-year": "2024",
            "lines-0-amount": "48 000,00 €",
        },
    )
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["formset"].errors
    line = lines[0]
    line.refresh_from_db()
    assert (line.funder_organisation, line.funder_authority, line.instrument, line.year) == (
        None,
        world["commune"],
        "other",
        2024,
    )
    assert str(line.amount) == "48000.00"
    # The change is in the line's history (what the reviewer's diff reads).
    from coopatlas.core.models import Change

    last = Change.objects.filter(model="cooperation.fundingcontribution", object_id=line.pk).latest("at")
    assert last.after.get("instrument") == "other" and last.after.get("year") == 2024
    assert last.after.get("funder_authority_id") == world["commune"].pk


def test_financing_line_bad_amount_said_on_the_field_nothing_written(world):
    editor = _client(world, "editor")
    project = world["project"]
    lines = list(project.funding.order_by("pk"))
    before = [(x.amount, x.instrument, x.year) for x in lines]
    url = reverse("editor:funding", args=[project.pk])
    response = editor.post(
        url, _funding_post(project, lines, **{"lines-0-amount": "48 000,00,1", "lines-1-instrument": "grant"})
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#id_lines-0-amount"' in body and re.search(r"<title>\s*Erreur –", body)
    assert [(x.amount, x.instrument, x.year) for x in project.funding.order_by("pk")] == before


# --------------------------------------------------------------------------- review queue


def test_review_queue_shows_authority_submitter_changes_and_warnings(world, monkeypatch):
    from coopatlas.cooperation import editing

    editor, embassy = world["users"]["editor"], _client(world, "embassy")
    project = world["project"]  # published: an editor's change waits as a revision
    editing.project_update(actor=editor, project=project, version=project.version, summary="Trois forages")
    monkeypatch.setattr(
        views, "_compliance_warnings", lambda record: ["Convention à joindre (plus de 23 000 €)"]
    )
    body = embassy.get(reverse("editor:review")).content.decode()
    row = body.split("data-review-row", 1)[1].split("</article>", 1)[0]
    assert world["commune"].name in row.split("data-review-authorities", 1)[1].split("</dd>", 1)[0]
    assert "editor@example.org" in row.split("data-review-submitted-by", 1)[1].split("</dd>", 1)[0]
    changes = row.split("data-review-changes", 1)[1].split("</table>", 1)[0]
    assert "Trois forages" in changes
    assert "Convention à joindre" in row.split("data-review-warnings", 1)[1]
    assert 'name="confirmed"' in row and "required" in row.split('name="confirmed"', 1)[1][:40]
    assert "data-confirm=" in row


def test_review_queue_new_record_says_never_published(world):
    from coopatlas.cooperation import editing

    project = world["project"]
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    project.refresh_from_db()
    editing.record_submit(actor=world["users"]["editor"], record=project)
    body = _client(world, "embassy").get(reverse("editor:review")).content.decode()
    row = body.split("data-review-row", 1)[1].split("</article>", 1)[0]
    assert "jamais publiée" in row and "editor@example.org" in row


# --------------------------------------------------------------------------- not on the map


def test_project_not_on_the_map_says_why_and_offers_a_partnership(world):
    from coopatlas.cooperation.selectors.maps import project_map_status

    project = world["project"]
    assert project_map_status(project=project)["on_map"]
    editor = _client(world, "editor")
    url = reverse("editor:edit", args=["projets", project.pk])
    assert "data-map-status" not in editor.get(url).content.decode()
    project.partnerships.clear()
    body = editor.get(url).content.decode()
    assert 'data-map-status="no_partnership"' in body and 'href="#id_partnerships"' in body
    Project.objects.filter(pk=project.pk).update(publication_status="draft")
    assert project_map_status(project=project)["reason"] == "not_public"
