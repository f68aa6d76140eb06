"""Issue 13, part B: four people's tasks followed end to end in headless Chromium, on the
demo data, in French and in English, on a phone (390×844, touch, 400 kbit/s, 400 ms round
trip: bench/pageweight.py's constants) and on a desktop; axe-core (zero serious or critical)
on every page visited, a screenshot of every step.

- the journalist: « Mali » in the search box → the country → who works there, with whom →
  every partnership → the CSV for people, downloaded and read → the national report;
- the elected official of Montreuil (93): the homonyms told apart → the fiche → partnerships,
  projects, who funds what → the public part of the yearly declaration;
- the part-time officer of Ille-et-Vilaine: what is due → a project edited with the pickers,
  a mistake, the error summary, fixed, submitted → its state in the reviewer's queue → the
  declaration from the header; and once without JavaScript;
- the partner-country visitor, on the throttled phone: the Région de Mopti's fiche → what is
  said about it → invited, confirms and completes the partnership (issue 9), with the time
  to first content and to usable printed.

Screenshots go to $COOPATLAS_SHOTS (default /tmp/coopatlas-tasks): look at them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from bench.pageweight import PHONE, TARGETS, THROTTLE

from .test_browser_a11y import VIEWPORTS, _violations
from .test_english_pages import english_path

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("COOPATLAS_SHOTS", "/tmp/coopatlas-tasks"))
PASSWORD = "mot de passe des parcours"  # noqa: S105 - throwaway test accounts
OFFICER = "parcours@ille-et-vilaine.example"
DEVICES = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "desktop": {"viewport": VIEWPORTS["desktop"]},
}
# Throttling where it matters: the phone runs; the desktop ones go at full speed.
RUNS = [("phone", "fr"), ("phone", "en"), ("desktop", "fr"), ("desktop", "en")]
RUN_IDS = [f"{d}-{lang}" for d, lang in RUNS]
WORDS = {  # what each person reads, in the page's language
    "fr": {
        "country_group": "Pays",
        "no_suggestion": "Aucune suggestion : appuyez sur Entrée pour chercher dans tout l’atlas.",
        "who": "Qui coopère ici, avec qui",
        "csv": "Télécharger en CSV",
        "title": "Titre",
        "status": "Statut",
        "page": "Page",
        "region": "Région partenaire",
        "budget": "Budget",
        "statuses": {"En cours", "Non renseigné"},
        "declared": "Aide déclarée",
        "report": "Aide publique au développement des collectivités territoriales en",
        "declarations_of": "Déclarations",
        "partnerships": "Partenariats",
        "projects": "Projets",
        "funding": "Budget et plan de financement",
        "no_amount": "Aucun montant publié.",
    },
    "en": {
        "country_group": "Countries",
        "no_suggestion": "No suggestion: press Enter to search the whole atlas.",
        "who": "Who works here, with whom",
        "csv": "Download as CSV",
        # the CSV's headers, labels and decimal mark follow the page's language
        "title": "Title",
        "status": "Status",
        "page": "Page",
        "region": "Partner region",
        "budget": "Budget",
        "decimal": ".",
        "statuses": {"Active", "Not stated"},
        "declared": "Declared aid",
        "report": "Official development assistance of local authorities in",
        "declarations_of": "declarations",
        "partnerships": "Partnerships",
        "projects": "Projects",
        "funding": "Budget and financing plan",
        "no_amount": "No amount published.",
    },
}


def _squash(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


class Person:
    """One person's browser: pages in their language, axe on each, a screenshot of each step,
    and the time to first content and to usable of each navigation (throttled on the phone)."""

    def __init__(self, chromium, base: str, *, task: str, device: str, lang: str, javascript: bool = True):
        self.base, self.task, self.device, self.lang = base, task, device, lang
        self.context = chromium.new_context(
            **DEVICES[device], bypass_csp=True, locale=lang, java_script_enabled=javascript
        )
        self.page = self.context.new_page()
        self.throttled = device == "phone"
        if self.throttled:
            cdp = self.context.new_cdp_session(self.page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", THROTTLE)
        self.javascript = javascript
        self.step = 0
        self.timings: list[tuple[str, float, float]] = []
        self.words = WORDS[lang]

    def url(self, path: str) -> str:
        return self.base + (english_path(path) if self.lang == "en" and not path.startswith("/en/") else path)

    def go(self, path: str, name: str) -> None:
        self.page.goto(self.url(path), wait_until="load", timeout=120_000)
        self.arrived(name)

    def arrived(self, name: str, *, axe: bool = True) -> None:
        """The page reached (by a link or a form): its language, its axe check, its picture."""
        page = self.page
        page.wait_for_load_state("load", timeout=120_000)
        assert page.locator("html").get_attribute("lang") == self.lang, (name, page.url)
        if self.lang == "en":
            assert "/en/" in page.url, (name, page.url)
        title = page.title()
        assert "Erreur serveur" not in title and "Server error" not in title, (name, page.url)
        if self.javascript:
            timing = page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                  return [fcp ? fcp.startTime : -1, nav ? nav.loadEventEnd : -1];
                }"""
            )
            self.timings.append((name, timing[0] / 1000, timing[1] / 1000))
            if axe:
                found = _violations(page)
                assert not found, (name, page.url, found)
        self.shot(name)

    def shot(self, name: str) -> None:
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        where = SHOTS / f"{self.task}-{self.device}-{self.lang}-{self.step:02d}-{slug}.png"
        self.page.screenshot(path=str(where), full_page=True)

    def text(self, selector: str = "main") -> str:
        return _squash(self.page.locator(selector).first.inner_text())

    def report_timings(self) -> None:
        for name, fcp, usable in self.timings:
            print(
                f"{self.task} {self.device} {self.lang} {name}: first content {fcp:.1f} s,"
                f" usable {usable:.1f} s{' (throttled)' if self.throttled else ''}"
            )

    def close(self) -> None:
        self.report_timings()
        self.context.close()


