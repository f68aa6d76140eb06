"""Writes for accounts: users and their roles, API tokens, sign-in with throttling."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from coopatlas.core.errors import AppError, NotFound
from coopatlas.core.parse import is_ascii_digits

from .models import ApiToken, Membership, PartnerInvitation, Role, SignInFailure, User

TOKEN_PREFIX = "cat_"
MIN_PASSWORD = 12


class SignInLocked(AppError):
    """Too many failed sign-ins from this address for this e-mail: HTTP 429."""

    exit_code = 6
    http_status = 429


# --------------------------------------------------------------------------- users


def _clean_email(email: str) -> str:
    value = (email or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise AppError(
            _("--email : « %(value)s » n'est pas une adresse électronique valide.") % {"value": value[:80]},
            field="email",
        ) from exc
    return value


def _check_scope(*, role: str, authorities: list, country) -> None:
    if role not in Role.values:
        raise AppError(
            _("--role : « %(role)s » inconnu ; rôles : %(values)s.")
            % {"role": role[:20], "values": ", ".join(Role.values)},
            field="role",
        )
    if role == Role.PARTNER:
        raise AppError(
            _(
                "--role partner : l'agent d'une collectivité partenaire est créé par "
                "une invitation (espace de saisie, « Inviter la partie partenaire »), "
                "qui le limite à cette collectivité."
            ),
            field="role",
        )
    if role in (Role.EDITOR, Role.FACILITATOR) and not authorities:
        raise AppError(
            _(
                "--authority : un rôle %(role)s s'exerce pour au moins une "
                "collectivité ; donnez son code INSEE ou son SIREN (--authority "
                "35238)."
            )
            % {"role": role},
            field="authority",
        )
    if role == Role.EMBASSY and country is None:
        raise AppError(
            _(
                "--country : un agent d'ambassade est rattaché à un pays ; donnez son "
                "code ISO à deux lettres (--country ML)."
            ),
            field="country",
        )
    if role != Role.EMBASSY and country is not None:
        raise AppError(_("--country ne vaut que pour le rôle embassy."), field="country")
    if role in (Role.EMBASSY, Role.ADMIN) and authorities:
        raise AppError(
            _("--authority ne vaut que pour les rôles editor et facilitator, pas %(role)s.") % {"role": role},
            field="authority",
        )
    if country is not None and country.iso2 == "FR":
        raise AppError(
            _("--country : une ambassade est à l'étranger ; FR n'est pas un pays d'ambassade."),
            field="country",
        )


@transaction.atomic
def user_add(
    *,
    email: str,
    role: str,
    authorities: list | None = None,
    country=None,
    password: str | None = None,
    organisation=None,
    programmes: list | None = None,
) -> tuple[User, str | None]:
    """Create an account (or give an existing one another role) with its scope.

    Returns the user and the generated password, when one was generated (new account
    without --password): it is shown once and never stored in clear."""
    email = _clean_email(email)
    authorities = list(authorities or [])
    _check_scope(role=role, authorities=authorities, country=country)
    if password is not None and len(password) < MIN_PASSWORD:
        raise AppError(
            _(
                "--password : au moins %(MIN_PASSWORD)s caractères (ou omettez-le : "
                "un mot de passe sera généré)."
            )
            % {"MIN_PASSWORD": MIN_PASSWORD},
            field="password",
        )
    user = User.objects.filter(email=email).first()
    generated = None
    if user is None:
        if password is None:
            generated = password = secrets.token_urlsafe(15)
        user = User.objects.create_user(email=email, password=password)
    elif password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    membership = Membership.objects.create(user=user, role=role, country=country, organisation=organisation)
    membership.authorities.set(authorities)
    membership.programmes.set(programmes or [])
    return user, generated


def user_get(*, email: str) -> User:
    user = User.objects.filter(email=(email or "").strip().lower()).first()
    if user is None:
        raise NotFound(
            _("--email : aucun compte « %(email)s » ; créez-le avec `coopatlas users add`.")
            % {"email": email[:80]},
            field="email",
        )
    return user


def user_list() -> list[dict]:
    rows = []
    users = User.objects.order_by("email").prefetch_related(
        "memberships__authorities", "memberships__country", "api_tokens"
    )
    for user in users:
        roles = []
        for m in user.memberships.all():
            scope = [a.insee_code or a.siren or a.slug for a in m.authorities.all()]
            if m.country_id:
                scope.append(m.country_id)
            roles.append({"role": m.role, "scope": scope})
        rows.append(
            {
                "email": user.email,
                "active": user.is_active,
                "superuser": user.is_superuser,
                "roles": roles,
                "tokens": sum(1 for t in user.api_tokens.all() if t.revoked_at is None),
            }
        )
    return rows


# --------------------------------------------------------------------------- tokens


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token; the clear key is returned once and only its hash is kept."""
    if not user.is_active:
        raise AppError(_("%(email)s est désactivé : pas de jeton.") % {"email": user.email}, field="email")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:12], key_hash=_hash(key))
    return token, key


