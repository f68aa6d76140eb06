"""Each rule with its message, the workflow, versions after validation, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coopatlas.accounts.permissions import PermissionDenied
from coopatlas.core.errors import AppError
from coopatlas.core.testing import assert_nothing_written, table_counts
from coopatlas.declarations import selectors
from coopatlas.declarations import services as s
from coopatlas.declarations.models import State

from .conftest import YEAR


@pytest.fixture
def decl(world):
    return s.declaration_create(actor=world["users"]["a"], authority=world["a"], year=YEAR)


def add(world, decl, **data):
    return s.line_add(actor=world["users"]["a"], declaration=decl, data=data)


def rejected(world, decl, **data) -> AppError:
    before = table_counts()
    with pytest.raises(AppError) as exc:
        add(world, decl, **data)
    assert_nothing_written(before)
    return exc.value


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "amount, words",
    [
        ("0", "strictement positif"),
        ("-5", "strictement positif"),
        ("12.345", "plus de deux décimales"),
        ("douze", "n'est pas un montant"),
    ],
)
def test_amount_rules(world, decl, amount, words):
    err = rejected(world, decl, type="project", amount=amount, country="ML")
    assert "amount" in err.errors and words in err.errors["amount"][0]


def test_marker_values_only_0_1_2(world, decl):
    err = rejected(
        world, decl, type="project", amount="10", country="ML", markers={"gender": 3, "nutrition": 1}
    )
    assert list(err.errors) == ["markers.gender"]
    assert "0 (non ciblé), 1 (objectif significatif) ou 2" in err.errors["markers.gender"][0]
    err = rejected(world, decl, type="project", amount="10", markers={"climate": 1})
    assert "marqueur inconnu" in err.errors["markers.climate"][0]


def test_unknown_type_country_sector_channel_all_named(world, decl):
    err = rejected(world, decl, type="gift", amount="10", country="XX", sector="1403", channel="99999")
    assert set(err.errors) == {"type", "country", "sector", "channel"}
    assert "project, ngo-grant" in err.errors["type"][0]


def test_country_or_region_not_both(world, decl):
    err = rejected(world, decl, type="project", amount="10", country="ML", region="298")
    assert "pas les deux" in err.errors["region"][0]
    line = add(world, decl, type="project", amount="10", region="298")
    assert line.counts_as_oda and line.region_id == "298"


def test_non_eligible_country_kept_but_not_counted_with_reason(world, decl):
    line = add(world, decl, type="project", amount="77.77", country="DE")
    assert not line.counts_as_oda
    assert "liste CAD des pays éligibles" in line.not_oda_reason and "DE" in line.not_oda_reason
    assert add(world, decl, type="project", amount="1", country="ML").counts_as_oda


def test_refugee_12_month_rule(world, decl):
    err = rejected(world, decl, type="refugees", amount="300")
    assert "under_12_months" in err.errors and "attestation" in err.errors["under_12_months"][0]
    assert add(world, decl, type="refugees", amount="300", under_12_months=True).counts_as_oda
    late = add(world, decl, type="refugees", amount="300", under_12_months=False)
    assert not late.counts_as_oda and "moins de 12 mois" in late.not_oda_reason
    err = rejected(world, decl, type="project", amount="1", country="ML", under_12_months=True)
    assert "ne s'applique qu'aux lignes" in err.errors["under_12_months"][0]


def test_scholarship_rule(world, decl):
    assert add(world, decl, type="scholarships", amount="1000", country="MG").counts_as_oda
    rich = add(world, decl, type="scholarships", amount="1000", country="US")
    assert not rich.counts_as_oda and "Bourse non comptée" in rich.not_oda_reason
    unknown = add(world, decl, type="scholarships", amount="1000")
    assert not unknown.counts_as_oda and "pays d'origine" in unknown.not_oda_reason


def test_project_above_recorded_payment_warns(world, decl):
    from coopatlas.cooperation.tests import factories as f

    project = f.ProjectFactory(participants=[world["a"]])
    f.FundingFactory(
        project=project,
        funder_organisation=None,
        funder_authority=world["a"],
        amount=Decimal("100.00"),
        year=YEAR,
        instrument="own_funds",
    )
    add(world, decl, type="project", amount="100.00", project=project.slug)
    assert selectors.project_warnings(version=decl.versions.get()) == []
    add(world, decl, type="project", amount="0.01", project=project.slug)
    warnings = selectors.project_warnings(version=decl.versions.get())
    assert len(warnings) == 1 and "100,01\u00a0€ déclarés" in warnings[0]["message"]
    other = f.ProjectFactory(participants=[world["b"]])
    err = rejected(world, decl, type="project", amount="1", project=other.slug)
    assert "parmi ceux de" in err.errors["project"][0]


def test_prepare_from_records(world, decl):
    from coopatlas.cooperation.models import ProjectPolicyMarker, ProjectSector
    from coopatlas.cooperation.tests import factories as f
    from coopatlas.geo.models import Country
    from coopatlas.reference.models import PolicyMarker, Sector

    project = f.ProjectFactory(participants=[world["a"]], countries=[Country.objects.get(iso2="ML")])
    ProjectSector.objects.create(project=project, sector=Sector.objects.get(code="14030"))
    ProjectPolicyMarker.objects.create(
        project=project, marker=PolicyMarker.objects.get(slug="gender"), significance=2
    )
    for amount, nature, instrument, year in [
        ("1500.50", "cash", "own_funds", YEAR),
        ("200.00", "cash", "water_1pct", YEAR),
        ("999.00", "in_kind", "own_funds", YEAR),
        ("888.00", "cash", "daect_call", YEAR),
        ("777.00", "cash", "own_funds", YEAR - 1),
    ]:
        f.FundingFactory(
            project=project,
            funder_organisation=None,
            funder_authority=world["a"],
            amount=Decimal(amount),
            nature=nature,
            instrument=instrument,
            year=year,
        )
    result = s.declaration_prepare(actor=world["users"]["a"], declaration=decl)
    [line] = result["created"]
    assert (
        line.amount_cents,
        line.country_id,
        line.sector_id,
        line.marker_gender,
        line.project_id,
        line.line_type,
    ) == (170050, "ML", "14030", 2, project.pk, "project")
    again = s.declaration_prepare(actor=world["users"]["a"], declaration=decl)
    assert again["created"] == [] and decl.versions.get().lines.count() == 1


def test_prepare_leaves_out_a_deleted_project(world, decl):
    """Issue 8: a deleted project's financing lines are no longer prefilled (they were:
    only the line's own deletion was checked)."""
    from coopatlas.cooperation import editing
    from coopatlas.cooperation.tests import factories as f

    kept = f.ProjectFactory(participants=[world["a"]])
    deleted = f.ProjectFactory(participants=[world["a"]])
    for project in (kept, deleted):
        f.FundingFactory(
            project=project,
            funder_organisation=None,
            funder_authority=world["a"],
            amount=Decimal("100.00"),
            nature="cash",
            instrument="own_funds",
            year=YEAR,
        )
    editing.record_delete(actor=world["users"]["admin"], record=deleted, version=deleted.version)
    result = s.declaration_prepare(actor=world["users"]["a"], declaration=decl)
    assert [line.project_id for line in result["created"]] == [kept.pk]


