"""Edits made by people: the write services of `services.py`, with an actor.

Every function here is one transaction that
1. checks the actor's permission (`coopatlas.accounts.permissions`), before the write and,
   for creates and updates, on the result (nobody moves a record out of their own scope);
2. checks the version the actor read: `UPDATE … SET version = version + 1 WHERE version =
   sent` runs first, so of two concurrent saves of the same version exactly one matches;
   the other gets `Conflict` (HTTP 409) listing the fields changed meanwhile;
3. calls the existing write service, which validates and saves;
4. records a `core.Change` (who, when, fields before and after, a full snapshot).
Anything raised rolls everything back: nothing half-written, no version consumed.

Workflow: created records start as drafts; draft → submitted (anyone who may edit) →
published (administrator, or embassy for its country) → archived; a publisher may return a
submitted record to draft with a comment. An edit to a published record by someone who
may not publish it waits as a pending `Revision` (the public keeps the published version)
until a publisher applies or returns it, except when it changes only minor fields
(data/minor_fields.yaml); the ministry's and the record's embassy's edits apply at once.
A project's financing lines follow the project's publication state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopatlas.accounts.permissions import (
    PermissionDenied,
    can_edit,
    can_publish,
    require,
    scope_of,
)
from coopatlas.core import history
from coopatlas.core.errors import AppError, Conflict, NotFound, PreconditionRequired
from coopatlas.core.models import Change, Revision, Source
from coopatlas.core.selectors import DECLARATION_KEY  # the document of declared facts
from coopatlas.core.services import source_cite, source_document_get_or_create

from . import services
from .models import (
    Contact,
    Convention,
    FundingContribution,
    Organisation,
    PartnerRequest,
    Partnership,
    Project,
    PublicationStatus,
)

DRAFT, SUBMITTED = PublicationStatus.DRAFT, PublicationStatus.SUBMITTED
PUBLISHED, ARCHIVED = PublicationStatus.PUBLISHED, PublicationStatus.ARCHIVED
CONFIRM_MONTHS = 12


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class SourceRef:
    """A citation asked for by a caller (API, form), cited only inside the write's
    transaction: a refused write must not leave a `Source` row behind."""

    url: str = ""
    quote: str = ""

    def cite(self) -> Source:
        return source_cite(url=self.url, quote=self.quote)


def declared_source() -> Source:
    """The source of what a signed-in user declares without citing a document.
    Call it inside a transaction (it may create the document and the citation)."""
    document = source_document_get_or_create(
        key=DECLARATION_KEY,
        title="Déclaration d'un utilisateur de l'atlas",
        publisher="Atlas de la coopération décentralisée",
    )
    return source_cite(document=document)


__all__ = ["Conflict", "SourceRef"]  # Conflict lives in core.errors; kept importable here


def _version(value, record: Model | None = None) -> int:
    """The version a change was made on: a number, or the record's ETag
    (`"partnership-12-v3"`, as GET answers it) sent back in If-Match."""
    if value is None or value == "":
        raise PreconditionRequired(
            _(
                "version : envoyez la version de l'enregistrement que vous avez lue (champ "
                "« version », paramètre ?version= ou en-tête If-Match avec l'ETag de la lecture) ; "
                "elle évite d'écraser la modification d'un autre."
            ),
            field="version",
        )
    try:
        number = history.version_from_etag(value, record)
    except ValueError as exc:
        raise AppError(
            _(
                "version : « %(value)s » n'est pas un numéro de version ; envoyez le "
                "nombre entier lu avec l'enregistrement."
            )
            % {"value": str(value)[:20]},
            field="version",
        ) from exc
    if number < 1:
        raise AppError(_("version : un numéro de version commence à 1."), field="version")
    return number


def _lock(record: Model, version) -> Model:
    """Take the version: the first save of version N wins, any other gets Conflict."""
    sent = _version(version, record)
    model = type(record)
    won = model.objects.filter(pk=record.pk, version=sent, deleted_at__isnull=True).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    current = model.objects.get(pk=record.pk)
    if won:
        return current
    if current.deleted_at:
        raise Conflict(
            _("%(model)s « %(record)s » a été supprimé entre-temps ; rien n'a été enregistré.")
            % {"model": record._meta.verbose_name, "record": str(current)[:80]},
            version=current.version,
            changes={"deleted_at": {"was": None, "now": str(current.deleted_at)}},
        )
    changes = history.changes_since(record=current, version=sent)
    fields = ", ".join(changes) or _("état de publication")
    raise Conflict(
        _(
            "%(model)s « %(record)s » a été modifié depuis la version %(sent)s que vous "
            "avez lue (version actuelle %(current)s) ; champs modifiés entre-temps : "
            "%(fields)s. Rechargez-le, reportez vos changements et enregistrez à "
            "nouveau : rien n'a été écrit."
        )
        % {
            "model": record._meta.verbose_name,
            "record": str(current)[:80],
            "sent": sent,
            "current": current.version,
            "fields": fields,
        },
        version=current.version,
        changes=changes,
    )


def _status_for(record: Model) -> str:
    if isinstance(record, FundingContribution):
        return record.project.publication_status
    return DRAFT


def _create(*, actor, create: Callable[[Source], Model], source: Source | SourceRef | None) -> Model:
    with transaction.atomic():
        if not scope_of(actor).any_role:
            raise PermissionDenied(
                _(
                    "Seul un compte doté d'un rôle (rédacteur, animateur, "
                    "ambassade, administrateur) peut créer un enregistrement ; "
                    "demandez un rôle à un administrateur."
                ),
                field="user",
            )
        record = create(_cite(source) or declared_source())
        record.publication_status = _status_for(record)
        record.confirmed_at = timezone.now()
        record.save(update_fields=["publication_status", "confirmed_at"])
        require("create", user=actor, record=record)
        history.change_record(
            record=record, action=Change.Action.CREATE, user=actor, before={}, after=history.snapshot(record)
        )
    return record


def _update(
    *,
    actor,
    record: Model,
    version,
    save: Callable[[Model], Model],
    kwargs: dict | None = None,
    review: bool = True,
) -> Model:
    """`kwargs` are the fields `save` passes on: a `SourceRef` among them is cited here,
    inside the transaction, after the permission check.

    On a published record, a change by someone who may not publish it is kept as a
    pending `Revision` (the record and its version do not change; see `_propose`)."""
    with transaction.atomic():
        require("edit", user=actor, record=record)
        if kwargs is not None and isinstance(kwargs.get("source"), SourceRef):
            kwargs["source"] = kwargs["source"].cite()
        if review and _needs_review(actor=actor, record=record):
            proposed = _propose(actor=actor, record=record, version=version, save=save)
            if proposed is not None:
                return proposed
        fresh = _lock(record, version)
        before = history.snapshot(fresh)
        saved = save(fresh)
        saved.confirmed_at = timezone.now()  # an edit confirms the record is up to date
        saved.save(update_fields=["confirmed_at"])
        require("edit", user=actor, record=saved)
        history.change_record(
            record=saved,
            action=Change.Action.UPDATE,
            user=actor,
            before=before,
            after=history.snapshot(saved),
        )
    return saved


# --------------------------------------------------------------------------- review

MINOR_FIELDS_FILE = Path(__file__).resolve().parent / "data" / "minor_fields.yaml"
REVIEWED = frozenset(
    {
        "partnership",
        "convention",
        "project",
        "fundingcontribution",
        "organisation",
        "partnerrequest",
        "contact",
    }
)


@lru_cache(maxsize=1)
def minor_fields() -> dict[str, frozenset[str]]:
    """Per model, the fields whose change applies at once (data/minor_fields.yaml)."""
    data = yaml.safe_load(MINOR_FIELDS_FILE.read_text(encoding="utf-8")) or {}
    return {k: frozenset(v or ()) for k, v in data.items() if not k.startswith("_")}


def _needs_review(*, actor, record: Model) -> bool:
    """Published records change only through validation, except by those who validate
    them (the ministry everywhere, an embassy in its country)."""
    return (
        record._meta.model_name in REVIEWED
        and record.publication_status == PUBLISHED
        and not can_publish(user=actor, record=record)
    )


def pending_revision(record: Model) -> Revision | None:
    return Revision.objects.filter(
        model=history.model_label(record), object_id=record.pk, status=Revision.Status.PENDING
    ).first()


def _propose(*, actor, record: Model, version, save: Callable[[Model], Model]) -> Model | None:
    """Keep the change as a pending revision: the save runs in a savepoint that is rolled
    back, its result kept as a snapshot. Returns the unchanged record (with
    `pending_revision` set), or None when every changed field is minor (then the caller
    saves as usual). A newer proposal replaces an older pending one."""
    sent = _version(version, record)
    current = type(record).objects.get(pk=record.pk)
    if current.version != sent or current.deleted_at:
        _lock(record, version)  # raises the usual Conflict: nothing is written
    before = history.snapshot(current)
    savepoint = transaction.savepoint()
    try:
        saved = save(current)
        require("edit", user=actor, record=saved)  # nobody proposes out of their scope
        after = history.snapshot(saved)
    finally:
        transaction.savepoint_rollback(savepoint)
    changed_before, changed_after = history.diff(before, after)
    current = type(record).objects.get(pk=record.pk)
    if not changed_after or set(changed_after) <= minor_fields().get(record._meta.model_name, frozenset()):
        return None
    label = history.model_label(record)
    Revision.objects.filter(model=label, object_id=record.pk, status=Revision.Status.PENDING).update(
        status=Revision.Status.SUPERSEDED,
        decided_at=timezone.now(),
        decided_by_email=getattr(actor, "email", ""),
    )
    current.pending_revision = Revision.objects.create(
        model=label,
        object_id=record.pk,
        base_version=sent,
        data=after,
        before=changed_before,
        after=changed_after,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_by_email=getattr(actor, "email", "") or "",
    )
    return current


def _revision_record(revision: Revision) -> Model:
    from django.apps import apps

    model = apps.get_model(revision.model)
    record = model.objects.filter(pk=revision.object_id).first()
    if record is None:
        raise NotFound(_("La fiche de cette révision n'existe plus."), field="revision")
    return record


def _revision_pending(revision: Revision) -> None:
    if revision.status != Revision.Status.PENDING:
        raise Conflict(
            _("Cette révision n'est plus en attente (%(status)s) : rien n'a été fait.")
            % {"status": revision.get_status_display()},
            field="revision",
        )


def revision_apply(*, actor, revision: Revision) -> Model:
    """Publish a pending revision: the record takes its content (a new version); the
    history records the proposer and the reviewer. If the record changed since the
    revision was made on it, Conflict: return it so that the editor starts again."""
    with transaction.atomic():
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        record = _revision_record(revision)
        require("publish", user=actor, record=record)
        _revision_pending(revision)
        fresh = _lock(record, revision.base_version)
        fresh.confirmed_at = timezone.now()  # a validated change counts as a confirmation
        _state_apply(
            record=fresh,
            data=revision.data,
            actor=actor,
            action=Change.Action.UPDATE,
            comment=_("révision n° %(id)s proposée par %(by)s, validée")
            % {"id": revision.pk, "by": revision.created_by_email or "?"},
        )
        revision.status = Revision.Status.APPLIED
        revision.decided_by_email = getattr(actor, "email", "") or ""
        revision.decided_at = timezone.now()
        revision.save(update_fields=["status", "decided_by_email", "decided_at"])
    return fresh


def revision_return(*, actor, revision: Revision, comment: str) -> Revision:
    """Send a pending revision back to its author with what to correct; the record keeps
    its published content."""
    comment = (comment or "").strip()
    with transaction.atomic():
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        record = _revision_record(revision)
        require("return", user=actor, record=record)
        _revision_pending(revision)
        if not comment:
            raise AppError(_("comment : dites au rédacteur ce qu'il doit corriger."), field="comment")
        revision.status = Revision.Status.RETURNED
        revision.comment = comment
        revision.decided_by_email = getattr(actor, "email", "") or ""
        revision.decided_at = timezone.now()
        revision.save(update_fields=["status", "comment", "decided_by_email", "decided_at"])
    return revision


def _cite(source: Source | SourceRef | None) -> Source | None:
    return source.cite() if isinstance(source, SourceRef) else source


def _source(kwargs: dict) -> Source | SourceRef | None:
    """The citation a create was given (cited later, in its transaction), or None for
    the user's declaration."""
    return kwargs.pop("source", None)


