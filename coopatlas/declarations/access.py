"""Who may see and change declarations. The one place that calls the accounts app, so a
change in its API is fixed here only.

- an authority's editors (and the network facilitators it granted access to) see and edit
  that authority's declarations, drafts included;
- the ministry's administrators see all, validate and return;
- everyone sees validated versions and the national report (they are published).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from coopatlas.core.errors import AppError


def _scope(user):
    from coopatlas.accounts.permissions import scope_of

    return scope_of(user)


def _denied(message: str) -> AppError:
    from coopatlas.accounts.permissions import PermissionDenied

    return PermissionDenied(message, field="user")


def is_ministry(user) -> bool:
    return _scope(user).admin


def editable_authority_ids(user) -> set[int] | None:
    """None means every authority (ministry)."""
    scope = _scope(user)
    return None if scope.admin else set(scope.editor_authorities)


def declaring_authority_ids(user) -> set[int]:
    """The authorities the person declares for (as their editor), the ministry included:
    what « Mon espace » lists as due, never every authority."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(_scope(user).editor_authorities)


def can_edit(*, user, authority) -> bool:
    scope = _scope(user)
    return scope.admin or authority.pk in scope.editor_authorities


def can_see_drafts(*, user, authority) -> bool:
    return can_edit(user=user, authority=authority)


def require_edit(*, user, authority) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise _denied(_("Connectez-vous (ou envoyez un jeton) pour déclarer l'APD d'une collectivité."))
    if not can_edit(user=user, authority=authority):
        raise _denied(
            _(
                "%(email)s ne peut pas déclarer pour %(authority)s : seuls les "
                "rédacteurs de cette collectivité et le ministère le peuvent. Demandez "
                "à un administrateur de vous rattacher à la collectivité si c'est une "
                "erreur."
            )
            % {"email": user.email, "authority": authority}
        )


def require_decide(*, user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not is_ministry(user):
        who = getattr(user, "email", None) or "Un visiteur anonyme"
        raise _denied(
            _(
                "%(who)s ne peut pas valider ni renvoyer une déclaration : c'est le "
                "rôle des administrateurs du ministère."
            )
            % {"who": who}
        )
