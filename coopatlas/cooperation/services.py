"""Writes for the cooperation domain: organisations, foreign authorities, partnerships,
conventions, projects and their financing plans, programmes, partner requests, contacts.

Every service is one `transaction.atomic` unit that validates (our rules, then
`full_clean`, which also checks the database constraints) before it saves, and raises
`AppError` naming the field and the fix. Create and update share one typed field set
per entity, so the demo loader (and later the editing forms) can update a record in place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError
from coopatlas.core.models import Source
from coopatlas.core.parse import BadNumber, parse_decimal
from coopatlas.geo.models import (
    AdministrativeArea,
    AuthorityAlias,
    AuthorityKind,
    Country,
    CountryProfile,
    LocalAuthority,
    Place,
)
from coopatlas.reference.models import PolicyMarker, SdgGoal, SdgTarget, Sector, Theme

from .models import (
    MONEY,
    Contact,
    Convention,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Partnership,
    PartnershipParty,
    Payment,
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
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        field, messages = next(iter(errors.items()))
        params = {"model": instance._meta.verbose_name, "field": field, "messages": " ".join(messages)}
        message = (
            _("%(model)s : %(messages)s") % params
            if field == NON_FIELD_ERRORS
            else _("%(model)s, champ %(field)s : %(messages)s") % params
        )
        raise AppError(
            message,
            field=None if field == NON_FIELD_ERRORS else field,
            errors={k: list(v) for k, v in errors.items()},
        ) from exc


def _money(value, *, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = parse_decimal(value, field=field, **MONEY)
    except BadNumber as exc:
        if exc.reason == "places":
            raise AppError(
                _("%(field)s : le montant %(value)s a plus de 2 décimales ; arrondissez-le au centime.")
                % {"field": field, "value": value},
                field=field,
            ) from exc
        if exc.reason == "too_large":
            raise exc
        raise AppError(
            _(
                "%(field)s : « %(value)s » n'est pas un montant ; écrivez-le en chiffres, "
                "avec un point pour les centimes, comme « 1145000.00 »."
            )
            % {"field": field, "value": str(value)[:30]},
            field=field,
        ) from exc
    if amount < 0:
        raise AppError(
            _(
                "%(field)s : un montant ne peut pas être négatif (%(value)s) ; saisissez "
                "un montant positif (un remboursement n'est pas une ligne de "
                "financement)."
            )
            % {"field": field, "value": value},
            field=field,
        )
    return amount


def _percentage(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))  # checked when the links are validated


def _check_period(*, start_year=None, end_year=None, start_date=None, end_date=None) -> None:
    if start_year and end_year and end_year < start_year:
        raise AppError(
            _(
                "end_year : l'année de fin %(end)s est avant l'année de début %(start)s ; "
                "corrigez l'une des deux années."
            )
            % {"end": end_year, "start": start_year},
            field="end_year",
        )
    if start_date and end_date and end_date < start_date:
        raise AppError(
            _(
                "end_date : la date de fin %(end)s est avant la date de début %(start)s ; "
                "corrigez l'une des deux dates."
            )
            % {"end": end_date, "start": start_date},
            field="end_date",
        )
    for field, year, date in (("start_year", start_year, start_date), ("end_year", end_year, end_date)):
        if year and date and date.year != year:
            raise AppError(
                _(
                    "%(field)s : l'année %(year)s ne correspond pas à la date %(date)s ; "
                    "donnez l'une ou l'autre, ou mettez-les d'accord."
                )
                % {"field": field, "year": year, "date": date},
                field=field,
            )


def _check_source(source: Source | None) -> None:
    if source is None or source.pk is None:
        raise AppError(
            _(
                "source : chaque fait doit citer une source enregistrée (document et "
                "lignes, ou adresse URL) ; créez-la avec "
                "coopatlas.core.services.source_cite."
            ),
            field="source",
        )


def _set_fields(instance: Model, fields: dict, allowed: set[str]) -> None:
    for name, value in fields.items():
        if name not in allowed:
            raise AppError(
                _("%(model)s n'a pas de champ « %(name)s » ; champs acceptés : %(allowed)s.")
                % {"model": type(instance).__name__, "name": name, "allowed": ", ".join(sorted(allowed))},
                field=name,
            )
        setattr(instance, name, value)


def _require_unique_slug(model: type[Model], slug: str) -> None:
    if model.objects.filter(slug=slug).exists():
        raise AppError(
            _(
                "slug : « %(slug)s » est déjà pris par un autre enregistrement "
                "(%(model)s) ; choisissez-en un autre, ou modifiez cet enregistrement."
            )
            % {"slug": slug, "model": model._meta.verbose_name},
            field="slug",
        )


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
def organisation_create(
    *, slug: str, name: str, kind: str, source: Source, **fields: Unpack[OrganisationFields]
) -> Organisation:
    _require_unique_slug(Organisation, slug)
    return _organisation_save(
        Organisation(slug=slug), source=source, fields={"name": name, "kind": kind, **fields}
    )


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, source: Source | None = None, **fields: Unpack[OrganisationFields]
) -> Organisation:
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
        raise AppError(
            _(
                "kind « %(kind)s » : un État étranger n'est jamais un partenaire valable "
                "d'une collectivité territoriale française (guide 001 : 1090–1101) ; "
                "déclarez plutôt la collectivité locale (région, cercle, commune, "
                "province…)."
            )
            % {"kind": authority.kind},
            field="kind",
        )
    country = authority.country if authority.country_id else None
    if country is None:
        raise AppError(
            _(
                "country : donnez le code ISO alpha-2 du pays de la collectivité "
                "(par exemple ML pour le Mali)."
            ),
            field="country",
        )
    if country.iso2 == "FR" and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError(
            _(
                "country FR : les collectivités françaises viennent du code officiel "
                "géographique (load_reference) ; désignez-les par commune:INSEE, "
                "departement:NN, region:NN ou siren:XXXXXXXXX au lieu de les déclarer "
                "(seuls les syndicats et les parcs naturels régionaux, absents de ce "
                "code, se déclarent)."
            ),
            field="country",
        )
    if not country.is_recognised:
        raise AppError(
            _(
                "country %(iso2)s : la France ne reconnaît pas cette entité ; aucune "
                "coopération ne peut être saisie avec elle (guide 001 : 1074–1083)."
            )
            % {"iso2": country.iso2},
            field="country",
        )
    if authority.area_id and authority.area.country_id != country.iso2:
        raise AppError(
            _(
                "area : la zone %(area)s n'est pas dans le pays %(iso2)s ; donnez une zone "
                "du pays de la collectivité."
            )
            % {"area": authority.area.code, "iso2": country.iso2},
            field="area",
        )


def _authority_save(authority: LocalAuthority, *, source: Source, fields: dict) -> LocalAuthority:
    _check_source(source)
    _set_fields(authority, fields, FOREIGN_AUTHORITY_FIELDS)
    authority.source = source
    _authority_check_foreign(authority)
    if authority.kind not in AuthorityKind.values:
        raise AppError(
            _("kind : « %(kind)s » n'est pas un type de collectivité ; utilisez l'un de ceux-ci : %(kinds)s.")
            % {"kind": authority.kind, "kinds": ", ".join(AuthorityKind.values)},
            field="kind",
        )
    _clean(authority)
    authority.save()
    return authority


@transaction.atomic
def authority_create_foreign(
    *,
    slug: str,
    name: str,
    kind: str,
    country: Country,
    source: Source,
    **fields: Unpack[ForeignAuthorityFields],
) -> LocalAuthority:
    """An authority no reference dataset carries: a foreign one (Cercle de Yélimané…), or a
    French syndicat or PNR, which the official geographic code does not list."""
    _require_unique_slug(LocalAuthority, slug)
    return _authority_save(
        LocalAuthority(slug=slug),
        source=source,
        fields={"name": name, "kind": kind, "country": country, **fields},
    )


@transaction.atomic
def authority_update_foreign(
    *, authority: LocalAuthority, source: Source | None = None, **fields: Unpack[ForeignAuthorityFields]
) -> LocalAuthority:
    if authority.is_french and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError(
            _(
                "authority : %(name)s est une collectivité française : elle est tenue à "
                "jour par le chargement des données de référence et ne se modifie pas "
                "ici."
            )
            % {"name": authority.name},
            field="authority",
        )
    return _authority_save(authority, source=source or authority.source, fields=fields)


@transaction.atomic
def authority_alias_set(*, authority: LocalAuthority, names: list[str]) -> None:
    """Other spellings of a foreign authority (Timbuktu, Alaotro Mangoro) so search finds it."""
    if authority.is_french and authority.kind not in UNLISTED_FRENCH_KINDS:
        raise AppError(
            _(
                "aliases : %(name)s est une collectivité française : ses autres noms "
                "viennent des données de référence et ne se modifient pas ici."
            )
            % {"name": authority.name},
            field="aliases",
        )
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
        raise AppError(
            _(
                "parties : un partenariat réunit au moins deux collectivités "
                "différentes ; ajoutez la collectivité partenaire."
            ),
            field="parties",
        )
    if not any(a.country_id == "FR" for a in distinct.values()):
        raise AppError(
            _(
                "parties : une coopération décentralisée réunit au moins une "
                "collectivité territoriale française ; ajoutez-la (commune:INSEE, "
                "departement:NN, region:NN, siren:…)."
            ),
            field="parties",
        )
    if not any(a.country_id != "FR" for a in distinct.values()):
        raise AppError(
            _(
                "parties : une coopération décentralisée réunit au moins une "
                "collectivité locale étrangère ; ajoutez le partenaire (un État étranger "
                "n'est pas un partenaire valable)."
            ),
            field="parties",
        )
    for authority in distinct.values():
        if (authority.kind or "").lower() in STATE_KINDS:
            raise AppError(
                _(
                    "parties : %(name)s est un État ; un État n'est jamais un partenaire "
                    "valable (guide 001 : 1090–1101) ; retirez-le et ajoutez la "
                    "collectivité locale."
                )
                % {"name": authority.name},
                field="parties",
            )
        if not authority.country.is_recognised:
            raise AppError(
                _(
                    "parties : %(name)s se trouve dans une entité que la France ne "
                    "reconnaît pas (guide 001 : 1074–1083) ; retirez-la du partenariat."
                )
                % {"name": authority.name},
                field="parties",
            )


def _partnership_save(
    partnership: Partnership,
    *,
    source: Source,
    fields: dict,
    parties: list[LocalAuthority] | None,
    themes: list[Theme] | None,
    organisations: list[Organisation] | None,
) -> Partnership:
    _check_source(source)
    _set_fields(partnership, fields, PARTNERSHIP_FIELDS)
    partnership.source = source
    _check_period(
        start_year=partnership.start_year,
        end_year=partnership.end_year,
        start_date=partnership.start_date,
        end_date=partnership.end_date,
    )
    if parties is not None:
        _partnership_check_parties(parties)
    _clean(partnership)
    partnership.save()
    if parties is not None:
        wanted = {a.pk for a in parties}
        PartnershipParty.objects.filter(partnership=partnership).exclude(authority_id__in=wanted).delete()
        have = set(partnership.party_links.values_list("authority_id", flat=True))
        added = wanted - have
        PartnershipParty.objects.bulk_create(
            PartnershipParty(partnership=partnership, authority_id=pk) for pk in added
        )
    if themes is not None:
        partnership.themes.set(themes)
    if organisations is not None:
        partnership.organisations.set(organisations)
        _partner_requests_answer(partnership, [a for a in parties if a.pk in added and not a.is_french])
    return partnership


def _partner_requests_answer(partnership: Partnership, joined: list[LocalAuthority]) -> None:
    """Issue 14: recording a partnership with a requesting foreign authority (a French
    party is always there: `_partnership_check_parties`) marks its open or in-talks
    requests matched, linked to the partnership. Only parties just added count, so saving
    an old partnership again (the demo loader) leaves requests alone. The version moves
    on, so an editor's form read before is refused rather than reopening the request."""
    if not joined:
        return
    PartnerRequest.objects.filter(
        authority__in=joined,
        deleted_at__isnull=True,
        status__in=(PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS),
    ).update(status=PartnerRequest.Status.MATCHED, partnership=partnership, version=F("version") + 1)