# --------------------------------------------------------------------------- workflow


def test_one_declaration_per_authority_and_year(world, decl):
    with pytest.raises(s.Conflict) as exc:
        s.declaration_create(actor=world["users"]["a"], authority=world["a"], year=YEAR)
    assert "déjà une déclaration" in exc.value.message


def test_workflow_submit_validate_lock_correct(world, decl):
    editor, admin = world["users"]["a"], world["users"]["admin"]
    with pytest.raises(AppError, match="la déclaration est vide"):
        s.declaration_submit(actor=editor, declaration=decl)
    line = add(world, decl, type="project", amount="100", country="ML")
    s.declaration_submit(actor=editor, declaration=decl)
    with pytest.raises(s.Conflict, match="soumise"):
        add(world, decl, type="project", amount="1", country="ML")
    with pytest.raises(AppError, match="comment"):
        s.declaration_return(actor=admin, declaration=decl, comment=" ")
    s.declaration_return(actor=admin, declaration=decl, comment="Précisez le secteur.")
    assert decl.versions.get().state == State.RETURNED
    s.line_update(actor=editor, declaration=decl, line_id=line.pk, data={"sector": "14030"})
    s.declaration_submit(actor=editor, declaration=decl)
    s.declaration_validate(actor=admin, declaration=decl)
    assert selectors.report(year=YEAR)["total"] == "100.00"
    with pytest.raises(s.Conflict, match="verrouillée"):
        s.line_update(actor=editor, declaration=decl, line_id=line.pk, data={"amount": "5"})
    with pytest.raises(s.Conflict):
        s.line_delete(actor=editor, declaration=decl, line_id=line.pk)
    # A correction: version 2, a copy; version 1 kept, locked and still counted.
    v2 = s.declaration_correct(actor=editor, declaration=decl)
    assert v2.number == 2 and v2.lines.count() == 1
    new_line = v2.lines.get()
    s.line_update(actor=editor, declaration=decl, line_id=new_line.pk, data={"amount": "120.00"})
    with pytest.raises(s.Conflict, match="verrouillée"):
        s.line_update(actor=editor, declaration=decl, line_id=line.pk, data={"amount": "5"})
    assert selectors.report(year=YEAR)["total"] == "100.00"
    s.declaration_submit(actor=editor, declaration=decl)
    s.declaration_validate(actor=admin, declaration=decl)
    assert selectors.report(year=YEAR)["total"] == "120.00"
    v1 = decl.versions.get(number=1)
    assert v1.state == State.VALIDATED and not v1.is_counted
    assert v1.lines.get().amount_cents == 10000


