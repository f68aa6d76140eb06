from django import template

from coopatlas.core.dates import long_date as _long_date

register = template.Library()


@register.filter
def long_date(value) -> str:
    """{{ answer.at|long_date }}: « 1er décembre 2026 » (see core.dates.long_date)."""
    return _long_date(value)