def token_list(*, user: User | None = None) -> list[ApiToken]:
    qs = ApiToken.objects.select_related("user")
    return list(qs.filter(user=user) if user is not None else qs)


@transaction.atomic
def token_revoke(*, user: User, prefix: str | None = None) -> int:
    """Revoke one token (by its prefix, as `tokens list` shows it) or all of a user's."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if prefix:
        tokens = tokens.filter(prefix=prefix.strip().removesuffix("…"))
        if not tokens.exists():
            raise NotFound(
                _(
                    "--prefix : aucun jeton actif « %(prefix)s » pour %(email)s ; "
                    "voyez `coopatlas tokens list`."
                )
                % {"prefix": prefix[:20], "email": user.email},
                field="prefix",
            )
    return tokens.update(revoked_at=timezone.now())


def token_user(*, key: str) -> User | None:
    """The active user a clear token belongs to, or None (unknown, revoked, inactive)."""
    if not key or not key.startswith(TOKEN_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked_at__isnull=True).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --------------------------------------------------------------------------- sign-in


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "COOPATLAS_SIGNIN_MAX_FAILURES", 5),
        getattr(settings, "COOPATLAS_SIGNIN_LOCK_MINUTES", 15),
    )


def signin_locked_until(*, email: str, ip: str):
    """When the e-mail+address pair may try again, or None if it may now.

    Locked while it has MAX failures within the last LOCK minutes."""
    max_failures, minutes = _limits()
    since = timezone.now() - timedelta(minutes=minutes)
    recent = list(
        SignInFailure.objects.filter(email=email.strip().lower(), ip=ip or "", at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:max_failures]
    )
    if len(recent) < max_failures:
        return None
    return recent[-1] + timedelta(minutes=minutes)


def _attempt_take(*, email: str, ip: str, message: str, field: str) -> SignInFailure:
    """Count the attempt before checking anything, then look at the count.

    Reading the count first and recording the failure afterwards let N concurrent guesses
    all read "below the limit" and all be tried. Here each attempt is a row committed
    before the check, so concurrent attempts see each other: at most MAX are tried per
    window, however many arrive at once. The row is the failure if the check fails; it is
    removed if the attempt is refused as locked (it was not tried) or succeeds."""
    max_failures, minutes = _limits()
    attempt = SignInFailure.objects.create(email=email[:254], ip=ip or "")
    since = timezone.now() - timedelta(minutes=minutes)
    recent = list(
        SignInFailure.objects.filter(email=email[:254], ip=ip or "", at__gte=since)
        .order_by("at", "pk")
        .values_list("pk", "at")[: max_failures + 1]
    )
    if attempt.pk in {pk for pk, _at in recent[:max_failures]}:
        return attempt
    attempt.delete()
    until = recent[0][1] + timedelta(minutes=minutes) if recent else timezone.now()
    wait = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    raise SignInLocked(message % {"wait": wait}, field=field)


def signin(*, email: str, password: str, ip: str, request=None) -> User:
    """Check e-mail and password, throttled per e-mail and address. Raises AppError."""
    email = (email or "").strip().lower()
    _attempt_take(
        email=email,
        ip=ip,
        message=_(
            "Trop d'essais infructueux : réessayez dans %(wait)s minute(s), ou "
            "réinitialisez votre mot de passe."
        ),
        field="email",
    )
    user = authenticate(request, email=email, password=password)
    if user is None:  # the attempt's row stays: it is the failure
        raise AppError(_("Adresse électronique ou mot de passe incorrect."), field="password")
    SignInFailure.objects.filter(email=email, ip=ip or "").delete()
    return user


# --------------------------------------------------------------------------- second factor
# On django-otp: a TOTPDevice (the authenticator app, RFC 6238) and a StaticDevice holding
# one-use recovery codes. Both are checked behind the sign-in counter (`_attempt_take`).

SECOND_FACTOR_ROLES = (Role.ADMIN, Role.EMBASSY)
TOTP_DIGITS = 6
RECOVERY_CODES = 10
DEVICE_NAME = "default"


def second_factor_required(*, user: User) -> bool:
    """Ministry administrators and embassy agents must use a second factor (issue 3)."""
    return user.is_superuser or user.memberships.filter(role__in=SECOND_FACTOR_ROLES).exists()


def second_factor_enrolled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_secret(*, user: User) -> str:
    """The secret (hex, as django-otp keeps it) the enrolment page shows, without writing
    (a GET must not write): an unconfirmed device's, or a new one that `totp_confirm`
    stores with the first code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device.key if device is not None else random_hex(20)