# --------------------------------------------------------------------------- entities


def partnership_create(*, actor, **kwargs) -> Partnership:
    """A French party `actor` does not speak for (the partnership recorded by an embassy or
    the ministry) is asked to confirm it (partner_side.french_confirmation_request)."""
    from .partner_side import french_confirmation_request

    source = _source(kwargs)
    with transaction.atomic():
        partnership = _create(
            actor=actor,
            source=source,
            create=lambda cited: services.partnership_create(source=cited, **kwargs),
        )
        french_confirmation_request(actor=actor, partnership=partnership)
    return partnership


def partnership_update(*, actor, partnership: Partnership, version, **kwargs) -> Partnership:
    """A French party added by someone who does not speak for it is asked to confirm."""
    from .partner_side import french_confirmation_request

    with transaction.atomic():
        before = set(partnership.party_links.values_list("authority_id", flat=True))
        saved = _update(
            actor=actor,
            record=partnership,
            version=version,
            kwargs=kwargs,
            save=lambda r: services.partnership_update(partnership=r, **kwargs),
        )
        if kwargs.get("parties") is not None and isinstance(saved, Partnership):
            french_confirmation_request(actor=actor, partnership=saved, skip=before)
    return saved


def convention_create(*, actor, partnership: Partnership, **kwargs) -> Convention:
    source = _source(kwargs)
    return _create(
        actor=actor,
        source=source,
        create=lambda cited: services.convention_create(partnership=partnership, source=cited, **kwargs),
    )


