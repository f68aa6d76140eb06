"""The map names both parties and the basemap names countries (issue 13): the country
names travel with the page, in its language; each detailed link carries its partner's
country, so a popup reads « Rennes – Mopti (Mali) »."""

import json
import re

import pytest

from coopatlas.cooperation.selectors.maps import partnerships_geojson


def _labels(html: str) -> dict[str, list]:
    data = re.search(r'<script id="home-map-labels" type="application/json">(.*?)</script>', html, re.S)
    return {row[0]: row for row in json.loads(data.group(1))}


@pytest.mark.django_db
def test_country_names_come_with_the_map_in_the_pages_language(client):
    french = _labels(client.get("/").content.decode())
    english = _labels(client.get("/en/").content.decode())
    assert french["SN"][1] == "Sénégal" and english["SN"][1] == "Senegal"
    assert french["ML"][2] is not None and french["ML"][3] is not None  # a point to place it
    assert french["ML"][4] == 1  # an aid recipient: named first when labels would overlap


@pytest.mark.django_db
def test_a_detailed_link_names_both_parties_and_the_partners_country():
    data = partnerships_geojson(country="ML")
    assert data["keys"]["pc"] == "partner_country"
    lines = [f["properties"] for f in data["features"] if f["geometry"]["type"] == "LineString"]
    assert lines, "the Mali map has links"
    for props in lines:
        assert props["f"] and props["p"] and len(props["pc"]) == 2, props
    assert "ML" in {props["pc"] for props in lines}


@pytest.mark.django_db
def test_no_template_comment_shows_on_the_page(client):
    """A `{# … #}` comment spans one line only: the language switch's two-line one was
    printed in every page's header."""
    for path in ("/", "/en/", "/api/v1/docs"):
        assert "{#" not in client.get(path).content.decode(), path
