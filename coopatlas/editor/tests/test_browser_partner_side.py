"""End to end in headless Chromium (issue 9): an officer of Rennes records a partnership
with a Malian commune the gazetteer lacks (added in one step), the embassy in Mali confirms
the commune and publishes the partnership, the commune's officer (invited by Rennes)
confirms it, and the public fiche shows all three, on a phone-size screen too."""

import re

import pytest

from .test_browser_editing import PASSWORD, _second_factor, _sign_in, _text

pytestmark = pytest.mark.browser

COMMUNE = "Commune de Kérouané-du-test"
TITLE = "Jumelage Rennes – Kérouané du test navigateur"


@pytest.fixture(scope="module")
def server(coopatlas_site):
    coopatlas_site.cli(
        "users",
        "add",
        "--email",
        "ri@rennes.example",
        "--role",
        "editor",
        "--authority",
        "35238",
        "--password",
        PASSWORD,
    )
    coopatlas_site.cli(
        "users",
        "add",
        "--email",
        "scac@bamako.example",
        "--role",
        "embassy",
        "--country",
        "ML",
        "--password",
        PASSWORD,
    )
    return coopatlas_site.base


def test_partner_added_confirmed_by_embassy_and_partner_fiche_shows_all_three(server, chromium, tmp_path):
    # 1. Rennes adds the commune (not in the gazetteer) and records the partnership.
    editor = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(editor, server, "ri@rennes.example", "/espace/")
    editor.goto(server + "/espace/partenaires/ajouter/?pays=ML")
    editor.fill("#id_name", COMMUNE)
    editor.select_option("#id_kind", "commune")
    editor.fill("#id_parent", "gaz:iso:ML-1")
    editor.get_by_role("button", name="Ajouter").click()
    editor.wait_for_load_state()
    if editor.locator("#id_confirm_new").count() and "/collectivites/" not in editor.url:
        editor.check("#id_confirm_new")  # « Did you mean… »: no, another commune
        editor.get_by_role("button", name="Ajouter").click()
        editor.wait_for_load_state()
    assert editor.locator("h1").inner_text() == COMMUNE, _text(editor, "main")[:2000]
    assert "à vérifier" in _text(editor, "main").lower()
    slug = editor.url.rstrip("/").rsplit("/", 1)[1]

    editor.goto(server + "/espace/partenariats/nouveau/")
    editor.fill("#id_title", TITLE)
    editor.select_option("#id_kind", "twinning")
    # Rennes is prefilled (the officer's authority); the commune is searched by name.
    assert "Rennes" in editor.locator("[data-picker-rows=parties]").inner_text()
    editor.locator("#id_parties").type("Kérouané")
    option = editor.locator("#id_parties-options [role=option]", has_text=COMMUNE)
    option.first.wait_for(timeout=10_000)
    option.first.click()
    assert slug in editor.locator("#id_parties-text").input_value()
    editor.get_by_role("button", name="Soumettre pour publication").click()
    editor.wait_for_load_state()
    assert "soumis" in _text(editor, "main").lower(), _text(editor, "main")[:2000]

    # 2. The embassy in Mali confirms the commune and publishes the partnership.
    embassy = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(embassy, server, "scac@bamako.example", "/espace/partenaires/a-verifier/")
    if embassy.locator(".atlas-secret").count():
        _second_factor(embassy)
    embassy.goto(server + "/espace/partenaires/a-verifier/")
    embassy.locator("tr", has_text=COMMUNE).get_by_role("button", name="Confirmer").click()
    embassy.wait_for_load_state()
    assert "confirmée" in _text(embassy, "main")
    embassy.goto(server + "/espace/validation/")
    row = embassy.locator("[data-review-row]", has_text=TITLE)
    embassy.on("dialog", lambda dialog: dialog.accept())  # « Publier cette version ? »
    row.locator("label[for^=confirm-]").click()  # DSFR draws the box on the label
    row.get_by_role("button", name="Publier").click()
    embassy.wait_for_load_state()
    assert "est publié" in _text(embassy, "main")

    # 3. Rennes invites the commune's officer; the link is shown in the editing space.
    editor.goto(server + "/espace/")
    editor.locator("li", has_text=COMMUNE).get_by_role("link", name="Inviter la partie partenaire").click()
    editor.wait_for_load_state()
    editor.fill("#id_email", "maire@kerouane.example")
    editor.get_by_role("button", name="Envoyer l’invitation").click()
    editor.wait_for_load_state()
    link = editor.locator("#invitation-link").inner_text().strip()
    assert "/compte/invitation/" in link

    # 4. The officer, on a phone, chooses a password and confirms the partnership.
    phone = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }
    partner = chromium.new_context(**phone).new_page()
    partner.goto(link)
    assert COMMUNE in _text(partner, "main")
    partner.fill("#id_password", "mot de passe de la mairie")
    partner.get_by_role("button", name="Choisir ce mot de passe et continuer").click()
    partner.wait_for_load_state()
    assert "/espace/partie-partenaire/" in partner.url, partner.url
    section = partner.locator("section", has_text=TITLE)
    section.locator("label.fr-label", has_text=re.compile("^Confirmé$")).click()  # DSFR radio
    assert section.get_by_label("Confirmé").is_checked()
    section.locator("textarea[name=account]").fill(
        "Résultats selon la mairie : un comité de jumelage est installé. Besoin : formation de l'état civil."
    )
    section.get_by_role("button", name="Enregistrer ma réponse").click()
    partner.wait_for_load_state()
    assert "Réponse enregistrée" in _text(partner, "main")
    partner.goto(link)  # the link worked once
    assert "déjà servi" in _text(partner, "main")

    # 5. The public fiche shows the partnership, the verified commune, the partner's word.
    public = chromium.new_context(**phone).new_page()
    public.goto(server + "/partenariats/")
    public.goto(f"{server}/collectivites/{slug}/")
    public.locator("a", has_text=TITLE).first.click()
    public.wait_for_load_state()
    text = _text(public, "main")
    assert public.locator("h1").inner_text() == TITLE
    assert re.search(r"Confirmé par la partie malienne le \d{1,2} \w+ \d{4}", text), text[:3000]
    assert "collectivité vérifiée le" in text and "Rennes" in text
    assert "Selon la partie malienne : Résultats selon la mairie" in text
    shot = tmp_path / "partnership-phone.png"
    public.screenshot(path=str(shot), full_page=True)
    # the page fits the phone: nothing wider than the screen
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    print(f"phone screenshot of the fiche: {shot}")  # look at it (pytest -s)
