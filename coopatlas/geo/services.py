"""Writes for geography: the reference load of countries, areas, French authorities, places.

Called by the `load_reference` command inside its transaction; every file
is read and checked before the first write, and the writes are diff-then-write, so a
second load of the same files changes nothing.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections import defaultdict
from pathlib import Path
from typing import IO

from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.core.bulk import sync_rows
from coopatlas.core.datafiles import data_error
from coopatlas.core.text import fold

from .country_names import usual_country_names
from .models import (
    AdministrativeArea,
    AuthorityAlias,
    Country,
    CountryOdaStatus,
    LocalAuthority,
    OdaCategory,
    Place,
)

GEO_DATA_DIR = Path(__file__).resolve().parent / "data"
FRENCH_REFERENCE_KINDS = (
    "commune",
    "departement",
    "region",
    "statut_particulier",
    "metropole",
    "cu",
    "ca",
    "cc",
    "ept",
)
INCOME_CATEGORY = {
    "Low income": OdaCategory.LOW_INCOME,
    "Lower middle income": OdaCategory.LOWER_MIDDLE,
    "Upper middle income": OdaCategory.UPPER_MIDDLE,
}
NOT_COLLECTIVITES = ("984", "989")  # TAAF and Clipperton: administered by the State


# --- reading -------------------------------------------------------------------------------


def _error(path: Path, problem: str):
    return data_error(path, problem)


def _read_json(path: Path):
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, EOFError, zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _error(path, _("JSON illisible (%(exc)s)") % {"exc": exc}) from exc


def _read_csv(path: Path, required: set[str]) -> list[dict]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise _error(path, _("CSV illisible (%(exc)s)") % {"exc": exc}) from exc
    if not rows or not required <= set(rows[0]):
        raise _error(path, _("colonnes attendues : %(columns)s") % {"columns": ", ".join(sorted(required))})
    return rows


class _Checked:
    """Turn a KeyError/TypeError in the parsing of one file into an AppError naming it."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type in (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise _error(
                self.path,
                _("structure inattendue (%(kind)s: %(exc)s)") % {"kind": exc_type.__name__, "exc": exc},
            ) from exc
        return False


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


# --- countries and ODA -------------------------------------------------------------------


def _country_rows(world: dict, groupings: dict, concordance: list[dict], path: Path):
    ldc = set(groupings["ldc_countries"])
    priority = set(groupings["france_priority"])
    recipients = set(groupings["all_developing_countries_regions"])
    income = {r["iso2_code"]: r["income_level"] for r in concordance}
    rows, statuses, slugs = [], [], set()
    usual = usual_country_names()  # the names people read, where ISO's are formal
    for c in world["countries"]:
        dac = str(c["dac_code"] or "")
        slug = slugify(c["name_fr"]) or c["iso2"].lower()
        if slug in slugs:
            slug = f"{slug}-{c['iso2'].lower()}"
        slugs.add(slug)
        rows.append(
            {
                "iso2": c["iso2"],
                "iso3": c["iso3"],
                "numeric": c["numeric"] or "",
                "dac_code": dac,
                "name_fr": usual.get(c["iso2"], {}).get("fr") or c["name_fr"],
                "name_en": usual.get(c["iso2"], {}).get("en") or c["name_en"],
                "iso_name_fr": c["name_fr"],
                "iso_name_en": c["name_en"],
                "slug": slug,
                "is_least_developed": dac in ldc,
                "is_cicid_priority": dac in priority,
                "latitude": c["lat"],
                "longitude": c["lon"],
            }
        )
        statuses.append((c["iso2"], _oda_category(dac, income.get(c["iso2"], ""), ldc, recipients)))
    mapped = {r["dac_code"] for r in rows}
    for name, group in (("ldc_countries", ldc), ("france_priority", priority)):
        if not group <= mapped:
            raise _error(
                path,
                _("%(name)s cite des codes CAD sans pays ISO : %(codes)s")
                % {"name": name, "codes": sorted(group - mapped)},
            )
    return rows, statuses


def _oda_category(dac: str, income: str, ldc: set[str], recipients: set[str]) -> str:
    """The DAC list category, approximated from the groupings the packages carry.

    A DAC recipient code + LDC list -> ldc; else the World Bank income level; territories
    on the recipient list without a World Bank level (Montserrat, Niue…) count as upper
    middle income, as the DAC list classes them; high income -> not eligible.
    """
    if not dac or dac not in recipients:
        return OdaCategory.NOT_ELIGIBLE
    if dac in ldc:
        return OdaCategory.LDC
    if income in INCOME_CATEGORY:
        return INCOME_CATEGORY[income]
    if income in ("", "Not classified"):
        return OdaCategory.UPPER_MIDDLE
    return OdaCategory.NOT_ELIGIBLE


