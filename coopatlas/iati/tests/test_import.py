"""Import: refused files (message, nothing written), round trip, re-import, 2.02, other actors."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from lxml import etree

from coopatlas.cooperation.models import Organisation, Project
from coopatlas.core.errors import AppError
from coopatlas.iati.selectors import imported_activities_for, projects_for_export
from coopatlas.iati.services import iati_export, iati_import

from .conftest import db_counts

# One valid activity of another publisher (made-up facts), the base every broken file mutates.
ACTIVITY = (
    (Path(__file__).parent / "golden" / "activity_fragment.xml").read_text(encoding="utf-8").rstrip("\n")
)


def iati_file(tmp_path: Path, body: str = ACTIVITY, version: str = "2.03", name: str = "f.xml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities '
        f'version="{version}">\n {body}\n</iati-activities>\n',
        encoding="utf-8",
    )
    return path


def swap(old: str, new: str) -> str:
    assert old in ACTIVITY
    return ACTIVITY.replace(old, new, 1)


INVALID = {
    "missing identifier": (
        swap("<iati-identifier>XM-DAC-41114-ML-1</iati-identifier>", ""),
        (
            "line 5, /iati-activities/iati-activity[1]/reporting-org: "
            "Element 'reporting-org': "
            "This element is not expected. Expected is ( iati-identifier )"
        ),
    ),
    "bad date": (
        swap('iso-date="2022-03-01"/>\n  <recipient', 'iso-date="2022-13-45"/>\n  <recipient'),
        "'2022-13-45' is not a valid value",
    ),
    "unknown element": (
        swap('<activity-status code="2"/>', '<activity-status code="2"/><colour/>'),
        "This element is not expected",
    ),
    "percentage not a number": (
        swap('percentage="100"', 'percentage="a hundred"'),
        "'a hundred' is not a valid value of the atomic type 'xs:decimal'",
    ),
    "value not a number": (
        swap('value-date="2022-03-01">300000', 'value-date="2022-03-01">3,000'),
        "/transaction/value",
    ),
    "role missing": (
        swap('<participating-org role="4" type="24">', '<participating-org type="24">'),
        "The attribute 'role' is required",
    ),
    "reporting-org missing": (
        swap(
            '<reporting-org ref="XM-DAC-41114" type="40"><narrative>Programme test des Nations '
            "unies</narrative></reporting-org>",
            "",
        ),
        "Expected is ( reporting-org )",
    ),
    "elements out of order": (
        swap(
            '<activity-status code="2"/>\n  <activity-date type="2" iso-date="2022-03-01"/>',
            '<activity-date type="2" iso-date="2022-03-01"/>\n  <activity-status code="2"/>',
        ),
        "activity-date",
    ),
    "status missing": (swap('<activity-status code="2"/>', ""), "activity-status"),
    "bad generated-datetime": (None, "generated-datetime"),
}

FRAMES = {
    "not XML at all": ("Identifiant;Titre\nML-1;Eau\n", "XML mal formé"),
    "empty file": ("", "le fichier est vide"),
    "truncated": ('<?xml version="1.0"?><iati-activities version="2.03"><iati-activity>', "XML mal formé"),
    "wrong root": (
        '<iati-organisations version="2.03"><iati-organisation/></iati-organisations>',
        "l'élément racine est <iati-organisations>",
    ),
    "version 1.05": (
        '<iati-activities version="1.05"><iati-activity/></iati-activities>',
        "version 1.05 non prise en charge",
    ),
    "version missing": ("<iati-activities><iati-activity/></iati-activities>", "l'attribut version manque"),
    "no activity": (
        '<iati-activities version="2.03"></iati-activities>',
        "ne contient aucune <iati-activity>",
    ),
    "unknown root element": (
        f'<iati-activities version="2.03">{ACTIVITY}<note>x</note></iati-activities>',
        "élément inconnu <note>",
    ),
    "entity bomb": (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
        '"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><iati-activities version="2.03">&b;'
        "</iati-activities>",
        "iati-activities",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_schema_invalid_files_are_refused(db, tmp_path, case):
    body, expected = INVALID[case]
    path = iati_file(tmp_path, body or ACTIVITY)
    if body is None:
        path.write_text(
            path.read_text().replace('version="2.03"', 'version="2.03" generated-datetime="yesterday"')
        )
    before = db_counts()
    with pytest.raises(AppError) as err:
        iati_import(path=path)
    assert (
        "n'est pas un fichier IATI 2.03 valide" in err.value.message
        and "rien n'a été importé" in err.value.message
    )
    assert expected in err.value.message, err.value.message
    assert "line " in err.value.message
    assert db_counts() == before


@pytest.mark.parametrize("case", sorted(FRAMES))
def test_broken_files_are_refused(db, tmp_path, case):
    text, expected = FRAMES[case]
    path = tmp_path / "broken.xml"
    path.write_text(text, encoding="utf-8")
    before = db_counts()
    with pytest.raises(AppError) as err:
        iati_import(path=path)
    assert expected in err.value.message, err.value.message
    assert db_counts() == before


def test_invalid_activity_after_valid_ones_strict_writes_nothing(db, tmp_path):
    good = [ACTIVITY.replace("ML-1<", f"ML-{i}<") for i in range(2, 30)]
    bad = swap('percentage="100"', 'percentage="x"')
    path = iati_file(tmp_path, "\n".join([*good, bad]))
    before = db_counts()
    with pytest.raises(AppError, match=r"iati-activity\[29\]/sector"):
        iati_import(path=path, strict=True)
    assert db_counts() == before


def test_invalid_activities_are_reported_the_valid_ones_imported(db, tmp_path):
    """Activity by activity: the bad one is named (identifier, line, element, message)."""
    good = [ACTIVITY.replace("ML-1<", f"ML-{i}<") for i in range(2, 6)]
    bad = swap('percentage="100"', 'percentage="x"').replace("ML-1<", "ML-BAD<")
    path = iati_file(tmp_path, "\n".join([good[0], bad, *good[1:]]))
    result = iati_import(path=path)
    assert result.created == 4 and not Project.objects.filter(iati_identifier="XM-DAC-41114-ML-BAD").exists()
    assert len(result.rejected) == 1
    (problem,) = result.rejected
    assert "XM-DAC-41114-ML-BAD" in problem and "line " in problem
    assert "iati-activity[2]/sector" in problem and "'x' is not a valid value" in problem


def test_missing_or_unreadable_file_is_a_message(db, tmp_path):
    with pytest.raises(AppError, match="fichier introuvable"):
        iati_import(path=tmp_path / "nowhere.xml")
    with pytest.raises(AppError, match="illisible"):
        iati_import(path=tmp_path)


def test_older_activity_never_overwrites_a_newer_one(db, tmp_path):
    newer = swap("De l'eau pour Mopti", "De l'eau pour Mopti (récent)")
    iati_import(path=iati_file(tmp_path, newer, name="new.xml"))
    older = swap("2024-05-01T10:00:00Z", "2023-01-01T10:00:00Z")
    result = iati_import(path=iati_file(tmp_path, older, name="old.xml"))
    assert (result.updated, result.older) == (0, 1)
    assert Project.objects.get(iati_identifier="XM-DAC-41114-ML-1").title.endswith("(récent)")
    assert any("plus ancien" in w for w in result.warnings)


def test_another_publishers_activity_ending_like_ours_is_imported(fixed_project, tmp_path):
    """FR-3's activity « FR-3-iati-test-eau-sevare » is not our project of that slug."""
    body = ACTIVITY.replace("XM-DAC-41114-ML-1", "FR-3-iati-test-eau-sevare").replace(
        'reporting-org ref="XM-DAC-41114"', 'reporting-org ref="FR-3"'
    )
    assert 'reporting-org ref="FR-3"' in body
    result = iati_import(path=iati_file(tmp_path, body))
    assert result.created == 1 and result.skipped == 0


