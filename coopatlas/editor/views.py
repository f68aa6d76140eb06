"""Pages of the editing space (« Mon espace »). Every write calls
`coopatlas.cooperation.editing`; a PermissionDenied answers 403, an unknown record 404, a
stale version 409 with what changed meanwhile, other AppErrors land on their form field."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coopatlas.accounts.permissions import (
    PermissionDenied,
    can_delete,
    can_restore,
    can_submit,
    require,
    scope_of,
)
from coopatlas.calls.selectors import calls_open
from coopatlas.cooperation import editing, editing_selectors
from coopatlas.cooperation.models import FundingContribution, Project, PublicationStatus
from coopatlas.cooperation.partner_side import french_confirmations_due, partner_invitable_for
from coopatlas.cooperation.selectors.maps import project_map_status
from coopatlas.core.errors import AppError, Conflict, NotFound
from coopatlas.core.parse import parse_id
from coopatlas.declarations.selectors import declarations_due
from coopatlas.documents.selectors import documents_for
from coopatlas.documents.services import document_upload
from coopatlas.geo.models import LocalAuthority

from . import selectors
from .errors import form_add_app_error
from .forms import (
    DocumentUploadForm,
    FundingFormSet,
    FundingLineForm,
    ReturnForm,
    funding_totals,
)
from .selectors import KIND_OF_MODEL, KINDS
from .specs import SPECS, build_form, changed_labels

logger = logging.getLogger(__name__)

# Record kinds (URL segments) that take attached documents (documents.services.ATTACHABLE).
DOCUMENT_KINDS = ("conventions", "projets", "partenariats")

# The yearly campaign names kinds as the export does.
CAMPAIGN_KINDS = {
    "partnerships": "partenariats",
    "projects": "projets",
    "conventions": "conventions",
    "contacts": "contacts",
    "partner_requests": "demandes",
}


def _forbidden(request, exc: AppError) -> HttpResponse:
    return render(request, "editor/forbidden.html", {"message": exc.message}, status=403)


def guarded(view):
    """PermissionDenied → 403 page, NotFound → 404: the one mapping of the space's views."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return _forbidden(request, exc)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


def _record(kind: str, pk: int, *, deleted: bool = False):
    model = KINDS.get(kind)
    if model is None:
        raise Http404
    record = model.objects.filter(pk=pk, deleted_at__isnull=not deleted).first()
    if record is None:
        raise Http404
    return record


def _require_role(user) -> None:
    if not scope_of(user).any_role:
        raise PermissionDenied(
            _(
                "Votre compte n'a pas encore de rôle (rédacteur, animateur, "
                "ambassade, administrateur) : demandez-en un à un "
                "administrateur du ministère."
            ),
            field="user",
        )


def _compliance_warnings(record) -> list:
    """Shown when the compliance app is installed; the space works without it."""
    try:
        from coopatlas.compliance.selectors import compliance_warnings_for
    except ImportError:
        try:
            from coopatlas.compliance import compliance_warnings_for
        except ImportError:
            return []
    try:
        return list(compliance_warnings_for(record=record))
    except Exception:  # noqa: BLE001 - a warning engine failing must not block editing
        logger.exception("compliance warnings failed for %s %s", record._meta.label, record.pk)
        return []


# --------------------------------------------------------------------------- dashboard


@guarded
def dashboard(request):
    data = selectors.dashboard(user=request.user)
    campaign = []
    for authority in data["authorities"]:
        rows = editing_selectors.records_to_confirm(authority=authority)
        for row in rows:
            row["kind"] = CAMPAIGN_KINDS.get(row["type"])
        campaign.append({"authority": authority, "rows": rows})
    return render(
        request,
        "editor/dashboard.html",
        {
            **data,
            "campaign": campaign,
            "to_confirm": sum(len(item["rows"]) for item in campaign),
            "returned": selectors.returned_records(user=request.user),
            "declarations_due": declarations_due(user=request.user),
            "open_calls": list(calls_open()[:5]),
            "kinds": SPECS,
            "pending_revisions": [
                {**row, "changed": changed_labels(row["kind"], row["revision"].after)}
                for row in selectors.pending_revisions(user=request.user)
            ],
            "can_review": data["scope"].admin or bool(data["scope"].countries),
            "partner_invitable": partner_invitable_for(user=request.user),
            "french_asks": french_confirmations_due(user=request.user),
            "title": _("Mon espace"),
        },
    )


