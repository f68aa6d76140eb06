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
