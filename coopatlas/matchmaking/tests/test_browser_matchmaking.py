"""End to end in headless Chromium (issue 14): the embassy in Mali registers and publishes
a partner request of the commune of Bandiagara, an officer of Rennes answers « Je suis
intéressé·e », both see the conversation (the public does not), and the request is marked
matched when the partnership is recorded."""

import pytest

from coopatlas.editor.tests.test_browser_editing import PASSWORD, _second_factor, _sign_in, _text

pytestmark = pytest.mark.browser

SLUG = "ml-commune-bandiagara"
WISH = "Une commune française pour l'eau potable et l'état civil (test navigateur)."
HELLO = "Bonjour de Rennes : notre service des eaux peut accueillir deux techniciens."
REPLY = "Merci, la mairie de Bandiagara propose une visite en mars."


@pytest.fixture(scope="module")
def server(coopatlas_site):
    coopatlas_site.cli(
        "users", "add", "--email", "ri-match@rennes.example", "--role", "editor", "--authority", "35238",
        "--password", PASSWORD,
    )  # fmt: skip
    coopatlas_site.cli(
        "users", "add", "--email", "scac-match@bamako.example", "--role", "embassy", "--country", "ML",
        "--password", PASSWORD,
    )  # fmt: skip
    # A second embassy agent: the first enrols its authenticator app in the first test, and
    # a later sign-in would ask for a code from that app, which each test cannot share.
    coopatlas_site.cli(
        "users", "add", "--email", "scac-demandes@bamako.example", "--role", "embassy", "--country", "ML",
        "--password", PASSWORD,
    )  # fmt: skip
    return coopatlas_site.base


def _publish(page, text: str) -> None:
    """The review queue asks to confirm: tick « J'ai relu… » (DSFR draws the box on its
    label), then accept the « Publier cette version ? » dialog."""
    row = page.locator("[data-review-row]", has_text=text).first
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("label[for^=confirm-]").click()
    row.get_by_role("button", name="Publier").click()


def test_request_answered_conversation_seen_by_both_then_matched(server, chromium):
    # 1. The embassy registers the request and publishes it.
    embassy = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(embassy, server, "scac-match@bamako.example", "/espace/demandes/nouveau/")
    if embassy.locator(".atlas-secret").count():
        _second_factor(embassy)
    embassy.goto(server + "/espace/demandes/nouveau/")
    embassy.fill("#id_authority", SLUG)
    embassy.fill("#id_wishes", WISH)
    embassy.get_by_role("button", name="Soumettre pour publication").click()
    embassy.wait_for_load_state()
    assert "soumis" in _text(embassy, "main").lower(), _text(embassy, "main")[:2000]
    embassy.goto(server + "/espace/validation/")
    _publish(embassy, "Bandiagara")
    embassy.wait_for_load_state()
    assert "est publié" in _text(embassy, "main"), _text(embassy, "main")[:2000]

    # The request's page, from the public list of requests.
    public = chromium.new_context().new_page()
    public.goto(server + "/collectivites/" + SLUG + "/")
    public.locator("a[href*='/mise-en-relation/demandes/']").first.click()
    public.wait_for_load_state()
    url = public.url
    assert WISH in _text(public, "main")
    assert public.locator("[data-status]").get_attribute("data-status") == "open"
    assert "ouverte" in _text(public, "[data-status]").lower()

    # 2. The officer of Rennes answers.
    editor = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(editor, server, "ri-match@rennes.example", url.replace(server, ""))
    editor.goto(url)
    editor.fill("#interest-message", HELLO)
    editor.get_by_role("button", name="Envoyer mon intérêt").click()
    editor.wait_for_load_state()
    text = _text(editor, "main")
    assert "Votre intérêt est transmis" in text and HELLO in text, text[:2000]
    assert editor.locator("[data-status]").get_attribute("data-status") == "in_talks"

    # 3. The embassy sees it (notified in its space) and replies; Rennes sees the reply.
    embassy.goto(server + "/mise-en-relation/notifications/")
    assert "Rennes est intéressée" in _text(embassy, "main")
    embassy.locator("a", has_text="Rennes est intéressée").first.click()
    embassy.wait_for_load_state()
    assert HELLO in _text(embassy, "main")
    embassy.locator("textarea[name=body]").first.fill(REPLY)
    embassy.get_by_role("button", name="Envoyer", exact=True).first.click()
    embassy.wait_for_load_state()
    editor.goto(url)
    assert REPLY in _text(editor, "main") and HELLO in _text(editor, "main")

    # The public never sees the conversation.
    public.goto(url)
    assert HELLO not in _text(public, "main") and REPLY not in _text(public, "main")

    # 4. Rennes records the partnership; the embassy publishes it; the request is matched.
    title = "Coopération Rennes – Bandiagara (test navigateur)"
    editor.goto(server + "/espace/partenariats/nouveau/")
    editor.fill("#id_title", title)
    editor.select_option("#id_kind", "cooperation")
    # Rennes is prefilled (the officer's own authority); the partner is picked by its name
    editor.locator("#id_parties").type("Bandiagara")
    option = editor.locator("#id_parties-options [role=option]", has_text=SLUG)
    option.first.wait_for(timeout=15_000)
    option.first.click()
    assert SLUG in editor.locator("#id_parties-text").input_value()
    editor.get_by_role("button", name="Soumettre pour publication").click()
    editor.wait_for_load_state()
    embassy.goto(server + "/espace/validation/")
    _publish(embassy, title)
    embassy.wait_for_load_state()
    public.goto(url)
    text = _text(public, "main")
    assert public.locator("[data-status]").get_attribute("data-status") == "matched", text[:2000]
    assert "partenaire trouvé" in _text(public, "[data-status]").lower()
    assert public.locator("[data-testid=matched-partnership]").inner_text() == title


