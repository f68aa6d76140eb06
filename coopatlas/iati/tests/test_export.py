"""Export: golden file, schema validity of everything exported, nothing written on failure."""

import os
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from coopatlas.cooperation.models import Project
from coopatlas.cooperation.synth import Scale, synth_generate
from coopatlas.core.errors import AppError
from coopatlas.iati.codes import schema
from coopatlas.iati.selectors import projects_for_export
from coopatlas.iati.services import iati_export

GOLDEN = Path(__file__).parent / "golden" / "fixed_project.xml"
STAMP = re.compile(r'(last-updated-datetime|generated-datetime)="[^"]+"')


def _valid(path: Path) -> etree._Element:
    doc = etree.parse(str(path))
    assert schema().validate(doc), schema().error_log
    return doc.getroot()


def test_golden_file(fixed_project, tmp_path):
    """Per-publisher mode: the authority's own file, under its registered identifier."""
    result = iati_export(
        projects=Project.objects.filter(pk=fixed_project.pk),
        output=tmp_path,
        mode="publishers",
        generated_at=datetime(2025, 1, 1, tzinfo=UTC),
        today=date(2025, 6, 1),
    )
    out = tmp_path / "FR-RCS-223500018-activities.xml"
    assert result.files == [out, tmp_path / "FR-RCS-223500018-organisation.xml"]
    _valid(out)
    text = STAMP.sub(r'\1="STAMP"', out.read_text(encoding="utf-8"))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_golden_facts(fixed_project, tmp_path):
    """The ministry's file (the default): the facts the issue lists, read back from the file."""
    out = tmp_path / "one.xml"
    iati_export(projects=Project.objects.filter(pk=fixed_project.pk), output=out, today=date(2025, 6, 1))
    act = _valid(out)[0]
    assert act.findtext("iati-identifier") == "FR-6-iati-test-eau-sevare"
    reporting = act.find("reporting-org")
    assert (reporting.get("ref"), reporting.get("secondary-reporter")) == ("FR-6", "1")
    roles = sorted((p.get("role"), p.findtext("narrative")) for p in act.iter("participating-org"))
    assert ("1", "Bailleur test IATI") in roles and ("2", "Ille-et-Vilaine") in roles
    assert ("4", "Association test IATI") in roles and ("4", "Commune test de Sévaré") in roles
    assert [(s.get("code"), s.get("percentage")) for s in act.iter("sector")] == [
        ("14030", "60"),
        ("14050", "40"),
    ]
    assert [(t.get("vocabulary"), t.get("code")) for t in act.iter("tag")] == [("2", "6"), ("3", "6.1")]
    assert act.find("location/point/pos").text.startswith("14.48")
    # Yearly budgets from the financing plan (2021: the authority, 2022: the funder), never > 1 year.
    budgets = [
        (b.find("period-start").get("iso-date"), b.find("period-end").get("iso-date"), b.findtext("value"))
        for b in act.iter("budget")
    ]
    assert budgets == [("2021-01-01", "2021-12-31", "100000"), ("2022-01-01", "2022-12-31", "150000")]
    kinds = [
        (t.find("transaction-type").get("code"), t.findtext("provider-org/narrative"))
        for t in act.iter("transaction")
    ]
    assert ("2", "Ille-et-Vilaine") in kinds and ("11", "Bailleur test IATI") in kinds
    # the incoming commitment is received by the lead authority, not by the ministry that reports it
    receivers = {
        t.findtext("receiver-org/narrative")
        for t in act.iter("transaction")
        if t.find("receiver-org") is not None
    }
    assert receivers == {"Ille-et-Vilaine"}
    assert {el.tag: el.get("code") for el in act if el.tag.startswith(("default-", "collaboration"))} == {
        "collaboration-type": "1",
        "default-flow-type": "10",
        "default-finance-type": "110",
        "default-aid-type": "C01",
        "default-tied-status": "5",
    }
    assert [(d.get("type"), d.get("iso-date")) for d in act.iter("activity-date")] == [
        ("2", "2021-01-01"),
        ("3", "2024-12-31"),  # ongoing: the end is planned
    ]
    assert "XX-COOPATLAS" not in out.read_text()


