"""Load the sourced demo data: every record the seed documents name, with its Source.

The data are the YAML files of this folder (format: docstring of `SECTIONS` below and the
comments of `000_mali.yaml`). All files are read and checked first (syntax, fields, refs,
source line ranges, amounts, sector percentages), then written in one transaction: a problem
anywhere stops the load with an AppError naming the file, the line, the record and the
field, and nothing is written. Records are matched on their `ref`, stored as their slug, so a
second run updates in place and creates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.models import Source, SourceDocument
from coopatlas.core.services import (
    published_figure_set,
    record_citations_set,
    record_inferences_set,
    source_cite,
    source_document_get_or_create,
    source_document_text_set,
)
from coopatlas.core.text import fold
from coopatlas.geo.models import AdministrativeArea, Country, CountryProfile, LocalAuthority, Place
from coopatlas.reference import lookups
from coopatlas.reference.models import PolicyMarker, SdgGoal, SdgTarget, Sector, Theme

from .. import services
from ..models import (
    Contact,
    Convention,
    Organisation,
    PartnerRequest,
    Partnership,
    Programme,
    Project,
)

DEMO_DIR = Path(__file__).resolve().parent
# The cited documents' text, shipped with the code (origin and licence in SOURCES.md).
SOURCES_DIR = DEMO_DIR.parents[1] / "core" / "data" / "sources"
DOCUMENTS_FILE = "documents.yaml"
LINE = "__line__"  # the YAML line of each mapping, kept for error messages

# section: (required keys, optional keys). `source` or `sources` is checked apart.
SECTIONS: dict[str, tuple[set[str], set[str]]] = {
    "documents": (
        {"key", "title", "line_count"},
        {"publisher", "url", "published_on", "licence", "filename", "note"},
    ),
    "authorities": (
        {"ref", "name", "kind", "country"},
        {"area", "foreign_code", "parent", "place", "population", "latitude", "longitude", "aliases", "note"},
    ),
    "organisations": (
        {"ref", "name", "kind"},
        {"acronym", "country", "description", "website", "siren", "note"},
    ),
    "partnerships": (
        {"ref", "title", "kind", "parties"},
        {
            "status",
            "start_year",
            "start_date",
            "end_year",
            "end_date",
            "first_convention_year",
            "themes",
            "organisations",
            "description",
            "history",
            "note",
        },
    ),
    "conventions": (
        {"ref", "partnership", "title"},
        {
            "parties",
            "purpose",
            "signed_year",
            "signed_on",
            "starts_on",
            "ends_on",
            "duration_months",
            "estimated_commitment",
            "currency",
            "note",
        },
    ),
    "projects": (
        {"ref", "title"},
        {
            "summary",
            "context",
            "objective",
            "description",
            "status",
            "start_year",
            "start_date",
            "end_year",
            "end_date",
            "partnerships",
            "participants",
            "operators",
            "countries",
            "areas",
            "themes",
            "sectors",
            "sdg_goals",
            "sdg_targets",
            "markers",
            "budget",
            "currency",
            "beneficiaries",
            "beneficiaries_count",
            "results",
            "funding",
            "note",
        },
    ),
    "programmes": (
        {"ref", "title"},
        {
            "description",
            "carrier",
            "countries",
            "themes",
            "budget_per_member",
            "budget_total",
            "currency",
            "start_year",
            "end_year",
            "is_open",
            "members",
            "note",
        },
    ),
    "partner_requests": (
        {"ref", "authority"},
        {"registered_by", "description", "wishes", "themes", "status", "registered_year", "note"},
    ),
    "contacts": (
        {"ref", "role"},
        {"name", "organisation", "authority", "email", "phone", "country", "themes", "note"},
    ),
    "country_profiles": ({"country"}, {"ref", "summary", "history", "context", "embassy_service", "note"}),
    "published_figures": (
        {"metric", "label", "value"},
        {"ref", "unit", "country", "authority", "dimension", "dimension_value", "year", "note"},
    ),
}
FUNDING_KEYS = (
    {"funder", "amount"},
    {"instrument", "nature", "currency", "year", "is_annual", "note", "source", "sources", "inferred"},
)
REF_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
AMOUNT_RE = re.compile(r"^[0-9]+\.[0-9]{2}$")
AUTHORITY_PREFIXES = ("commune", "departement", "region", "siren", "iso", "ref")
MAX_QUOTE = 300


# --------------------------------------------------------------------------- reading


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records each mapping's line and refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                _("la clé « %(key)s » apparaît deux fois dans cette table") % {"key": key},
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class Item:
    """One record of one section, with where it was read."""

    file: str
    section: str
    data: dict

    @property
    def line(self) -> int:
        return self.data.get(LINE, 0)

    @property
    def ident(self) -> str:
        d = self.data
        return str(d.get("ref") or d.get("key") or d.get("metric") or d.get("country") or "?")

    def where(self, field_name: str | None = None) -> str:
        loc = f"{self.file}:{self.line} {self.section} « {self.ident} »"
        return _("%(where)s, champ %(field)s") % {"where": loc, "field": field_name} if field_name else loc


# What a lookup did not find, by kind (the kind is also the cache key).
UNKNOWN = {
    "country": gettext_lazy("pays inconnu « %(key)s »"),
    "area": gettext_lazy("territoire inconnu « %(key)s »"),
    "theme": gettext_lazy("thématique inconnue « %(key)s »"),
    "DAC sector": gettext_lazy("secteur CAD inconnu « %(key)s »"),
    "SDG": gettext_lazy("ODD inconnu « %(key)s »"),
    "SDG target": gettext_lazy("cible ODD inconnue « %(key)s »"),
    "policy marker": gettext_lazy("marqueur inconnu « %(key)s »"),
    "authority": gettext_lazy("collectivité inconnue « %(key)s »"),
}


class RecordError(Exception):
    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field_name, message


def _fail(item: Item, field_name: str | None, message: str) -> AppError:
    where = item.where(field_name)
    return AppError(
        _("%(where)s : %(message)s Rien n'a été chargé.") % {"where": where, "message": message},
        field=item.file,
        errors={where: [message]},
    )


def _read(data_dir: Path) -> list[tuple[str, dict]]:
    if not data_dir.is_dir():
        raise AppError(
            _(
                "%(data_dir)s : dossier introuvable ; donnez le dossier qui contient "
                "les fichiers *.yaml de démonstration (--data-dir)."
            )
            % {"data_dir": data_dir},
            field="data_dir",
        )
    paths = sorted(data_dir.glob("*.yaml"), key=lambda p: (p.name != DOCUMENTS_FILE, p.name))
    if not paths or paths[0].name != DOCUMENTS_FILE:
        raise AppError(
            _(
                "%(data_dir)s : fichier manquant ; les données de démonstration "
                "commencent par la liste des documents cités."
            )
            % {"data_dir": data_dir / DOCUMENTS_FILE},
            field=DOCUMENTS_FILE,
        )
    out = []
    for path in paths:
        try:
            content = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
        except UnicodeDecodeError as exc:
            raise AppError(
                _(
                    "%(path_name)s : ce n'est pas du texte UTF-8 (%(exc)s) ; "
                    "enregistrez-le en UTF-8. Rien n'a été chargé."
                )
                % {"path_name": path.name, "exc": exc},
                field=path.name,
            ) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path.name}:{mark.line + 1}" if mark else path.name
            problem = getattr(exc, "problem", None) or str(exc)
            raise AppError(
                _(
                    "%(where)s : erreur de syntaxe YAML : %(problem)s ; corrigez "
                    "l'indentation ou les guillemets à cet endroit. Rien n'a été "
                    "chargé."
                )
                % {"where": where, "problem": problem},
                field=path.name,
            ) from exc
        if content is None:
            content = {}
        if not isinstance(content, dict):
            raise AppError(
                _(
                    "%(path_name)s : le fichier doit être une table de sections "
                    "(%(SECTIONS)s). Rien n'a été chargé."
                )
                % {"path_name": path.name, "SECTIONS": ", ".join(SECTIONS)},
                field=path.name,
            )
        out.append((path.name, content))
    return out


# --------------------------------------------------------------------------- checking (no DB)


@dataclass
class Bundle:
    items: dict[str, list[Item]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    documents: dict[str, dict] = field(default_factory=dict)
    refs: dict[str, Item] = field(default_factory=dict)


def _clean_text(value) -> str:
    return "" if value is None else str(value).strip()


def _is_year(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100


def _ref_of(value: str, prefix: str) -> str:
    return value[len(prefix) + 1 :] if value.startswith(prefix + ":") else value


class _Checker:
    """Checks everything that can be checked without the database, all files at once."""

    def __init__(self, files: list[tuple[str, dict]]):
        self.files = files
        self.bundle = Bundle()

    def run(self) -> Bundle:
        for name, content in self.files:
            for section, records in content.items():
                if section == LINE:
                    continue
                if section not in SECTIONS:
                    raise AppError(
                        _(
                            "%(name)s : section inconnue « %(section)s » ; les "
                            "sections sont %(SECTIONS)s. Rien n'a été chargé."
                        )
                        % {"name": name, "section": section, "SECTIONS": ", ".join(SECTIONS)},
                        field=name,
                    )
                if section == "documents" and name != DOCUMENTS_FILE:
                    raise AppError(
                        _(
                            "%(name)s : les documents se déclarent dans "
                            "%(DOCUMENTS_FILE)s seulement. Rien n'a été chargé."
                        )
                        % {"name": name, "DOCUMENTS_FILE": DOCUMENTS_FILE},
                        field=name,
                    )
                if not isinstance(records, list):
                    raise AppError(
                        _(
                            "%(name)s : la section « %(section)s » doit être une "
                            "liste d'enregistrements (chaque ligne commençant par '- "
                            "'). Rien n'a été chargé."
                        )
                        % {"name": name, "section": section},
                        field=name,
                    )
                for data in records:
                    if not isinstance(data, dict):
                        raise AppError(
                            _(
                                "%(name)s : la section « %(section)s » contient « "
                                "%(data)s », pas un enregistrement (table clé: "
                                "valeur). Rien n'a été chargé."
                            )
                            % {"name": name, "section": section, "data": data},
                            field=name,
                        )
                    self.bundle.items[section].append(Item(name, section, data))
        for item in self.bundle.items["documents"]:
            self._document(item)
        for section, items in self.bundle.items.items():
            for item in items:
                if section != "documents":
                    self._record(item)
        for items in self.bundle.items.values():
            for item in items:
                self._links(item)
        self._merge_country_profiles()
        return self.bundle

    def _merge_country_profiles(self) -> None:
        """Several documents may describe one country: one profile, texts in file order.

        The first file's source stays the main one; the other passages are kept as citations.
        """
        merged: dict[str, Item] = {}
        for item in self.bundle.items["country_profiles"]:
            country = str(item.data["country"]).upper()
            if country not in merged:
                merged[country] = item
                continue
            first = merged[country].data
            extra = item.data
            for name in ("summary", "history", "context"):
                texts = [t for t in (_clean_text(first.get(name)), _clean_text(extra.get(name))) if t]
                first[name] = "\n\n".join(texts)
            first["embassy_service"] = _clean_text(first.get("embassy_service")) or _clean_text(
                extra.get("embassy_service")
            )
            sources = first.pop("sources", None) or [first.pop("source")]
            first["sources"] = sources + (extra.get("sources") or [extra["source"]])
        self.bundle.items["country_profiles"] = list(merged.values())

    # -- one record
    def _keys(
        self, item: Item, required: set[str], optional: set[str], data: dict, what: str | None = None
    ) -> None:
        keys = set(data) - {LINE}
        missing = sorted(required - keys)
        if missing:
            raise _fail(
                item,
                what or missing[0],
                _("%(missing)s manque ; ajoutez-le.") % {"missing": ", ".join(missing)},
            )
        unknown = sorted(keys - required - optional)
        if unknown:
            raise _fail(
                item,
                f"{what + '.' if what else ''}{unknown[0]}",
                _("champ inconnu « %(unknown)s » ; champs permis : %(required)s.")
                % {"unknown": unknown[0], "required": ", ".join(sorted(required | optional))},
            )

    def _document(self, item: Item) -> None:
        self._keys(item, *SECTIONS["documents"], item.data)
        key = str(item.data["key"])
        if key in self.bundle.documents:
            raise _fail(item, "key", _("le document « %(key)s » est déclaré deux fois.") % {"key": key})
        count = item.data["line_count"]
        if not isinstance(count, int) or count < 1:
            raise _fail(
                item,
                "line_count",
                _(
                    "donnez le nombre de lignes du document (wc -l, "
                    "plus une si la dernière ligne n'a pas de fin de "
                    "ligne)."
                ),
            )
        if "published_on" in item.data and not isinstance(item.data["published_on"], date):
            raise _fail(item, "published_on", _("écrivez la date sous la forme AAAA-MM-JJ."))
        if item.data.get("filename"):
            path = SOURCES_DIR / str(item.data["filename"])
            if path.name != str(item.data["filename"]) or not path.is_file():
                raise _fail(
                    item,
                    "filename",
                    _(
                        "aucun fichier « %(filename)s » dans "
                        "%(folder)s ; placez-y le document (voir "
                        "SOURCES.md)."
                    )
                    % {"filename": item.data["filename"], "folder": SOURCES_DIR},
                )
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) != count:
                raise _fail(
                    item,
                    "line_count",
                    _("le fichier fourni a %(lines)s lignes, pas %(count)s ; corrigez line_count.")
                    % {"lines": len(text.splitlines()), "count": count},
                )
            item.data["text"] = text
        self.bundle.documents[key] = item.data

    def _record(self, item: Item) -> None:
        required, optional = SECTIONS[item.section]
        data = item.data
        has_source, has_sources = "source" in data, "sources" in data
        if has_source == has_sources:
            raise _fail(
                item,
                "source",
                _(
                    "donnez exactement l'un de `source: {doc, lines, "
                    "quote}` ou `sources: [...]` : chaque fait porte sa "
                    "provenance."
                ),
            )
        self._keys(item, required, optional | {"source", "sources", "inferred"}, data)
        self._inferred(item, data.get("inferred"), "inferred")
        ref = data.get("ref")
        if ref is not None:
            if not isinstance(ref, str) or not REF_RE.match(ref):
                raise _fail(
                    item,
                    "ref",
                    _(
                        "« %(ref)s » n'est pas une ref : utilisez des "
                        "minuscules, des chiffres et des tirets "
                        "(ml-region-mopti)."
                    )
                    % {"ref": ref},
                )
            if ref in self.bundle.refs:
                other = self.bundle.refs[ref]
                raise _fail(
                    item,
                    "ref",
                    _(
                        "la ref « %(ref)s » est déjà utilisée en "
                        "%(file)s:%(line)s ; une ref est unique dans tous "
                        "les fichiers."
                    )
                    % {"ref": ref, "file": other.file, "line": other.line},
                )
            self.bundle.refs[ref] = item
        sources = data["sources"] if has_sources else [data["source"]]
        if not isinstance(sources, list) or not sources:
            raise _fail(item, "sources", _("donnez une liste non vide de sources."))
        for i, source in enumerate(sources):
            self._source(item, source, "sources" if has_sources else "source", i)
        for name in (
            "start_year",
            "end_year",
            "first_convention_year",
            "signed_year",
            "registered_year",
            "year",
        ):
            if data.get(name) is not None and not _is_year(data[name]):
                raise _fail(
                    item,
                    name,
                    _(
                        "« %(data)s » n'est pas une année (1900–2100) ; "
                        "donnez l'année en nombre, ou omettez le champ si le "
                        "texte n'en donne pas."
                    )
                    % {"data": data[name]},
                )
        for name in ("start_date", "end_date", "signed_on", "starts_on", "ends_on"):
            if data.get(name) is not None and not isinstance(data[name], date):
                raise _fail(
                    item,
                    name,
                    _(
                        "écrivez la date sous la forme AAAA-MM-JJ, ou donnez "
                        "seulement le champ year si le texte n'est pas plus "
                        "précis."
                    ),
                )
        for name in ("budget", "estimated_commitment", "budget_per_member", "budget_total"):
            if data.get(name) is not None:
                self._amount(item, name, data[name])
        if item.section == "published_figures":
            value = data["value"]
            if isinstance(value, str):
                self._amount(item, "value", value)
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise _fail(
                    item,
                    "value",
                    _(
                        "« %(value)s » n'est ni un nombre ni un montant ; "
                        "écrivez un nombre entier, ou un montant entre "
                        "guillemets avec 2 décimales."
                    )
                    % {"value": value},
                )
        if item.section == "projects":
            self._project(item)

    def _source(self, item: Item, source, what: str, index: int) -> None:
        label = what if what == "source" else f"sources[{index}]"
        if not isinstance(source, dict):
            raise _fail(item, label, _("une source est une table {doc, lines, quote}."))
        self._keys(item, {"doc", "lines", "quote"}, {"url", "note"}, source, label)
        doc = str(source["doc"])
        if doc not in self.bundle.documents:
            raise _fail(
                item,
                f"{label}.doc",
                _(
                    "document inconnu « %(doc)s » ; déclarez-le "
                    "dans %(DOCUMENTS_FILE)s (connus : "
                    "%(documents)s)."
                )
                % {
                    "doc": doc,
                    "DOCUMENTS_FILE": DOCUMENTS_FILE,
                    "documents": ", ".join(sorted(self.bundle.documents)),
                },
            )
        lines = source["lines"]
        if isinstance(lines, int) and not isinstance(lines, bool):
            lines = [lines, lines]
        if (
            not isinstance(lines, list)
            or len(lines) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in lines)
        ):
            raise _fail(
                item,
                f"{label}.lines",
                _(
                    "« %(lines)s » n'est pas un intervalle de "
                    "lignes ; écrivez [première, dernière] "
                    "(numéros de ligne du fichier source, à "
                    "partir de 1)."
                )
                % {"lines": source["lines"]},
            )
        first, last = lines
        count = self.bundle.documents[doc]["line_count"]
        if not 1 <= first <= last <= count:
            raise _fail(
                item,
                f"{label}.lines",
                _(
                    "les lignes %(first)s–%(last)s sont hors du "
                    "document %(doc)s (lignes 1–%(count)s) ou "
                    "inversées ; vérifiez-les avec sed -n "
                    "'%(first)s,%(last)sp' sur le fichier source."
                )
                % {"first": first, "last": last, "doc": doc, "count": count},
            )
        quote = source["quote"]
        if not isinstance(quote, str) or not quote.strip():
            raise _fail(item, f"{label}.quote", _("citez le passage qui prouve le fait."))
        if len(quote) > MAX_QUOTE:
            raise _fail(
                item,
                f"{label}.quote",
                _("la citation fait %(count)s caractères ; restez sous %(MAX_QUOTE)s.")
                % {"count": len(quote), "MAX_QUOTE": MAX_QUOTE},
            )
        source["lines"] = [first, last]

    def _inferred(self, item: Item, value, label: str) -> None:
        """`inferred: {field: reasoning}`: a value the texts do not state, and why it was set."""
        if value is None:
            return
        if not isinstance(value, dict) or not value:
            raise _fail(item, label, _('écrivez {champ: "d\'où la valeur est déduite"}.'))
        for name, reasoning in value.items():
            if name == LINE:
                continue
            if not isinstance(reasoning, str) or len(reasoning.strip()) < 10:
                raise _fail(
                    item,
                    f"{label}.{name}",
                    _("dites de quoi la valeur est déduite (une phrase), ou omettez la valeur."),
                )
        value.pop(LINE, None)

    def _amount(self, item: Item, name: str, value) -> None:
        if not isinstance(value, str) or not AMOUNT_RE.match(value):
            raise _fail(
                item,
                name,
                _(
                    "« %(value)s » n'est pas un montant : écrivez un montant "
                    "positif entre guillemets avec 2 décimales, par exemple "
                    '"700000.00".'
                )
                % {"value": value},
            )

    def _project(self, item: Item) -> None:
        data = item.data
        sectors = data.get("sectors") or []
        if sectors:
            total = Decimal(0)
            for s in sectors:
                if not isinstance(s, dict) or "code" not in s or "percentage" not in s:
                    raise _fail(item, "sectors", _('chaque secteur est {code: "23210", percentage: 100}.'))
                pct = s["percentage"]
                if isinstance(pct, bool) or not isinstance(pct, int | float | str):
                    raise _fail(
                        item, "sectors", _("le pourcentage « %(pct)s » n'est pas un nombre.") % {"pct": pct}
                    )
                try:
                    total += Decimal(str(pct))
                except ArithmeticError as exc:
                    raise _fail(
                        item, "sectors", _("le pourcentage « %(pct)s » n'est pas un nombre.") % {"pct": pct}
                    ) from exc
            if total != 100:
                raise _fail(
                    item,
                    "sectors",
                    _(
                        "les pourcentages des secteurs totalisent "
                        "%(total)s, pas 100 ; corrigez-les pour que "
                        "leur somme fasse 100."
                    )
                    % {"total": total},
                )
        for i, line in enumerate(data.get("funding") or []):
            label = f"funding[{i}]"
            if not isinstance(line, dict):
                raise _fail(item, label, _("une ligne de financement est {funder, amount, …}."))
            self._keys(item, *FUNDING_KEYS, line, label)
            self._amount(item, f"{label}.amount", line["amount"])
            if "source" in line and "sources" in line:
                raise _fail(item, f"{label}.sources", _("donnez `source` ou `sources`, pas les deux."))
            if "source" in line:
                self._source(item, line["source"], f"{label}.source", 0)
            if "sources" in line:
                if not isinstance(line["sources"], list) or not line["sources"]:
                    raise _fail(item, f"{label}.sources", _("donnez une liste non vide de sources."))
                for j, source in enumerate(line["sources"]):
                    self._source(item, source, f"{label}.sources", j)
            self._inferred(item, line.get("inferred"), f"{label}.inferred")
            if line.get("year") is not None and not _is_year(line["year"]):
                raise _fail(
                    item, f"{label}.year", _("« %(year)s » n'est pas une année.") % {"year": line["year"]}
                )

    # -- references between records (all files read: a record may point into another file)
    def _need(self, item: Item, field_name: str, ref: str, sections: tuple[str, ...]) -> None:
        target = self.bundle.refs.get(ref)
        if target is None or target.section not in sections:
            raise _fail(
                item,
                field_name,
                _(
                    "référence inconnue « %(ref)s » : aucun "
                    "enregistrement %(sections)s ne porte cette ref "
                    "dans aucun fichier ; vérifiez l'orthographe ou "
                    "déclarez-le."
                )
                % {"ref": ref, "sections": " or ".join(sections)},
            )

    def _authority_code(self, item: Item, field_name: str, code) -> None:
        if not isinstance(code, str) or ":" not in code:
            raise _fail(
                item,
                field_name,
                _(
                    "« %(code)s » n'est pas une référence de "
                    "collectivité ; écrivez commune:INSEE, "
                    "departement:NN, region:NN, siren:XXXXXXXXX, "
                    "iso:ML-5 ou ref:<collectivité déclarée>."
                )
                % {"code": code},
            )
        prefix, value = code.split(":", 1)
        if prefix not in AUTHORITY_PREFIXES:
            raise _fail(
                item,
                field_name,
                _("« %(code)s » : préfixe inconnu « %(prefix)s » ; utilisez l'un de %(AUTHORITY_PREFIXES)s.")
                % {"code": code, "prefix": prefix, "AUTHORITY_PREFIXES": ", ".join(AUTHORITY_PREFIXES)},
            )
        if prefix == "ref":
            self._need(item, field_name, value, ("authorities",))

    def _links(self, item: Item) -> None:
        d = item.data
        s = item.section
        if s == "authorities" and d.get("parent"):
            self._authority_code(item, "parent", d["parent"])
        if s == "partnerships":
            parties = d["parties"]
            if not isinstance(parties, list):
                raise _fail(item, "parties", _("donnez une liste de références de collectivités."))
            if len(set(map(str, parties))) < 2:
                raise _fail(
                    item,
                    "parties",
                    _(
                        "un partenariat a au moins deux parties "
                        "différentes ; ajoutez la collectivité "
                        "partenaire."
                    ),
                )
            for code in parties:
                self._authority_code(item, "parties", code)
            for org in d.get("organisations") or []:
                self._need(item, "organisations", _ref_of(str(org), "org"), ("organisations",))
        if s == "conventions":
            self._need(item, "partnership", str(d["partnership"]), ("partnerships",))
            for code in d.get("parties") or []:
                self._authority_code(item, "parties", code)
        if s == "projects":
            for ref in d.get("partnerships") or []:
                self._need(item, "partnerships", str(ref), ("partnerships",))
            for p in d.get("participants") or []:
                if not isinstance(p, dict) or "authority" not in p:
                    raise _fail(
                        item, "participants", _("chaque participant est {authority: …, role: lead|partner}.")
                    )
                self._authority_code(item, "participants", p["authority"])
            for o in d.get("operators") or []:
                if not isinstance(o, dict) or "organisation" not in o:
                    raise _fail(
                        item,
                        "operators",
                        _(
                            "chaque opérateur est {organisation: "
                            "<ref>, role: "
                            "implementing|accountable|extending|funding}."
                        ),
                    )
                self._need(item, "operators", _ref_of(str(o["organisation"]), "org"), ("organisations",))
            for i, line in enumerate(d.get("funding") or []):
                self._funder(item, f"funding[{i}].funder", line["funder"])
        if s == "programmes":
            if d.get("carrier"):
                self._funder(item, "carrier", d["carrier"])
            for m in d.get("members") or []:
                code = m.get("authority") if isinstance(m, dict) else m
                self._authority_code(item, "members", code)
        if s == "partner_requests":
            self._authority_code(item, "authority", d["authority"])
            if d.get("registered_by"):
                self._need(item, "registered_by", _ref_of(str(d["registered_by"]), "org"), ("organisations",))
        if s == "contacts":
            if not d.get("organisation") and not d.get("authority"):
                raise _fail(
                    item,
                    "organisation",
                    _("dites pour qui travaille le contact : organisation: org:<ref> ou authority: <code>."),
                )
            if d.get("organisation"):
                self._need(item, "organisation", _ref_of(str(d["organisation"]), "org"), ("organisations",))
            if d.get("authority"):
                self._authority_code(item, "authority", d["authority"])
        if s == "published_figures" and d.get("authority"):
            self._authority_code(item, "authority", d["authority"])

    def _funder(self, item: Item, field_name: str, code) -> None:
        if isinstance(code, str) and code.startswith("org:"):
            self._need(item, field_name, code[4:], ("organisations",))
        else:
            self._authority_code(item, field_name, code)


# --------------------------------------------------------------------------- writing


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class _Writer:
    """Writes the checked bundle through the services; a failed lookup is a RecordError."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.documents: dict[str, SourceDocument] = {}
        self.authorities: dict[str, LocalAuthority] = {}
        self.organisations: dict[str, Organisation] = {}
        self.partnerships: dict[str, Partnership] = {}
        self.counts: dict[str, int] = {s: 0 for s in SECTIONS}
        self.counts.update(funding_lines=0, created=0, updated=0)
        self._cache: dict[tuple[str, str], Any] = {}

    def run(self) -> dict[str, int]:
        # Section order follows the references: authorities and organisations first.
        for section in SECTIONS:
            write = getattr(self, f"write_{section}")
            for item in self.bundle.items[section]:
                try:
                    record = write(item)
                    if record is not None:
                        self.annotate(record, item.data)
                except RecordError as exc:
                    raise _fail(item, exc.field, exc.message) from exc
                except AppError as exc:
                    raise _fail(item, exc.field, exc.message) from exc
                except ValidationError as exc:
                    raise _fail(item, None, " ".join(exc.messages)) from exc
                self.counts[section] += 1
        return self.counts

    def _tally(self, created: bool) -> None:
        self.counts["created" if created else "updated"] += 1

    # -- lookups
    def _lookup(self, kind: str, key: str, field_name: str, find: Callable[[], Any], hint: str) -> Any:
        if (kind, key) not in self._cache:
            found = find()
            if found is None:
                raise RecordError(
                    field_name,
                    _("%(unknown)s ; %(hint)s") % {"unknown": UNKNOWN[kind] % {"key": key}, "hint": hint},
                )
            self._cache[(kind, key)] = found
        return self._cache[(kind, key)]

    def get_country(self, iso2, field_name: str = "country") -> Country:
        code = str(iso2).upper()
        return self._lookup(
            "country",
            code,
            field_name,
            lambda: lookups.country_by_code(code),
            _(
                "donnez un code ISO 3166-1 alpha-2 (ML, FR…) des données de "
                "référence (coopatlas load-reference)."
            ),
        )

    def get_area(self, code, field_name: str = "area") -> AdministrativeArea:
        return self._lookup(
            "area",
            str(code),
            field_name,
            lambda: lookups.area_by_code(code),
            _("donnez un code ISO 3166-2 des données de référence (ML-5, FR-35…)."),
        )

    def get_theme(self, slug, field_name: str = "themes") -> Theme:
        return self._lookup(
            "theme",
            str(slug),
            field_name,
            lambda: lookups.theme_by_slug(slug),
            _(
                "utilisez l'identifiant d'un nœud de l'arbre des thématiques "
                "(par exemple eau-et-assainissement)."
            ),
        )

    def get_sector(self, code, field_name: str = "sectors") -> Sector:
        return self._lookup(
            "DAC sector",
            str(code),
            field_name,
            lambda: lookups.sector_by_code(code),
            _("utilisez un code objet CAD à 5 chiffres (par exemple 23210)."),
        )

    def get_sdg_goal(self, number, field_name: str = "sdg_goals") -> SdgGoal:
        return self._lookup(
            "SDG",
            str(number),
            field_name,
            lambda: lookups.sdg_goal_by_number(number),
            _("les ODD sont numérotés de 1 à 17."),
        )

    def get_sdg_target(self, code, field_name: str = "sdg_targets") -> SdgTarget:
        return self._lookup(
            "SDG target",
            str(code),
            field_name,
            lambda: lookups.sdg_target_by_code(code),
            _('écrivez la cible entre guillemets, comme "7.1" ou "16.a".'),
        )

    def get_marker(self, slug, field_name: str = "markers") -> PolicyMarker:
        return self._lookup(
            "policy marker",
            str(slug),
            field_name,
            lambda: lookups.marker_by_code(slug),
            _("utilisez l'identifiant d'un marqueur (gender, environment, biodiversity…)."),
        )

    def get_authority(self, code: str, field_name: str) -> LocalAuthority:
        if code.startswith("ref:"):
            return self.authorities[code[4:]]
        from coopatlas.geo.selectors import authority_get_by_code  # the reference helper's

        def find() -> LocalAuthority:
            try:
                return authority_get_by_code(code=code)
            except NotFound as exc:
                raise RecordError(
                    field_name,
                    _("code de collectivité inconnu « %(code)s » : %(message)s")
                    % {"code": code, "message": exc.message},
                ) from exc

        return self._lookup(
            "authority", code, field_name, find, _("vérifiez le code dans le code officiel géographique.")
        )

    def get_organisation(self, ref) -> Organisation:
        return self.organisations[_ref_of(str(ref), "org")]

    def get_funder(self, code: str, field_name: str) -> tuple[LocalAuthority | None, Organisation | None]:
        if code.startswith("org:"):
            return None, self.get_organisation(code)
        return self.get_authority(code, field_name), None

    def get_source(self, data: dict) -> Source:
        """The record's main source (its first); `annotate` links the others after."""
        return self.cite(data["sources"][0] if "sources" in data else data["source"])

    def annotate(self, record, data: dict) -> None:
        """Link all the record's sources in order, and its deduced values with their reasons."""
        cited = data["sources"] if "sources" in data else [data["source"]] if "source" in data else []
        record_citations_set(record=record, sources=[self.cite(s) for s in cited])
        record_inferences_set(record=record, inferences=dict(data.get("inferred") or {}))

    def cite(self, source: dict) -> Source:
        first, last = source["lines"]
        citation = {
            "document": self.documents[str(source["doc"])],
            "line_start": first,
            "line_end": last,
            "url": _text(source.get("url")),
            "quote": " ".join(source["quote"].split()),
        }
        # source_cite validates the unique constraint before it looks for the existing
        # citation, so an already stored citation is looked up here first.
        return Source.objects.filter(**citation).first() or source_cite(**citation)

    def _themes(self, values) -> list[Theme]:
        return [self.get_theme(t) for t in values or []]

    # -- sections
    def write_documents(self, item: Item) -> None:
        d = item.data
        key = str(d["key"])
        existed = SourceDocument.objects.filter(key=key).exists()
        doc = source_document_get_or_create(
            key=key,
            title=_text(d["title"]),
            publisher=_text(d.get("publisher")),
            url=_text(d.get("url")),
            licence=_text(d.get("licence")),
        )
        published_on = d.get("published_on")
        if doc.published_on != published_on:
            # source_document_get_or_create takes no published_on (yet).
            doc.published_on = published_on
            doc.save(update_fields=["published_on"])
        if d.get("text"):
            source_document_text_set(document=doc, text=d["text"])
        self.documents[key] = doc
        self._tally(not existed)

    def _coordinates(self, d: dict, country: Country, area: AdministrativeArea | None) -> dict:
        """A town's GeoNames place when named, else its area's centroid, else its country's."""
        if d.get("latitude") is not None and d.get("longitude") is not None:
            return {
                "latitude": float(d["latitude"]),
                "longitude": float(d["longitude"]),
                "coordinates_from": "source",
            }
        if d.get("place"):
            place = (
                Place.objects.filter(country=country, search_name=fold(str(d["place"])))
                .order_by("-population")
                .first()
            )
            if place is None:
                raise RecordError(
                    "place",
                    _(
                        "aucun lieu GeoNames « %(place)s » en %(iso2)s ; "
                        "vérifiez l'orthographe ou omettez le lieu."
                    )
                    % {"place": d["place"], "iso2": country.iso2},
                )
            return {"latitude": place.latitude, "longitude": place.longitude, "coordinates_from": "geonames"}
        for holder, label in ((area, "parent"), (country, "country")):
            if holder is not None and holder.latitude is not None:
                return {"latitude": holder.latitude, "longitude": holder.longitude, "coordinates_from": label}
        return {"latitude": None, "longitude": None, "coordinates_from": ""}

    def write_authorities(self, item: Item) -> None:
        d = item.data
        ref = d["ref"]
        country = self.get_country(d["country"])
        area = self.get_area(d["area"]) if d.get("area") else None
        name, kind = _text(d["name"]), _text(d["kind"])
        fields = {
            "area": area,
            "foreign_code": _text(d.get("foreign_code")),
            "population": d.get("population"),
            "parent": self.get_authority(d["parent"], "parent") if d.get("parent") else None,
            **self._coordinates(d, country, area),
        }
        source = self.get_source(d)
        existing = LocalAuthority.objects.filter(slug=ref).first()
        if existing is None and fields["foreign_code"]:
            # The reference data may already hold this authority under its official code.
            existing = LocalAuthority.objects.filter(
                country=country, kind=kind, foreign_code=fields["foreign_code"]
            ).first()
        if existing is not None:
            authority = services.authority_update_foreign(
                authority=existing, source=source, name=name, kind=kind, country=country, **fields
            )
        else:
            authority = services.authority_create_foreign(
                slug=ref, name=name, kind=kind, country=country, source=source, **fields
            )
        services.authority_alias_set(authority=authority, names=list(d.get("aliases") or []))
        self.authorities[ref] = authority
        self._tally(existing is None)
        return authority

    def write_organisations(self, item: Item) -> None:
        d = item.data
        fields = {
            "name": _text(d["name"]),
            "kind": _text(d["kind"]),
            "acronym": _text(d.get("acronym")),
            "country": self.get_country(d["country"]) if d.get("country") else None,
            "description": _text(d.get("description")),
            "website": _text(d.get("website")),
            "siren": _text(d.get("siren")) or None,
        }
        source = self.get_source(d)
        existing = Organisation.objects.filter(slug=d["ref"]).first()
        if existing is not None:
            organisation = services.organisation_update(organisation=existing, source=source, **fields)
        else:
            organisation = services.organisation_create(slug=d["ref"], source=source, **fields)
        self.organisations[d["ref"]] = organisation
        self._tally(existing is None)
        return organisation

    def write_partnerships(self, item: Item) -> None:
        d = item.data
        parties = [self.get_authority(str(c), "parties") for c in d["parties"]]
        fields = {
            "title": _text(d["title"]),
            "kind": _text(d["kind"]),
            "status": _text(d.get("status")) or Partnership._meta.get_field("status").default,
            "start_year": d.get("start_year"),
            "start_date": d.get("start_date"),
            "end_year": d.get("end_year"),
            "end_date": d.get("end_date"),
            "first_convention_year": d.get("first_convention_year"),
            "description": _text(d.get("description")),
            "history": _text(d.get("history")),
        }
        links = {
            "parties": parties,
            "themes": self._themes(d.get("themes")),
            "organisations": [self.get_organisation(o) for o in d.get("organisations") or []],
        }
        source = self.get_source(d)
        existing = Partnership.objects.filter(slug=d["ref"]).first()
        if existing is not None:
            partnership = services.partnership_update(partnership=existing, source=source, **links, **fields)
        else:
            partnership = services.partnership_create(slug=d["ref"], source=source, **links, **fields)
        self.partnerships[d["ref"]] = partnership
        self._tally(existing is None)
        return partnership

    def write_conventions(self, item: Item) -> None:
        d = item.data
        partnership = self.partnerships[str(d["partnership"])]
        parties = [self.get_authority(str(c), "parties") for c in d["parties"]] if d.get("parties") else None
        fields = {
            "purpose": _text(d.get("purpose")),
            "signed_year": d.get("signed_year"),
            "signed_on": d.get("signed_on"),
            "starts_on": d.get("starts_on"),
            "ends_on": d.get("ends_on"),
            "duration_months": d.get("duration_months"),
            "estimated_commitment": d.get("estimated_commitment"),
            "currency": _text(d.get("currency")) or "EUR",
        }
        source = self.get_source(d)
        title = _text(d["title"])
        # Conventions have no slug: (partnership, title) identifies them across runs.
        existing = Convention.objects.filter(partnership=partnership, title=title).first()
        if existing is not None:
            convention = services.convention_update(
                convention=existing, source=source, parties=parties, **fields
            )
        else:
            convention = services.convention_create(
                partnership=partnership, title=title, source=source, parties=parties, **fields
            )
        self._tally(existing is None)
        return convention

    def _project_links(self, d: dict) -> services.ProjectLinks:
        themes = []
        for t in d.get("themes") or []:
            slug, main = (t.get("theme"), bool(t.get("main"))) if isinstance(t, dict) else (t, False)
            themes.append((self.get_theme(slug), main))
        markers = d.get("markers") or {}
        if not isinstance(markers, dict):
            raise RecordError(
                "markers", _("écrivez les marqueurs sous la forme {environment: 1, gender: 2}.")
            )
        return {
            "partnerships": [self.partnerships[str(r)] for r in d.get("partnerships") or []],
            "participants": [
                (self.get_authority(str(p["authority"]), "participants"), _text(p.get("role")) or "partner")
                for p in d.get("participants") or []
            ],
            "operators": [
                (self.get_organisation(o["organisation"]), _text(o.get("role")) or "implementing")
                for o in d.get("operators") or []
            ],
            "countries": [self.get_country(c, "countries") for c in d.get("countries") or []],
            "areas": [self.get_area(a, "areas") for a in d.get("areas") or []],
            "themes": themes,
            "sectors": [(self.get_sector(s["code"]), s["percentage"]) for s in d.get("sectors") or []],
            "sdg_goals": [self.get_sdg_goal(g) for g in d.get("sdg_goals") or []],
            "sdg_targets": [self.get_sdg_target(t) for t in d.get("sdg_targets") or []],
            "markers": [(self.get_marker(slug), value) for slug, value in markers.items() if slug != LINE],
        }

    def write_projects(self, item: Item) -> None:
        d = item.data
        fields = {
            "title": _text(d["title"]),
            "summary": _text(d.get("summary")),
            "context": _text(d.get("context")),
            "objective": _text(d.get("objective")),
            "description": _text(d.get("description")),
            "status": _text(d.get("status")) or "unknown",
            "start_year": d.get("start_year"),
            "start_date": d.get("start_date"),
            "end_year": d.get("end_year"),
            "end_date": d.get("end_date"),
            "budget": d.get("budget"),
            "currency": _text(d.get("currency")) or "EUR",
            "beneficiaries": _text(d.get("beneficiaries")),
            "beneficiaries_count": d.get("beneficiaries_count"),
            "results": _text(d.get("results")),
        }
        links = self._project_links(d)
        source = self.get_source(d)
        existing = Project.objects.filter(slug=d["ref"]).first()
        if existing is not None:
            # Budget last: a lowered budget is checked against the new financing plan.
            project = services.project_update(
                project=existing, source=source, links=links, **{**fields, "budget": None}
            )
        else:
            project = services.project_create(
                slug=d["ref"], source=source, links=links, **{**fields, "budget": None}
            )
        self._funding(project, d.get("funding") or [], source)
        if fields["budget"] is not None:
            project = services.project_update(project=project, budget=fields["budget"])
        self._tally(existing is None)
        return project

    def _funding(self, project: Project, lines: list[dict], project_source: Source) -> None:
        """Make the financing plan hold exactly the file's lines, updating matching ones."""

        def key_of(fa, fo, instrument, year, annual, nature):
            return (fa, fo, instrument, year, bool(annual), nature)

        existing = {
            key_of(
                f.funder_authority_id, f.funder_organisation_id, f.instrument, f.year, f.is_annual, f.nature
            ): f
            for f in project.funding.all()
        }
        wanted: dict[tuple, tuple[int, dict, Any, Any]] = {}
        for i, line in enumerate(lines):
            fa, fo = self.get_funder(str(line["funder"]), f"funding[{i}].funder")
            key = key_of(
                fa.pk if fa else None,
                fo.pk if fo else None,
                _text(line.get("instrument")) or "own_funds",
                line.get("year"),
                line.get("is_annual"),
                _text(line.get("nature")) or "cash",
            )
            if key in wanted:
                raise RecordError(
                    f"funding[{i}]",
                    _(
                        "ce financeur apparaît deux fois avec les "
                        "mêmes instrument, année et nature ; "
                        "fusionnez les deux lignes."
                    ),
                )
            wanted[key] = (i, line, fa, fo)
        for key, old in existing.items():
            if key not in wanted:
                services.funding_remove(line=old)
        for key, (i, line, fa, fo) in wanted.items():
            cited = line.get("sources") or ([line["source"]] if "source" in line else [])
            source = self.cite(cited[0]) if cited else project_source
            try:
                if key in existing:
                    funding = services.funding_update(
                        line=existing[key], amount=line["amount"], source=source, note=_text(line.get("note"))
                    )
                else:
                    funding = services.funding_add(
                        project=project,
                        amount=line["amount"],
                        source=source,
                        funder_authority=fa,
                        funder_organisation=fo,
                        instrument=key[2],
                        year=key[3],
                        is_annual=key[4],
                        nature=key[5],
                        currency=_text(line.get("currency")) or "EUR",
                        note=_text(line.get("note")),
                    )
                self.annotate(
                    funding,
                    {"sources": cited, "inferred": line.get("inferred")}
                    if cited
                    else {"inferred": line.get("inferred")},
                )
            except AppError as exc:
                raise RecordError(f"funding[{i}].{exc.field or 'amount'}", exc.message) from exc
            self.counts["funding_lines"] += 1

    def write_programmes(self, item: Item) -> None:
        d = item.data
        carrier_authority = carrier_organisation = None
        if d.get("carrier"):
            carrier_authority, carrier_organisation = self.get_funder(str(d["carrier"]), "carrier")
        members = []
        for m in d.get("members") or []:
            code, year = (m["authority"], m.get("joined_year")) if isinstance(m, dict) else (m, None)
            members.append((self.get_authority(str(code), "members"), year))
        fields = {
            "title": _text(d["title"]),
            "description": _text(d.get("description")),
            "carrier_organisation": carrier_organisation,
            "carrier_authority": carrier_authority,
            "budget_per_member": d.get("budget_per_member"),
            "budget_total": d.get("budget_total"),
            "currency": _text(d.get("currency")) or "EUR",
            "start_year": d.get("start_year"),
            "end_year": d.get("end_year"),
            "is_open": bool(d.get("is_open", True)),
        }
        lists = {
            "countries": [self.get_country(c, "countries") for c in d.get("countries") or []],
            "themes": self._themes(d.get("themes")),
            "members": members,
        }
        source = self.get_source(d)
        existing = Programme.objects.filter(slug=d["ref"]).first()
        if existing is not None:
            programme = services.programme_update(programme=existing, source=source, **lists, **fields)
        else:
            programme = services.programme_create(slug=d["ref"], source=source, **lists, **fields)
        self._tally(existing is None)
        return programme

    def write_partner_requests(self, item: Item) -> None:
        d = item.data
        authority = self.get_authority(str(d["authority"]), "authority")
        registered_by = self.get_organisation(d["registered_by"]) if d.get("registered_by") else None
        fields = {
            "registered_by": registered_by,
            "description": _text(d.get("description")),
            "wishes": _text(d.get("wishes")),
            "status": _text(d.get("status")) or "open",
            "registered_year": d.get("registered_year"),
        }
        source = self.get_source(d)
        themes = self._themes(d.get("themes"))
        # No slug on partner requests: (authority, registering organisation) identifies one.
        existing = PartnerRequest.objects.filter(authority=authority, registered_by=registered_by).first()
        if existing is not None:
            request = services.partner_request_update(
                request=existing, source=source, themes=themes, **fields
            )
        else:
            request = services.partner_request_create(
                authority=authority, source=source, themes=themes, **fields
            )
        self._tally(existing is None)
        return request

    def write_contacts(self, item: Item) -> None:
        d = item.data
        fields = {
            "name": _text(d.get("name")),
            "role": _text(d["role"]),
            "organisation": (self.get_organisation(d["organisation"]) if d.get("organisation") else None),
            "authority": (
                self.get_authority(str(d["authority"]), "authority") if d.get("authority") else None
            ),
            "email": _text(d.get("email")),
            "phone": _text(d.get("phone")),
            "country": self.get_country(d["country"]) if d.get("country") else None,
        }
        source = self.get_source(d)
        themes = self._themes(d.get("themes"))
        # No slug on contacts: the e-mail address, else name and role, identifies one.
        same = Contact.objects.filter(organisation=fields["organisation"], authority=fields["authority"])
        existing = (
            same.filter(email=fields["email"])
            if fields["email"]
            else same.filter(name=fields["name"], role=fields["role"])
        ).first()
        if existing is not None:
            contact = services.contact_update(contact=existing, source=source, themes=themes, **fields)
        else:
            fields.pop("role")
            contact = services.contact_create(role=_text(d["role"]), source=source, themes=themes, **fields)
        self._tally(existing is None)
        return contact

    def write_country_profiles(self, item: Item) -> None:
        d = item.data
        country = self.get_country(d["country"])
        existed = CountryProfile.objects.filter(country=country).exists()
        profile = services.country_profile_set(
            country=country,
            source=self.get_source(d),
            summary=_text(d.get("summary")),
            history=_text(d.get("history")),
            context=_text(d.get("context")),
            embassy_service=_text(d.get("embassy_service")),
        )
        self._tally(not existed)
        return profile

    def write_published_figures(self, item: Item) -> None:
        from coopatlas.core.models import PublishedFigure

        d = item.data
        country = self.get_country(d["country"]) if d.get("country") else None
        authority = self.get_authority(str(d["authority"]), "authority") if d.get("authority") else None
        key = {
            "metric": _text(d["metric"]),
            "country": country,
            "authority": authority,
            "dimension": _text(d.get("dimension")),
            "dimension_value": _text(d.get("dimension_value")),
            "year": d.get("year"),
        }
        existed = PublishedFigure.objects.filter(**key).exists()
        figure = published_figure_set(
            label=_text(d["label"]),
            value=Decimal(str(d["value"])),
            unit=_text(d.get("unit")) or "count",
            source=self.get_source(d),
            **key,
        )
        self._tally(not existed)
        return figure


# --------------------------------------------------------------------------- entry point


def demo_load(*, data_dir: Path | None = None, stdout=None) -> dict[str, int]:
    """Read, check and write every demo file of `data_dir` (default: this folder).

    Returns the number of records per section, plus `created` and `updated` (records that
    already existed and were updated in place). Raises AppError and writes nothing on any
    problem.
    """
    folder = Path(data_dir) if data_dir else DEMO_DIR
    bundle = _Checker(_read(folder)).run()
    with transaction.atomic():
        counts = _Writer(bundle).run()
        # the demo's foreign authorities stand for gazetteer entries: link them (issue 9)
        from coopatlas.geo.gazetteer import gazetteer_link_authorities

        gazetteer_link_authorities()
    if stdout is not None:
        parts = ", ".join(
            f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if s not in ("created", "updated") and n
        )
        stdout.write(
            _(
                "Données de démonstration de %(folder)s : %(parts)s ; %(created)s créés, "
                "%(updated)s déjà présents (mis à jour sur place)."
            )
            % {"folder": folder, "parts": parts, "created": counts["created"], "updated": counts["updated"]}
            + "\n"
        )
    return counts
