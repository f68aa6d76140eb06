"""Writes of the yearly aid declaration: rules, declarations, lines, workflow, campaigns.

Every write checks permissions (access.py), validates everything before saving and runs in
one transaction: bad input raises AppError naming the field, and nothing is written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError, Conflict, NotFound
from coopatlas.core.parse import BadNumber, is_ascii_digits, money_display, parse_decimal
from coopatlas.reference import lookups

from . import access
from .models import (
    MARKER_KEYS,
    Campaign,
    Declaration,
    DeclarationLine,
    DeclarationVersion,
    LineType,
    MarkerRule,
    RecipientRegion,
    Reminder,
    RuleSet,
    State,
)
from .rulesfile import DATA_DIR, _read_rules, prepare_instruments
from .selectors import paid_by_project, received_cofunding

MAX_CENTS = 10**14  # a trillion euros: anything above is a typing error
LINE_FIELDS = (
    "amount",
    "type",
    "country",
    "region",
    "channel",
    "sector",
    "markers",
    "project",
    "under_12_months",
    "comment",
)


# --------------------------------------------------------------------------- rules


def _load_regions(path: Path) -> int:
    ns = "{http://www.w3.org/XML/1998/namespace}lang"
    count = 0
    for item in ET.parse(path).getroot().iter("codelist-item"):
        names = {n.get(ns, "en"): (n.text or "").strip() for n in item.find("name").findall("narrative")}
        RecipientRegion.objects.update_or_create(
            code=item.findtext("code").strip(),
            defaults={"name_fr": names.get("fr") or names.get("en", ""), "name_en": names.get("en", "")},
        )
        count += 1
    return count


@transaction.atomic
def rules_load(*, data_dir: Path | None = None) -> dict:
    """Load (or reload) the rules of every year, the campaigns and the recipient regions,
    then re-check the lines of each year against its rules. Idempotent."""
    from coopatlas.geo.models import CountryOdaStatus
    from coopatlas.reference.models import PolicyMarker

    data_dir = Path(data_dir or DATA_DIR)
    data = _read_rules(data_dir / "rules.yaml")
    both = sorted(set(data.get("prepare_instruments") or []) & set(data.get("received_instruments") or []))
    if both:
        raise AppError(
            _(
                "rules.yaml, received_instruments : « %(instrument)s » y figure et dans "
                "prepare_instruments ; un financement est soit l'aide propre de la collectivité, "
                "soit un cofinancement reçu : retirez-le de l'une des deux listes."
            )
            % {"instrument": both[0]},
            field="received_instruments",
        )
    regions = _load_regions(data_dir / "Region.xml")
    markers = {m.code: m for m in PolicyMarker.objects.all()}
    rechecked = 0
    for year, spec in sorted(data["years"].items()):
        year = int(year)
        oda_year = int(spec["oda_list_year"])
        if not CountryOdaStatus.objects.filter(year=oda_year).exists():
            raise AppError(
                _(
                    "rules.yaml, année %(year)s : aucune liste CAD des pays éligibles "
                    "pour %(oda_year)s dans geo.CountryOdaStatus ; chargez les "
                    "données de référence (`coopatlas load-reference`) ou changez "
                    "oda_list_year."
                )
                % {"year": year, "oda_year": oda_year},
                field="oda_list_year",
            )
        ruleset, _created = RuleSet.objects.update_or_create(
            year=year,
            defaults={
                "oda_list_year": oda_year,
                "refugee_max_months": int(spec.get("refugee_max_months", 12)),
                "scholarships_oda_only": bool(spec.get("scholarships_oda_only", True)),
                "note": str(spec.get("note", "")),
            },
        )
        codes = []
        for position, lt in enumerate(spec.get("line_types", data["line_types"])):
            codes.append(lt["code"])
            LineType.objects.update_or_create(
                ruleset=ruleset,
                code=lt["code"],
                defaults={
                    "name_fr": lt["name_fr"],
                    "name_en": lt.get("name_en", ""),
                    "counts_as_oda": bool(lt.get("counts_as_oda", True)),
                    "bilateral": bool(lt.get("bilateral", True)),
                    "crs_channel": str(lt.get("crs_channel", "")),
                    "crs_aid_type": str(lt.get("crs_aid_type", "")),
                    "position": position,
                },
            )
        ruleset.line_types.exclude(code__in=codes).delete()
        keys = []
        for m in spec.get("markers", data["markers"]):
            if m["key"] not in MARKER_KEYS or str(m["code"]) not in markers:
                raise AppError(
                    _(
                        "rules.yaml : marqueur « %(key)s » (code %(code)s) inconnu ; "
                        "clés possibles : %(MARKER_KEYS)s."
                    )
                    % {"key": m["key"], "code": m["code"], "MARKER_KEYS": ", ".join(MARKER_KEYS)},
                    field="markers",
                )
            keys.append(m["key"])
            MarkerRule.objects.update_or_create(
                ruleset=ruleset,
                key=m["key"],
                defaults={"marker": markers[str(m["code"])], "name_fr": m["name_fr"]},
            )
        ruleset.markers.exclude(key__in=keys).delete()
        if spec.get("campaign"):
            Campaign.objects.update_or_create(
                year=year,
                defaults={
                    "opens_on": spec["campaign"]["opens_on"],
                    "closes_on": spec["campaign"]["closes_on"],
                },
            )
        rechecked += lines_recheck(year=year)
    return {
        "years": len(data["years"]),
        "regions": regions,
        "lines_rechecked": rechecked,
        "prepare_instruments": data.get("prepare_instruments", []),
    }


@dataclass
class Rules:
    """One year's rules, read once per write."""

    ruleset: RuleSet
    types: dict[str, LineType]
    marker_keys: set[str]
    eligible: set[str]  # ISO2 of ODA-eligible countries

    @property
    def year(self) -> int:
        return self.ruleset.year


