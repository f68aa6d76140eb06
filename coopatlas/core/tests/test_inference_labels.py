"""A deduced value is named to people by its label, never by its code name ("kind")."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_deduced_kind_is_named_type_on_the_french_page(client):
    page = client.get(reverse("atlas:partnership", kwargs={"slug": "ille-et-vilaine-mopti"}))
    text = page.content.decode()
    assert "valeur déduite" in text
    assert "type : valeur déduite" in text
    assert "kind : valeur déduite" not in text


def test_the_json_twin_keeps_the_code_and_gives_the_label(client):
    data = client.get(
        reverse("atlas:partnership", kwargs={"slug": "ille-et-vilaine-mopti"}), {"format": "json"}
    ).json()
    inferred = [s for s in data["sources"] if s.get("type") == "inference"]
    assert inferred and inferred[0]["field"] == "kind" and inferred[0]["field_label"] == "type"