@guarded
def declaration_due(request):
    """The header's « Déclaration d'APD »: straight to the due declaration when the person
    declares for one authority, else the dashboard's list of them."""
    rows = declarations_due(user=request.user)["rows"]
    if len(rows) == 1:
        return redirect(rows[0]["url"])
    if not rows and scope_of(request.user).admin:
        return redirect("declarations:index")
    return redirect(f"{reverse('editor:dashboard')}#due-title")


@guarded
@require_POST
def confirm(request, kind: str, pk: int):
    record = _record(kind, pk)
    editing.record_confirm(actor=request.user, record=record)
    messages.success(
        request, _("« %(title)s » est confirmé : toujours exact.") % {"title": str(record)[:120]}
    )
    if request.POST.get("next_url") == "edit":
        return redirect("editor:edit", kind=kind, pk=pk)
    return redirect("editor:dashboard")


@guarded
def export(request, authority: int, fmt: str):
    found = LocalAuthority.objects.filter(pk=authority).first()
    if found is None or fmt not in ("json", "csv"):
        raise Http404
    name = f"{found.slug}-enregistrements"
    if fmt == "csv":
        body = editing_selectors.authority_export_csv(actor=request.user, authority=found)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    data = editing_selectors.authority_export(actor=request.user, authority=found)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


# --------------------------------------------------------------------------- record forms


def _save(request, kind: str, record, form):
    """Run the write; returns the saved record, or None with the errors on the form."""
    spec = SPECS[kind]
    try:
        with transaction.atomic():
            kwargs = form.to_kwargs(creating=record is None)
            if record is None:
                saved = spec.create(request.user, kwargs)
            else:
                saved = spec.update(request.user, record, form.cleaned_data.get("version"), kwargs)
            if "submit" in request.POST:
                saved = editing.record_submit(actor=request.user, record=saved)
    except Conflict:
        raise
    except AppError as exc:
        form_add_app_error(form, exc)
        return None
    return saved


@guarded
def record_edit(request, kind: str, pk: int | None = None):
    if kind not in SPECS:
        raise Http404
    record = _record(kind, pk) if pk is not None else None
    if record is None:
        _require_role(request.user)
    else:
        require("edit", user=request.user, record=record)
    conflict = None
    status = 200
    if request.method == "POST":
        form = build_form(kind, record=record, data=request.POST, user=request.user)
        if form.is_valid():
            try:
                saved = _save(request, kind, record, form)
            except Conflict as exc:
                conflict, status, saved = exc, 409, None
            if saved is not None and getattr(saved, "pending_revision", None) is not None:
                messages.info(
                    request,
                    _(
                        "Modification enregistrée, en attente de validation : "
                        "le public voit la version publiée jusqu'à ce que le "
                        "ministère ou l'ambassade la valide."
                    ),
                )
                return redirect("editor:edit", kind=kind, pk=saved.pk)
            if saved is not None:
                messages.success(
                    request,
                    _("Enregistré (version %(v)s).") % {"v": saved.version}
                    if saved.publication_status != PublicationStatus.SUBMITTED
                    else _("Enregistré et soumis pour publication."),
                )
                return redirect("editor:edit", kind=kind, pk=saved.pk)
        else:
            form.add_resolver_errors()  # all the errors at once, not the next one after a fix
        if status == 200 and form.errors:
            status = 422
    else:
        form = build_form(kind, record=record, user=request.user)
    return _record_page(request, kind, record, form, conflict=conflict, status=status)


