"""Amounts in the editing space, the way people write them: « 48 000,00 € »."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from coopatlas.core.parse import amount_display, money_display

register = template.Library()


@register.filter
def amount(value, currency: str = "") -> str:
    """Two decimals, grouped (core.parse.amount_display), « € » for euros, else the code."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not currency:
        return amount_display(number)
    return money_display(number, currency)
