"""End to end in headless Chromium, on a database prepared by `coopatlas setup`, accounts
made with `coopatlas users add`: an editor of Ille-et-Vilaine signs in, creates a project
(type-ahead picker for the Mopti partner), fills its financing plan (live totals), submits
it; an administrator signs in with the second factor, publishes it; the public project page
shows the amounts."""

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "mot de passe du test navigateur"  # noqa: S105 - throwaway test accounts
TITLE = "Forages pastoraux du test navigateur"


@pytest.fixture(scope="module")
def server(coopatlas_site):
    coopatlas_site.cli(
        "users",
        "add",
        "--email",
        "redaction@ille-et-vilaine.example",
        "--role",
        "editor",
        "--authority",
        "35",
        "--password",
        PASSWORD,
    )
    coopatlas_site.cli(
        "users", "add", "--email", "daect@ministere.example", "--role", "admin", "--password", PASSWORD
    )
    return coopatlas_site.base


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def _sign_in(page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/compte/connexion/?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()


def _second_factor(page) -> None:
    """Ministry accounts enrol an authenticator app at their first sign-in: read the secret
    shown on the page and answer with the current code, as the app would; then go on past
    the recovery codes shown once."""
    from coopatlas.accounts.tests.otp_codes import code_now

    secret = page.locator(".atlas-secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", code_now(secret))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".atlas-recovery-codes li").count() == 10
    page.locator("main a.fr-btn").first.click()
    page.wait_for_load_state()


def _text(page, selector: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", page.locator(selector).inner_text())


def test_editor_fills_financing_plan_admin_publishes_public_page_shows_it(server, browser, tmp_path):
    editor = browser.new_page(viewport={"width": 1280, "height": 1000})
    _sign_in(editor, server, "redaction@ille-et-vilaine.example", "/espace/")
    assert editor.url.endswith("/espace/"), editor.url
    assert "Ille-et-Vilaine" in _text(editor, "main")

    # A new project: the partner is found by typing its name, never through menus.
    editor.goto(server + "/espace/projets/nouveau/")
    editor.fill("#id_title", TITLE)
    editor.fill("#id_budget", "50000")
    editor.fill("#id_countries", "ML")
    # The officer's own authority is already there as lead; the partner is searched by name
    # and added as a row with its role (issue 13).
    rows = editor.locator("[data-picker-rows=participants] li")
    assert rows.count() == 1 and "Ille-et-Vilaine" in rows.first.inner_text()
    assert rows.first.locator("select").input_value() == "lead"
    participants = editor.locator("#id_participants")
    participants.click()
    participants.type("Mopti")
    option = editor.locator("#id_participants-options [role=option]", has_text="Mopti")
    option.first.wait_for(timeout=10_000)
    option.first.click()
    assert rows.count() == 2 and rows.nth(1).locator("select").input_value() == "partner"
    assert "Mopti" in editor.locator("#id_participants-text").input_value()
    editor.get_by_role("button", name="Enregistrer le brouillon").click()
    editor.wait_for_load_state()
    assert "brouillon" in _text(editor, "main").lower()

    # Its financing plan: totals and the gap to the budget move as amounts are typed.
    editor.get_by_role("link", name="Plan de financement").first.click()
    editor.wait_for_load_state()
    editor.fill("#id_lines-0-funder", "departement:35")
    editor.fill("#id_lines-0-amount", "30000")
    editor.fill("#id_lines-1-funder", "departement:35")
    editor.select_option("#id_lines-1-nature", "in_kind")
    editor.fill("#id_lines-1-amount", "4500.50")
    assert _text(editor, "[data-total]") == "34 500,50"
    assert _text(editor, "[data-gap]") == "15 499,50"
    editor.screenshot(path=str(tmp_path / "financing.png"), full_page=True)
    editor.get_by_role("button", name="Soumettre pour publication").click()
    editor.wait_for_load_state()
    body = _text(editor, "main")
    assert "soumis" in body.lower() and "34 500,50 €" in body, body[:2000]

    # The ministry validates.
    admin = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(admin, server, "daect@ministere.example", "/espace/validation/")
    if admin.locator(".atlas-secret").count():
        _second_factor(admin)
    if "/espace/validation/" not in admin.url:
        admin.goto(server + "/espace/validation/")
    row = admin.locator("[data-review-row]", has_text=TITLE)
    assert "Ille-et-Vilaine" in row.locator("[data-review-authorities]").inner_text()
    assert "redaction@ille-et-vilaine.example" in row.locator("[data-review-submitted-by]").inner_text()
    admin.on("dialog", lambda dialog: dialog.accept())  # « Publier cette version ? »
    row.locator("label[for^=confirm-]").click()  # DSFR draws the box on the label
    row.get_by_role("button", name="Publier").click()
    admin.wait_for_load_state()
    assert "est publié" in _text(admin, "main")

    # Anyone now sees the project and its financing plan.
    public = browser.new_context().new_page()
    public.goto(server + "/projets/forages-pastoraux-du-test-navigateur/")
    assert public.locator("h1").inner_text() == TITLE
    page_text = _text(public, "main")
    assert "30 000 €" in page_text and "4 500,50 €" in page_text, page_text[:3000]
    assert "Région de Mopti" in page_text
