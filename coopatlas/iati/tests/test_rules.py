"""The ruleset engine: IATI-Rulesets' own meta-tests, then the standard ruleset on hand-made activities."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from coopatlas.iati.rules import RulesetChecker

META = Path(__file__).parent / "rulesets_meta"
CASES = [
    line.split()[1:] for line in (META / "cases.txt").read_text().splitlines() if line.startswith("test ")
]
NOW = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(("rules", "xml", "expected"), CASES, ids=[f"{r}-{x}" for r, x, _e in CASES])
def test_iati_rulesets_meta_tests(rules, xml, expected):
    """IATI-Rulesets' meta_tests.sh: each (ruleset, file) passes or fails as IATI expects."""
    import json

    checker = RulesetChecker(now=NOW)
    failures = checker.document_failures(
        json.loads((META / f"{rules}.json").read_text()), etree.parse(str(META / f"{xml}.xml"))
    )
    assert (not failures) == (expected == "True"), failures


def _findings_of(path: Path):
    from coopatlas.iati.rules import check_file
    from coopatlas.iati.selectors import known_publisher_ids

    return check_file(path, known_ids=known_publisher_ids())


def test_demo_and_synthetic_exports_pass_the_rulesets(fixed_project, tmp_path):
    """`make test` runs IATI's own rules on what we publish: no error-level finding, in the
    ministry's file and in the per-publisher files (demo, fixed project, synthetic)."""
    from coopatlas.cooperation.models import Project
    from coopatlas.cooperation.synth import Scale, synth_generate
    from coopatlas.iati.services import iati_export

    synth_generate(
        scale="x",
        size=Scale(projects=120, french=30, foreign=40, countries=8, partnerships=60),
        log=lambda *_: None,
    )
    own = Project.objects.filter(is_imported=False)
    (tmp_path / "publishers").mkdir()
    ministry = iati_export(projects=own, output=tmp_path / "ministry.xml", check_rules=False, persist=False)
    publishers = iati_export(
        projects=own, output=tmp_path / "publishers", mode="publishers", check_rules=False
    )
    assert ministry.activities >= 121 and publishers.activities >= 1
    files = [tmp_path / "ministry.xml", *publishers.files]
    findings = [f for p in files for f in _findings_of(p)]
    assert [str(f) for f in findings if f.is_error] == []
    # and the export's own check agrees (it raises on an error-level finding)
    again = iati_export(projects=own, output=tmp_path / "checked.xml", persist=False)
    assert again.activities == ministry.activities


GOOD = """<iati-activity xml:lang="fr" default-currency="EUR" last-updated-datetime="2025-06-01T10:00:00">
  <iati-identifier>FR-RCS-223500018-eau</iati-identifier>
  <reporting-org ref="FR-RCS-223500018" type="11"><narrative>Ille-et-Vilaine</narrative></reporting-org>
  <title><narrative>Eau</narrative></title>
  <description type="1"><narrative>Forages</narrative></description>
  <participating-org role="1" ref="FR-RCS-223500018"/>
  <activity-status code="2"/>
  <activity-date type="2" iso-date="2021-01-01"/>
  <activity-date type="3" iso-date="2027-12-31"/>
  <recipient-country code="ML" percentage="60"/>
  <recipient-country code="BF" percentage="40"/>
  <sector vocabulary="1" code="14030" percentage="60"/>
  <sector vocabulary="1" code="14050" percentage="40"/>
  <budget type="1" status="1">
    <period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/>
    <value value-date="2021-01-01">1000</value>
  </budget>
  <transaction>
    <transaction-type code="2"/><transaction-date iso-date="2021-01-01"/>
    <value value-date="2021-01-01">1000</value>
    <provider-org ref="FR-RCS-223500018"/>
  </transaction>
</iati-activity>"""


def _rules_broken(xml: str, **kwargs) -> set[str]:
    return {f.rule for f in RulesetChecker(now=NOW, **kwargs).findings(etree.fromstring(xml)) if f.is_error}