def test_dates_are_honest(fixed_project):
    """No actual date in the future, no stand-in, no transaction dated in the future."""
    from coopatlas.iati.export import activity_element

    fixed_project.status = "completed"
    fixed_project.end_year = 2026
    fixed_project.save()
    act = activity_element(fixed_project, today=date(2026, 3, 1))
    assert [(d.get("type"), d.get("iso-date")) for d in act.iter("activity-date")] == [
        ("2", "2021-01-01"),
        ("3", "2026-12-31"),  # completed, but the 31 December 2026 has not come: planned
    ]
    act = activity_element(fixed_project, today=date(2027, 1, 5))
    assert ("4", "2026-12-31") in [(d.get("type"), d.get("iso-date")) for d in act.iter("activity-date")]
    # A funding line of a future year is a budget, not a transaction.
    line = fixed_project.funding.get(year=2022)
    line.year = 2030
    line.save()
    fixed_project.end_year = 2030
    fixed_project.save()
    act = activity_element(Project.objects.get(pk=fixed_project.pk), today=date(2026, 3, 1))
    assert "2030-01-01" not in [t.find("transaction-date").get("iso-date") for t in act.iter("transaction")]
    assert "2030-01-01" in [b.find("period-start").get("iso-date") for b in act.iter("budget")]
    # No start: not exported, with what to enter (no stand-in date any more).
    Project.objects.filter(pk=fixed_project.pk).update(start_year=None, end_year=None)
    from coopatlas.iati.export import NotExportable

    with pytest.raises(NotExportable, match="enter the project's start year"):
        activity_element(Project.objects.get(pk=fixed_project.pk))


def test_identifiers_are_kept_from_first_publication(fixed_project, tmp_path):
    """First published by the ministry: the authority's own file later keeps that identifier,
    with the first publisher as other-identifier B1 (so IATI's rule 1.1.21 still passes)."""
    from coopatlas.iati.models import PublishedActivity

    first = iati_export(projects=Project.objects.filter(pk=fixed_project.pk), output=tmp_path / "m.xml")
    assert first.identifiers_recorded == 1
    stored = PublishedActivity.objects.get(project=fixed_project)
    assert (stored.identifier, stored.reporting_ref) == ("FR-6-iati-test-eau-sevare", "FR-6")
    second = iati_export(
        projects=Project.objects.filter(pk=fixed_project.pk), output=tmp_path, mode="publishers"
    )
    assert second.identifiers_recorded == 0 and not [w for w in second.warnings if w.rule == "1.1.21"]
    act = etree.parse(str(tmp_path / "FR-RCS-223500018-activities.xml")).getroot()[0]
    assert act.findtext("iati-identifier") == "FR-6-iati-test-eau-sevare"
    assert act.find("reporting-org").get("ref") == "FR-RCS-223500018"
    assert act.find("reporting-org").get("secondary-reporter") is None
    assert ("FR-6", "B1") in [(o.get("ref"), o.get("type")) for o in act.iter("other-identifier")]
    org = etree.parse(str(tmp_path / "FR-RCS-223500018-organisation.xml")).getroot()
    from coopatlas.iati.codes import organisations_schema

    assert organisations_schema().validate(org.getroottree())
    assert org[0].findtext("organisation-identifier") == "FR-RCS-223500018"


def test_publisher_without_identifier_cannot_publish(fixed_project, tmp_path):
    from coopatlas.geo.models import LocalAuthority

    lead = fixed_project.participants.get(role="lead").authority
    LocalAuthority.objects.filter(pk=lead.pk).update(siren=None)
    with pytest.raises(AppError, match="aucun projet à exporter"):
        iati_export(projects=Project.objects.filter(pk=fixed_project.pk), output=tmp_path, mode="publishers")
    from coopatlas.iati.export import NotExportable, activity_element

    with pytest.raises(NotExportable, match="enter its SIREN"):
        activity_element(Project.objects.get(pk=fixed_project.pk), mode="publishers")
    # The ministry still publishes it (the authority named, without an identifier).
    act = activity_element(Project.objects.get(pk=fixed_project.pk))
    assert act.find("reporting-org").get("ref") == "FR-6"