def convention_update(*, actor, convention: Convention, version, **kwargs) -> Convention:
    return _update(
        actor=actor,
        record=convention,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.convention_update(convention=r, **kwargs),
    )


def _require_partnership_consent(*, actor, project: Project | None, kwargs: dict) -> None:
    """Linking a project to a partnership speaks for the partnership's authorities (the
    project then shows on their partnership's fiche and enters their editors' scope), so
    only someone who may edit that partnership makes the link: an editor of one of its
    authorities, or the ministry. Decision (issue 8): refuse, rather than keep a pending
    link; the other authority's editor, or an administrator, makes it. Links already
    there stay."""
    wanted = (kwargs.get("links") or {}).get("partnerships")
    if not wanted:
        return
    have = set(project.partnerships.values_list("pk", flat=True)) if project else set()
    for partnership in wanted:
        if partnership.pk not in have and not can_edit(user=actor, record=partnership):
            # the slug is the caller's own input; the partnership's title may be a draft's
            raise PermissionDenied(
                _(
                    "partnerships : « %(slug)s » n'est pas un partenariat de vos collectivités ; "
                    "un projet ne se rattache au partenariat d'une autre collectivité qu'avec son "
                    "accord : demandez à un rédacteur de cette collectivité (ou au ministère) de "
                    "faire le rattachement."
                )
                % {"slug": partnership.slug[:80]},
                field="partnerships",
            )


