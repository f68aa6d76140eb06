"""Compliance warnings computed from the tables, on a small fictional atlas."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from coopatlas.accounts import services as accounts
from coopatlas.compliance.models import (
    Competence,
    GroupementCompetence,
    RestrictedEntity,
    RestrictedEntityKind,
    Rule,
)
from coopatlas.compliance.selectors import compliance_warnings_all, compliance_warnings_for
from coopatlas.cooperation.models import Convention, ProjectSector
from coopatlas.cooperation.tests import factories as f
from coopatlas.reference.models import Theme

THEMES = {
    "environnement-climat-et-energie": "Environnement, Climat et Energie",
    "eau-et-dechets": "Eau et déchets",
    "eau-et-assainissement": "Eau et assainissement",
    "gouvernance-locale-et-appui-institutionnel": "Gouvernance locale et appui institutionnel",
}


@pytest.fixture
def atlas(db):
    # The loaded reference data has these themes; a flush by a transactional test of
    # another app may have removed them: get_or_create keeps the tests independent.
    root = f.ThemeFactory(
        slug="environnement-climat-et-energie", name_fr=THEMES["environnement-climat-et-energie"]
    )
    waters = f.ThemeFactory(slug="eau-et-dechets", name_fr=THEMES["eau-et-dechets"], parent=root)
    f.ThemeFactory(slug="eau-et-assainissement", name_fr=THEMES["eau-et-assainissement"], parent=waters)
    f.ThemeFactory(
        slug="gouvernance-locale-et-appui-institutionnel",
        name_fr=THEMES["gouvernance-locale-et-appui-institutionnel"],
    )
    call_command("load_compliance", verbosity=0)
    return f.small_atlas()


def _rules(warnings) -> list[str]:
    return sorted(w["rule"] for w in warnings)


def test_loader_fills_the_tables_without_inventing_entities(atlas):
    assert Rule.objects.count() == 7
    assert set(RestrictedEntityKind.objects.values_list("code", flat=True)) >= {
        "foreign-state",
        "unrecognised-entity",
        "sanctioned-country",
        "sanctioned-area",
        "sanctioned-company",
        "sanctioned-person",
    }
    assert RestrictedEntity.objects.count() == 0
    rule = Rule.objects.get(code="subsidy-without-convention")
    assert rule.threshold == Decimal("23000") and rule.source_lines == "1061-1065"
    water = Competence.objects.get(code="eau-assainissement")
    assert list(water.themes.values_list("slug", flat=True)) == ["eau-et-assainissement"]
    call_command("load_compliance", verbosity=0)  # idempotent
    assert Rule.objects.count() == 7 and GroupementCompetence.objects.count() == 3


# --------------------------------------------------------------------------- partners


def test_sanctioned_country_area_and_unrecognised(atlas):
    p1, qm = atlas["p1"], atlas["qm"]
    assert [w for w in compliance_warnings_for(record=p1) if w["rule"].startswith("partner")] == []
    kind = RestrictedEntityKind.objects.get(code="sanctioned-area")
    RestrictedEntity.objects.create(
        kind=kind, name="Région fictive Un", area=atlas["qm11"].parent, legal_reference="Règlement fictif"
    )
    warnings = compliance_warnings_for(record=p1)
    hit = [w for w in warnings if w["rule"] == "partner-sanctioned"]
    assert len(hit) == 1
    assert "Cercle de Quimbé" in hit[0]["message"] and "Règlement fictif" in hit[0]["message"]
    assert hit[0]["source"] == {"document": "001", "lines": "1077-1083", "quote": hit[0]["source"]["quote"]}
    assert hit[0]["record"]["html_url"] == p1.get_absolute_url()
    # The project located there is flagged too (participant and area).
    assert "partner-sanctioned" in _rules(compliance_warnings_for(record=atlas["project"]))
    qm.is_recognised = False
    qm.save()
    assert "partner-unrecognised" in _rules(compliance_warnings_for(record=p1))


def test_foreign_state_service_as_partner(atlas):
    state = f.OrganisationFactory(
        name="Ministère fictif de QM", kind="state", country=atlas["qm"], slug="ministere-qm"
    )
    atlas["p1"].organisations.add(state)
    hit = [w for w in compliance_warnings_for(record=atlas["p1"]) if w["rule"] == "partner-foreign-state"]
    assert len(hit) == 1 and "Ministère fictif de QM" in hit[0]["message"]
    # A French State service is not a foreign State.
    atlas["p1"].organisations.set(
        [f.OrganisationFactory(kind="state", country=f.france(), slug="prefecture-test")]
    )
    assert "partner-foreign-state" not in _rules(compliance_warnings_for(record=atlas["p1"]))


def test_deactivating_a_rule_in_the_table_silences_it(atlas):
    atlas["qm"].is_recognised = False
    atlas["qm"].save()
    Rule.objects.filter(code="partner-unrecognised").update(is_active=False)
    assert "partner-unrecognised" not in _rules(compliance_warnings_for(record=atlas["p1"]))


# --------------------------------------------------------------------------- groupements


def test_water_syndicate_inside_and_outside_its_competence(atlas):
    syndicat = f.AuthorityFactory(
        name="Syndicat des eaux de Zorglub", kind="syndicat", country=f.france(), slug="syndicat-eaux-zorglub"
    )
    water = Theme.objects.get(slug="eau-et-assainissement")
    governance = Theme.objects.get(slug="gouvernance-locale-et-appui-institutionnel")
    project = f.ProjectFactory(
        participants=[(syndicat, "lead"), atlas["cercle"]], themes=[water], countries=[atlas["qm"]]
    )
    ProjectSector.objects.create(project=project, sector=f.SectorFactory(code="14030"))
    assert [w for w in compliance_warnings_for(record=project) if w["rule"].startswith("groupement")] == []
    f.m.ProjectTheme.objects.create(project=project, theme=governance, priority=2)
    hit = [w for w in compliance_warnings_for(record=project) if w["rule"] == "groupement-outside-competence"]
    assert len(hit) == 1
    assert "Syndicat des eaux de Zorglub" in hit[0]["message"]
    assert "Gouvernance locale et appui institutionnel" in hit[0]["message"]
    assert "Eau et assainissement" not in hit[0]["message"].split(":")[-1]


def test_groupement_without_known_competences_is_an_info(atlas):
    cc = f.AuthorityFactory(
        name="Communauté de communes fictive", kind="cc", country=f.france(), slug="cc-fictive"
    )
    project = f.ProjectFactory(
        participants=[(cc, "lead")], themes=[Theme.objects.get(slug="eau-et-assainissement")]
    )
    hit = [w for w in compliance_warnings_for(record=project) if w["rule"].startswith("groupement")]
    assert [(w["rule"], w["severity"]) for w in hit] == [("groupement-competences-unknown", "info")]
    # An administrator records its competence: the notice goes.
    GroupementCompetence.objects.create(authority=cc, competence_id="eau-assainissement")
    assert not [w for w in compliance_warnings_for(record=project) if w["rule"].startswith("groupement")]


# --------------------------------------------------------------------------- subsidies


def _subsidy_project(atlas, amount, *, convention=False, cofunder=False):
    p = f.PartnershipFactory(parties=[atlas["commune"], atlas["cercle"]])
    if convention:
        f.ConventionFactory(partnership=p)
    project = f.ProjectFactory(participants=[(atlas["commune"], "lead")], partnerships=[p])
    f.FundingFactory(
        project=project,
        funder_organisation=None,
        funder_authority=atlas["commune"],
        amount=Decimal(amount),
        year=2020,
    )
    if cofunder:
        f.FundingFactory(project=project, funder_organisation=atlas["org"], amount=Decimal("1000"))
    return project


@pytest.mark.parametrize(
    "amount,convention,cofunder,expected",
    [
        ("23000.01", False, False, True),
        ("23000.00", False, False, False),
        ("50000", True, False, False),
        ("5000", False, True, True),  # co-funded: a convention whatever the amount
        ("5000", True, True, False),
    ],
)
def test_subsidy_above_threshold_without_convention(atlas, amount, convention, cofunder, expected):
    project = _subsidy_project(atlas, amount, convention=convention, cofunder=cofunder)
    hit = [w for w in compliance_warnings_for(record=project) if w["rule"] == "subsidy-without-convention"]
    assert bool(hit) is expected
    if hit:
        assert hit[0]["record"]["kind"] == "fundingcontribution"
        assert hit[0]["record"]["html_url"] == project.get_absolute_url()
        assert "Zörglüb-lès-Bains" in hit[0]["message"]
        line = project.funding.get(funder_authority=atlas["commune"])
        assert _rules(compliance_warnings_for(record=line)) == ["subsidy-without-convention"]


def test_a_deleted_convention_does_not_count(atlas):
    project = _subsidy_project(atlas, "40000", convention=True)
    Convention.objects.filter(partnership__projects=project).update(deleted_at=timezone.now())
    assert "subsidy-without-convention" in _rules(compliance_warnings_for(record=project))


def test_a_deleted_partnerships_convention_does_not_count(atlas):
    """A deleted partnership's conventions cover nothing (now through Record.live_q)."""
    from coopatlas.cooperation.models import Partnership

    project = _subsidy_project(atlas, "40000", convention=True)
    assert "subsidy-without-convention" not in _rules(compliance_warnings_for(record=project))
    Partnership.objects.filter(projects=project).update(deleted_at=timezone.now())
    assert "subsidy-without-convention" in _rules(compliance_warnings_for(record=project))


