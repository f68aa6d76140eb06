"""English complete on every page type (issue 13): a crawl in English over the public pages
and the editing space that fails on French text the code left visible.

What counts as "left in French" is French text that comes from the code, not from the data:
a visible text (or aria-label, title, placeholder, alt) with a French word or accent that
also stands, word for word, in one of the package's templates or Python modules. Records
are in French on purpose (names, titles, descriptions: the data); an untranslated label is
in a template or a .py file and shows up here with where to find it.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from coopatlas.accounts import services as accounts

PACKAGE = Path(__file__).resolve().parents[2]
FRENCH = re.compile(
    r"[àâçéèêëîïôûùœ]|\b(?:le|la|les|des|du|une|et|pour|avec|sur|aucun|aucune|votre|vos|"
    r"cette|dans|sont|est|pas|ou|par|sans|rechercher|voir|année|collectivités?)\b",
    re.IGNORECASE,
)
# Names that stay French in English: the State's logo block, the licence's name, the
# operator's name, the languages' own names in the switch.
# The titles of French publications cited as sources.
ALLOWED = re.compile(
    r"^(?:République|Française|Républiquefrançaise|Français|Licence Ouverte.*|Marianne|"
    r"Ministère de l.Europe et des Affaires étrangères.*|Atlas coopération décentralisée|"
    r"Guide opérationnel de la coopération décentralisée)$",
    re.IGNORECASE,
)
ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class _Texts(HTMLParser):
    """Visible texts and labelling attributes, outside <script>, <style> and lang="fr"."""

    SKIP = {"script", "style", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in self.SKIP or (attrs.get("lang") or "").startswith("fr")
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self.stack.append((tag, skip))
        if not (skip or self._skipping()):
            self.texts.extend(attrs[a] for a in ATTRIBUTES if attrs.get(a))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._skipping():
            self.texts.append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _literals(source: str) -> set[str]:
    """The string literals of a module, docstrings aside (comments are not literals)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        _squash(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


@cache
def _code_texts() -> tuple[str, frozenset[str]]:
    """The package's templates (their whole text) and its modules' string literals (tests,
    migrations and data files aside): where a label written in the code can come from."""
    templates, literals = [], set()
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE).parts
        if "tests" in rel or "migrations" in rel:
            continue
        if path.suffix == ".html":
            templates.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".py":
            literals |= _literals(path.read_text(encoding="utf-8"))
    return _squash("\n".join(templates)), frozenset(literals)


def french_left(html: str) -> list[str]:
    templates, literals = _code_texts()
    parser = _Texts()
    parser.feed(html)
    found = []
    for raw in parser.texts:
        text = _squash(raw)
        if len(text) < 4 or not FRENCH.search(text) or ALLOWED.match(text):
            continue
        # A template's text anywhere; a module's literal only whole (a record's name may
        # stand in a longer literal, a help text or an example).
        if text in templates or text in literals:
            found.append(text)
    return sorted(set(found))


def test_the_detector_finds_a_template_label_and_spares_the_data():
    html = (
        "<main><p>Voir la liste des partenariats (alternative textuelle)</p>"
        "<p>Appui à la filière karité de Sikasso</p>"
        '<button aria-label="Fermer la fenêtre">x</button><p lang="fr">Français</p>'
        "<script>var x = 'Rechercher dans la liste';</script></main>"
    )
    found = french_left(html)
    assert found == ["Voir la liste des partenariats (alternative textuelle)"]
    assert "Appui à la filière karité de Sikasso" not in found  # a record's title: data
    assert not any("Rechercher dans la liste" in t for t in found)  # inside <script>


def _first(client: Client, listing: str, prefix: str) -> str:
    html = client.get(listing).content.decode()
    return re.findall(rf'href="({re.escape(prefix)}[^"?/#]+/)"', html)[0]