@pytest.fixture(scope="module")
def site(coopatlas_site):
    """The served demo site, with an officer of Ille-et-Vilaine, an embassy agent in Mali and
    a few years of validated declarations (synthetic) for the national report."""
    coopatlas_site.cli(
        "users", "add", "--email", OFFICER, "--role", "editor", "--authority", "35", "--password", PASSWORD
    )
    coopatlas_site.cli("synth-declarations", "--authorities", "40", "--lines", "4", "--years", "2")
    return coopatlas_site


def _type_in_search(person: Person, words: str):
    """The search box a person sees first (the home page's own, else the header's, behind
    the header's button on the phone), typed in; returns its list of suggestions."""
    page = person.page
    box = next((b for b in ("#home-search", "#search-input") if page.locator(b).is_visible()), None)
    if box is None:
        page.locator("#header-search-button").click()
        page.locator("#search-input").wait_for(state="visible", timeout=30_000)
        box = "#search-input"
    page.locator(box).click()
    page.locator(box).press_sequentially(words, delay=60)
    listbox = page.locator(f"{box}-list")
    listbox.locator("[role=option]").first.wait_for(timeout=30_000)
    return listbox


def _click_in_header(me: Person, selector: str) -> None:
    """A link of the header, as a person reaches it: on the phone, behind the menu button
    (whose panel must really show: it opened invisible when the reduced DSFR CSS lacked
    `.fr-modal--opened`)."""
    page = me.page
    link = page.locator(f"header {selector}:visible")
    if not link.count():
        page.locator("#header-menu-button").click()
        page.locator("#header-menu.fr-modal--opened").wait_for(state="visible", timeout=30_000)
        me.shot("header menu")
    link.first.click()


# --- The journalist ----------------------------------------------------------------------


