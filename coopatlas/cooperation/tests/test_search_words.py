"""The words of `q=` and of the type-ahead: found in a partnership's title (accents aside)
even when its slug says nothing, and a word no slug can hold matches nothing instead of
everything."""

import pytest
from django.urls import reverse

from coopatlas.cooperation import selectors
from coopatlas.cooperation.filters import filters_from_params
from coopatlas.cooperation.models import Partnership
from coopatlas.cooperation.tests import factories as f

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
