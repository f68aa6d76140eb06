"""One lookup per reference list by its code (issue 8): country, area, sector, SDG goal and
target, policy marker, theme. Importers (demo loader), form pickers (editor.resolve), the
write API and the declarations call these, so a code means the same everywhere: trimmed,
case as the list writes it, ASCII digits only, nothing sent to the database that it would
refuse (NUL, 300+ characters).

Each returns the row or None; the caller words the message for its field.
"""

from __future__ import annotations

import re

from coopatlas.core.text import is_lookup_key
from coopatlas.geo.models import AdministrativeArea, Country

from .models import PolicyMarker, SdgGoal, SdgTarget, Sector, Theme

_ASCII_DIGITS = re.compile(r"^[0-9]+$")


def _clean(value) -> str:
    text = "" if value is None else str(value).strip()
    return text if is_lookup_key(text) else ""


def country_by_code(code) -> Country | None:
    """ISO 3166-1 alpha-2, any case: `ml` → Mali."""
    iso2 = _clean(code).upper()
    return Country.objects.filter(iso2=iso2).first() if len(iso2) == 2 else None


def area_by_code(code) -> AdministrativeArea | None:
    """ISO 3166-2 (or the atlas's own area codes), any case: `ml-5` → Mopti."""
    value = _clean(code).upper()
    return AdministrativeArea.objects.filter(code=value).first() if value else None


def sector_by_code(code) -> Sector | None:
    """A 5-digit DAC purpose code (14030)."""
    value = _clean(code)
    if len(value) != 5 or not _ASCII_DIGITS.match(value):
        return None
    return Sector.objects.filter(code=value).first()


def sdg_goal_by_number(value) -> SdgGoal | None:
    """1–17, also written `ODD 6`; only ASCII digits ('⑥' or '٦' are not numbers here)."""
    text = _clean(value).upper().removeprefix("ODD").strip()
    if not _ASCII_DIGITS.match(text) or len(text) > 2:
        return None
    return SdgGoal.objects.filter(number=int(text)).first()


def sdg_target_by_code(code) -> SdgTarget | None:
    """`6.1`, `16.a` (letters as the UN writes them, lower case)."""
    value = _clean(code).lower()
    return SdgTarget.objects.filter(code=value).first() if value else None


def marker_by_code(code) -> PolicyMarker | None:
    """By slug (`gender`) or by the OECD/IATI code (`1`)."""
    value = _clean(code)
    if not value:
        return None
    if _ASCII_DIGITS.match(value):
        return PolicyMarker.objects.filter(code=value).first()
    return PolicyMarker.objects.filter(slug=value.lower()).first()


def theme_by_slug(slug) -> Theme | None:
    value = _clean(slug).lower()
    return Theme.objects.filter(slug=value).first() if value else None


def sector_search(q: str, *, limit: int = 12) -> list[Sector]:
    """DAC sectors for a picker: by code prefix (digits), else every word of `q` found in
    the sector's names or description, accents and case folded (« etat civil » finds 13096
    through its description « … l'état civil … »). Names matches first. The list is a few
    hundred rows read once per query: folding in Python keeps SQLite and PostgreSQL alike."""
    from coopatlas.core.parse import is_ascii_digits
    from coopatlas.core.text import fold

    q = (q or "").strip()
    live = Sector.objects.filter(withdrawn=False).order_by("code")
    if not q:
        return []
    if is_ascii_digits(q):
        return list(live.filter(code__startswith=q)[:limit])
    words = fold(q).split()
    by_name, by_description = [], []
    for sector in live.only("code", "name_fr", "name_en", "description"):
        names = fold(f"{sector.name_fr} {sector.name_en}")
        if all(w in names for w in words):
            by_name.append(sector)
        elif all(w in names or w in fold(sector.description) for w in words):
            by_description.append(sector)
    return (by_name + by_description)[:limit]
