"""The write API under /api/v1/: POST, PATCH, DELETE on the atlas's records, with tokens.

`Authorization: Bearer TOKEN` (a token from `coopatlas tokens create`). Every handler calls
`coopatlas.cooperation.editing`, which checks permissions and versions and records the
history, so the API, the pages and the CLI agree. Answers: 401 without a valid token,
403 out of scope, 404 unknown record, 409 stale `version` (body field, `?version=` or
`If-Match`) with `changes` (per field: `was`, `now`, `by`), 422 with per-field messages,
428 for a PATCH or DELETE sent without a version. Records are answered as
`{"id", "type", "version", "publication_status", …, "fields"}` with an `ETag`
(`"partnership-12-v3"`) that If-Match takes back; the open API's details carry the same
`version` and `ETag`.

The operations are registered on the main `api` object rather than on a separate Router:
django-ninja gives each router its own URL patterns, so a router's POST /partnerships would
shadow the open API's GET /partnerships (405). Mounted by `register(api)` in api.py.
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations, some of
# which are built at registration time.

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from pydantic import ConfigDict

from coopatlas.accounts.bearer import AUTH
from coopatlas.accounts.permissions import require
from coopatlas.cooperation import editing, editing_selectors
from coopatlas.cooperation.models import (
    Contact,
    Convention,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Partnership,
    Project,
)
from coopatlas.core import history
from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.parse import is_ascii_digits, parse_id
from coopatlas.reference import lookups

from .schemas import ErrorOut

WRITE_ERRORS = {
    202: dict,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: dict,
    422: ErrorOut,
    428: ErrorOut,
}


# --------------------------------------------------------------------------- input shapes


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Sourced(In):
    source_url: str | None = Field(
        None,
        description="Where the fact is published (URL); without it the record cites the user's declaration.",
    )
    source_quote: str | None = Field(None, max_length=2000)


class Versioned(In):
    version: int | None = Field(None, description="The version you read (or send If-Match)")


class PartnershipData(Sourced):
    title: str | None = Field(None, max_length=500)
    kind: str | None = None
    status: str | None = None
    start_year: int | None = None
    start_date: date | None = None
    end_year: int | None = None
    end_date: date | None = None
    first_convention_year: int | None = None
    description: str | None = None
    history: str | None = None
    parties: list[str] | None = Field(
        None, description="Authorities: INSEE code, SIREN, `commune:93048`, `iso:ML-5` or slug"
    )
    themes: list[str] | None = Field(None, description="Theme slugs")
    organisations: list[str] | None = Field(None, description="Organisation slugs")


class PartnershipCreate(PartnershipData):
    slug: str = Field(..., max_length=200)
    title: str = Field(..., max_length=500)
    kind: str
    parties: list[str]


class PartnershipPatch(PartnershipData, Versioned):
    pass


class ParticipantIn(In):
    authority: str
    role: Literal["lead", "partner"] = "partner"


class OperatorIn(In):
    organisation: str
    role: str = "implementing"


class ThemeIn(In):
    theme: str
    main: bool = False


class SectorIn(In):
    sector: str
    percentage: Decimal


class MarkerIn(In):
    marker: str
    significance: int


class ProjectData(Sourced):
    title: str | None = None
    summary: str | None = None
    context: str | None = None
    objective: str | None = None
    description: str | None = None
    status: str | None = None
    start_year: int | None = None
    start_date: date | None = None
    end_year: int | None = None
    end_date: date | None = None
    budget: Decimal | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    beneficiaries: str | None = None
    beneficiaries_count: int | None = Field(None, ge=0)
    results: str | None = None
    partnerships: list[str] | None = None
    participants: list[ParticipantIn] | None = None
    operators: list[OperatorIn] | None = None
    countries: list[str] | None = None
    areas: list[str] | None = None
    themes: list[ThemeIn] | None = None
    sectors: list[SectorIn] | None = None
    sdg_goals: list[int] | None = None
    sdg_targets: list[str] | None = None
    markers: list[MarkerIn] | None = None


class ProjectCreate(ProjectData):
    slug: str = Field(..., max_length=200)
    title: str


class ProjectPatch(ProjectData, Versioned):
    pass


class FundingCreate(Sourced):
    amount: Decimal
    funder_authority: str | None = None
    funder_organisation: str | None = None
    instrument: str = "own_funds"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    nature: Literal["cash", "in_kind"] = "cash"
    year: int | None = None
    is_annual: bool = False
    note: str = Field("", max_length=500)


class FundingPatch(Versioned):
    amount: Decimal
    nature: Literal["cash", "in_kind"] | None = None
    note: str | None = Field(None, max_length=500)
    source_url: str | None = None
    source_quote: str | None = None


class PaymentCreate(Sourced):
    kind: Literal["1", "3", "4", "11"] = Field(
        "3",
        description="IATI TransactionType: 1 incoming funds, 3 disbursement, 4 expenditure, "
        "11 incoming commitment",
    )
    paid_on: date
    amount: str = Field(..., max_length=30, description="Amount, as « 48000.00 » or « 48 000,00 »")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="Default: the line's")
    value_date: date | None = None
    provider_authority: str | None = None
    provider_organisation: str | None = None
    receiver_authority: str | None = None
    receiver_organisation: str | None = None
    provider_activity_id: str = Field("", max_length=200)
    is_planned: bool = False
    note: str = Field("", max_length=500)


class OrganisationData(Sourced):
    name: str | None = Field(None, max_length=300)
    kind: str | None = None
    acronym: str | None = Field(None, max_length=40)
    country: str | None = None
    description: str | None = None
    website: str | None = None
    siren: str | None = None
    iati_identifier: str | None = None


class OrganisationCreate(OrganisationData):
    slug: str = Field(..., max_length=200)
    name: str = Field(..., max_length=300)
    kind: str


class OrganisationPatch(OrganisationData, Versioned):
    pass


class ConventionData(Sourced):
    title: str | None = Field(None, max_length=500)
    purpose: str | None = None
    signed_on: date | None = None
    signed_year: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    duration_months: int | None = Field(None, ge=0)
    estimated_commitment: Decimal | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    language: str | None = None
    parties: list[str] | None = None


class ConventionCreate(ConventionData):
    partnership: str = Field(..., description="Slug of the partnership")
    title: str = Field(..., max_length=500)


class ConventionPatch(ConventionData, Versioned):
    pass


class PartnerRequestData(Sourced):
    registered_by: str | None = None
    description: str | None = None
    wishes: str | None = None
    status: str | None = None
    registered_year: int | None = None
    themes: list[str] | None = None


class PartnerRequestCreate(PartnerRequestData):
    authority: str = Field(..., description="The foreign authority: `iso:ML-5`, slug…")


class PartnerRequestPatch(PartnerRequestData, Versioned):
    pass


class ContactData(Sourced):
    name: str | None = Field(None, max_length=200)
    role: str | None = Field(None, max_length=300)
    organisation: str | None = None
    authority: str | None = None
    email: str | None = None
    phone: str | None = Field(None, max_length=40)
    country: str | None = None
    themes: list[str] | None = None


class ContactCreate(ContactData):
    role: str = Field(..., max_length=300)


class ContactPatch(ContactData, Versioned):
    pass


class StatusIn(Versioned):
    action: Literal["submit", "publish", "return", "archive"]
    comment: str = Field("", max_length=5000)


class RevisionIn(In):
    action: Literal["apply", "return"]
    comment: str = Field("", max_length=5000)


class RestoreIn(Versioned):
    to_version: int = Field(..., ge=1)


class EraseIn(Versioned):
    pass


# --------------------------------------------------------------------------- references


def _one(model: type[Model], field: str, value, name: str, hint: str):
    found = model.objects.filter(**{field: value}).first() if value not in (None, "") else None
    return _found(found, value, name, hint)


def _found(found, value, name: str, hint: str):
    if found is None:
        raise AppError(
            _("%(name)s : « %(value)s » introuvable ; %(hint)s")
            % {"name": name, "value": str(value)[:60], "hint": hint},
            field=name,
        )
    return found


def _authority(code: str, name: str):
    from coopatlas.geo.selectors import authority_get

    try:
        return authority_get(key=code or "", field=name)
    except AppError as exc:
        raise AppError(f"{name} : {exc.message}", field=name) from exc


def _country(iso2: str, name: str = "country"):
    return _found(
        lookups.country_by_code(iso2), iso2, name, _("donnez le code ISO à deux lettres du pays (ML, SN…).")
    )


def _theme(slug: str, name: str = "themes"):
    from coopatlas.reference.models import Theme

    return _one(Theme, "slug", slug, name, _("donnez le slug d'un thème de l'atlas."))


def _organisation(slug: str, name: str):
    return _one(
        Organisation,
        "slug",
        slug,
        name,
        _("donnez le slug d'un acteur existant, ou créez-le (POST /api/v1/organisations)."),
    )


def _source(data: dict):
    url, quote = data.pop("source_url", None), data.pop("source_quote", None)
    if url:
        from django.core.validators import URLValidator

        try:
            URLValidator(schemes=["http", "https"])(url)
        except Exception as exc:  # noqa: BLE001 - Django's ValidationError, reworded
            raise AppError(
                _("source_url : donnez une adresse http(s) complète."), field="source_url"
            ) from exc
        # Cited by the service, inside its transaction and after the permission check.
        data["source"] = editing.SourceRef(url=url, quote=quote or "")
    elif quote:
        raise AppError(_("source_quote : une citation accompagne une source_url."), field="source_quote")
    return data


LIST_FIELDS = (
    "parties",
    "themes",
    "organisations",
    "partnerships",
    "participants",
    "operators",
    "countries",
    "areas",
    "sectors",
    "sdg_goals",
    "sdg_targets",
    "markers",
)


def _resolve_common(data: dict) -> dict:
    out = _source(data)
    for name in LIST_FIELDS:  # an explicit JSON null is "not given", as an absent key
        if name in out and out[name] is None:
            out.pop(name)
    if out.get("parties") is not None:
        out["parties"] = [_authority(c, "parties") for c in out["parties"]]
    if out.get("themes") is not None and all(isinstance(t, str) for t in out["themes"]):
        out["themes"] = [_theme(t) for t in out["themes"]]
    if out.get("organisations") is not None:
        out["organisations"] = [_organisation(s, "organisations") for s in out["organisations"]]
    if "country" in out:
        out["country"] = _country(out["country"]) if out["country"] else None
    for name in ("organisation", "registered_by", "funder_organisation"):
        if name in out:
            out[name] = _organisation(out[name], name) if out[name] else None
    for name in ("authority", "funder_authority"):
        if name in out:
            out[name] = _authority(out[name], name) if out[name] else None
    links = {}
    if out.get("partnerships") is not None:
        links["partnerships"] = [
            _one(Partnership, "slug", s, "partnerships", _("donnez le slug d'un partenariat."))
            for s in out.pop("partnerships")
        ]
    if out.get("participants") is not None:
        links["participants"] = [
            (_authority(p["authority"], "participants"), p.get("role", "partner"))
            for p in out.pop("participants")
        ]
    if out.get("operators") is not None:
        links["operators"] = [
            (_organisation(o["organisation"], "operators"), o.get("role", "implementing"))
            for o in out.pop("operators")
        ]
    if out.get("countries") is not None:
        links["countries"] = [_country(c, "countries") for c in out.pop("countries")]
    if out.get("areas") is not None:
        links["areas"] = [
            _found(lookups.area_by_code(c), c, "areas", _("donnez un code ISO 3166-2 (ML-5)."))
            for c in out.pop("areas")
        ]
    if out.get("sectors") is not None:
        links["sectors"] = [
            (
                _found(
                    lookups.sector_by_code(s["sector"]),
                    s["sector"],
                    "sectors",
                    _("donnez un code de secteur CAD (14030)."),
                ),
                s["percentage"],
            )
            for s in out.pop("sectors")
        ]
    if out.get("sdg_goals") is not None:
        links["sdg_goals"] = [
            _found(lookups.sdg_goal_by_number(n), n, "sdg_goals", _("un ODD va de 1 à 17."))
            for n in out.pop("sdg_goals")
        ]
    if out.get("sdg_targets") is not None:
        links["sdg_targets"] = [
            _found(lookups.sdg_target_by_code(c), c, "sdg_targets", _("donnez une cible (6.1)."))
            for c in out.pop("sdg_targets")
        ]
    if out.get("markers") is not None:
        links["markers"] = [
            (
                _found(
                    lookups.marker_by_code(m["marker"]),
                    m["marker"],
                    "markers",
                    _("donnez le slug d'un marqueur (gender…)."),
                ),
                m["significance"],
            )
            for m in out.pop("markers")
        ]
    return out, links


def _project_kwargs(data: dict) -> dict:
    themes = data.pop("themes", None)
    out, links = _resolve_common(data)
    if themes is not None:
        links["themes"] = [(_theme(t["theme"]), t.get("main", False)) for t in themes]
    for name in (
        "partnerships",
        "participants",
        "operators",
        "countries",
        "areas",
        "sectors",
        "sdg_goals",
        "sdg_targets",
        "markers",
    ):
        out.pop(name, None)
    if links:
        out["links"] = links
    return out


def _kwargs(data: dict) -> dict:
    out, _ = _resolve_common(data)
    return out


# --------------------------------------------------------------------------- resources


@dataclass
class Resource:
    name: str  # URL segment
    model: type[Model]
    key: str  # path parameter: slug or pk
    create_schema: type[Schema]
    patch_schema: type[Schema]
    create: Callable  # (actor, kwargs) -> record
    update: Callable  # (actor, record, version, kwargs) -> record
    convert: Callable = _kwargs


def _convention_create(actor, kw):
    partnership = _one(
        Partnership, "slug", kw.pop("partnership"), "partnership", _("donnez le slug du partenariat.")
    )
    return editing.convention_create(actor=actor, partnership=partnership, **kw)


RESOURCES = [
    Resource(
        "partnerships",
        Partnership,
        "slug",
        PartnershipCreate,
        PartnershipPatch,
        lambda a, kw: editing.partnership_create(actor=a, **kw),
        lambda a, r, v, kw: editing.partnership_update(actor=a, partnership=r, version=v, **kw),
    ),
    Resource(
        "projects",
        Project,
        "slug",
        ProjectCreate,
        ProjectPatch,
        lambda a, kw: editing.project_create(actor=a, **kw),
        lambda a, r, v, kw: editing.project_update(actor=a, project=r, version=v, **kw),
        _project_kwargs,
    ),
    Resource(
        "organisations",
        Organisation,
        "slug",
        OrganisationCreate,
        OrganisationPatch,
        lambda a, kw: editing.organisation_create(actor=a, **kw),
        lambda a, r, v, kw: editing.organisation_update(actor=a, organisation=r, version=v, **kw),
    ),
    Resource(
        "conventions",
        Convention,
        "pk",
        ConventionCreate,
        ConventionPatch,
        _convention_create,
        lambda a, r, v, kw: editing.convention_update(actor=a, convention=r, version=v, **kw),
    ),
    Resource(
        "partner-requests",
        PartnerRequest,
        "pk",
        PartnerRequestCreate,
        PartnerRequestPatch,
        lambda a, kw: editing.partner_request_create(actor=a, **kw),
        lambda a, r, v, kw: editing.partner_request_update(actor=a, request=r, version=v, **kw),
    ),
    Resource(
        "contacts",
        Contact,
        "pk",
        ContactCreate,
        ContactPatch,
        lambda a, kw: editing.contact_create(actor=a, **kw),
        lambda a, r, v, kw: editing.contact_update(actor=a, contact=r, version=v, **kw),
    ),
]


def _get(res: Resource, key: str, *, deleted: bool = False) -> Model:
    qs = res.model.objects.all()
    if not deleted and hasattr(res.model, "deleted_at"):
        qs = qs.filter(deleted_at__isnull=True)
    if res.key == "pk":
        if not is_ascii_digits(str(key), max_length=18):
            raise NotFound(
                _("%(res_name)s : l'identifiant est un nombre entier, pas « %(key)s ».")
                % {"res_name": res.name, "key": str(key)[:30]},
                field=res.key,
            )
        record = qs.filter(pk=int(key)).first()
    else:
        record = qs.filter(slug=key).first()
    if record is None:
        raise NotFound(
            _("%(res_name)s : aucun enregistrement « %(key)s » (ou il est supprimé).")
            % {"res_name": res.name, "key": str(key)[:60]},
            field=res.key,
        )
    return record


def _version(request: HttpRequest, sent: int | None):
    if sent is not None:
        return sent
    return request.GET.get("version") or request.headers.get("If-Match") or None


def revision_out(revision) -> dict | None:
    if revision is None:
        return None
    return {
        "id": revision.pk,
        "status": revision.status,
        "base_version": revision.base_version,
        "by": revision.created_by_email,
        "at": revision.created_at,
        "before": revision.before,
        "after": revision.after,
        "comment": revision.comment,
    }


def record_out(record: Model) -> dict:
    """`fields` are the record as published (or as it is, for a draft); an edit waiting
    for validation is `pending_revision` (None when there is none)."""
    pending = getattr(record, "pending_revision", None)
    if pending is None and hasattr(record, "publication_status"):
        pending = editing.pending_revision(record)
    return {
        "id": record.pk,
        "type": record._meta.model_name,
        "slug": getattr(record, "slug", None),
        "version": record.version,
        "publication_status": record.publication_status,
        "returned_comment": record.returned_comment,
        "confirmed_at": record.confirmed_at,
        "deleted_at": record.deleted_at,
        "fields": history.snapshot(record),
        "pending_revision": revision_out(pending),
    }


def _answer(record: Model, status: int = 200) -> HttpResponse:
    if status == 200 and getattr(record, "pending_revision", None) is not None:
        status = 202  # accepted, waiting for validation: the record itself did not change
    body = json.dumps(record_out(record), cls=DjangoJSONEncoder, ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type="application/json")
    response["ETag"] = history.etag(record)
    return response


def versioned(data: dict, model: type[Model], **lookup) -> HttpResponse:
    """A read API detail with its record's `version` and the `ETag` to send back in
    If-Match (the open API's details are built by the public selectors, which know
    nothing of editing)."""
    record = model.objects.only("pk", "version").get(**lookup)
    data = {**data, "id": record.pk, "version": record.version}
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = history.etag(record)
    return response


def with_versions(data: dict, model: type[Model], key: str) -> dict:
    """A read API list with each row's `id` and `version` (one query for the page)."""
    rows = data.get("results") or []
    keys = [row[key] for row in rows if key in row]
    found = dict(
        (k, (pk, v))
        for k, pk, v in model.objects.filter(**{f"{key}__in": keys}).values_list(key, "pk", "version")
    )
    for row in rows:
        if row.get(key) in found:
            row["id"], row["version"] = found[row[key]]
    return data


