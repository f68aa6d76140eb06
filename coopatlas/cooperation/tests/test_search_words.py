"""The words of `q=` and of the type-ahead: found in a partnership's title (accents aside)
even when its slug says nothing, and a word no slug can hold matches nothing instead of
everything."""

import pytest
from django.urls import reverse

from coopatlas.cooperation import selectors
from coopatlas.cooperation.filters import filters_from_params
from coopatlas.cooperation.models import Partnership
from coopatlas.cooperation.tests import factories as f
from coopatlas.geo.models import LocalAuthority

pytestmark = pytest.mark.django_db

LISTS = ["partnership_list", "project_list", "authority_list", "organisation_list", "programme_list"]


@pytest.fixture
def world():
    france, mali = f.CountryFactory(iso2="FR"), f.CountryFactory(iso2="ML", name_fr="Mali")
    dept = f.CommuneFactory(name="Ille-et-Vilaine", country=france)
    mopti = f.CommuneFactory(name="Mopti", country=mali, insee_code=None)
    # the state atlas's slugs name nothing of the partnership
    p = f.PartnershipFactory(
        slug="atlas-etat-4242", title="Région de Ségou – Côtes-d'Armor", parties=[dept, mopti]
    )
    f.ProjectFactory(title="Puits à Mopti", participants=[dept])
    f.OrganisationFactory(name="Eau vive")
    f.ProgrammeFactory(
        slug="prog-grand-est", title="Programme mutualisable (sécurité alimentaire, filière maraîchère)"
    )
    return p


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("word", ["💩", "٣٣", "🌍🌍"])
def test_a_word_no_slug_can_hold_matches_nothing_not_everything(world, name, word):
    everything = getattr(selectors, name)(filters=filters_from_params({}))["count"]
    assert everything > 0 or name == "programme_list"
    found = getattr(selectors, name)(filters=filters_from_params({"q": word}))["count"]
    assert found == 0, (name, word, found, everything)


@pytest.mark.parametrize("q", ["segou", "Ségou", "COTES-D'ARMOR", "région segou"])
def test_a_partnership_is_found_by_its_title_accents_and_case_aside(world, q):
    listed = selectors.partnership_list(filters=filters_from_params({"q": q}))
    assert [r["slug"] for r in listed["results"]] == ["atlas-etat-4242"]
    suggested = selectors.search_suggest(q=q)
    assert any(s["kind"] == "partnership" and s["code"] == "atlas-etat-4242" for s in suggested), suggested


def test_the_title_index_follows_a_rename(world, client):
    world.title = "Jumelage Fougères – Mopti"
    world.save()
    assert Partnership.objects.get(pk=world.pk).search_text == "jumelage fougeres – mopti"
    assert selectors.partnership_list(filters=filters_from_params({"q": "fougeres"}))["count"] == 1
    assert selectors.partnership_list(filters=filters_from_params({"q": "segou"}))["count"] == 0
    page = client.get(reverse("atlas:partnership_list"), {"q": "fougères"}).content.decode()
    assert "Jumelage Fougères – Mopti" in page


@pytest.mark.parametrize("q", ["securite", "sécurité", "maraichere", "Filière"])
def test_a_programme_is_found_by_a_word_of_its_title_accents_aside(world, q):
    """The folded word « securite » was looked for in the accented title with icontains:
    only its slug could find it."""
    listed = selectors.programme_list(filters=filters_from_params({"q": q}))
    assert "prog-grand-est" in [r["slug"] for r in listed["results"]]


def _authorities(suggested):
    return [s["label"].split(" (")[0] for s in suggested if s["kind"] == "authority"]


def test_a_short_word_beside_a_longer_one_is_checked_on_names_and_aliases(world):
    """« quimbuz le »: « quimbuz » narrows through the index, « le » (too short for it) is
    looked for in the names and aliases of the authorities found, not in every authority."""
    f.CommuneFactory(name="Le Quimbuz")
    other = f.CommuneFactory(name="Quimbuzac")
    f.AliasFactory(authority=other, value="Quimbuzac-la-Haute")
    assert _authorities(selectors.search_suggest(q="quimbuz le")) == ["Le Quimbuz"]
    assert _authorities(selectors.search_suggest(q="quimbuz la")) == ["Quimbuzac"]  # its alias
    assert _authorities(selectors.search_suggest(q="quimbuz xq")) == []


def test_the_database_cuts_each_side_apart_before_involved_ones_come_first(world, monkeypatch):
    """The first CANDIDATES_PER_SIDE matches of each side (French, partner) by match and
    name reach the ranking: many French matches do not push the partner ones out, and among
    the candidates the authorities the atlas has something about come first."""
    from coopatlas.cooperation.selectors import search

    monkeypatch.setattr(search, "CANDIDATES_PER_SIDE", 3)
    mopti = LocalAuthority.objects.get(name="Mopti")
    for n in range(6):
        f.CommuneFactory(name=f"Zanko {n}")
    f.CommuneFactory(name="Zanko Mali", country=mopti.country, insee_code=None, siren=None)
    involved = f.CommuneFactory(name="Zanko 1 bis")  # third by name: 0, 1, 1 bis
    f.PartnershipFactory(title="Zanko – Mopti", parties=[involved, mopti])
    names = _authorities(search._suggest(["zanko"], 10))
    assert "Zanko Mali" in names
    assert names[0] == "Zanko 1 bis", names  # involved, first of the three French candidates
    assert "Zanko 5" not in names  # beyond the cut