@pytest.mark.parametrize(("device", "lang"), RUNS, ids=RUN_IDS)
def test_journalist_mali(site, chromium, device, lang, tmp_path):
    me = Person(chromium, site.base, task="journalist", device=device, lang=lang)
    w, page = me.words, me.page
    me.go("/", "home")

    # « Mali »: the country first, under its kind's heading.
    listbox = _type_in_search(me, "Mali")
    first_group = listbox.locator(".atlas-suggest__group").first.text_content()
    first_option = listbox.locator("[role=option]").first
    assert first_group == w["country_group"], first_group
    assert first_option.locator(".atlas-suggest__label").inner_text() == "Mali"
    me.shot("search suggestions")
    first_option.dispatch_event("mousedown")
    page.wait_for_url(re.compile(r"/(pays|en/pays)/mali/$"), timeout=60_000)
    me.arrived("country fiche")
    assert page.locator("h1").inner_text() == "Mali"

    # Who works here, with whom: the first section after the key figures, every status.
    headings = [_squash(h) for h in page.locator("main h2").all_inner_texts()]
    assert headings[0] == w["who"], headings
    who = me.text("#active-partnerships")
    for title in ("Ille-et-Vilaine – Région de Mopti", "Koutiala – Communauté urbaine d'Alençon"):
        assert title in who, who[:2000]
    shown_statuses = {
        _squash(s) for s in page.locator("#active-partnerships td .fr-badge").all_text_contents()
    }
    assert w["statuses"] <= shown_statuses, shown_statuses
    rows_on_fiche = page.locator("#active-partnerships tbody tr").count()

    # All partnerships: the same count, whatever the status.
    page.locator("#active-partnerships a.fr-link").last.click()
    me.arrived("all partnerships of Mali")
    assert "country=ML" in page.url and "status" not in page.url, page.url
    assert page.locator("#partnerships-table tbody tr").count() == rows_on_fiche

    # The CSV for people, downloaded and read as a spreadsheet would.
    rows = _download_csv(me, "partnerships csv")
    assert len(rows) == rows_on_fiche
    assert {w["title"], w["status"], w["page"], w["region"]} <= set(rows[0]), list(rows[0])
    mopti = next(r for r in rows if r[w["title"]] == "Ille-et-Vilaine – Région de Mopti")
    assert mopti[w["page"]].startswith(site.base + "/"), mopti[w["page"]]
    assert mopti[w["status"]] in w["statuses"], mopti[w["status"]]
    assert mopti[w["region"]] == "Mopti", mopti  # the region by its name, never ML-5

    # The projects of Mali as CSV: amounts with a decimal comma, regions by name.
    me.go("/projets/?country=ML", "projects of Mali")
    projects = _download_csv(me, "projects csv")
    budgets = [r[w["budget"]] for r in projects if r.get(w["budget"])]
    mark = re.escape(w.get("decimal", ","))
    assert budgets and all(re.fullmatch(rf"-?\d+({mark}\d+)?", b) for b in budgets), budgets
    regions = {r[w["region"]] for r in projects}
    assert not any(re.search(r"\b[A-Z]{2}-[A-Z0-9]{1,3}\b", x) for x in regions), regions

    # The national report, from the main navigation: bars apart, labelled, with the table.
    # (found by its address: its English name comes with the lead's next .po update)
    link = page.locator("nav a.fr-nav__link[href$='/declarations/']")
    assert link.count() == 1, "the main navigation links to the declarations"
    if lang == "fr":
        assert link.text_content().strip() == w["declared"]
    _click_in_header(me, "nav a.fr-nav__link[href$='/declarations/']")
    me.arrived("declarations")
    page.locator("main a[href*='/rapport/']").first.click()
    me.arrived("national report")
    assert page.title().startswith(w["report"]), page.title()
    _check_report_charts(page)
    me.close()


def _download_csv(me: Person, name: str) -> list[dict]:
    link = me.page.get_by_role("link", name=me.words["csv"]).first
    with me.page.expect_download(timeout=120_000) as info:
        link.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    me.shot(name)
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _check_report_charts(page) -> None:
    charts = page.locator("svg.atlas-bars")
    assert charts.count() >= 3
    for i in range(charts.count()):
        chart = charts.nth(i)
        boxes = chart.locator("rect").evaluate_all("rs => rs.map(r => r.getBoundingClientRect().top)")
        assert len(boxes) == len(set(round(b) for b in boxes)), "each bar on its own line"
        assert chart.locator("text").count() >= 2, "labels and values drawn"
        # the table alternative follows each chart, with the same rows
        table = chart.locator("xpath=following::table[1]")
        assert table.locator("tbody tr").count() >= 1


# --- The elected official of Montreuil -------------------------------------------------------


