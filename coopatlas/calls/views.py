"""Pages of the calls: public lists (HTML/JSON/CSV, Atom), the application page with its
live eligibility, the committee, PDFs. AppErrors raised here reach the one error boundary
(core.middleware.ErrorBoundaryMiddleware); every write goes through services."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from coopatlas.accounts.permissions import PermissionDenied

# One way a page answers HTML, JSON or CSV (people's CSV, ?dialect=machine), as every atlas list.
from coopatlas.atlas.views import _json, _respond  # noqa: E402
from coopatlas.atlas.views import _requested_format as _format  # noqa: E402
from coopatlas.cooperation.models import Project
from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.parse import parse_id

from . import access, pdf, selectors, services
from .models import Application, ApplicationStatus, Call, Opinion, Tranche
from .rules import rules_in_words

# --------------------------------------------------------------------------- public


def _call_row(call: Call) -> dict:
    return {
        "slug": call.slug,
        "title": call.title,
        "kind": call.get_kind_display(),
        "opens_at": selectors.paris(call.opens_at).isoformat(),
        "deadline_at": selectors.paris(call.deadline_at).isoformat(),
        "budget": call.budget,
        "rules": f"{call.ruleset.key} v{call.ruleset.version}",
        "rules_origin": call.ruleset.origin,
        "url": call.get_absolute_url(),
    }


def call_list(request):
    now = timezone.now()
    open_calls = [_call_row(c) for c in selectors.calls_open(at=now)]
    past = [_call_row(c) for c in selectors.calls_past(at=now).select_related("ruleset")[:200]]
    for row in open_calls:
        row["state"] = "open"
    for row in past:
        row["state"] = "past"
    data = {"open": open_calls, "past": past, "results": open_calls + past}
    return _respond(request, "calls/list.html", data, csv_name="appels")


def call_detail(request, slug: str):
    call = selectors.call_get(slug=slug)
    if not call.is_published and not access.is_ministry(request.user):
        raise NotFound(_("call : aucun appel « %(slug)s » publié.") % {"slug": slug[:80]}, field="call")
    laureates = [
        {
            "project": a.project.title,
            "lead": a.lead.name,
            "granted": a.granted,
            "url": a.project.get_absolute_url(),
        }
        for a in selectors.laureates(call=call)
    ]
    data = {
        **_call_row(call),
        "summary": call.summary,
        "text": call.text,
        "rules_in_words": rules_in_words(call.ruleset.rules),
        "rules_source": call.ruleset.source,
        "rules_data": call.ruleset.rules,
        "is_open": call.is_open(),
        "laureates": laureates,
        "results": laureates,
        "results_published": call.results_published_at is not None,
    }
    context = {"call": call, "is_ministry": access.is_ministry(request.user)}
    return _respond(request, "calls/detail.html", data, csv_name=f"laureats-{call.slug}", context=context)


class CallsFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Appels à projets – coopatlas")
    description = gettext_lazy(
        "Les nouveaux appels à projets du ministère pour les collectivités territoriales."
    )

    def link(self):
        return reverse("calls:list")

    def items(self):
        return Call.objects.published().select_related("ruleset").order_by("-opens_at")[:50]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        deadline = selectors.paris(item.deadline_at).strftime("%d/%m/%Y %H:%M")
        return f"{item.summary} — " + _("date limite : %(deadline)s (heure de Paris)") % {
            "deadline": deadline
        }

    def item_pubdate(self, item):
        return item.opens_at


# --------------------------------------------------------------------------- authority


def _project(pk) -> Project:
    project = Project.objects.filter(pk=parse_id(pk, field="project"), deleted_at__isnull=True).first()
    if project is None:
        raise NotFound(_("project : aucun projet n° %(pk)s.") % {"pk": pk}, field="project")
    return project


@login_required
def apply(request, project: int):
    """ "Candidater" from the project's editor page: each open call, its eligibility now."""
    project = _project(project)
    access.require_applicant(request.user, project)
    if request.method == "POST":
        call = selectors.call_get(slug=str(request.POST.get("call", ""))[:120])
        application = services.application_start(
            actor=request.user, call=call, project=project, requested=request.POST.get("requested") or None
        )
        messages.success(request, _("Candidature préparée : vérifiez-la puis déposez-la."))
        return redirect(application.get_absolute_url())
    snapshot_project = selectors.project_for_snapshot(project.pk)
    rows = []
    existing = dict(Application.objects.filter(project=project).values_list("call_id", "pk"))
    for call in selectors.calls_open():
        result = selectors.eligibility(project=snapshot_project, call=call, requested=None)
        rows.append(
            {
                "call": call,
                "result": result,
                "missing": selectors.missing_of(result),
                "existing": existing.get(call.pk),
            }
        )
    return render(request, "calls/apply.html", {"project": project, "rows": rows})


