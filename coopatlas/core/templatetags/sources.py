"""`{{ key|lines_url:"1088-1101" }}`: the address of a document's cited lines, for templates
that cite by document key and line range (compliance rules) rather than by Source."""

import re

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()
_RANGE = re.compile(r"^\s*([0-9]{1,7})\s*(?:[-–]\s*([0-9]{1,7}))?\s*$")


@register.filter
def lines_url(key, lines="") -> str:
    """'/sources/001/?lines=1088-1101#L1088', or '' when the key or range is not one."""
    if not isinstance(key, str) or not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", key):
        return ""
    try:
        url = reverse("core:source_document", kwargs={"key": key})
    except NoReverseMatch:
        return ""
    match = _RANGE.match(str(lines or ""))
    if not match:
        return url
    start, end = match.group(1), match.group(2) or match.group(1)
    return f"{url}?lines={start}-{end}#L{start}" if end != start else f"{url}?lines={start}#L{start}"
