"""Reads for the editing space: the records a person may work on, by publication state,
the review queue, deleted records. Permissions come from `accounts.permissions`; these
querysets only narrow the lists to the person's scope (every write re-checks)."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from coopatlas.accounts.permissions import (
    Scope,
    authority_records_q,
    editable_q,
    publishable_q,
    scope_of,
)
from coopatlas.cooperation.models import (
    Contact,
    Convention,
    Organisation,
    PartnerRequest,
    Partnership,
    Programme,
    Project,
    PublicationStatus,
)
from coopatlas.core.models import Revision
from coopatlas.geo.models import Country, LocalAuthority

# URL segment → model, in the order the dashboard shows them.
KINDS: dict[str, type[Model]] = {
    "partenariats": Partnership,
    "projets": Project,
    "conventions": Convention,
    "acteurs": Organisation,
    "contacts": Contact,
    "demandes": PartnerRequest,
    "programmes": Programme,
}
KIND_OF_MODEL = {model: kind for kind, model in KINDS.items()}
STATES = [
    PublicationStatus.DRAFT,
    PublicationStatus.SUBMITTED,
    PublicationStatus.PUBLISHED,
    PublicationStatus.ARCHIVED,
]
LIST_LIMIT = 50


def _scoped(kind: str, scope: Scope) -> QuerySet:
    """The records of one kind the person may edit: the rule of `accounts.permissions`
    (`editable_q`), not a copy of it."""
    model = KINDS[kind]
    cond = editable_q(scope, model)
    qs = model.objects.all()
    return qs if cond is None else qs.filter(pk__in=model.objects.filter(cond).values("pk"))


def records_for(*, user, kind: str) -> QuerySet:
    """Live records of one kind within the user's scope."""
    return _scoped(kind, scope_of(user)).filter(deleted_at__isnull=True)


def dashboard(*, user) -> dict:
    """What « Mon espace » shows: scope, records by state (counts and the first rows)."""
    scope = scope_of(user)
    authorities = list(LocalAuthority.objects.filter(pk__in=scope.editor_authorities).order_by("name"))
    countries = list(Country.objects.filter(pk__in=scope.countries).order_by("iso2"))
    states = []
    for state in STATES:
        groups = []
        for kind in KINDS:
            qs = (
                _scoped(kind, scope)
                .filter(deleted_at__isnull=True, publication_status=state)
                .order_by("-updated_at")
            )
            count = qs.count()
            if count:
                groups.append(
                    {
                        "kind": kind,
                        "label": KINDS[kind]._meta.verbose_name_plural,
                        "count": count,
                        "records": list(qs[:LIST_LIMIT]),
                    }
                )
        states.append(
            {
                "state": state,
                "label": PublicationStatus(state).label,
                "count": sum(g["count"] for g in groups),
                "groups": groups,
            }
        )
    return {"scope": scope, "authorities": authorities, "countries": countries, "states": states}


def review_queue(*, user) -> list[dict]:
    """Submitted records the user may publish or return (administrators, embassies): one
    query per kind, whatever the number of records (it was one check per record)."""
    scope = scope_of(user)
    if not (scope.admin or scope.countries):
        return []
    rows = []
    for kind, model in KINDS.items():
        cond = publishable_q(scope, model)
        qs = model.objects.filter(publication_status=PublicationStatus.SUBMITTED, deleted_at__isnull=True)
        if cond is not None:
            qs = qs.filter(pk__in=model.objects.filter(cond).values("pk"))
        rows += [
            {"kind": kind, "record": record, "label": model._meta.verbose_name, "revision": None}
            for record in qs.order_by("updated_at")
        ]
        rows += _revision_rows(kind, model, cond)
    return rows


def _revision_rows(kind: str, model: type[Model], cond) -> list[dict]:
    """Pending revisions of published records under `cond` (None: all): two queries."""
    revisions = Revision.objects.filter(model=model._meta.label_lower, status=Revision.Status.PENDING)
    if cond is not None:
        revisions = revisions.filter(object_id__in=model.objects.filter(cond).values("pk"))
    revisions = list(revisions.order_by("created_at", "id"))
    records = model.objects.in_bulk([r.object_id for r in revisions]) if revisions else {}
    return [
        {"kind": kind, "record": records[r.object_id], "label": model._meta.verbose_name, "revision": r}
        for r in revisions
        if r.object_id in records
    ]


def pending_revisions(*, user) -> list[dict]:
    """The editor's own changes waiting for validation (shown in « Mon espace »)."""
    rows = []
    for kind, model in KINDS.items():
        mine = Revision.objects.filter(
            model=model._meta.label_lower, created_by=user, status=Revision.Status.PENDING
        ).order_by("created_at", "id")
        mine = list(mine)
        records = model.objects.in_bulk([r.object_id for r in mine]) if mine else {}
        rows += [
            {"kind": kind, "record": records[r.object_id], "revision": r, "label": model._meta.verbose_name}
            for r in mine
            if r.object_id in records
        ]
    return rows


