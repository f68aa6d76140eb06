"""Amounts in the editing space, the way people write them: « 48 000,00 € »."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from coopatlas.core.parse import amount_display

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
    text = amount_display(number)
    if not currency:
        return text
    return f"{text}\u00a0{'€' if currency == 'EUR' else currency}"
