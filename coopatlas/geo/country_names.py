"""The country names file (data/country_names.yaml): the usual forms people read where ISO
3166's are formal, and the names records use. Read by the loader (geo.services) and the
name lookups (geo.gazetteer); it imports neither, so that both can import it."""

from __future__ import annotations

import functools
from pathlib import Path

COUNTRY_NAMES = Path(__file__).resolve().parent / "data" / "country_names.yaml"


@functools.lru_cache(maxsize=1)
def _country_names_file() -> dict:
    import yaml

    with open(COUNTRY_NAMES, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def usual_country_names() -> dict[str, dict[str, str]]:
    """ISO code -> {"fr", "en"}: the name people read where ISO 3166's is formal
    (« Russie » for « Russie, Fédération de »), data/country_names.yaml's `display`. The
    loader writes it into Country.name_fr / name_en, which every page reads."""
    return _country_names_file().get("display") or {}
