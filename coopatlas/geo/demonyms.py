"""How the partner side of a country is named: « la partie malienne », « the Malian side ».

The adjectives are data (data/demonyms.json); a country without one is named
« la partie partenaire (<pays>) », never left out."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext as _

DEMONYMS_FILE = Path(__file__).resolve().parent / "data" / "demonyms.json"


@functools.lru_cache(maxsize=1)
def demonyms() -> dict[str, dict[str, str]]:
    data = json.loads(DEMONYMS_FILE.read_text(encoding="utf-8"))
    data.pop("_about", None)
    return data


def partner_side_name(*, country_id: str, country_name: str) -> str:
    """« la partie malienne » in French, « the Malian side » in English."""
    language = (get_language() or "fr")[:2]
    adjective = demonyms().get(country_id, {}).get(language)
    if adjective:
        return (
            f"the {adjective} side"
            if language == "en"
            else _("la partie %(adjective)s") % {"adjective": adjective}
        )
    return _("la partie partenaire (%(country)s)") % {"country": country_name}