@transaction.atomic
def partnership_create(
    *,
    slug: str,
    title: str,
    kind: str,
    parties: list[LocalAuthority],
    source: Source,
    themes: list[Theme] = (),
    organisations: list[Organisation] = (),
    **fields: Unpack[PartnershipFields],
) -> Partnership:
    """The long-lived relation: ≥ 2 parties, at least one French and one foreign."""
    _require_unique_slug(Partnership, slug)
    return _partnership_save(
        Partnership(slug=slug),
        source=source,
        fields={"title": title, "kind": kind, **fields},
        parties=list(parties),
        themes=list(themes),
        organisations=list(organisations),
    )


@transaction.atomic
def partnership_update(
    *,
    partnership: Partnership,
    source: Source | None = None,
    parties: list[LocalAuthority] | None = None,
    themes: list[Theme] | None = None,
    organisations: list[Organisation] | None = None,
    **fields: Unpack[PartnershipFields],
) -> Partnership:
    """Change what is given; lists given replace the current ones."""
    return _partnership_save(
        partnership,
        source=source or partnership.source,
        fields=fields,
        parties=None if parties is None else list(parties),
        themes=themes,
        organisations=organisations,
    )


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


def _convention_save(
    convention: Convention, *, source: Source, fields: dict, parties: list[LocalAuthority] | None
) -> Convention:
    _check_source(source)
    if "estimated_commitment" in fields:
        fields["estimated_commitment"] = _money(fields["estimated_commitment"], field="estimated_commitment")
    _set_fields(convention, fields, CONVENTION_FIELDS)
    convention.source = source
    if convention.starts_on and convention.ends_on and convention.ends_on < convention.starts_on:
        raise AppError(
            _(
                "ends_on : la date de fin %(end)s est avant la date de début %(start)s ; "
                "corrigez l'une des deux dates."
            )
            % {"end": convention.ends_on, "start": convention.starts_on},
            field="ends_on",
        )
    if parties is not None:
        outsiders = [
            a.name for a in parties if not convention.partnership.party_links.filter(authority=a).exists()
        ]
        if outsiders:
            raise AppError(
                _(
                    "parties : %(names)s ne fait pas partie du partenariat "
                    "« %(partnership)s » ; ajoutez-la d'abord au partenariat."
                )
                % {"names": ", ".join(outsiders), "partnership": convention.partnership},
                field="parties",
            )
        if len({a.pk for a in parties}) < 2:
            raise AppError(
                _(
                    "parties : une convention est signée par au moins deux "
                    "collectivités ; ajoutez les signataires."
                ),
                field="parties",
            )
    _clean(convention)
    convention.save()
    if parties is not None:
        convention.parties.set(parties)
    return convention