def rules_for(*, year: int) -> Rules:
    from coopatlas.geo.models import CountryOdaStatus, OdaCategory

    ruleset = RuleSet.objects.filter(year=year).first()
    if ruleset is None:
        known = ", ".join(str(y) for y in RuleSet.objects.values_list("year", flat=True))
        raise AppError(
            _(
                "year : aucune règle de déclaration pour %(year)s (années connues : "
                "%(value)s) ; un administrateur les ajoute dans "
                "declarations/data/rules.yaml puis lance `manage.py "
                "load_declaration_rules`."
            )
            % {"year": year, "value": known or "aucune"},
            field="year",
        )
    eligible = set(
        CountryOdaStatus.objects.filter(year=ruleset.oda_list_year)
        .exclude(category=OdaCategory.NOT_ELIGIBLE)
        .values_list("country_id", flat=True)
    )
    return Rules(
        ruleset=ruleset,
        types={t.code: t for t in ruleset.line_types.all()},
        marker_keys=set(ruleset.markers.values_list("key", flat=True)),
        eligible=eligible,
    )


def oda_check(
    *, rules: Rules, line_type: str, country_id: str | None, under_12_months: bool | None
) -> tuple[bool, str]:
    """Whether a line counts as ODA under the year's rules, and if not, why (in French)."""
    lt = rules.types[line_type]
    oda_year = rules.ruleset.oda_list_year
    if not lt.counts_as_oda:
        return False, f"Le type « {lt.name_fr} » n'est pas compté en APD en {rules.year}."
    if line_type == "refugees" and not under_12_months:
        return False, (
            f"L'aide aux réfugiés n'est comptée en APD que pour les personnes présentes "
            f"en France depuis moins de {rules.ruleset.refugee_max_months} mois "
            "(attestation under_12_months)."
        )
    if line_type == "scholarships" and rules.ruleset.scholarships_oda_only:
        if not country_id:
            return False, (
                "Une bourse n'est comptée en APD que pour un étudiant d'un pays éligible : "
                "indiquez le pays d'origine (country)."
            )
        if country_id not in rules.eligible:
            return False, (
                f"Bourse non comptée en APD : le pays {country_id} n'est pas sur la liste "
                f"CAD des pays éligibles ({oda_year})."
            )
    if country_id and line_type not in ("refugees", "awareness") and country_id not in rules.eligible:
        return False, (
            f"Le pays {country_id} n'est pas sur la liste CAD des pays éligibles à l'APD "
            f"appliquée en {rules.year} (liste {oda_year}) : la ligne est gardée mais "
            "n'est pas comptée en APD."
        )
    return True, ""


