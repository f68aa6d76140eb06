"""Issue 13, the part-time officer's path in headless Chromium, on a desktop and on a phone:
sign in → « Mon espace » lists what is due → the header's declaration link → a new project
with the pickers (own authority already lead, partner and sector searched by name, role and
percentage per row) → the error summary (focus, « Erreur – » title, links to the fields) →
the financing plan, a line typed the French way, then corrected (year)."""

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "mot de passe du parcours agent"  # noqa: S105 - throwaway test account
EMAIL = "agent@ille-et-vilaine.example"


@pytest.fixture(scope="module")
def server(coopatlas_site):
    coopatlas_site.cli(
        "users", "add", "--email", EMAIL, "--role", "editor", "--authority", "35", "--password", PASSWORD
    )
    return coopatlas_site.base


def _text(page, selector: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", page.locator(selector).first.inner_text())


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/compte/connexion/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", [(1280, 1000), (390, 844)], ids=["desktop", "phone"])
def test_officer_path(server, chromium, viewport):
    width, height = viewport
    tag = "phone" if width < 500 else "desktop"
    page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
    _sign_in(page, server)
    assert page.url.rstrip("/").endswith("/espace"), page.url  # lands on what is due
    due = _text(page, "[data-due]")
    assert "Déclaration de l’aide publique au développement" in due and "Ille-et-Vilaine" in due
    page.screenshot(path=f"/tmp/officer-dashboard-{tag}.png", full_page=True)

    # The declaration from the header (in the phone's menu, the same link).
    link = page.locator("header a[href='/espace/declaration/']").first
    page.goto(server + link.get_attribute("href"))
    page.wait_for_load_state()
    assert "/declarations/" in page.url and "Ille-et-Vilaine" in _text(page, "main")

    # A new project: the officer's authority is already the lead.
    page.goto(server + "/espace/projets/nouveau/")
    rows = page.locator("[data-picker-rows=participants] li")
    assert rows.count() == 1 and "Ille-et-Vilaine" in rows.first.inner_text()
    assert rows.first.locator("select").input_value() == "lead"
    assert not page.locator("#id_participants-text").is_visible()  # the rows replace the text
    page.locator("#id_participants").type("Mopti")
    option = page.locator("#id_participants-options [role=option]", has_text="Mopti")
    option.first.wait_for(timeout=10_000)
    option.first.click()
    assert rows.count() == 2 and rows.nth(1).locator("select").input_value() == "partner"
    # The sector is found by words of its description, accents or not.
    page.locator("#id_sectors").type("etat civil")
    option = page.locator("#id_sectors-options [role=option]", has_text="13096")
    option.first.wait_for(timeout=10_000)
    option.first.click()
    sector = page.locator("[data-picker-rows=sectors] li")
    assert sector.count() == 1 and sector.first.locator("input").input_value() == "100"
    # The markers wait under « Avancé ».
    assert not page.locator("#id_marker_gender").is_visible()
    page.locator("[data-advanced] summary").click()
    assert page.locator("#id_marker_gender").is_visible()
    page.screenshot(path=f"/tmp/officer-project-form-{tag}.png", full_page=True)

    # Sent without a title and with a bad year: the summary, focused, in the title.
    page.fill("#id_start_year", "17")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur –"), page.title()
    summary = page.locator("#error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    assert summary.locator("a").count() >= 2
    page.screenshot(path=f"/tmp/officer-error-summary-{tag}.png", full_page=True)
    summary.locator("a[href='#id_title']").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    # What was chosen survived the round trip.
    assert page.locator("[data-picker-rows=participants] li").count() == 2
    page.fill("#id_title", f"Registres d’état civil du parcours agent ({tag})")
    page.fill("#id_start_year", "2025")
    page.fill("#id_budget", "60 000")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert "Enregistré" in _text(page, "main"), _text(page, "main")[:1500]

    # Its financing plan: the amount typed as on paper, totals drawn the same way.
    page.get_by_role("link", name="Plan de financement").first.click()
    page.wait_for_load_state()
    page.fill("#id_lines-0-funder", "departement:35")
    page.fill("#id_lines-0-amount", "48 000,00")
    assert _text(page, "[data-total]") == "48 000,00"
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert "48 000,00 €" in _text(page, "[data-funding-totals]")
    # The line is corrected afterwards: its year (and funder, instrument) are editable.
    assert page.locator("#id_lines-0-amount").input_value().replace("\u202f", " ") == "48 000,00"
    page.fill("#id_lines-0-year", "2025")
    page.select_option("#id_lines-0-instrument", "grant")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert "Plan de financement enregistré" in _text(page, "main")
    assert page.locator("#id_lines-0-year").input_value() == "2025"
    assert page.locator("#id_lines-0-instrument").input_value() == "grant"
    page.screenshot(path=f"/tmp/officer-financing-{tag}.png", full_page=True)


def test_project_form_works_without_javascript(server, chromium):
    """The plain-text fallback: no script, the same fields read line by line."""
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    _sign_in(page, server)
    page.goto(server + "/espace/projets/nouveau/")
    assert "chef de file" in page.locator("#id_participants").input_value()
    page.fill("#id_title", "Projet sans script du parcours agent")
    page.fill("#id_sectors", "13096 ; 100")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert "Enregistré" in _text(page, "main"), _text(page, "main")[:1500]