@transaction.atomic
def convention_create(
    *,
    partnership: Partnership,
    title: str,
    source: Source,
    parties: list[LocalAuthority] | None = None,
    **fields: Unpack[ConventionFields],
) -> Convention:
    return _convention_save(
        Convention(partnership=partnership),
        source=source,
        fields={"title": title, **fields},
        parties=list(parties) if parties is not None else None,
    )


@transaction.atomic
def convention_update(
    *,
    convention: Convention,
    source: Source | None = None,
    parties: list[LocalAuthority] | None = None,
    **fields: Unpack[ConventionFields],
) -> Convention:
    return _convention_save(convention, source=source or convention.source, fields=fields, parties=parties)


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
    legacy_id: str | None  # an importer's identifier of the source record (stateatlas: prjId)


PROJECT_FIELDS = set(ProjectFields.__annotations__)


class ProjectLinks(TypedDict, total=False):
    partnerships: list[Partnership]
    participants: list[tuple[LocalAuthority, str]]
    operators: list[tuple[Organisation, str]]
    countries: list[Country]
    areas: list[AdministrativeArea]
    places: list[Place]
    # (theme, is_main) or (theme, is_main, priority): an explicit priority (the state's
    # atlas gives one) wins over the position in the list.
    themes: list[tuple[Theme, bool] | tuple[Theme, bool, int | None]]
    sectors: list[tuple[Sector, Decimal]]
    sdg_goals: list[SdgGoal]
    sdg_targets: list[SdgTarget]
    markers: list[tuple[PolicyMarker, int]]


