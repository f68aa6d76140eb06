"""Rule sets of calls for proposals as data: the schema, its validation, the loader.

A rule set is a YAML (or JSON) mapping; `ruleset_validate` returns the cleaned rules or
raises an `AppError` naming the key and the fix. A file that contradicts itself (a minimum
grant above the maximum, weights not adding up to 100…) is refused as a whole. The rules
of a call are frozen once it opens (services.call_open); a new year is a new version.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import yaml
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopatlas.core.errors import AppError
from coopatlas.core.parse import BadNumber, money_display, parse_decimal, parse_int

DATA_DIR = Path(__file__).parent / "data" / "rulesets"

# Partner-country categories a cap may name (geo.Country / geo.CountryOdaStatus, see
# selectors.country_categories): the most favourable cap among those a country is in applies.
CATEGORIES = {
    "ldc": gettext_lazy("pays moins avancé"),
    "cicid_priority": gettext_lazy("pays prioritaire du CICID (8 février 2018)"),
    "oda_eligible": gettext_lazy("pays éligible à l'APD"),
    "not_eligible": gettext_lazy("pays non éligible à l'APD"),
}
DOCUMENTS = {
    "deliberation": gettext_lazy("délibération de l'assemblée"),
    "convention": gettext_lazy("convention de coopération"),
    "budget": gettext_lazy("budget prévisionnel"),
}
PREREQUISITES = {
    "aid_declared_previous_year": gettext_lazy("aide déclarée pour l'année précédente"),
    "records_confirmed_12_months": gettext_lazy("fiches confirmées depuis moins de 12 mois"),
    "reports_filed": gettext_lazy("rapports des subventions précédentes déposés"),
}
ORIGINS = ("document", "example")
TOP_KEYS = {
    "key",
    "version",
    "year",
    "title",
    "origin",
    "source",
    "instrument",
    "ministry_share",
    "grant",
    "authorities",
    "cofunders_min_share",
    "min_french_authorities",
    "max_duration_months",
    "required_documents",
    "prerequisites",
    "grid",
    "inferred",
    "one_percent",
}


def _err(key: str, message: str) -> AppError:
    return AppError(_("%(key)s : %(message)s") % {"key": key, "message": message}, field=key)


def _pct(value, key: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = parse_decimal(value, field=key, max_digits=6, decimal_places=2, minimum=0)
    except BadNumber as exc:
        raise _err(
            key, _("un pourcentage entre 0 et 100 est attendu (%(detail)s).") % {"detail": exc.message}
        ) from None
    if number > 100:
        raise _err(
            key, _("%(value)s %% dépasse 100 %% ; donnez un pourcentage entre 0 et 100.") % {"value": number}
        )
    return number


def _money(value, key: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_decimal(value, field=key, max_digits=16, decimal_places=2, minimum=0)
    except BadNumber as exc:
        raise _err(
            key, _("un montant en euros positif est attendu (%(detail)s).") % {"detail": exc.message}
        ) from None


def _int(value, key: str, *, minimum: int = 0) -> int | None:
    if value is None:
        return None
    try:
        return parse_int(value, field=key, minimum=minimum, maximum=10**6)
    except BadNumber as exc:
        raise _err(key, exc.message) from None


def _mapping(value, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(key, _("une table (clé: valeur) est attendue."))
    return value


def _choices(values, key: str, allowed: dict) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _err(key, _("une liste de codes est attendue."))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _err(
            key,
            _("« %(code)s » inconnu ; codes possibles : %(allowed)s.")
            % {"code": unknown[0], "allowed": ", ".join(allowed)},
        )
    if len(set(values)) != len(values):
        raise _err(key, _("un code apparaît deux fois ; retirez le doublon."))
    return values


def ruleset_validate(data) -> dict:
    """The cleaned rules (amounts as strings of Decimals, JSON-safe), or an AppError."""
    if not isinstance(data, dict):
        raise _err("rules", _("le fichier doit être une table YAML ou un objet JSON."))
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise _err(
            unknown[0], _("clé inconnue ; clés possibles : %(keys)s.") % {"keys": ", ".join(sorted(TOP_KEYS))}
        )
    key = data.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > 80:
        raise _err("key", _("donnez un identifiant court au jeu de règles (ex. daect-generaliste)."))
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _err("title", _("donnez un titre en clair au jeu de règles."))
    origin = data.get("origin", "example")
    if origin not in ORIGINS:
        raise _err("origin", _("« document » (règle tirée des documents) ou « example » (exemple)."))
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _err("source", _("citez d'où viennent ces règles (document et lignes, ou adresse)."))
    out: dict = {
        "key": key.strip(),
        "version": _int(data.get("version", 1), "version", minimum=1),
        "year": _int(data.get("year"), "year", minimum=1900),
        "title": title.strip(),
        "origin": origin,
        "source": source.strip(),
        "instrument": data.get("instrument") or "daect_call",
    }
    share = _mapping(data.get("ministry_share"), "ministry_share")
    caps_in = _mapping(share.get("caps_by_category"), "ministry_share.caps_by_category")
    caps = {}
    for cat, value in caps_in.items():
        if cat not in CATEGORIES:
            raise _err(
                "ministry_share.caps_by_category",
                _("catégorie « %(code)s » inconnue ; catégories possibles : %(allowed)s.")
                % {"code": cat, "allowed": ", ".join(CATEGORIES)},
            )
        caps[cat] = _pct(value, f"ministry_share.caps_by_category.{cat}")
    flat = _pct(share.get("flat_rate"), "ministry_share.flat_rate")
    multi = _pct(share.get("multi_country_rate"), "ministry_share.multi_country_rate")
    if flat is not None and caps:
        raise _err(
            "ministry_share.flat_rate",
            _(
                "un taux unique et des plafonds par catégorie de pays se contredisent "
                "; gardez l'un ou l'autre."
            ),
        )
    if caps and "not_eligible" not in caps and "oda_eligible" not in caps:
        raise _err(
            "ministry_share.caps_by_category",
            _(
                "donnez au moins un plafond pour oda_eligible ou not_eligible (les "
                "pays hors de ces catégories ne seraient couverts par aucun plafond)."
            ),
        )
    out["ministry_share"] = {
        "caps_by_category": {k: str(v) for k, v in caps.items()},
        "flat_rate": None if flat is None else str(flat),
        "multi_country_rate": None if multi is None else str(multi),
    }
    grant = _mapping(data.get("grant"), "grant")
    gmin, gmax = _money(grant.get("min"), "grant.min"), _money(grant.get("max"), "grant.max")
    if gmin is not None and gmax is not None and gmin > gmax:
        raise _err(
            "grant.min",
            _(
                "le minimum (%(min)s) dépasse le maximum (%(max)s) : aucune "
                "subvention ne pourrait être accordée ; corrigez l'un des deux."
            )
            % {"min": money_display(gmin, places=None), "max": money_display(gmax, places=None)},
        )
    out["grant"] = {"min": None if gmin is None else str(gmin), "max": None if gmax is None else str(gmax)}
    auth = _mapping(data.get("authorities"), "authorities")
    min_share = _pct(auth.get("min_share"), "authorities.min_share")
    in_kind = _pct(auth.get("in_kind_max_of_share"), "authorities.in_kind_max_of_share")
    cofunders = _pct(data.get("cofunders_min_share"), "cofunders_min_share")
    out["authorities"] = {
        "min_share": None if min_share is None else str(min_share),
        "in_kind_max_of_share": None if in_kind is None else str(in_kind),
    }
    if in_kind is not None and min_share is None:
        raise _err(
            "authorities.in_kind_max_of_share",
            _(
                "un plafond de valorisation rapporté à la part des collectivités "
                "demande cette part (authorities.min_share) ; ajoutez-la ou retirez ce "
                "plafond."
            ),
        )
    if min_share == 100 and (caps or flat or multi):
        raise _err(
            "authorities.min_share",
            _(
                "des collectivités à 100 % du budget ne laissent aucune part au "
                "ministère, ce que contredisent ses plafonds ; baissez ce minimum."
            ),
        )
    out["cofunders_min_share"] = None if cofunders is None else str(cofunders)
    out["min_french_authorities"] = _int(
        data.get("min_french_authorities"), "min_french_authorities", minimum=1
    )
    out["max_duration_months"] = _int(data.get("max_duration_months"), "max_duration_months", minimum=1)
    out["required_documents"] = _choices(data.get("required_documents"), "required_documents", DOCUMENTS)
    out["prerequisites"] = _choices(data.get("prerequisites"), "prerequisites", PREREQUISITES)
    out["inferred"] = [str(v) for v in (data.get("inferred") or [])]
    out["grid"] = _grid(data.get("grid"))
    out["one_percent"] = _one_percent(data.get("one_percent"))
    return out


def _grid(value) -> dict | None:
    if value is None:
        return None
    grid = _mapping(value, "grid")
    scale = _mapping(grid.get("scale"), "grid.scale")
    low, high = _int(scale.get("min", 0), "grid.scale.min"), _int(scale.get("max"), "grid.scale.max")
    if high is None or low is None or low >= high:
        raise _err("grid.scale", _("donnez une échelle min < max (ex. {min: 0, max: 5})."))
    criteria = grid.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise _err("grid.criteria", _("donnez la liste des critères (key, label, weight)."))
    seen, cleaned, total = set(), [], 0
    for i, c in enumerate(criteria):
        where = f"grid.criteria[{i}]"
        c = _mapping(c, where)
        ckey, label = c.get("key"), c.get("label")
        if not isinstance(ckey, str) or not ckey or not isinstance(label, str) or not label:
            raise _err(where, _("chaque critère a une clé (key) et un libellé (label)."))
        if ckey in seen:
            raise _err(where, _("le critère « %(key)s » apparaît deux fois ; renommez-le.") % {"key": ckey})
        seen.add(ckey)
        weight = _int(c.get("weight"), f"{where}.weight", minimum=1)
        if weight is None:
            raise _err(f"{where}.weight", _("donnez un poids (entier, les poids font 100 au total)."))
        total += weight
        cleaned.append({"key": ckey, "label": label, "weight": weight})
    if total != 100:
        raise _err(
            "grid.criteria",
            _("les poids font %(total)s au lieu de 100 ; ajustez-les.") % {"total": total},
        )
    return {"scale": {"min": low, "max": high}, "criteria": cleaned}


def _one_percent(value) -> dict | None:
    if value is None:
        return None
    op = _mapping(value, "one_percent")
    sectors = _mapping(op.get("sectors"), "one_percent.sectors")
    if not sectors:
        raise _err(
            "one_percent.sectors", _("donnez les secteurs CAD de chaque service (eau, énergie, déchets).")
        )
    rate = _pct(op.get("max_rate_of_service_budget"), "one_percent.max_rate_of_service_budget")
    return {"sectors": {k: [str(p) for p in v] for k, v in sectors.items()}, "max_rate": str(rate or 1)}


def ruleset_parse(text: str, *, name: str = "rules") -> dict:
    """Read YAML or JSON text (JSON is YAML) and validate it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (ligne {mark.line + 1})" if mark else ""
        raise AppError(
            _("%(name)s : YAML/JSON illisible%(line)s ; corrigez la syntaxe.") % {"name": name, "line": line},
            field="rules",
        ) from None
    return ruleset_validate(data)


