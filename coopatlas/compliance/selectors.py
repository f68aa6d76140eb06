"""Compliance warnings, computed from the tables of `models` (nothing stored).

Each warning: {"rule", "severity", "title", "message", "record": {"kind", "id", "label",
"html_url"}, "source": {"document", "lines", "quote"}}. The editor pages show
`compliance_warnings_for(record=…)`; administrators see `compliance_warnings_all()`.
Records handled: partnerships (with their conventions), conventions, projects and
their financing lines; other records have none."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Model, Prefetch
from django.utils.translation import gettext as _

from coopatlas.cooperation.models import (
    Convention,
    FundingContribution,
    Organisation,
    Partnership,
    PartnershipParty,
    Project,
    ProjectOperator,
    ProjectParticipant,
)
from coopatlas.core.text import fold
from coopatlas.geo.models import GROUPEMENT_KINDS
from coopatlas.reference.models import Theme

from .models import Competence, GroupementCompetence, RestrictedEntity, Rule

FRANCE = "FR"


@dataclass
class Tables:
    rules: dict[str, Rule]
    entities: list[RestrictedEntity]
    groupement_rows: list[GroupementCompetence]
    covered: dict[str, set[int]] = field(default_factory=dict)  # competence → theme ids
    prefixes: dict[str, list[str]] = field(default_factory=dict)
    theme_parent: dict[int, int | None] = field(default_factory=dict)
    theme_name: dict[int, str] = field(default_factory=dict)


def _tables() -> Tables:
    themes = list(Theme.objects.values_list("pk", "parent_id", "name_fr"))
    tables = Tables(
        rules={r.code: r for r in Rule.objects.filter(is_active=True)},
        entities=list(RestrictedEntity.objects.filter(is_active=True).select_related("kind__rule")),
        groupement_rows=list(GroupementCompetence.objects.select_related("competence")),
        theme_parent={pk: parent for pk, parent, _ in themes},
        theme_name={pk: name for pk, _, name in themes},
    )
    for competence in Competence.objects.prefetch_related("themes", "accepted_themes"):
        roots = {t.pk for t in competence.themes.all()}
        covered = set(roots) | {t.pk for t in competence.accepted_themes.all()}
        for pk in tables.theme_parent:  # sub-themes of a covered theme, and its ancestors
            if roots & set(_ancestors(tables, pk)):
                covered.add(pk)
        for root in roots:
            covered |= set(_ancestors(tables, root))
        tables.covered[competence.code] = covered
        tables.prefixes[competence.code] = competence.prefixes()
    return tables


def _ancestors(tables: Tables, pk: int) -> list[int]:
    out, node = [], tables.theme_parent.get(pk)
    while node is not None and node not in out:
        out.append(node)
        node = tables.theme_parent.get(node)
    return out


def _ref(record: Model) -> dict:
    target = record
    if isinstance(record, Convention):
        target = record.partnership
    elif isinstance(record, FundingContribution):
        target = record.project
    return {
        "kind": record._meta.model_name,
        "id": record.pk,
        "label": str(record)[:200],
        "html_url": target.get_absolute_url(),
    }


def _warning(tables: Tables, code: str, record: Model, message: str) -> dict | None:
    rule = tables.rules.get(code)
    if rule is None:
        return None
    return {
        "rule": code,
        "severity": rule.severity,
        "title": rule.title,
        "message": message,
        "record": _ref(record),
        "source": {"document": rule.source_document, "lines": rule.source_lines, "quote": rule.quote},
    }


# --------------------------------------------------------------------------- partners


def _area_chain(area) -> set[int]:
    ids = set()
    while area is not None and area.pk not in ids:
        ids.add(area.pk)
        area = area.parent
    return ids


def _entity_hits(
    tables: Tables, *, authority=None, organisation=None, country_id=None, area_ids=frozenset()
) -> list[RestrictedEntity]:
    hits = []
    for e in tables.entities:
        if (
            (authority is not None and e.authority_id == authority.pk)
            or (organisation is not None and e.organisation_id == organisation.pk)
            or (
                country_id
                and e.country_id == country_id
                and e.area_id is None
                and e.authority_id is None
                and e.organisation_id is None
            )
            or (e.area_id is not None and e.area_id in area_ids)
        ):
            hits.append(e)
    return hits


def _entity_warnings(tables, record, who: str, hits) -> list[dict | None]:
    return [
        _warning(
            tables,
            e.kind.rule_id,
            record,
            _(
                "« %(who)s » : %(lower)s « %(e_name)s »%(value)s. Vérifiez avec la "
                "préfecture (contrôle de légalité) avant toute action."
            )
            % {
                "who": who,
                "lower": e.kind.label.lower(),
                "e_name": e.name,
                "value": f" ({e.legal_reference})" if e.legal_reference else "",
            },
        )
        for e in hits
    ]


def _partner_warnings(
    tables: Tables, record: Model, *, authorities, organisations, countries=(), areas=()
) -> list[dict | None]:
    out: list[dict | None] = []
    for a in authorities:
        if a.country_id == FRANCE:
            continue
        if not a.country.is_recognised:
            out.append(
                _warning(
                    tables,
                    "partner-unrecognised",
                    record,
                    _(
                        "« %(a_name)s » relève de « %(name_fr)s », que la France ne "
                        "reconnaît pas : aucune action extérieure n'est possible."
                    )
                    % {"a_name": a.name, "name_fr": a.country.name_fr},
                )
            )
        area_ids = _area_chain(a.area) if a.area_id else set()
        out += _entity_warnings(
            tables,
            record,
            a.name,
            _entity_hits(tables, authority=a, country_id=a.country_id, area_ids=area_ids),
        )
    for o in organisations:
        foreign = bool(o.country_id) and o.country_id != FRANCE
        if foreign and o.kind == "state":
            out.append(
                _warning(
                    tables,
                    "partner-foreign-state",
                    record,
                    _(
                        "« %(o_name)s » est un service de l'État « %(name_fr)s » : "
                        "une convention avec un État étranger est interdite sauf "
                        "exceptions de la loi du 5 décembre 2016, avec autorisation "
                        "préalable."
                    )
                    % {"o_name": o.name, "name_fr": o.country.name_fr},
                )
            )
        out += _entity_warnings(
            tables,
            record,
            o.name,
            _entity_hits(tables, organisation=o, country_id=o.country_id if foreign else None),
        )
    for c in countries:
        if c.iso2 == FRANCE:
            continue
        if not c.is_recognised:
            out.append(
                _warning(
                    tables,
                    "partner-unrecognised",
                    record,
                    _("Le projet a lieu en « %(name_fr)s », que la France ne reconnaît pas.")
                    % {"name_fr": c.name_fr},
                )
            )
        out += _entity_warnings(tables, record, c.name_fr, _entity_hits(tables, country_id=c.iso2))
    for area in areas:
        out += _entity_warnings(tables, record, area.name, _entity_hits(tables, area_ids=_area_chain(area)))
    return out


# --------------------------------------------------------------------------- groupements


def _competences_of(tables: Tables, authority) -> list[Competence]:
    name = fold(authority.name)
    found = {}
    for row in tables.groupement_rows:
        if row.authority_id == authority.pk or (
            row.authority_id is None
            and row.authority_kind == authority.kind
            and (not row.name_pattern or re.search(row.name_pattern, name))
        ):
            found[row.competence_id] = row.competence
    return list(found.values())


def _groupement_warnings(
    tables: Tables, record: Model, *, authorities, theme_ids: set[int], sectors: list
) -> list[dict | None]:
    out: list[dict | None] = []
    if not theme_ids and not sectors:
        return out
    for a in authorities:
        if a.country_id != FRANCE or a.kind not in GROUPEMENT_KINDS:
            continue
        competences = _competences_of(tables, a)
        if not competences:
            out.append(
                _warning(
                    tables,
                    "groupement-competences-unknown",
                    record,
                    _(
                        "« %(a_name)s » est un groupement : il n'agit que dans ses "
                        "compétences, que la table des compétences ne renseigne pas "
                        "encore. Un administrateur peut les y ajouter."
                    )
                    % {"a_name": a.name},
                )
            )
            continue
        outside = [
            tables.theme_name.get(t, str(t))
            for t in sorted(theme_ids)
            if not any(t in tables.covered.get(c.code, ()) for c in competences)
        ]
        outside += [
            f"{s.code} {s.name_fr}"
            for s in sectors
            if not any(s.code.startswith(p) for c in competences for p in tables.prefixes.get(c.code, []))
        ]
        if outside:
            labels = ", ".join(c.label for c in competences)
            out.append(
                _warning(
                    tables,
                    "groupement-outside-competence",
                    record,
                    _(
                        "« %(a_name)s » (compétences : %(labels)s) intervient hors "
                        "de ses compétences : %(outside)s."
                    )
                    % {"a_name": a.name, "labels": labels, "outside": "; ".join(outside)},
                )
            )
    return out


# --------------------------------------------------------------------------- subsidies


def _money(value: Decimal, currency: str) -> str:
    from coopatlas.core.parse import money_display

    return money_display(value, currency, places=None)


def _subsidy_warnings(tables: Tables, project: Project, *, only=None) -> list[dict | None]:
    rule = tables.rules.get("subsidy-without-convention")
    if rule is None:
        return []
    has_convention = any(p.conventions.all() for p in project.partnerships.all())
    if has_convention:
        return []
    lines = project.funding.all()
    funders = {(line.funder_authority_id, line.funder_organisation_id) for line in lines}
    cofunded = rule.also_when_cofunded and len(funders) > 1
    out: list[dict | None] = []
    for line in lines:
        if only is not None and line.pk != only.pk:
            continue
        a = line.funder_authority
        if a is None or a.country_id != FRANCE or line.nature != "cash" or line.instrument == "partner":
            continue
        over = (
            rule.threshold is not None
            and line.currency == (rule.currency or "EUR")
            and line.amount > rule.threshold
        )
        if not over and not cofunded:
            continue
        year = _(" en %(year)s") % {"year": line.year} if line.year else ""
        why = (
            _("au-delà de %(threshold)s") % {"threshold": _money(rule.threshold, rule.currency or "EUR")}
            if over
            else _("le projet est cofinancé")
        )
        out.append(
            _warning(
                tables,
                rule.code,
                line,
                _(
                    "« %(a_name)s » verse %(amount)s%(year)s à « %(title)s » : "
                    "%(why)s, une convention est obligatoire, et aucune n'est "
                    "enregistrée pour les partenariats de ce projet."
                )
                % {
                    "a_name": a.name,
                    "amount": _money(line.amount, line.currency),
                    "year": year,
                    "title": project.title[:120],
                    "why": why,
                },
            )
        )
    return out


# --------------------------------------------------------------------------- conventions


def _convention_warnings(tables: Tables, convention: Convention) -> list[dict | None]:
    missing = []
    if not convention.parties.all():
        missing.append("les parties signataires")
    if not convention.purpose.strip():
        missing.append("l'objet")
    if not (convention.duration_months or convention.ends_on):
        missing.append("la durée (ou la date de fin)")
    if convention.estimated_commitment is None:
        missing.append("le montant prévisionnel des engagements financiers")
    if not missing:
        return []
    return [
        _warning(
            tables,
            "convention-incomplete",
            convention,
            _("La convention « %(title)s » ne mentionne pas %(missing)s : complétez-la.")
            % {"title": convention.title[:120], "missing": ", ".join(missing)},
        )
    ]


# --------------------------------------------------------------------------- records


def _partnership_warnings(tables: Tables, p: Partnership) -> list[dict | None]:
    authorities = [link.authority for link in p.party_links.all()]
    out = _partner_warnings(tables, p, authorities=authorities, organisations=list(p.organisations.all()))
    out += _groupement_warnings(
        tables, p, authorities=authorities, theme_ids={t.pk for t in p.themes.all()}, sectors=[]
    )
    for convention in p.conventions.all():
        out += _convention_warnings(tables, convention)
        out += _partner_warnings(
            tables,
            convention,
            authorities=[a for a in convention.parties.all() if a not in authorities],
            organisations=[],
        )
    return out


def _project_warnings(tables: Tables, project: Project, *, only=None) -> list[dict | None]:
    if only is not None:
        return _subsidy_warnings(tables, project, only=only)
    participants = [link.authority for link in project.participants.all()]
    funders = [line.funder_authority for line in project.funding.all() if line.funder_authority_id]
    groupements = list({a.pk: a for a in participants + funders}.values())
    out = _partner_warnings(
        tables,
        project,
        authorities=participants,
        organisations=[link.organisation for link in project.operator_links.all()],
        countries=list(project.countries.all()),
        areas=list(project.areas.all()),
    )
    out += _groupement_warnings(
        tables,
        project,
        authorities=groupements,
        theme_ids={link.theme_id for link in project.theme_links.all()},
        sectors=[link.sector for link in project.sector_links.all()],
    )
    out += _subsidy_warnings(tables, project)
    return out


AUTHORITY = ("country", "area__parent__parent")
# Deleted rows count for nothing (Record.live_q): a deleted convention covers no subsidy,
# a deleted financing line asks for none.
_LIVE_CONVENTIONS = Prefetch("conventions", Convention.objects.live().prefetch_related("parties__country"))
PARTNERSHIPS = Partnership.objects.prefetch_related(
    Prefetch("party_links", PartnershipParty.objects.select_related(*(f"authority__{r}" for r in AUTHORITY))),
    Prefetch("organisations", Organisation.objects.live().select_related("country")),
    "themes",
    _LIVE_CONVENTIONS,
)
PROJECTS = Project.objects.prefetch_related(
    Prefetch(
        "participants", ProjectParticipant.objects.select_related(*(f"authority__{r}" for r in AUTHORITY))
    ),
    Prefetch(
        "operator_links",
        ProjectOperator.objects.filter(Organisation.live_q("organisation")).select_related(
            "organisation__country"
        ),
    ),
    "countries",
    "areas__parent",
    "theme_links",
    "sector_links__sector",
    Prefetch("funding", FundingContribution.objects.live().select_related("funder_authority")),
    Prefetch("partnerships", Partnership.objects.live().prefetch_related(_LIVE_CONVENTIONS)),
)


def _dedupe(warnings: list[dict | None]) -> list[dict]:
    seen, out = set(), []
    for w in warnings:
        if w is None:
            continue
        key = (w["rule"], w["record"]["kind"], w["record"]["id"], w["message"])
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def compliance_warnings_for(*, record: Model) -> list[dict]:
    """Warnings of one partnership (with its conventions), convention, project or
    financing line; [] for any other record."""
    tables = _tables()
    kind = record._meta.model_name
    if kind == "partnership":
        return _dedupe(_partnership_warnings(tables, PARTNERSHIPS.get(pk=record.pk)))
    if kind == "convention":
        convention = Convention.objects.prefetch_related("parties__country").get(pk=record.pk)
        return _dedupe(_convention_warnings(tables, convention))
    if kind == "project":
        return _dedupe(_project_warnings(tables, PROJECTS.get(pk=record.pk)))
    if kind == "fundingcontribution":
        return _dedupe(_project_warnings(tables, PROJECTS.get(pk=record.project_id), only=record))
    return []


def compliance_warnings_all() -> list[dict]:
    """Every warning over the records not deleted, partnerships first, then projects."""
    tables = _tables()
    out: list[dict | None] = []
    for p in PARTNERSHIPS.live().order_by("title"):
        out += _partnership_warnings(tables, p)
    for project in PROJECTS.live().order_by("title"):
        out += _project_warnings(tables, project)
    return _dedupe(out)