def deleted_records(*, user) -> list[dict]:
    """Deleted records the user may bring back (`can_undelete` is `can_delete`, which is
    the editing scope less the projects an embassy completes but does not remove)."""
    scope = scope_of(user)
    rows = []
    for kind, model in KINDS.items():
        qs = _scoped(kind, scope).filter(deleted_at__isnull=False)
        if not scope.admin and kind == "projets":
            qs = qs.filter(
                pk__in=model.objects.filter(authority_records_q(model, scope.editor_authorities)).values("pk")
            )
        rows += [
            {"kind": kind, "record": record, "label": model._meta.verbose_name}
            for record in qs.order_by("-deleted_at")[:200]
        ]
    return rows


RETURNED_LIMIT = 20


def returned_records(*, user) -> list[dict]:
    """What a reviewer sent back to the person, with the comment: drafts returned within
    the person's scope, and the person's own returned changes to published records (the
    latest per record, unless a newer change is pending)."""
    scope = scope_of(user)
    rows = []
    for kind in KINDS:
        qs = (
            _scoped(kind, scope)
            .filter(deleted_at__isnull=True, publication_status=PublicationStatus.DRAFT)
            .exclude(returned_comment="")
            .order_by("-updated_at")[:RETURNED_LIMIT]
        )
        rows += [{"kind": kind, "record": r, "comment": r.returned_comment, "at": r.updated_at} for r in qs]
    for kind, model in KINDS.items():
        label = model._meta.label_lower
        revisions = list(
            Revision.objects.filter(model=label, created_by=user, status=Revision.Status.RETURNED)
            .exclude(
                object_id__in=Revision.objects.filter(model=label, status=Revision.Status.PENDING).values(
                    "object_id"
                )
            )
            .order_by("-decided_at", "-id")[:RETURNED_LIMIT]
        )
        records = model.objects.filter(deleted_at__isnull=True).in_bulk({r.object_id for r in revisions})
        seen = set()
        for r in revisions:
            if r.object_id in records and r.object_id not in seen:
                seen.add(r.object_id)
                rows.append(
                    {"kind": kind, "record": records[r.object_id], "comment": r.comment, "at": r.decided_at}
                )
    return rows


# --------------------------------------------------------------------------- review details


def record_authorities(record) -> list[LocalAuthority]:
    """The local authorities a record is about, lead first (what the reviewer reads as
    « whose record »): a project's participants, a partnership's or convention's parties,
    a contact's or partner request's authority."""
    if isinstance(record, Project):
        links = record.participants.select_related("authority").order_by("role", "authority__name")
        return [p.authority for p in sorted(links, key=lambda p: p.role != "lead")]
    if isinstance(record, Partnership):
        return list(record.parties.order_by("country_id", "name"))
    if isinstance(record, Convention):
        return list(record.partnership.parties.order_by("country_id", "name"))
    authority = getattr(record, "authority", None)
    return [authority] if authority is not None else []


def _field_label(model, key: str) -> str:
    """The form's word for a changed field (« Année de début »), as the officer filled it in;
    the model's name for one the form does not show."""
    from .specs import changed_labels  # specs → forms → … : imported on use

    kind = KIND_OF_MODEL.get(model)
    shown = changed_labels(kind, [key]) if kind else []
    if shown and shown[0] != key:
        return shown[0]
    try:
        return str(model._meta.get_field(key.removesuffix("_id")).verbose_name)
    except Exception:  # noqa: BLE001 - a child list (sector_links…) has no model field
        return key


def _changed_rows(model, before: dict, after: dict) -> list[dict]:
    keys = [k for k in {**before, **after} if k not in ("publication_status", "returned_comment")]
    return [
        {"field": _field_label(model, k), "before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    ]


def review_details(row: dict) -> dict:
    """One queue row completed for the reviewer: whose record, who submitted it and when,
    and what changed since the published version (a pending revision's own before/after;
    a submitted record's changes since its last published version, else « never
    published »), from core.Revision and core.Change."""
    from coopatlas.core import history
    from coopatlas.core.models import Change

    record, revision = row["record"], row["revision"]
    model = type(record)
    out = {**row, "authorities": record_authorities(record)}
    if revision is not None:
        out.update(
            submitted_by=revision.created_by_email,
            submitted_at=revision.created_at,
            never_published=False,
            changes=_changed_rows(model, revision.before, revision.after),
        )
        return out
    changes = Change.objects.filter(model=history.model_label(record), object_id=record.pk).order_by(
        "-at", "-id"
    )
    submitted = next(
        (
            c
            for c in changes
            if c.action == Change.Action.STATUS and c.after.get("publication_status") == "submitted"
        ),
        None,
    )
    published = next((c for c in changes if c.snapshot.get("publication_status") == "published"), None)
    out.update(
        submitted_by=submitted.user_email if submitted else "",
        submitted_at=submitted.at if submitted else record.updated_at,
        never_published=published is None,
        changes=(
            _changed_rows(model, published.snapshot, history.snapshot(record))
            if published is not None
            else []
        ),
    )
    return out