def ruleset_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yaml"))


def ruleset_read(path: Path) -> dict:
    try:
        return ruleset_parse(path.read_text(encoding="utf-8"), name=path.name)
    except AppError as exc:
        raise AppError(f"{path.name} : {exc.message}", field=exc.field) from exc


def as_json(rules: dict) -> str:
    return json.dumps(rules, ensure_ascii=False, sort_keys=True)


def rules_in_words(rules: dict) -> list[str]:
    """The rules of a set in plain French, for the public page of a call."""
    from .figures import euros, pct

    out = []
    ms = rules["ministry_share"]
    if ms.get("flat_rate"):
        out.append(
            _("Subvention jusqu'à %(rate)s du coût total du projet.")
            % {"rate": pct(Decimal(ms["flat_rate"]))}
        )
    for cat, cap in sorted(ms["caps_by_category"].items(), key=lambda kv: Decimal(kv[1])):
        out.append(
            _("Part du ministère jusqu'à %(cap)s du budget pour un %(label)s.")
            % {"cap": pct(Decimal(cap)), "label": CATEGORIES[cat]}
        )
    if ms.get("multi_country_rate"):
        out.append(
            _("Projet multi-pays : taux unique de %(rate)s.")
            % {"rate": pct(Decimal(ms["multi_country_rate"]))}
        )
    auth = rules["authorities"]
    if auth.get("min_share"):
        out.append(
            _("Collectivités françaises : au moins %(min)s du budget.")
            % {"min": pct(Decimal(auth["min_share"]))}
        )
    if auth.get("in_kind_max_of_share"):
        out.append(
            _("Valorisation (apports en nature) : au plus %(max)s de la part des collectivités.")
            % {"max": pct(Decimal(auth["in_kind_max_of_share"]))}
        )
    if rules.get("cofunders_min_share"):
        out.append(
            _("Autres financeurs : au moins %(min)s du coût total.")
            % {"min": pct(Decimal(rules["cofunders_min_share"]))}
        )
    low, high = rules["grant"]["min"], rules["grant"]["max"]
    if low or high:
        out.append(
            _("Subvention entre %(min)s et %(max)s.")
            % {"min": euros(Decimal(low)) if low else "0 €", "max": euros(Decimal(high)) if high else "…"}
        )
    else:
        out.append(_("Pas de montant plancher ni plafond de subvention."))
    if rules.get("max_duration_months"):
        out.append(_("Durée : %(n)s mois au plus.") % {"n": rules["max_duration_months"]})
    if (rules.get("min_french_authorities") or 1) > 1:
        out.append(
            _("Au moins %(n)s collectivités françaises candidates.") % {"n": rules["min_french_authorities"]}
        )
    if rules["required_documents"]:
        out.append(
            _("Pièces : %(docs)s.")
            % {"docs": ", ".join(str(DOCUMENTS[d]) for d in rules["required_documents"])}
        )
    if rules["prerequisites"]:
        out.append(
            _("Prérequis : %(items)s.")
            % {"items": ", ".join(str(PREREQUISITES[p]) for p in rules["prerequisites"])}
        )
    return out
