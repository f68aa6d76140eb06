"""Load the reference code lists and themes from the committed data files.

The command `load_reference` (reference/management/commands) runs this and the geography in one
transaction; loading is idempotent (diff-then-write), and a missing or malformed file
stops it with an AppError naming the file and the problem, the database left as it was.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coopatlas.core.bulk import sync_rows
from coopatlas.core.datafiles import DataFiles, data_error

from .models import (
    Channel,
    Currency,
    GuideChapter,
    OrganisationType,
    PolicyMarker,
    SdgGoal,
    SdgTarget,
    Sector,
    SectorCategory,
    Theme,
)

REFERENCE_DATA_DIR = Path(__file__).resolve().parent / "data"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# --- parsing -------------------------------------------------------------------------------


def codelist_read(path: Path) -> list[dict]:
    """Items of an IATI code list: code, status, names and descriptions in en/fr, category."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise data_error(path, _("XML illisible (%(exc)s)") % {"exc": exc}) from exc
    items = []
    for item in root.iter("codelist-item"):
        code = (item.findtext("code") or "").strip()
        if not code:
            raise data_error(path, _("un élément <codelist-item> n'a pas de <code>"))

        def narratives(tag: str, item=item) -> dict[str, str]:
            out: dict[str, str] = {}
            node = item.find(tag)
            for n in node.findall("narrative") if node is not None else []:
                out.setdefault(n.get(XML_LANG, "en"), (n.text or "").strip())
            return out

        names = narratives("name")
        if not names:
            raise data_error(path, _("le code %(code)s n'a pas de nom") % {"code": code})
        desc = narratives("description")
        items.append(
            {
                "code": code,
                "status": item.get("status", "active"),
                "name_en": names.get("en", ""),
                "name_fr": names.get("fr", ""),
                "description_en": desc.get("en", ""),
                "description_fr": desc.get("fr", ""),
                "category": (item.findtext("category") or "").strip(),
            }
        )
    if not items:
        raise data_error(path, _("aucun code dans la liste"))
    return items


