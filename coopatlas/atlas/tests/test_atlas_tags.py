"""The party and status tags (atlas_tags): one rendering of each, escaped, in either language."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation


def _render(source: str, **context) -> str:
    return Template("{% load atlas_tags %}" + source).render(Context(context))


def test_a_party_links_its_page_and_names_its_country_escaped():
    party = {"name": "Mopti <b>", "html_url": "/collectivites/mopti/", "country_name": "Mali"}
    html = _render("{% party p %}", p=party)
    assert html == (
        '<a href="/collectivites/mopti/">Mopti &lt;b&gt;</a> <span class="atlas-country">(Mali)</span>'
    )
    # no page of this site (javascript:, another site): the name alone, not a link
    html = _render("{% party p %}", p={"name": "X", "html_url": "javascript:alert(1)", "country": None})
    assert html == "X"


def test_a_status_is_an_inline_badge_in_the_reader_s_language():
    """A span: the fiches set it in a paragraph beside the kind's badge."""
    with translation.override("fr"):
        assert _render('{% status s "partnership_status" %}', s="active") == (
            '<span class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--success">En cours</span>'
        )
    with translation.override("en"):
        assert ">Active</span>" in _render('{% status s "partnership_status" %}', s="active")
    assert _render('{% status s "partnership_status" %}', s="") == ""
    assert ">zzz</span>" in _render('{% status s "partnership_status" %}', s="zzz")  # shown as given
