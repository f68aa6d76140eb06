"""Countries are named the usual way wherever people read them (issue 13): « Russie », not
ISO's « Russie, Fédération de ». data/country_names.yaml's `display` is the one source; the
loader writes it into the country table, ISO's own names stay beside it for lookups."""

from __future__ import annotations

import gzip
import html as html_lib
import json
import re

import pytest
from django.utils import translation

from coopatlas.geo.gazetteer import COUNTRY_NAMES, state_named, usual_country_names
from coopatlas.geo.models import Country
from coopatlas.geo.selectors import country_labels

pytestmark = pytest.mark.django_db

WORLD = COUNTRY_NAMES.parent / "world.json.gz"


def _labels(lang: str) -> dict[str, str]:
    with translation.override(lang):
        return {row[0]: row[1] for row in country_labels()}


def test_russia_reads_russie_and_russia():
    assert _labels("fr")["RU"] == "Russie"
    assert _labels("en")["RU"] == "Russia"
    russia = Country.objects.get(iso2="RU")
    assert (russia.iso_name_fr, russia.iso_name_en) == ("Russie, Fédération de", "Russian Federation")
    with translation.override("en"):
        assert russia.name == "Russia"


def test_no_label_is_an_inverted_iso_form():
    """« Lao, République démocratique populaire », « Îles Vierges, États-Unis »: a comma in a
    name people read is ISO's inverted order."""
    for lang in ("fr", "en"):
        inverted = {iso2: name for iso2, name in _labels(lang).items() if "," in name}
        assert not inverted, (lang, inverted)


def test_every_usual_name_is_a_known_country_with_both_languages():
    with gzip.open(WORLD, "rt", encoding="utf-8") as fh:
        iso = {c["iso2"]: c for c in json.load(fh)["countries"]}
    for iso2, names in usual_country_names().items():
        assert iso2 in iso, iso2
        assert names.get("fr") and names.get("en"), iso2
        country = Country.objects.get(iso2=iso2)
        assert (country.name_fr, country.name_en) == (names["fr"], names["en"])
        assert (country.iso_name_fr, country.iso_name_en) == (iso[iso2]["name_fr"], iso[iso2]["name_en"])


def test_iso_and_usual_names_both_find_the_country():
    for text in (
        "Russie",
        "Russia",
        "Russie, Fédération de",
        "Russian Federation",
        "Laos",
        "Lao, République démocratique populaire",
    ):
        found = state_named(text)
        assert found is not None and found.iso2 in ("RU", "LA"), text


def test_the_search_suggests_the_usual_name(client):
    for q, lang in (("Russie", "fr"), ("Fédération de Russie", "fr"), ("Russia", "en")):
        prefix = "/en" if lang == "en" else ""
        rows = client.get(f"{prefix}/recherche/suggestions.json", {"q": q}).json()
        labels = [r["label"] for r in rows if r.get("kind") == "country"]
        assert labels == [_labels(lang)["RU"]], (q, rows)


def _fiche_title(client, slug: str, lang: str) -> str:
    prefix = "/en" if lang == "en" else ""
    page = client.get(f"{prefix}/pays/{slug}/").content.decode()
    return html_lib.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip())


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_label_names_the_country_as_its_fiche_does(client, lang):
    """Every country whose name the data changes, and every partner country of the atlas."""
    labels = _labels(lang)
    partners = {row["iso2"] for row in client.get("/pays/", {"format": "json"}).json()["results"]}
    codes = (set(usual_country_names()) | partners) & set(labels)
    slugs = dict(Country.objects.filter(iso2__in=codes).values_list("iso2", "slug"))
    assert "RU" in codes and len(codes) > 25
    for iso2 in sorted(codes):
        assert _fiche_title(client, slugs[iso2], lang) == labels[iso2], iso2