def test_long_organisation_names_are_not_duplicated_on_reimport(db, tmp_path):
    long_name = "Association test au nom très long " + "x" * 400
    body = swap("<narrative>ONG test malienne</narrative>", f"<narrative>{long_name}</narrative>")
    path = iati_file(tmp_path, body)
    iati_import(path=path)
    first = Organisation.objects.count()
    iati_import(path=path)
    assert Organisation.objects.count() == first


def test_import_creates_other_actor(db, tmp_path):
    result = iati_import(path=iati_file(tmp_path))
    assert (result.created, result.updated, result.activities) == (1, 0, 1)
    project = Project.objects.get(iati_identifier="XM-DAC-41114-ML-1")
    assert project.is_imported and project.title == "De l'eau pour Mopti"
    assert project.status == "ongoing" and project.start_year == 2022
    assert project.budget == 300000 and project.currency == "USD"
    assert list(project.countries.values_list("iso2", flat=True)) == ["ML"]
    assert list(project.areas.values_list("code", flat=True)) == ["ML-5"]
    assert project.iati_import.reporting_organisation.name == "Programme test des Nations unies"
    funding = project.funding.get()
    assert funding.funder_organisation.iati_identifier == "XM-DAC-41114"
    assert funding.amount == 300000 and funding.currency == "USD"
    assert project.operator_links.filter(organisation__name="ONG test malienne", role="implementing").exists()
    shown = imported_activities_for(country="ML", area=None)
    assert shown["count"] == 1 and shown["results"][0]["publisher"] == "Programme test des Nations unies"
    assert imported_activities_for(country=None, area="ML-5")["count"] == 1
    assert imported_activities_for(country="BF", area=None)["count"] == 0


