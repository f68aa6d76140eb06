"""Who may do what, one function per action: `can_<action>(*, user, record) -> bool`.

The editing services call `require(...)` before every write, so pages, API and CLI agree.
Scope comes from the user's memberships (models.Membership):
- administrator (or superuser): everything;
- editor: records to which one of its authorities is a party (partnerships, their
  conventions, projects and financing lines) and its authorities' contacts;
- facilitator: the same for the authorities that granted it access, plus the programmes it
  carries and its own network organisation;
- embassy agent: completes projects located in its country (and their financing lines),
  registers partner requests of its country's authorities, edits contacts in its country,
  and publishes (validates) records of its country.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopatlas.core.errors import AppError

from .models import Membership, Role


class PermissionDenied(AppError):
    """Out of the user's scope (or not signed in): HTTP 403, CLI exit code 4."""

    exit_code = 4
    http_status = 403


@dataclass
class Scope:
    admin: bool = False
    editor_authorities: set[int] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    programmes: set[int] = field(default_factory=set)

    @property
    def any_role(self) -> bool:
        return bool(self.admin or self.editor_authorities or self.countries
                    or self.organisations or self.programmes)


def scope_of(user) -> Scope:
    scope = Scope()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return scope
    if user.is_superuser:
        scope.admin = True
        return scope
    for m in Membership.objects.filter(user=user).prefetch_related("authorities", "programmes"):
        if m.role == Role.ADMIN:
            scope.admin = True
        elif m.role in (Role.EDITOR, Role.FACILITATOR):
            scope.editor_authorities |= {a.pk for a in m.authorities.all()}
            if m.role == Role.FACILITATOR:
                scope.programmes |= {p.pk for p in m.programmes.all()}
                if m.organisation_id:
                    scope.organisations.add(m.organisation_id)
        elif m.role == Role.EMBASSY and m.country_id:
            scope.countries.add(m.country_id)
    return scope


# --------------------------------------------------------------------------- record scope

def _name(record: Model) -> str:
    return record._meta.model_name


def record_authority_ids(record: Model) -> set[int]:
    """Local authorities a record belongs to, for editors and facilitators."""
    from coopatlas.cooperation.models import ProjectParticipant

    kind = _name(record)
    if kind == "partnership":
        return set(record.party_links.values_list("authority_id", flat=True))
    if kind == "convention":
        return (set(record.partnership.party_links.values_list("authority_id", flat=True))
                | set(record.parties.values_list("pk", flat=True)))
    if kind == "project":
        ids = set(ProjectParticipant.objects.filter(project=record)
                  .values_list("authority_id", flat=True))
        ids |= set(record.partnerships.values_list("party_links__authority_id", flat=True))
        ids.discard(None)
        return ids
    if kind == "fundingcontribution":
        return record_authority_ids(record.project)
    if kind in ("contact", "partnerrequest"):
        return {record.authority_id} if record.authority_id else set()
    return set()


def record_country_ids(record: Model) -> set[str]:
    """Foreign countries a record is located in, for embassy agents."""
    kind = _name(record)
    if kind == "project":
        ids = set(record.countries.values_list("pk", flat=True))
        ids |= set(record.participants.values_list("authority__country_id", flat=True))
    elif kind == "fundingcontribution":
        return record_country_ids(record.project)
    elif kind == "partnership":
        ids = set(record.party_links.values_list("authority__country_id", flat=True))
    elif kind == "convention":
        return record_country_ids(record.partnership)
    elif kind == "partnerrequest":
        ids = {record.authority.country_id}
    elif kind == "contact":
        ids = {record.country_id, record.authority.country_id if record.authority_id else None}
    elif kind == "programme":
        ids = set(record.countries.values_list("pk", flat=True))
    else:
        ids = set()
    ids.discard(None)
    ids.discard("FR")
    return ids


AUTHORITY_SCOPED = frozenset({"partnership", "convention", "project", "fundingcontribution",
                              "contact"})
EMBASSY_EDITS = frozenset({"project", "fundingcontribution", "partnerrequest", "contact"})
EMBASSY_CREATES = frozenset({"fundingcontribution", "partnerrequest", "contact"})


