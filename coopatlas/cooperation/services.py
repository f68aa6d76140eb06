"""Writes for the cooperation domain: organisations, foreign authorities, partnerships,
conventions, projects and their financing plans, programmes, partner requests, contacts.

Every service is one `transaction.atomic` unit that validates (our rules, then
`full_clean`, which also checks the database constraints) before it saves, and raises
`AppError` naming the field and the fix. Create and update share one typed field set
per entity, so the demo loader (and later the editing forms) can update a record in place.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TypedDict, Unpack

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model

from coopatlas.core.errors import AppError
from coopatlas.core.models import Source
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityAlias,
    AuthorityKind,
    Country,
    CountryProfile,
    LocalAuthority,
)
from coopatlas.reference.models import PolicyMarker, SdgGoal, SdgTarget, Sector, Theme

from .models import (
    Contact,
    Convention,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    Programme,
    ProgrammeMembership,
    Project,
    ProjectOperator,
    ProjectParticipant,
    ProjectPolicyMarker,
    ProjectSector,
    ProjectTheme,
)

# Words users reach for when they mean a State: a State is never a valid partner of a
# French local authority (guide, seed 001: 1090–1101).
STATE_KINDS = frozenset({"state", "etat", "état", "country", "pays", "government", "gouvernement"})
HUNDRED = Decimal("100")
# French groupements the official geographic code does not carry (it lists communes, EPCI
# à fiscalité propre, départements, régions): they are declared like foreign authorities.
UNLISTED_FRENCH_KINDS = frozenset({"syndicat", "pnr"})


# --------------------------------------------------------------------------- helpers

def _clean(instance: Model, *, exclude: list[str] | None = None) -> None:
    """full_clean, turned into one AppError naming the first bad field."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        errors = (exc.message_dict if hasattr(exc, "error_dict")
                  else {NON_FIELD_ERRORS: exc.messages})
        field, messages = next(iter(errors.items()))
        label = "" if field == NON_FIELD_ERRORS else f"{field}: "
        raise AppError(f"{instance._meta.verbose_name} {label}{' '.join(messages)}",
                       field=None if field == NON_FIELD_ERRORS else field,
                       errors={k: list(v) for k, v in errors.items()}) from exc


