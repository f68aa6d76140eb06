"""/api/v1/declarations: the yearly aid declaration over HTTP.

Writes take `Authorization: Bearer TOKEN` (accounts' tokens). Errors keep the API's shape:
`{"detail", "errors": {field: [message]}}` with 401/403/404/409/422; nothing is written on
a 4xx. The national report and a country's figures are public (validated declarations).
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations.

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from coopatlas.api.auth import AUTH
from coopatlas.core.errors import AppError

from . import exports, selectors, services

ERR = {401: dict, 403: dict, 404: dict, 409: dict, 422: dict}


router = Router(tags=["declarations"])


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class DeclarationIn(In):
    authority: str = Field(..., description="INSEE code, SIREN, `commune:35238`, `siren:…`")
    year: int


class LineIn(In):
    amount: str | float | int | None = Field(None, description="Euros, at most 2 decimals")
    type: str | None = Field(
        None,
        description="project, ngo-grant, multilateral, awareness, "
        "refugees, scholarships, admin-costs, emergency",
    )
    country: str | None = Field(None, description="ISO2 of the recipient country")
    region: str | None = Field(None, description="DAC regional code (298, 998…)")
    channel: str | None = Field(None, description="OECD CRS channel code (22000…)")
    sector: str | None = Field(None, description="DAC 5-digit purpose code (14030…)")
    markers: dict[str, int | str | None] | None = Field(
        None, description="gender, environment, biodiversity, nutrition, inclusion: 0, 1 or 2"
    )
    project: str | None = Field(None, description="Slug of one of the authority's projects")
    under_12_months: bool | None = Field(None, description="Refugee lines: in France < 12 months")
    comment: str | None = None


class NothingIn(In):
    nothing_to_declare: bool = True


class ReturnIn(In):
    comment: str = Field("", max_length=5000)


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def _detail(request, declaration_id: int, status: int = 200) -> HttpResponse:
    declaration = services.declaration_get(pk=declaration_id)
    return _json(selectors.declaration_detail(declaration=declaration, user=request.auth), status)


def _authority(code: str):
    from coopatlas.geo.selectors import authority_get

    try:
        return authority_get(key=code or "", field="authority")
    except AppError as exc:
        raise AppError(f"authority : {exc.message}", field="authority") from exc


@router.get("/report", url_name="declarations_report", response={200: dict, 422: dict})
def report(request, year: str = "", format: str = "json"):
    """The national report for a year: `format` json (default), csv, xlsx or crs (one row
    per ODA line in the OECD creditor reporting system's shape, CSV)."""
    year_value = selectors.year_param(year)
    fmt = (format or "json").lower()
    if fmt not in ("json", "csv", "xlsx", "crs"):
        raise AppError(
            _("format : « %(fmt)s » non reconnu ; valeurs : json, csv, xlsx, crs.") % {"fmt": fmt[:10]},
            field="format",
        )
    if fmt == "crs":
        return exports.crs_response(year=year_value)
    data = selectors.report(year=year_value)
    if fmt == "json":
        return _json(data)
    return exports.report_response(data=data, fmt=fmt)


@router.get("/countries/{iso2}", url_name="declarations_country", response={200: dict})
def country(request, iso2: str):
    """ODA declared to a country per year (validated declarations)."""
    return _json({"country": iso2.upper(), "years": selectors.aid_by_year_for_country(iso2=iso2)})


@router.get("", url_name="declarations_list", auth=AUTH, response={200: dict, **ERR})
def declaration_list(request, year: str = "", authority: str = ""):
    """Declarations you may see in full: your authorities' (or all, for the ministry)."""
    return _json(
        {
            "results": selectors.declaration_list(
                user=request.auth,
                year=selectors.year_param(year) if year else None,
                authority=_authority(authority) if authority else None,
            )
        }
    )


@router.post("", url_name="declarations_create", auth=AUTH, response={201: dict, **ERR})
def declaration_create(request, payload: DeclarationIn):
    declaration = services.declaration_create(
        actor=request.auth, authority=_authority(payload.authority), year=payload.year
    )
    return _detail(request, declaration.pk, 201)


@router.get("/campaigns/{int:year}", url_name="declarations_campaign", auth=AUTH, response={200: dict, **ERR})
def campaign(request, year: int):
    """Who has and has not declared (ministry)."""
    return _json(selectors.campaign_status(year=year, user=request.auth))


@router.post(
    "/campaigns/{int:year}/remind", url_name="declarations_remind", auth=AUTH, response={200: dict, **ERR}
)
def remind(request, year: int):
    return _json(services.campaign_remind(actor=request.auth, year=year))


@router.get("/{int:declaration_id}", url_name="declarations_detail", auth=AUTH, response={200: dict, **ERR})
def declaration_detail(request, declaration_id: int, version: int | None = None):
    declaration = services.declaration_get(pk=declaration_id)
    return _json(selectors.declaration_detail(declaration=declaration, user=request.auth, number=version))


@router.post(
    "/{int:declaration_id}/lines", url_name="declarations_line_add", auth=AUTH, response={201: dict, **ERR}
)
def line_add(request, declaration_id: int, payload: LineIn):
    declaration = services.declaration_get(pk=declaration_id)
    line = services.line_add(
        actor=request.auth, declaration=declaration, data=payload.dict(exclude_unset=True)
    )
    return _json(selectors.line_dict(line), 201)


@router.patch(
    "/{int:declaration_id}/lines/{int:line_id}",
    url_name="declarations_line",
    auth=AUTH,
    response={200: dict, **ERR},
)
def line_update(request, declaration_id: int, line_id: int, payload: LineIn):
    declaration = services.declaration_get(pk=declaration_id)
    line = services.line_update(
        actor=request.auth, declaration=declaration, line_id=line_id, data=payload.dict(exclude_unset=True)
    )
    return _json(selectors.line_dict(line))


@router.delete("/{int:declaration_id}/lines/{int:line_id}", auth=AUTH, response={200: dict, **ERR})
def line_delete(request, declaration_id: int, line_id: int):
    declaration = services.declaration_get(pk=declaration_id)
    services.line_delete(actor=request.auth, declaration=declaration, line_id=line_id)
    return _detail(request, declaration_id)


@router.post(
    "/{int:declaration_id}/prepare", url_name="declarations_prepare", auth=AUTH, response={200: dict, **ERR}
)
def prepare(request, declaration_id: int):
    """Pre-fill project lines from the authority's own cash contributions paid that year."""
    declaration = services.declaration_get(pk=declaration_id)
    result = services.declaration_prepare(actor=request.auth, declaration=declaration)
    data = selectors.declaration_detail(declaration=declaration, user=request.auth)
    data["prepared"] = [line.pk for line in result["created"]]
    return _json(data)


@router.post("/{int:declaration_id}/nothing", auth=AUTH, response={200: dict, **ERR})
def nothing(request, declaration_id: int, payload: NothingIn):
    """Declare (or stop declaring) "nothing this year"."""
    declaration = services.declaration_get(pk=declaration_id)
    services.declaration_nothing_set(
        actor=request.auth, declaration=declaration, nothing=payload.nothing_to_declare
    )
    return _detail(request, declaration_id)


def _action(name: str, service):
    def handler(request, declaration_id: int):
        declaration = services.declaration_get(pk=declaration_id)
        service(actor=request.auth, declaration=declaration)
        return _detail(request, declaration_id)

    handler.__name__ = name
    handler.__doc__ = {
        "submit": "Submit to the ministry.",
        "validate": "Ministry: validate (locks the version; it is what the report counts).",
        "correct": "After validation: a new draft version (the old one kept).",
    }[name]
    router.post(
        f"/{{int:declaration_id}}/{name}",
        url_name=f"declarations_{name}",
        auth=AUTH,
        response={200: dict, **ERR},
    )(handler)


_action("submit", services.declaration_submit)
_action("validate", services.declaration_validate)
_action("correct", services.declaration_correct)


@router.post(
    "/{int:declaration_id}/return", url_name="declarations_return", auth=AUTH, response={200: dict, **ERR}
)
def return_(request, declaration_id: int, payload: ReturnIn):
    """Ministry: return to the authority with a comment saying what to fix."""
    declaration = services.declaration_get(pk=declaration_id)
    services.declaration_return(actor=request.auth, declaration=declaration, comment=payload.comment)
    return _detail(request, declaration_id)
