"""One project → one IATI 2.03 <iati-activity> element (no database writes here).

Everything is sorted on content, never on database ids, so that exporting, importing into
another database and exporting again gives the same activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from coopatlas.cooperation.models import FundingContribution, Project

from .codes import (
    NS,
    SRS_WGS84,
    UNDATED_NARRATIVE,
    XML_LANG,
    mappings,
    siren_identifier,
    unregistered_identifier,
)

ATLAS_NAME = "Atlas de la coopération décentralisée"


class NotExportable(Exception):
    """The project lacks a fact IATI makes mandatory (said in `reason`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    ref: str | None
    type: str | None
    name: str
    authority_id: int | None = None
    organisation_id: int | None = None


def authority_actor(authority) -> Actor:
    return Actor(
        ref=siren_identifier(authority.siren),
        type=mappings()["authority_type"],
        name=authority.name,
        authority_id=authority.pk,
    )


def organisation_actor(org) -> Actor:
    ref = org.iati_identifier or siren_identifier(org.siren)
    kind_type = mappings()["organisation_kind_type"].get(org.kind)
    return Actor(ref=ref, type=org.iati_type_id or kind_type, name=org.name, organisation_id=org.pk)


def _reporter(project: Project) -> Actor:
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    if imported is not None:
        return Actor(
            ref=imported.reporting_ref,
            type=imported.reporting_type or None,
            name=imported.reporting_name,
            authority_id=imported.reporting_authority_id,
            organisation_id=imported.reporting_organisation_id,
        )
    participants = sorted(project.participants.all(), key=lambda p: p.pk)
    chosen = next((p.authority for p in participants if p.role == "lead"), None) or next(
        (p.authority for p in participants if p.authority.country_id == "FR"), None
    )
    if chosen is not None:
        actor = authority_actor(chosen)
        return (
            actor
            if actor.ref
            else Actor(unregistered_identifier(chosen.slug), actor.type, actor.name, authority_id=chosen.pk)
        )
    operators = sorted(
        project.operator_links.all(),
        key=lambda o: (
            ["accountable", "implementing", "extending", "funding"].index(o.role)
            if o.role in ("accountable", "implementing", "extending", "funding")
            else 9,
            o.pk,
        ),
    )
    if operators:
        org = operators[0].organisation
        actor = organisation_actor(org)
        return (
            actor
            if actor.ref
            else Actor(
                unregistered_identifier(f"org-{org.slug}"), actor.type, actor.name, organisation_id=org.pk
            )
        )
    if participants:
        return Actor(
            unregistered_identifier(participants[0].authority.slug),
            mappings()["authority_type"],
            participants[0].authority.name,
            authority_id=participants[0].authority_id,
        )
    return Actor(unregistered_identifier("atlas"), None, ATLAS_NAME)


def activity_identifier(project: Project, reporter: Actor | None = None) -> str:
    if project.iati_identifier:
        return project.iati_identifier
    return f"{(reporter or _reporter(project)).ref}-{project.slug}"


def _number(value: Decimal | int) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _start(project: Project) -> date | None:
    if project.start_date:
        return project.start_date
    return date(project.start_year, 1, 1) if project.start_year else None


def _end(project: Project) -> date | None:
    if project.end_date:
        return project.end_date
    return date(project.end_year, 12, 31) if project.end_year else None


def undated_stand_in(project: Project) -> date:
    """The date an undated project is published under (marked as such in the file)."""
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    if imported is not None and imported.extra.get("undated"):
        return date.fromisoformat(imported.extra["undated"])
    document = project.source.document if project.source_id else None
    if document is not None and document.published_on:
        return document.published_on
    return project.created_at.date()


def _reference_date(project: Project) -> date:
    return _start(project) or undated_stand_in(project)


def _sub(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    el = etree.SubElement(parent, tag, {k: v for k, v in (attrib or {}).items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _narrative(parent, text: str, lang: str | None = None) -> None:
    _sub(parent, "narrative", {XML_LANG: lang} if lang else None, text)


def _org(parent, tag: str, actor: Actor, attrib: dict | None = None) -> None:
    el = _sub(parent, tag, {**(attrib or {}), "ref": actor.ref, "type": actor.type})
    if actor.name:
        _narrative(el, actor.name)


def _participating(project: Project, reporter: Actor) -> list[tuple[str, Actor]]:
    roles = mappings()["operator_role"]
    out: set[tuple[str, Actor]] = set()
    for link in project.participants.all():
        actor = authority_actor(link.authority)
        role = "2" if link.role == "lead" or link.authority.country_id == "FR" else "4"
        out.add((role, actor))
    for link in project.operator_links.all():
        out.add((roles[link.role], organisation_actor(link.organisation)))
    for line in project.funding.all():
        funder = line.funder_authority or line.funder_organisation
        actor = authority_actor(funder) if line.funder_authority_id else organisation_actor(funder)
        out.add((roles["funding"], actor))
    if not out:
        out.add((roles["accountable"], reporter))
    return sorted(out, key=lambda ra: (int(ra[0]), ra[1].name, ra[1].ref or ""))


def _descriptions(act, project: Project) -> None:
    types = mappings()["description_type"]
    texts = [(types[field], getattr(project, field)) for field in types if getattr(project, field)]
    for code, text in texts or [(types["summary"], project.title)]:
        _narrative(_sub(act, "description", {"type": code}), text)


def _dates(act, project: Project) -> None:
    start, end = _start(project), _end(project)
    began = project.status in ("ongoing", "completed", "dormant")
    if start:
        _sub(act, "activity-date", {"type": "2" if began else "1", "iso-date": start.isoformat()})
    if end:
        finished = project.status in ("completed", "cancelled")
        _sub(act, "activity-date", {"type": "4" if finished else "3", "iso-date": end.isoformat()})
    if not start and not end:
        el = _sub(
            act,
            "activity-date",
            {"type": "2" if began else "1", "iso-date": undated_stand_in(project).isoformat()},
        )
        _narrative(el, UNDATED_NARRATIVE)


def _geography(act, project: Project) -> None:
    for country in sorted(project.countries.all(), key=lambda c: c.iso2):
        _sub(act, "recipient-country", {"code": country.iso2})
    for area in sorted(project.areas.all(), key=lambda a: a.code):
        loc = _sub(act, "location", {"ref": area.code})
        _narrative(_sub(loc, "name"), area.name_fr or area.name)
        if area.latitude is not None and area.longitude is not None:
            _sub(
                _sub(loc, "point", {"srsName": SRS_WGS84}),
                "pos",
                None,
                f"{area.latitude:.5f} {area.longitude:.5f}",
            )
        _sub(loc, "exactness", {"code": "2"})  # approximate: the area's centre
        _sub(loc, "location-class", {"code": "1"})  # administrative region
        _sub(loc, "feature-designation", {"code": f"ADM{min(area.level, 5)}"})
    for place in sorted(project.places.all(), key=lambda p: p.geonames_id):
        loc = _sub(act, "location", {"ref": f"geonames:{place.geonames_id}"})
        _sub(loc, "location-id", {"vocabulary": "G1", "code": str(place.geonames_id)})
        _narrative(_sub(loc, "name"), place.name)
        _sub(
            _sub(loc, "point", {"srsName": SRS_WGS84}),
            "pos",
            None,
            f"{place.latitude:.5f} {place.longitude:.5f}",
        )
        _sub(loc, "exactness", {"code": "1"})
        _sub(loc, "location-class", {"code": "2"})  # populated place
        _sub(loc, "feature-designation", {"code": "PPL"})


def _classifications(act, project: Project) -> None:
    for link in sorted(project.sector_links.all(), key=lambda s: s.sector_id):
        _sub(
            act, "sector", {"vocabulary": "1", "code": link.sector_id, "percentage": _number(link.percentage)}
        )
    for goal in sorted(project.sdg_goals.all(), key=lambda g: g.number):
        _narrative(_sub(act, "tag", {"vocabulary": "2", "code": str(goal.number)}), goal.name_fr)
    for target in sorted(project.sdg_targets.all(), key=lambda t: t.code):
        _narrative(_sub(act, "tag", {"vocabulary": "3", "code": target.code}), target.name_fr)
    for link in sorted(project.marker_links.all(), key=lambda m: m.marker_id):
        _sub(
            act,
            "policy-marker",
            {"vocabulary": "1", "code": link.marker_id, "significance": str(link.significance)},
        )


def _budget(act, project: Project) -> None:
    if project.budget is None:
        return
    start = _reference_date(project)
    end = _end(project) or start
    el = _sub(act, "budget", {"type": "1", "status": "1"})
    _sub(el, "period-start", {"iso-date": start.isoformat()})
    _sub(el, "period-end", {"iso-date": max(end, start).isoformat()})
    _sub(
        el, "value", {"currency": project.currency, "value-date": start.isoformat()}, _number(project.budget)
    )


def _funding_actor(line: FundingContribution) -> Actor:
    if line.funder_authority_id:
        return authority_actor(line.funder_authority)
    return organisation_actor(line.funder_organisation)


def _transactions(act, project: Project, reporter: Actor) -> None:
    codes = mappings()
    rows = []
    for line in project.funding.all():
        funder = _funding_actor(line)
        own = (funder.authority_id and funder.authority_id == reporter.authority_id) or (
            funder.organisation_id and funder.organisation_id == reporter.organisation_id
        )
        kind = codes["transaction_own_commitment"] if own else codes["transaction_incoming_commitment"]
        when = date(line.year, 1, 1) if line.year else _reference_date(project)
        rows.append((when, kind, funder, line))
    rows.sort(
        key=lambda r: (r[0], int(r[1]), r[2].name, r[3].amount, r[3].instrument, r[3].nature, r[3].note)
    )
    for when, kind, funder, line in rows:
        attrib = {f"{{{NS}}}instrument": line.instrument, f"{{{NS}}}nature": line.nature}
        if line.is_annual:
            attrib[f"{{{NS}}}annual"] = "1"
        if not line.year:
            attrib[f"{{{NS}}}dated"] = "0"  # the date is the project's, not the line's
        tr = _sub(act, "transaction", attrib)
        _sub(tr, "transaction-type", {"code": kind})
        _sub(tr, "transaction-date", {"iso-date": when.isoformat()})
        _sub(tr, "value", {"currency": line.currency, "value-date": when.isoformat()}, _number(line.amount))
        if line.note:
            _narrative(_sub(tr, "description"), line.note)
        _org(tr, "provider-org", funder)
        if kind != codes["transaction_own_commitment"]:
            _org(tr, "receiver-org", reporter)


def activity_element(project: Project) -> etree._Element:
    """Build the activity. Raises NotExportable when a mandatory fact is unknown."""
    status = mappings()["activity_status"].get(project.status)
    if status is None:
        raise NotExportable(
            f"status « {project.status} » has no IATI activity-status (mandatory): set the project's status"
        )
    reporter = _reporter(project)
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    lang = (imported.language if imported is not None else "") or "fr"
    last_updated = imported.last_updated if imported is not None else None
    act = etree.Element(
        "iati-activity",
        {
            XML_LANG: lang,
            "default-currency": project.currency,
            "last-updated-datetime": last_updated or project.updated_at.replace(microsecond=0).isoformat(),
        },
        nsmap={"coopatlas": NS},
    )
    _sub(act, "iati-identifier", None, activity_identifier(project, reporter))
    _org(act, "reporting-org", reporter)
    _narrative(_sub(act, "title"), project.title)
    _descriptions(act, project)
    for role, actor in _participating(project, reporter):
        _org(act, "participating-org", actor, {"role": role})
    _sub(act, "activity-status", {"code": status})
    _dates(act, project)
    _geography(act, project)
    _classifications(act, project)
    _budget(act, project)
    _transactions(act, project, reporter)
    return act