def lines_recheck(*, year: int) -> int:
    """Re-apply the year's rules to its lines (after the rules changed). Few UPDATEs: lines
    are grouped by what the rule looks at (type, country, attestation)."""
    if not DeclarationLine.objects.filter(version__declaration__year=year).exists():
        return 0
    rules = rules_for(year=year)
    lines = DeclarationLine.objects.filter(version__declaration__year=year)
    groups = lines.values_list("line_type", "country_id", "under_12_months").distinct()
    changed = 0
    for line_type, country_id, u12 in groups:
        if line_type not in rules.types:
            counts, reason = False, f"Type « {line_type} » absent des règles {year}."
        else:
            counts, reason = oda_check(
                rules=rules, line_type=line_type, country_id=country_id, under_12_months=u12
            )
        changed += (
            lines.filter(line_type=line_type, country_id=country_id, under_12_months=u12)
            .exclude(counts_as_oda=counts, not_oda_reason=reason)
            .update(counts_as_oda=counts, not_oda_reason=reason)
        )
    return changed


# --------------------------------------------------------------------------- input parsing


def amount_to_cents(value, field: str = "amount") -> int:
    """Euros from a form or JSON ("1 234,56", 1234.56) as cents, through the one parser."""
    try:
        amount = parse_decimal(value, field=field, max_digits=14, decimal_places=2)
    except BadNumber as exc:
        if exc.reason == "places":
            raise AppError(
                _("%(field)s : %(value)s a plus de deux décimales ; arrondissez au centime.")
                % {"field": field, "value": str(value)[:30]},
                field=field,
            ) from exc
        if exc.reason == "too_large":
            raise AppError(
                _(
                    "%(field)s : %(value)s € dépasse le plafond de vraisemblance (1 000 "
                    "milliards d'euros) ; vérifiez l'unité."
                )
                % {"field": field, "value": str(value)[:30]},
                field=field,
            ) from exc
        raise AppError(
            _(
                "%(field)s : « %(value)s » n'est pas un montant ; écrivez des euros "
                "avec au plus deux décimales (1234.56)."
            )
            % {"field": field, "value": str(value)[:30]},
            field=field,
        ) from exc
    if amount <= 0:
        raise AppError(
            _(
                "%(field)s : le montant doit être strictement positif (reçu "
                "%(value)s) ; une année sans aide se déclare avec « rien à déclarer »."
            )
            % {"field": field, "value": value},
            field=field,
        )
    cents = int(amount * 100)
    if cents >= MAX_CENTS:
        raise AppError(
            _(
                "%(field)s : %(value)s € dépasse le plafond de vraisemblance (1 000 "
                "milliards d'euros) ; vérifiez l'unité."
            )
            % {"field": field, "value": value},
            field=field,
        )
    return cents


