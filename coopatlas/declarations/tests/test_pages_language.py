"""The declaration pages speak French (and English under /en/), and show labels, never the
API's code names (gender, refugees, submitted, country)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from coopatlas.declarations.models import Declaration

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def _visible_text(html: str) -> str:
    """The text a reader sees: no tags, attributes (name="marker_gender") or scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def declaration(client, world):
    client.force_login(world["users"]["a"])
    client.post(reverse("declarations:new", kwargs={"slug": world["a"].slug}), {"year": YEAR})
    pk = Declaration.objects.get(authority=world["a"], year=YEAR).pk
    action = reverse("declarations:action", kwargs={"pk": pk, "action": "line"})
    client.post(
        action, {"type": "refugees", "amount": "12,50", "under_12_months": "yes", "marker_gender": "1"}
    )
    return pk


def test_declaration_page_shows_labels_not_codes(client, declaration):
    html = client.get(reverse("declarations:declaration", kwargs={"pk": declaration})).content.decode()
    text = _visible_text(html)
    assert "Égalité femmes-hommes 1" in text  # the marker of the line, by its name
    assert "Ajouter une ligne" in text
    for code in ("gender", "environment", "refugees", "draft", "submitted"):
        assert not re.search(rf"\b{code}\b", text), f"code name {code!r} shown on the page"


def test_a_refused_line_names_the_field_by_its_label(client, declaration):
    action = reverse("declarations:action", kwargs={"pk": declaration, "action": "line"})
    r = client.post(action, {"type": "awareness", "amount": "5", "country": "QQ"}, follow=True)
    text = _visible_text(r.content.decode())
    assert "Pays bénéficiaire : « QQ » n'est pas un code pays" in text
    assert "country :" not in text


def test_declaration_page_in_english_under_en(client, declaration):
    with translation.override("en"):
        url = reverse("declarations:declaration", kwargs={"pk": declaration})
    assert url.startswith("/en/")
    text = _visible_text(client.get(url).content.decode())
    assert "Add a line" in text and "Ajouter une ligne" not in text
    with translation.override("en"):
        action = reverse("declarations:action", kwargs={"pk": declaration, "action": "line"})
    r = client.post(action, {"type": "awareness", "amount": "5", "country": "QQ"}, follow=True)
    text = _visible_text(r.content.decode())
    assert "Recipient country: « QQ » is not a known two-letter ISO country code" in text


def test_index_and_campaign_show_state_labels(client, world, declaration):
    client.force_login(world["users"]["admin"])
    text = _visible_text(client.get(reverse("declarations:index")).content.decode())
    assert "Brouillon" in text and not re.search(r"\bdraft\b", text)
    campaign = _visible_text(
        client.get(reverse("declarations:campaign", kwargs={"year": YEAR})).content.decode()
    )
    assert "Brouillon" in campaign and not re.search(r"\bdraft\b", campaign)
