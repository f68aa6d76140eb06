"""A granted application in the authority's aid declaration (issue 10, round 4).

The rule applied (declarations/data/rules.yaml, `received_instruments`): the declaration
counts the authority's own aid (art. L1115-6 CGCT, seed 001 lines 696-706); the ministry's
grant is the State's aid, reported by the State, so the declaration shows it as co-funding
received for the project and never adds it to the authority's total."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from coopatlas.calls import services
from coopatlas.cooperation.models import FundingContribution

from .test_services import BEFORE, start

YEAR = BEFORE.year  # the grant's funding line carries the year of the decision


@pytest.fixture
def granted(world):
    from coopatlas.declarations.services import rules_load

    rules_load()
    # the commune's own cash for the project, paid the year of the grant
    FundingContribution.objects.filter(project=world["project"], funder_authority=world["commune"]).update(
        year=YEAR
    )
    app = start(world)
    services.application_submit(actor=world["users"]["editor"], application=app, now=BEFORE)
    services.decision_record(actor=world["admin"], application=app, granted=True, amount="900000", now=BEFORE)
    app.refresh_from_db()
    return app


def _declaration(world):
    from coopatlas.declarations import services as declarations

    return declarations.declaration_create(
        actor=world["users"]["editor"], authority=world["commune"], year=YEAR
    )


def test_prefill_counts_the_authoritys_own_cash_and_names_the_grant_it_left_out(world, granted):
    from coopatlas.declarations import selectors as dsel
    from coopatlas.declarations import services as declarations

    declaration = _declaration(world)
    created = declarations.declaration_prepare(actor=world["users"]["editor"], declaration=declaration)[
        "created"
    ]
    assert [(line.project_id, line.amount_cents) for line in created] == [(world["project"].pk, 34_000_000)]
    comment = created[0].comment.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Cofinancement reçu non compté" in comment and "900 000,00 €" in comment
    detail = dsel.declaration_detail(declaration=declaration, user=world["users"]["editor"])
    assert detail["total"] == "340000.00"  # the grant is not the commune's own aid
    received = detail["received_cofunding"]
    assert received["total"] == "900000.00"
    (line,) = received["lines"]
    assert (line["instrument"], line["funder"], line["amount"], line["counted"]) == (
        "daect_call",
        "DAECT",
        "900000.00",
        False,
    )
    assert "AAP" in line["note"]


def test_the_declaration_page_and_its_json_show_the_grant_received(client, world, granted):
    declaration = _declaration(world)
    client.force_login(world["users"]["editor"])
    url = reverse("declarations:declaration", kwargs={"pk": declaration.pk})
    page = client.get(url).content.decode()
    assert "data-received-cofunding" in page and "Cofinancements reçus pour vos projets (non comptés)" in page
    assert "900\u202f000\u00a0€" in page and "Appel à projets DAECT (MEAE)" in page
    data = client.get(url, {"format": "json"}).json()
    assert data["received_cofunding"]["total"] == "900000.00"


def test_declaring_the_grant_as_own_aid_is_flagged(world, granted):
    from coopatlas.declarations import selectors as dsel
    from coopatlas.declarations import services as declarations

    declaration = _declaration(world)
    declarations.line_add(
        actor=world["users"]["editor"],
        declaration=declaration,
        data={
            "type": "project",
            "amount": "1240000",
            "project": str(world["project"].pk),
            "country": "QM",
        },
    )
    (warning,) = dsel.declaration_detail(declaration=declaration, user=world["users"]["editor"])["warnings"]
    text = warning["message"].replace("\u202f", " ").replace("\u00a0", " ")
    assert "a reçu 900 000,00 € de cofinancement" in text and "ne l'ajoutez pas" in text


def test_the_national_report_shows_received_cofunding_beside_the_total(world, granted):
    from coopatlas.cooperation.models import Project
    from coopatlas.declarations import selectors as dsel

    Project.objects.filter(pk=world["project"].pk).update(publication_status="published")
    FundingContribution.objects.filter(pk=granted.funding_line_id).update(publication_status="published")
    data = dsel.report(year=YEAR)
    assert D(data["received_cofunding"]) >= D("900000.00")
    rows = {(r["section"], r["code"]): r for r in dsel.report_csv_rows(data)}
    assert rows[("total", "received_cofunding")]["amount"] == data["received_cofunding"]


def test_a_rules_file_listing_an_instrument_both_as_own_and_received_is_refused(tmp_path, db):
    import shutil

    from coopatlas.core.errors import AppError
    from coopatlas.declarations.services import DATA_DIR, rules_load

    for name in ("rules.yaml", "Region.xml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "rules.yaml"
    path.write_text(
        path.read_text().replace(
            "received_instruments: [daect_call,", "received_instruments: [own_funds, daect_call,"
        )
    )
    with pytest.raises(AppError) as exc:
        rules_load(data_dir=tmp_path)
    assert exc.value.field == "received_instruments" and "own_funds" in exc.value.message