PARTNER_WISH = "Une commune française pour le maraîchage des femmes (test navigateur, côté partenaire)."
PARTNER_REPLY = "Le maire de Diéma vous remercie : écrivons la convention ensemble."


def _partner_officer(site, email: str, slug: str) -> None:
    """An officer of the foreign authority (role partner): in real life invited by the
    embassy (editor/partner_invite); here created directly in the served database."""
    import subprocess
    import sys

    code = (
        "import django; django.setup()\n"
        "from coopatlas.accounts.models import Membership, Role, User\n"
        "from coopatlas.geo.models import LocalAuthority\n"
        f"u = User.objects.create_user(email={email!r}, password={PASSWORD!r})\n"
        "m = Membership.objects.create(user=u, role=Role.PARTNER)\n"
        f"m.authorities.add(LocalAuthority.objects.get(slug={slug!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=site.env, cwd=site.root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_partner_officer_registers_its_request_follows_it_and_answers(server, coopatlas_site, chromium):
    _partner_officer(coopatlas_site, "maire@diema.example", "ml-commune-diema")
    # 1. The officer of Diéma registers its own request: it waits for the embassy.
    partner = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(partner, server, "maire@diema.example", "/mise-en-relation/mes-demandes/")
    partner.goto(server + "/mise-en-relation/mes-demandes/")
    partner.fill("#id_description", PARTNER_WISH)
    partner.get_by_role("button", name="Envoyer à l'ambassade").click()
    partner.wait_for_load_state()
    url = partner.url
    assert "l'ambassade la validera" in _text(partner, "main") and PARTNER_WISH in _text(partner, "main")
    public = chromium.new_context().new_page()
    assert public.goto(url).status == 404  # not public before the embassy validates it

    # 2. The embassy validates it from its review queue.
    embassy = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(embassy, server, "scac-demandes@bamako.example", "/espace/validation/")
    if embassy.locator(".atlas-secret").count():
        _second_factor(embassy)
    embassy.goto(server + "/espace/validation/")
    _publish(embassy, "Diéma")
    embassy.wait_for_load_state()
    assert public.goto(url).status == 200 and PARTNER_WISH in _text(public, "main")

    # 3. Rennes answers; the officer sees it on its page and replies; Rennes reads the reply.
    editor = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(editor, server, "ri-match@rennes.example", url.replace(server, ""))
    editor.goto(url)
    editor.fill("#interest-message", HELLO)
    editor.get_by_role("button", name="Envoyer mon intérêt").click()
    editor.wait_for_load_state()
    partner.goto(server + "/mise-en-relation/mes-demandes/")
    row = partner.locator("tr", has_text="maraîchage").first
    assert row.locator("[data-status]").get_attribute("data-status") == "in_talks"
    row.locator("a").first.click()
    partner.wait_for_load_state()
    assert HELLO in _text(partner, "main")
    partner.locator("textarea[name=body]").first.fill(PARTNER_REPLY)
    partner.get_by_role("button", name="Envoyer", exact=True).first.click()
    partner.wait_for_load_state()
    editor.goto(url)
    assert PARTNER_REPLY in _text(editor, "main")
    public.goto(url)
    assert PARTNER_REPLY not in _text(public, "main")
