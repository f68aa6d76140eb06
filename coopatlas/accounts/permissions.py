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
  and publishes (validates) records of its country;
- partner officer (officer of a foreign authority, by invitation only): answers for its
  authority on the partnerships and projects naming it (confirm, contest, its own account
  of results and needs); it edits nothing else and invites nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model, Q
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
    # Foreign authorities a partner officer answers for: no editing power (not in any_role).
    partner_authorities: set[int] = field(default_factory=set)

    @property
    def any_role(self) -> bool:
        return bool(
            self.admin or self.editor_authorities or self.countries or self.organisations or self.programmes
        )


SCOPE_CACHE = "_coopatlas_scope"


def scope_of(user) -> Scope:
    """The user's scope, read once per user object (one object per request): every
    permission check of a page or an API call reuses it. `scope_forget` after a change of
    roles on the same object."""
    cached = getattr(user, SCOPE_CACHE, None)
    if cached is not None:
        return cached
    scope = _scope_read(user)
    if user is not None and getattr(user, "pk", None):
        setattr(user, SCOPE_CACHE, scope)
    return scope


def scope_forget(user) -> None:
    if user is not None and hasattr(user, SCOPE_CACHE):
        delattr(user, SCOPE_CACHE)


def _scope_read(user) -> Scope:
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
        elif m.role == Role.PARTNER:
            scope.partner_authorities |= {a.pk for a in m.authorities.all() if a.country_id != "FR"}
    scope.countries.discard("FR")  # an embassy is abroad (users.add refuses FR too)
    return scope


# --------------------------------------------------------------------------- record scope
#
# "An authority's records" and "a country's records" are defined once, as `Q` objects over
# each model: the lists of the editing space filter with them, and the per-record checks
# below ask the database whether the record matches them. No second copy of the rule.


def _name(record_or_model) -> str:
    return record_or_model._meta.model_name


NONE = Q(pk__in=[])
# Path from each model to the project / partnership whose rule it follows.
_VIA = {"fundingcontribution": ("project", "project__"), "convention": ("partnership", "partnership__")}


def authority_records_q(model, authority_ids) -> Q:
    """The records of these local authorities (editors, facilitators): partnerships they
    are a party to, their conventions (or conventions they sign), projects they take part
    in or that serve their partnerships, those projects' financing lines, their contacts."""
    ids = list(authority_ids)
    if not ids:
        return NONE
    kind = _name(model)
    if kind == "partnership":
        return Q(party_links__authority_id__in=ids)
    if kind == "convention":
        return Q(partnership__party_links__authority_id__in=ids) | Q(parties__in=ids)
    if kind == "project":
        return Q(participants__authority_id__in=ids) | Q(partnerships__party_links__authority_id__in=ids)
    if kind == "fundingcontribution":
        return Q(project__participants__authority_id__in=ids) | Q(
            project__partnerships__party_links__authority_id__in=ids
        )
    if kind in ("contact", "partnerrequest"):
        return Q(authority_id__in=ids)
    return NONE


def country_records_q(model, country_ids) -> Q:
    """The records located in these foreign countries (embassies): projects in the country
    or with a participant there, their financing lines, partnerships and conventions with
    a party there, the country's partner requests and programmes, the contacts of its
    authorities (or, without an authority, of the country)."""
    ids = [c for c in country_ids if c != "FR"]
    if not ids:
        return NONE
    kind = _name(model)
    if kind in ("project", "fundingcontribution"):
        prefix = "project__" if kind == "fundingcontribution" else ""
        return Q(**{f"{prefix}countries__in": ids}) | Q(
            **{f"{prefix}participants__authority__country_id__in": ids}
        )
    if kind in ("partnership", "convention"):
        prefix = "partnership__" if kind == "convention" else ""
        return Q(**{f"{prefix}party_links__authority__country_id__in": ids})
    if kind == "partnerrequest":
        return Q(authority__country_id__in=ids)
    if kind == "contact":
        # located where its authority is: an embassy cannot take a French authority's
        # contact into its scope by giving the contact its own country
        return Q(authority__country_id__in=ids) | Q(authority__isnull=True, country_id__in=ids)
    if kind == "programme":
        return Q(countries__in=ids)
    return NONE