def _resolve_line(*, rules: Rules, authority, data: dict, errors: dict) -> dict:
    """Map API/form values to model fields; collect every problem in `errors`."""
    from coopatlas.cooperation.models import Project
    from coopatlas.reference.models import Channel

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    out: dict = {}
    unknown = sorted(set(data) - set(LINE_FIELDS))
    for name in unknown:
        bad(
            name,
            _("%(name)s : champ inconnu ; champs acceptés : %(LINE_FIELDS)s.")
            % {"name": name, "LINE_FIELDS": ", ".join(LINE_FIELDS)},
        )
    if "amount" in data:
        try:
            out["amount_cents"] = amount_to_cents(data["amount"])
        except AppError as exc:
            bad("amount", exc.message)
    if "type" in data:
        if data["type"] in rules.types:
            out["line_type"] = data["type"]
        else:
            bad(
                "type",
                _("type : « %(type)s » inconnu en %(rules_year)s ; valeurs acceptées : %(types)s.")
                % {"type": str(data["type"])[:30], "rules_year": rules.year, "types": ", ".join(rules.types)},
            )
    if "country" in data:
        iso2 = (data["country"] or "").strip().upper()
        if not iso2:
            out["country"] = None
        elif (country := lookups.country_by_code(iso2)) is None:
            bad(
                "country",
                _("country : « %(iso2)s » n'est pas un code pays ISO à deux lettres connu (ML, SN, MG…).")
                % {"iso2": iso2[:10]},
            )
        elif iso2 == "FR":
            bad(
                "country",
                _(
                    "country : la France n'est pas un pays bénéficiaire ; pour la "
                    "sensibilisation ou l'aide aux réfugiés en France, laissez le "
                    "pays vide."
                ),
            )
        else:
            out["country"] = country
    if "region" in data:
        code = str(data["region"] or "").strip()
        if not code:
            out["region"] = None
        elif (region := RecipientRegion.objects.filter(code=code).first()) is None:
            bad(
                "region",
                _(
                    "region : « %(code)s » n'est pas un code de région CAD (298 "
                    "Afrique régional, 998 pays en développement non spécifié…)."
                )
                % {"code": code[:10]},
            )
        else:
            out["region"] = region
    if "channel" in data:
        code = str(data["channel"] or "").strip()
        if not code:
            out["channel"] = None
        elif (channel := Channel.objects.filter(code=code).first()) is None:
            bad(
                "channel",
                _(
                    "channel : « %(code)s » n'est pas un code de canal CRS de l'OCDE "
                    "(22000 ONG du pays donneur, 12000 gouvernement bénéficiaire…)."
                )
                % {"code": code[:10]},
            )
        else:
            out["channel"] = channel
    if "sector" in data:
        code = str(data["sector"] or "").strip()
        if not code:
            out["sector"] = None
        elif (sector := lookups.sector_by_code(code)) is None:
            bad(
                "sector",
                _(
                    "sector : « %(code)s » n'est pas un code secteur CAD à 5 chiffres "
                    "(14030 eau potable, 15150 participation démocratique…)."
                )
                % {"code": code[:10]},
            )
        else:
            out["sector"] = sector
    if "markers" in data:
        markers = data["markers"] or {}
        if not isinstance(markers, dict):
            bad("markers", _('markers : un objet {"gender": 0|1|2, …}.'))
            markers = {}
        for key, value in markers.items():
            field = f"markers.{key}"
            if key not in rules.marker_keys:
                bad(
                    field,
                    _("%(field)s : marqueur inconnu en %(rules_year)s ; marqueurs : %(marker_keys)s.")
                    % {
                        "field": field,
                        "rules_year": rules.year,
                        "marker_keys": ", ".join(sorted(rules.marker_keys)),
                    },
                )
            elif isinstance(value, bool) or value not in (0, 1, 2):
                bad(
                    field,
                    _(
                        "%(field)s : la valeur d'un marqueur CAD est 0 (non ciblé), 1 "
                        "(objectif significatif) ou 2 (objectif principal), pas « "
                        "%(value)s »."
                    )
                    % {"field": field, "value": str(value)[:10]},
                )
            else:
                out[f"marker_{key}"] = value
    if "project" in data:
        key = data["project"]
        if key in (None, ""):
            out["project"] = None
        else:
            project = Project.objects.filter(slug=str(key)).first() or (
                Project.objects.filter(pk=int(str(key))).first()
                if is_ascii_digits(str(key), max_length=18)
                else None
            )
            # Unknown and someone else's answer the same message, which repeats only what
            # was sent: another authority's draft must not show its title, nor exist.
            if (
                project is None
                or project.deleted_at is not None
                or not _is_own_project(authority=authority, project=project)
            ):
                bad(
                    "project",
                    _(
                        "project : aucun projet « %(key)s » parmi ceux de "
                        "%(authority)s (participant ou financeur) ; donnez l'identifiant ou "
                        "le numéro de l'un de ses projets, ou laissez ce champ vide."
                    )
                    % {"key": str(key)[:40], "authority": authority},
                )
            else:
                out["project"] = project
    if "under_12_months" in data:
        value = data["under_12_months"]
        if value is not None and not isinstance(value, bool):
            bad("under_12_months", _("under_12_months : true ou false."))
        else:
            out["under_12_months"] = value
    if "comment" in data:
        out["comment"] = str(data["comment"] or "")[:5000]
    return out