def _project_check_links(project: Project, links: ProjectLinks) -> None:
    sectors = links.get("sectors")
    if sectors:
        codes = [s.code for s, _pct in sectors]
        if len(set(codes)) != len(codes):
            raise AppError(
                _(
                    "sectors : un secteur CAD figure deux fois ; regroupez-le sur une "
                    "seule ligne en additionnant ses pourcentages."
                ),
                field="sectors",
            )
        total = Decimal(0)
        for sector, pct in sectors:
            try:  # NaN, "1e1000" or "١٢" would pass Decimal() and break the checks below
                checked = parse_decimal(pct, field="sectors", max_digits=10, decimal_places=6)
                pct = Decimal(format(checked.normalize(), "f"))  # 60, not 60.000000
            except AppError as exc:
                raise AppError(
                    _(
                        "sectors : le pourcentage « %(pct)s » du secteur %(code)s n'est "
                        "pas un nombre ; écrivez par exemple 40 ou 12.5."
                    )
                    % {"pct": pct, "code": sector.code},
                    field="sectors",
                ) from exc
            if not 0 < pct <= HUNDRED:
                raise AppError(
                    _(
                        "sectors : le pourcentage %(pct)s du secteur %(code)s doit être "
                        "supérieur à 0 et au plus égal à 100."
                    )
                    % {"pct": pct, "code": sector.code},
                    field="sectors",
                )
            total += pct
        if total != HUNDRED:
            raise AppError(
                _(
                    "sectors : les pourcentages des secteurs totalisent %(total)s et non "
                    "100 ; corrigez-les pour que leur somme fasse 100."
                )
                % {"total": total},
                field="sectors",
            )
    themes = links.get("themes") or []
    if sum(1 for item in themes if item[1]) > 1:
        raise AppError(
            _("themes : un seul thème peut être le thème principal ; gardez-en un seul comme principal."),
            field="themes",
        )
    for marker, significance in links.get("markers") or []:
        if significance not in (0, 1, 2):
            raise AppError(
                _("markers : la cote du marqueur %(marker)s doit valoir 0, 1 ou 2, et non %(value)s.")
                % {"marker": marker.slug, "value": significance},
                field="markers",
            )
    goals = {g.number for g in links.get("sdg_goals") or []}
    for target in links.get("sdg_targets") or []:
        if target.goal_id not in goals:
            raise AppError(
                _(
                    "sdg_targets : la cible %(target)s relève de l'objectif %(goal)s, "
                    "absent de sdg_goals ; ajoutez cet objectif."
                )
                % {"target": target.code, "goal": target.goal_id},
                field="sdg_targets",
            )
    participants = links.get("participants")
    if participants is not None:
        pks = [a.pk for a, _role in participants]
        if len(set(pks)) != len(pks):
            raise AppError(
                _("participants : une collectivité figure deux fois ; gardez-en une seule ligne."),
                field="participants",
            )
        roles = {r for _authority, r in participants}
        if not roles <= set(ProjectParticipant.Role.values):
            raise AppError(
                _("participants : le rôle doit être l'un de ceux-ci : %(roles)s.")
                % {"roles": ", ".join(ProjectParticipant.Role.values)},
                field="participants",
            )
    for organisation, role in links.get("operators") or []:
        if role not in ProjectOperator.Role.values:
            raise AppError(
                _(
                    "operators : le rôle « %(role)s » de %(organisation)s doit être l'un "
                    "de ceux-ci : %(roles)s."
                )
                % {
                    "role": role,
                    "organisation": organisation,
                    "roles": ", ".join(ProjectOperator.Role.values),
                },
                field="operators",
            )


