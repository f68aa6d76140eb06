"""One project → one IATI 2.03 <iati-activity> element (no database writes here).

Everything is sorted on content, never on database ids, so that exporting, importing into
another database and exporting again gives the same activities.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ObjectDoesNotExist
from lxml import etree

from coopatlas.cooperation.models import FundingContribution, Project

from .codes import (
    NS,
    SRS_WGS84,
    XML_LANG,
    known_publisher,
    mappings,
    siren_identifier,
)

MODES = ("ministry", "publishers")

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
    known = known_publisher(org.name, org.acronym)
    ref = org.iati_identifier or siren_identifier(org.siren) or (known["ref"] if known else None)
    kind_type = mappings()["organisation_kind_type"].get(org.kind)
    return Actor(ref=ref, type=org.iati_type_id or kind_type, name=org.name, organisation_id=org.pk)


def ministry_actor() -> Actor:
    m = mappings()["ministry"]
    return Actor(ref=m["ref"], type=m["type"], name=m["name"])


def _no_identifier(what: str, name: str) -> NotExportable:
    return NotExportable(
        f"{what} « {name} » publishes this project but has no registered identifier: enter its SIREN "
        "(9 digits, published as FR-RCS-<SIREN>) or its IATI organisation identifier on its fiche, "
        "or publish through the ministry (--mode ministry)"
    )


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
        if not actor.ref:
            raise _no_identifier("the authority", chosen.name)
        return actor
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
        if not actor.ref:
            raise _no_identifier("the organisation", org.name)
        return actor
    if participants:
        raise _no_identifier("the authority", participants[0].authority.name)
    raise NotExportable("no authority or organisation carries this project: add its lead authority")


def principal(project: Project) -> Actor:
    """The organisation whose activity it is (the lead authority…), identifier or not: the
    side from which transactions are told when the ministry reports as secondary reporter."""
    try:
        return _reporter(project)
    except NotExportable:
        pass
    participants = sorted(
        project.participants.all(), key=lambda p: (p.role != "lead", p.authority.country_id != "FR", p.pk)
    )
    if participants:
        return authority_actor(participants[0].authority)
    operators = sorted(project.operator_links.all(), key=lambda o: o.pk)
    if operators:
        return organisation_actor(operators[0].organisation)
    return ministry_actor()


def reporter_for(project: Project, mode: str = "ministry") -> Actor:
    """Who publishes the activity: the ministry (secondary reporter) or the project's own publisher.

    Imported activities always keep their own publisher.
    """
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    if mode == "ministry" and imported is None:
        return ministry_actor()
    return _reporter(project)


def _stored(project: Project):
    try:
        return project.iati_published
    except ObjectDoesNotExist:
        return None


def activity_identifier(project: Project, reporter: Actor | None = None) -> str:
    """The identifier stored at first publication, else the one it would get now."""
    if project.iati_identifier:
        return project.iati_identifier
    stored = _stored(project)
    if stored is not None:
        return stored.identifier
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


def activity_dates(project: Project, today: date) -> list[tuple[str, date]]:
    """(ActivityDateType code, date): actual only when it has happened, else planned.

    A year without a day is published as 1 January / 31 December of that year (the atlas
    knows the year only); nothing stands in for an unknown date.
    """
    start, end = _start(project), _end(project)
    began = project.status in ("ongoing", "completed", "dormant")
    finished = project.status in ("completed", "cancelled")
    out = []
    if start:
        out.append(("2" if began and start <= today else "1", start))
    if end:
        out.append(("4" if finished and end <= today else "3", end))
    return out


def _dates(act, project: Project, today: date) -> None:
    dates = activity_dates(project, today)
    if not any(code in ("1", "2") for code, _d in dates):
        raise NotExportable(
            "no start year or date (IATI needs a planned or actual start date; the atlas invents "
            "none): enter the project's start year"
        )
    for code, when in dates:
        _sub(act, "activity-date", {"type": code, "iso-date": when.isoformat()})


def split_percentages(n: int) -> list[Decimal]:
    """n shares of 100 with two decimals that add up to exactly 100 (the first take the cents)."""
    if n <= 0:
        return []
    base = (Decimal(100) / n).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    extra = int((Decimal(100) - base * n) / Decimal("0.01"))
    return [base + (Decimal("0.01") if i < extra else 0) for i in range(n)]


def _rescale(values: list[Decimal]) -> list[Decimal]:
    """Percentages rescaled to add up to exactly 100 (two decimals; the largest takes the rest)."""
    total = sum(values, Decimal(0))
    if total == 100 or total <= 0:
        return values
    out = [(v * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for v in values]
    largest = max(range(len(out)), key=lambda i: out[i])
    out[largest] += Decimal(100) - sum(out, Decimal(0))
    return out


def recipient_countries(project: Project) -> list[str]:
    """The project's countries, else those of its foreign partner authorities."""
    codes = sorted(c.iso2 for c in project.countries.all())
    if not codes:
        codes = sorted(
            {p.authority.country_id for p in project.participants.all() if p.authority.country_id != "FR"}
        )
    return codes


