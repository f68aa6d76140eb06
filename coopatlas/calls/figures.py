"""Figures written the French way in eligibility reasons and letters: 62,5 %, 21 000 €."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def pct(value: Decimal) -> str:
    """62 %, 62,5 %, 33,33 % (French: comma, space before %)."""
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    text = f"{q:f}".replace(".", ",")
    return f"{text} %"


def euros(value: Decimal) -> str:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    units, cents = f"{q:f}".split(".")
    sign = "-" if units.startswith("-") else ""
    units = units.lstrip("-")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    text = sign + " ".join(groups)
    return f"{text},{cents} €" if cents != "00" else f"{text} €"