def _application(request, pk) -> Application:
    app = (
        Application.objects.select_related("call__ruleset", "project", "lead")
        .filter(pk=parse_id(pk, field="application"))
        .first()
    )
    if app is None or not access.may_see_application(request.user, app):
        # someone else's application answers as an unknown one
        raise NotFound(
            _("application : aucune candidature n° %(pk)s parmi les vôtres.") % {"pk": pk},
            field="application",
        )
    return app


def _live(app: Application, requested) -> dict:
    project = selectors.project_for_snapshot(app.project_id)
    result = selectors.eligibility(project=project, call=app.call, requested=requested)
    snap = result["snapshot"]
    return {
        "verdict": result["verdict"],
        "checks": result["checks"],
        "missing": selectors.missing_of(result),
        "requested": snap.requested,
        "total_budget": snap.total_budget,
        "countries": [c.name for c in snap.countries],
    }


@login_required
def application_page(request, pk: int):
    app = _application(request, pk)
    user = request.user
    live = _live(app, app.requested)
    from coopatlas.accounts.permissions import scope_of

    scope = scope_of(user)
    scope_countries = scope.countries
    opinions = list(app.opinions.select_related("country", "network").order_by("network_id", "country_id"))
    networks = []
    budget = None
    if scope.admin:
        from coopatlas.cooperation.models import Organisation

        asked = {o.network_id for o in opinions if o.network_id}
        networks = [
            n
            for n in Organisation.objects.filter(kind=Organisation.Kind.NETWORK, deleted_at__isnull=True)
            .order_by("name")
            .only("pk", "name", "acronym")
            if n.pk not in asked
        ]
        budget = selectors.call_budget(call=app.call)
    context = {
        "app": app,
        "live": live,
        "is_ministry": scope.admin,
        "is_author": scope.admin
        or app.coapplicants.filter(authority_id__in=scope.editor_authorities).exists(),
        "my_opinions": [
            o
            for o in opinions
            if scope.admin or o.country_id in scope_countries or o.network_id in scope.organisations
        ],
        "networks": networks,
        "budget": budget,
        "grant_rule": app.call.ruleset.rules.get("grant") or {},
        "opinions": opinions,
        "coapplicants": list(app.coapplicants.select_related("authority")),
        "my_authorities": scope.editor_authorities,
        "versions": list(app.versions.all()),
        "tranches": list(app.tranches.select_related("report")),
        "grid": (app.call.ruleset.rules.get("grid") or {}),
        "scores": dict(app.scores.values_list("criterion", "value")),
        "editable": app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED),
        "verdicts": Opinion.Verdict.choices,
    }
    if request.GET.get("format") == "json":
        return _json({"id": app.pk, "status": app.status, **live})
    return render(request, "calls/application.html", context)


@login_required
def application_eligibility(request, pk: int):
    """The live check: `?requested=` as typed (core.parse), the checks as JSON."""
    app = _application(request, pk)
    raw = request.GET.get("requested")
    requested = services._amount(raw, field="requested") if raw not in (None, "") else app.requested
    return _json(_live(app, requested))