def _is_own_project(*, authority, project) -> bool:
    return (
        project.participants.filter(authority=authority).exists()
        or project.funding.filter(funder_authority=authority).exists()
        or project.partnerships.filter(party_links__authority=authority).exists()
    )


def _check_whole_line(*, rules: Rules, values: dict, errors: dict) -> None:
    """Rules on the line as a whole (after a create or a PATCH merged into the old line)."""
    line_type = values.get("line_type")
    if values.get("amount_cents") is None and "amount" not in errors:
        errors.setdefault("amount", []).append("amount : le montant est obligatoire.")
    if line_type is None and "type" not in errors:
        errors.setdefault("type", []).append(
            f"type : obligatoire ; valeurs acceptées : {', '.join(rules.types)}."
        )
    if values.get("country") is not None and values.get("region") is not None:
        errors.setdefault("region", []).append(
            "region : une ligne a un pays OU une région bénéficiaire, pas les deux."
        )
    if line_type == "refugees" and values.get("under_12_months") is None:
        errors.setdefault("under_12_months", []).append(
            "under_12_months : obligatoire pour l'aide aux réfugiés : true si les personnes aidées "
            f"sont en France depuis moins de {rules.ruleset.refugee_max_months} mois "
            "(attestation), false sinon (la ligne ne sera alors pas comptée en APD)."
        )
    if line_type not in (None, "refugees") and values.get("under_12_months") is not None:
        errors.setdefault("under_12_months", []).append(
            "under_12_months : ne s'applique qu'aux lignes « refugees »."
        )


def _raise(errors: dict) -> None:
    if errors:
        detail = " ".join(m for msgs in errors.values() for m in msgs)
        raise AppError(detail, errors=errors, field=next(iter(errors)))


# --------------------------------------------------------------------------- declarations


def _latest(declaration: Declaration) -> DeclarationVersion:
    return declaration.versions.order_by("-number").first()


def _editable(declaration: Declaration) -> DeclarationVersion:
    version = _latest(declaration)
    if version.state == State.VALIDATED:
        raise Conflict(
            _(
                "La déclaration %(year)s de %(authority)s est validée (version "
                "%(number)s) : elle est verrouillée. Ouvrez une correction (action « "
                "correct ») pour en faire une nouvelle version."
            )
            % {"year": declaration.year, "authority": declaration.authority, "number": version.number},
            field="state",
        )
    if version.state == State.SUBMITTED:
        raise Conflict(
            _(
                "La déclaration %(year)s de %(authority)s est soumise : elle attend "
                "la décision du ministère et ne se modifie plus."
            )
            % {"year": declaration.year, "authority": declaration.authority},
            field="state",
        )
    return version


@transaction.atomic
def declaration_create(*, actor, authority, year: int) -> Declaration:
    access.require_edit(user=actor, authority=authority)
    if not authority.is_french:
        raise AppError(
            _(
                "authority : %(authority)s n'est pas une collectivité française ; "
                "seules les collectivités françaises et leurs groupements déclarent "
                "leur APD."
            )
            % {"authority": authority},
            field="authority",
        )
    rules_for(year=year)
    if year > timezone.localdate().year:
        raise AppError(
            _("year : %(year)s n'est pas terminée ; on déclare l'aide d'une année passée.") % {"year": year},
            field="year",
        )
    existing = Declaration.objects.filter(authority=authority, year=year).first()
    if existing is not None:
        raise Conflict(
            _(
                "%(authority)s a déjà une déclaration pour %(year)s (n° "
                "%(existing_pk)s) : complétez-la plutôt que d'en créer une autre."
            )
            % {"authority": authority, "year": year, "existing_pk": existing.pk},
            field="year",
        )
    try:
        with transaction.atomic():
            declaration = Declaration.objects.create(authority=authority, year=year)
    except IntegrityError as exc:  # created concurrently
        raise Conflict(
            _("%(authority)s a déjà une déclaration pour %(year)s.") % {"authority": authority, "year": year},
            field="year",
        ) from exc
    DeclarationVersion.objects.create(declaration=declaration, number=1, created_by=actor)
    return declaration


