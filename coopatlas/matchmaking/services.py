"""Writes of matchmaking (issue 14): interest in a partner request and its conversation,
a request's status, a partner officer's own request, joining a programme.

Each service is one `transaction.atomic` unit: permission, validation, write, then the
notifications; e-mails leave after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopatlas.accounts.models import Membership, Role
from coopatlas.accounts.permissions import PermissionDenied, can_edit, scope_of
from coopatlas.cooperation import services as cooperation
from coopatlas.cooperation.models import PartnerRequest, Programme, ProgrammeMembership, PublicationStatus
from coopatlas.core import history
from coopatlas.core.errors import AppError, Conflict
from coopatlas.core.models import Change
from coopatlas.geo.models import LocalAuthority

from . import selectors
from .models import Interest, JoinRequest, Message, Notification

MESSAGE_MAX = 5_000
ANSWERABLE = (PartnerRequest.Status.OPEN, PartnerRequest.Status.IN_TALKS)


def _body(text: str, *, field: str = "message") -> str:
    text = (text or "").strip()
    if not text:
        raise AppError(
            _("%(field)s : écrivez quelques mots (qui vous êtes, ce que vous proposez) avant d'envoyer.")
            % {"field": field},
            field=field,
        )
    if len(text) > MESSAGE_MAX:
        raise AppError(
            _("%(field)s : %(n)s caractères, au plus %(max)s ; raccourcissez le message.")
            % {"field": field, "n": len(text), "max": MESSAGE_MAX},
            field=field,
        )
    return text


def _notify(*, users, text: str, url: str, emails: tuple[str, ...] = (), subject: str = "") -> None:
    """A notification in the editing space for each user, and one e-mail to each address
    (the users' and any extra, e.g. the request's embassy contact), sent after commit."""
    users = {u.pk: u for u in users if u is not None and u.is_active}
    Notification.objects.bulk_create(Notification(user=u, text=text[:500], url=url) for u in users.values())
    to = sorted({u.email for u in users.values() if u.email} | {e for e in emails if e})
    if not to:
        return
    body = f"{text}\n\n{settings.SITE_URL.rstrip('/')}{url}" if getattr(settings, "SITE_URL", "") else text
    for address in to:
        transaction.on_commit(
            lambda address=address: send_mail(
                subject or text[:120], body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False
            )
        )


def _users_for_request(request: PartnerRequest):
    """The embassy agents of the request's country and the requesting authority's officers."""
    memberships = Membership.objects.filter(
        role=Role.EMBASSY, country_id=request.authority.country_id
    ) | Membership.objects.filter(role=Role.PARTNER, authorities=request.authority)
    return [m.user for m in memberships.select_related("user").distinct()]


def _users_for_authority(authority: LocalAuthority):
    return [
        m.user
        for m in Membership.objects.filter(role__in=(Role.EDITOR, Role.FACILITATOR), authorities=authority)
        .select_related("user")
        .distinct()
    ]


# --------------------------------------------------------------------------- interest


@transaction.atomic
def interest_express(*, actor, request: PartnerRequest, authority: LocalAuthority, message: str) -> Interest:
    """ "Je suis intéressé·e": an editor of a French authority answers a published, open
    request with a message; the embassy and the requesting authority are notified."""
    scope = scope_of(actor)
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour répondre à une demande de partenariat."), field="user")
    if authority is None or not authority.is_french:
        raise AppError(
            _("authority : choisissez la collectivité française au nom de laquelle vous répondez."),
            field="authority",
        )
    if not (scope.admin or authority.pk in scope.editor_authorities):
        raise PermissionDenied(
            _(
                "authority : vous n'êtes pas rédacteur de %(name)s ; répondez au nom d'une "
                "collectivité dont vous avez le rôle, ou demandez ce rôle à un administrateur."
            )
            % {"name": authority.name},
            field="authority",
        )
    request = PartnerRequest.objects.select_for_update().get(pk=request.pk)
    if not PartnerRequest.objects.public().filter(pk=request.pk).exists():
        raise Conflict(
            _("Cette demande n'est pas publiée : l'ambassade doit d'abord la valider."), field="request"
        )
    if request.status not in ANSWERABLE:
        raise Conflict(
            _("Cette demande est « %(status)s » : elle n'attend plus de réponse.")
            % {"status": request.get_status_display()},
            field="status",
        )
    if selectors.request_is_expired(request):
        raise Conflict(
            _(
                "Cette demande n'a pas été confirmée depuis plus de 12 mois : l'ambassade "
                "doit la confirmer avant qu'on y réponde."
            ),
            field="confirmed_at",
        )
    body = _body(message)
    if Interest.objects.filter(request=request, authority=authority).exists():
        raise Conflict(
            _(
                "%(name)s a déjà marqué son intérêt pour cette demande ; écrivez dans la "
                "conversation existante."
            )
            % {"name": authority.name},
            field="authority",
        )
    interest = Interest.objects.create(request=request, authority=authority, by=actor)
    Message.objects.create(
        interest=interest, author=actor, author_email=actor.email, side="french", body=body
    )
    if request.status == PartnerRequest.Status.OPEN:
        PartnerRequest.objects.filter(pk=request.pk).update(status=PartnerRequest.Status.IN_TALKS)
    emails = (request.contact.email,) if request.contact_id and request.contact.email else ()
    _notify(
        users=_users_for_request(request),
        text=_("%(authority)s est intéressée par la demande de %(request)s.")
        % {"authority": authority.name, "request": request.authority.name},
        url=selectors.interest_url(interest),
        emails=emails,
    )
    return interest


def _side(actor, interest: Interest) -> str | None:
    scope = scope_of(actor)
    if interest.authority_id in scope.editor_authorities:
        return "french"
    if interest.request.authority_id in scope.partner_authorities:
        return "partner"
    if interest.request.authority.country_id in scope.countries:
        return "embassy"
    if scope.admin:
        return "admin"
    return None


@transaction.atomic
def message_post(*, actor, interest: Interest, body: str) -> Message:
    """A message in the conversation, from one of its parties or the embassy."""
    side = _side(actor, interest) if getattr(actor, "is_authenticated", False) else None
    if side is None:
        raise PermissionDenied(
            _(
                "Cette conversation est réservée aux deux collectivités et à l'ambassade ; "
                "connectez-vous avec l'un de ces comptes."
            ),
            field="user",
        )
    message = Message.objects.create(
        interest=interest, author=actor, author_email=actor.email, side=side, body=_body(body, field="body")
    )
    others = [
        u
        for u in _users_for_request(interest.request) + _users_for_authority(interest.authority)
        if u.pk != actor.pk
    ]
    _notify(
        users=others,
        text=_("Nouveau message sur la demande de %(request)s (%(authority)s).")
        % {"request": interest.request.authority.name, "authority": interest.authority.name},
        url=selectors.interest_url(interest),
    )
    return message


@transaction.atomic
def request_close(*, actor, request: PartnerRequest, reopen: bool = False) -> PartnerRequest:
    """The embassy (or the requesting authority's officer) closes a request, or reopens it."""
    scope = scope_of(actor)
    if not (
        scope.admin
        or request.authority.country_id in scope.countries
        or request.authority_id in scope.partner_authorities
    ):
        raise PermissionDenied(
            _("Seuls l'ambassade du pays et la collectivité qui cherche un partenaire ferment la demande."),
            field="user",
        )
    if request.status == PartnerRequest.Status.MATCHED:
        raise Conflict(
            _(
                "Cette demande a trouvé son partenaire (partenariat enregistré) ; "
                "elle ne se ferme ni ne se rouvre."
            ),
            field="status",
        )
    new = PartnerRequest.Status.OPEN if reopen else PartnerRequest.Status.CLOSED
    if reopen and request.interests.exists():
        new = PartnerRequest.Status.IN_TALKS
    before = history.snapshot(request)
    PartnerRequest.objects.filter(pk=request.pk).update(status=new, version=request.version + 1)
    request.refresh_from_db()
    history.change_record(
        record=request,
        action=Change.Action.UPDATE,
        user=actor,
        before=before,
        after=history.snapshot(request),
    )
    return request


@transaction.atomic
def partner_request_submit(
    *, actor, authority: LocalAuthority, description: str, wishes: str = "", themes=()
) -> PartnerRequest:
    """A foreign authority's own officer registers its request; it waits for the embassy's
    validation (submitted, not published: the embassy moderates)."""
    if authority is None or authority.pk not in scope_of(actor).partner_authorities:
        raise PermissionDenied(
            _(
                "authority : seul un agent de cette collectivité (invité par l'ambassade ou "
                "un partenaire) dépose sa demande ; sinon, l'ambassade l'enregistre."
            ),
            field="authority",
        )
    from coopatlas.cooperation.editing import declared_source

    request = cooperation.partner_request_create(
        authority=authority,
        source=declared_source(),
        themes=list(themes),
        description=_body(description, field="description"),
        wishes=wishes,
        registered_year=timezone.now().year,
    )
    request.publication_status = PublicationStatus.SUBMITTED
    request.confirmed_at = timezone.now()
    request.save(update_fields=["publication_status", "confirmed_at"])
    history.change_record(
        record=request, action=Change.Action.CREATE, user=actor, before={}, after=history.snapshot(request)
    )
    _notify(
        users=[u for u in _users_for_request(request) if u.pk != actor.pk],
        text=_("Demande de partenariat de %(name)s à valider.") % {"name": authority.name},
        url=request.get_absolute_url(),
    )
    return request


# --------------------------------------------------------------------------- programmes


def _carries(actor, programme: Programme) -> bool:
    # one rule: who carries a programme is who may edit it
    return can_edit(user=actor, record=programme)


def _carrier_users(programme: Programme):
    users = []
    if programme.carrier_authority_id:
        users += _users_for_authority(programme.carrier_authority)
    memberships = Membership.objects.filter(programmes=programme)
    if programme.carrier_organisation_id:
        memberships = memberships | Membership.objects.filter(organisation=programme.carrier_organisation)
    users += [m.user for m in memberships.select_related("user").distinct()]
    return users


@transaction.atomic
def join_request_create(
    *, actor, programme: Programme, authority: LocalAuthority, message: str = ""
) -> JoinRequest:
    scope = scope_of(actor)
    if authority is None or not (scope.admin or authority.pk in scope.editor_authorities):
        raise PermissionDenied(
            _("authority : demandez l'adhésion au nom d'une collectivité dont vous êtes rédacteur."),
            field="authority",
        )
    if not programme.is_open or not Programme.objects.public().filter(pk=programme.pk).exists():
        raise Conflict(_("Ce programme n'accepte pas de nouveaux membres."), field="programme")
    if ProgrammeMembership.objects.filter(programme=programme, authority=authority).exists():
        raise Conflict(
            _("%(name)s est déjà membre de ce programme.") % {"name": authority.name}, field="authority"
        )
    if JoinRequest.objects.filter(
        programme=programme, authority=authority, state=JoinRequest.State.PENDING
    ).exists():
        raise Conflict(
            _("%(name)s a déjà une demande d'adhésion en attente ; le porteur va y répondre.")
            % {"name": authority.name},
            field="authority",
        )
    join = JoinRequest.objects.create(
        programme=programme, authority=authority, by=actor, message=(message or "").strip()[:MESSAGE_MAX]
    )
    _notify(
        users=_carrier_users(programme),
        text=_("%(name)s demande à rejoindre le programme « %(programme)s ».")
        % {"name": authority.name, "programme": programme.title},
        url=selectors.programme_url(programme),
    )
    return join


@transaction.atomic
def join_request_decide(*, actor, join: JoinRequest, accept: bool) -> JoinRequest:
    """The carrier accepts (the authority becomes a member, listed on its fiche) or declines."""
    join = JoinRequest.objects.select_for_update().select_related("programme", "authority").get(pk=join.pk)
    if not _carries(actor, join.programme):
        raise PermissionDenied(
            _("Seul le porteur du programme accepte ou refuse une adhésion."), field="user"
        )
    if join.state != JoinRequest.State.PENDING:
        raise Conflict(
            _("Cette demande d'adhésion a déjà reçu une réponse (%(state)s).")
            % {"state": join.get_state_display()},
            field="state",
        )
    join.state = JoinRequest.State.ACCEPTED if accept else JoinRequest.State.DECLINED
    join.decided_at = timezone.now()
    join.decided_by = actor
    join.save(update_fields=["state", "decided_at", "decided_by"])
    if accept:
        ProgrammeMembership.objects.get_or_create(
            programme=join.programme, authority=join.authority, defaults={"joined_year": join.decided_at.year}
        )
    text = (
        _("%(name)s est membre du programme « %(programme)s ».")
        if accept
        else _("L'adhésion de %(name)s au programme « %(programme)s » n'a pas été acceptée.")
    ) % {"name": join.authority.name, "programme": join.programme.title}
    _notify(users=[join.by] if join.by_id else [], text=text, url=selectors.programme_url(join.programme))
    return join


@transaction.atomic
def notifications_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
