"""Geo selectors against the reference data the session database was loaded with."""

import pytest

from coopatlas.core.errors import NotFound
from coopatlas.geo.models import CountryOdaStatus, LocalAuthority
from coopatlas.geo.selectors import (
    area_get,
    area_search,
    authority_get_by_code,
    authority_search,
    country_get,
    place_search,
)

pytestmark = pytest.mark.django_db


def test_montreuil_93048_is_in_seine_saint_denis():
    montreuil = authority_get_by_code(code="93048")
    assert (montreuil.name, montreuil.kind) == ("Montreuil", "commune")
    assert montreuil.parent.name == "Seine-Saint-Denis"
    assert montreuil.parent.insee_code == "93"
    assert montreuil.area.code == "FR-93"
    assert montreuil.siren == "219300480"
    assert authority_get_by_code(code="commune:93048") == montreuil


def test_there_are_three_montreuils_and_search_lists_them_first():
    assert LocalAuthority.objects.filter(name="Montreuil", kind="commune").count() == 3
    found = authority_search(q="montreuil", limit=5)
    assert [a.name for a in found[:3]] == ["Montreuil"] * 3
    assert found[0].insee_code == "93048"  # the most populous first


def test_ille_et_vilaine_is_departement_35_with_its_siren():
    dep = authority_get_by_code(code="departement:35")
    assert dep.name == "Ille-et-Vilaine" and dep.kind == "departement"
    assert dep.siren == "223500018"
    assert dep.parent == authority_get_by_code(code="region:53")
    assert dep.area.code == "FR-35" and dep.area.parent.code == "FR-BRE"
    assert authority_get_by_code(code="35") == dep
    assert authority_get_by_code(code="siren:223500018") == dep
    assert authority_get_by_code(code="223500018") == dep


def test_region_and_departement_sharing_code_53_stay_apart():
    assert authority_get_by_code(code="region:53").name == "Bretagne"
    assert authority_get_by_code(code="departement:53").name == "Mayenne"


def test_merged_commune_is_found_by_its_former_code_and_name():
    # Arbignieu (01340) merged into Arboys en Bugey (01015) in the official code.
    arboys = authority_get_by_code(code="01340")
    assert arboys.insee_code == "01015" and arboys.name == "Arboys en Bugey"
    assert arboys in authority_search(q="01340")
    assert arboys in authority_search(q="arbignieu")


def test_epci_found_by_siren_with_its_kind():
    lyon = authority_get_by_code(code="siren:200046977")
    assert lyon.name == "Métropole de Lyon" and lyon.kind == "statut_particulier"
    assert authority_search(q="Métropole de Lyon")[0] == lyon


def test_unknown_code_names_the_code_and_how_to_find_it():
    with pytest.raises(NotFound) as err:
        authority_get_by_code(code="99999")
    assert "99999" in err.value.message and "departement:35" in err.value.message
    with pytest.raises(NotFound):
        authority_get_by_code(code="93048", kind="departement")


def test_search_is_accent_and_case_insensitive_and_filters_by_country():
    assert authority_search(q="ALENCON")[0].name == "Alençon"
    assert authority_search(q="Alençon", country="ML") == []
    assert authority_search(q="") == []


def test_mali_has_ten_regions_and_the_bamako_district():
    codes = {a.code for a in country_get(iso2="ML").areas.filter(level=1)}
    assert codes == {f"ML-{n}" for n in range(1, 11)} | {"ML-BKO"}
    mopti = area_get(code="ml-5")
    assert mopti.name == "Mopti" and mopti.latitude is not None


def test_mali_is_least_developed_and_cicid_priority_and_oda_eligible():
    mali = country_get(iso2="ML")
    assert mali.name_fr == "Mali" and mali.dac_code == "255"
    assert mali.is_least_developed and mali.is_cicid_priority
    assert all(s.is_eligible for s in mali.oda_statuses.all())
    assert mali.oda_statuses.exists()


def test_france_is_not_oda_eligible_and_19_cicid_priority_countries():
    france = country_get(iso2="fr")
    assert france.name_fr == "France" and not france.is_cicid_priority
    assert not any(s.is_eligible for s in france.oda_statuses.all())
    assert france.oda_statuses.exists()
    assert country_get(iso2="BF").is_cicid_priority
    from coopatlas.geo.models import Country

    assert Country.objects.filter(is_cicid_priority=True).count() == 19
    assert Country.objects.filter(is_least_developed=True).count() == 47
    assert CountryOdaStatus.objects.filter(country_id="CL", category="none").exists()  # Chile


def test_tombouctou_and_timbuktu_find_the_same_place():
    by_fr = place_search(q="Tombouctou")
    by_en = place_search(q="timbuktu")
    assert by_fr and by_en and by_fr[0] == by_en[0]
    assert by_fr[0].country_id == "ML" and by_fr[0].area.code == "ML-6"
    assert area_search(q="tombouctou", country="ML")[0].code == "ML-6"


def test_area_and_country_not_found():
    with pytest.raises(NotFound):
        area_get(code="XX-99")
    with pytest.raises(NotFound) as err:
        country_get(iso2="ZZ")
    assert "ZZ" in err.value.message


def test_communes_have_coordinates_and_know_where_they_come_from():
    rennes = authority_get_by_code(code="35238")
    assert rennes.coordinates_from == "geonames"
    assert 47.9 < rennes.latitude < 48.3 and -1.9 < rennes.longitude < -1.5
    missing = LocalAuthority.objects.filter(country_id="FR", kind="commune", latitude__isnull=True).count()
    assert missing == 0