def _public(client: Client) -> dict[str, str]:
    years = range(date.today().year, date.today().year - 8, -1)
    reports = [reverse("declarations:report", args=[y]) for y in years]
    report = next((r for r in reports if client.get(r).status_code == 200), reports[1])
    return {
        "home": "/",
        "country list": "/pays/",
        "country fiche": "/pays/mali/",
        "partnership list": "/partenariats/",
        "partnership fiche": _first(client, "/partenariats/", "/partenariats/"),
        "project list": "/projets/",
        "project fiche": _first(client, "/projets/", "/projets/"),
        "authority list": "/collectivites/",
        "authority kinds": "/collectivites/?kind=commune",
        "authority fiche": _first(client, "/collectivites/", "/collectivites/"),
        "organisations": "/acteurs/",
        "programmes": "/programmes/",
        "partner requests": "/demandes-de-partenariat/",
        "search": "/recherche/?q=Mopti",
        "about": "/a-propos/",
        "accessibility": "/accessibilite/",
        "sources": "/sources/",
        "declarations": "/declarations/",
        "national report": report,
        "calls": "/appels/",
        "API docs": "/api/v1/docs",
        "API explorer": "/api/v1/docs/explorer",
        "sign-in": "/compte/connexion/",
        "password reset": "/compte/mot-de-passe/",
        "not found (404)": "/pas-de-page-ici/",
    }


EDITOR_PAGES = {
    "dashboard": "/espace/",
    "declaration": "/espace/declaration/",
    "account": "/compte/",
    "second factor": "/compte/double-authentification/",
    "messages": "/espace/messages/",
    "new project": "/espace/projets/nouveau/",
    "new partnership": "/espace/partenariats/nouveau/",
    "partner add": "/espace/partenaires/ajouter/",
    "my applications": "/appels/mes-candidatures/",
    "matchmaking notifications": "/mise-en-relation/notifications/",
    "forbidden (403)": "/espace/validation/",
}
ADMIN_PAGES = {
    "review queue": "/espace/validation/",
    "state-atlas review": "/espace/atlas-etat/",
    "compliance": "/conformite/",
    "deleted records": "/espace/supprimes/",
    "new call": "/appels/nouveau/",
    "jobs": "/espace/taches/",
}


def _english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def english_path(path: str) -> str:
    """The pages live under /en/ in English (i18n_patterns); the API's docs follow the
    language cookie instead."""
    return path if path.startswith("/api/") else "/en" + path


def _crawl(client: Client, pages: dict[str, str]) -> dict[str, list[str]]:
    left = {}
    for name, path in pages.items():
        response = client.get(english_path(path), follow=True)
        assert response.status_code in (200, 403, 404, 422), (name, path, response.status_code)
        html = response.content.decode()
        assert '<html lang="en"' in html, (name, path)
        found = french_left(html)
        if found:
            left[f"{name} {path}"] = found
    return left


@pytest.mark.django_db
def test_every_page_type_in_english_shows_no_french_from_the_code():
    from coopatlas.geo.models import LocalAuthority

    left = _crawl(_english(Client()), _public(_english(Client())))

    authority = LocalAuthority.objects.filter(country_id="FR", kind="departement").order_by("pk").first()
    editor = accounts.user_add(
        email="english-editor@example.org", role="editor", authorities=[authority], password="x" * 12
    )[0]
    client = _english(Client())
    client.force_login(editor)
    left |= _crawl(client, EDITOR_PAGES)

    admin = accounts.user_add(email="english-admin@example.org", role="admin", password="x" * 12)[0]
    client = _english(Client())
    client.force_login(admin)
    session = client.session
    session["second_factor"] = True
    session.save()
    left |= _crawl(client, ADMIN_PAGES)

    with translation.override("en"):
        left_500 = french_left(render_to_string("500.html"))
    if left_500:
        left["server error (500)"] = left_500
    assert not left, "French left on English pages (wrap it in {% translate %} / gettext):\n" + "\n".join(
        f"{page}: {texts}" for page, texts in left.items()
    )