def _geography(act, project: Project) -> None:
    codes = recipient_countries(project)
    if not codes:
        raise NotExportable(
            "no recipient country (mandatory for IATI's rules 3.7): add the project's country"
        )
    shares = split_percentages(len(codes)) if len(codes) > 1 else [None]
    for code, share in zip(codes, shares, strict=True):
        _sub(
            act,
            "recipient-country",
            {"code": code, "percentage": _number(share) if share is not None else None},
        )
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
    for authority in partner_authorities(project):
        _authority_location(act, authority)
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


def partner_authorities(project: Project) -> list:
    """Foreign partner authorities known to the gazetteer (or with coordinates): a location each."""
    out = {}
    for link in project.participants.all():
        a = link.authority
        if a.country_id == "FR":
            continue
        entry = getattr(a, "gazetteer_entry", None) if _has_entry(a) else None
        if entry is not None or (a.latitude is not None and a.longitude is not None):
            out[a.pk] = a
    return sorted(out.values(), key=lambda a: (a.country_id, a.name, a.slug))


def _has_entry(authority) -> bool:
    try:
        return authority.gazetteer_entry is not None
    except ObjectDoesNotExist:
        return False


def administrative_codes(authority) -> list[tuple[str, int, str]]:
    """(GeographicVocabulary, level, code) for an authority: its country (A4, ISO 3166-1, level 0),
    then each GeoNames division of the gazetteer (G1) from the top down. IATI has no ISO 3166-2
    vocabulary, so an ISO-only subdivision is not given a code it does not have."""
    codes = [("A4", 0, authority.country_id)]
    chain = []
    entry = authority.gazetteer_entry if _has_entry(authority) else None
    seen = set()
    while entry is not None and entry.pk not in seen and len(chain) < 6:
        seen.add(entry.pk)
        if entry.code.startswith("gn:") and entry.code[3:].isdigit():
            chain.append(("G1", entry.level, entry.code[3:]))
        entry = entry.parent
    codes.extend(sorted(chain, key=lambda c: c[1]))
    return codes


def _authority_location(act, authority) -> None:
    loc = _sub(act, "location", {"ref": f"authority:{authority.slug}"})
    _sub(loc, "location-reach", {"code": "1"})  # the activity happens here
    codes = administrative_codes(authority)
    finest = codes[-1]
    if finest[0] == "G1":
        _sub(loc, "location-id", {"vocabulary": "G1", "code": finest[2]})
    _narrative(_sub(loc, "name"), authority.name)
    for vocabulary, level, code in codes:
        _sub(loc, "administrative", {"vocabulary": vocabulary, "level": str(level), "code": code})
    if authority.latitude is not None and authority.longitude is not None:
        _sub(
            _sub(loc, "point", {"srsName": SRS_WGS84}),
            "pos",
            None,
            f"{authority.latitude:.5f} {authority.longitude:.5f}",
        )
        _sub(loc, "exactness", {"code": "2"})  # approximate: the authority's seat or centre
    _sub(loc, "location-class", {"code": "1"})  # administrative region
    level = next((lv for _v, lv, _c in reversed(codes) if lv), None)
    if level:
        _sub(loc, "feature-designation", {"code": f"ADM{min(level, 5)}"})


