"""The reduced DSFR (scripts/build_static.py) holds every DSFR class our templates use: a
template that starts using a DSFR class fails here until the script is run again."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2]
BUILT = APP / "atlas" / "static" / "atlas" / "dsfr" / "dsfr.atlas.css"
DSFR = Path(importlib.util.find_spec("dsfr").origin).parent / "static" / "dsfr" / "dist"
CLASS_RE = re.compile(r"(?<![\w-])fr-[a-z0-9][a-z0-9_-]*(?![\w-]*\{)")


def _css_classes(text: str) -> set[str]:
    return set(re.findall(r"\.(fr-[a-z0-9_-]+)", text))


def test_every_dsfr_class_of_our_templates_is_in_the_reduced_css():
    full = _css_classes((DSFR / "dsfr" / "dsfr.min.css").read_text()) | _css_classes(
        (DSFR / "utility" / "utility.min.css").read_text()
    )
    built = _css_classes(BUILT.read_text())
    used = set()
    for template in APP.rglob("templates/**/*.html"):
        used |= set(CLASS_RE.findall(template.read_text()))
    missing = sorted(c for c in used if c in full and c not in built)
    assert not missing, f"run scripts/build_static.py: {missing}"


def test_the_reduced_css_is_small_and_points_only_at_shipped_files():
    text = BUILT.read_text()
    assert len(text) < 300_000  # the full DSFR is 1.2 MB
    for url in re.findall(r"url\((?!data:)([^)\"']+)\)", text):
        assert (BUILT.parent / url).is_file(), url