def _sync_rows(queryset, *, model: type[Model], base: dict, key: tuple[str, ...], rows: list[dict]) -> None:
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
    for name in ("partnerships", "countries", "areas", "places", "sdg_goals", "sdg_targets"):
        if name in links:
            getattr(project, name).set(links[name])
    base = {"project": project}
    if "participants" in links:
        _sync_rows(
            project.participants.all(),
            model=ProjectParticipant,
            base=base,
            key=("authority_id",),
            rows=[{"authority_id": a.pk, "role": r} for a, r in links["participants"]],
        )
    if "operators" in links:
        _sync_rows(
            project.operator_links.all(),
            model=ProjectOperator,
            base=base,
            key=("organisation_id", "role"),
            rows=[{"organisation_id": o.pk, "role": r} for o, r in links["operators"]],
        )
    if "themes" in links:
        _sync_rows(
            project.theme_links.all(),
            model=ProjectTheme,
            base=base,
            key=("theme_id",),
            rows=[
                {"theme_id": item[0].pk, "is_main": bool(item[1]), "priority": _priority(item, i)}
                for i, item in enumerate(links["themes"])
            ],
        )
    if "sectors" in links:
        _sync_rows(
            project.sector_links.all(),
            model=ProjectSector,
            base=base,
            key=("sector_id",),
            rows=[{"sector_id": s.pk, "percentage": _percentage(p)} for s, p in links["sectors"]],
        )
    if "markers" in links:
        _sync_rows(
            project.marker_links.all(),
            model=ProjectPolicyMarker,
            base=base,
            key=("marker_id",),
            rows=[{"marker_id": m.pk, "significance": v} for m, v in links["markers"]],
        )


def _priority(item: tuple, position: int) -> int:
    return item[2] if len(item) > 2 and item[2] else position + 1


def _project_save(project: Project, *, source: Source, fields: dict, links: ProjectLinks) -> Project:
    _check_source(source)
    if "budget" in fields:
        fields["budget"] = _money(fields["budget"], field="budget")
    _set_fields(project, fields, PROJECT_FIELDS)
    project.source = source
    _check_period(
        start_year=project.start_year,
        end_year=project.end_year,
        start_date=project.start_date,
        end_date=project.end_date,
    )
    _project_check_links(project, links)
    _clean(project)
    project.save()
    _project_set_links(project, links)
    if project.budget is not None:
        _funding_check_total(project, field="budget")
    return project


@transaction.atomic
def project_create(
    *,
    slug: str,
    title: str,
    source: Source,
    links: ProjectLinks | None = None,
    **fields: Unpack[ProjectFields],
) -> Project:
    _require_unique_slug(Project, slug)
    return _project_save(
        Project(slug=slug), source=source, fields={"title": title, **fields}, links=links or {}
    )


@transaction.atomic
def project_update(
    *,
    project: Project,
    source: Source | None = None,
    links: ProjectLinks | None = None,
    **fields: Unpack[ProjectFields],
) -> Project:
    """Change what is given; each list in `links` replaces the current one."""
    return _project_save(project, source=source or project.source, fields=fields, links=links or {})


# --------------------------------------------------------------------------- funding


def _funding_check_total(
    project: Project,
    *,
    adding: Decimal = Decimal(0),
    currency: str | None = None,
    excluding: int | None = None,
    field: str = "amount",
) -> None:
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
        raise AppError(
            _(
                "%(field)s : le plan de financement de « %(title)s » atteindrait "
                "%(total)s %(currency)s, plus que son budget de %(budget)s ; vérifiez les "
                "montants ou le budget."
            )
            % {
                "field": field,
                "title": project.title,
                "total": total,
                "currency": project.currency,
                "budget": project.budget,
            },
            field=field,
        )