def project_create(*, actor, **kwargs) -> Project:
    source = _source(kwargs)
    _require_partnership_consent(actor=actor, project=None, kwargs=kwargs)
    return _create(
        actor=actor, source=source, create=lambda cited: services.project_create(source=cited, **kwargs)
    )


def project_update(*, actor, project: Project, version, **kwargs) -> Project:
    _require_partnership_consent(actor=actor, project=project, kwargs=kwargs)
    return _update(
        actor=actor,
        record=project,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.project_update(project=r, **kwargs),
    )


def funding_add(*, actor, project: Project, **kwargs) -> FundingContribution:
    """A financing line; allowed to whoever may edit the project (checked on the line)."""
    source = _source(kwargs)
    return _create(
        actor=actor,
        source=source,
        create=lambda cited: services.funding_add(project=project, source=cited, **kwargs),
    )


def funding_update(*, actor, line: FundingContribution, version, amount, **kwargs) -> FundingContribution:
    kwargs.setdefault("source", None)
    return _update(
        actor=actor,
        record=line,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.funding_update(
            line=r, amount=amount, **{**kwargs, "source": kwargs["source"] or r.source}
        ),
    )


def payment_add(*, actor, line: FundingContribution, **kwargs):
    """A payment on a financing line (disbursement, expenditure…): whoever may edit the
    line's project records it; it follows the project's publication like the line."""
    source = _source(kwargs)
    with transaction.atomic():
        require("edit", user=actor, record=line.project)
        payment = services.payment_add(line=line, source=_cite(source) or declared_source(), **kwargs)
        after = history.snapshot(payment)
        history.change_record(record=payment, action=Change.Action.CREATE, user=actor, before={}, after=after)
    return payment


