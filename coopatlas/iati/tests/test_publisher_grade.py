"""Issue 12's last gaps: partner authorities as administrative locations, budget-not-provided
when the mapping names a reason, the Dashboard's comprehensiveness, the demo's exportable
activities (status inferred from the texts, marked so)."""

from datetime import date

from coopatlas.cooperation.models import Project
from coopatlas.geo.models import GazetteerEntry
from coopatlas.iati import export
from coopatlas.iati.checking import comprehensiveness
from coopatlas.iati.export import activity_element
from coopatlas.iati.selectors import project_export_rows, projects_for_export
from coopatlas.iati.services import iati_export


def _activity(project):
    (row,) = project_export_rows(Project.objects.filter(pk=project.pk))
    return activity_element(row, today=date(2025, 6, 1))


def test_partner_authority_is_an_administrative_location_with_its_point(fixed_project):
    partner = fixed_project.participants.get(role="partner").authority
    partner.latitude, partner.longitude = 14.4843, -4.1827
    partner.save()
    region = GazetteerEntry.objects.create(
        code="gn:2453347", country_id="ML", level=1, kind="région", name="Mopti (test)", source="geonames"
    )
    GazetteerEntry.objects.create(
        code="gn:2450000",
        country_id="ML",
        level=3,
        kind="commune",
        name="Sévaré (test)",
        source="geonames",
        parent=region,
        authority=partner,
    )
    act = _activity(fixed_project)
    (loc,) = [x for x in act.iter("location") if x.get("ref") == f"authority:{partner.slug}"]
    assert [(a.get("vocabulary"), a.get("level"), a.get("code")) for a in loc.iter("administrative")] == [
        ("A4", "0", "ML"),
        ("G1", "1", "2453347"),
        ("G1", "3", "2450000"),
    ]
    assert loc.find("location-id").attrib == {"vocabulary": "G1", "code": "2450000"}
    assert loc.findtext("point/pos") == "14.48430 -4.18270"
    assert loc.find("feature-designation").get("code") == "ADM3"
    # schema order inside location: location-reach, location-id, name, administrative, point…
    assert [c.tag for c in loc][:4] == ["location-reach", "location-id", "name", "administrative"]


def test_iso_only_subdivision_is_not_given_a_code_iati_has_no_vocabulary_for(fixed_project):
    partner = fixed_project.participants.get(role="partner").authority
    GazetteerEntry.objects.create(
        code="iso:ML-TEST-5",
        country_id="ML",
        level=1,
        kind="région",
        name="Mopti",
        source="iso3166-2",
        authority=partner,
    )
    act = _activity(fixed_project)
    (loc,) = [x for x in act.iter("location") if x.get("ref") == f"authority:{partner.slug}"]
    assert [(a.get("vocabulary"), a.get("code")) for a in loc.iter("administrative")] == [("A4", "ML")]
    assert loc.find("location-id") is None and loc.find("point") is None


def test_budget_not_provided_only_with_a_reason_from_the_mapping(fixed_project, monkeypatch):
    fixed_project.funding.all().delete()
    act = _activity(fixed_project)
    assert act.find("budget") is None and act.get("budget-not-provided") is None  # no false reason
    real = export.mappings()
    monkeypatch.setattr(export, "mappings", lambda: {**real, "budget_not_provided": "2"})
    act = _activity(fixed_project)
    assert act.get("budget-not-provided") == "2" and act.find("budget") is None


def test_comprehensiveness_of_the_demo_and_a_synthetic_export(fixed_project, tmp_path):
    from coopatlas.cooperation.synth import Scale, synth_generate

    synth_generate(
        scale="x",
        size=Scale(projects=40, french=15, foreign=20, countries=6, partnerships=30),
        log=lambda *_: None,
    )
    out = tmp_path / "all.xml"
    result = iati_export(projects=projects_for_export(), output=out)
    assert result.activities > 40

    def synthetic(act):
        return "-synth-" in act.findtext("iati-identifier")

    synth = comprehensiveness(out, where=synthetic)
    assert synth["sector"]["percent"] == 100.0
    assert synth["budget_where_data"]["percent"] >= 95, synth
    assert synth["commitment"]["percent"] >= 95, synth
    assert synth["disbursement_expenditure"]["percent"] >= 95, synth
    demo = comprehensiveness(out, where=lambda a: not synthetic(a))
    assert demo["sector"]["percent"] == 100.0
    # every demo activity that has a dated figure publishes its budgets
    assert demo["budget_where_data"]["of"] == 0 or demo["budget_where_data"]["percent"] >= 95, demo


def test_demo_activities_whose_texts_give_status_and_start_are_exported(db, tmp_path):
    from coopatlas.core.models import Inference

    out = tmp_path / "demo.xml"
    result = iati_export(projects=projects_for_export(), output=out)
    exported = {slug for slug in Project.objects.filter(is_imported=False).values_list("slug", flat=True)} - {
        slug for slug, _reason in result.skipped
    }
    for slug in ("ml-arnage-sakoiba-zerkten", "bj-eclosions-urbaines"):
        assert slug in exported, (slug, dict(result.skipped).get(slug))
    # awareness-raising in France: the texts name no recipient country, so none is invented
    assert "recipient country" in dict(result.skipped)["aivm-volontaires-maliens"]
    arnage = Project.objects.get(slug="ml-arnage-sakoiba-zerkten")
    assert arnage.status == "completed"
    assert Inference.objects.filter(object_id=arnage.pk, field="status").exists()  # marked inferred