def _with_key(func: Callable, key: str) -> Callable:
    """Rename the handler's `key` parameter to the path's own name (slug or pk), so the
    write operations share the open API's paths (`/partnerships/{slug}`)."""
    signature = inspect.signature(func)
    params = [p.replace(name=key) if p.name == "key" else p for p in signature.parameters.values()]

    def handler(request, **kwargs):
        kwargs["key"] = kwargs.pop(key)
        return func(request, **kwargs)

    handler.__signature__ = signature.replace(parameters=params)
    handler.__name__ = func.__name__
    handler.__doc__ = func.__doc__
    return handler


def _register_resource(api: NinjaAPI, res: Resource) -> None:
    single = res.model._meta.model_name
    tags = [f"{res.name} (write)"]
    item = f"/{res.name}/{{{res.key}}}"
    opts = {"auth": AUTH, "tags": tags}

    def create(request, payload: res.create_schema):
        record = res.create(request.auth, res.convert(payload.dict(exclude_unset=True)))
        return _answer(record, 201)

    create.__doc__ = f"Create a {single} (a draft, in the token owner's scope)."
    api.post(
        f"/{res.name}",
        url_name=f"{single}_create",
        operation_id=f"{single}_create",
        response={201: dict, **WRITE_ERRORS},
        **opts,
    )(create)

    def update(request, key: str, payload: res.patch_schema):
        data = payload.dict(exclude_unset=True)
        version = _version(request, data.pop("version", None))
        record = _get(res, key)
        return _answer(res.update(request.auth, record, version, res.convert(data)))

    update.__doc__ = (
        f"Change the given fields of a {single}; send the `version` you read "
        "(or its ETag in If-Match): without either, 428. Lists given replace "
        "the current ones."
    )
    api.patch(
        item,
        url_name=f"{single}_update",
        operation_id=f"{single}_update",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(update, res.key))

    def delete(request, key: str, version: int | None = None):
        record = _get(res, key)
        return _answer(
            editing.record_delete(actor=request.auth, record=record, version=_version(request, version))
        )

    delete.__doc__ = f"Delete a {single} (reversible: POST …/undelete)."
    api.delete(
        item,
        url_name=f"{single}_delete",
        operation_id=f"{single}_delete",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(delete, res.key))
    if res.name in ("contacts", "conventions"):
        _register_read(api, res, item, opts)
    _register_record_actions(api, res, item, opts)