def payment_remove(*, actor, payment) -> None:
    with transaction.atomic():
        require("edit", user=actor, record=payment.line.project)
        before = history.snapshot(payment)
        history.change_record(
            record=payment, action=Change.Action.DELETE, user=actor, before=before, after={}
        )
        services.payment_remove(payment=payment)


def organisation_create(*, actor, **kwargs) -> Organisation:
    source = _source(kwargs)
    return _create(
        actor=actor, source=source, create=lambda cited: services.organisation_create(source=cited, **kwargs)
    )


def organisation_update(*, actor, organisation: Organisation, version, **kwargs) -> Organisation:
    return _update(
        actor=actor,
        record=organisation,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.organisation_update(organisation=r, **kwargs),
    )


def partner_request_create(*, actor, **kwargs) -> PartnerRequest:
    source = _source(kwargs)
    return _create(
        actor=actor,
        source=source,
        create=lambda cited: services.partner_request_create(source=cited, **kwargs),
    )


def partner_request_update(*, actor, request: PartnerRequest, version, **kwargs) -> PartnerRequest:
    return _update(
        actor=actor,
        record=request,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.partner_request_update(request=r, **kwargs),
    )


def programme_update(*, actor, programme, version, **kwargs):
    """Its carrier edits a programme (countries, themes, duration, members, costs, what a
    member brings and gets); `accounts.permissions.can_edit` says who carries it."""
    return _update(
        actor=actor,
        record=programme,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.programme_update(programme=r, **kwargs),
    )


def contact_create(*, actor, **kwargs) -> Contact:
    source = _source(kwargs)
    return _create(
        actor=actor, source=source, create=lambda cited: services.contact_create(source=cited, **kwargs)
    )


def contact_update(*, actor, contact: Contact, version, **kwargs) -> Contact:
    return _update(
        actor=actor,
        record=contact,
        version=version,
        kwargs=kwargs,
        save=lambda r: services.contact_update(contact=r, **kwargs),
    )


PERSONAL_FIELDS = ("name", "email", "phone")


def contact_erase(*, actor, contact: Contact, version) -> Contact:
    """Remove a person's details on request; the role stays, so records citing it hold.
    The history is scrubbed too: an erased e-mail must not survive in old snapshots."""
    with transaction.atomic():
        # an erasure on request applies at once, published or not (no review)
        saved = _update(
            actor=actor,
            record=contact,
            version=version,
            review=False,
            save=lambda r: services.contact_update(contact=r, **dict.fromkeys(PERSONAL_FIELDS, "")),
        )
        for change in Change.objects.filter(model=history.model_label(saved), object_id=saved.pk):
            for part in (change.before, change.after, change.snapshot):
                for name in PERSONAL_FIELDS:
                    if part.get(name):
                        part[name] = ""
            change.save(update_fields=["before", "after", "snapshot"])
    return saved


# --------------------------------------------------------------------------- delete, restore


def record_delete(*, actor, record: Model, version) -> Model:
    """Reversible: the row stays, marked deleted; `record_undelete` brings it back.
    A financing line is removed for real (the budget check counts every line); its last
    snapshot in the history lets `funding_undelete` recreate it."""
    with transaction.atomic():
        require("delete", user=actor, record=record)
        fresh = _lock(record, version)
        if isinstance(fresh, FundingContribution):
            before = history.snapshot(fresh)
            history.change_record(
                record=fresh, action=Change.Action.DELETE, user=actor, before=before, after={}
            )
            services.funding_remove(line=fresh)
            return fresh
        before = history.workflow_state(fresh)
        fresh.deleted_at = timezone.now()
        fresh.save(update_fields=["deleted_at"])
        history.change_record(
            record=fresh,
            action=Change.Action.DELETE,
            user=actor,
            before=before,
            after=history.workflow_state(fresh),
        )
    return fresh


