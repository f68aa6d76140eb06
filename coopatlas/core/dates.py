"""Dates as people write them: « 1er décembre 2026 », "1 December 2026"."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import get_language


def long_date(value: dt.date | dt.datetime | None) -> str:
    """The day in words, in the active language; French writes the first of the month
    « 1er » (the ordinal), never « 1 »."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    text = formats.date_format(value, "j F Y")
    if value.day == 1 and (get_language() or "fr")[:2] == "fr":
        text = "1er" + text[1:]
    return text