# --- areas ---------------------------------------------------------------------------------


def _area_rows(world: dict, france: dict) -> list[dict]:
    rows = []
    for s in world["subdivisions"]:
        rows.append(
            {
                "code": s["code"],
                "country_id": s["country"],
                "name": s["name"],
                "name_fr": s["name_fr"] or "",
                "kind": (s["kind"] or "")[:60],
                "level": int(s["level"]),
                "parent": s["parent"],
                "latitude": s["lat"],
                "longitude": s["lon"],
            }
        )
    for r in france["regions"]:
        if r["code"] in NOT_COLLECTIVITES:
            kind = "territoire"
        else:
            kind = "collectivite_outre_mer" if r["zone"] == "com" else "region"
        rows.append(
            {
                "code": r["iso"],
                "country_id": "FR",
                "name": r["name"],
                "name_fr": r["name"],
                "kind": kind,
                "level": 1,
                "parent": None,
                "latitude": r["lat"],
                "longitude": r["lon"],
            }
        )
    region_iso = {r["code"]: r["iso"] for r in france["regions"]}
    for d in france["departements"]:
        if d["iso"] == region_iso[d["region"]]:
            continue  # an overseas département is its région's area (FR-971)
        rows.append(
            {
                "code": d["iso"],
                "country_id": "FR",
                "name": d["name"],
                "name_fr": d["name"],
                "kind": "departement",
                "level": 2,
                "parent": region_iso[d["region"]],
                "latitude": d["lat"],
                "longitude": d["lon"],
            }
        )
    for row in rows:
        row["search_name"] = fold(f"{row['name_fr']} {row['name']}")
    return rows


def _sync_areas(rows: list[dict]) -> dict[str, int]:
    ids: dict[str, int] = {}
    fields = [
        "country_id",
        "name",
        "name_fr",
        "kind",
        "level",
        "parent_id",
        "latitude",
        "longitude",
        "search_name",
    ]
    for level in sorted({r["level"] for r in rows}):
        batch = []
        for r in rows:
            if r["level"] != level:
                continue
            row = {k: v for k, v in r.items() if k != "parent"}
            row["parent_id"] = ids.get(r["parent"]) if r["parent"] else None
            batch.append(row)
        result = sync_rows(AdministrativeArea, key=("code",), rows=batch, fields=fields)
        ids.update({k[0]: pk for k, pk in result.pks.items()})
    return ids


# --- French authorities --------------------------------------------------------------------


def _authority(name, kind, code, siren, area_id, parent_id, population, lat, lon, source):
    slug_code = (
        code
        if kind in ("commune", "departement", "region")
        or (kind == "statut_particulier" and code and not siren)
        else siren
    )
    return {
        "name": name,
        "kind": kind,
        "country_id": "FR",
        "area_id": area_id,
        "parent_id": parent_id,
        "insee_code": code,
        "siren": siren or None,
        "population": population,
        "latitude": lat,
        "longitude": lon,
        "coordinates_from": source if lat is not None else "",
        "slug": f"{slugify(name)[:180]}-{(slug_code or '').lower()}",
        "search_name": fold(name),
        "is_current": True,
        "foreign_code": "",
    }


AUTHORITY_FIELDS = [
    "name",
    "kind",
    "country_id",
    "area_id",
    "parent_id",
    "insee_code",
    "siren",
    "population",
    "latitude",
    "longitude",
    "coordinates_from",
    "slug",
    "search_name",
    "is_current",
    "foreign_code",
]