def record_undelete(*, actor, record: Model) -> Model:
    with transaction.atomic():
        require("undelete", user=actor, record=record)
        if record.deleted_at is None:
            raise AppError(
                _("%(model)s « %(record)s » n'est pas supprimé : il n'y a rien à rétablir.")
                % {"model": record._meta.verbose_name, "record": str(record)[:80]},
                field="deleted_at",
            )
        model = type(record)
        model.objects.filter(pk=record.pk).update(version=F("version") + 1, deleted_at=None)
        fresh = model.objects.get(pk=record.pk)
        history.change_record(
            record=fresh,
            action=Change.Action.UNDELETE,
            user=actor,
            before=history.workflow_state(record),
            after=history.workflow_state(fresh),
        )
    return fresh


def funding_undelete(*, actor, line_id: int) -> FundingContribution:
    """Recreate a removed financing line, with its id, from its last snapshot."""
    last = (
        Change.objects.filter(model="cooperation.fundingcontribution", object_id=line_id)
        .order_by("-at", "-id")
        .first()
    )
    if last is None or last.action != Change.Action.DELETE:
        raise NotFound(
            _(
                "id : aucune ligne de financement supprimée n° %(id)s dans "
                "l'historique ; vérifiez le numéro de la ligne."
            )
            % {"id": line_id},
            field="id",
        )
    with transaction.atomic():
        line = FundingContribution(pk=line_id, version=last.version + 1)
        history.snapshot_apply(line, last.snapshot)
        line.publication_status = _status_for(line)
        _full_clean(line)
        line.save(force_insert=True)
        require("undelete", user=actor, record=line)  # on the saved line; rolled back if not
        history.change_record(
            record=line, action=Change.Action.UNDELETE, user=actor, before={}, after=history.snapshot(line)
        )
    return line


def _state_apply(*, record: Model, data: dict, actor, action: str, comment: str) -> None:
    """Put a whole snapshot on a locked record (a validated revision, a restored version):
    validated, saved with its relations, and logged in the history."""
    before = history.snapshot(record)
    history.snapshot_apply(record, data)
    _full_clean(record)
    record.save()
    history.snapshot_apply_relations(record, data)
    after = history.snapshot(record)
    history.change_record(
        record=record, action=action, user=actor, before=before, after=after, comment=comment
    )


def _full_clean(record: Model) -> None:
    try:
        record.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        field, messages = next(iter(errors.items()))
        raise AppError(
            _(
                "Cette version ne peut pas être rétablie telle quelle (%(field)s : "
                "%(messages)s) ; corrigez l'enregistrement actuel à la main."
            )
            % {"field": field, "messages": " ".join(messages)},
            field=field,
            errors={k: list(v) for k, v in errors.items()},
        ) from exc


def record_restore(*, actor, record: Model, to_version: int, version=None) -> Model:
    """Bring back the content of an earlier version (a new version, logged as a restore)."""
    with transaction.atomic():
        require("restore", user=actor, record=record)
        target = (
            Change.objects.filter(model=history.model_label(record), object_id=record.pk, version=to_version)
            .exclude(snapshot={})
            .order_by("-at", "-id")
            .first()
        )
        if target is None:
            known = sorted(
                set(
                    Change.objects.filter(model=history.model_label(record), object_id=record.pk).values_list(
                        "version", flat=True
                    )
                )
            )
            raise AppError(
                _(
                    "to_version : aucune version %(version)s enregistrée dans "
                    "l'historique ; versions disponibles : %(known)s."
                )
                % {"version": to_version, "known": ", ".join(map(str, known)) or _("aucune")},
                field="to_version",
            )
        fresh = _lock(record, record.version if version is None else version)
        _state_apply(
            record=fresh,
            data=target.snapshot,
            actor=actor,
            action=Change.Action.RESTORE,
            comment=f"version {to_version}",
        )
    return fresh


