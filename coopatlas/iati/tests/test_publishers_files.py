"""Real publishers' kinds of files (ministry FR-6, AFD FR-3, an NGO, a multi-publisher extract):
imported, shown, exported again with nothing they published lost and no rule they passed broken."""

from pathlib import Path

import pytest
from lxml import etree

from coopatlas.cooperation.models import Organisation, Project
from coopatlas.iati.codes import XML_LANG
from coopatlas.iati.rules import check_file
from coopatlas.iati.selectors import known_publisher_ids, projects_for_export
from coopatlas.iati.services import iati_export, iati_import

FIXTURES = Path(__file__).parent / "fixtures"
FILES = ["ministry_fr6.xml", "afd_fr3.xml", "ngo.xml", "multi_publisher.xml"]


def _published(path: Path) -> dict[str, bytes]:
    """Each activity as c14n, the file's default language made explicit (as the import does)."""
    root = etree.parse(str(path)).getroot()
    out = {}
    for act in root.iterfind("iati-activity"):
        if act.get(XML_LANG) is None and root.get(XML_LANG):
            act.set(XML_LANG, root.get(XML_LANG))
        out[act.findtext("iati-identifier")] = etree.tostring(act, method="c14n", exclusive=True)
    return out


def _errors(path: Path) -> set[tuple[str, str]]:
    return {(f.activity, f.rule) for f in check_file(path, known_ids=known_publisher_ids()) if f.is_error}


@pytest.fixture
def imported(db):
    for name in FILES:
        result = iati_import(path=FIXTURES / name)
        assert result.rejected == [] and result.skipped == 0, (name, result.warnings)
    return {ident for name in FILES for ident in _published(FIXTURES / name)}


def test_every_activity_is_imported_and_exported_again_unchanged(imported, tmp_path):
    assert len(imported) == 7
    assert Project.objects.filter(iati_identifier__in=imported).count() == 7
    out = tmp_path / "again.xml"
    iati_export(projects=projects_for_export(include_imported=True), output=out)
    again = {k: v for k, v in _published(out).items() if k in imported}
    for name in FILES:
        for ident, original in _published(FIXTURES / name).items():
            assert again[ident] == original, ident
    # no rule they passed is broken (the NGO's root-level language is now explicit: one fewer)
    before = set().union(*(_errors(FIXTURES / name) for name in FILES))
    after = {e for e in _errors(out) if e[0] in imported}
    assert after <= before and ("FR-RCS-123456789-PRJ-2022-04", "4.1.1") in before - after


def test_reimport_duplicates_nothing(imported):
    counts = (Project.objects.count(), Organisation.objects.count())
    for name in FILES:
        result = iati_import(path=FIXTURES / name)
        assert result.created == 0 and result.organisations_created == 0
    assert (Project.objects.count(), Organisation.objects.count()) == counts
    # AFD (FR-3 in the reference data) is one organisation, whatever the spelling of its name
    assert Organisation.objects.filter(search_name__startswith="agence francaise de dev").count() == 1


def test_the_project_page_shows_what_the_publisher_published(imported, client):
    project = Project.objects.get(iati_identifier="FR-3-CML1234")
    page = client.get(project.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    for fact in (
        "Publié au format IATI",
        "Disbursement",  # transaction types beyond the commitments
        "1311914000 XOF",  # another currency, with its value date
        "2023-05-02",
        "2022-01-01 → 2022-12-31",  # yearly budgets
        "Versement prévu",
        "Support to sanitation in the city of Mopti (test)",  # every language
        'lang="en"',
        '<li lang="fr"><strong>fr</strong>',  # the activity's default language, for narratives that name none
        "Personnes raccordées",  # results
        "https://example.org/afd/CML1234-fiche.pdf",  # documents
        "FR-3-CML1200",  # related activities
        "14.4843 -4.18296",  # a point
        "G1 2453347",  # an administrative code
    ):
        assert fact in html, fact
    ngo = Project.objects.get(iati_identifier="FR-RCS-123456789-PRJ-2022-04")
    html = client.get(ngo.get_absolute_url()).content.decode()
    assert "Incoming Funds" in html and "FR-3-CML1234" in html  # provider-activity-id
    multi = Project.objects.get(iati_identifier="XI-IATI-TESTNGO-BF-9")
    assert "289" in client.get(multi.get_absolute_url()).content.decode()  # a recipient region
    data = client.get(project.get_absolute_url(), {"format": "json"}).json()
    assert len(data["iati_published"]["transactions"]) == 3