def _sync_authorities(
    france: dict, sirens: list[dict], areas: dict[str, int], path: Path, siren_path: Path
) -> tuple[dict, list[tuple[int, str, str]], int]:
    """Régions, départements, communes, EPCI; returns ids, wanted aliases, row count."""
    fields = [f"{c}" for c in france["commune_fields"]]
    siren_of = {(r["kind"], r["insee_code"]): r for r in sirens if r["insee_code"]}
    with _Checked(path):
        communes = [dict(zip(fields, row, strict=True)) for row in france["communes"]]
    pop_dep, pop_reg = defaultdict(int), defaultdict(int)
    for c in communes:
        pop_dep[c["departement"]] += c["population"] or 0
        pop_reg[c["region"]] += c["population"] or 0
    aliases: list[tuple] = []  # (key, kind, value)

    region_rows, region_keys = [], {}
    for r in france["regions"]:
        if r["code"] in NOT_COLLECTIVITES:
            continue
        kind = "statut_particulier" if r["zone"] == "com" else "region"
        known = siren_of.get((kind, r["code"]), {})
        region_rows.append(
            _authority(
                r["name"],
                kind,
                r["code"],
                known.get("siren"),
                areas[r["iso"]],
                None,
                pop_reg.get(r["code"]) or None,
                r["lat"],
                r["lon"],
                "communes",
            )
        )
        region_keys[r["code"]] = (kind, r["code"])
        if known.get("name"):
            aliases.append(((kind, r["code"]), AuthorityAlias.Kind.ALT_NAME, known["name"]))
    res = sync_rows(LocalAuthority, key=("kind", "insee_code"), rows=region_rows, fields=AUTHORITY_FIELDS)
    ids = dict(res.pks)
    count = res.total

    dep_rows, dep_area = [], {}
    for d in france["departements"]:
        known = siren_of.get(("departement", d["code"]), {})
        dep_area[d["code"]] = areas[d["iso"]]
        dep_rows.append(
            _authority(
                d["name"],
                "departement",
                d["code"],
                known.get("siren"),
                areas[d["iso"]],
                ids[region_keys[d["region"]]],
                pop_dep.get(d["code"]) or None,
                d["lat"],
                d["lon"],
                "communes",
            )
        )
        if known.get("name"):
            aliases.append((("departement", d["code"]), AuthorityAlias.Kind.ALT_NAME, known["name"]))
    res = sync_rows(LocalAuthority, key=("kind", "insee_code"), rows=dep_rows, fields=AUTHORITY_FIELDS)
    ids.update(res.pks)
    count += res.total

    region_area = {r["code"]: areas[r["iso"]] for r in france["regions"]}
    commune_rows, commune_point = [], {}
    for c in communes:
        dep = c["departement"]
        if dep in NOT_COLLECTIVITES:
            continue
        parent = ids.get(("departement", dep)) or ids.get(region_keys.get(dep))
        area = dep_area.get(dep) or region_area[c["region"]]
        commune_rows.append(
            _authority(
                c["name"],
                "commune",
                c["code"],
                c["siren"],
                area,
                parent,
                c["population"],
                c["lat"],
                c["lon"],
                c["coordinates_from"],
            )
        )
        commune_point[c["code"]] = (c["population"] or 0, c["lat"], c["lon"], area)
        for old in c["former_codes"]:
            aliases.append((("commune", c["code"]), AuthorityAlias.Kind.FORMER_CODE, old))
        for old in c["former_names"]:
            aliases.append((("commune", c["code"]), AuthorityAlias.Kind.FORMER_NAME, old))
    res = sync_rows(LocalAuthority, key=("kind", "insee_code"), rows=commune_rows, fields=AUTHORITY_FIELDS)
    ids.update(res.pks)
    count += res.total

    # Groupements and collectivités without INSEE code are identified by their SIREN.
    siren_rows = []
    for e in france["epci"]:
        members = [commune_point[m] for m in e["members"] if m in commune_point]
        seat = max(members, default=(0, None, None, None))  # most populous member commune
        siren_rows.append(
            _authority(
                e["name"],
                e["kind"],
                None,
                e["siren"],
                seat[3],
                None,
                e["population"],
                seat[1],
                seat[2],
                "member",
            )
        )
    dep_by_code = {d["code"]: d for d in france["departements"]}
    for r in sirens:
        if not r["insee_code"]:  # Collectivité européenne d'Alsace: over départements 67, 68
            deps = [dep_by_code[c] for c in (r.get("departements") or "").split()]
            if not deps:
                raise _error(siren_path, _("%(name)s : ni code INSEE ni départements") % {"name": r["name"]})
            lat = sum(d["lat"] for d in deps) / len(deps)
            lon = sum(d["lon"] for d in deps) / len(deps)
            siren_rows.append(
                _authority(
                    r["name"],
                    r["kind"],
                    None,
                    r["siren"],
                    region_area[deps[0]["region"]],
                    None,
                    sum(pop_dep[d["code"]] for d in deps),
                    round(lat, 5),
                    round(lon, 5),
                    "communes",
                )
            )
    res = sync_rows(
        LocalAuthority,
        key=("siren",),
        rows=siren_rows,
        fields=AUTHORITY_FIELDS,
        existing_filter={"siren__isnull": False},
    )
    ids.update({("siren", k[0]): pk for k, pk in res.pks.items()})
    count += res.total

    # Authorities of an earlier load that the official code no longer lists (merged communes,
    # dissolved EPCI) stay, so partnerships keep their party, but are no longer current.
    LocalAuthority.objects.filter(
        country_id="FR",
        kind__in=FRENCH_REFERENCE_KINDS,
        is_synthetic=False,
        source__isnull=True,
        is_current=True,
    ).exclude(pk__in=set(ids.values())).update(is_current=False)
    return ids, [(ids[k], kind, value) for k, kind, value in aliases if k in ids], count


