"""How well the gazetteer resolves partner names as people write them (issue 9: at least
80 % of real partner names must resolve to the right entity). One measure, used by the
test suite and by `make bench`.

Two figures: **first** (the first suggestion within the country is the right entity) and
**offered** (it is among the five suggestions the picker shows, each labelled so a person
tells « Sousse (gouvernorat) » from « Sousse (commune, gouvernorat de Sousse) »). A bare
name that is both a city and its region ranks the region first, so « first » counts such a
city as a miss even though the person sees and picks it."""

from __future__ import annotations

import csv
from pathlib import Path

from coopatlas.core.text import fold

SAMPLE = Path(__file__).resolve().parent / "tests" / "data" / "partner_names.csv"
OFFERED = 5


def _is(entry, want: str, level: int) -> bool:
    return entry.level == level and (
        fold(entry.name) == want or entry.names.filter(search_value=want).exists()
    )


def resolution_rate(path: Path = SAMPLE) -> dict:
    """{"total", "first", "offered", "first_rate", "offered_rate", "misses": [(q, country,
    expected, first label)]} — misses are the names not even offered."""
    from .gazetteer import gazetteer_search

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    first = offered = 0
    misses = []
    for row in rows:
        hits = gazetteer_search(q=row["q"], country=row["country"], limit=OFFERED)
        want, level = fold(row["expected"]), int(row["level"])
        found = [_is(h["entry"], want, level) for h in hits]
        first += bool(found and found[0])
        if any(found):
            offered += 1
        else:
            misses.append(
                (row["q"], row["country"], f"{row['expected']} ({level})", hits[0]["label"] if hits else None)
            )
    total = len(rows)
    return {
        "total": total,
        "first": first,
        "offered": offered,
        "first_rate": first / total if total else 0.0,
        "offered_rate": offered / total if total else 0.0,
        "misses": misses,
    }