def totp_device_for(*, user: User, secret: str) -> TOTPDevice:
    """An unsaved device for `secret`, to draw its otpauth:// URI and QR code."""
    return TOTPDevice(user=user, name=DEVICE_NAME, key=secret, confirmed=False)


def totp_secret_shown(secret: str) -> str:
    """The hex key as authenticator apps take it typed in: base32, without padding."""
    return base64.b32encode(bytes.fromhex(secret)).decode("ascii").rstrip("=")


def _wrong_code() -> AppError:
    return AppError(
        _(
            "Code incorrect ou déjà utilisé : saisissez les 6 chiffres affichés "
            "maintenant par votre application d'authentification, ou un code de secours."
        ),
        field="code",
    )


def _no_device() -> AppError:
    return AppError(
        _(
            "Aucune application d'authentification n'est enregistrée pour ce "
            "compte : enregistrez-en une d'abord."
        ),
        field="code",
    )


def _code_clean(code: str | None) -> str:
    """Spaces and hyphens dropped, lower case: « 123 456 » and « ABCD-EFGH » are typed too."""
    return "".join((code or "").replace("-", " ").split()).lower()


def _second_factor_check(*, user: User, ip: str, check) -> object:
    """Run `check()` (True, False or raises) behind the sign-in counter."""
    attempt = _attempt_take(
        email=user.email,
        ip=ip,
        field="code",
        message=_("Trop d'essais infructueux : réessayez dans %(wait)s minute(s)."),
    )
    try:
        result = check()
    except AppError:
        attempt.delete()  # not a guess: nothing to check the code against
        raise
    if not result:  # the attempt's row, committed before the check, stays counted
        raise _wrong_code()
    SignInFailure.objects.filter(email=user.email, ip=ip or "").delete()
    return result