def test_reimport_updates_never_duplicates(db, tmp_path):
    path = iati_file(tmp_path)
    iati_import(path=path)
    after_first = db_counts()
    path.write_text(path.read_text().replace("De l'eau pour Mopti", "De l'eau pour Mopti (2)"))
    result = iati_import(path=path)
    assert (result.created, result.updated) == (0, 1)
    counts = db_counts()
    assert counts.pop("ImportRun") == after_first.pop("ImportRun") + 1
    assert counts == after_first
    assert Project.objects.get(iati_identifier="XM-DAC-41114-ML-1").title.endswith("(2)")


def test_dry_run_writes_nothing(db, tmp_path):
    before = db_counts()
    result = iati_import(path=iati_file(tmp_path), dry_run=True)
    assert result.created == 1 and result.dry_run
    assert db_counts() == before


def test_version_202_file(db, tmp_path):
    result = iati_import(path=iati_file(tmp_path, version="2.02"))
    assert result.version == "2.02" and result.created == 1


def test_participating_org_matched_by_identifier_then_name(db, tmp_path):
    known = Organisation.objects.get(name="Agence française de développement")
    body = swap(
        '<participating-org role="4" type="24"><narrative>ONG test malienne</narrative>',
        '<participating-org role="4" type="24"><narrative>Agence Française de Développement</narrative>',
    )
    iati_import(path=iati_file(tmp_path, body))
    project = Project.objects.get(iati_identifier="XM-DAC-41114-ML-1")
    assert project.operator_links.filter(organisation=known).exists()
    assert Organisation.objects.filter(search_name__startswith="agence francaise de dev").count() == 1


def test_own_projects_are_not_imported_twice(fixed_project, tmp_path):
    out = tmp_path / "own.xml"
    iati_export(projects=projects_for_export(), output=out)
    before = db_counts()
    result = iati_import(path=out)
    assert result.created == 0 and result.skipped == result.activities + result.skipped
    counts = db_counts()
    assert counts.pop("ImportRun") == before.pop("ImportRun") + 1
    assert counts == before


def _activities(path: Path) -> dict[str, bytes]:
    root = etree.parse(str(path)).getroot()
    return {a.findtext("iati-identifier"): etree.tostring(a, method="c14n") for a in root}


def test_round_trip(fixed_project, tmp_path):
    """Export, import into a database without those projects, export again: same activities."""
    first = tmp_path / "first.xml"
    iati_export(projects=projects_for_export(), output=first)
    Project.objects.filter(is_imported=False).delete()
    iati_import(path=first)
    assert Project.objects.filter(is_imported=False).count() == 0
    second = tmp_path / "second.xml"
    iati_export(projects=projects_for_export(include_imported=True), output=second)
    assert _activities(first) == _activities(second)
    # and importing the re-export changes nothing
    before = db_counts()
    result = iati_import(path=second)
    assert result.created == 0
    counts = db_counts()
    counts.pop("ImportRun"), before.pop("ImportRun")
    assert counts == before


def test_commands(db, tmp_path, capsys):
    path = iati_file(tmp_path)
    call_command("import_iati", str(path), "--dry-run")
    assert "Essai : rien n'a été écrit" in capsys.readouterr().out
    assert not Project.objects.filter(iati_identifier="XM-DAC-41114-ML-1").exists()
    call_command("import_iati", str(path))
    assert Project.objects.filter(iati_identifier="XM-DAC-41114-ML-1").exists()
    with pytest.raises(AppError, match="version 1.05 non prise en charge"):
        call_command("import_iati", str(iati_file(tmp_path, version="1.05", name="old.xml")))


def test_refusals_follow_the_active_language(db, tmp_path):
    """French first; the same refusal in English when English is asked for."""
    path = tmp_path / "broken.xml"
    path.write_text("Identifiant;Titre\nML-1;Eau\n", encoding="utf-8")
    with pytest.raises(AppError, match="XML mal formé"):
        iati_import(path=path)
    with translation.override("en"), pytest.raises(AppError, match="not well-formed XML"):
        iati_import(path=path)


# --- hostile files: DTD, entities, one activity too big (issue 8) -----------------------

