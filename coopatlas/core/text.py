"""Text helpers for search: accents and case folded so 'Alencon' finds 'Alençon'."""

import re
import unicodedata

_SPACES = re.compile(r"[\s\-'’_]+")


def fold(value: str) -> str:
    """Lower-case, strip accents, collapse dashes/apostrophes/spaces to one space."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", ascii_only.lower()).strip()