def _money(value, *, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise AppError(f"{field}: « {value} » is not an amount; write it like \"1145000.00\".",
                       field=field) from exc
    if not amount.is_finite():
        raise AppError(f"{field}: « {value} » is not an amount.", field=field)
    if amount < 0:
        raise AppError(f"{field}: an amount cannot be negative ({value}); record a positive "
                       "amount (a reimbursement is not a financing line).", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise AppError(f"{field}: {value} has more than 2 decimals; round it to the cent.",
                       field=field)
    return amount.quantize(Decimal("0.01"))


def _percentage(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _check_period(*, start_year=None, end_year=None, start_date=None, end_date=None) -> None:
    if start_year and end_year and end_year < start_year:
        raise AppError(f"end_year {end_year} is before start_year {start_year}: fix either year.",
                       field="end_year")
    if start_date and end_date and end_date < start_date:
        raise AppError(f"end_date {end_date} is before start_date {start_date}: fix either date.",
                       field="end_date")
    for field, year, date in (("start_year", start_year, start_date),
                              ("end_year", end_year, end_date)):
        if year and date and date.year != year:
            raise AppError(f"{field} {year} does not match the date {date}: give one or make "
                           "them agree.", field=field)


def _check_source(source: Source | None) -> None:
    if source is None or source.pk is None:
        raise AppError("source: every fact needs a saved Source (document and lines, or a URL); "
                       "create it with coopatlas.core.services.source_cite.", field="source")


def _set_fields(instance: Model, fields: dict, allowed: set[str]) -> None:
    for name, value in fields.items():
        if name not in allowed:
            raise AppError(f"{type(instance).__name__} has no field « {name} »; allowed: "
                           f"{', '.join(sorted(allowed))}.", field=name)
        setattr(instance, name, value)


def _require_unique_slug(model: type[Model], slug: str) -> None:
    if model.objects.filter(slug=slug).exists():
        raise AppError(f"slug « {slug} » is already used by another "
                       f"{model._meta.verbose_name}: choose another, or update that record.",
                       field="slug")


# --------------------------------------------------------------------------- organisations

class OrganisationFields(TypedDict, total=False):
    name: str
    kind: str
    acronym: str
    country: Country | None
    description: str
    website: str
    siren: str | None
    iati_identifier: str | None


ORGANISATION_FIELDS = set(OrganisationFields.__annotations__)


def _organisation_save(organisation: Organisation, *, source: Source, fields: dict) -> Organisation:
    _check_source(source)
    _set_fields(organisation, fields, ORGANISATION_FIELDS)
    organisation.source = source
    _clean(organisation)
    organisation.save()
    return organisation


@transaction.atomic
def organisation_create(*, slug: str, name: str, kind: str, source: Source,
                        **fields: Unpack[OrganisationFields]) -> Organisation:
    _require_unique_slug(Organisation, slug)
    return _organisation_save(Organisation(slug=slug), source=source,
                              fields={"name": name, "kind": kind, **fields})


@transaction.atomic
def organisation_update(*, organisation: Organisation, source: Source | None = None,
                        **fields: Unpack[OrganisationFields]) -> Organisation:
    return _organisation_save(organisation, source=source or organisation.source, fields=fields)


# --------------------------------------------------------------------------- foreign authorities

class ForeignAuthorityFields(TypedDict, total=False):
    name: str
    kind: str
    country: Country
    area: AdministrativeArea | None
    parent: LocalAuthority | None
    foreign_code: str
    population: int | None
    latitude: float | None
    longitude: float | None
    coordinates_from: str


FOREIGN_AUTHORITY_FIELDS = set(ForeignAuthorityFields.__annotations__)


def _authority_check_foreign(authority: LocalAuthority) -> None:
    if (authority.kind or "").strip().lower() in STATE_KINDS:
        raise AppError(f"kind « {authority.kind} »: a foreign State is never a valid partner of a "
                       "French local authority (guide 001: 1090–1101); declare the local "
                       "authority (région, cercle, commune, province…) instead.", field="kind")
    country = authority.country if authority.country_id else None
    if country is None:
        raise AppError("country: give the ISO alpha-2 code of the authority's country.",
                       field="country")
    if country.iso2 == "FR" and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError("country FR: French authorities come from the official geographic code "
                       "(load_reference); refer to them as commune:INSEE, departement:NN, "
                       "region:NN or siren:XXXXXXXXX instead of declaring them (only syndicats "
                       "and parcs naturels régionaux, which it does not carry, are declared).",
                       field="country")
    if not country.is_recognised:
        raise AppError(f"country {country.iso2}: France does not recognise this entity; no "
                       "cooperation may be entered with it (guide 001: 1074–1083).",
                       field="country")
    if authority.area_id and authority.area.country_id != country.iso2:
        raise AppError(f"area {authority.area.code} is not in {country.iso2}: give an area of "
                       "the authority's own country.", field="area")


def _authority_save(authority: LocalAuthority, *, source: Source, fields: dict) -> LocalAuthority:
    _check_source(source)
    _set_fields(authority, fields, FOREIGN_AUTHORITY_FIELDS)
    authority.source = source
    _authority_check_foreign(authority)
    if authority.kind not in AuthorityKind.values:
        raise AppError(f"kind « {authority.kind} » is not an authority kind; use one of "
                       f"{', '.join(AuthorityKind.values)}.", field="kind")
    _clean(authority)
    authority.save()
    return authority


@transaction.atomic
def authority_create_foreign(*, slug: str, name: str, kind: str, country: Country,
                             source: Source, **fields: Unpack[ForeignAuthorityFields]
                             ) -> LocalAuthority:
    """An authority no reference dataset carries: a foreign one (Cercle de Yélimané…), or a
    French syndicat or PNR, which the official geographic code does not list."""
    _require_unique_slug(LocalAuthority, slug)
    return _authority_save(LocalAuthority(slug=slug), source=source,
                           fields={"name": name, "kind": kind, "country": country, **fields})


@transaction.atomic
def authority_update_foreign(*, authority: LocalAuthority, source: Source | None = None,
                             **fields: Unpack[ForeignAuthorityFields]) -> LocalAuthority:
    if authority.is_french and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError(f"{authority.name} is a French authority: it is maintained by the "
                       "reference data loader, not edited here.", field="authority")
    return _authority_save(authority, source=source or authority.source, fields=fields)


@transaction.atomic
def authority_alias_set(*, authority: LocalAuthority, names: list[str]) -> None:
    """Other spellings of a foreign authority (Timbuktu, Alaotro Mangoro) so search finds it."""
    if authority.is_french and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError(f"{authority.name} is French: its aliases come from the reference data.",
                       field="aliases")
    wanted = {n.strip() for n in names if n and n.strip()}
    aliases = authority.aliases.filter(kind=AuthorityAlias.Kind.ALT_NAME)
    aliases.exclude(value__in=wanted).delete()
    have = set(aliases.values_list("value", flat=True))
    for name in sorted(wanted - have):
        alias = AuthorityAlias(authority=authority, kind=AuthorityAlias.Kind.ALT_NAME, value=name)
        _clean(alias)
        alias.save()


# --------------------------------------------------------------------------- partnerships

class PartnershipFields(TypedDict, total=False):
    title: str
    kind: str
    status: str
    start_year: int | None
    start_date: object
    end_year: int | None
    end_date: object
    first_convention_year: int | None
    description: str
    history: str


PARTNERSHIP_FIELDS = set(PartnershipFields.__annotations__)


def _partnership_check_parties(parties: list[LocalAuthority]) -> None:
    distinct = {a.pk: a for a in parties}
    if len(distinct) < 2:
        raise AppError("parties: a partnership needs at least two different authorities; add "
                       "the partner authority.", field="parties")
    if not any(a.country_id == "FR" for a in distinct.values()):
        raise AppError("parties: decentralised cooperation needs at least one French local "
                       "authority; add it (commune:INSEE, departement:NN, region:NN, siren:…).",
                       field="parties")
    if not any(a.country_id != "FR" for a in distinct.values()):
        raise AppError("parties: decentralised cooperation needs at least one foreign local "
                       "authority; add the partner (a foreign State is not a valid partner).",
                       field="parties")
    for authority in distinct.values():
        if (authority.kind or "").lower() in STATE_KINDS:
            raise AppError(f"parties: {authority.name} is a State; a State is never a valid "
                           "partner (guide 001: 1090–1101).", field="parties")
        if not authority.country.is_recognised:
            raise AppError(f"parties: {authority.name} lies in an entity France does not "
                           "recognise (guide 001: 1074–1083).", field="parties")


def _partnership_save(partnership: Partnership, *, source: Source, fields: dict,
                      parties: list[LocalAuthority] | None, themes: list[Theme] | None,
                      organisations: list[Organisation] | None) -> Partnership:
    _check_source(source)
    _set_fields(partnership, fields, PARTNERSHIP_FIELDS)
    partnership.source = source
    _check_period(start_year=partnership.start_year, end_year=partnership.end_year,
                  start_date=partnership.start_date, end_date=partnership.end_date)
    if parties is not None:
        _partnership_check_parties(parties)
    _clean(partnership)
    partnership.save()
    if parties is not None:
        wanted = {a.pk for a in parties}
        PartnershipParty.objects.filter(partnership=partnership).exclude(
            authority_id__in=wanted).delete()
        have = set(partnership.party_links.values_list("authority_id", flat=True))
        PartnershipParty.objects.bulk_create(
            PartnershipParty(partnership=partnership, authority_id=pk) for pk in wanted - have)
    if themes is not None:
        partnership.themes.set(themes)
    if organisations is not None:
        partnership.organisations.set(organisations)
    return partnership


@transaction.atomic
def partnership_create(*, slug: str, title: str, kind: str, parties: list[LocalAuthority],
                       source: Source, themes: list[Theme] = (),
                       organisations: list[Organisation] = (),
                       **fields: Unpack[PartnershipFields]) -> Partnership:
    """The long-lived relation: ≥ 2 parties, at least one French and one foreign."""
    _require_unique_slug(Partnership, slug)
    return _partnership_save(Partnership(slug=slug), source=source,
                             fields={"title": title, "kind": kind, **fields},
                             parties=list(parties), themes=list(themes),
                             organisations=list(organisations))


@transaction.atomic
def partnership_update(*, partnership: Partnership, source: Source | None = None,
                       parties: list[LocalAuthority] | None = None,
                       themes: list[Theme] | None = None,
                       organisations: list[Organisation] | None = None,
                       **fields: Unpack[PartnershipFields]) -> Partnership:
    """Change what is given; lists given replace the current ones."""
    return _partnership_save(partnership, source=source or partnership.source, fields=fields,
                             parties=None if parties is None else list(parties),
                             themes=themes, organisations=organisations)


# --------------------------------------------------------------------------- conventions

class ConventionFields(TypedDict, total=False):
    title: str
    purpose: str
    signed_on: object
    signed_year: int | None
    starts_on: object
    ends_on: object
    duration_months: int | None
    estimated_commitment: Decimal | None
    currency: str
    language: str


CONVENTION_FIELDS = set(ConventionFields.__annotations__)


def _convention_save(convention: Convention, *, source: Source, fields: dict,
                     parties: list[LocalAuthority] | None) -> Convention:
    _check_source(source)
    if "estimated_commitment" in fields:
        fields["estimated_commitment"] = _money(fields["estimated_commitment"],
                                                field="estimated_commitment")
    _set_fields(convention, fields, CONVENTION_FIELDS)
    convention.source = source
    if convention.starts_on and convention.ends_on and convention.ends_on < convention.starts_on:
        raise AppError(f"ends_on {convention.ends_on} is before starts_on {convention.starts_on}.",
                       field="ends_on")
    if parties is not None:
        outsiders = [a.name for a in parties
                     if not convention.partnership.party_links.filter(authority=a).exists()]
        if outsiders:
            raise AppError(f"parties: {', '.join(outsiders)} is not a party of the partnership "
                           f"« {convention.partnership} »; add it to the partnership first.",
                           field="parties")
        if len({a.pk for a in parties}) < 2:
            raise AppError("parties: a convention is signed by at least two authorities.",
                           field="parties")
    _clean(convention)
    convention.save()
    if parties is not None:
        convention.parties.set(parties)
    return convention


@transaction.atomic
def convention_create(*, partnership: Partnership, title: str, source: Source,
                      parties: list[LocalAuthority] | None = None,
                      **fields: Unpack[ConventionFields]) -> Convention:
    return _convention_save(Convention(partnership=partnership), source=source,
                            fields={"title": title, **fields},
                            parties=list(parties) if parties is not None else None)


@transaction.atomic
def convention_update(*, convention: Convention, source: Source | None = None,
                      parties: list[LocalAuthority] | None = None,
                      **fields: Unpack[ConventionFields]) -> Convention:
    return _convention_save(convention, source=source or convention.source, fields=fields,
                            parties=parties)


# --------------------------------------------------------------------------- projects

class ProjectFields(TypedDict, total=False):
    title: str
    summary: str
    context: str
    objective: str
    description: str
    status: str
    start_year: int | None
    start_date: object
    end_year: int | None
    end_date: object
    budget: Decimal | str | None
    currency: str
    beneficiaries: str
    beneficiaries_count: int | None
    results: str


PROJECT_FIELDS = set(ProjectFields.__annotations__)


class ProjectLinks(TypedDict, total=False):
    partnerships: list[Partnership]
    participants: list[tuple[LocalAuthority, str]]
    operators: list[tuple[Organisation, str]]
    countries: list[Country]
    areas: list[AdministrativeArea]
    themes: list[tuple[Theme, bool]]
    sectors: list[tuple[Sector, Decimal]]
    sdg_goals: list[SdgGoal]
    sdg_targets: list[SdgTarget]
    markers: list[tuple[PolicyMarker, int]]


def _project_check_links(project: Project, links: ProjectLinks) -> None:
    sectors = links.get("sectors")
    if sectors:
        codes = [s.code for s, _ in sectors]
        if len(set(codes)) != len(codes):
            raise AppError("sectors: a DAC sector is listed twice; merge its percentages.",
                           field="sectors")
        total = Decimal(0)
        for sector, pct in sectors:
            try:
                pct = Decimal(str(pct))
            except InvalidOperation as exc:
                raise AppError(f"sectors: percentage « {pct} » of {sector.code} is not a number.",
                               field="sectors") from exc
            if not 0 < pct <= HUNDRED:
                raise AppError(f"sectors: percentage {pct} of {sector.code} must be above 0 and "
                               "at most 100.", field="sectors")
            total += pct
        if total != HUNDRED:
            raise AppError(f"sectors: percentages add up to {total}, not 100; fix them so they "
                           "sum to 100.", field="sectors")
    themes = links.get("themes") or []
    if sum(1 for _, main in themes if main) > 1:
        raise AppError("themes: only one theme can be the main theme.", field="themes")
    for marker, significance in links.get("markers") or []:
        if significance not in (0, 1, 2):
            raise AppError(f"markers: {marker.slug} significance must be 0, 1 or 2, not "
                           f"{significance}.", field="markers")
    goals = {g.number for g in links.get("sdg_goals") or []}
    for target in links.get("sdg_targets") or []:
        if target.goal_id not in goals:
            raise AppError(f"sdg_targets: target {target.code} belongs to goal {target.goal_id}, "
                           "which is not listed in sdg_goals; add the goal.", field="sdg_targets")
    participants = links.get("participants")
    if participants is not None:
        pks = [a.pk for a, _ in participants]
        if len(set(pks)) != len(pks):
            raise AppError("participants: an authority is listed twice.", field="participants")
        roles = {r for _, r in participants}
        if not roles <= set(ProjectParticipant.Role.values):
            raise AppError(f"participants: role must be one of "
                           f"{', '.join(ProjectParticipant.Role.values)}.", field="participants")
    for organisation, role in links.get("operators") or []:
        if role not in ProjectOperator.Role.values:
            raise AppError(f"operators: role « {role} » of {organisation} must be one of "
                           f"{', '.join(ProjectOperator.Role.values)}.", field="operators")


def _sync_rows(queryset, *, model: type[Model], base: dict, key: tuple[str, ...],
               rows: list[dict]) -> None:
    """Make a through table hold exactly `rows`, keeping unchanged rows (ids stay stable)."""
    existing = {tuple(getattr(o, f) for f in key): o for o in queryset}
    wanted = {tuple(r[f] for f in key): r for r in rows}
    for k, obj in existing.items():
        if k not in wanted:
            obj.delete()
    # Rows losing a flag (is_main) are saved before rows gaining it: one main theme at a time.
    for k, row in sorted(wanted.items(), key=lambda kv: bool(kv[1].get("is_main"))):
        obj = existing.get(k)
        if obj is None:
            model.objects.create(**base, **row)
            continue
        changed = [f for f, v in row.items() if getattr(obj, f) != v]
        if changed:
            for f in changed:
                setattr(obj, f, row[f])
            obj.save(update_fields=changed)


def _project_set_links(project: Project, links: ProjectLinks) -> None:
    for name in ("partnerships", "countries", "areas", "sdg_goals", "sdg_targets"):
        if name in links:
            getattr(project, name).set(links[name])
    base = {"project": project}
    if "participants" in links:
        _sync_rows(project.participants.all(), model=ProjectParticipant, base=base,
                   key=("authority_id",),
                   rows=[{"authority_id": a.pk, "role": r} for a, r in links["participants"]])
    if "operators" in links:
        _sync_rows(project.operator_links.all(), model=ProjectOperator, base=base,
                   key=("organisation_id", "role"),
                   rows=[{"organisation_id": o.pk, "role": r} for o, r in links["operators"]])
    if "themes" in links:
        _sync_rows(project.theme_links.all(), model=ProjectTheme, base=base, key=("theme_id",),
                   rows=[{"theme_id": t.pk, "is_main": bool(main), "priority": i + 1}
                         for i, (t, main) in enumerate(links["themes"])])
    if "sectors" in links:
        _sync_rows(project.sector_links.all(), model=ProjectSector, base=base, key=("sector_id",),
                   rows=[{"sector_id": s.pk, "percentage": _percentage(p)}
                         for s, p in links["sectors"]])
    if "markers" in links:
        _sync_rows(project.marker_links.all(), model=ProjectPolicyMarker, base=base,
                   key=("marker_id",),
                   rows=[{"marker_id": m.pk, "significance": v} for m, v in links["markers"]])


def _project_save(project: Project, *, source: Source, fields: dict,
                  links: ProjectLinks) -> Project:
    _check_source(source)
    if "budget" in fields:
        fields["budget"] = _money(fields["budget"], field="budget")
    _set_fields(project, fields, PROJECT_FIELDS)
    project.source = source
    _check_period(start_year=project.start_year, end_year=project.end_year,
                  start_date=project.start_date, end_date=project.end_date)
    _project_check_links(project, links)
    _clean(project)
    project.save()
    _project_set_links(project, links)
    if project.budget is not None:
        _funding_check_total(project, field="budget")
    return project


@transaction.atomic
def project_create(*, slug: str, title: str, source: Source,
                   links: ProjectLinks | None = None,
                   **fields: Unpack[ProjectFields]) -> Project:
    _require_unique_slug(Project, slug)
    return _project_save(Project(slug=slug), source=source, fields={"title": title, **fields},
                         links=links or {})


@transaction.atomic
def project_update(*, project: Project, source: Source | None = None,
                   links: ProjectLinks | None = None,
                   **fields: Unpack[ProjectFields]) -> Project:
    """Change what is given; each list in `links` replaces the current one."""
    return _project_save(project, source=source or project.source, fields=fields,
                         links=links or {})


# --------------------------------------------------------------------------- funding

def _funding_check_total(project: Project, *, adding: Decimal = Decimal(0),
                         currency: str | None = None, excluding: int | None = None,
                         field: str = "amount") -> None:
    """One-off cash and in-kind lines cannot add up to more than the stated budget."""
    if project.budget is None:
        return
    lines = project.funding.filter(currency=project.currency, is_annual=False)
    if excluding:
        lines = lines.exclude(pk=excluding)
    total = sum((f.amount for f in lines), Decimal(0))
    if currency in (None, project.currency):
        total += adding
    if total > project.budget:
        raise AppError(f"the financing plan of « {project.title} » would reach {total} "
                       f"{project.currency}, more than its budget {project.budget}; check the "
                       "amounts or the budget.", field=field)


@transaction.atomic
def funding_add(*, project: Project, amount: Decimal | str, source: Source,
                funder_authority: LocalAuthority | None = None,
                funder_organisation: Organisation | None = None,
                instrument: str = "own_funds", currency: str = "EUR", nature: str = "cash",
                year: int | None = None, is_annual: bool = False,
                note: str = "") -> FundingContribution:
    """One line of a project's financing plan: exactly one funder, a non-negative amount."""
    _check_source(source)
    if (funder_authority is None) == (funder_organisation is None):
        raise AppError("funder: give exactly one funder, an authority or an organisation.",
                       field="funder")
    value = _money(amount, field="amount")
    if value is None:
        raise AppError("amount: a financing line needs an amount.", field="amount")
    line = FundingContribution(project=project, funder_authority=funder_authority,
                               funder_organisation=funder_organisation, instrument=instrument,
                               amount=value, currency=currency, nature=nature, year=year,
                               is_annual=is_annual, note=note, source=source)
    _clean(line)
    if not is_annual:
        _funding_check_total(project, adding=value, currency=currency)
    line.save()
    return line


@transaction.atomic
def funding_update(*, line: FundingContribution, amount: Decimal | str, source: Source,
                   nature: str | None = None, note: str | None = None) -> FundingContribution:
    value = _money(amount, field="amount")
    if value is None:
        raise AppError("amount: a financing line needs an amount.", field="amount")
    line.amount, line.source = value, source
    if nature is not None:
        line.nature = nature
    if note is not None:
        line.note = note
    _clean(line)
    if not line.is_annual:
        _funding_check_total(line.project, adding=value, currency=line.currency,
                             excluding=line.pk)
    line.save()
    return line


@transaction.atomic
def funding_remove(*, line: FundingContribution) -> None:
    line.delete()


# --------------------------------------------------------------------------- programmes

class ProgrammeFields(TypedDict, total=False):
    title: str
    description: str
    carrier_organisation: Organisation | None
    carrier_authority: LocalAuthority | None
    budget_per_member: Decimal | str | None
    budget_total: Decimal | str | None
    currency: str
    start_year: int | None
    end_year: int | None
    is_open: bool


PROGRAMME_FIELDS = set(ProgrammeFields.__annotations__)


def _programme_save(programme: Programme, *, source: Source, fields: dict,
                    countries: list[Country] | None, themes: list[Theme] | None,
                    members: list[tuple[LocalAuthority, int | None]] | None) -> Programme:
    _check_source(source)
    for name in ("budget_per_member", "budget_total"):
        if name in fields:
            fields[name] = _money(fields[name], field=name)
    _set_fields(programme, fields, PROGRAMME_FIELDS)
    programme.source = source
    if programme.carrier_organisation_id and programme.carrier_authority_id:
        raise AppError("carrier: a programme has one carrier, an organisation or an authority.",
                       field="carrier")
    _check_period(start_year=programme.start_year, end_year=programme.end_year)
    _clean(programme)
    programme.save()
    if countries is not None:
        programme.countries.set(countries)
    if themes is not None:
        programme.themes.set(themes)
    if members is not None:
        _sync_rows(programme.memberships.all(), model=ProgrammeMembership,
                   base={"programme": programme}, key=("authority_id",),
                   rows=[{"authority_id": a.pk, "joined_year": y} for a, y in members])
    return programme


@transaction.atomic
def programme_create(*, slug: str, title: str, source: Source,
                     countries: list[Country] = (), themes: list[Theme] = (),
                     members: list[tuple[LocalAuthority, int | None]] = (),
                     **fields: Unpack[ProgrammeFields]) -> Programme:
    """A turnkey or pooled programme that authorities can join."""
    _require_unique_slug(Programme, slug)
    return _programme_save(Programme(slug=slug), source=source, fields={"title": title, **fields},
                           countries=list(countries), themes=list(themes), members=list(members))


@transaction.atomic
def programme_update(*, programme: Programme, source: Source | None = None,
                     countries: list[Country] | None = None, themes: list[Theme] | None = None,
                     members: list[tuple[LocalAuthority, int | None]] | None = None,
                     **fields: Unpack[ProgrammeFields]) -> Programme:
    return _programme_save(programme, source=source or programme.source, fields=fields,
                           countries=countries, themes=themes, members=members)


# --------------------------------------------------------------------------- partner requests

class PartnerRequestFields(TypedDict, total=False):
    registered_by: Organisation | None
    description: str
    wishes: str
    status: str
    registered_year: int | None


PARTNER_REQUEST_FIELDS = set(PartnerRequestFields.__annotations__)


def _partner_request_save(request: PartnerRequest, *, source: Source, fields: dict,
                          themes: list[Theme] | None) -> PartnerRequest:
    _check_source(source)
    _set_fields(request, fields, PARTNER_REQUEST_FIELDS)
    request.source = source
    if request.authority.is_french:
        raise AppError(f"authority: {request.authority.name} is French; a partner request is "
                       "registered for a foreign authority looking for a French partner.",
                       field="authority")
    _clean(request)
    request.save()
    if themes is not None:
        request.themes.set(themes)
    return request


@transaction.atomic
def partner_request_create(*, authority: LocalAuthority, source: Source,
                           themes: list[Theme] = (),
                           **fields: Unpack[PartnerRequestFields]) -> PartnerRequest:
    """A foreign authority looking for a French partner, registered by an embassy."""
    return _partner_request_save(PartnerRequest(authority=authority), source=source,
                                 fields=dict(fields), themes=list(themes))


@transaction.atomic
def partner_request_update(*, request: PartnerRequest, source: Source | None = None,
                           themes: list[Theme] | None = None,
                           **fields: Unpack[PartnerRequestFields]) -> PartnerRequest:
    return _partner_request_save(request, source=source or request.source, fields=fields,
                                 themes=themes)


# --------------------------------------------------------------------------- contacts

class ContactFields(TypedDict, total=False):
    name: str
    role: str
    organisation: Organisation | None
    authority: LocalAuthority | None
    email: str
    phone: str
    country: Country | None


CONTACT_FIELDS = set(ContactFields.__annotations__)


def _contact_save(contact: Contact, *, source: Source, fields: dict,
                  themes: list[Theme] | None) -> Contact:
    _check_source(source)
    _set_fields(contact, fields, CONTACT_FIELDS)
    contact.source = source
    if not contact.organisation_id and not contact.authority_id:
        raise AppError("organisation: say whom the contact works for (an organisation or an "
                       "authority).", field="organisation")
    _clean(contact)
    contact.save()
    if themes is not None:
        contact.themes.set(themes)
    return contact


@transaction.atomic
def contact_create(*, role: str, source: Source, themes: list[Theme] = (),
                   **fields: Unpack[ContactFields]) -> Contact:
    return _contact_save(Contact(), source=source, fields={"role": role, **fields},
                         themes=list(themes))


@transaction.atomic
def contact_update(*, contact: Contact, source: Source | None = None,
                   themes: list[Theme] | None = None,
                   **fields: Unpack[ContactFields]) -> Contact:
    return _contact_save(contact, source=source or contact.source, fields=fields, themes=themes)


# --------------------------------------------------------------------------- country profiles

@transaction.atomic
def country_profile_set(*, country: Country, source: Source, summary: str = "",
                        history: str = "", context: str = "",
                        embassy_service: str = "") -> CountryProfile:
    """The country fiche's narrative (one per country), replaced as a whole."""
    _check_source(source)
    profile = CountryProfile.objects.filter(country=country).first() or CountryProfile(
        country=country)
    profile.summary, profile.history, profile.context = summary, history, context
    profile.embassy_service, profile.source = embassy_service, source
    _clean(profile, exclude=["country"] if profile.pk else None)
    profile.save()
    return profile