def _register_read(api: NinjaAPI, res: Resource, item: str, opts: dict) -> None:
    """Records the open API does not serve one by one (contacts, conventions, financing
    lines): the editing view of one, with its version and ETag, for whoever may edit or
    validate it."""
    single = res.model._meta.model_name

    def read(request, key: str):
        record = _get(res, key)
        require("history", user=request.auth, record=record)
        return _answer(record)

    read.__doc__ = f"A {single} as the write API answers it, with `version` and `ETag`."
    api.get(
        item,
        url_name=f"{single}_read",
        operation_id=f"{single}_read",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(read, res.key))


def _register_record_actions(api: NinjaAPI, res: Resource, item: str, opts: dict) -> None:
    single = res.model._meta.model_name

    def changes(request, key: str):
        """Who changed what and when: fields before and after, newest last."""
        return editing_selectors.record_history(actor=request.auth, record=_get(res, key, deleted=True))

    api.get(
        f"{item}/history",
        url_name=f"{single}_history",
        operation_id=f"{single}_history",
        response={200: list[dict], **WRITE_ERRORS},
        **opts,
    )(_with_key(changes, res.key))

    def status(request, key: str, payload: StatusIn):
        """Publication workflow: submit, publish, return (with a comment), archive."""
        record = _get(res, key)
        return _answer(
            editing.record_transition(
                actor=request.auth,
                record=record,
                action=payload.action,
                version=_version(request, payload.version),
                comment=payload.comment,
            )
        )

    api.post(
        f"{item}/status",
        url_name=f"{single}_status",
        operation_id=f"{single}_status",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(status, res.key))

    def revision(request, key: str, payload: RevisionIn):
        """Reviewers: publish (`apply`) or `return` (with a comment) the edit waiting for
        validation on this published record."""
        record = _get(res, key)
        pending = editing.pending_revision(record)
        if pending is None:
            raise NotFound(
                _("%(res_name)s : aucune révision en attente sur « %(key)s ».")
                % {"res_name": res.name, "key": key[:60]},
                field="revision",
            )
        if payload.action == "apply":
            return _answer(editing.revision_apply(actor=request.auth, revision=pending))
        editing.revision_return(actor=request.auth, revision=pending, comment=payload.comment)
        return _answer(type(record).objects.get(pk=record.pk))

    api.post(
        f"{item}/revision",
        url_name=f"{single}_revision",
        operation_id=f"{single}_revision",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(revision, res.key))

    def confirm(request, key: str):
        """The yearly "still true" confirmation."""
        return _answer(editing.record_confirm(actor=request.auth, record=_get(res, key)))

    api.post(
        f"{item}/confirm",
        url_name=f"{single}_confirm",
        operation_id=f"{single}_confirm",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(confirm, res.key))

    def undelete(request, key: str):
        """Bring back a deleted record."""
        record = _get(res, key, deleted=True)
        return _answer(editing.record_undelete(actor=request.auth, record=record))

    api.post(
        f"{item}/undelete",
        url_name=f"{single}_undelete",
        operation_id=f"{single}_undelete",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(undelete, res.key))

    def restore(request, key: str, payload: RestoreIn):
        """Administrators: bring back the content of an earlier version."""
        record = _get(res, key)
        return _answer(
            editing.record_restore(
                actor=request.auth,
                record=record,
                to_version=payload.to_version,
                version=_version(request, payload.version),
            )
        )

    api.post(
        f"{item}/restore",
        url_name=f"{single}_restore",
        operation_id=f"{single}_restore",
        response={200: dict, **WRITE_ERRORS},
        **opts,
    )(_with_key(restore, res.key))