def project_sectors(project: Project) -> list[tuple[str, Decimal]]:
    """DAC sectors with percentages adding up to 100: the project's own, else its themes' mapping.

    Own percentages that do not add up to 100 are rescaled (the proportions are kept); a
    theme's sectors share equally (main theme first when it maps to a sector).
    """
    links = sorted(project.sector_links.all(), key=lambda s: s.sector_id)
    if links:
        return list(
            zip(
                [link.sector_id for link in links], _rescale([link.percentage for link in links]), strict=True
            )
        )
    themes = sorted(project.theme_links.all(), key=lambda t: (not t.is_main, t.priority, t.theme_id))
    codes: list[str] = []
    for link in themes:
        for sector in sorted(link.theme.sectors.all(), key=lambda s: s.code):
            if sector.code not in codes:
                codes.append(sector.code)
    codes.sort()
    return list(zip(codes, split_percentages(len(codes)), strict=True))


def _classifications(act, project: Project) -> None:
    sectors = project_sectors(project)
    if not sectors:
        raise NotExportable(
            "no DAC sector and no theme mapped to one (IATI rule 6.2.2): "
            "add a sector or a theme to the project"
        )
    for code, pct in sectors:
        _sub(act, "sector", {"vocabulary": "1", "code": code, "percentage": _number(pct)})
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


def _crs_defaults(act) -> None:
    defaults = mappings()["crs_defaults"]
    for tag in (
        "collaboration-type",
        "default-flow-type",
        "default-finance-type",
        "default-aid-type",
        "default-tied-status",
    ):
        _sub(act, tag, {"code": defaults[tag]})


def yearly_budgets(project: Project) -> list[tuple[date, date, str, Decimal]]:
    """(period start, period end, currency, value) per calendar year of the financing plan.

    From the funding lines that give a year (an annual line counts for every year of the
    project), each period clipped to the project's dates: never more than one year (rule
    7.5.3). A project done within one year with no dated line takes its whole budget.
    """
    start, end = _start(project), _end(project)
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for line in project.funding.all():
        years = []
        if line.is_annual and project.start_year and project.end_year:
            years = range(project.start_year, project.end_year + 1)
        elif line.year:
            years = [line.year]
        for year in years:
            sums[(year, line.currency)] += line.amount
    out = []
    for (year, currency), value in sorted(sums.items()):
        first, last = date(year, 1, 1), date(year, 12, 31)
        if start and first < start <= last:
            first = start
        if end and first <= end < last:
            last = end
        out.append((first, last, currency, value))
    if not out and project.budget is not None and start and end and 0 <= (end - start).days <= 365:
        out.append((start, end, project.currency, project.budget))
    return out


def budget_not_provided() -> str | None:
    """The BudgetNotProvided code an activity without a yearly budget carries, if the
    mapping names one (see mappings.json: none of the three reasons says 'not recorded')."""
    code = mappings().get("budget_not_provided")
    return str(code) if code else None


def _budget(act, project: Project) -> None:
    budgets = yearly_budgets(project)
    if not budgets and budget_not_provided():
        act.set("budget-not-provided", budget_not_provided())
    for first, last, currency, value in budgets:
        el = _sub(act, "budget", {"type": "1", "status": "1"})
        _sub(el, "period-start", {"iso-date": first.isoformat()})
        _sub(el, "period-end", {"iso-date": last.isoformat()})
        _sub(el, "value", {"currency": currency, "value-date": first.isoformat()}, _number(value))


def _funding_actor(line: FundingContribution) -> Actor:
    if line.funder_authority_id:
        return authority_actor(line.funder_authority)
    return organisation_actor(line.funder_organisation)


def _payment_actor(authority, organisation) -> Actor | None:
    if authority is not None:
        return authority_actor(authority)
    if organisation is not None:
        return organisation_actor(organisation)
    return None


def _transactions(act, project: Project, reporter: Actor, today: date) -> None:
    """Commitments of the financing plan that have happened (a line of a future year is a
    budget, not a transaction: rule 11.2.1), then the payments recorded on the lines
    (disbursements, expenditures, incoming funds), each with its provider and receiver."""
    codes = mappings()
    rows = []
    start = _start(project)
    payments = []
    for line in project.funding.all():
        payments.extend(p for p in line.payments.all() if not p.is_planned and p.paid_on <= today)
        funder = _funding_actor(line)
        own = (funder.authority_id and funder.authority_id == reporter.authority_id) or (
            funder.organisation_id and funder.organisation_id == reporter.organisation_id
        )
        kind = codes["transaction_own_commitment"] if own else codes["transaction_incoming_commitment"]
        when = date(line.year, 1, 1) if line.year else start
        if when is None or when > today:
            continue
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
    for pay in sorted(payments, key=_payment_key):
        tr = _sub(act, "transaction")
        _sub(tr, "transaction-type", {"code": pay.kind})
        _sub(tr, "transaction-date", {"iso-date": pay.paid_on.isoformat()})
        _payment_value_and_parties(tr, pay)


