"""Who may act on calls and applications, on top of accounts.permissions' scopes:
the ministry (administrators) runs calls and decides; an authority's editors apply for
its projects and see its applications; an embassy gives opinions for its country."""

from __future__ import annotations

from django.utils.translation import gettext as _

from coopatlas.accounts.permissions import PermissionDenied, scope_of


def _who(user) -> str:
    return getattr(user, "email", "") or _("un visiteur anonyme")


def _signed_in(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("user : connectez-vous pour cette action."), field="user")


def is_ministry(user) -> bool:
    return scope_of(user).admin


def require_ministry(user) -> None:
    _signed_in(user)
    if not is_ministry(user):
        raise PermissionDenied(
            _(
                "user : %(who)s n'est pas administrateur du ministère ; seule la DAECT "
                "gère les appels et décide."
            )
            % {"who": _who(user)},
            field="user",
        )


def require_authority(user, authority) -> None:
    _signed_in(user)
    if not (is_ministry(user) or authority.pk in scope_of(user).editor_authorities):
        raise PermissionDenied(
            _("user : %(who)s n'agit pas pour %(authority)s.") % {"who": _who(user), "authority": authority},
            field="user",
        )


def require_applicant(user, project):
    """The French authority (among the project's participants) the user applies for."""
    _signed_in(user)
    scope = scope_of(user)
    ours = [
        p.authority
        for p in project.participants.select_related("authority").order_by("pk")
        if p.authority.country_id == "FR" and (scope.admin or p.authority_id in scope.editor_authorities)
    ]
    lead = next(
        (p.authority for p in project.participants.all() if p.role == "lead" and p.authority in ours), None
    )
    if not ours:
        raise PermissionDenied(
            _(
                "project : %(who)s ne rédige pour aucune collectivité française "
                "participant à « %(project)s » ; "
                "seules celles-ci peuvent candidater avec ce projet."
            )
            % {"who": _who(user), "project": project.title[:80]},
            field="project",
        )
    return lead or ours[0]


def may_see_application(user, application) -> bool:
    scope = scope_of(user)
    if scope.admin:
        return True
    if (
        scope.editor_authorities
        and application.coapplicants.filter(authority_id__in=scope.editor_authorities).exists()
    ):
        return True
    if scope.organisations and application.opinions.filter(network_id__in=scope.organisations).exists():
        return True
    return bool(scope.countries) and application.opinions.filter(country_id__in=scope.countries).exists()


def require_application_author(user, application) -> None:
    _signed_in(user)
    scope = scope_of(user)
    if scope.admin:
        return
    if (
        scope.editor_authorities
        and application.coapplicants.filter(authority_id__in=scope.editor_authorities).exists()
    ):
        return
    raise PermissionDenied(
        _("user : %(who)s n'est rédacteur d'aucune collectivité candidate (candidature n° %(pk)s).")
        % {"who": _who(user), "pk": application.pk},
        field="user",
    )


def require_embassy(user, country) -> None:
    _signed_in(user)
    scope = scope_of(user)
    if scope.admin or country.pk in scope.countries:
        return
    raise PermissionDenied(
        _("user : %(who)s n'est pas agent de l'ambassade pour %(country)s.")
        % {"who": _who(user), "country": country},
        field="user",
    )


def require_network(user, network) -> None:
    """A regional network's opinion is given by a facilitator of that network (a member
    whose organisation it is), or by the ministry."""
    _signed_in(user)
    scope = scope_of(user)
    if scope.admin or network.pk in scope.organisations:
        return
    raise PermissionDenied(
        _("user : %(who)s n'anime pas le réseau %(network)s.") % {"who": _who(user), "network": network.name},
        field="user",
    )