ACTIONS = {
    "update",
    "confirm",
    "submit",
    "return",
    "opinion",
    "score",
    "propose",
    "decide",
    "report",
    "approve",
    "network",
}


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    app = _application(request, pk)
    user, post = request.user, request.POST
    if action == "update":
        services.application_update(actor=user, application=app, requested=post.get("requested"))
        messages.success(request, _("Montant enregistré."))
    elif action == "confirm":
        from coopatlas.geo.models import LocalAuthority

        authority = get_object_or_404(LocalAuthority, pk=parse_id(post.get("authority"), field="authority"))
        services.application_confirm(actor=user, application=app, authority=authority)
        messages.success(request, _("Participation confirmée."))
    elif action == "submit":
        from django.db import transaction

        with transaction.atomic():  # a refused submission keeps the amount it had, too
            if post.get("requested"):
                services.application_update(actor=user, application=app, requested=post.get("requested"))
            services.application_submit(actor=user, application=app)
        messages.success(request, _("Candidature déposée : l'accusé de réception vous a été envoyé."))
    elif action == "return":
        services.application_return(actor=user, application=app, comment=post.get("comment", ""))
        messages.success(request, _("Candidature renvoyée pour complément."))
    elif action == "opinion":
        from coopatlas.cooperation.models import Organisation
        from coopatlas.geo.models import Country

        country = network = None
        if post.get("network"):
            network = get_object_or_404(Organisation, pk=parse_id(post.get("network"), field="network"))
        else:
            country = get_object_or_404(Country, pk=str(post.get("country", ""))[:2])
        services.opinion_give(
            actor=user,
            application=app,
            country=country,
            network=network,
            verdict=post.get("verdict", ""),
            comment=post.get("comment", ""),
        )
        messages.success(request, _("Avis enregistré."))
    elif action == "network":
        from coopatlas.cooperation.models import Organisation

        network = Organisation.objects.filter(
            pk=parse_id(post.get("network") or "0", field="network"), deleted_at__isnull=True
        ).first()
        services.network_opinion_request(
            actor=user,
            application=app,
            network=network,
            due_at=_paris_datetime(post.get("due_at"), field="due_at", required=False),
        )
        messages.success(request, _("Avis du réseau demandé."))
    elif action == "score":
        grid = app.call.ruleset.rules.get("grid") or {"criteria": []}
        values = {c["key"]: post.get(f"score_{c['key']}", "") for c in grid["criteria"]}
        services.scores_set(actor=user, application=app, values={k: v for k, v in values.items() if v != ""})
        messages.success(request, _("Notes enregistrées."))
    elif action == "propose":
        answer = services.application_propose(actor=user, application=app, amount=post.get("proposed"))
        messages.success(request, _("Montant proposé enregistré."))
        if answer["warning"]:
            messages.warning(request, answer["warning"])
    elif action == "decide":
        granted = post.get("decision") == "grant"
        services.decision_record(
            actor=user,
            application=app,
            granted=granted,
            amount=post.get("granted"),
            reason=post.get("reason", ""),
        )
        messages.success(request, _("Décision enregistrée."))
    elif action in ("report", "approve"):
        tranche = get_object_or_404(
            Tranche, pk=parse_id(post.get("tranche"), field="tranche"), application=app
        )
        if action == "report":
            file = request.FILES.get("file")
            if file is None:
                raise AppError(_("file : choisissez le rapport (PDF) à déposer."), field="file")
            services.report_attach(actor=user, tranche=tranche, file=file)
            messages.success(request, _("Rapport déposé."))
        else:
            services.tranche_approve(actor=user, tranche=tranche)
            messages.success(request, _("Rapport approuvé : tranche versée."))
    return redirect(app.get_absolute_url())


