from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from ..models import State

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`{{ labels|lookup:code }}`: a code's label from a dict, the code itself if unknown."""
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key


@register.filter
def state_label(value):
    """A declaration state's label (`submitted` → « Soumise »); empty stays empty."""
    if not value:
        return ""
    return dict(State.choices).get(value, value)


@register.filter
def percent(share):
    """ "0.4800" (a fraction, as the report gives shares) → « 48,0 % »."""
    if share in (None, ""):
        return "—"
    try:
        value = Decimal(str(share)) * 100
    except InvalidOperation:
        return share
    return f"{number_format(value, decimal_pos=1)}\u00a0%"