def declaration_get(*, pk: int) -> Declaration:
    found = Declaration.objects.select_related("authority").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Aucune déclaration n° %(pk)s.") % {"pk": pk}, field="id")
    return found


def _line_for(declaration: Declaration, line_id: int) -> DeclarationLine:
    line = DeclarationLine.objects.filter(pk=line_id, version__declaration=declaration).first()
    if line is None:
        raise NotFound(
            _("La déclaration n° %(number)s n'a pas de ligne n° %(line_id)s.")
            % {"number": declaration.pk, "line_id": line_id},
            field="line",
        )
    return line


def _save_line(*, rules: Rules, line: DeclarationLine, values: dict) -> DeclarationLine:
    for name, value in values.items():
        setattr(line, name, value)
    line.counts_as_oda, line.not_oda_reason = oda_check(
        rules=rules,
        line_type=line.line_type,
        country_id=line.country_id,
        under_12_months=line.under_12_months,
    )
    line.save()
    return line


@transaction.atomic
def line_add(*, actor, declaration: Declaration, data: dict) -> DeclarationLine:
    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    rules = rules_for(year=declaration.year)
    errors: dict = {}
    values = _resolve_line(rules=rules, authority=declaration.authority, data=data, errors=errors)
    _check_whole_line(rules=rules, values=values, errors=errors)
    if version.nothing_to_declare:
        errors.setdefault("nothing_to_declare", []).append(
            "La déclaration dit « rien à déclarer cette année » : retirez cette mention avant "
            "d'ajouter une ligne."
        )
    _raise(errors)
    return _save_line(rules=rules, line=DeclarationLine(version=version), values=values)


LINE_VALUE_NAMES = (
    "amount_cents",
    "line_type",
    "country",
    "region",
    "channel",
    "sector",
    *(f"marker_{k}" for k in MARKER_KEYS),
    "project",
    "under_12_months",
    "comment",
)


@transaction.atomic
def line_update(*, actor, declaration: Declaration, line_id: int, data: dict) -> DeclarationLine:
    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    line = _line_for(declaration, line_id)
    if line.version_id != version.pk:
        raise Conflict(
            _("La ligne n° %(line_id)s appartient à une version verrouillée.") % {"line_id": line_id},
            field="line",
        )
    rules = rules_for(year=declaration.year)
    errors: dict = {}
    values = _resolve_line(rules=rules, authority=declaration.authority, data=data, errors=errors)
    merged = {name: getattr(line, name) for name in LINE_VALUE_NAMES} | values
    _check_whole_line(rules=rules, values=merged, errors=errors)
    _raise(errors)
    return _save_line(rules=rules, line=line, values=values)


@transaction.atomic
def line_delete(*, actor, declaration: Declaration, line_id: int) -> None:
    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    line = _line_for(declaration, line_id)
    if line.version_id != version.pk:
        raise Conflict(
            _("La ligne n° %(line_id)s appartient à une version verrouillée.") % {"line_id": line_id},
            field="line",
        )
    line.delete()


@transaction.atomic
def declaration_nothing_set(*, actor, declaration: Declaration, nothing: bool) -> DeclarationVersion:
    """ "Nothing this year" is a valid declaration (the authority paid no development aid)."""
    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    if nothing and version.lines.exists():
        raise AppError(
            _(
                "nothing_to_declare : la déclaration a des lignes ; supprimez-les "
                "avant de déclarer « rien cette année »."
            ),
            field="nothing_to_declare",
        )
    version.nothing_to_declare = nothing
    version.save(update_fields=["nothing_to_declare"])
    return version