FUNDING = Resource("funding", FundingContribution, "pk", FundingCreate, FundingPatch, None, None)
CONTACTS = next(r for r in RESOURCES if r.name == "contacts")
PROJECTS = next(r for r in RESOURCES if r.name == "projects")


def _register_funding(api: NinjaAPI) -> None:
    opts = {"auth": AUTH, "tags": ["projects (write)"]}

    @api.post(
        "/projects/{slug}/funding", url_name="funding_create", response={201: dict, **WRITE_ERRORS}, **opts
    )
    def funding_create(request, slug: str, payload: FundingCreate):
        """Add a line to a project's financing plan (exactly one funder)."""
        project = _get(PROJECTS, slug)
        kwargs = _kwargs(payload.dict(exclude_unset=True))
        return _answer(editing.funding_add(actor=request.auth, project=project, **kwargs), 201)

    _register_read(api, FUNDING, "/funding/{pk}", opts)

    @api.patch("/funding/{pk}", url_name="funding_update", response={200: dict, **WRITE_ERRORS}, **opts)
    def funding_update(request, pk: str, payload: FundingPatch):
        """Change a financing line's amount (and nature, note); send its `version`."""
        data = payload.dict(exclude_unset=True)
        version = _version(request, data.pop("version", None))
        kwargs = _kwargs(data)
        line = _get(FUNDING, pk)
        return _answer(editing.funding_update(actor=request.auth, line=line, version=version, **kwargs))

    @api.delete("/funding/{pk}", url_name="funding_delete", response={200: dict, **WRITE_ERRORS}, **opts)
    def funding_delete(request, pk: str, version: int | None = None):
        """Remove a financing line (kept in the history; POST …/undelete brings it back)."""
        line = _get(FUNDING, pk)
        return _answer(
            editing.record_delete(actor=request.auth, record=line, version=_version(request, version))
        )

    @api.post(
        "/funding/{pk}/undelete", url_name="funding_undelete", response={200: dict, **WRITE_ERRORS}, **opts
    )
    def funding_undelete(request, pk: str):
        if not is_ascii_digits(pk, max_length=18):
            raise NotFound(_("funding : l'identifiant est un nombre entier."), field="pk")
        return _answer(editing.funding_undelete(actor=request.auth, line_id=int(pk)))

    @api.post("/contacts/{pk}/erase", url_name="contact_erase", response={200: dict, **WRITE_ERRORS}, **opts)
    def contact_erase(request, pk: str, payload: EraseIn):
        """Remove a person's name, e-mail and phone on request (also from the history)."""
        contact = _get(CONTACTS, pk)
        return _answer(
            editing.contact_erase(
                actor=request.auth, contact=contact, version=_version(request, payload.version)
            )
        )


