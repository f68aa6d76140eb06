"""Writes of the compliance tables: loading the rules file."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.geo.models import AdministrativeArea, Country, LocalAuthority
from coopatlas.reference.models import Theme

from .models import (
    Competence,
    GroupementCompetence,
    RestrictedEntity,
    RestrictedEntityKind,
    Rule,
)


def _cite(item: dict) -> dict:
    source = item.get("source") or {}
    return {
        "source_document": str(source.get("doc", "001")),
        "source_lines": str(source.get("lines", "")),
        "quote": source.get("quote", ""),
    }


def _themes(slugs: list[str], *, path: str, where: str) -> list[Theme]:
    themes = list(Theme.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {t.slug for t in themes})
    if missing:
        raise AppError(
            _(
                "%(path)s: %(where)s : thème(s) inconnu(s) %(missing)s ; chargez "
                "d'abord les référentiels (load_reference) ou corrigez le slug."
            )
            % {"path": path, "where": where, "missing": ", ".join(missing)},
            field=path,
        )
    return themes


@transaction.atomic
def rules_load(*, data: dict, path: str = "rules.yaml") -> dict[str, int]:
    if not isinstance(data, dict) or "rules" not in data:
        raise AppError(_("%(path)s: la clé « rules » manque.") % {"path": path}, field=path)
    rules = {}
    for item in data["rules"]:
        threshold = item.get("threshold")
        rules[item["code"]], _created = Rule.objects.update_or_create(
            code=item["code"],
            defaults={
                "title": item["title"],
                "severity": item.get("severity", "warning"),
                "threshold": Decimal(str(threshold)) if threshold is not None else None,
                "currency": item.get("currency", ""),
                "also_when_cofunded": bool(item.get("also_when_cofunded", False)),
                **_cite(item),
            },
        )
    kinds = {}
    for item in data.get("entity_kinds") or []:
        if item["rule"] not in rules:
            raise AppError(
                _("%(path)s: entity_kinds %(code)s : règle « %(rule)s » inconnue.")
                % {"path": path, "code": item["code"], "rule": item["rule"]},
                field=path,
            )
        kinds[item["code"]], _created = RestrictedEntityKind.objects.update_or_create(
            code=item["code"], defaults={"label": item["label"], "rule": rules[item["rule"]], **_cite(item)}
        )
    for item in data.get("entities") or []:
        kind = (
            kinds.get(item.get("kind")) or RestrictedEntityKind.objects.filter(code=item.get("kind")).first()
        )
        if kind is None:
            raise AppError(
                _("%(path)s: entities %(value)s : type inconnu.") % {"path": path, "value": item.get("name")},
                field=path,
            )
        RestrictedEntity.objects.get_or_create(
            kind=kind,
            name=item["name"],
            country=Country.objects.filter(iso2=item.get("country")).first(),
            area=AdministrativeArea.objects.filter(code=item.get("area")).first(),
            authority=LocalAuthority.objects.filter(siren=item["siren"]).first()
            if item.get("siren")
            else None,
            defaults={"legal_reference": item.get("legal_reference", "")},
        )
    competences = {}
    for item in data.get("competences") or []:
        competence, _created = Competence.objects.update_or_create(
            code=item["code"],
            defaults={
                "label": item["label"],
                "sector_prefixes": item.get("sector_prefixes", ""),
                **_cite(item),
            },
        )
        where = f"competences {item['code']}"
        competence.themes.set(_themes(item.get("themes") or [], path=path, where=where))
        competence.accepted_themes.set(_themes(item.get("themes_accepted") or [], path=path, where=where))
        competences[item["code"]] = competence
    for item in data.get("groupement_competences") or []:
        if item["competence"] not in competences:
            raise AppError(
                _("%(path)s: groupement_competences : compétence « %(competence)s » inconnue.")
                % {"path": path, "competence": item["competence"]},
                field=path,
            )
        GroupementCompetence.objects.update_or_create(
            authority_kind=item.get("authority_kind", ""),
            name_pattern=item.get("name_pattern", ""),
            authority=None,
            competence=competences[item["competence"]],
            defaults=_cite(item),
        )
    return {
        "rules": len(rules),
        "entity_kinds": len(kinds),
        "competences": len(competences),
        "groupement_competences": len(data.get("groupement_competences") or []),
    }