@transaction.atomic
def funding_add(
    *,
    project: Project,
    amount: Decimal | str,
    source: Source,
    funder_authority: LocalAuthority | None = None,
    funder_organisation: Organisation | None = None,
    instrument: str = "own_funds",
    currency: str = "EUR",
    nature: str = "cash",
    year: int | None = None,
    is_annual: bool = False,
    note: str = "",
) -> FundingContribution:
    """One line of a project's financing plan: exactly one funder, a non-negative amount."""
    _check_source(source)
    if (funder_authority is None) == (funder_organisation is None):
        raise AppError(
            _("funder : indiquez exactement un financeur, une collectivité ou une organisation."),
            field="funder",
        )
    value = _money(amount, field="amount")
    if value is None:
        raise AppError(
            _("amount : une ligne de financement doit avoir un montant ; saisissez-le."), field="amount"
        )
    line = FundingContribution(
        project=project,
        funder_authority=funder_authority,
        funder_organisation=funder_organisation,
        instrument=instrument,
        amount=value,
        currency=currency,
        nature=nature,
        year=year,
        is_annual=is_annual,
        note=note,
        source=source,
    )
    _clean(line)
    if not is_annual:
        _funding_check_total(project, adding=value, currency=currency)
    line.save()
    return line


# A keyword left out of an update, where None is a value (a year cleared).
UNCHANGED = object()


@transaction.atomic
def funding_update(
    *,
    line: FundingContribution,
    amount: Decimal | str,
    source: Source,
    nature: str | None = None,
    note: str | None = None,
    funder_authority: LocalAuthority | None = None,
    funder_organisation: Organisation | None = None,
    instrument: str | None = None,
    year: int | None | object = UNCHANGED,
) -> FundingContribution:
    """Amount, nature, note; and, when given, the funder (one of the two), the instrument
    and the year (None clears it; UNCHANGED, the default, keeps it)."""
    value = _money(amount, field="amount")
    if value is None:
        raise AppError(
            _("amount : une ligne de financement doit avoir un montant ; saisissez-le."), field="amount"
        )
    if funder_authority is not None and funder_organisation is not None:
        raise AppError(
            _("funder : indiquez exactement un financeur, une collectivité ou une organisation."),
            field="funder",
        )
    line.amount, line.source = value, source
    if nature is not None:
        line.nature = nature
    if note is not None:
        line.note = note
    if funder_authority is not None:
        line.funder_authority, line.funder_organisation = funder_authority, None
    if funder_organisation is not None:
        line.funder_authority, line.funder_organisation = None, funder_organisation
    if instrument is not None:
        line.instrument = instrument
    if year is not UNCHANGED:
        line.year = year
    _clean(line)
    if not line.is_annual:
        _funding_check_total(line.project, adding=value, currency=line.currency, excluding=line.pk)
    line.save()
    return line


@transaction.atomic
def funding_remove(*, line: FundingContribution) -> None:
    line.delete()


# --------------------------------------------------------------------------- payments

# Kinds where money comes from the line's funder to the project (the funder provides it).
_FROM_FUNDER = frozenset(
    {Payment.Kind.INCOMING_FUNDS, Payment.Kind.DISBURSEMENT, Payment.Kind.INCOMING_COMMITMENT}
)


def _project_lead(project: Project) -> LocalAuthority | None:
    links = project.participants.select_related("authority").order_by("pk")
    link = links.filter(role="lead").first() or links.filter(authority__country_id="FR").first()
    return link.authority if link is not None else None


def payment_warning(line: FundingContribution) -> str | None:
    """Disbursed more than committed on this line (actual payments in its currency): said, not refused
    (a line may have been raised late, or a tranche paid in advance)."""
    paid = sum(
        (
            p.amount
            for p in line.payments.filter(
                kind=Payment.Kind.DISBURSEMENT,
                is_planned=False,
                currency=line.currency,
                deleted_at__isnull=True,
            )
        ),
        Decimal(0),
    )
    if paid <= line.amount:
        return None
    return _(
        "amount : les décaissements de cette ligne (%(paid)s %(currency)s) dépassent le montant "
        "engagé (%(committed)s %(currency)s) ; vérifiez le montant de la ligne ou des paiements."
    ) % {"paid": paid, "committed": line.amount, "currency": line.currency}


def _payment_party(authority, organisation, *, field: str) -> tuple:
    if authority is not None and organisation is not None:
        raise AppError(
            _("%(field)s : indiquez une collectivité ou une organisation, pas les deux.") % {"field": field},
            field=field,
        )
    return authority, organisation