def yaml_read(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise data_error(path, _("YAML illisible (%(exc)s)") % {"exc": exc}) from exc


def _fr(item: dict) -> str:
    return item["name_fr"] or item["name_en"]


# --- code lists ----------------------------------------------------------------------------


def codelists_load(*, files: DataFiles) -> dict[str, int]:
    iati = {
        name: codelist_read(files.reference(f"iati/{name}.xml"))
        for name in (
            "SectorCategory",
            "Sector",
            "UNSDG-Goals",
            "UNSDG-Targets",
            "PolicyMarker",
            "OrganisationType",
            "CRSChannelCode",
            "Currency",
        )
    }
    markers_path = files.reference("policy_markers.yaml")
    markers = yaml_read(markers_path)
    if not isinstance(markers, dict):
        raise data_error(markers_path, _("une table code → {slug, name_fr} est attendue"))

    counts: dict[str, int] = {}
    counts["sector_categories"] = sync_rows(
        SectorCategory,
        key=("code",),
        fields=["name_fr", "name_en"],
        rows=[
            {"code": i["code"], "name_fr": _fr(i), "name_en": i["name_en"]} for i in iati["SectorCategory"]
        ],
    ).total
    category_codes = {i["code"] for i in iati["SectorCategory"]}
    sector_rows = []
    for i in iati["Sector"]:
        if i["category"] not in category_codes:
            raise data_error(
                files.reference("iati/Sector.xml"),
                _("le secteur %(code)s cite une catégorie inconnue %(category)s")
                % {"code": i["code"], "category": repr(i["category"])},
            )
        sector_rows.append(
            {
                "code": i["code"],
                "name_fr": _fr(i),
                "name_en": i["name_en"],
                "category_id": i["category"],
                "description": i["description_fr"] or i["description_en"],
                "withdrawn": i["status"] == "withdrawn",
            }
        )
    counts["sectors"] = sync_rows(
        Sector,
        key=("code",),
        rows=sector_rows,
        fields=["name_fr", "name_en", "category_id", "description", "withdrawn"],
    ).total
    counts["sdg_goals"] = sync_rows(
        SdgGoal,
        key=("number",),
        fields=["name_fr", "name_en"],
        rows=[
            {"number": int(i["code"]), "name_fr": _fr(i), "name_en": i["name_en"]}
            for i in iati["UNSDG-Goals"]
        ],
    ).total
    counts["sdg_targets"] = sync_rows(
        SdgTarget,
        key=("code",),
        fields=["name_fr", "name_en", "goal_id"],
        rows=[
            {
                "code": i["code"],
                "name_fr": _fr(i),
                "name_en": i["name_en"],
                "goal_id": int(i["code"].split(".")[0]),
            }
            for i in iati["UNSDG-Targets"]
        ],
    ).total
    marker_rows = []
    for i in iati["PolicyMarker"]:
        extra = markers.get(i["code"]) or markers.get(int(i["code"])) or {}
        if not extra.get("slug"):
            raise data_error(markers_path, _("le marqueur %(code)s n'a pas de slug") % {"code": i["code"]})
        marker_rows.append(
            {
                "code": i["code"],
                "slug": extra["slug"],
                "name_fr": i["name_fr"] or extra.get("name_fr") or i["name_en"],
                "name_en": i["name_en"],
            }
        )
    counts["policy_markers"] = sync_rows(
        PolicyMarker, key=("code",), rows=marker_rows, fields=["slug", "name_fr", "name_en"]
    ).total
    counts["organisation_types"] = sync_rows(
        OrganisationType,
        key=("code",),
        fields=["name_fr", "name_en"],
        rows=[
            {"code": i["code"], "name_fr": _fr(i), "name_en": i["name_en"]} for i in iati["OrganisationType"]
        ],
    ).total
    channel_codes = {i["code"] for i in iati["CRSChannelCode"]}
    counts["channels"] = sync_rows(
        Channel,
        key=("code",),
        fields=["name_fr", "name_en", "parent_id"],
        rows=[
            {
                "code": i["code"],
                "name_fr": _fr(i),
                "name_en": i["name_en"],
                "parent_id": i["category"] if i["category"] in channel_codes else None,
            }
            for i in iati["CRSChannelCode"]
        ],
    ).total
    counts["currencies"] = sync_rows(
        Currency,
        key=("code",),
        fields=["name"],
        rows=[{"code": i["code"], "name": i["name_en"] or i["name_fr"]} for i in iati["Currency"]],
    ).total
    counts.update(
        themes_load(path=files.reference("themes.yaml"), sector_codes={i["code"] for i in iati["Sector"]})
    )
    return counts


def themes_load(*, path: Path, sector_codes: set[str]) -> dict[str, int]:
    data = yaml_read(path)
    try:
        chapters = [
            {
                "number": int(c["number"]),
                "name_fr": c["name_fr"],
                "name_en": c.get("name_en", ""),
                "slug": slugify(c["name_fr"]),
            }
            for c in data["guide_chapters"]
        ]
        nodes = _theme_nodes(data["themes"])
    except (KeyError, TypeError, ValueError) as exc:
        raise data_error(
            path, _("structure inattendue (%(exc)s); voir l'en-tête du fichier") % {"exc": repr(exc)}
        ) from exc
    chapter_numbers = {c["number"] for c in chapters}
    for node in nodes:
        for n in node["guide_chapters"]:
            if n not in chapter_numbers:
                raise data_error(
                    path,
                    _("le thème « %(name_fr)s » cite le chapitre %(n)s inconnu")
                    % {"name_fr": node["name_fr"], "n": n},
                )
        for s in node["sectors"]:
            if s not in sector_codes:
                raise data_error(
                    path,
                    _("le thème « %(name_fr)s » cite le secteur CAD %(s)s absent de iati/Sector.xml")
                    % {"name_fr": node["name_fr"], "s": s},
                )
    slugs = [n["slug"] for n in nodes]
    if len(set(slugs)) != len(slugs):
        raise data_error(path, _("deux thèmes ont le même slug"))

    sync_rows(GuideChapter, key=("number",), fields=["name_fr", "name_en", "slug"], rows=chapters)
    ids: dict[str, int] = {}
    for level in (1, 2, 3):
        rows = [
            {
                "slug": n["slug"],
                "name_fr": n["name_fr"],
                "name_en": n["name_en"],
                "level": level,
                "position": n["position"],
                "parent_id": ids.get(n["parent"]) if n["parent"] else None,
            }
            for n in nodes
            if n["level"] == level
        ]
        result = sync_rows(
            Theme,
            key=("slug",),
            rows=rows,
            fields=["name_fr", "name_en", "level", "position", "parent_id"],
        )
        ids.update({k[0]: pk for k, pk in result.pks.items()})
    _m2m_sync(
        Theme.guide_chapters.through,
        "guidechapter_id",
        {(ids[n["slug"]], c) for n in nodes for c in n["guide_chapters"]},
        set(ids.values()),
    )
    _m2m_sync(
        Theme.sectors.through,
        "sector_id",
        {(ids[n["slug"]], s) for n in nodes for s in n["sectors"]},
        set(ids.values()),
    )
    return {"guide_chapters": len(chapters), "themes": len(nodes)}


def _theme_nodes(items, parent: dict | None = None, level: int = 1) -> list[dict]:
    if items and level > 3:
        raise ValueError("the theme tree has at most 3 levels")
    out = []
    for position, item in enumerate(items or []):
        slug = item.get("slug") or slugify(item["name_fr"])
        node = {
            "name_fr": item["name_fr"],
            "name_en": item.get("name_en", ""),
            "slug": slug,
            "level": level,
            "position": position,
            "parent": parent["slug"] if parent else None,
            "guide_chapters": [int(n) for n in item.get("guide_chapters", [])],
            "sectors": [str(s) for s in item.get("sectors", [])],
        }
        out.append(node)
        out.extend(_theme_nodes(item.get("children"), node, level + 1))
    if level > 1:
        return out
    # Contract: where two nodes would share a slug, the deeper one gets "-<parent slug>".
    seen: dict[str, dict] = {}
    for node in sorted(out, key=lambda n: n["level"]):
        if node["slug"] in seen and node["parent"]:
            node["slug"] = f"{node['slug']}-{node['parent']}"
        seen[node["slug"]] = node
    return out


def _m2m_sync(through, target_col: str, wanted: set[tuple], theme_ids: set[int]) -> None:
    existing = set(through.objects.filter(theme_id__in=theme_ids).values_list("theme_id", target_col))
    missing = wanted - existing
    extra = existing - wanted
    if missing:
        through.objects.bulk_create([through(theme_id=t, **{target_col: v}) for t, v in missing])
    for t, v in extra:
        through.objects.filter(theme_id=t, **{target_col: v}).delete()