def _payment_key(pay) -> tuple:
    provider = _payment_actor(pay.provider_authority, pay.provider_organisation)
    return (pay.paid_on, int(pay.kind), provider.name if provider else "", pay.amount, pay.note)


def _payment_value_and_parties(parent, pay) -> None:
    when = pay.value_date or pay.paid_on
    _sub(parent, "value", {"currency": pay.currency, "value-date": when.isoformat()}, _number(pay.amount))
    if parent.tag == "transaction" and pay.note:
        _narrative(_sub(parent, "description"), pay.note)
    provider = _payment_actor(pay.provider_authority, pay.provider_organisation)
    receiver = _payment_actor(pay.receiver_authority, pay.receiver_organisation)
    if provider is not None:
        _org(parent, "provider-org", provider, {"provider-activity-id": pay.provider_activity_id or None})
    if receiver is not None:
        _org(parent, "receiver-org", receiver)


def _planned_disbursements(act, project: Project) -> None:
    """Planned payments (a call's coming tranches…): planned-disbursement, dated to the day."""
    planned = [p for line in project.funding.all() for p in line.payments.all() if p.is_planned]
    for pay in sorted(planned, key=_payment_key):
        el = _sub(act, "planned-disbursement", {"type": "1"})
        _sub(el, "period-start", {"iso-date": pay.paid_on.isoformat()})
        _sub(el, "period-end", {"iso-date": pay.paid_on.isoformat()})
        _payment_value_and_parties(el, pay)


def activity_element(
    project: Project, *, mode: str = "ministry", today: date | None = None
) -> etree._Element:
    """Build the activity. Raises NotExportable when a mandatory fact is unknown.

    `mode`: "ministry" — the ministry publishes on behalf of the authorities
    (reporting-org FR-6, secondary-reporter="1", the authorities as participating
    organisations); "publishers" — each project under its own publisher's identifier.
    """
    today = today or date.today()
    status = mappings()["activity_status"].get(project.status)
    if status is None:
        raise NotExportable(
            f"status « {project.status} » has no IATI activity-status (mandatory): set the project's status"
        )
    reporter = reporter_for(project, mode)
    imported = getattr(project, "iati_import", None) if project.is_imported else None
    if imported is not None and imported.original:
        # Another publisher's activity goes out as it was published: nothing it said is lost.
        return etree.fromstring(imported.original)
    lang = (imported.language if imported is not None else "") or "fr"
    last_updated = imported.last_updated if imported is not None else None
    attrib = {
        XML_LANG: lang,
        "default-currency": project.currency,
        "last-updated-datetime": last_updated or project.updated_at.replace(microsecond=0).isoformat(),
    }
    if project.budget is not None and imported is None:
        attrib[f"{{{NS}}}budget"] = _number(project.budget)  # the total, beside the yearly budgets
    act = etree.Element("iati-activity", attrib, nsmap={"coopatlas": NS})
    identifier = activity_identifier(project, reporter)
    _sub(act, "iati-identifier", None, identifier)
    _org(
        act,
        "reporting-org",
        reporter,
        {"secondary-reporter": "1"} if mode == "ministry" and imported is None else None,
    )
    _narrative(_sub(act, "title"), project.title)
    _descriptions(act, project)
    for role, actor in _participating(project, reporter):
        _org(act, "participating-org", actor, {"role": role})
    if imported is None:
        _sub(act, "other-identifier", {"ref": project.slug, "type": "A1"})
        stored = _stored(project)
        previous = stored.reporting_ref if stored is not None else None
        if previous and previous != reporter.ref:
            # The identifier keeps its first publisher's prefix (never changed): say whose it was.
            _sub(act, "other-identifier", {"ref": previous, "type": "B1"})
    _sub(act, "activity-status", {"code": status})
    _dates(act, project, today)
    _geography(act, project)
    _classifications(act, project)
    if imported is None:
        _crs_defaults(act)
    _budget(act, project)
    _planned_disbursements(act, project)
    _transactions(
        act, project, principal(project) if reporter.ref == ministry_actor().ref else reporter, today
    )
    return act