@transaction.atomic
def payment_add(
    *,
    line: FundingContribution,
    kind: str,
    paid_on: dt.date | None,
    amount: Decimal | str,
    source: Source,
    currency: str | None = None,
    value_date: dt.date | None = None,
    provider_authority: LocalAuthority | None = None,
    provider_organisation: Organisation | None = None,
    receiver_authority: LocalAuthority | None = None,
    receiver_organisation: Organisation | None = None,
    provider_activity_id: str = "",
    is_planned: bool = False,
    origin: str = "",
    note: str = "",
    today: dt.date | None = None,
) -> Payment:
    """A disbursement, expenditure, incoming funds… on a financing line (IATI transaction).

    Provider and receiver default from the line: money from the funder goes to the project's
    lead authority; an expenditure is the lead authority's. An actual payment cannot be dated
    in the future (a planned one can). More disbursed than committed is `payment_warning`."""
    _check_source(source)
    if kind not in Payment.Kind.values:
        raise AppError(
            _("kind : « %(kind)s » n'est pas un type de paiement ; types possibles : %(kinds)s.")
            % {"kind": str(kind)[:20], "kinds": ", ".join(f"{k} ({v})" for k, v in Payment.Kind.choices)},
            field="kind",
        )
    value = _money(amount, field="amount")
    if value is None or value <= 0:
        raise AppError(
            _("amount : un paiement a un montant supérieur à zéro ; saisissez-le."), field="amount"
        )
    if paid_on is None:
        raise AppError(_("paid_on : donnez la date du paiement (jj/mm/aaaa)."), field="paid_on")
    if is_planned and kind != Payment.Kind.DISBURSEMENT:
        raise AppError(
            _(
                "is_planned : seul un décaissement peut être prévu (IATI : planned-disbursement) ; "
                "décochez « prévu » ou choisissez « Décaissement »."
            ),
            field="is_planned",
        )
    today = today or dt.date.today()
    if not is_planned and paid_on > today:
        raise AppError(
            _(
                "paid_on : le %(date)s est dans le futur ; un paiement effectué a une date passée, "
                "sinon cochez « prévu »."
            )
            % {"date": paid_on.strftime("%d/%m/%Y")},
            field="paid_on",
        )
    provider = _payment_party(provider_authority, provider_organisation, field="provider")
    receiver = _payment_party(receiver_authority, receiver_organisation, field="receiver")
    lead = _project_lead(line.project)
    if provider == (None, None):
        provider = (line.funder_authority, line.funder_organisation) if kind in _FROM_FUNDER else (lead, None)
    if receiver == (None, None) and kind in _FROM_FUNDER and lead is not None and provider[0] != lead:
        receiver = (lead, None)
    payment = Payment(
        line=line,
        kind=kind,
        is_planned=is_planned,
        paid_on=paid_on,
        amount=value,
        currency=(currency or line.currency).strip().upper(),
        value_date=value_date,
        provider_authority=provider[0],
        provider_organisation=provider[1],
        receiver_authority=receiver[0],
        receiver_organisation=receiver[1],
        provider_activity_id=(provider_activity_id or "").strip(),
        origin=origin,
        note=note,
        source=source,
        publication_status=line.publication_status,
    )
    _clean(payment)
    payment.save()
    return payment


@transaction.atomic
def payment_remove(*, payment: Payment) -> None:
    payment.delete()


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
    duration_months: int | None
    min_members: int | None
    cost_min: Decimal | str | None
    cost_max: Decimal | str | None
    member_brings: str
    member_gets: str


PROGRAMME_FIELDS = set(ProgrammeFields.__annotations__)


def _programme_save(
    programme: Programme,
    *,
    source: Source,
    fields: dict,
    countries: list[Country] | None,
    themes: list[Theme] | None,
    members: list[tuple[LocalAuthority, int | None]] | None,
) -> Programme:
    _check_source(source)
    for name in ("budget_per_member", "budget_total", "cost_min", "cost_max"):
        if name in fields:
            fields[name] = _money(fields[name], field=name)
    _set_fields(programme, fields, PROGRAMME_FIELDS)
    if (
        programme.cost_min is not None
        and programme.cost_max is not None
        and programme.cost_min > programme.cost_max
    ):
        raise AppError(
            _(
                "cost_max : le coût annuel maximal par membre (%(max)s) est inférieur au "
                "minimal (%(min)s) ; donnez une fourchette du plus bas au plus haut."
            )
            % {"min": programme.cost_min, "max": programme.cost_max},
            field="cost_max",
        )
    programme.source = source
    if programme.carrier_organisation_id and programme.carrier_authority_id:
        raise AppError(
            _(
                "carrier : un programme a un seul porteur, une organisation ou une "
                "collectivité ; indiquez-en exactement un."
            ),
            field="carrier",
        )
    _check_period(start_year=programme.start_year, end_year=programme.end_year)
    _clean(programme)
    programme.save()
    if countries is not None:
        programme.countries.set(countries)
    if themes is not None:
        programme.themes.set(themes)
    if members is not None:
        _sync_rows(
            programme.memberships.all(),
            model=ProgrammeMembership,
            base={"programme": programme},
            key=("authority_id",),
            rows=[{"authority_id": a.pk, "joined_year": y} for a, y in members],
        )
    return programme


