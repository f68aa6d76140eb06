"""Page weight and time on a phone at 400 kbit/s and 400 ms round trip (issue 13).

Not a test: it prints figures. Headless Chromium with the network throttled through the
DevTools protocol (`Network.emulateNetworkConditions`); per page: bytes on the wire
(compressed, as transferred) on a first visit with an empty cache and on a return visit,
first contentful paint and "usable" (the load event: styles, fonts and scripts in place).
The map data are fetched only when the map scrolls into view, so a first visit of the top
of the page does not count them unless the map is on screen (it is on the home page).

    python -m bench.pageweight http://127.0.0.1:8000   # any running atlas
"""

from __future__ import annotations

import sys

PHONE = {"width": 390, "height": 844}
# 400 kbit/s down, 400 ms round trip: the phone in Mopti of issue 13.
THROTTLE = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 200 * 1000 / 8,
}
PAGES = [
    ("home", "/"),
    ("country fiche (Mali)", "/pays/mali/"),
    ("project fiche", None),
    # the pages of the four users' tasks (atlas/tests/test_browser_tasks.py) not above
    ("partner fiche (Mopti)", "/collectivites/ml-region-mopti/"),
    ("authority (Montreuil)", "/collectivites/montreuil-93048/"),
    ("partnerships of Mali", "/partenariats/?country=ML"),
    ("declarations", "/declarations/"),
]
TARGETS = {"first_kb": 250, "return_kb": 30, "fcp_s": 5, "usable_s": 8}
# Measured with this module on the demo database before issue 13 (commit f49db60), same
# throttling: every page blank for most of the time, 1.4-1.6 MB on the wire.
BEFORE = {
    "home": (1634.5, 29.4, 30.6, 35.6),
    "country fiche (Mali)": (1645.4, 47.3, 30.7, 36.1),
    "project fiche": (1446.4, 23.4, 26.9, 31.1),
}
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _visit(page, cdp, url: str) -> tuple[int, float, float]:
    """(bytes transferred, first contentful paint s, load event s) of one navigation."""
    sizes: dict[str, int] = {}

    def finished(event):
        sizes[event["requestId"]] = event.get("encodedDataLength", 0)

    cdp.on("Network.loadingFinished", finished)
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_timeout(300)  # late requests (map data when the map is in view)
    timing = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          return [fcp ? fcp.startTime : -1, nav ? nav.loadEventEnd : -1];
        }"""
    )
    cdp.remove_listener("Network.loadingFinished", finished)
    return sum(sizes.values()), timing[0] / 1000, timing[1] / 1000


def project_path(base: str) -> str:
    import re
    import urllib.request

    html = urllib.request.urlopen(base + "/projets/", timeout=30).read().decode()
    return re.findall(r'href="(/projets/[^"?/]+/)"', html)[0]


def measure(base: str) -> list[tuple[str, int, int, float, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for label, path in PAGES:
                url = base + (path or project_path(base))
                context = browser.new_context(viewport=PHONE, is_mobile=True)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", THROTTLE)
                first, fcp, usable = _visit(page, cdp, url)
                again, _, _ = _visit(page, cdp, url)
                rows.append((label, first, again, fcp, usable))
                context.close()
        finally:
            browser.close()
    return rows


def _fmt(value, unit: str) -> str:
    return "—" if value is None else f"{value:.1f}{unit}"


def run(base: str) -> None:
    print(
        f"phone {PHONE['width']}x{PHONE['height']}, 400 kbit/s, 400 ms RTT; targets: first visit"
        f" < {TARGETS['first_kb']} KB, return < {TARGETS['return_kb']} KB, first content"
        f" < {TARGETS['fcp_s']} s, usable < {TARGETS['usable_s']} s"
    )
    head = f"{'page':24} {'first':>9} {'return':>9} {'content':>8} {'usable':>8}"
    print(f"{head}   before (first/return/content/usable)")
    for label, first, again, fcp, usable in measure(base):
        over = (
            first / 1024 > TARGETS["first_kb"]
            or again / 1024 > TARGETS["return_kb"]
            or fcp > TARGETS["fcp_s"]
            or usable > TARGETS["usable_s"]
        )
        b = BEFORE.get(label, (None,) * 4)
        before = " / ".join([_fmt(b[0], "KB"), _fmt(b[1], "KB"), _fmt(b[2], "s"), _fmt(b[3], "s")])
        print(
            f"{label:24} {first / 1024:7.1f}KB {again / 1024:7.1f}KB {fcp:7.1f}s {usable:7.1f}s"
            f"   {before}{'  <-- over target' if over else ''}"
        )


if __name__ == "__main__":
    run(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