AUTHORITY_SCOPED = frozenset({"partnership", "convention", "project", "fundingcontribution", "contact"})
# An embassy records partnerships with an authority of its country (issue 9: the French
# party is then asked to confirm, `PartnerConfirmation.State.REQUESTED`) and corrects them,
# but removes neither partnerships nor projects.
EMBASSY_EDITS = frozenset({"project", "fundingcontribution", "partnerrequest", "contact", "partnership"})
EMBASSY_CREATES = frozenset({"fundingcontribution", "partnerrequest", "contact", "partnership"})
EMBASSY_DELETES = frozenset({"fundingcontribution", "partnerrequest", "contact"})


def editable_q(scope: Scope, model) -> Q | None:
    """What `can_edit` allows, as a filter (None: everything, for administrators)."""
    if scope.admin:
        return None
    kind = _name(model)
    if kind == "organisation":
        return Q(pk__in=list(scope.organisations)) if scope.organisations else NONE
    if kind == "programme":
        cond = Q(pk__in=list(scope.programmes)) if scope.programmes else NONE
        if scope.editor_authorities:
            cond |= Q(carrier_authority_id__in=list(scope.editor_authorities))
        if scope.organisations:
            cond |= Q(carrier_organisation_id__in=list(scope.organisations))
        return cond
    cond = NONE
    if kind in AUTHORITY_SCOPED:
        cond |= authority_records_q(model, scope.editor_authorities)
    if kind in EMBASSY_EDITS:
        cond |= country_records_q(model, scope.countries)
    return cond


def publishable_q(scope: Scope, model) -> Q | None:
    """What `can_publish` allows (validation): administrators, embassies in their country."""
    if scope.admin:
        return None
    return country_records_q(model, scope.countries)


def _matches(record: Model, cond: Q) -> bool:
    """Does the saved record fall under `cond`? (one EXISTS query)"""
    if cond is None:
        return True
    if cond == NONE or record.pk is None:
        return False
    return type(record)._base_manager.filter(cond, pk=record.pk).exists()


def _in_authority_scope(scope: Scope, record: Model) -> bool:
    return (
        _name(record) in AUTHORITY_SCOPED
        and bool(scope.editor_authorities)
        and _matches(record, authority_records_q(type(record), scope.editor_authorities))
    )


def _in_embassy_scope(scope: Scope, record: Model, kinds: frozenset[str]) -> bool:
    return (
        _name(record) in kinds
        and bool(scope.countries)
        and _matches(record, country_records_q(type(record), scope.countries))
    )


# --------------------------------------------------------------------------- actions


def can_create(*, user, record: Model) -> bool:
    """`record` is the new record as it would be saved (checked inside the write)."""
    scope = scope_of(user)
    if scope.admin:
        return True
    if _name(record) == "organisation":
        return scope.any_role  # a new operator or association, from anyone with a role
    return _in_authority_scope(scope, record) or _in_embassy_scope(scope, record, EMBASSY_CREATES)


def can_edit(*, user, record: Model) -> bool:
    scope = scope_of(user)
    if scope.admin:
        return True
    kind = _name(record)
    if kind == "organisation":
        return record.pk in scope.organisations
    if kind == "programme":
        return _carries_programme(scope, record)
    return _in_authority_scope(scope, record) or _in_embassy_scope(scope, record, EMBASSY_EDITS)


def _carries_programme(scope: Scope, programme) -> bool:
    """A programme is edited by its carrier (issue 14): the editors of its lead authority,
    the members of its carrying organisation, and the facilitators it was granted to."""
    return (
        programme.pk in scope.programmes
        or (
            programme.carrier_authority_id is not None
            and programme.carrier_authority_id in scope.editor_authorities
        )
        or (
            programme.carrier_organisation_id is not None
            and programme.carrier_organisation_id in scope.organisations
        )
    )


def can_delete(*, user, record: Model) -> bool:
    """As editing, except that an embassy completes projects but does not remove them."""
    scope = scope_of(user)
    if scope.admin:
        return True
    kind = _name(record)
    if kind in ("organisation", "programme"):
        return can_edit(user=user, record=record)
    return _in_authority_scope(scope, record) or _in_embassy_scope(scope, record, EMBASSY_DELETES)


def can_submit(*, user, record: Model) -> bool:
    return can_edit(user=user, record=record)


