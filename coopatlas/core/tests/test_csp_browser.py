"""The strict CSP in a real browser: the atlas pages, the map with a popup, the sign-in
page and the API docs run without one violation (the app served by `coopatlas serve`)."""

import pytest

pytestmark = pytest.mark.browser

LISTEN = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation', e.violatedDirective, e.sourceFile, e.lineNumber))"
)
PAGES = [
    "/",
    "/partenariats/",
    "/projets/",
    "/collectivites/",
    "/pays/",
    "/programmes/",
    "/compte/connexion/",
    "/compte/mot-de-passe/",
    "/api/v1/docs",
    "/api/v1/docs/explorer",  # Swagger UI: its bundle and init script under the CSP
]


def test_pages_run_without_csp_violation(coopatlas_site, chromium):
    server = coopatlas_site.base
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on(
        "console",
        lambda m: m.type == "error" and "CSP violation" in m.text and errors.append(f"{page.url}: {m.text}"),
    )
    page.add_init_script(LISTEN)
    for url in PAGES:
        response = page.goto(server + url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)  # scripts started on load have run
    page.goto(server + "/")
    page.wait_for_selector("[data-atlas-map][data-drawn]", timeout=20_000)
    page.locator(".leaflet-marker-icon:not(.atlas-country-label)").last.focus()  # not a country name
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup", timeout=15_000)
    page.wait_for_timeout(300)
    assert errors == []
    # The listener does see violations: an inline style attribute is one.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(300)
    assert errors and "style-src" in errors[-1]