def _in_authority_scope(scope: Scope, record: Model) -> bool:
    return (_name(record) in AUTHORITY_SCOPED
            and bool(scope.editor_authorities & record_authority_ids(record)))


def _in_embassy_scope(scope: Scope, record: Model, kinds: frozenset[str]) -> bool:
    return _name(record) in kinds and bool(scope.countries & record_country_ids(record))


# --------------------------------------------------------------------------- actions

def can_create(*, user, record: Model) -> bool:
    """`record` is the new record as it would be saved (checked inside the write)."""
    scope = scope_of(user)
    if scope.admin:
        return True
    if _name(record) == "organisation":
        return scope.any_role  # a new operator or association, from anyone with a role
    return (_in_authority_scope(scope, record)
            or _in_embassy_scope(scope, record, EMBASSY_CREATES))


def can_edit(*, user, record: Model) -> bool:
    scope = scope_of(user)
    if scope.admin:
        return True
    kind = _name(record)
    if kind == "organisation":
        return record.pk in scope.organisations
    if kind == "programme":
        return record.pk in scope.programmes
    return _in_authority_scope(scope, record) or _in_embassy_scope(scope, record, EMBASSY_EDITS)


def can_delete(*, user, record: Model) -> bool:
    """As editing, except that an embassy completes projects but does not remove them."""
    scope = scope_of(user)
    if scope.admin:
        return True
    kind = _name(record)
    if kind in ("organisation", "programme"):
        return can_edit(user=user, record=record)
    return (_in_authority_scope(scope, record)
            or _in_embassy_scope(scope, record, EMBASSY_CREATES))


def can_submit(*, user, record: Model) -> bool:
    return can_edit(user=user, record=record)


def can_confirm(*, user, record: Model) -> bool:
    return can_edit(user=user, record=record)


def can_publish(*, user, record: Model) -> bool:
    """Validation: the ministry anywhere, an embassy for records of its country."""
    scope = scope_of(user)
    return scope.admin or bool(scope.countries & record_country_ids(record))


can_return = can_publish
can_archive = can_publish


def can_view_history(*, user, record: Model) -> bool:
    return can_edit(user=user, record=record) or can_publish(user=user, record=record)


def can_undelete(*, user, record: Model) -> bool:
    return can_delete(user=user, record=record)


def can_restore(*, user, record: Model) -> bool:
    """Going back to an earlier version is the administrators' (issue 3)."""
    return scope_of(user).admin


def can_export(*, user, authority) -> bool:
    scope = scope_of(user)
    return scope.admin or authority.pk in scope.editor_authorities


def can_manage_users(*, user) -> bool:
    return scope_of(user).admin


ACTIONS = {
    "create": (can_create, gettext_lazy("créer")), "edit": (can_edit, gettext_lazy("modifier")),
    "delete": (can_delete, gettext_lazy("supprimer")), "submit": (can_submit, gettext_lazy("soumettre")),
    "confirm": (can_confirm, gettext_lazy("confirmer")), "publish": (can_publish, gettext_lazy("publier")),
    "return": (can_return, gettext_lazy("renvoyer")), "archive": (can_archive, gettext_lazy("archiver")),
    "history": (can_view_history, gettext_lazy("voir l'historique de")),
    "undelete": (can_undelete, gettext_lazy("rétablir")), "restore": (can_restore, gettext_lazy("restaurer")),
}


def require(action: str, *, user, record: Model) -> None:
    """Raise PermissionDenied unless `user` may do `action` on `record`."""
    check, verb = ACTIONS[action]
    if check(user=user, record=record):
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour %(verb)s cet enregistrement.")
                               % {"verb": verb}, field="user")
    what = f"{record._meta.verbose_name} « {str(record)[:80]} »"
    raise PermissionDenied(
        _("%(email)s ne peut pas %(verb)s %(what)s : cet enregistrement est hors de son "
          "périmètre (collectivités, pays ou programmes de son rôle). Demandez à un "
          "administrateur du ministère d'étendre ce périmètre si c'est une erreur.")
        % {"email": user.email, "verb": verb, "what": what},
        field="user")