def can_confirm(*, user, record: Model) -> bool:
    return can_edit(user=user, record=record)


def can_publish(*, user, record: Model) -> bool:
    """Validation: the ministry anywhere, an embassy for records of its country."""
    scope = scope_of(user)
    return scope.admin or (bool(scope.countries) and _matches(record, publishable_q(scope, type(record))))


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


PARTNER_ANSWERS = frozenset({"partnership", "project"})


def can_answer_as_partner(*, user, record: Model, authority) -> bool:
    """May `user` confirm, contest or give the partner side's account of `record` for the
    foreign `authority`? Only its partner officers, and only on the records that name it
    (the same rule as an authority's records: `authority_records_q`)."""
    if _name(record) not in PARTNER_ANSWERS or authority is None or authority.is_french:
        return False
    scope = scope_of(user)
    return authority.pk in scope.partner_authorities and _matches(
        record, authority_records_q(type(record), [authority.pk])
    )


def can_answer_as_party(*, user, record: Model, authority) -> bool:
    """May `user` confirm or contest `record` for `authority`? A foreign authority answers
    through its partner officers (`can_answer_as_partner`); a French one through its editors,
    when someone outside it (an embassy) recorded the partnership."""
    if authority is None or _name(record) not in PARTNER_ANSWERS:
        return False
    if not authority.is_french:
        return can_answer_as_partner(user=user, record=record, authority=authority)
    scope = scope_of(user)
    return authority.pk in scope.editor_authorities and _matches(
        record, authority_records_q(type(record), [authority.pk])
    )


def can_invite_partner(*, user, authority) -> bool:
    """Who may invite an officer of the foreign `authority`: an administrator, the embassy
    of its country, an editor of a French authority in partnership with it. A partner
    officer invites nobody (no powers passed on from a role that has none to give)."""
    if authority is None or authority.is_french:
        return False
    scope = scope_of(user)
    if scope.admin or authority.country_id in scope.countries:
        return True
    if not scope.editor_authorities:
        return False
    from django.apps import apps  # cooperation sits above accounts

    partnership = apps.get_model("cooperation", "Partnership")
    return (
        partnership._base_manager.filter(deleted_at__isnull=True)
        .filter(authority_records_q(partnership, [authority.pk]))
        .filter(authority_records_q(partnership, scope.editor_authorities))
        .exists()
    )


def can_manage_users(*, user) -> bool:
    return scope_of(user).admin


ACTIONS = {
    "create": (can_create, gettext_lazy("créer")),
    "edit": (can_edit, gettext_lazy("modifier")),
    "delete": (can_delete, gettext_lazy("supprimer")),
    "submit": (can_submit, gettext_lazy("soumettre")),
    "confirm": (can_confirm, gettext_lazy("confirmer")),
    "publish": (can_publish, gettext_lazy("publier")),
    "return": (can_return, gettext_lazy("renvoyer")),
    "archive": (can_archive, gettext_lazy("archiver")),
    "history": (can_view_history, gettext_lazy("voir l'historique de")),
    "undelete": (can_undelete, gettext_lazy("rétablir")),
    "restore": (can_restore, gettext_lazy("restaurer")),
}


def require(action: str, *, user, record: Model) -> None:
    """Raise PermissionDenied unless `user` may do `action` on `record`."""
    check, verb = ACTIONS[action]
    if check(user=user, record=record):
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(
            _("Connectez-vous pour %(verb)s cet enregistrement.") % {"verb": verb}, field="user"
        )
    # Name only the kind and the key the caller sent (never the record's title or a
    # person's name: a draft's title and a contact's name are not the caller's to see).
    key = getattr(record, "slug", None) or record.pk
    what = (
        f"{record._meta.verbose_name} « {str(key)[:80]} »"
        if key
        else _("cet enregistrement (%(kind)s)") % {"kind": record._meta.verbose_name}
    )
    raise PermissionDenied(
        _(
            "%(email)s ne peut pas %(verb)s %(what)s : cet enregistrement est hors de son "
            "périmètre (collectivités, pays ou programmes de son rôle). Demandez à un "
            "administrateur du ministère d'étendre ce périmètre si c'est une erreur."
        )
        % {"email": user.email, "verb": verb, "what": what},
        field="user",
    )