# --------------------------------------------------------------------------- conventions


def test_convention_missing_parties_purpose_duration_commitment(atlas):
    convention = f.ConventionFactory(
        partnership=atlas["p2"], title="Convention vide", estimated_commitment=None
    )
    [w] = compliance_warnings_for(record=convention)
    assert w["rule"] == "convention-incomplete" and w["source"]["lines"] == "1144-1163"
    for missing in ("parties signataires", "l'objet", "la durée", "montant prévisionnel"):
        assert missing in w["message"]
    convention.parties.set([atlas["dept"], atlas["ville"]])
    Convention.objects.filter(pk=convention.pk).update(
        purpose="Coopération", duration_months=36, estimated_commitment=Decimal("10000")
    )
    assert compliance_warnings_for(record=convention) == []
    # A partnership's warnings include its conventions'.
    assert "convention-incomplete" not in _rules(compliance_warnings_for(record=atlas["p2"]))


def test_all_lists_every_record_and_skips_deleted_ones(atlas):
    project = _subsidy_project(atlas, "90000")
    everything = compliance_warnings_all()
    assert any(
        w["rule"] == "subsidy-without-convention" and w["record"]["html_url"] == project.get_absolute_url()
        for w in everything
    )
    assert any(w["rule"] == "convention-incomplete" for w in everything)
    type(project).objects.filter(pk=project.pk).update(deleted_at=timezone.now())
    assert not any(w["record"]["html_url"] == project.get_absolute_url() for w in compliance_warnings_all())


