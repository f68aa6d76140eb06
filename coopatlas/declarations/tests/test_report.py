"""The report against hand-computed small cases: sums exact to the cent."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from coopatlas.declarations import selectors
from coopatlas.declarations import services as s

from .conftest import YEAR


def declare(
    world, key: str, lines: list[dict], *, year: int = YEAR, validate: bool = True, nothing: bool = False
):
    editor, admin = world["users"][key], world["users"]["admin"]
    d = s.declaration_create(actor=editor, authority=world[key], year=year)
    for data in lines:
        s.line_add(actor=editor, declaration=d, data=data)
    if nothing:
        s.declaration_nothing_set(actor=editor, declaration=d, nothing=True)
    s.declaration_submit(actor=editor, declaration=d)
    if validate:
        s.declaration_validate(actor=admin, declaration=d)
    return d


def small_case(world):
    declare(
        world,
        "a",
        [
            {
                "type": "project",
                "amount": "1000.10",
                "country": "ML",
                "sector": "14030",
                "channel": "12000",
                "markers": {"gender": 2},
            },
            {"type": "ngo-grant", "amount": "250.55", "country": "SN", "markers": {"gender": 1}},
            {"type": "refugees", "amount": "300.00", "under_12_months": True},
            {"type": "refugees", "amount": "99.99", "under_12_months": False},
            {"type": "awareness", "amount": "40.01", "markers": {"environment": 1}},
            {"type": "multilateral", "amount": "500", "channel": "41000"},
            {"type": "project", "amount": "77.77", "country": "DE"},
        ],
    )
    declare(
        world,
        "b",
        [
            {"type": "project", "amount": "0.01", "country": "ML", "sector": "14030"},
            {"type": "scholarships", "amount": "1234.56", "country": "MG"},
        ],
    )
    declare(world, "c", [], nothing=True)


def test_national_report_equals_hand_computed_sums(world):
    small_case(world)
    r = selectors.report(year=YEAR)
    # Other years or other tests' lines are not in this transaction; the demo has none.
    assert r["total"] == "3325.23"  # 1000.10+250.55+300+40.01+500+0.01+1234.56
    assert r["bilateral"] == "2825.23"
    assert r["multilateral"] == "500.00"
    assert r["bilateral_excluding_refugees"] == "2525.23"
    assert r["refugees"] == "300.00"
    assert r["awareness"] == "40.01"
    assert [(c["country"], c["amount"], c["rank"]) for c in r["by_country"]] == [
        ("MG", "1234.56", 1),
        ("ML", "1000.11", 2),
        ("SN", "250.55", 3),
    ]
    assert r["by_country"][1]["share"] == str(
        (Decimal("1000.11") / Decimal("2525.23")).quantize(Decimal("0.0001"))
    )
    assert r["top10_share"] == "0.9842"  # 2485.22 / 2525.23
    assert r["markers"]["gender"] == "1250.65"
    assert r["markers"]["environment"] == "40.01"
    assert r["markers"]["biodiversity"] == "0.00"
    assert r["declarants"] == 3 and r["declarants_nothing"] == 1
    assert r["not_oda"]["amount"] == "177.76"  # DE project 77.77 + refugees ≥ 12 months 99.99
    kinds = {row["code"]: row["amount"] for row in r["by_authority_kind"]}
    assert kinds == {"commune": "3325.23"}
    assert [(x["code"], x["amount"]) for x in r["by_french_region"]] == [("FR-BRE", "3325.23")]
    sectors = {row["code"]: row["amount"] for row in r["by_sector"]}
    assert sectors["14030"] == "1000.11" and sectors[None] == "2325.12"
    types = {row["code"]: row["amount"] for row in r["by_type"]}
    assert types["scholarships"] == "1234.56" and types["refugees"] == "300.00"


def test_report_equals_a_plain_sql_sum(world):
    small_case(world)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT SUM(l.amount_cents) FROM declarations_declarationline l
            JOIN declarations_declarationversion v ON v.id = l.version_id
            JOIN declarations_declaration d ON d.id = v.declaration_id
            WHERE v.is_counted AND l.counts_as_oda AND d.year = %s""",
            [YEAR],
        )
        cents = cursor.fetchone()[0]
    assert selectors.report(year=YEAR)["total"] == selectors.cents_str(cents) == "3325.23"


def test_pending_and_drafts_are_not_counted_and_year_on_year(world):
    declare(world, "a", [{"type": "project", "amount": "10.00", "country": "ML"}], year=YEAR - 1)
    declare(world, "a", [{"type": "project", "amount": "15.50", "country": "ML"}])
    declare(world, "b", [{"type": "project", "amount": "99.00", "country": "ML"}], validate=False)
    r = selectors.report(year=YEAR)
    assert r["total"] == "15.50"
    assert r["pending"] == {"declarations": 1, "amount": "99.00"}
    assert r["previous_year"] == {
        "year": YEAR - 1,
        "total": "10.00",
        "change": "5.50",
        "change_share": "0.5500",
    }


def test_many_lines_sum_exactly(world):
    """300 lines of 0.01 to 999.99: floating point would drift, whole cents do not."""
    editor = world["users"]["a"]
    d = s.declaration_create(actor=editor, authority=world["a"], year=YEAR)
    amounts = [Decimal(i * 333 % 100000) / 100 + Decimal("0.01") for i in range(300)]
    for amount in amounts:
        s.line_add(
            actor=editor, declaration=d, data={"type": "project", "amount": str(amount), "country": "SN"}
        )
    s.declaration_submit(actor=editor, declaration=d)
    s.declaration_validate(actor=world["users"]["admin"], declaration=d)
    assert Decimal(selectors.report(year=YEAR)["total"]) == sum(amounts)


def test_country_fiche_selector(world):
    small_case(world)
    rows = selectors.aid_by_year_for_country(iso2="ml")
    assert rows[0]["year"] == YEAR and rows[0]["amount"] == "1000.11"
    assert rows[0]["authorities"] == 2


def test_unknown_year_names_the_field(world):
    import pytest

    from coopatlas.core.errors import AppError

    with pytest.raises(AppError) as exc:
        selectors.report(year=1995)
    assert exc.value.field == "year"
