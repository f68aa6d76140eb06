"""The IATI Standard's own example activity (every element of 2.03, IATI-Extra-Documentation's
`activity-standard-example-annotated.xml`, CC BY-SA 4.0, see data/SOURCES.md): imported and
exported again with nothing lost and no rule it passed broken (issue 12, "how it will be checked")."""

from pathlib import Path

from lxml import etree

from coopatlas.cooperation.models import Project
from coopatlas.iati.selectors import projects_for_export
from coopatlas.iati.services import iati_export, iati_import

from .test_publishers_files import _errors

PARSER = etree.XMLParser(remove_comments=True, remove_blank_text=True)


def _published(path: Path) -> dict[str, bytes]:
    """Each activity's data as c14n: the example's comments and indentation are not data."""
    root = etree.parse(str(path), PARSER).getroot()
    return {
        act.findtext("iati-identifier"): etree.tostring(act, method="c14n", exclusive=True)
        for act in root.iterfind("iati-activity")
    }


EXAMPLE = Path(__file__).parent / "fixtures" / "iati_standard_example.xml"


def test_the_standards_example_round_trips_whole(db, tmp_path):
    result = iati_import(path=EXAMPLE)
    assert result.rejected == [] and result.created == 1, result.warnings
    (ident,) = _published(EXAMPLE)
    project = Project.objects.get(iati_identifier=ident)
    assert project.iati_import.reporting_ref == "AA-AAA-123456789"
    out = tmp_path / "again.xml"
    iati_export(projects=projects_for_export(include_imported=True), output=out)
    assert _published(out)[ident] == _published(EXAMPLE)[ident]  # every element and attribute kept
    before, after = _errors(EXAMPLE), {e for e in _errors(out) if e[0] == ident}
    assert after <= before
    # imported again: nothing duplicated, nothing changed (the same last-updated-datetime)
    again = iati_import(path=EXAMPLE)
    assert again.created == 0 and Project.objects.filter(iati_identifier=ident).count() == 1
