"""API routes of the calls (/api/v1/calls): public lists and rules, rule sets posted as
data by the ministry, the eligibility of an application. Errors are the API's (AppError →
status + JSON, mapped once in api.api)."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations.

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from coopatlas.accounts.bearer import AUTH
from coopatlas.core.errors import NotFound
from coopatlas.core.parse import parse_id

from . import access, selectors, services
from .models import Application
from .rules import rules_in_words

ERR = {401: dict, 403: dict, 404: dict, 409: dict, 422: dict}
router = Router(tags=["calls"])


class RuleSetIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, max_length=200_000, description="The rule set as YAML or JSON text")
    rules: dict | None = Field(None, description="… or as a JSON object (see calls/data/rulesets/)")


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def _call(call) -> dict:
    return {
        "slug": call.slug,
        "title": call.title,
        "kind": call.kind,
        "opens_at": selectors.paris(call.opens_at).isoformat(),
        "deadline_at": selectors.paris(call.deadline_at).isoformat(),
        "budget": call.budget,
        "is_open": call.is_open(),
        "ruleset": {
            "key": call.ruleset.key,
            "version": call.ruleset.version,
            "origin": call.ruleset.origin,
            "source": call.ruleset.source,
        },
    }


@router.get("", url_name="calls_list", response={200: dict})
def call_list(request):
    """Open calls, then past ones."""
    return _json(
        {
            "open": [_call(c) for c in selectors.calls_open()],
            "past": [_call(c) for c in selectors.calls_past().select_related("ruleset")[:200]],
        }
    )


@router.get("/{slug}", url_name="calls_detail", response={200: dict, **ERR})
def call_detail(request, slug: str):
    call = selectors.call_get(slug=slug)
    if not call.is_published:
        raise NotFound(_("call : aucun appel « %(slug)s » publié.") % {"slug": slug[:80]}, field="call")
    return _json(
        {**_call(call), "rules": call.ruleset.rules, "rules_in_words": rules_in_words(call.ruleset.rules)}
    )


@router.post("/rulesets", url_name="calls_ruleset_create", auth=AUTH, response={201: dict, **ERR})
def ruleset_create(request, payload: RuleSetIn):
    """A rule-set version (ministry): validated as a whole; a frozen version is refused (409)."""
    if payload.text is not None:
        rs = services.ruleset_load(actor=request.auth, text=payload.text)
    else:
        rs = services.ruleset_load(actor=request.auth, data=payload.rules)
    return _json(
        {"key": rs.key, "version": rs.version, "rules": rs.rules, "frozen": rs.frozen_at is not None}, 201
    )


@router.get(
    "/applications/{pk}/eligibility", url_name="calls_eligibility", auth=AUTH, response={200: dict, **ERR}
)
def eligibility(request, pk: str, requested: str = ""):
    app = (
        Application.objects.select_related("call__ruleset")
        .filter(pk=parse_id(pk, field="application"))
        .first()
    )
    if app is None or not access.may_see_application(request.auth, app):
        raise NotFound(
            _("application : aucune candidature n° %(pk)s parmi les vôtres.") % {"pk": pk[:20]},
            field="application",
        )
    amount = services._amount(requested, field="requested") if requested else app.requested
    project = selectors.project_for_snapshot(app.project_id)
    result = selectors.eligibility(project=project, call=app.call, requested=amount)
    return _json(
        {
            "id": app.pk,
            "verdict": result["verdict"],
            "checks": result["checks"],
            "missing": selectors.missing_of(result),
        }
    )


class CallIn(Schema):
    """A call and its rules (ministry). Dates: ISO 8601 with an offset, or without one read
    in Europe/Paris. Rules: `rules_text` (YAML/JSON), `rules` (an object), or an existing
    version by `ruleset_key` + `ruleset_version`."""

    model_config = ConfigDict(extra="forbid")
    slug: str = Field(..., max_length=120)
    title: str = Field(..., max_length=300)
    kind: str = Field("generalist", max_length=12)
    opens_at: str = Field(..., max_length=40)
    deadline_at: str = Field(..., max_length=40)
    opinion_deadline_at: str | None = Field(None, max_length=40)
    budget: str | None = Field(None, max_length=40)
    summary: str = Field("", max_length=5000)
    text: str = Field("", max_length=100_000)
    countries: list[str] = Field(default_factory=list, max_length=250)
    rules_text: str | None = Field(None, max_length=200_000)
    rules: dict | None = None
    ruleset_key: str | None = Field(None, max_length=80)
    ruleset_version: int | None = None


class CallPatch(Schema):
    """Fields to change; once the call is open its rules, dates and countries are frozen (409)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=300)
    kind: str | None = Field(None, max_length=12)
    summary: str | None = Field(None, max_length=5000)
    text: str | None = Field(None, max_length=100_000)
    budget: str | None = Field(None, max_length=40)
    opens_at: str | None = Field(None, max_length=40)
    deadline_at: str | None = Field(None, max_length=40)
    opinion_deadline_at: str | None = Field(None, max_length=40)
    eligible_countries: list[str] | None = Field(None, max_length=250)
    ruleset: int | None = None


class ProposedIn(Schema):
    model_config = ConfigDict(extra="forbid")
    proposed: str | None = Field(None, max_length=40, description="Euros; empty or null withdraws it")


def _call_out(call) -> dict:
    return {
        **_call(call),
        "is_published": call.is_published,
        "opinion_deadline_at": selectors.paris(call.opinion_deadline_at).isoformat()
        if call.opinion_deadline_at
        else None,
        "countries": sorted(call.eligible_countries.values_list("iso2", flat=True)),
        "rules": call.ruleset.rules,
        "url": call.get_absolute_url(),
    }


@router.post("", url_name="calls_create", auth=AUTH, response={201: dict, **ERR})
def call_create(request, payload: CallIn):
    """Create a call and its rule set in one unit: a self-contradictory rule set (422,
    naming its key) or a bad date writes nothing."""
    call = services.call_create_from_fields(actor=request.auth, fields=payload.dict())
    return _json(_call_out(call), 201)


@router.patch("/{slug}", url_name="calls_update", auth=AUTH, response={200: dict, **ERR})
def call_update(request, slug: str, payload: CallPatch):
    call = selectors.call_get(slug=slug)
    fields = payload.dict(exclude_unset=True)
    call = services.call_update_from_fields(actor=request.auth, call=call, fields=fields, names=list(fields))
    return _json(_call_out(call))


@router.post("/{slug}/open", url_name="calls_open", auth=AUTH, response={200: dict, **ERR})
def call_open(request, slug: str):
    """Open the call: its rule-set version is frozen from now on."""
    call = services.call_open(actor=request.auth, call=selectors.call_get(slug=slug))
    return _json(_call_out(call))


@router.post("/applications/{pk}/proposed", url_name="calls_proposed", auth=AUTH, response={200: dict, **ERR})
def proposed(request, pk: str, payload: ProposedIn):
    """The amount the ministry proposes to the committee (≤ asked, within the call's grant
    bounds); beyond the remaining budget it is kept with a `warning`."""
    access.require_ministry(request.auth)
    app = Application.objects.filter(pk=parse_id(pk, field="application")).first()
    if app is None:
        raise NotFound(
            _("application : aucune candidature n° %(pk)s.") % {"pk": pk[:20]}, field="application"
        )
    answer = services.application_propose(actor=request.auth, application=app, amount=payload.proposed)
    return _json(
        {
            "id": app.pk,
            "proposed": answer["application"].proposed,
            "budget": answer["budget"],
            "warning": answer["warning"],
        }
    )
