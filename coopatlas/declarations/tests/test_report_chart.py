"""The national report's bar charts draw in every language (issue 13): in French the SVG
used to get decimal commas (y="11,5"), which browsers read as 0 and the bars stacked up."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from . import test_api
from .conftest import YEAR

pytestmark = pytest.mark.django_db

declared = test_api.declared  # one declaration, validated, of 1 340,11 €


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_svg_attributes_are_plain_numbers_in_every_language(client, world, declared, lang):
    with translation.override(lang):
        url = reverse("declarations:report", kwargs={"year": YEAR})
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    svgs = _svgs(html)
    assert svgs, "the report draws its charts"
    for svg in svgs:
        for name, value in re.findall(r'\s(x|y|width|height|viewBox)="([^"]*)"', svg):
            assert re.fullmatch(r"[0-9. %]+", value), f'{name}="{value}" is not a plain number'
        ys = [float(v) for v in re.findall(r'<rect[^>]*\sy="([^"]+)"', svg)]
        assert ys == sorted(set(ys)), "each bar on its own line"


def test_report_bars_carry_visible_labels_and_values(client, world, declared):
    html = client.get(reverse("declarations:report", kwargs={"year": YEAR})).content.decode()
    svg = _svgs(html)[0]
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert any("€" in t for t in texts), "each bar shows its amount"
    assert len(texts) >= 2, "each bar shows its label"