def totp_confirm(
    *, user: User, code: str, ip: str, secret: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """First code from the app: from now on the device is asked at every sign-in. Returns
    the device and the recovery codes, shown once. `secret` is the one the page showed
    (see `totp_enrolment_secret`); an unconfirmed device's own key wins over it."""
    code = _code_clean(code)

    def check():
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
            if device is None:
                if not secret:
                    raise _no_device()
                device = totp_device_for(user=user, secret=secret)  # saved once a code matches
            if len(code) != TOTP_DIGITS or not is_ascii_digits(code):
                return None
            device.confirmed = True
            if not device.verify_token(code):
                # verify_token saved the device with its failure count: a wrong code writes nothing
                transaction.set_rollback(True)
                return None
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            return device, _recovery_codes_replace(user=user)

    return _second_factor_check(user=user, ip=ip, check=check)


def totp_verify(*, user: User, code: str, ip: str) -> TOTPDevice | StaticDevice:
    """The code asked after the password: the app's six digits or one recovery code
    (which is then spent), throttled with the password's counter."""
    code = _code_clean(code)

    def check():
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if device is None:
                raise _no_device()
            if len(code) == TOTP_DIGITS and is_ascii_digits(code):
                return device if device.verify_token(code) else None
            recovery = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if recovery is not None and code.isascii() and code.isalnum() and recovery.verify_token(code):
                return recovery
            return None

    return _second_factor_check(user=user, ip=ip, check=check)


def _recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes (the old ones stop working), shown once. Needs an enrolled app."""
    if not second_factor_enrolled(user=user):
        raise _no_device()
    return _recovery_codes_replace(user=user)


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_code_shown(code: str) -> str:
    """« abcd-efgh »: easier to copy by hand than eight letters in a row."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


# --------------------------------------------------------------------------- partner side

INVITATION_DAYS = 14


def _invitation_refused(message: str, field: str = "token") -> AppError:
    return AppError(message, field=field)


@transaction.atomic
def partner_invitation_create(
    *, user: User, authority, email: str, site: str = ""
) -> tuple[PartnerInvitation, str]:
    """Invite an officer of the foreign `authority` to answer for it (role partner, scoped
    to that authority only: the inviter gives no more than that). The clear token is
    returned once (the editing space shows the link) and e-mailed after commit; only its
    hash is kept. `site` ("https://host") makes the e-mailed link absolute."""
    from django.core.mail import send_mail
    from django.urls import reverse

    from .permissions import PermissionDenied, can_invite_partner

    if authority is None or authority.is_french:
        raise AppError(
            _(
                "authority : on invite l'agent d'une collectivité étrangère "
                "partenaire, pas d'une collectivité française."
            ),
            field="authority",
        )
    if not can_invite_partner(user=user, authority=authority):
        raise PermissionDenied(
            _(
                "Seuls l'ambassade du pays de %(name)s, un administrateur ou le rédacteur d'une "
                "collectivité française en partenariat avec elle peuvent inviter sa partie "
                "partenaire."
            )
            % {"name": authority.name[:100]},
            field="authority",
        )
    email = _clean_email(email)
    key = secrets.token_urlsafe(32)
    invitation = PartnerInvitation.objects.create(
        authority=authority,
        email=email,
        invited_by=user,
        token_hash=_hash(key),
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    link = site.rstrip("/") + reverse("accounts:invitation", kwargs={"token": key})
    subject = _("Invitation : répondre pour %(name)s") % {"name": authority.name[:100]}
    body = _(
        "%(inviter)s vous invite à répondre pour %(name)s dans l'atlas de la coopération "
        "décentralisée : confirmer ou contester les partenariats et projets qui la "
        "nomment, et donner votre compte des résultats et des besoins.\n\n"
        "Choisissez votre mot de passe ici (lien valable %(days)s jours, une seule "
        "fois) :\n%(link)s\n"
    ) % {"inviter": user.email, "name": authority.name, "days": INVITATION_DAYS, "link": link}
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
    return invitation, key


def partner_invitation_get(*, token: str) -> PartnerInvitation:
    """The usable invitation of a clear token, or AppError saying why not (unknown, used,
    expired). Reads only."""
    invitation = (
        PartnerInvitation.objects.select_related("authority__country")
        .filter(token_hash=_hash(token or ""))
        .first()
        if token and len(token) <= 200
        else None
    )
    if invitation is None:
        raise NotFound(
            _(
                "Ce lien d'invitation n'est pas valable : vérifiez qu'il est copié en "
                "entier, ou demandez une nouvelle invitation."
            ),
            field="token",
        )
    if invitation.accepted_at is not None:
        raise _invitation_refused(
            _(
                "Ce lien d'invitation a déjà servi : connectez-vous avec "
                "votre adresse et votre mot de passe, ou demandez une "
                "nouvelle invitation."
            )
        )
    if invitation.expires_at <= timezone.now():
        raise _invitation_refused(
            _(
                "Ce lien d'invitation a expiré le %(date)s : demandez une "
                "nouvelle invitation à qui vous l'a envoyée."
            )
            % {"date": f"{invitation.expires_at:%d/%m/%Y}"}
        )
    return invitation


@transaction.atomic
def partner_invitation_accept(*, token: str, password: str) -> User:
    """Use an invitation once: the invitee's account (created, or the existing one of that
    e-mail) gets the partner role for the invitation's authority and the chosen password."""
    if password is None or len(password) < MIN_PASSWORD:
        raise AppError(_("password : au moins %(n)s caractères.") % {"n": MIN_PASSWORD}, field="password")
    invitation = partner_invitation_get(token=token)
    user = User.objects.filter(email=invitation.email).first()
    if user is not None and not user.check_password(password):
        # the link proves the mailbox, not a right to replace a known account's password
        raise AppError(
            _(
                "Un compte existe déjà pour %(email)s : saisissez son mot de passe "
                "actuel (ou réinitialisez-le d'abord)."
            )
            % {"email": user.email},
            field="password",
        )
    # Taken under the write lock: two uses of one link at once, one wins.
    used = PartnerInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not used:
        raise _invitation_refused(
            _("Ce lien d'invitation a déjà servi : connectez-vous avec votre adresse et votre mot de passe.")
        )
    if user is None:
        user = User.objects.create_user(email=invitation.email, password=password)
    membership = Membership.objects.filter(user=user, role=Role.PARTNER).first() or Membership.objects.create(
        user=user, role=Role.PARTNER
    )
    membership.authorities.add(invitation.authority)
    PartnerInvitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    from .permissions import scope_forget

    scope_forget(user)
    return user