# --------------------------------------------------------------------------- workflow

TRANSITIONS = {
    # action: (states it starts from, state it leads to)
    "submit": ({DRAFT}, SUBMITTED),
    "publish": ({SUBMITTED}, PUBLISHED),
    "return": ({SUBMITTED}, DRAFT),
    "archive": ({PUBLISHED}, ARCHIVED),
}


def record_transition(*, actor, record: Model, action: str, version=None, comment: str = "") -> Model:
    """Move a record along the publication workflow. `version` is optional here: a status
    change does not overwrite content, but when sent it is checked like any save."""
    if action not in TRANSITIONS:
        raise AppError(
            _("action : « %(action)s » est inconnue ; actions possibles : %(actions)s.")
            % {"action": action[:20], "actions": ", ".join(TRANSITIONS)},
            field="action",
        )
    if isinstance(record, FundingContribution):
        raise AppError(
            _("Une ligne de financement suit la publication de son projet : soumettez ou publiez le projet."),
            field="action",
        )
    sources, target = TRANSITIONS[action]
    comment = (comment or "").strip()
    with transaction.atomic():
        require(action, user=actor, record=record)
        if record.publication_status not in sources:
            raise AppError(
                _(
                    "publication_status : un enregistrement à l'état « %(status)s » ne "
                    "peut pas être %(done)s ; il faut l'état « %(needed)s »."
                )
                % {
                    "status": record.get_publication_status_display(),
                    "done": _DONE[action],
                    "needed": ", ".join(str(PublicationStatus(s).label) for s in sources),
                },
                field="publication_status",
            )
        if action == "return" and not comment:
            raise AppError(_("comment : dites au rédacteur ce qu'il doit corriger."), field="comment")
        fresh = _lock(record, record.version if version is None else version)
        before = history.workflow_state(fresh)
        fresh.publication_status = target
        if action in ("return", "submit"):
            fresh.returned_comment = comment if action == "return" else ""
        fresh.save(update_fields=["publication_status", "returned_comment"])
        if isinstance(fresh, Project):
            fresh.funding.update(publication_status=target)
        history.change_record(
            record=fresh,
            action=Change.Action.STATUS,
            user=actor,
            before=before,
            after=history.workflow_state(fresh),
            comment=comment,
        )
    return fresh


_DONE = {
    "submit": gettext_lazy("soumis"),
    "publish": gettext_lazy("publié"),
    "return": gettext_lazy("renvoyé"),
    "archive": gettext_lazy("archivé"),
}


def record_submit(*, actor, record: Model, version=None) -> Model:
    return record_transition(actor=actor, record=record, action="submit", version=version)


def record_publish(*, actor, record: Model, version=None) -> Model:
    return record_transition(actor=actor, record=record, action="publish", version=version)


def record_return(*, actor, record: Model, comment: str, version=None) -> Model:
    return record_transition(actor=actor, record=record, action="return", version=version, comment=comment)


def record_archive(*, actor, record: Model, version=None) -> Model:
    return record_transition(actor=actor, record=record, action="archive", version=version)


def record_confirm(*, actor, record: Model) -> Model:
    """ "Still true" in one click: no content change, so no new version and no conflict."""
    with transaction.atomic():
        require("confirm", user=actor, record=record)
        if record.deleted_at:
            raise AppError(
                _("Un enregistrement supprimé ne se confirme pas ; rétablissez-le d'abord."),
                field="deleted_at",
            )
        now = timezone.now()
        type(record).objects.filter(pk=record.pk).update(confirmed_at=now)
        record.confirmed_at = now
        Change.objects.create(
            model=history.model_label(record),
            object_id=record.pk,
            version=record.version,
            action=Change.Action.CONFIRM,
            user=actor,
            user_email=actor.email,
            after={"confirmed_at": now.isoformat()},
        )
    return record


def confirm_deadline(now=None):
    return (now or timezone.now()) - timedelta(days=365 * CONFIRM_MONTHS // 12)
