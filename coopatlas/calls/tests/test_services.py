"""Applications through the services: prefilled from the project, deadline to the second in
Europe/Paris, versions, return and resubmission, co-applicants, opinions, decisions."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.core import mail

from coopatlas.calls import selectors, services
from coopatlas.calls.models import Application, Opinion, Tranche
from coopatlas.core.errors import AppError, Conflict
from coopatlas.core.testing import assert_nothing_written, table_counts

from .conftest import paris

BEFORE = paris(2026, 3, 1, 10, 0, 0)


def start(world, requested="960000"):
    return services.application_start(
        actor=world["users"]["editor"],
        call=world["call"],
        project=world["project"],
        requested=requested,
        now=BEFORE,
    )


def test_prefilled_from_the_project(world):
    app = services.application_start(
        actor=world["users"]["editor"], call=world["call"], project=world["project"], now=BEFORE
    )
    assert app.lead == world["commune"]
    assert app.requested is None  # the plan has no DAECT line yet: asked for
    project = selectors.project_for_snapshot(world["project"].pk)
    result = selectors.eligibility(project=project, call=world["call"], requested=D("960000"))
    checks = {c["key"]: c for c in result["checks"]}
    # 2 000 000 budget = 700 000 (association) + 340 000 (commune) + 960 000 asked.
    assert checks["budget"]["ok"] is True
    # QM is an LDC in the geo data (CountryOdaStatus 2024), not a CICID priority: 50 % in 2020.
    assert (
        checks["ministry_share"]["reason"]
        == "part du ministère 48 % ≤ plafond 50 % pour un pays éligible à l'APD non prioritaire"
    )
    missing = selectors.missing_of(result)
    assert "pièce manquante : délibération de l'assemblée" in missing


def test_submit_keeps_a_version_routes_to_the_embassy_and_sends_a_receipt(
    world, django_capture_on_commit_callbacks
):
    app = start(world)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    app.refresh_from_db()
    assert (app.status, version.number, version.snapshot["requested"]) == ("submitted", 1, "960000.00")
    assert list(Opinion.objects.filter(application=app).values_list("country_id", flat=True)) == ["QM"]
    assert len(mail.outbox) == 1 and "Accusé de réception" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["editor@example.org"]


@pytest.mark.parametrize(
    "now, accepted",
    [
        # 29 March 2026, clocks go forward at 02:00: noon in Paris is 10:00 UTC (CEST).
        (datetime(2026, 3, 29, 9, 59, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 10, 0, 0, tzinfo=UTC), False),
        # 11:00 UTC would still be before noon in winter time: refused now.
        (datetime(2026, 3, 29, 10, 30, 0, tzinfo=UTC), False),
    ],
)
def test_deadline_to_the_second_across_daylight_saving(world, now, accepted):
    app = start(world)
    before = table_counts()
    if accepted:
        services.application_submit(actor=world["users"]["editor"], application=app, now=now)
        return
    with pytest.raises(AppError) as exc:
        services.application_submit(actor=world["users"]["editor"], application=app, now=now)
    assert exc.value.field == "deadline_at"
    assert "29/03/2026 à 12:00:00 (heure de Paris)" in exc.value.message
    assert_nothing_written(before)


def test_deadline_in_winter_time(world):
    admin = world["admin"]
    call = services.call_create(
        actor=admin,
        slug="hiver",
        title="Hiver",
        ruleset=world["rulesets"]["daect-generaliste-v1"],
        opens_at=paris(2025, 12, 1, 0, 0, 0),
        deadline_at=paris(2026, 1, 15, 23, 59, 59),
    )
    call = services.call_open(actor=admin, call=call)
    app = services.application_start(
        actor=world["users"]["editor"],
        call=call,
        project=world["project"],
        requested="960000",
        now=paris(2026, 1, 2, 8, 0, 0),
    )
    # 23:59:59 in Paris in January is 22:59:59 UTC (CET, +1).
    with pytest.raises(AppError):
        services.application_submit(
            actor=world["users"]["editor"], application=app, now=datetime(2026, 1, 15, 22, 59, 59, tzinfo=UTC)
        )
    services.application_submit(
        actor=world["users"]["editor"], application=app, now=datetime(2026, 1, 15, 22, 59, 58, tzinfo=UTC)
    )


def test_a_budget_that_does_not_add_up_is_refused(world):
    app = start(world, requested="500000")
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    assert exc.value.field == "budget"
    message = exc.value.message.replace("\u202f", " ").replace("\u00a0", " ")
    assert "ressources 1 540 000 € ≠ budget 2 000 000 € (écart 460 000 €)" in message
    assert_nothing_written(before)


def test_returned_then_resubmitted_keeps_both_versions(world):
    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    with pytest.raises(AppError) as exc:
        services.application_return(actor=world["admin"], application=app, comment="  ")
    assert exc.value.field == "comment"
    services.application_return(actor=world["admin"], application=app, comment="Joignez la délibération.")
    app.refresh_from_db()
    assert (app.status, app.return_comment) == ("returned", "Joignez la délibération.")
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    assert list(app.versions.values_list("number", "return_comment")) == [
        (1, "Joignez la délibération."),
        (2, ""),
    ]


def test_each_co_applicant_confirms_before_submission(world):
    from coopatlas.cooperation.models import ProjectParticipant

    ProjectParticipant.objects.create(project=world["project"], authority=world["dept"], role="partner")
    app = start(world)
    assert {(c.authority.name, c.confirmed_at is None) for c in app.coapplicants.all()} == {
        ("Zörglüb-lès-Bains", False),
        ("Département Zorglubien", True),
    }
    with pytest.raises(AppError) as exc:
        services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    assert exc.value.field == "coapplicants" and "Département Zorglubien" in exc.value.message
    # the facilitator acts for the département
    services.application_confirm(
        actor=world["users"]["facilitator"], application=app, authority=world["dept"]
    )
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)


def test_opinion_then_grant_becomes_the_funding_line_with_a_schedule(world):
    from coopatlas.cooperation.models import FundingContribution

    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    qm = world["qm"]
    with pytest.raises(AppError) as exc:
        services.opinion_give(
            actor=world["users"]["embassy"], application=app, country=qm, verdict="reserved", now=BEFORE
        )
    assert exc.value.field == "comment"
    late = paris(2026, 4, 30, 18, 0, 0)
    with pytest.raises(AppError) as exc:
        services.opinion_give(
            actor=world["users"]["embassy"], application=app, country=qm, verdict="favourable", now=late
        )
    assert exc.value.field == "opinion_deadline_at"
    services.opinion_give(
        actor=world["users"]["embassy"],
        application=app,
        country=qm,
        verdict="favourable",
        comment="Partenariat solide.",
        now=BEFORE,
    )
    score = services.scores_set(
        actor=world["admin"],
        application=app,
        values={"pertinence": 5, "partenariat": 4, "faisabilite": 3, "impact": "2"},
    )
    # 30·5/5 + 25·4/5 + 25·3/5 + 20·2/5 = 30 + 20 + 15 + 8 = 73
    assert score == D("73.00")
    with pytest.raises(AppError) as exc:
        services.decision_record(actor=world["admin"], application=app, granted=True, amount="970000")
    assert exc.value.field == "granted"  # more than asked
    services.decision_record(actor=world["admin"], application=app, granted=True, amount="900000", now=BEFORE)
    app.refresh_from_db()
    line = app.funding_line
    assert (line.instrument, line.amount, line.funder_organisation.acronym) == (
        "daect_call",
        D("900000.00"),
        "DAECT",
    )
    assert FundingContribution.objects.filter(project=world["project"], instrument="daect_call").count() == 1
    tranches = list(app.tranches.values_list("amount", "condition"))
    assert sum(a for a, _ in tranches) == D("900000.00")
    assert tranches[-1] == (D("180000.00"), Tranche.Condition.FINAL)  # the last 20 % on the final report
    # a report must be there before its tranche is approved
    interim = app.tranches.exclude(condition="signature").first()
    with pytest.raises(AppError) as exc:
        services.tranche_approve(actor=world["admin"], tranche=interim)
    assert exc.value.field == "report"


def test_refusal_needs_its_reason(world):
    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    with pytest.raises(AppError) as exc:
        services.decision_record(actor=world["admin"], application=app, granted=False)
    assert exc.value.field == "reason"
    services.decision_record(
        actor=world["admin"], application=app, granted=False, reason="Budget de l'appel épuisé."
    )
    assert Application.objects.get(pk=app.pk).status == "refused"


def test_a_call_is_frozen_once_open(world):
    call, admin = world["call"], world["admin"]
    before = table_counts()
    for field, value in (
        ("ruleset", world["rulesets"]["daect-generaliste-v2"]),
        ("deadline_at", paris(2026, 4, 1, 12, 0, 0)),
    ):
        with pytest.raises(Conflict) as exc:
            services.call_update(actor=admin, call=call, **{field: value})
        assert exc.value.field == field and "sont figés" in exc.value.message
    assert_nothing_written(before)
    services.call_update(actor=admin, call=call, summary="Texte corrigé")  # texts may change


def test_frozen_rules_need_a_new_version(world):
    import yaml

    from coopatlas.calls.rules import DATA_DIR

    data = yaml.safe_load((DATA_DIR / "daect-generaliste-2020.yaml").read_text())
    data["ministry_share"]["caps_by_category"]["oda_eligible"] = 55
    before = table_counts()
    with pytest.raises(Conflict) as exc:
        services.ruleset_load(actor=world["admin"], data=data)
    assert exc.value.field == "version" and "version: 2" in exc.value.message
    assert_nothing_written(before)
    data["version"] = 3
    assert services.ruleset_load(actor=world["admin"], data=data).version == 3


def test_a_contradictory_rule_file_writes_nothing(world):
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.ruleset_load(
            actor=world["admin"], text="key: x\ntitle: X\nsource: s\ngrant: {min: 10, max: 5}\n"
        )
    assert exc.value.field == "grant.min"
    assert_nothing_written(before)


def test_call_dates_must_follow_each_other(world):
    before = table_counts()
    with pytest.raises(AppError) as exc:
        services.call_create(
            actor=world["admin"],
            slug="x",
            title="X",
            ruleset=world["rulesets"]["daect-generaliste-v2"],
            opens_at=paris(2026, 3, 1, 0, 0, 0),
            deadline_at=paris(2026, 2, 1, 0, 0, 0),
        )
    assert exc.value.field == "deadline_at"
    assert_nothing_written(before)


def test_embassies_are_reminded_of_awaited_opinions(world, django_capture_on_commit_callbacks):
    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.opinions_remind(actor=world["admin"], call=world["call"], now=BEFORE) == 1
    assert mail.outbox[0].to == ["embassy@example.org"] and "Pays fictif QM" in mail.outbox[0].body
    with pytest.raises(AppError):
        services.opinions_remind(actor=world["users"]["editor"], call=world["call"], now=BEFORE)


def test_the_grant_reaches_the_atlas_and_iati(world):
    from lxml import etree

    from coopatlas.cooperation.selectors.projects import project_detail
    from coopatlas.iati.export import activity_element

    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    services.decision_record(actor=world["admin"], application=app, granted=True, amount="960000", now=BEFORE)
    lines = project_detail(slug="puits-quimbe")["funding"]
    grant = next(x for x in lines if x["instrument"] == "daect_call")
    assert (grant["amount"], grant["funder"]["name"]) == (
        "960000.00",
        "Délégation pour l'action extérieure des collectivités territoriales",
    )
    from decimal import Decimal

    from coopatlas.cooperation.models import ProjectSector

    # IATI publishes no activity without a DAC sector (rule 6.2.2): give the project one
    ProjectSector.objects.get_or_create(
        project=world["project"], sector_id="14030", defaults={"percentage": Decimal("100")}
    )
    xml = etree.tostring(activity_element(world["project"]), encoding="unicode")
    assert "Délégation pour l'action extérieure des collectivités territoriales" in xml
    assert 'instrument="daect_call"' in xml and "960000" in xml