def _record_page(
    request,
    kind: str,
    record,
    form,
    *,
    conflict=None,
    status: int = 200,
    document_form: DocumentUploadForm | None = None,
) -> HttpResponse:
    documents = None
    if record is not None and kind in DOCUMENT_KINDS:
        documents = {
            "rows": documents_for(user=request.user, record=record),
            "form": document_form or DocumentUploadForm(),
            "accept": DocumentUploadForm.ACCEPT,
        }
    return render(
        request,
        "editor/record_form.html",
        {
            "form": form,
            "kind": kind,
            "record": record,
            "conflict": conflict,
            "title": str(record)[:120] if record else SPECS[kind].new_label,
            "warnings": _compliance_warnings(record) if record else [],
            "can_delete": record is not None and can_delete(user=request.user, record=record),
            "can_submit": (
                record is None
                or (
                    record.publication_status == PublicationStatus.DRAFT
                    and can_submit(user=request.user, record=record)
                )
            ),
            "is_project": kind == "projets",
            "map_status": (
                project_map_status(project=record) if kind == "projets" and record is not None else None
            ),
            "documents": documents,
            "pending_revision": (
                revision := editing.pending_revision(record) if record is not None else None
            ),
            "pending_changed": changed_labels(kind, revision.after) if revision is not None else [],
        },
        status=status,
    )


# --------------------------------------------------------------------------- documents


@guarded
@require_POST
def document_add(request, kind: str, pk: int):
    """Attach a file to a convention, project or partnership; a refused file comes back on
    the upload form of the edit page (422), with nothing stored."""
    if kind not in DOCUMENT_KINDS:
        raise Http404
    record = _record(kind, pk)
    # Checked before the body is read: an out-of-scope person learns nothing from the file.
    require("edit", user=request.user, record=record)
    document_form = DocumentUploadForm(data=request.POST, files=request.FILES)
    if document_form.is_valid():
        try:
            document = document_upload(
                actor=request.user,
                record=record,
                file=document_form.cleaned_data["file"],
                title=document_form.cleaned_data["title"],
            )
        except PermissionDenied:
            raise
        except AppError as exc:
            form_add_app_error(document_form, exc)
        else:
            messages.success(request, _("Document « %(name)s » ajouté.") % {"name": str(document)[:120]})
            return redirect(f"{reverse('editor:edit', args=[kind, pk])}#documents")
    return _record_page(
        request, kind, record, build_form(kind, record=record), document_form=document_form, status=422
    )


@guarded
@require_POST
def record_delete(request, kind: str, pk: int):
    record = _record(kind, pk)
    try:
        editing.record_delete(actor=request.user, record=record, version=request.POST.get("version"))
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("editor:edit", kind=kind, pk=pk)
    messages.success(
        request,
        _(
            "« %(title)s » est supprimé ; vous pouvez le rétablir depuis "
            "la liste des enregistrements supprimés."
        )
        % {"title": str(record)[:120]},
    )
    return redirect("editor:deleted")


# --------------------------------------------------------------------------- financing plan


def _line_order(item) -> tuple:
    """Removals first, then lowered amounts, then raised ones, then new lines: the budget
    check runs line by line, so a plan that fits at the end also fits on the way."""
    form, line = item
    cd = form.cleaned_data
    if line is None:
        return (3, 0)
    if cd.get("remove"):
        return (0, 0)
    delta = (cd.get("amount") or Decimal(0)) - line.amount
    return (1, delta) if delta <= 0 else (2, delta)


def _funding_apply(request, project, formset, lines: dict) -> tuple[FundingLineForm | None, AppError | None]:
    pending = []
    for form in formset.forms:
        if form.is_blank:
            continue
        line_id = form.cleaned_data.get("id")
        line = lines.get(line_id) if line_id else None
        if line_id and line is None:
            raise Http404
        pending.append((form, line))
    current = None
    try:
        with transaction.atomic():
            for form, line in sorted(pending, key=_line_order):
                current = form
                _funding_apply_line(request.user, project, form, line)
            current = None
            if "submit" in request.POST:
                editing.record_submit(actor=request.user, record=Project.objects.get(pk=project.pk))
    except AppError as exc:
        return current, exc
    return None, None