@transaction.atomic
def declaration_prepare(*, actor, declaration: Declaration) -> dict:
    """ "Prepare from my records": one project line per project the authority paid in cash
    from its own funds that year, with country, sector and markers from the project.
    Projects already on the declaration are left alone, so it can be run again."""
    from coopatlas.cooperation.models import Project, ProjectPolicyMarker, ProjectSector

    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    if version.nothing_to_declare:
        raise AppError(
            _("nothing_to_declare : retirez « rien à déclarer » avant de préparer des lignes."),
            field="nothing_to_declare",
        )
    rules = rules_for(year=declaration.year)
    paid = (
        paid_by_project(
            authority=declaration.authority, year=declaration.year, instruments=prepare_instruments()
        )
        .values("project_id")
        .annotate(total=Sum("amount"))
        .order_by("project_id")
    )
    present = set(version.lines.filter(project__isnull=False).values_list("project_id", flat=True))
    markers = {m.marker_id: m.key for m in MarkerRule.objects.filter(ruleset=rules.ruleset)}
    # Co-funding the projects received (a granted call, AFD, EU) stays out of the amounts
    # (rules.yaml `received_instruments`); each prepared line says how much it left out.
    received: dict[int, int] = {}
    for r in received_cofunding(authority=declaration.authority, year=declaration.year)["lines"]:
        received[r["project_id"]] = received.get(r["project_id"], 0) + int(Decimal(r["amount"]) * 100)
    created, skipped = [], []
    for row in paid:
        if row["project_id"] in present or not row["total"]:
            skipped.append(row["project_id"])
            continue
        project_id = row["project_id"]
        countries = list(
            Project.countries.through.objects.filter(project_id=project_id).values_list(
                "country_id", flat=True
            )[:2]
        )
        sector = (
            ProjectSector.objects.filter(project_id=project_id)
            .order_by("-percentage", "sector_id")
            .values_list("sector_id", flat=True)
            .first()
        )
        values = {
            "line_type": "project",
            "amount_cents": int(Decimal(row["total"]) * 100),
            "project_id": project_id,
            "country_id": countries[0] if len(countries) == 1 and countries[0] != "FR" else None,
            "sector_id": sector,
            "channel_id": rules.types["project"].crs_channel or None,
            "comment": "Préparée depuis les financements enregistrés dans l'atlas.",
        }
        if received.get(project_id):
            values["comment"] += (
                f" Cofinancement reçu non compté (aide de l'État, de l'AFD ou de l'UE) : "
                f"{money_display(Decimal(received[project_id]) / 100)}."
            )
        for m in ProjectPolicyMarker.objects.filter(project_id=project_id, marker_id__in=list(markers)):
            values[f"marker_{markers[m.marker_id]}"] = m.significance
        created.append(_save_line(rules=rules, line=DeclarationLine(version=version), values=values))
    return {"created": created, "skipped_projects": skipped}


@transaction.atomic
def declaration_submit(*, actor, declaration: Declaration) -> DeclarationVersion:
    access.require_edit(user=actor, authority=declaration.authority)
    version = _editable(declaration)
    if not version.nothing_to_declare and not version.lines.exists():
        raise AppError(
            _(
                "lines : la déclaration est vide ; ajoutez vos lignes, ou déclarez « "
                "rien à déclarer cette année » (nothing_to_declare)."
            ),
            field="lines",
        )
    version.state = State.SUBMITTED
    version.submitted_at, version.submitted_by = timezone.now(), actor
    version.save(update_fields=["state", "submitted_at", "submitted_by"])
    return version


def _submitted(declaration: Declaration) -> DeclarationVersion:
    version = _latest(declaration)
    if version.state != State.SUBMITTED:
        raise Conflict(
            _(
                "La déclaration %(year)s de %(authority)s est « %(state)s » : seule "
                "une déclaration soumise se valide ou se renvoie."
            )
            % {
                "year": declaration.year,
                "authority": declaration.authority,
                "state": version.get_state_display(),
            },
            field="state",
        )
    return version


