"""Figures written the French way in eligibility reasons and letters: 62,5 %, 21 000 €."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from coopatlas.core.parse import money_display


def pct(value: Decimal) -> str:
    """62 %, 62,5 %, 33,33 % (French: comma, space before %)."""
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    text = f"{q:f}".replace(".", ",")
    return f"{text} %"


def euros(value: Decimal) -> str:
    """« 21 000 € », « 21 000,50 € » (core.parse.money_display, cents only when there are some)."""
    return money_display(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), places=None)
