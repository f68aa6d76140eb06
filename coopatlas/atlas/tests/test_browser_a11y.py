"""axe-core on every public page type (issue 13): WCAG 2.1 AA rules plus 2.2's 24-px targets,
in French and English, on a phone and a desktop; zero serious or critical violation.

axe-core is vendored for the tests only (core/tests/vendor, MPL 2.0, from npm) and injected
with the page's CSP bypassed: the site itself never serves it.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from .test_english_pages import english_path

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "core" / "tests" / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def _first(base: str, listing: str, prefix: str) -> str:
    html = urllib.request.urlopen(base + listing, timeout=30).read().decode()
    return re.findall(rf'href="({re.escape(prefix)}[^"?/]+/)"', html)[0]


def page_types(base: str) -> dict[str, str]:
    return {
        "home": "/",
        "country list": "/pays/",
        "country fiche": "/pays/mali/",
        "partnership list": "/partenariats/",
        "partnership fiche": _first(base, "/partenariats/", "/partenariats/"),
        "project list": "/projets/",
        "project fiche": _first(base, "/projets/", "/projets/"),
        "authority list": "/collectivites/",
        "authority fiche": _first(base, "/collectivites/", "/collectivites/"),
        "programme list": "/programmes/",
        "partner requests": "/demandes-de-partenariat/",
        "search": "/recherche/?q=Mopti",
        "about": "/a-propos/",
        "accessibility": "/accessibilite/",
        "declarations": "/declarations/",
    }


def _violations(page, exclude: list[str] | None = None) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async ([tags, exclude]) => (await axe.run({include: [document], exclude: exclude},"
        " {runOnly: {type: 'tag', values: tags}})).violations",
        [TAGS, [[e] for e in (exclude or [])]],
    )
    found = []
    for v in result:
        nodes = v["nodes"]
        if v["id"] == "target-size":
            # Map markers that overlap when zoomed out fall under WCAG 2.5.8's "equivalent"
            # exception: the partnership list after the map links the same records with
            # full-size targets (and is what the low-bandwidth mode shows).
            nodes = [n for n in nodes if "leaflet-marker-icon" not in n.get("html", "")]
        if v["impact"] in ("serious", "critical") and nodes:
            found.append({"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in nodes][:3]})
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_public_page_type_has_no_serious_axe_violation(coopatlas_site, chromium, lang):
    found = {}
    for viewport, size in VIEWPORTS.items():
        context = chromium.new_context(viewport=size, bypass_csp=True, locale=lang)
        context.add_cookies([{"name": "django_language", "value": lang, "url": coopatlas_site.base}])
        page = context.new_page()
        for name, path in page_types(coopatlas_site.base).items():
            # English pages live under /en/: the cookie alone left them in French.
            page.goto(coopatlas_site.base + (english_path(path) if lang == "en" else path))
            assert page.locator("html").get_attribute("lang") == lang, (name, path)
            page.wait_for_load_state("networkidle")
            violations = _violations(page)
            if violations:
                found[f"{name} ({viewport}, {lang})"] = violations
        context.close()
    assert not found, found


def test_on_a_phone_lists_are_cards_and_wide_tables_scroll_by_keyboard(coopatlas_site, chromium):
    """The lists' rows are cards on a phone (rows/*.html, atlas.css): nothing scrolls
    sideways and each value is under its column's heading. The fiches' wider tables (figures,
    funding lines) still scroll, and can be scrolled from the keyboard (light.js)."""
    page = chromium.new_page(viewport=VIEWPORTS["phone"])
    for path in ("/partenariats/", "/projets/", "/collectivites/"):
        page.goto(coopatlas_site.base + path)
        cards = page.evaluate(
            """() => [...document.querySelectorAll('.atlas-table--cards .fr-table__content')]
                  .map(n => [n.scrollWidth - n.clientWidth,
                             getComputedStyle(n.querySelector('tbody td'), '::before').content])"""
        )
        assert cards, f"{path}: no list table"
        for overflow, heading in cards:
            assert overflow <= 1 and heading not in ("none", "normal", '""'), (path, overflow, heading)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"], path
    page.goto(coopatlas_site.base + "/pays/mali/")
    scrollable = page.evaluate(
        """() => [...document.querySelectorAll('.atlas-table .fr-table__content')]
              .filter(n => n.scrollWidth > n.clientWidth)
              .map(n => [n.getAttribute('tabindex'), n.getAttribute('role'), n.getAttribute('aria-label')])"""
    )
    assert scrollable, "on a phone the country fiche's figure tables scroll sideways"
    for tabindex, role, label in scrollable:
        assert tabindex == "0" and role == "region" and label


EDITING_PAGES = {
    "dashboard": "/espace/",
    "declaration": "/espace/declaration/",
    "account": "/compte/",
    "second factor": "/compte/double-authentification/",
    "project form": "/espace/projets/nouveau/",
    "messages": "/espace/messages/",
    "my applications": "/appels/mes-candidatures/",
    "matchmaking": "/mise-en-relation/notifications/",
    "review queue (refused)": "/espace/validation/",
}
A11Y_PASSWORD = "mot de passe du test axe"  # noqa: S105 - throwaway test account


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_editing_space_and_api_docs_have_no_serious_axe_violation(coopatlas_site, chromium, lang):
    """The officer's pages, signed in, the sign-in page and the API reference, nothing
    excluded; on the explorer's own page, the page around Swagger UI (a third-party widget
    whose remaining faults the accessibility statement lists)."""
    coopatlas_site.cli(
        "users", "add", "--email", "axe@ille-et-vilaine.example", "--role", "editor",
        "--authority", "35", "--password", A11Y_PASSWORD,
    )  # fmt: skip
    found = {}
    for viewport, size in VIEWPORTS.items():
        context = chromium.new_context(viewport=size, bypass_csp=True, locale=lang)
        page = context.new_page()
        prefix = "/en" if lang == "en" else ""
        page.goto(coopatlas_site.base + "/api/v1/docs")
        assert page.locator("html").get_attribute("lang") == lang
        violations = _violations(page)
        if violations:
            found[f"API reference ({viewport}, {lang})"] = violations
        page.goto(coopatlas_site.base + "/api/v1/docs/explorer")
        page.wait_for_selector(".swagger-ui .opblock")
        violations = _violations(page, exclude=["#swagger-ui"])
        if violations:
            found[f"API explorer page ({viewport}, {lang})"] = violations
        page.goto(f"{coopatlas_site.base}{prefix}/compte/connexion/?next=/espace/")
        if _violations(page):
            found[f"sign-in ({viewport}, {lang})"] = _violations(page)
        page.fill("input[name=email]", "axe@ille-et-vilaine.example")
        page.fill("input[name=password]", A11Y_PASSWORD)
        page.locator("main button[type=submit]").first.click()
        page.wait_for_load_state()
        for name, path in EDITING_PAGES.items():
            page.goto(coopatlas_site.base + prefix + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == lang, (name, path)
            violations = _violations(page)
            if violations:
                found[f"{name} ({viewport}, {lang})"] = violations
        context.close()
    assert not found, found


ERROR_PASSWORD = "mot de passe du test des erreurs"  # noqa: S105 - throwaway test account
ERROR_TITLES = {
    # page: (French title start, English title start)
    "not found": ("Page introuvable", "Page not found"),
    "forbidden": ("Accès refusé", "Access denied"),
    "csrf": ("Formulaire expiré", "Form expired"),
}


def _error_page_faults(page, response, name: str, lang: str, home: str) -> list:
    """Status, language, title and a way back of one error page, then axe."""
    faults = []
    status = {"not found": 404}.get(name, 403)
    if response is None or response.status != status:
        faults.append(("status", response and response.status))
    if page.locator("html").get_attribute("lang") != lang:
        faults.append(("lang", page.locator("html").get_attribute("lang")))
    title = ERROR_TITLES[name][0 if lang == "fr" else 1]
    if not page.title().startswith(title):
        faults.append(("title", page.title()))
    back = page.locator(f'main a[href="{home}"]')
    if back.count() == 0:
        faults.append(("no way back to", home))
    return faults + _violations(page)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_error_pages_served_as_in_production(coopatlas_prod_site, chromium, lang):
    """DEBUG off (coopatlas_prod_site): the atlas's own 404, the editing space's refusal and
    the expired form (CSRF) page, each in the visitor's language, titled, with a way back,
    and without a serious axe violation. Under `make run`'s DEBUG Django shows its own
    technical pages instead, in English."""
    site = coopatlas_prod_site
    site.cli(
        "users", "add", "--email", f"erreurs-{lang}@ille-et-vilaine.example", "--role", "editor",
        "--authority", "35", "--password", ERROR_PASSWORD,
    )  # fmt: skip
    prefix = "/en" if lang == "en" else ""
    found = {}
    for viewport, size in VIEWPORTS.items():
        context = chromium.new_context(viewport=size, bypass_csp=True, locale=lang)
        context.add_cookies([{"name": "django_language", "value": lang, "url": site.base}])
        page = context.new_page()
        response = page.goto(f"{site.base}{prefix}/pas-de-page-ici/")
        faults = _error_page_faults(page, response, "not found", lang, f"{prefix}/")
        if faults:
            found[f"404 ({viewport})"] = faults
        # A form sent without its CSRF cookie (an old tab, cookies refused).
        page.goto(f"{site.base}{prefix}/compte/connexion/")
        context.clear_cookies()
        page.fill("input[name=email]", f"erreurs-{lang}@ille-et-vilaine.example")
        page.fill("input[name=password]", ERROR_PASSWORD)
        with page.expect_navigation() as sent:
            page.locator("main button[type=submit]").first.click()
        faults = _error_page_faults(page, sent.value, "csrf", lang, f"{prefix}/")
        if faults:
            found[f"CSRF ({viewport})"] = faults
        # Signed in as an editor, the review queue is refused (403).
        page.goto(f"{site.base}{prefix}/compte/connexion/?next={prefix}/espace/")
        page.fill("input[name=email]", f"erreurs-{lang}@ille-et-vilaine.example")
        page.fill("input[name=password]", ERROR_PASSWORD)
        page.locator("main button[type=submit]").first.click()
        page.wait_for_load_state()
        response = page.goto(f"{site.base}{prefix}/espace/validation/")
        faults = _error_page_faults(page, response, "forbidden", lang, f"{prefix}/espace/")
        if faults:
            found[f"403 ({viewport})"] = faults
        context.close()
    assert not found, found