@transaction.atomic
def programme_create(
    *,
    slug: str,
    title: str,
    source: Source,
    countries: list[Country] = (),
    themes: list[Theme] = (),
    members: list[tuple[LocalAuthority, int | None]] = (),
    **fields: Unpack[ProgrammeFields],
) -> Programme:
    """A turnkey or pooled programme that authorities can join."""
    _require_unique_slug(Programme, slug)
    return _programme_save(
        Programme(slug=slug),
        source=source,
        fields={"title": title, **fields},
        countries=list(countries),
        themes=list(themes),
        members=list(members),
    )


@transaction.atomic
def programme_update(
    *,
    programme: Programme,
    source: Source | None = None,
    countries: list[Country] | None = None,
    themes: list[Theme] | None = None,
    members: list[tuple[LocalAuthority, int | None]] | None = None,
    **fields: Unpack[ProgrammeFields],
) -> Programme:
    return _programme_save(
        programme,
        source=source or programme.source,
        fields=fields,
        countries=countries,
        themes=themes,
        members=members,
    )


# --------------------------------------------------------------------------- partner requests


class PartnerRequestFields(TypedDict, total=False):
    registered_by: Organisation | None
    description: str
    wishes: str
    status: str
    registered_year: int | None
    contact: Contact | None


PARTNER_REQUEST_FIELDS = set(PartnerRequestFields.__annotations__)


def _partner_request_save(
    request: PartnerRequest, *, source: Source, fields: dict, themes: list[Theme] | None
) -> PartnerRequest:
    _check_source(source)
    _set_fields(request, fields, PARTNER_REQUEST_FIELDS)
    request.source = source
    if request.authority.is_french:
        raise AppError(
            _(
                "authority : %(name)s est une collectivité française ; une demande de "
                "partenariat s'enregistre pour une collectivité étrangère qui cherche un "
                "partenaire français."
            )
            % {"name": request.authority.name},
            field="authority",
        )
    _clean(request)
    request.save()
    if themes is not None:
        request.themes.set(themes)
    return request


@transaction.atomic
def partner_request_create(
    *,
    authority: LocalAuthority,
    source: Source,
    themes: list[Theme] = (),
    **fields: Unpack[PartnerRequestFields],
) -> PartnerRequest:
    """A foreign authority looking for a French partner, registered by an embassy."""
    if authority is None:  # an explicit JSON null reaches here (found by the API fuzz test)
        raise AppError(
            _(
                "authority : donnez la collectivité étrangère qui cherche un "
                "partenaire (son slug ou son code)."
            ),
            field="authority",
        )
    return _partner_request_save(
        PartnerRequest(authority=authority), source=source, fields=dict(fields), themes=list(themes)
    )


@transaction.atomic
def partner_request_update(
    *,
    request: PartnerRequest,
    source: Source | None = None,
    themes: list[Theme] | None = None,
    **fields: Unpack[PartnerRequestFields],
) -> PartnerRequest:
    return _partner_request_save(request, source=source or request.source, fields=fields, themes=themes)


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


def _contact_save(contact: Contact, *, source: Source, fields: dict, themes: list[Theme] | None) -> Contact:
    _check_source(source)
    _set_fields(contact, fields, CONTACT_FIELDS)
    contact.source = source
    if not contact.organisation_id and not contact.authority_id:
        raise AppError(
            _(
                "organisation : indiquez pour qui travaille le contact (une "
                "organisation ou une collectivité)."
            ),
            field="organisation",
        )
    _clean(contact)
    contact.save()
    if themes is not None:
        contact.themes.set(themes)
    return contact


@transaction.atomic
def contact_create(
    *, role: str, source: Source, themes: list[Theme] = (), **fields: Unpack[ContactFields]
) -> Contact:
    return _contact_save(Contact(), source=source, fields={"role": role, **fields}, themes=list(themes))


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    source: Source | None = None,
    themes: list[Theme] | None = None,
    **fields: Unpack[ContactFields],
) -> Contact:
    return _contact_save(contact, source=source or contact.source, fields=fields, themes=themes)


# --------------------------------------------------------------------------- country profiles


@transaction.atomic
def country_profile_set(
    *,
    country: Country,
    source: Source,
    summary: str = "",
    history: str = "",
    context: str = "",
    embassy_service: str = "",
) -> CountryProfile:
    """The country fiche's narrative (one per country), replaced as a whole."""
    _check_source(source)
    profile = CountryProfile.objects.filter(country=country).first() or CountryProfile(country=country)
    profile.summary, profile.history, profile.context = summary, history, context
    profile.embassy_service, profile.source = embassy_service, source
    _clean(profile, exclude=["country"] if profile.pk else None)
    profile.save()
    return profile