@transaction.atomic
def declaration_validate(*, actor, declaration: Declaration) -> DeclarationVersion:
    access.require_decide(user=actor)
    version = _submitted(declaration)
    declaration.versions.filter(is_counted=True).update(is_counted=False)
    DeclarationLine.objects.filter(version__declaration=declaration, counted_year__isnull=False).update(
        counted_year=None
    )
    version.lines.update(counted_year=declaration.year)
    version.state, version.is_counted = State.VALIDATED, True
    version.decided_at, version.decided_by = timezone.now(), actor
    version.save(update_fields=["state", "is_counted", "decided_at", "decided_by"])
    return version


@transaction.atomic
def declaration_return(*, actor, declaration: Declaration, comment: str) -> DeclarationVersion:
    access.require_decide(user=actor)
    comment = (comment or "").strip()
    if not comment:
        raise AppError(_("comment : dites à la collectivité ce qu'elle doit corriger."), field="comment")
    version = _submitted(declaration)
    version.state, version.return_comment = State.RETURNED, comment[:5000]
    version.decided_at, version.decided_by = timezone.now(), actor
    version.save(update_fields=["state", "return_comment", "decided_at", "decided_by"])
    return version


@transaction.atomic
def declaration_correct(*, actor, declaration: Declaration) -> DeclarationVersion:
    """A correction after validation: a new draft version with a copy of the validated
    lines. The validated version stays counted (and locked) until the new one is validated."""
    access.require_edit(user=actor, authority=declaration.authority)
    version = _latest(declaration)
    if version.state != State.VALIDATED:
        raise Conflict(
            _(
                "Seule une déclaration validée s'ouvre en correction ; celle-ci est « "
                "%(state)s » et se modifie directement."
            )
            % {"state": version.get_state_display()},
            field="state",
        )
    new = DeclarationVersion.objects.create(
        declaration=declaration,
        number=version.number + 1,
        nothing_to_declare=version.nothing_to_declare,
        created_by=actor,
    )
    copies = []
    for line in version.lines.all():
        line.pk, line.version, line.counted_year = None, new, None
        copies.append(line)
    DeclarationLine.objects.bulk_create(copies)
    return new


# --------------------------------------------------------------------------- campaigns


@transaction.atomic
def campaign_remind(*, actor, year: int) -> dict:
    """E-mail the editors of each expected authority that has not submitted, and keep a
    trace (Reminder). Mail goes after commit, so a failed transaction sends nothing."""
    from django.core.mail import send_mass_mail

    from coopatlas.accounts.models import Membership

    from .selectors import campaign_status

    access.require_decide(user=actor)
    campaign = Campaign.objects.filter(year=year).first()
    if campaign is None:
        raise NotFound(
            _("year : aucune campagne de déclaration pour %(year)s.") % {"year": year}, field="year"
        )
    status = campaign_status(year=year, user=actor)
    missing = [row["authority_id"] for row in status["not_declared"]]
    emails: dict[int, set[str]] = {}
    for authority_id, email in Membership.objects.filter(
        authorities__in=missing, user__is_active=True
    ).values_list("authorities", "user__email"):
        emails.setdefault(authority_id, set()).add(email)
    messages, reminders = [], []
    for authority_id in missing:
        to = sorted(emails.get(authority_id, ()))
        reminders.append(Reminder(campaign=campaign, authority_id=authority_id, recipients="\n".join(to)))
        if to:
            messages.append(
                (
                    f"Déclaration de l'APD {year} : à faire avant le {campaign.closes_on:%d/%m/%Y}",
                    f"Votre collectivité n'a pas encore soumis sa déclaration d'aide "
                    f"publique au développement pour {year} (art. L1115-6 CGCT). "
                    "Déclarer « rien cette année » est aussi une déclaration.",
                    None,
                    to,
                )
            )
    Reminder.objects.bulk_create(reminders)
    campaign.reminded_at = timezone.now()
    campaign.save(update_fields=["reminded_at"])
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return {"year": year, "reminded": len(reminders), "with_email": sum(1 for r in reminders if r.recipients)}


def campaign_is_open(*, year: int, today: date | None = None) -> bool:
    campaign = Campaign.objects.filter(year=year).first()
    today = today or timezone.localdate()
    return bool(campaign and campaign.opens_on <= today <= campaign.closes_on)
