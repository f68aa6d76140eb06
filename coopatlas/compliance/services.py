"""Writes of the compliance tables: loading the rules file."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

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
    return {"source_document": str(source.get("doc", "001")),
            "source_lines": str(source.get("lines", "")), "quote": source.get("quote", "")}


def _themes(slugs: list[str], *, path: str, where: str) -> list[Theme]:
    themes = list(Theme.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {t.slug for t in themes})
    if missing:
        raise AppError(f"{path}: {where} : thème(s) inconnu(s) {', '.join(missing)} ; "
                       "chargez d'abord les référentiels (load_reference) ou corrigez le slug.",
                       field=path)
    return themes


@transaction.atomic
def rules_load(*, data: dict, path: str = "rules.yaml") -> dict[str, int]:
    if not isinstance(data, dict) or "rules" not in data:
        raise AppError(f"{path}: la clé « rules » manque.", field=path)
    rules = {}
    for item in data["rules"]:
        threshold = item.get("threshold")
        rules[item["code"]], _ = Rule.objects.update_or_create(code=item["code"], defaults={
            "title": item["title"], "severity": item.get("severity", "warning"),
            "threshold": Decimal(str(threshold)) if threshold is not None else None,
            "currency": item.get("currency", ""),
            "also_when_cofunded": bool(item.get("also_when_cofunded", False)),
            **_cite(item)})
    kinds = {}
    for item in data.get("entity_kinds") or []:
        if item["rule"] not in rules:
            raise AppError(f"{path}: entity_kinds {item['code']} : règle « {item['rule']} » "
                           "inconnue.", field=path)
        kinds[item["code"]], _ = RestrictedEntityKind.objects.update_or_create(
            code=item["code"], defaults={"label": item["label"], "rule": rules[item["rule"]],
                                         **_cite(item)})
    for item in data.get("entities") or []:
        kind = kinds.get(item.get("kind")) or RestrictedEntityKind.objects.filter(
            code=item.get("kind")).first()
        if kind is None:
            raise AppError(f"{path}: entities {item.get('name')} : type inconnu.", field=path)
        RestrictedEntity.objects.get_or_create(
            kind=kind, name=item["name"],
            country=Country.objects.filter(iso2=item.get("country")).first(),
            area=AdministrativeArea.objects.filter(code=item.get("area")).first(),
            authority=LocalAuthority.objects.filter(siren=item["siren"]).first()
            if item.get("siren") else None,
            defaults={"legal_reference": item.get("legal_reference", "")})
    competences = {}
    for item in data.get("competences") or []:
        competence, _ = Competence.objects.update_or_create(code=item["code"], defaults={
            "label": item["label"], "sector_prefixes": item.get("sector_prefixes", ""),
            **_cite(item)})
        where = f"competences {item['code']}"
        competence.themes.set(_themes(item.get("themes") or [], path=path, where=where))
        competence.accepted_themes.set(_themes(item.get("themes_accepted") or [], path=path,
                                               where=where))
        competences[item["code"]] = competence
    for item in data.get("groupement_competences") or []:
        if item["competence"] not in competences:
            raise AppError(f"{path}: groupement_competences : compétence « {item['competence']} » "
                           "inconnue.", field=path)
        GroupementCompetence.objects.update_or_create(
            authority_kind=item.get("authority_kind", ""),
            name_pattern=item.get("name_pattern", ""), authority=None,
            competence=competences[item["competence"]], defaults=_cite(item))
    return {"rules": len(rules), "entity_kinds": len(kinds),
            "competences": len(competences),
            "groupement_competences": len(data.get("groupement_competences") or [])}