@pytest.mark.parametrize(("device", "lang"), RUNS, ids=RUN_IDS)
def test_elected_official_montreuil(site, chromium, device, lang):
    me = Person(chromium, site.base, task="official", device=device, lang=lang)
    w, page = me.words, me.page
    me.go("/", "home")
    # A misspelt name first: the box says nothing matched (an empty box looked broken) and
    # Enter still searches the whole atlas.
    box = next(b for b in ("#home-search", "#search-input") if page.locator(b).is_visible())
    page.locator(box).press_sequentially("Montreiulx", delay=60)
    empty = page.locator(f"{box}-list .atlas-suggest__empty")
    empty.wait_for(state="visible", timeout=30_000)
    assert empty.inner_text() == w["no_suggestion"]
    assert page.locator(f"{box}-list [role=option]").count() == 0
    me.shot("no suggestion")
    page.locator(box).fill("")
    listbox = _type_in_search(me, "Montreuil")
    labels = listbox.locator("[role=option] .atlas-suggest__label").all_inner_texts()
    homonyms = [x for x in labels if x.startswith("Montreuil (")]
    assert "Montreuil (93 – Seine-Saint-Denis)" in homonyms and len(set(homonyms)) == len(homonyms), labels
    me.shot("search suggestions")
    listbox.locator("[role=option]", has_text="Montreuil (93 – Seine-Saint-Denis)").first.dispatch_event(
        "mousedown"
    )
    page.wait_for_url(re.compile(r"/collectivites/montreuil-93048/$"), timeout=60_000)
    me.arrived("authority fiche")
    assert page.locator("h1").inner_text() == "Montreuil"
    assert "93048" in me.text()

    # Its partnerships and its projects.
    assert "Montreuil – Cercle de Yélimané" in me.text("#partnerships-table")
    heading = page.get_by_role("heading", name=w["projects"], exact=True)
    project = heading.locator("xpath=following::table[1]//tbody//a").first
    project_title = project.inner_text()
    project.click()
    me.arrived("project fiche")
    assert _squash(page.locator("h1").inner_text()) == _squash(project_title)
    # Who funds what: the financing plan (funders, amounts), or the plain word that none is published.
    funding = page.get_by_role("heading", name=w["funding"], exact=True)
    assert funding.count() == 1, [_squash(h) for h in page.locator("main h2").all_inner_texts()]
    after = _squash(funding.locator("xpath=following-sibling::*[1]").inner_text())
    assert after == w["no_amount"] or page.locator("main table", has_text="€").count(), after
    page.go_back()
    page.wait_for_load_state()

    # The public part of the yearly declaration, from the fiche.
    link = page.locator("main a[href*='/declarations/collectivite/']").first
    assert link.count() == 1, "the fiche links to the authority's declarations"
    link.click()
    me.arrived("declarations of the authority")
    assert "Montreuil" in page.locator("h1").inner_text()
    me.close()


# --- The part-time officer of Ille-et-Vilaine ------------------------------------------------

OFFICER_WORDS = {
    "fr": {
        "declaration": "Déclaration de l’aide publique au développement",
        "to_confirm": "à confirmer",
        "save": "Enregistrer le brouillon",
        "error": "Erreur –",
        "saved": "Modification enregistrée, en attente de validation",
        "pending": "Modifications en attente de validation",
        "changed": "Année de début",
    },
    "en": {
        "declaration": "Official development assistance declaration",
        "to_confirm": "to confirm",
        "save": "Save draft",
        "error": None,  # the catalogue's « Erreur » (see test_part_time_officer)
        "saved": "awaiting validation",
        "pending": "Changes awaiting validation",
        "changed": "Start year",
    },
}
# Each run edits its own published project of Ille-et-Vilaine (the demo's), by its title.
OFFICER_PROJECTS = {
    ("desktop", "fr"): "Appui institutionnel : système d'information géographique",
    ("phone", "en"): "Développement de la filière laitière",
    ("phone", "nojs"): "TREZOR : lampadaires solaires",
}


def _officer_signs_in(me: Person) -> None:
    me.go("/compte/connexion/", "sign-in")
    me.page.fill("input[name=email]", OFFICER)
    me.page.fill("input[name=password]", PASSWORD)
    me.page.locator("main button[type=submit]").first.click()
    me.arrived("editing space home")


def _open_own_project(me: Person, title: str) -> None:
    me.page.locator("section[aria-labelledby=records-title] a", has_text=title).first.click()
    me.arrived("project form")


