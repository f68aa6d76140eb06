"""Adding, confirming and merging foreign partner authorities (geo.partners)."""

import pytest

from coopatlas.accounts import services as accounts
from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.cooperation.models import PartnershipParty
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.errors import AppError
from coopatlas.geo.models import Country, GazetteerEntry, LocalAuthority
from coopatlas.geo.partners import (
    foreign_authority_confirm,
    foreign_authority_create,
    foreign_authority_from_entry,
    foreign_authority_merge,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    return {
        "editor": accounts.user_add(
            email="ri@rennes.example", role="editor", authorities=[rennes], password="x" * 12
        )[0],
        "embassy_ml": accounts.user_add(
            email="scac@bamako.example",
            role="embassy",
            country=Country.objects.get(iso2="ML"),
            password="x" * 12,
        )[0],
        "embassy_mg": accounts.user_add(
            email="scac@tana.example",
            role="embassy",
            country=Country.objects.get(iso2="MG"),
            password="x" * 12,
        )[0],
        "admin": accounts.user_add(email="daect@example.org", role="admin", password="x" * 12)[0],
    }


def create(user, **kw):
    args = {
        "country": "ML",
        "name": "Somadougou",
        "kind": "commune",
        "parent": "gaz:iso:ML-5",
        "latitude": 14.30,
        "longitude": -4.00,
    }
    args.update(kw)
    return foreign_authority_create(user=user, **args)


def test_an_editor_adds_a_commune_that_stays_to_verify_until_the_embassy_confirms(people):
    a = create(people["editor"], alternate_names=["Commune de Somadougou", "Somadugu"])
    assert a.to_verify and a.verified_at is None
    assert a.country_id == "ML" and a.kind == "commune"
    assert a.parent.gazetteer_entry.code == "iso:ML-5"
    assert a.area.code == "ML-5"
    assert {x.value for x in a.aliases.all()} == {"Commune de Somadougou", "Somadugu"}
    assert a.source.quote.startswith("Ajoutée par ri@rennes.example")
    foreign_authority_confirm(user=people["embassy_ml"], authority=a)
    a.refresh_from_db()
    assert not a.to_verify and a.verified_by == people["embassy_ml"]


def test_the_embassy_of_the_country_adds_it_confirmed(people):
    a = create(people["embassy_ml"])
    assert not a.to_verify and a.verified_by == people["embassy_ml"]


def test_the_embassy_of_another_country_may_neither_add_nor_confirm(people):
    count = LocalAuthority.objects.count()
    with pytest.raises(PermissionDenied) as e:
        create(people["embassy_mg"])
    assert e.value.field == "country" and "(MG)" in e.value.message
    assert LocalAuthority.objects.count() == count
    a = create(people["editor"])
    with pytest.raises(PermissionDenied):
        foreign_authority_confirm(user=people["embassy_mg"], authority=a)
    with pytest.raises(PermissionDenied):
        foreign_authority_confirm(user=people["editor"], authority=a)
    a.refresh_from_db()
    assert a.to_verify


@pytest.mark.parametrize(
    "kw,field,words",
    [
        ({"country": "XX"}, "country", "ISO 3166-1"),
        ({"country": "FR"}, "country", "code officiel géographique"),
        ({"name": "République du Mali", "parent": None}, "name", "jamais partenaire"),
        ({"name": "Mali", "parent": None}, "name", "jamais partenaire"),
        ({"kind": "etat"}, "kind", "jamais partenaire"),
        ({"kind": "metropole"}, "kind", "choisissez parmi"),
        ({"name": "  "}, "name", "Donnez le nom"),
        ({"parent": "gaz:iso:MG-T"}, "parent", "autre pays (MG)"),
        ({"parent": "gaz:nowhere"}, "parent", "introuvable"),
        ({"latitude": 48.11, "longitude": -1.68}, "latitude", "hors du pays (Mali"),
        ({"latitude": 14.3, "longitude": None}, "longitude", "latitude et la longitude"),
        ({"latitude": "nord", "longitude": "ouest"}, "latitude", "illisibles"),
        ({"place": 2988507}, "place", "GeoNames introuvable"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(people, kw, field, words):
    count = LocalAuthority.objects.count()
    with pytest.raises(AppError) as e:
        create(people["editor"], **kw)
    assert e.value.field == field, e.value.message
    assert words in e.value.message
    assert LocalAuthority.objects.count() == count


def test_similar_names_are_offered_before_creating(people):
    count = LocalAuthority.objects.count()
    with pytest.raises(AppError) as e:
        create(
            people["editor"], name="Commune de Sikaso", parent="gaz:iso:ML-3", latitude=None, longitude=None
        )
    assert e.value.message.startswith("Vouliez-vous dire : ")
    assert "Sikasso (commune, cercle de Sikasso, Mali)" in e.value.message
    assert "gaz:gn:2451185" in e.value.errors["similar"]
    assert LocalAuthority.objects.count() == count
    # a different authority of a close name is created once the person says so
    a = create(
        people["editor"],
        name="Commune de Sikaso",
        parent="gaz:iso:ML-3",
        latitude=None,
        longitude=None,
        confirm_new=True,
    )
    assert a.latitude == a.parent.latitude and a.coordinates_from == "parent"


def test_a_duplicate_is_refused(people):
    create(people["editor"])
    count = LocalAuthority.objects.count()
    with pytest.raises(AppError) as e:
        create(people["editor"], name="commune de SOMADOUGOU", confirm_new=True)
    assert e.value.field == "name" and "existe déjà" in e.value.message
    assert LocalAuthority.objects.count() == count


def test_an_entry_becomes_an_authority_once():
    a = foreign_authority_from_entry(code="gaz:gn:2451185")
    assert (a.name, a.kind, a.country_id) == ("Sikasso", "commune", "ML")
    # its chief town: the commune lies in the cercle of Sikasso, in the région of Sikasso
    assert a.parent.name == "Sikasso" and a.parent.kind == "cercle"
    assert a.parent.parent.name == "Sikasso" and a.parent.parent.kind == "region"
    assert "Sikaso" in {x.value for x in a.aliases.all()}
    assert foreign_authority_from_entry(code="gn:2451185") == a
    assert GazetteerEntry.objects.get(code="gn:2451185").authority == a


def test_unknown_entry():
    with pytest.raises(AppError) as e:
        foreign_authority_from_entry(code="gaz:gn:0")
    assert e.value.field == "code"


def test_merge_moves_every_link_and_keeps_the_duplicate(people):
    rennes = LocalAuthority.objects.get(kind="commune", insee_code="35238")
    keep = create(people["embassy_ml"])
    dup = create(people["editor"], name="Somadougou-Djenné", confirm_new=True)
    p = f.PartnershipFactory(parties=[rennes, dup])
    project = f.ProjectFactory(participants=[(dup, "partner")])
    request = f.PartnerRequestFactory(authority=dup)
    child = create(people["editor"], name="Quartier fictif", kind="other", parent=dup.slug, confirm_new=True)
    with pytest.raises(PermissionDenied):
        foreign_authority_merge(user=people["editor"], duplicate=dup, into=keep)
    foreign_authority_merge(user=people["embassy_ml"], duplicate=dup, into=keep)
    dup.refresh_from_db()
    assert dup.merged_into == keep and not dup.is_current
    assert set(PartnershipParty.objects.filter(partnership=p).values_list("authority_id", flat=True)) == {
        rennes.pk,
        keep.pk,
    }
    assert keep in [pp.authority for pp in project.participants.all()]
    request.refresh_from_db()
    child.refresh_from_db()
    assert request.authority == keep and child.parent == keep
    assert "Somadougou-Djenné" in {x.value for x in keep.aliases.all()}


def test_merge_refuses_itself_and_another_country(people):
    a = create(people["embassy_ml"])
    with pytest.raises(AppError):
        foreign_authority_merge(user=people["admin"], duplicate=a, into=a)
    other = foreign_authority_from_entry(code="gaz:iso:MG-T")
    with pytest.raises(AppError):
        foreign_authority_merge(user=people["admin"], duplicate=a, into=other)
