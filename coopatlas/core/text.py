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


_BAD_KEY = re.compile(r"[\x00-\x1f\x7f]")


def is_lookup_key(value: str) -> bool:
    """A slug or code we may send to the database (PostgreSQL refuses NUL in text)."""
    return isinstance(value, str) and bool(value) and len(value) <= 300 and not _BAD_KEY.search(value)
