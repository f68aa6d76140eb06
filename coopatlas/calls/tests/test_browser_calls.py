"""End to end in headless Chromium (issue 10): the ministry creates and opens a call, the
Département d'Ille-et-Vilaine applies with SOLSOMATI (demo project, seed 003) from its
editor page, the eligibility updates as the amount is typed, the embassy in Mali gives its
opinion, the ministry proposes an amount and sees the budget consumed on the committee page,
the committee grants, the payment schedule appears, the public project page shows the grant
in the financing plan, and the département's aid declaration shows it as co-funding received
(not counted in its own aid)."""

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from coopatlas.calls.selectors import paris
from coopatlas.editor.tests.test_browser_editing import PASSWORD, _second_factor, _sign_in

pytestmark = pytest.mark.browser


def _text(page, selector: str = "main") -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", page.locator(selector).inner_text())


@pytest.fixture(scope="module")
def server(coopatlas_site):
    site = coopatlas_site
    site.cli(
        "users",
        "add",
        "--email",
        "ri-calls@ille-et-vilaine.example",
        "--role",
        "editor",
        "--authority",
        "35",
        "--password",
        PASSWORD,
    )
    site.cli(
        "users", "add", "--email", "daect-calls@ministere.example", "--role", "admin", "--password", PASSWORD
    )
    site.cli(
        "users",
        "add",
        "--email",
        "scac-calls@bamako.example",
        "--role",
        "embassy",
        "--country",
        "ML",
        "--password",
        PASSWORD,
    )
    site.cli("calls", "load-rules")
    return site


def _project_pk(site) -> tuple[int, str]:
    db = Path(site.env["COOPATLAS_VAR_DIR"]) / "coopatlas.sqlite3"
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT id, slug FROM cooperation_project WHERE title LIKE 'SOLSOMATI%'"
        ).fetchone()


def _lead_slug(site, project_pk: int) -> str:
    db = Path(site.env["COOPATLAS_VAR_DIR"]) / "coopatlas.sqlite3"
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT a.slug FROM cooperation_projectparticipant p JOIN geo_localauthority a "
            "ON a.id = p.authority_id WHERE p.project_id = ? AND a.country_id = 'FR' "
            "ORDER BY p.role = 'lead' DESC, p.id LIMIT 1",
            (project_pk,),
        ).fetchone()[0]


def _signed_in(browser, base, email, path):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(page, base, email, path)
    if page.locator(".atlas-secret").count():
        _second_factor(page)
    page.goto(base + path)
    return page


def test_call_application_opinion_grant_schedule_atlas(server, chromium):
    base = server.base
    pk, slug = _project_pk(server)
    now = paris(timezone.now())

    # 1. The ministry creates the call (rules of seed 001) and opens it.
    admin = _signed_in(chromium, base, "daect-calls@ministere.example", "/appels/nouveau/")
    admin.fill("#slug", "aap-navigateur")
    admin.fill("#title", "AAP généraliste du test navigateur")
    admin.fill("#opens_at", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    admin.fill("#deadline_at", (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S"))
    admin.fill("#opinion_deadline_at", (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S"))
    admin.fill("#budget", "1 000 000")
    label = admin.locator("#ruleset option", has_text="règles du guide, 2020").first.inner_text()
    admin.select_option("#ruleset", label=label)
    admin.get_by_role("button", name="Créer l'appel").click()
    admin.wait_for_load_state()
    assert "Part du ministère jusqu'à 70 % du budget pour un pays prioritaire du CICID" in _text(admin), (
        _text(admin)[:1500]
    )
    admin.get_by_role("button", name="Ouvrir l'appel (fige ses règles)").click()
    admin.wait_for_load_state()
    assert "ouvert" in _text(admin).lower()

    # 2. The département applies from its project's editor page.
    editor = _signed_in(chromium, base, "ri-calls@ille-et-vilaine.example", f"/espace/projets/{pk}/")
    editor.get_by_role("link", name="Candidater").click()
    editor.wait_for_load_state()
    assert "AAP généraliste du test navigateur" in _text(editor)
    editor.fill("input[name=requested]", "105000")
    editor.get_by_role("button", name="Préparer la candidature").click()
    editor.wait_for_load_state()
    # live eligibility: too much asked, then the balance of the plan (1 145 000 − 700 000 − 340 000)
    editor.fill("#requested", "900000")
    editor.locator("[data-check=budget][data-ok=no]").wait_for(timeout=10_000)
    editor.fill("#requested", "105000")
    editor.locator("[data-check=budget][data-ok=yes]").wait_for(timeout=10_000)
    assert "part du ministère 9,17 % ≤ plafond 70 % pour un pays prioritaire du CICID" in _text(editor)
    editor.get_by_role("button", name="Déposer la candidature").click()
    editor.wait_for_load_state()
    assert "Déposée" in _text(editor), _text(editor)[:1500]
    application_url = editor.url

    # 3. The embassy in Mali gives its opinion.
    embassy = _signed_in(chromium, base, "scac-calls@bamako.example", application_url.replace(base, ""))
    embassy.locator("label[for=v-ML-favourable]").click()  # DSFR draws the radio on its label
    embassy.fill("textarea[name=comment]", "Projet suivi par le SCAC, partenariat solide.")
    embassy.get_by_role("button", name="Enregistrer l'avis").click()
    embassy.wait_for_load_state()
    assert "Mali : Favorable" in _text(embassy)

    # 4. The ministry proposes an amount: more than asked is refused, then the committee
    # page shows it with the budget consumed, grouped the French way.
    admin.goto(application_url)
    admin.fill("#proposed", "200000")
    admin.get_by_role("button", name="Enregistrer la proposition").click()
    admin.wait_for_load_state()
    assert "dépasse le montant demandé" in _text(admin), _text(admin)[:1500]
    admin.goto(application_url)
    admin.fill("#proposed", "105 000")
    admin.get_by_role("button", name="Enregistrer la proposition").click()
    admin.wait_for_load_state()
    assert "Montant proposé enregistré." in _text(admin)
    admin.goto(f"{base}/appels/aap-navigateur/comite/")
    committee = _text(admin)
    assert "accordé et proposé : 105 000,00 € (10,5 %)" in committee, committee[:2000]

    # 5. The committee grants; the payment schedule appears.
    admin.goto(application_url)
    admin.fill("#granted", "105000")
    admin.get_by_role("button", name="Enregistrer la décision").click()
    admin.wait_for_load_state()
    schedule = _text(admin, "[data-schedule]")
    assert "Sur rapport final approuvé" in schedule and re.search(r"21 ?000[,.]00 €", schedule), schedule

    # 6. The public project page shows the grant in the financing plan.
    public = chromium.new_page()
    public.goto(f"{base}/projets/{slug}/")
    plan = _text(public)
    assert "Appel à projets DAECT (MEAE)" in plan and "105 000" in plan, plan[:3000]

    # 7. The département's aid declaration for the year of the grant shows it as co-funding
    # received for SOLSOMATI, beside (not inside) its own aid.
    year = str(now.year)
    editor.goto(f"{base}/declarations/collectivite/{_lead_slug(server, pk)}/")
    editor.select_option("#year", year)
    editor.get_by_role("button", name="Commencer la déclaration").click()
    editor.wait_for_load_state()
    received = _text(editor, "[data-received-cofunding]")
    assert "Cofinancements reçus pour vos projets (non comptés)" in received, _text(editor)[:2000]
    assert "SOLSOMATI" in received and "105 000 €" in received and "DAECT" in received, received
    assert "Total déclaré : 0 €" in _text(editor), _text(editor)[:2000]