def test_standard_ruleset_passes_a_good_activity():
    assert _rules_broken(GOOD) == set()
    warnings = RulesetChecker(now=NOW).findings(etree.fromstring(GOOD))
    assert [f for f in warnings if not f.is_error] == []


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ('<period-end iso-date="2021-12-31"/>', '<period-end iso-date="2024-12-31"/>', "7.5.3"),
        ('<period-end iso-date="2021-12-31"/>', '<period-end iso-date="2020-12-31"/>', "8.6.3"),
        ('code="BF" percentage="40"', 'code="BF"', "3.1.1"),
        ('code="BF" percentage="40"', 'code="BF" percentage="30"', "3.1.2"),
        ('code="14050" percentage="40"', 'code="14050" percentage="50"', "2.1.2"),
        (
            '<activity-date type="3" iso-date="2027-12-31"/>',
            '<activity-date type="4" iso-date="2027-12-31"/>',
            "11.1.5",
        ),
        (
            '<activity-date type="2" iso-date="2021-01-01"/>',
            '<activity-date type="3" iso-date="2021-01-01"/>',
            "6.11.1",
        ),
        ('<transaction-date iso-date="2021-01-01"/>', '<transaction-date iso-date="2026-06-01"/>', "11.2.1"),
        (
            'last-updated-datetime="2025-06-01T10:00:00"',
            'last-updated-datetime="2026-06-01T10:00:00"',
            "11.1.1",
        ),
        (
            '<sector vocabulary="1" code="14030" percentage="60"/>\n  '
            '<sector vocabulary="1" code="14050" percentage="40"/>',
            "",
            "6.2.2",
        ),
        (' xml:lang="fr"', "", "4.1.1"),
        (' default-currency="EUR"', "", "7.8.1"),
        ('<participating-org role="1" ref="FR-RCS-223500018"/>', '<participating-org role="1"/>', "6.10.1"),
        ("<title><narrative>Eau</narrative></title>", "<title><narrative/></title>", "4.3.1"),
        (
            "<iati-identifier>FR-RCS-223500018-eau</iati-identifier>",
            "<iati-identifier>FR-RCS-223500018</iati-identifier>",
            "1.1.3",
        ),
    ],
)
def test_standard_ruleset_finds_each_broken_rule(old, new, rule):
    assert old in GOOD
    assert rule in _rules_broken(GOOD.replace(old, new))


def test_warnings_name_activity_and_element():
    xml = GOOD.replace("<iati-identifier>FR-RCS-223500018-eau", "<iati-identifier>XX-OTHER-eau")
    found = [f for f in RulesetChecker(now=NOW).findings(etree.fromstring(xml)) if f.rule == "1.1.21"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].activity == "XX-OTHER-eau" and "iati-identifier" in found[0].element
    # A previous reporting-org identifier (other-identifier B1) is an accepted prefix.
    xml = xml.replace("<activity-status", '<other-identifier ref="XX-OTHER" type="B1"/>\n  <activity-status')
    assert not [f for f in RulesetChecker(now=NOW).findings(etree.fromstring(xml)) if f.rule == "1.1.21"]


def test_unknown_reporting_prefix_is_a_warning_unless_a_known_publisher():
    xml = GOOD.replace('reporting-org ref="FR-RCS-223500018"', 'reporting-org ref="FR-3"').replace(
        "FR-RCS-223500018-eau", "FR-3-eau"
    )
    assert "1.14.8" in {f.rule for f in RulesetChecker(now=NOW).findings(etree.fromstring(xml))}
    assert "1.14.8" not in {
        f.rule for f in RulesetChecker(now=NOW, known_ids={"FR-3"}).findings(etree.fromstring(xml))
    }


def test_vacuous_rules_hold_when_their_paths_select_nothing(monkeypatch):
    """The checker skips a case of these rules when its paths select nothing (a speed-up):
    each must indeed hold there, and each must still fail on a selected value."""
    from coopatlas.iati.rules import _Case

    empty = etree.fromstring("<iati-activity><title/></iati-activity>")
    bad = etree.fromstring('<iati-activity><x a=" 50% " b="-"/><x a=" 50% " b="-"/></iati-activity>')
    extra = {
        "regex_matches": {"regex": "^[0-9]+$"},
        "regex_no_matches": {"regex": "%"},
        "startswith": {"start": "title"},
        "range": {"min": 0, "max": 10},
        "sum": {"sum": 100},
    }
    checker = RulesetChecker(now=NOW)
    assert _Case.VACUOUS <= _Case.READ_PATHS
    for name in sorted(_Case.VACUOUS):
        case = {"paths": ["x/@a"], **extra.get(name, {})}
        checker._memo = {}
        assert getattr(_Case(empty, case, checker, name), name)() is not False, name
        checker._memo = {}
        assert getattr(_Case(bad, case, checker, name), name)() is False, name
    # The checker with the skip finds what it finds without it, on broken activities.
    variants = [
        GOOD.replace(' xml:lang="fr"', ""),
        GOOD.replace('code="BF" percentage="40"', 'code="BF" percentage=" 30%"'),
        GOOD.replace("FR-RCS-223500018-eau", " FR-RCS-223500018-eau"),
    ]

    def found(xml):
        return sorted(map(str, RulesetChecker(now=NOW).findings(etree.fromstring(xml))))

    skipping = [found(xml) for xml in variants]
    monkeypatch.setattr(_Case, "VACUOUS", frozenset())
    assert skipping == [found(xml) for xml in variants]
    assert all(skipping)