def _register_payments(api: NinjaAPI) -> None:
    """Payments of a financing line (issue 12): added and removed, never edited in place."""
    from coopatlas.cooperation.models import Payment
    from coopatlas.cooperation.services import payment_warning

    opts = {"auth": AUTH, "tags": ["projects (write)"]}

    @api.post(
        "/funding/{pk}/payments", url_name="payment_create", response={201: dict, **WRITE_ERRORS}, **opts
    )
    def payment_create(request, pk: str, payload: PaymentCreate):
        """Record a disbursement, expenditure or incoming funds on a financing line; the body's
        `warning` says when more is disbursed than the line commits."""
        line = _get(FUNDING, pk)
        data = payload.dict(exclude_unset=True)
        kwargs = _source(data)
        for name in ("provider_organisation", "receiver_organisation"):
            if name in kwargs:
                kwargs[name] = _organisation(kwargs[name], name) if kwargs[name] else None
        for name in ("provider_authority", "receiver_authority"):
            if name in kwargs:
                kwargs[name] = _authority(kwargs[name], name) if kwargs[name] else None
        payment = editing.payment_add(actor=request.auth, line=line, **kwargs)
        body = {**record_out(payment), "warning": payment_warning(line)}
        text = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)
        return HttpResponse(text, status=201, content_type="application/json")

    @api.delete("/payments/{pk}", url_name="payment_delete", response={200: dict, **WRITE_ERRORS}, **opts)
    def payment_delete(request, pk: str):
        payment = Payment.objects.filter(pk=parse_id(pk, field="pk"), deleted_at__isnull=True).first()
        if payment is None:
            raise NotFound(_("payment : aucun paiement n'a cet identifiant."), field="pk")
        editing.payment_remove(actor=request.auth, payment=payment)
        return HttpResponse(json.dumps({"id": int(pk), "deleted": True}), content_type="application/json")


def register(api: NinjaAPI) -> None:
    """Add the write operations to the open API (call once, after its GET routes)."""
    for res in RESOURCES:
        _register_resource(api, res)
    _register_funding(api)
    _register_payments(api)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            {
                "detail": _(
                    "Jeton manquant, inconnu ou révoqué : envoyez « Authorization: Bearer "
                    "JETON » (créez-en un avec `coopatlas tokens create --email …`)."
                ),
                "errors": {"Authorization": [_("jeton requis")]},
            },
            status=401,
        )
