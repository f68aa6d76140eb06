#!/usr/bin/env python3
"""Build the atlas's light DSFR: only the CSS our templates use, one font subset, the icons.

Source: the django-dsfr package installed in the virtualenv (it ships the DSFR, the French
state design system, MIT licence, https://github.com/GouvernementFR/dsfr; fonts Marianne
under the DSFR's font licence). Run at build time by maintainers, never at run time:

    .venv/bin/python scripts/build_static.py          # after adding DSFR classes to a template

Writes coopatlas/atlas/static/atlas/dsfr/: `dsfr.atlas.css` (the rules of dsfr.min.css,
utility.min.css and the django-dsfr overrides whose every class is used somewhere in our
templates, Python or JavaScript, or by the DSFR's own script), `fonts/` (Marianne regular and
bold, Latin subset, woff2) and `icons/` (the SVG icons those rules point at), with ORIGIN.txt.
A test (atlas/tests/test_static_build.py) fails when a template uses a class the file lacks.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import tinycss2
from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "coopatlas" / "atlas" / "static" / "atlas" / "dsfr"
DSFR_PKG = Path(importlib.util.find_spec("dsfr").origin).parent
DIST = DSFR_PKG / "static" / "dsfr" / "dist"
SOURCES = [
    DIST / "dsfr" / "dsfr.min.css",
    DIST / "utility" / "utility.min.css",
    DSFR_PKG / "static" / "css" / "dsfr-django-overrides.css",
]
# Latin, Latin-1, Latin Extended-A (Polish, Romanian, Turkish place names), typographic
# punctuation (’ « » – — …), the euro, the narrow no-break space of French numbers, arrows.
UNICODES = "U+0000-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20AC,U+2122,U+2190-2199,U+2212"
# One subset per weight the pages draw; light and medium map onto them.
FONTS = {"regular": ("Marianne-Regular.woff2", (300, 400)), "bold": ("Marianne-Bold.woff2", (500, 700, 800))}
CLASS_RE = re.compile(r"(?<![\w-])fr-[a-z0-9][a-z0-9_-]*")
# A class built in a template ("fr-badge--{{ status }}", "fr-icon-{{ icon }}"): keep the family.
PREFIX_RE = re.compile(r"(?<![\w-])(fr-[a-z0-9_-]*)(?:\{\{|\{%)")
# The states the DSFR script sets on a component (modal, collapse, navigation, tabs…).
STATE_WORDS = {"opened", "expanded", "collapsing", "selected", "active", "hidden", "scrolling", "sticky"}
JS_TOKEN_RE = re.compile(r"[\"'`](-{0,2}[a-z][a-z0-9_-]*)[\"'`]")


def scanned_files() -> list[Path]:
    app = ROOT / "coopatlas"
    # django-dsfr's own templates are not scanned: the atlas renders none of them (only its
    # dsfr_css/dsfr_js/dsfr_favicon tags, replaced by ours); a page that starts using one
    # must run this script again.
    files = [*app.rglob("*.html"), *app.rglob("*.py"), *app.rglob("*.js")]
    return [f for f in files if "/tests/" not in str(f) and OUT not in f.parents]


def used_classes() -> tuple[set[str], set[str], set[str]]:
    """(classes named in our code, families built in templates, DSFR script tokens)."""
    classes, prefixes = set(), set()
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        classes |= set(CLASS_RE.findall(text))
        prefixes |= {p for p in PREFIX_RE.findall(text) if p.endswith(("-", "_"))}
    js = (DIST / "dsfr" / "dsfr.module.min.js").read_text(encoding="utf-8")
    tokens = set(JS_TOKEN_RE.findall(js))
    return classes, prefixes, tokens


class Keep:
    def __init__(self, classes: set[str], prefixes: set[str], tokens: set[str]):
        self.classes = set(classes)
        # The DSFR script sets state classes built from the component's name
        # (ns("modal--opened")): kept for the components our pages use.
        self.classes |= {
            "fr-" + t for t in tokens if not t.startswith("-") and "fr-" + re.split("__|--", t)[0] in classes
        }
        self.suffixes = {t for t in tokens if t.startswith("-")}
        # ... and modifiers from a bare state word (modifier("opened") → fr-modal--opened):
        # without them the phone's menu and search opened invisible (issue 13, part B).
        self.states = {t for t in tokens if t in STATE_WORDS}
        self.prefixes = prefixes

    def __call__(self, name: str) -> bool:
        if not name.startswith("fr-") or name in self.classes:
            return True
        if any(name.startswith(p) for p in self.prefixes):
            return True
        base, _, state = name.rpartition("--")
        if base in self.classes and state in self.states:
            return True
        return any(name.endswith(s) and name[: -len(s)] in self.classes for s in self.suffixes)


def _split_selectors(prelude: list) -> list[list]:
    parts, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return parts


def _classes_of(selector: list) -> list[str]:
    """Class names a selector requires (those inside :not(), :is() … are not required)."""
    names = []
    for before, token in zip([None, *selector], selector, strict=False):
        if token.type == "ident" and before is not None and before.type == "literal" and before.value == ".":
            names.append(token.value)
    return names


def _filter(rules: list, keep: Keep, stats: dict) -> str:
    out = []
    for rule in rules:
        if rule.type == "qualified-rule":
            kept = [s for s in _split_selectors(rule.prelude) if all(keep(c) for c in _classes_of(s))]
            stats["rules"] += 1
            if not kept:
                continue
            stats["kept"] += 1
            selector = ",".join(tinycss2.serialize(s).strip() for s in kept)
            out.append(f"{selector}{{{tinycss2.serialize(rule.content).strip()}}}")
        elif rule.type == "at-rule":
            name = rule.lower_at_keyword
            if name == "font-face":
                continue  # replaced by the subset's rules
            prelude = tinycss2.serialize(rule.prelude)
            if "\ufffd" in prelude or "\\0" in prelude:
                continue  # the DSFR's Internet Explorer hacks (min-width:0\0)
            if name in ("media", "supports", "layer") and rule.content is not None:
                inner = _filter(tinycss2.parse_rule_list(rule.content, True, True), keep, stats)
                if inner:
                    out.append(f"@{name} {tinycss2.serialize(rule.prelude).strip()}{{{inner}}}")
            else:
                out.append(tinycss2.serialize([rule]))
    return "".join(out)


def font_faces() -> str:
    faces = []
    for key, (_source, weights) in FONTS.items():
        for weight in weights:
            # No italic face: the browser slants the upright one (a face declared italic is not).
            faces.append(
                f"@font-face{{font-display:swap;font-family:Marianne;font-style:normal;"
                f'font-weight:{weight};src:url(fonts/marianne-{key}-latin.woff2) format("woff2")}}'
            )
    return "".join(faces)


def build_fonts() -> None:
    (OUT / "fonts").mkdir(parents=True, exist_ok=True)
    for key, (source, _weights) in FONTS.items():
        subset.main(
            [
                str(DIST / "fonts" / source),
                f"--unicodes={UNICODES}",
                "--flavor=woff2",
                "--layout-features=kern,liga,clig,calt,ccmp,locl,mark,mkmk",
                f"--output-file={OUT / 'fonts' / f'marianne-{key}-latin.woff2'}",
            ]
        )


def copy_icons(css: str) -> str:
    """Copy the SVGs the kept rules point at; rewrite their URLs to our folder."""
    icons = OUT / "icons"
    shutil.rmtree(icons, ignore_errors=True)

    def move(match: re.Match) -> str:
        rel = match.group(1).strip("\"'")
        source = (DIST / "utility" / rel).resolve()
        if not source.is_file():
            source = (DIST / "dsfr" / rel).resolve()
        if not source.is_file() or DIST not in source.parents:
            return match.group(0)
        target = icons / source.relative_to(DIST).as_posix().split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return f"url(icons/{target.relative_to(icons).as_posix()})"

    return re.sub(r"url\((\.\./(?:icons|artwork)/[^)]+)\)", move, css)


def main() -> int:
    classes, prefixes, tokens = used_classes()
    keep = Keep(classes, prefixes, tokens)
    stats = {"rules": 0, "kept": 0}
    parts = [font_faces()]
    for source in SOURCES:
        rules = tinycss2.parse_stylesheet(source.read_text(encoding="utf-8"), True, True)
        parts.append(_filter(rules, keep, stats))
    OUT.mkdir(parents=True, exist_ok=True)
    css = copy_icons("".join(parts))
    # The DSFR's other images (artwork, placeholders) are not used by the atlas: drop the rest.
    css = re.sub(r"url\(\.\./[^)]+\)", "none", css)
    header = "/* DSFR (MIT, GouvernementFR/dsfr via django-dsfr), reduced by scripts/build_static.py */\n"
    (OUT / "dsfr.atlas.css").write_text(header + css + "\n", encoding="utf-8")
    build_fonts()
    version = (DSFR_PKG / "static" / "dsfr" / "dsfr_version").read_text().strip()
    (OUT / "ORIGIN.txt").write_text(
        f"Built by scripts/build_static.py from django-dsfr (DSFR {version}).\n"
        "DSFR code: MIT licence, https://github.com/GouvernementFR/dsfr (LICENSE.md).\n"
        "Marianne font and icons: distributed with the DSFR under its licence terms\n"
        "(https://github.com/GouvernementFR/dsfr/blob/main/LICENSE.md); fonts subset to Latin\n"
        "with fontTools (pyftsubset). Remix Icon icons: Apache 2.0.\n",
        encoding="utf-8",
    )
    size = (OUT / "dsfr.atlas.css").stat().st_size
    print(
        f"{stats['kept']} of {stats['rules']} rules kept, dsfr.atlas.css {size / 1024:.0f} KB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