@login_required
def receipt(request, pk: int):
    app = _application(request, pk)
    version = app.versions.order_by("-number").first()
    if version is None:
        raise NotFound(_("receipt : la candidature n'a pas encore été déposée."), field="receipt")
    response = HttpResponse(pdf.receipt_pdf(app, version), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accuse-reception-{app.pk}.pdf"'
    return response


@login_required
def letter(request, pk: int):
    app = _application(request, pk)
    if app.status not in (ApplicationStatus.GRANTED, ApplicationStatus.REFUSED):
        raise NotFound(_("letter : aucune décision n'est encore prise."), field="letter")
    response = HttpResponse(pdf.letter_pdf(app), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="notification-{app.pk}.pdf"'
    return response


@login_required
def mine(request):
    apps = selectors.applications_visible(user=request.user).order_by("-created_at")[:200]
    return render(request, "calls/mine.html", {"applications": apps})


# --------------------------------------------------------------------------- ministry


@login_required
def committee(request, slug: str):
    if not access.is_ministry(request.user):
        raise PermissionDenied(_("user : le comité est réservé au ministère."), field="user")
    call = selectors.call_get(slug=slug)
    data = selectors.committee(call=call)
    if _format(request, csv=False) == "json":
        return _json(
            {
                "call": call.slug,
                "totals": data["totals"],
                "budget": data["budget"],
                "consumed_pct": data["consumed_pct"],
                "results": [
                    {
                        "rank": r["rank"],
                        "id": r["id"],
                        "project": r["project__title"],
                        "lead": r["lead__name"],
                        **{k: r[k] for k in ("verdict", "opinions", "score", "requested", "proposed")},
                        **{k: r[k] for k in ("granted", "status", "cumulated", "over_budget")},
                    }
                    for r in data["rows"]
                ],
            }
        )
    context = {"data": data, "call": call, "rows_html": _committee_rows(data["rows"])}
    return render(request, "calls/committee.html", context)


def _committee_rows(rows: list[dict]) -> str:
    """The ranked list's 2,000 rows written in one pass: the template engine's per-row loop
    (10 cells, 4 amounts) took most of the page's time (bench/calls.py); same cells, same
    escaping, the one money format."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    from coopatlas.core.parse import money_formatter

    money_display = money_formatter()  # the language read once, not 8,000 times
    out = []
    for r in rows:
        granted = f" {money_display(r['granted'])}" if r["granted"] else ""
        over = ' class="fr-text--error" data-over-budget' if r["over_budget"] else ""
        out.append(
            f'<tr data-id="{r["id"]}"><td>{r["rank"]}</td>'
            f'<td><a href="{r["url"]}">{escape(r["project__title"])}</a></td>'
            f"<td>{escape(r['lead__name'])}</td><td>{escape(r['verdict'])}</td>"
            f"<td>{escape(r['opinions_text'])}</td>"
            f"<td>{'—' if r['score'] is None else r['score']}</td>"
            f"<td>{money_display(r['requested'])}</td>"
            f"<td data-proposed>{money_display(r['proposed'])}</td>"
            f"<td{over}>{money_display(r['cumulated'])}</td>"
            f"<td>{escape(r['status_label'])}{granted}</td></tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 (every value above escaped or a number)


# --------------------------------------------------------------------------- simulator


def simulate(request, slug: str):
    """ "Qu'est-ce qui peut financer ce projet ?": every open call and the other
    instruments kept as rule sets (FICOL, the "1 %" laws), each answer with its reasons."""
    project = Project.objects.filter(Project.public_q(), slug=slug[:200]).first()
    if project is None:
        raise NotFound(
            _("project : aucun projet public « %(slug)s ».") % {"slug": slug[:80]}, field="project"
        )
    data = selectors.simulate(project=selectors.project_for_snapshot(project.pk))
    if _format(request, csv=False) == "json":
        return _json(data)
    return render(request, "calls/simulate.html", {"data": data, "project": project})


def _now_paris() -> datetime:
    return selectors.paris(timezone.now())


# --------------------------------------------------------------------------- ministry: calls


_paris_datetime = services.paris_datetime


@login_required
def call_new(request):
    """The ministry creates a call: its rules pasted as YAML/JSON (a new version) or an
    existing rule-set version, its dates in Paris time. Opening is a separate step."""
    from .models import CallKind, RuleSet

    if not access.is_ministry(request.user):
        raise PermissionDenied(_("user : seule la DAECT crée des appels."), field="user")
    rulesets = RuleSet.objects.filter(instrument="daect_call").order_by("key", "-version")
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            call = services.call_create_from_fields(actor=request.user, fields=post)
        except AppError as exc:
            error = exc
        else:
            messages.success(request, _("Appel créé ; vérifiez-le puis ouvrez-le."))
            return redirect(call.get_absolute_url())
    return render(
        request,
        "calls/call_new.html",
        {"rulesets": rulesets, "kinds": CallKind.choices, "error": error, "post": request.POST},
        status=422 if error else 200,
    )


EDITABLE_FIELDS = (
    "title",
    "kind",
    "summary",
    "text",
    "budget",
    "opens_at",
    "deadline_at",
    "opinion_deadline_at",
    "eligible_countries",
    "ruleset",
)


def _local(dt) -> str:
    return selectors.paris(dt).strftime("%Y-%m-%dT%H:%M:%S") if dt else ""


@login_required
def call_edit(request, slug: str):
    """The ministry edits a call: anything before it opens; once open, its texts, budget
    and opinion deadline only (its rules, dates and countries are frozen: a message says so)."""
    from .models import CallKind, RuleSet

    if not access.is_ministry(request.user):
        raise PermissionDenied(_("user : seule la DAECT modifie les appels."), field="user")
    call = selectors.call_get(slug=slug)
    error = None
    if request.method == "POST":
        fields = request.POST.copy()
        fields["eligible_countries"] = request.POST.get("countries", "")
        try:
            names = [n for n in EDITABLE_FIELDS if n in fields]
            services.call_update_from_fields(actor=request.user, call=call, fields=fields, names=names)
        except AppError as exc:
            error = exc
        else:
            messages.success(request, _("Appel modifié."))
            return redirect(call.get_absolute_url())
        post = request.POST
    else:
        post = {
            "title": call.title,
            "kind": call.kind,
            "summary": call.summary,
            "text": call.text,
            "budget": "" if call.budget is None else call.budget,
            "opens_at": _local(call.opens_at),
            "deadline_at": _local(call.deadline_at),
            "opinion_deadline_at": _local(call.opinion_deadline_at),
            "countries": " ".join(call.eligible_countries.order_by("iso2").values_list("iso2", flat=True)),
            "ruleset": str(call.ruleset_id),
        }
    context = {
        "call": call,
        "post": post,
        "error": error,
        "kinds": CallKind.choices,
        "rulesets": RuleSet.objects.filter(instrument="daect_call").order_by("key", "-version"),
        "frozen": call.is_published and call.opens_at <= timezone.now(),
    }
    return render(request, "calls/call_edit.html", context, status=422 if error else 200)


@login_required
@require_POST
def call_action(request, slug: str, action: str):
    call = selectors.call_get(slug=slug)
    if action == "open":
        services.call_open(actor=request.user, call=call)
        messages.success(request, _("Appel ouvert : ses règles sont figées."))
    elif action == "publish-results":
        services.call_publish_results(actor=request.user, call=call)
        messages.success(request, _("Lauréats publiés."))
    else:
        raise Http404
    return redirect(call.get_absolute_url())
