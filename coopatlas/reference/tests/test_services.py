"""The reference loader: content, idempotency, and bad files leaving the database as it was."""

import shutil
from pathlib import Path

import pytest

from coopatlas.core import bulk
from coopatlas.core.errors import AppError
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityAlias,
    Country,
    CountryOdaStatus,
    LocalAuthority,
    Place,
)
from coopatlas.geo.services import GEO_DATA_DIR
from coopatlas.reference.management.commands.load_reference import reference_load
from coopatlas.reference.models import (
    Channel,
    GuideChapter,
    PolicyMarker,
    SdgTarget,
    Sector,
    Theme,
)
from coopatlas.reference.services import REFERENCE_DATA_DIR

pytestmark = pytest.mark.django_db

TABLES = [
    Sector,
    SdgTarget,
    PolicyMarker,
    Channel,
    GuideChapter,
    Theme,
    Country,
    CountryOdaStatus,
    AdministrativeArea,
    LocalAuthority,
    AuthorityAlias,
    Place,
]


def _counts():
    return {m.__name__: m.objects.count() for m in TABLES}


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """Both data folders merged into one, as --data-dir takes them."""
    target = tmp_path / "data"
    shutil.copytree(REFERENCE_DATA_DIR, target)
    shutil.copytree(GEO_DATA_DIR, target, dirs_exist_ok=True)
    return target


def test_dac_sector_has_its_french_name():
    sector = Sector.objects.get(code="14030")
    assert sector.name_fr.startswith("Approvisionnement en eau potable et assainissement")
    assert sector.name_en.startswith("Basic drinking water supply")
    assert sector.category_id == "140"


def test_sdg_target_6_1():
    target = SdgTarget.objects.get(code="6.1")
    assert target.goal_id == 6
    assert "eau potable" in target.name_fr


def test_policy_markers_have_slugs_and_french_names():
    assert PolicyMarker.objects.get(slug="gender").name_fr == "Egalité des genres"
    assert PolicyMarker.objects.get(code="12").name_fr == "Nutrition"


def test_theme_tree_slugs_levels_and_mappings():
    water = Theme.objects.get(slug="eau-et-assainissement")
    assert [t.slug for t in water.path()] == [
        "environnement-climat-et-energie",
        "eau-et-dechets",
        "eau-et-assainissement",
    ]
    assert set(water.sectors.values_list("code", flat=True)) >= {"14030"}
    assert list(water.guide_chapters.values_list("number", flat=True)) == [1]
    assert Theme.objects.get(slug="gouvernance-locale-et-appui-institutionnel").level == 2
    assert Theme.objects.get(slug="agriculture-et-developpement-rural").parent.slug == "economie-durable"
    assert Theme.objects.filter(level=1).count() == 5
    assert GuideChapter.objects.count() == 10
    assert GuideChapter.objects.get(number=10).slug == "ville-durable"


def test_second_load_writes_nothing_and_creates_no_duplicates(data_copy):
    before = _counts()
    counts = reference_load(data_dir=data_copy)
    assert _counts() == before
    assert [w for w in bulk.WRITE_LOG if w[1] or w[2]] == []
    # Demo data may declare French bodies the official code lacks (a syndicat): those carry a source.
    assert (
        counts["local_authorities"]
        == LocalAuthority.objects.filter(country_id="FR", source__isnull=True).count()
    )
    assert counts["countries"] == Country.objects.count()


def test_malformed_file_names_the_file_and_leaves_database_as_it_was(data_copy):
    # Change a sector name (written before geography is read), then break a geography file:
    # the sector write must be rolled back with everything else.
    sector_xml = data_copy / "iati" / "Sector.xml"
    sector_xml.write_text(
        sector_xml.read_text(encoding="utf-8").replace(
            "Approvisionnement en eau potable et assainissement - dispositifs de base",
            "NOM MODIFIÉ",
        ),
        encoding="utf-8",
    )
    (data_copy / "france.json.gz").write_bytes(b"\x1f\x8bnot really gzip")
    before = _counts()
    with pytest.raises(AppError) as err:
        reference_load(data_dir=data_copy)
    assert "france.json.gz" in err.value.message
    assert _counts() == before
    assert Sector.objects.get(code="14030").name_fr != "NOM MODIFIÉ"


def test_malformed_xml_names_the_file(data_copy):
    (data_copy / "iati" / "UNSDG-Targets.xml").write_text("<codelist><oops>", encoding="utf-8")
    before = _counts()
    with pytest.raises(AppError) as err:
        reference_load(data_dir=data_copy)
    assert "UNSDG-Targets.xml" in err.value.message and "XML" in err.value.message
    assert _counts() == before


def test_theme_citing_unknown_sector_is_refused(data_copy):
    themes = data_copy / "themes.yaml"
    themes.write_text(themes.read_text(encoding="utf-8").replace('"14030"', '"99999"'), encoding="utf-8")
    with pytest.raises(AppError) as err:
        reference_load(data_dir=data_copy)
    assert "themes.yaml" in err.value.message and "99999" in err.value.message


def test_missing_file_names_the_file_and_leaves_database_as_it_was(data_copy):
    (data_copy / "oda" / "concordance.csv").unlink()
    before = _counts()
    with pytest.raises(AppError) as err:
        reference_load(data_dir=data_copy)
    assert "concordance.csv" in err.value.message and "introuvable" in err.value.message
    assert _counts() == before
