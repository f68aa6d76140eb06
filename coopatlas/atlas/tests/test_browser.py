"""End to end in headless Chromium, on a database prepared by `coopatlas setup` itself.

Opens the home page, sees the map draw the Mali partnerships, searches "Mopti" with the
type-ahead and opens the Ille-et-Vilaine partnership fiche with its source.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coopatlas.conftest import CHROMIUM

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]
MALI_BBOX = {"lat": (10.0, 25.1), "lon": (-12.3, 4.3)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COOPATLAS_VAR_DIR=str(var_dir),
               DJANGO_SETTINGS_MODULE="coopatlas.config.settings.dev")
    setup = subprocess.run([sys.executable, "-m", "coopatlas.cli", "setup"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stderr[-3000:]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "coopatlas.cli", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server started by `coopatlas serve` did not answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def test_home_map_search_and_partnership_fiche(server, page, tmp_path):
    page.goto(server + "/")
    page.wait_for_selector("[data-atlas-map][data-drawn]", timeout=20_000)
    drawn = int(page.get_attribute("[data-atlas-map]", "data-drawn"))
    assert drawn >= 6
    assert page.locator(".leaflet-marker-icon").count() > 0
    # The Mali partnerships are among the lines drawn: their foreign end lies in Mali.
    mali_links = page.evaluate(
        """async (box) => {
            const url = document.querySelector('[data-atlas-map]').dataset.geojsonUrl;
            const data = await (await fetch(url)).json();
            return data.features.filter(f => f.geometry.type === 'LineString').filter(f =>
              f.geometry.coordinates.some(([lon, lat]) =>
                lat >= box.lat[0] && lat <= box.lat[1] && lon >= box.lon[0] && lon <= box.lon[1])
            ).length;
        }""", MALI_BBOX)
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