HOSTILE = {
    "internal entity": (
        '<!DOCTYPE iati-activities [<!ENTITY x "Mopti">]>',
        ACTIVITY.replace("ML-1<", "ML-&x;<"),
    ),
    "external entity": (
        '<!DOCTYPE iati-activities [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        ACTIVITY.replace("ML-1<", "ML-&x;<"),
    ),
    "doctype only": ('<!DOCTYPE iati-activities SYSTEM "http://example.org/x.dtd">', ACTIVITY),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_doctype_and_entities_are_refused_with_a_message(db, tmp_path, case):
    doctype, body = HOSTILE[case]
    path = tmp_path / "hostile.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<iati-activities '
        f'version="2.03">\n {body}\n</iati-activities>\n',
        encoding="utf-8",
    )
    before = db_counts()
    with pytest.raises(AppError) as err:
        iati_import(path=path)
    assert "DOCTYPE" in err.value.message and err.value.field == "file", err.value.message
    assert db_counts() == before


def test_one_activity_with_too_many_elements_is_refused_naming_it(db, tmp_path, monkeypatch):
    from coopatlas.iati import reading

    monkeypatch.setattr(reading, "MAX_ACTIVITY_ELEMENTS", 200)
    extra = "".join('<sector vocabulary="1" code="14030" percentage="1"/>' for _ in range(300))
    path = iati_file(tmp_path, ACTIVITY.replace("</iati-activity>", extra + "</iati-activity>"))
    before = db_counts()
    with pytest.raises(AppError) as err:
        iati_import(path=path)
    message = err.value.message
    assert "XM-DAC-41114-ML-1" in message and "200" in message, message
    assert db_counts() == before


def test_one_activity_too_deep_is_refused(db, tmp_path):
    deep = "<a:x xmlns:a='urn:x'>" * 200 + "</a:x>" * 200
    path = iati_file(tmp_path, ACTIVITY.replace("</iati-activity>", deep + "</iati-activity>"))
    with pytest.raises(AppError, match="profondeur"):
        iati_import(path=path)


def test_organisations_and_slugs_resolved_across_chunks(db, tmp_path, monkeypatch):
    """The importer resolves a chunk's organisations together (one INSERT for the new ones)
    and checks its slugs together: a new organisation named in several activities, in one
    chunk and in the next, is created once; a current authority named in the activity's
    country is that authority; two identifiers with the same slug in one chunk both import."""
    from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority
    from coopatlas.iati import services

    monkeypatch.setattr(services, "CHUNK", 2)
    LocalAuthority.objects.create(
        name="Commune test de Sévaré",
        kind="commune",
        country=Country.objects.get(iso2="ML"),
        area=AdministrativeArea.objects.get(code="ML-5"),
        slug="iati-test-sevare-chunks",
        source=Organisation.objects.first().source,
    )
    partner = (
        '<participating-org role="4" type="24"><narrative>ONG test malienne</narrative></participating-org>\n'
        '  <participating-org role="2" type="10"><narrative>Commune test de Sévaré</narrative>'
        "</participating-org>"
    )
    identifiers = ["XM-DAC-41114-ML.9", "XM-DAC-41114-ML9", "XM-DAC-41114-ML-3", "XM-DAC-41114-ML-4"]
    body = "\n ".join(
        ACTIVITY.replace("XM-DAC-41114-ML-1", ident).replace(
            '<participating-org role="4" type="24"><narrative>ONG test malienne</narrative>'
            "</participating-org>",
            partner,
        )
        for ident in identifiers
    )
    before = Organisation.objects.count()
    result = iati_import(path=iati_file(tmp_path, body))
    assert (result.created, result.rejected) == (4, [])
    assert result.organisations_created == 2 == Organisation.objects.count() - before
    ngo = Organisation.objects.get(name="ONG test malienne")
    assert ngo.search_name == "ong test malienne" and ngo.iati_type_id == "24"
    projects = Project.objects.filter(iati_identifier__in=identifiers)
    assert len({p.slug for p in projects}) == 4
    for project in projects:
        assert project.operator_links.filter(organisation=ngo, role="implementing").exists()
        assert project.participants.filter(authority__name="Commune test de Sévaré").exists()
        assert project.iati_import.reporting_organisation.iati_identifier == "XM-DAC-41114"
    assert iati_import(path=iati_file(tmp_path, body)).organisations_created == 0


def test_other_donors_activities_are_counted_whole_past_the_shown_page(db, django_assert_num_queries):
    """The count is the whole (a COUNT when the page is full), never just the page."""
    from coopatlas.cooperation.tests import factories as f

    mali = f.CountryFactory(iso2="ML")
    for i in range(3):
        f.ProjectFactory(title=f"Activité d'un autre bailleur {i}", is_imported=True, countries=[mali])
    full = imported_activities_for(country="ML", area=None, limit=2)
    assert full["count"] == 3 and len(full["results"]) == 2
    with django_assert_num_queries(1):  # the page only: fewer rows than a page, no COUNT
        some = imported_activities_for(country="ML", area=None, limit=5)
    assert some["count"] == 3 and len(some["results"]) == 3
