"""The basemap's country names in a browser (issue 13): the usual names (« Russie »), and
small territories (Anguilla, Bermuda: no outline in the 1:110m basemap) only from zoom 4,
so the world view names the countries people look for."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SHOWN = """() => [...document.querySelectorAll('#home-map .atlas-country-label')].map(n => n.textContent)"""
SET_VIEW = """([lat, lon, z]) => {
  document.querySelector('#home-map').atlasMap.map.setView([lat, lon], z, {animate: false}); }"""
PLACED = """() => { const m = document.querySelector('#home-map').atlasMap;
  return !!m && m.countryLabels.some(c => c.minZoom < 4); }"""


def _labels_at(page, lat: float, lon: float, zoom: int) -> list[str]:
    page.evaluate(SET_VIEW, [lat, lon, zoom])
    page.wait_for_timeout(300)
    return page.evaluate(SHOWN)


@pytest.mark.parametrize("lang, russia", [("fr", "Russie"), ("en", "Russia")])
def test_world_zoom_names_countries_not_small_territories(coopatlas_site, chromium, lang, russia):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    page = context.new_page()
    page.goto(coopatlas_site.base + ("/en/" if lang == "en" else "/"))
    page.locator("#home-map").scroll_into_view_if_needed()
    page.wait_for_function(PLACED, timeout=20_000)  # the basemap's outlines are read
    world = _labels_at(page, 25, 10, 2)
    assert russia in world and not any("," in name for name in world), world
    caribbean = _labels_at(page, 18.2, -63.05, 2)
    assert "Anguilla" not in caribbean and "Bermudes" not in caribbean and "Bermuda" not in caribbean
    closer = _labels_at(page, 18.2, -63.05, 5)
    assert "Anguilla" in closer, closer  # not gone: named once the map is close enough
    context.close()
