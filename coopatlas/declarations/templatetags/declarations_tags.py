from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(share):
    """"0.4800" (a fraction, as the report gives shares) → « 48,0 % »."""
    if share in (None, ""):
        return "—"
    try:
        value = Decimal(str(share)) * 100
    except InvalidOperation:
        return share
    return f"{number_format(value, decimal_pos=1)}\u00a0%"
