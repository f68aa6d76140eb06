#!/usr/bin/env python3
"""Build the offline basemap: country outlines as GeoJSON, shipped with the atlas.

Source: the npm package `world-atlas` (countries-110m.json, TopoJSON built from Natural
Earth 1:110m, public domain; package ISC-licensed by Mike Bostock). Run at build time, never
at run time (the app has no network):

    python scripts/build_basemap.py                # fetches world-atlas@2 with `npm pack`
    python scripts/build_basemap.py --topojson path/to/countries-110m.json

Writes coopatlas/atlas/static/atlas/basemap-countries.geojson (coordinates rounded to
0.01°, about 10 km, which is finer than the 1:110m source) and its LICENCE note.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "coopatlas" / "atlas" / "static" / "atlas"
OUT_FILE = OUT_DIR / "basemap-countries.geojson"
NPM_PACKAGE = "world-atlas@2.0.2"
MAX_BYTES = 300_000
ANTARCTICA = "010"  # ISO 3166-1 numeric
LICENCE_TEXT = """basemap-countries.geojson
Built by scripts/build_basemap.py from the npm package {package}, file countries-110m.json.
Data: Natural Earth 1:110m Admin 0 countries, public domain (https://www.naturalearthdata.com/).
Package: world-atlas, ISC licence, Copyright 2013-2019 Michael Bostock.
Coordinates rounded to 0.01 degree. Country borders are shown as Natural Earth draws them.
"""


def fetch_topojson(workdir: Path) -> Path:
    """Download the package tarball with npm (build time only) and extract the 110m file."""
    subprocess.run(
        ["npm", "pack", NPM_PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL
    )
    tarball = next(workdir.glob("world-atlas-*.tgz"))
    with tarfile.open(tarball) as tar:
        member = tar.getmember("package/countries-110m.json")
        tar.extractall(workdir, members=[member], filter="data")
    return workdir / "package" / "countries-110m.json"


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute coordinates of every arc (TopoJSON arcs are quantized and delta-encoded)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points, x, y = [], 0, 0
        for dx, dy in arc:
            if transform:
                x, y = x + dx, y + dy
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((dx, dy))
        arcs.append(points)
    return arcs


def ring(arc_ids: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """Stitch arcs into one ring; a negative index ~i means arc i reversed."""
    coords: list[list[float]] = []
    for index in arc_ids:
        points = arcs[~index][::-1] if index < 0 else arcs[index]
        for k, (lon, lat) in enumerate(points):
            if coords and k == 0:
                continue  # shared with the previous arc's last point
            point = [round(lon, 2), round(lat, 2)]
            if not coords or coords[-1] != point:
                coords.append(point)
    if coords and coords[0] != coords[-1]:
        coords.append(coords[0])
    return unwrap(coords)


def unwrap(coords: list[list[float]]) -> list[list[float]]:
    """Keep a ring continuous across the antimeridian (Fiji, Chukotka): a flat map would
    otherwise draw a band across the whole world from +180 to -180."""
    out, shift = [], 0.0
    for k, (lon, lat) in enumerate(coords):
        if k:
            step = lon + shift - out[-1][0]
            if step > 180:
                shift -= 360
            elif step < -180:
                shift += 360
        out.append([round(lon + shift, 2), lat])
    return out


def iso2_for(numeric: str | None) -> str:
    try:
        import pycountry
    except ImportError:  # the mapping is a convenience, not a requirement
        return ""
    found = pycountry.countries.get(numeric=numeric) if numeric else None
    return found.alpha_2 if found else ""


def to_geojson(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            polygons = [geometry["arcs"]]
        elif kind == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        coordinates = []
        for polygon in polygons:
            rings = [r for r in (ring(ids, arcs) for ids in polygon) if len(r) >= 4]
            if rings:
                coordinates.append(rings)
        if not coordinates:
            continue
        numeric = geometry.get("id")
        if numeric == ANTARCTICA:  # rings around the pole cannot be drawn flat; no partners there
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": geometry.get("properties", {}).get("name", ""),
                    "iso2": iso2_for(numeric),
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topojson", type=Path, help="countries-110m.json already on disk")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.topojson or fetch_topojson(Path(tmp))
        topology = json.loads(Path(source).read_text(encoding="utf-8"))
    geojson = to_geojson(topology)
    text = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_BYTES:
        print(
            f"basemap is {len(text.encode())} bytes, above {MAX_BYTES}: use a coarser source", file=sys.stderr
        )
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(text, encoding="utf-8")
    (OUT_DIR / "basemap-countries.LICENCE.txt").write_text(
        LICENCE_TEXT.format(package=NPM_PACKAGE), encoding="utf-8"
    )
    print(f"{OUT_FILE.relative_to(ROOT)}: {len(geojson['features'])} countries, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
