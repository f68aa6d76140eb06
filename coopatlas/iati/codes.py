"""IATI constants read from the shipped data: the 2.03 schema and our code mappings."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from lxml import etree

DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_PATH = DATA_DIR / "schemas" / "iati-activities-schema.xsd"
VERSION = "2.03"
ACCEPTED_VERSIONS = ("2.01", "2.02", "2.03")
# Our own facts with no IATI element (financing instrument, in-kind nature) travel as
# attributes in a namespace of ours, which IATI allows on every element (anyAttribute ##other).
NS = "urn:coopatlas:iati:1"
NSMAP = {"coopatlas": NS}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SRS_WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
# An undated project still needs an activity-date (mandatory in 2.03): this narrative marks
# the stand-in so that an importer (ours included) does not take it for a real start date.
UNDATED_NARRATIVE = (
    "Date de début non renseignée dans l'atlas : date de la source qui "
    "mentionne l'activité ou, à défaut, de son enregistrement dans l'atlas."
)
ISO_3166_2 = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


@cache
def mappings() -> dict:
    return json.loads((DATA_DIR / "mappings.json").read_text(encoding="utf-8"))


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


@cache
def organisations_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA_DIR / "schemas" / "iati-organisations-schema.xsd")))


def siren_identifier(siren: str | None) -> str | None:
    return f"{mappings()['registration_agency_siren']}-{siren}" if siren else None


def siren_from_identifier(ref: str) -> str | None:
    prefix = mappings()["registration_agency_siren"] + "-"
    if ref.startswith(prefix) and re.fullmatch(r"\d{9}", ref[len(prefix) :]):
        return ref[len(prefix) :]
    return None


@cache
def _known_publishers() -> tuple[list[dict], dict[str, dict]]:
    from coopatlas.core.text import fold

    rows = json.loads((DATA_DIR / "known_publishers.json").read_text(encoding="utf-8"))["publishers"]
    by_name = {}
    for row in rows:
        for name in [row["name"], *row.get("acronyms", [])]:
            by_name[fold(name)] = row
    return rows, by_name


def known_publishers() -> list[dict]:
    """Organisations whose IATI identifier the reference data gives (AFD FR-3, MEAE FR-6…)."""
    return _known_publishers()[0]


def known_publisher(name: str, acronym: str = "") -> dict | None:
    from coopatlas.core.text import fold

    by_name = _known_publishers()[1]
    return by_name.get(fold(name)) or (by_name.get(fold(acronym)) if acronym else None)


def unregistered_identifier(slug: str) -> str:
    return f"{mappings()['unregistered_prefix']}-{slug}"


@cache
def transaction_type_names() -> dict[str, str]:
    """TransactionType code → its IATI name (the code list shipped in the reference data)."""
    path = DATA_DIR.parent.parent / "reference" / "data" / "iati" / "TransactionType.xml"
    tree = etree.parse(str(path))
    return {
        item.findtext("code"): (item.findtext("name/narrative") or "").strip()
        for item in tree.iter("codelist-item")
    }
