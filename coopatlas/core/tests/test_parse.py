"""The one parser of numbers from outside: ASCII digits only, bounded, French amounts."""

from decimal import Decimal

import pytest

from coopatlas.core.errors import AppError
from coopatlas.core.parse import (
    AmountField,
    AsciiIntegerField,
    BadNumber,
    is_ascii_digits,
    parse_decimal,
    parse_id,
    parse_int,
    parse_optional_int,
)

NOT_INTEGERS = [
    "²",
    "⑨",
    "١٢",
    "۱۲",
    "１２",
    "1e3",
    "1.0",
    "",
    " ",
    "abc",
    "12abc",
    "0x10",
    "9" * 30,
    "1_000",
    True,
    None,
    1.5,
    "\x00",
]


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
def test_parse_int_refuses_anything_but_ascii_digits(value):
    with pytest.raises(BadNumber) as err:
        parse_int(value, field="year")
    assert err.value.field == "year" and err.value.message.startswith("year : ")
    assert "0 à 9" in err.value.message or "bornes" in err.value.message


@pytest.mark.parametrize("value, expected", [("12", 12), (" 2019 ", 2019), ("-3", -3), (7, 7), ("+4", 4)])
def test_parse_int_accepts_ascii_integers(value, expected):
    assert parse_int(value, field="x") == expected


def test_parse_int_bounds_name_the_field_and_the_range():
    with pytest.raises(AppError, match=r"year : 1800 est hors des bornes \(de 1990 à 2100\)"):
        parse_int("1800", field="year", minimum=1990, maximum=2100)
    assert parse_optional_int("", field="v") is None
    with pytest.raises(AppError):
        parse_id("0", field="pk")
    with pytest.raises(AppError):
        parse_id(str(2**63), field="pk")
    assert parse_id(str(2**63 - 1), field="pk") == 2**63 - 1


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1 145 000,50", Decimal("1145000.50")),
        ("1\u00a0145\u00a0000", Decimal("1145000.00")),
        ("1\u202f000,5", Decimal("1000.50")),
        ("1234.56", Decimal("1234.56")),
        ("12 €", Decimal("12.00")),
        (12, Decimal("12.00")),
        (12.5, Decimal("12.50")),
        (Decimal("3.10"), Decimal("3.10")),
        ("-4", Decimal("-4.00")),
    ],
)
def test_parse_decimal_accepts_french_amounts(value, expected):
    assert parse_decimal(value, field="amount", max_digits=16, decimal_places=2) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("1e1000", "syntax"),
        ("NaN", "syntax"),
        ("Infinity", "syntax"),
        ("-inf", "syntax"),
        (float("nan"), "syntax"),
        (float("inf"), "syntax"),
        (Decimal("NaN"), "syntax"),
        (1e300, "syntax"),
        ("١٢", "syntax"),
        ("²", "syntax"),
        ("1,2,3", "syntax"),
        ("1.2.3", "syntax"),
        ("", "syntax"),
        ("9" * 70, "syntax"),
        (True, "syntax"),
        ("1.005", "places"),
        ("10000000000000000", "too_large"),
        (10**20, "too_large"),
        ("99999999999999.995", "places"),
    ],
)
def test_parse_decimal_refuses_with_a_reason(value, reason):
    with pytest.raises(BadNumber) as err:
        parse_decimal(value, field="amount", max_digits=16, decimal_places=2)
    assert err.value.reason == reason and err.value.field == "amount"
    assert err.value.message.startswith("amount : ")


def test_parse_decimal_minimum():
    with pytest.raises(BadNumber, match="minimum"):
        parse_decimal("-1", field="pct", max_digits=5, decimal_places=2, minimum=0)


def test_is_ascii_digits():
    assert is_ascii_digits("14030") and not is_ascii_digits("²") and not is_ascii_digits("١")
    assert not is_ascii_digits("") and not is_ascii_digits(None) and not is_ascii_digits("1" * 20)


@pytest.mark.parametrize("value", ["١٢", "²", "9" * 30, "1e3"])
def test_form_integer_field_refuses_unicode_and_huge(value):
    field = AsciiIntegerField(required=False)
    with pytest.raises(Exception) as err:
        field.clean(value)
    assert type(err.value).__name__ == "ValidationError"


@pytest.mark.parametrize("value", ["1e1000", "NaN", "Infinity", "١٢", "1.005"])
def test_form_amount_field_refuses(value):
    field = AmountField(required=False, max_digits=16, decimal_places=2, min_value=0)
    with pytest.raises(Exception) as err:
        field.clean(value)
    assert type(err.value).__name__ == "ValidationError"


def test_form_amount_field_takes_a_french_amount():
    field = AmountField(required=False, max_digits=16, decimal_places=2, min_value=0)
    assert field.clean("1 145 000,50") == Decimal("1145000.50")
    assert field.clean("") is None


def test_commands_integers_go_through_the_one_parser():
    """argparse's own `type=int` takes « ٣ » as 3 and 10**30 as a number: the commands'
    integers use `cli_int`, the same rule as every other number from outside."""
    import argparse

    import pytest

    from coopatlas.core.parse import cli_int

    assert cli_int("42") == 42 and cli_int("-1") == -1
    for bad in ("٣", "abc", "", "1e3", "9" * 65):
        with pytest.raises(argparse.ArgumentTypeError, match="chiffres 0 à 9"):
            cli_int(bad)
    # A number written right but too large is told so, not "write it with the digits 0 to 9".
    with pytest.raises(argparse.ArgumentTypeError, match=r"hors des bornes \(de 1 à 8\)"):
        cli_int("9" * 20, minimum=1, maximum=8)


@pytest.mark.parametrize("value", ["9" * 20, "-" + "9" * 20, 10**30, -(10**30), str(2**63)])
def test_an_integer_no_column_holds_is_out_of_bounds_even_without_bounds(value):
    with pytest.raises(BadNumber) as err:
        parse_int(value, field="n")
    assert err.value.reason == "range" and "hors des bornes" in err.value.message
    assert str(2**63 - 1) in err.value.message or str(-(2**63)) in err.value.message


def test_the_largest_integer_a_column_holds_is_accepted():
    assert parse_int(str(2**63 - 1), field="n") == 2**63 - 1
    assert parse_int(str(-(2**63)), field="n") == -(2**63)