def _funding_apply_line(actor, project, form, line) -> None:
    cd = form.cleaned_data
    if line is None:
        if cd.get("amount") is None:
            raise AppError(_("Donnez le montant de cette ligne."), field="amount")
        editing.funding_add(
            actor=actor,
            project=project,
            amount=cd["amount"],
            instrument=cd["instrument"],
            currency=cd["currency"],
            nature=cd["nature"],
            year=cd.get("year"),
            note=cd.get("note") or "",
            **form.funder_kwargs(),
        )
        return
    if cd.get("remove"):
        editing.record_delete(actor=actor, record=line, version=cd.get("version"))
        return
    if cd.get("amount") is None:
        raise AppError(_("Donnez le montant, ou cochez « Retirer » pour enlever la ligne."), field="amount")
    funder = form.funder_kwargs()
    changed = {
        "amount": cd["amount"] != line.amount,
        "nature": cd["nature"] != line.nature,
        "note": (cd.get("note") or "") != line.note,
        "funder": (funder.get("funder_authority"), funder.get("funder_organisation"))
        != (line.funder_authority, line.funder_organisation),
        "instrument": cd["instrument"] != line.instrument,
        "year": cd.get("year") != line.year,
    }
    if not any(changed.values()):
        return
    editing.funding_update(
        actor=actor,
        line=line,
        version=cd.get("version"),
        amount=cd["amount"],
        nature=cd["nature"],
        note=cd.get("note") or "",
        instrument=cd["instrument"],
        year=cd.get("year"),
        **(funder if changed["funder"] else {}),
    )


def _funding_formset(data=None, lines=()):
    initial = [FundingLineForm.initial_from(x) for x in lines]
    if data is not None:
        # An existing line's funder, instrument or year left out of the request (an older
        # page, a script) keeps its value; sent empty, it is read as typed.
        data = data.copy()
        for i, values in enumerate(initial):
            for name in ("funder", "instrument", "year"):
                key = f"lines-{i}-{name}"
                if key not in data and data.get(f"lines-{i}-id") == str(values["id"]):
                    data[key] = "" if values[name] is None else str(values[name])
    formset = FundingFormSet(data=data, initial=initial, prefix="lines")
    for form in formset.forms:
        if form.initial.get("id"):
            # Funder, instrument and year can be corrected; the currency stays (the plan's
            # totals and the budget check are per currency).
            form.fields["currency"].disabled = True
    return formset


@guarded
def funding_edit(request, pk: int):
    project = _record("projets", pk)
    require("edit", user=request.user, record=project)
    lines = {
        x.pk: x
        for x in project.funding.select_related("funder_authority", "funder_organisation").order_by("pk")
    }
    conflict, page_error, status = None, None, 200
    if request.method == "POST":
        formset = _funding_formset(request.POST, lines.values())
        if formset.is_valid():
            form, exc = _funding_apply(request, project, formset, lines)
            if exc is None:
                messages.success(request, _("Plan de financement enregistré."))
                return redirect("editor:funding", pk=project.pk)
            if isinstance(exc, Conflict):
                conflict, status = exc, 409
            elif form is not None:
                form_add_app_error(form, exc)
                status = 422
            else:
                page_error, status = exc.message, 422
        else:
            status = 422
        rows = [
            {
                "amount": f.cleaned_data.get("amount"),
                "nature": f.cleaned_data.get("nature"),
                "currency": f.cleaned_data.get("currency") or project.currency,
            }
            for f in formset.forms
            if hasattr(f, "cleaned_data") and not f.cleaned_data.get("remove")
        ]
    else:
        formset = _funding_formset(None, lines.values())
        rows = [{"amount": x.amount, "nature": x.nature, "currency": x.currency} for x in lines.values()]
    totals = funding_totals(lines=rows, budget=project.budget, currency=project.currency)
    return render(
        request,
        "editor/funding_form.html",
        {
            "project": project,
            "formset": formset,
            "totals": totals,
            "conflict": conflict,
            "page_error": page_error,
            "title": _("Plan de financement"),
            "can_submit": (
                project.publication_status == PublicationStatus.DRAFT
                and can_submit(user=request.user, record=project)
            ),
        },
        status=status,
    )


# --------------------------------------------------------------------------- review