def test_nothing_this_year_is_a_valid_declaration(world, decl):
    s.declaration_nothing_set(actor=world["users"]["a"], declaration=decl, nothing=True)
    with pytest.raises(AppError, match="rien à déclarer"):
        add(world, decl, type="project", amount="1", country="ML")
    s.declaration_submit(actor=world["users"]["a"], declaration=decl)
    s.declaration_validate(actor=world["users"]["admin"], declaration=decl)
    r = selectors.report(year=YEAR)
    assert (r["declarants"], r["declarants_nothing"], r["total"]) == (1, 1, "0.00")


# --------------------------------------------------------------------------- permissions


def test_editors_only_their_own_authority(world, decl):
    b, admin = world["users"]["b"], world["users"]["admin"]
    with pytest.raises(PermissionDenied):
        s.declaration_create(actor=b, authority=world["a"], year=YEAR - 1)
    with pytest.raises(PermissionDenied):
        s.line_add(actor=b, declaration=decl, data={"type": "project", "amount": "1"})
    line = add(world, decl, type="project", amount="1", country="ML")
    with pytest.raises(PermissionDenied):
        s.line_delete(actor=b, declaration=decl, line_id=line.pk)
    with pytest.raises(PermissionDenied):
        s.declaration_submit(actor=b, declaration=decl)
    s.declaration_submit(actor=world["users"]["a"], declaration=decl)
    for user in (world["users"]["a"], b, None):
        with pytest.raises(PermissionDenied):
            s.declaration_validate(actor=user, declaration=decl)
    # B cannot see A's draft; everybody sees it once validated.
    from coopatlas.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.declaration_detail(declaration=decl, user=b)
    assert selectors.declaration_list(user=b) == []
    assert [d["id"] for d in selectors.declaration_list(user=admin)] == [decl.pk]
    s.declaration_validate(actor=admin, declaration=decl)
    seen = selectors.declaration_detail(declaration=decl, user=b)
    assert seen["total"] == "1.00" and not seen["can_edit"]


def test_campaign_who_has_declared_and_reminders(world, decl):
    admin = world["users"]["admin"]
    add(world, decl, type="project", amount="1", country="ML")
    s.declaration_submit(actor=world["users"]["a"], declaration=decl)
    status = selectors.campaign_status(year=YEAR, user=admin)
    missing = {row["authority_id"] for row in status["not_declared"]}
    assert world["b"].pk in missing and world["c"].pk in missing and world["a"].pk not in missing
    with pytest.raises(PermissionDenied):
        selectors.campaign_status(year=YEAR, user=world["users"]["a"])
    with pytest.raises(PermissionDenied):
        s.campaign_remind(actor=world["users"]["a"], year=YEAR)
    result = s.campaign_remind(actor=admin, year=YEAR)
    assert result["reminded"] == len(missing)
    assert result["with_email"] >= 2


def test_rules_reload_rechecks_lines(world, decl):
    from coopatlas.declarations.models import LineType

    line = add(world, decl, type="awareness", amount="10")
    LineType.objects.filter(ruleset__year=YEAR, code="awareness").update(counts_as_oda=False)
    assert s.lines_recheck(year=YEAR) == 1
    line.refresh_from_db()
    assert not line.counts_as_oda and "n'est pas compté" in line.not_oda_reason
    s.rules_load()
    line.refresh_from_db()
    assert line.counts_as_oda and line.not_oda_reason == ""


def test_a_line_does_not_reveal_another_authoritys_draft_project(world, decl):
    """Before: « Projet secret de Bêta » n'est pas un projet de … — the title of another
    authority's draft, and a different message from an unknown slug (its existence)."""
    from coopatlas.cooperation.models import PublicationStatus
    from coopatlas.cooperation.tests import factories as f

    f.ProjectFactory(
        title="Projet secret de Bêta",
        slug="secret-beta",
        participants=[(world["b"], "lead")],
        publication_status=PublicationStatus.DRAFT,
    )
    other = rejected(world, decl, type="project", amount="10", country="ML", project="secret-beta")
    unknown = rejected(world, decl, type="project", amount="10", country="ML", project="nulle-part")
    assert "secret" not in other.errors["project"][0].lower().replace("secret-beta", "")
    assert "Bêta" not in other.errors["project"][0]
    assert other.errors["project"][0].replace("secret-beta", "X") == unknown.errors["project"][0].replace(
        "nulle-part", "X"
    )