def _sync_aliases(wanted: list[tuple[int, str, str]]) -> int:
    rows = [
        {"authority_id": a, "kind": k, "value": v[:300], "search_value": fold(v)[:300]} for a, k, v in wanted
    ]
    return sync_rows(
        AuthorityAlias, key=("authority_id", "kind", "value"), rows=rows, fields=["search_value"]
    ).total


# --- places --------------------------------------------------------------------------------


def _place_rows(world: dict, country_codes: set[str], areas: dict[str, int]) -> list[dict]:
    fields = world["place_fields"]
    rows = []
    for values in world["places"]:
        p = dict(zip(fields, values, strict=True))
        if p["country"] not in country_codes:
            continue  # GeoNames has a few codes ISO does not (XK Kosovo)
        rows.append(
            {
                "geonames_id": int(p["geonames_id"]),
                "name": p["name"][:200],
                "country_id": p["country"],
                "area_id": areas.get(p["area"]),
                "admin1_code": (p["admin1"] or "")[:20],
                "latitude": p["lat"],
                "longitude": p["lon"],
                "population": p["population"],
                "alternate_names": "|".join(p["alternate_names"]),
                "search_name": fold(p["name"])[:400],
            }
        )
    return rows


# --- entry point (called by reference_load, inside its transaction) ------------------------


def geography_load(*, files, stdout: IO[str] | None = None) -> dict[str, int]:
    world_path, france_path = files.geo("world.json.gz"), files.geo("france.json.gz")
    groupings_path = files.geo("oda/recipient_groupings.json")
    concordance_path = files.geo("oda/concordance.csv")
    siren_path = files.geo("collectivites_siren.csv")

    world = _read_json(world_path)
    france = _read_json(france_path)
    groupings = _read_json(groupings_path)
    concordance = _read_csv(concordance_path, {"iso2_code", "dac_code", "income_level"})
    sirens = _read_csv(siren_path, {"siren", "kind", "insee_code", "name"})
    for r in sirens:
        if not (r["siren"].isdigit() and len(r["siren"]) == 9):
            raise _error(
                siren_path, _("SIREN invalide « %(siren)s » (9 chiffres attendus)") % {"siren": r["siren"]}
            )

    with _Checked(world_path):
        countries, statuses = _country_rows(world, groupings, concordance, groupings_path)
        oda_year = int(world["oda_year"])
        area_rows = _area_rows(world, {"regions": [], "departements": []})
    with _Checked(france_path):
        area_rows += _area_rows({"subdivisions": []}, france)

    counts: dict[str, int] = {}
    result = sync_rows(
        Country,
        key=("iso2",),
        rows=countries,
        fields=[
            "iso3",
            "numeric",
            "dac_code",
            "name_fr",
            "name_en",
            "iso_name_fr",
            "iso_name_en",
            "slug",
            "is_least_developed",
            "is_cicid_priority",
            "latitude",
            "longitude",
        ],
    )
    counts["countries"] = result.total
    counts["country_oda_statuses"] = sync_rows(
        CountryOdaStatus,
        key=("country_id", "year"),
        fields=["category"],
        rows=[{"country_id": iso2, "year": oda_year, "category": cat} for iso2, cat in statuses],
    ).total

    areas = _sync_areas(area_rows)
    counts["administrative_areas"] = len(areas)
    with _Checked(france_path):
        _ids, aliases, n = _sync_authorities(france, sirens, areas, france_path, siren_path)
    counts["local_authorities"] = n
    counts["authority_aliases"] = _sync_aliases(aliases)
    with _Checked(world_path):
        places = _place_rows(world, {c["iso2"] for c in countries}, areas)
    counts["places"] = sync_rows(
        Place,
        key=("geonames_id",),
        rows=places,
        fields=[
            "name",
            "country_id",
            "area_id",
            "admin1_code",
            "latitude",
            "longitude",
            "population",
            "alternate_names",
            "search_name",
        ],
    ).total
    match = france.get("geonames_match") or {}
    _say(
        stdout,
        _(
            "Communes placées d'après GeoNames : %(value)s sur %(value2)s (les autres au centre "
            "de leur département)."
        )
        % {"value": match.get("matched"), "value2": match.get("communes")},
    )
    return counts
