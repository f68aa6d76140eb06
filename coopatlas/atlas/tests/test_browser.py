"""End to end in headless Chromium, on a database prepared by `coopatlas setup` itself.

Opens the home page, sees the map draw the Mali partnerships, searches "Mopti" with the
type-ahead and opens the Ille-et-Vilaine partnership fiche with its source.
"""

import pytest

pytestmark = pytest.mark.browser

MALI_BBOX = {"lat": (10.0, 25.1), "lon": (-12.3, 4.3)}


def test_home_map_search_and_partnership_fiche(coopatlas_site, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(coopatlas_site.base + "/")
    page.wait_for_selector("[data-atlas-map][data-drawn]", timeout=20_000)
    drawn = int(page.get_attribute("[data-atlas-map]", "data-drawn"))
    assert drawn >= 6
    assert page.locator(".leaflet-marker-icon:not(.atlas-country-label)").count() > 0
    # The Mali partnerships are among the lines drawn: their foreign end lies in Mali.
    mali_links = page.evaluate(
        """async (box) => {
            const url = document.querySelector('[data-atlas-map]').dataset.geojsonUrl;
            const data = await (await fetch(url)).json();
            return data.features.filter(f => f.geometry.type === 'LineString').filter(f =>
              f.geometry.coordinates.some(([lon, lat]) =>
                lat >= box.lat[0] && lat <= box.lat[1] && lon >= box.lon[0] && lon <= box.lon[1])
            ).length;
        }""",
        MALI_BBOX,
    )
    assert mali_links >= 6  # Mopti, Yélimané, Koutiala, Bamako, Tombouctou, Gao
    page.screenshot(path=str(tmp_path / "home.png"))

    page.fill("#home-search", "Mopti")
    option = page.locator("#home-search-list [role=option]", has_text="Région de Mopti")
    option.first.wait_for(timeout=10_000)
    option.first.click()
    page.wait_for_load_state()
    assert "Mopti" in page.locator("h1").inner_text()

    page.get_by_role("link", name="Ille-et-Vilaine – Région de Mopti").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Ille-et-Vilaine – Région de Mopti"
    body = page.locator("main").inner_text()
    assert "1984" in body
    assert "document 003" in body