def test_other_records_have_no_warnings(atlas):
    assert compliance_warnings_for(record=atlas["org"]) == []


# --------------------------------------------------------------------------- list page


def test_list_page_for_administrators_only(atlas, client):
    hostile = f.ConventionFactory(
        partnership=atlas["p2"], title="<img src=x onerror=alert(1)>", estimated_commitment=None
    )
    assert hostile.pk
    url = "/conformite/"
    assert client.get(url)["Location"].startswith("/compte/connexion/")
    editor, _ = accounts.user_add(
        email="ed@example.org", role="editor", authorities=[atlas["commune"]], password="x" * 12
    )
    client.force_login(editor)
    assert client.get(url).status_code == 403
    admin, _ = accounts.user_add(email="adm@example.org", role="admin", password="x" * 12)
    client.force_login(admin)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Convention incomplète" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    data = client.get(url, {"format": "json", "rule": "convention-incomplete"}).json()
    assert data["count"] >= 1 and {w["rule"] for w in data["results"]} == {"convention-incomplete"}


def test_template_tag_renders_the_warnings(atlas):
    from django.template import Context, Template

    convention = f.ConventionFactory(partnership=atlas["p2"], estimated_commitment=None)
    html = Template("{% load compliance_tags %}{% compliance_warnings record %}").render(
        Context({"record": convention})
    )
    assert "Convention incomplète" in html and "1144-1163" in html