def test_rule_error_writes_nothing(fixed_project, tmp_path, monkeypatch):
    out = tmp_path / "kept.xml"
    out.write_text("previous file")
    from coopatlas.iati import export

    monkeypatch.setattr(
        export, "yearly_budgets", lambda p: [(date(2021, 1, 1), date(2024, 12, 31), "EUR", 250000)]
    )
    with pytest.raises(AppError) as err:
        iati_export(projects=Project.objects.filter(pk=fixed_project.pk), output=out)
    assert "7.5.3" in err.value.message and "FR-6-iati-test-eau-sevare" in err.value.message
    assert "budget" in err.value.message
    assert out.read_text() == "previous file"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.xml"]


def test_sectors_from_the_themes_when_none_is_given(fixed_project):
    from coopatlas.cooperation.models import ProjectTheme
    from coopatlas.iati.export import activity_element
    from coopatlas.reference.models import Theme

    fixed_project.sector_links.all().delete()
    theme = Theme.objects.filter(sectors__isnull=False).distinct().first()
    ProjectTheme.objects.create(project=fixed_project, theme=theme, is_main=True)
    act = activity_element(Project.objects.get(pk=fixed_project.pk))
    codes = sorted(s.get("code") for s in act.iter("sector"))
    assert codes == sorted(theme.sectors.values_list("code", flat=True))
    assert sum(Decimal(s.get("percentage")) for s in act.iter("sector")) == 100


def test_country_percentages_add_up_to_100(fixed_project):
    from coopatlas.iati.export import activity_element

    fixed_project.countries.add("BF", "NE")
    act = activity_element(Project.objects.get(pk=fixed_project.pk))
    shares = [Decimal(c.get("percentage")) for c in act.iter("recipient-country")]
    assert len(shares) == 3 and sum(shares) == 100


def test_demo_export_is_schema_valid(fixed_project, tmp_path):
    out = tmp_path / "demo.xml"
    result = iati_export(projects=projects_for_export(), output=out)
    root = _valid(out)
    assert result.activities == len(root) >= 1
    ids = [a.findtext("iati-identifier") for a in root]
    assert len(ids) == len(set(ids))
    # Projects IATI cannot take (no status, no start date: never guessed) are listed, not dropped.
    exported = Project.objects.filter(is_imported=False).count()
    assert result.activities + len(result.skipped) == exported
    reasons = {reason for _slug, reason in result.skipped}
    assert any("start year" in r for r in reasons) and any("status" in r for r in reasons)


def test_synthetic_export_is_schema_valid(db, tmp_path):
    synth_generate(
        scale="x",
        size=Scale(projects=60, french=20, foreign=30, countries=8, partnerships=40),
        log=lambda *_: None,
    )
    out = tmp_path / "synth.xml"
    result = iati_export(projects=Project.objects.filter(is_synthetic=True), output=out)
    assert result.activities == 60 == len(_valid(out))


def test_invalid_activity_writes_nothing(fixed_project, tmp_path, monkeypatch):
    out = tmp_path / "kept.xml"
    out.write_text("previous file")
    from coopatlas.iati import export

    original = export._classifications

    def broken(act, project):
        original(act, project)
        act.find("sector").set("percentage", "sixty")  # not a decimal

    monkeypatch.setattr(export, "_classifications", broken)
    with pytest.raises(AppError) as err:
        iati_export(projects=Project.objects.filter(pk=fixed_project.pk), output=out)
    assert "FR-6-iati-test-eau-sevare" in err.value.message
    assert "/sector" in err.value.message and "sixty" in err.value.message
    assert out.read_text() == "previous file"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.xml"]


def test_command_filters_and_empty_selection(fixed_project, tmp_path):
    out = tmp_path / "ml.xml"
    call_command("export_iati", "--output", str(out), "--country", "ML", "--authority", "departement:35")
    ids = [a.findtext("iati-identifier") for a in _valid(out)]
    assert "FR-6-iati-test-eau-sevare" in ids
    with pytest.raises(AppError, match="aucun projet à exporter"):
        call_command("export_iati", "--output", str(tmp_path / "none.xml"), "--country", "IS")
    assert not (tmp_path / "none.xml").exists()


def test_api_download(client, fixed_project):
    response = client.get("/api/v1/iati/activities.xml", {"country": "ML"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    root = etree.fromstring(body)
    assert schema().validate(root.getroottree())
    assert "FR-6-iati-test-eau-sevare" in [a.findtext("iati-identifier") for a in root]
    bad = client.get("/api/v1/iati/activities.xml", {"country": "ZZZ"})
    assert bad.status_code == 422 and "country" in bad.json()["errors"]