@pytest.mark.parametrize(
    ("device", "lang"), [("desktop", "fr"), ("phone", "en")], ids=["desktop-fr", "phone-en"]
)
def test_part_time_officer(site, chromium, device, lang):
    me = Person(chromium, site.base, task="officer", device=device, lang=lang)
    o, page = OFFICER_WORDS[lang], me.page
    _officer_signs_in(me)
    assert re.search(r"/espace/$", page.url), page.url  # signing in lands on what is due
    due = me.text("[data-due]")
    assert o["declaration"] in due and "Ille-et-Vilaine" in due, due
    assert page.locator("[data-due] [data-declaration-state]").count() >= 1
    assert o["to_confirm"] in me.text("[data-to-confirm]")

    # A published project, edited with the pickers.
    _open_own_project(me, OFFICER_PROJECTS[(device, lang)])
    rows = page.locator("[data-picker-rows=participants] li")
    assert (
        "Ille-et-Vilaine" in rows.first.inner_text() and rows.first.locator("select").input_value() == "lead"
    )
    for picked in ("[data-picker-rows=partnerships] li", "[data-picker-rows=sectors] li"):
        for row in page.locator(picked).all():  # names, never the slug or the bare code
            name = row.locator(".editor-row__name").inner_text()
            assert not re.fullmatch(r"[a-z0-9-]+|\d{5}", name), name
    page.locator("#id_places").press_sequentially("Mopti", delay=40)
    option = page.locator("#id_places-options [role=option]", has_text="Mopti")
    option.first.wait_for(timeout=30_000)
    option.first.click()
    assert "Mopti" in me.text("[data-picker-rows=places]")
    page.locator("#id_sectors").press_sequentially("état civil", delay=40)
    option = page.locator("#id_sectors-options [role=option]", has_text="13096")
    option.first.wait_for(timeout=30_000)
    option.first.click()
    sectors = page.locator("[data-picker-rows=sectors] li")
    for i in range(sectors.count()):  # the shares must add up: half each
        sectors.nth(i).locator("input").fill(
            str(100 // sectors.count()) if i else str(100 - 100 // sectors.count() * (sectors.count() - 1))
        )
    me.shot("pickers filled")

    # Two mistakes at once: no title, a year of two digits.
    title = page.locator("#id_title").input_value()
    page.fill("#id_title", "")
    page.fill("#id_start_year", "17")
    page.get_by_role("button", name=o["save"]).click()
    me.arrived("error summary")
    with translation.override(lang):
        # In English until the lead's .po carries « Erreur » (it had no entry): its catalogue word.
        error = o["error"] or f"{gettext('Erreur')} –"
    assert page.title().startswith(error), page.title()
    summary = page.locator("#error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    links = summary.locator("a")
    assert links.count() >= 2, summary.inner_text()
    assert {links.nth(i).get_attribute("href") for i in range(links.count())} >= {
        "#id_title",
        "#id_start_year",
    }
    summary.locator("a[href='#id_title']").click()
    assert page.evaluate("document.activeElement.id") == "id_title"
    assert "13096" in page.locator("#id_sectors-text").input_value()  # what was picked survived

    # Fixed, sent: the change waits for the reviewer, and says so.
    page.fill("#id_title", title)
    page.fill("#id_start_year", "2017")
    page.get_by_role("button", name=o["save"]).click()
    me.arrived("saved")
    assert o["saved"] in me.text(), me.text()[:1500]
    assert o["changed"] in me.text("[data-pending-revision]")  # in words, not start_year
    page.goto(me.url("/espace/"))
    me.arrived("editing space after the change")
    pending = me.text("section[aria-labelledby=pending-title]")
    assert o["pending"] in pending and title[:40] in pending, pending[:1000]

    # The declaration from the header.
    _click_in_header(me, "a[href$='/espace/declaration/']")
    me.arrived("declaration")
    assert "/declarations/" in page.url and "Ille-et-Vilaine" in me.text()
    me.close()


def test_part_time_officer_without_javascript(site, chromium):
    """The same task with scripts off, on the phone: the pickers are plain text fields, the
    errors still come all at once in the summary, and the save goes through."""
    me = Person(chromium, site.base, task="officer-nojs", device="phone", lang="fr", javascript=False)
    page = me.page
    _officer_signs_in(me)
    _open_own_project(me, OFFICER_PROJECTS[("phone", "nojs")])
    sectors = page.locator("#id_sectors")
    assert sectors.is_visible() and page.locator("#id_participants").is_visible()
    assert "chef de file" in page.locator("#id_participants").input_value()
    # Two mistakes: the title emptied, the sector written in words the plain field cannot read.
    title = page.locator("#id_title").input_value()
    page.fill("#id_title", "")
    sectors.fill("eau potable ; 100")
    page.get_by_role("button", name=OFFICER_WORDS["fr"]["save"]).click()
    me.arrived("error summary")
    assert page.title().startswith("Erreur –"), page.title()
    summary = page.locator("#error-summary")
    hrefs = {a.get_attribute("href") for a in summary.locator("a").all()}
    assert {"#id_title", "#id_sectors"} <= hrefs, me.text("#error-summary")  # both at once
    assert "eau potable" in me.text("#error-summary")
    page.fill("#id_title", title)
    page.fill("#id_sectors", "14030 ; 100")
    page.get_by_role("button", name=OFFICER_WORDS["fr"]["save"]).click()
    me.arrived("saved")
    assert OFFICER_WORDS["fr"]["saved"] in me.text(), me.text()[:1500]
    me.close()


# --- The partner-country visitor ---------------------------------------------------------------

PARTNER_WORDS = {
    "fr": {
        "who": "Qui travaille ici, et sur quoi",
        "password": "Choisir ce mot de passe et continuer",
        "confirmed": "Confirmé",
        "save": "Enregistrer ma réponse",
        "saved": "Réponse enregistrée",
    },
    "en": {
        "who": "Who works here, and on what",
        "password": "Choose this password and continue",
        "confirmed": "Confirmed",
        "save": "Save my response",
        "saved": "Response saved",
    },
}
MOPTI = "/collectivites/ml-region-mopti/"
MOPTI_PARTNERSHIP = "Ille-et-Vilaine – Région de Mopti"


def _invite_mopti(site, chromium, email: str) -> str:
    """Ille-et-Vilaine's officer invites the Région de Mopti's (a set-up step, at full speed)."""
    officer = Person(chromium, site.base, task="invite", device="desktop", lang="fr")
    _officer_signs_in(officer)
    page = officer.page
    page.locator("section[aria-labelledby=partner-side-title] li", has_text="Région de Mopti").get_by_role(
        "link", name="Inviter la partie partenaire"
    ).click()
    page.wait_for_load_state()
    page.fill("#id_email", email)
    page.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_load_state()
    link = page.locator("#invitation-link").inner_text().strip()
    officer.context.close()
    return link


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_partner_country_visitor_on_a_throttled_phone(site, chromium, lang):
    link = _invite_mopti(site, chromium, f"secretariat-{lang}@region-mopti.example")
    me = Person(chromium, site.base, task="partner", device="phone", lang=lang)
    p, page = PARTNER_WORDS[lang], me.page

    # The partner authority's fiche, first visit on the phone: what is said about it.
    me.go(MOPTI, "partner fiche")
    _name, fcp, usable = me.timings[-1]
    print(f"partner fiche, first visit, throttled phone ({lang}): content {fcp:.1f} s, usable {usable:.1f} s")
    # Generous bounds (twice the targets of issue 13): the figures go to bench/pageweight.py.
    assert 0 < fcp < 2 * TARGETS["fcp_s"] and 0 < usable < 2 * TARGETS["usable_s"], (fcp, usable)
    assert page.locator("h1").inner_text() == "Région de Mopti"
    who = page.get_by_role("heading", name=p["who"], exact=True)
    assert who.count() == 1
    assert "Ille-et-Vilaine" in _squash(who.locator("xpath=following-sibling::ul[1]").inner_text())
    assert MOPTI_PARTNERSHIP in me.text("#partnerships-table")
    # 24-px targets: axe's target-size rule (WCAG 2.2) ran on the page above
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Invited: a password, then the partner side's answer (issue 9).
    path = link.split("://", 1)[1].split("/", 1)[1]
    me.go("/" + path, "invitation")
    page.fill("#id_password", f"mot de passe de la région ({lang})")
    page.get_by_role("button", name=p["password"]).click()
    me.arrived("partner side")
    section = page.locator("section", has_text=MOPTI_PARTNERSHIP).first
    section.locator("label.fr-label", has_text=re.compile(f"^{p['confirmed']}$")).click()
    assert section.get_by_label(p["confirmed"], exact=True).is_checked()
    section.locator("textarea[name=account]").fill(
        "La Région de Mopti confirme : filière laitière et énergies solaires, suivies sur place."
    )
    section.get_by_role("button", name=p["save"]).click()
    me.arrived("partner answer saved")
    assert p["saved"] in me.text(), me.text()[:1500]
    me.close()