@guarded
def review(request):
    scope = scope_of(request.user)
    if not (scope.admin or scope.countries):
        raise PermissionDenied(
            _(
                "La validation des publications est réservée aux "
                "administrateurs du ministère et aux ambassades."
            ),
            field="user",
        )
    return render(
        request,
        "editor/review.html",
        {
            "rows": [
                {**selectors.review_details(row), "warnings": _compliance_warnings(row["record"])}
                for row in selectors.review_queue(user=request.user)
            ],
            "return_form": ReturnForm(),
            "title": _("Publications à valider"),
        },
    )


@guarded
@require_POST
def review_decide(request, kind: str, pk: int):
    record = _record(kind, pk)
    action = request.POST.get("action")
    revision = editing.pending_revision(record) if record.publication_status == "published" else None
    try:
        if revision is not None and action in ("publish", "return"):
            _revision_decide(request, record, revision, action)
        elif action == "publish":
            editing.record_publish(actor=request.user, record=record)
            messages.success(request, _("« %(t)s » est publié.") % {"t": str(record)[:120]})
        elif action == "return":
            editing.record_return(actor=request.user, record=record, comment=request.POST.get("comment", ""))
            messages.success(request, _("« %(t)s » est renvoyé à son rédacteur.") % {"t": str(record)[:120]})
        else:
            raise AppError(_("Choisissez « Publier » ou « Renvoyer »."), field="action")
    except PermissionDenied:
        raise
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect("editor:review")


def _revision_decide(request, record, revision, action: str) -> None:
    """A published record's pending change: publish (apply) it or return it."""
    if action == "publish":
        editing.revision_apply(actor=request.user, revision=revision)
        messages.success(request, _("La modification de « %(t)s » est publiée.") % {"t": str(record)[:120]})
    else:
        editing.revision_return(
            actor=request.user, revision=revision, comment=request.POST.get("comment", "")
        )
        messages.success(
            request,
            _(
                "La modification de « %(t)s » est renvoyée à son "
                "rédacteur ; la version publiée reste en ligne."
            )
            % {"t": str(record)[:120]},
        )


# --------------------------------------------------------------------------- history


def _fmt(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return str(value)


@guarded
def history(request, kind: str, pk: int):
    model = KINDS.get(kind)
    record = model.objects.filter(pk=pk).first() if model else None
    if record is None:
        raise Http404
    if request.method == "POST":
        try:
            editing.record_restore(
                actor=request.user,
                record=record,
                to_version=parse_id(request.POST.get("to_version", ""), field="to_version"),
                version=request.POST.get("version") or None,
            )
            messages.success(request, _("Version %(v)s restaurée.") % {"v": request.POST.get("to_version")})
        except PermissionDenied:
            raise
        except AppError as exc:
            messages.error(request, exc.message)
        return redirect("editor:history", kind=kind, pk=pk)
    rows = editing_selectors.record_history(actor=request.user, record=record)
    for row in rows:
        keys = sorted(set(row["before"]) | set(row["after"]))
        row["fields"] = [
            {"name": k, "before": _fmt(row["before"].get(k)), "after": _fmt(row["after"].get(k))}
            for k in keys
        ]
    return render(
        request,
        "editor/history.html",
        {
            "record": record,
            "kind": kind,
            "rows": rows,
            "title": _("Historique"),
            "can_restore": can_restore(user=request.user, record=record),
        },
    )


@guarded
def deleted(request):
    _require_role(request.user)
    return render(
        request,
        "editor/deleted.html",
        {"rows": selectors.deleted_records(user=request.user), "title": _("Enregistrements supprimés")},
    )


@guarded
@require_POST
def undelete(request, kind: str, pk: int):
    record = _record(kind, pk, deleted=True)
    editing.record_undelete(actor=request.user, record=record)
    messages.success(request, _("« %(t)s » est rétabli.") % {"t": str(record)[:120]})
    return redirect("editor:edit", kind=kind, pk=pk)


def edit_url_of(record) -> str | None:
    """The edit page of a record (used by the templates and other apps' links)."""
    if isinstance(record, FundingContribution):
        return reverse("editor:funding", args=[record.project_id])
    kind = KIND_OF_MODEL.get(type(record))
    return reverse("editor:edit", args=[kind, record.pk]) if kind else None
