"""Sign-in pages: e-mail and password (throttled by `services.signin`), then the second
factor when the role needs it or the user chose one, sign-out (POST), password reset by
e-mail (Django's views with our templates).

Between the password and the code, the session holds only the pending user's id (for
PENDING_SECONDS): nobody is signed in until the second factor is checked."""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from coopatlas.core.errors import AppError

from . import services
from .forms import CodeForm, InvitationAcceptForm, SignInForm, VerifyForm
from .models import User

PENDING_KEY = "accounts_pending"
PENDING_SECONDS = 600
BACKEND = "django.contrib.auth.backends.ModelBackend"


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is the client's to forge. Behind a proxy,
    # the proxy must set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "")[:45]


def _next_url(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse(settings.LOGIN_REDIRECT_URL)


def _pending(request: HttpRequest) -> tuple[User | None, str]:
    data = request.session.get(PENDING_KEY) or {}
    if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return user, data.get("next", "")


def _finish(request: HttpRequest, user: User, next_url: str, *, second_factor: bool):
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)  # rotates the session key
    request.session["second_factor"] = second_factor
    return redirect(_next_url(request, next_url))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.signin(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                request=request,
            )
        except AppError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.http_status == 429 else 200
        else:
            required = services.second_factor_required(user=user)
            if not required and not services.second_factor_enrolled(user=user):
                return _finish(request, user, next_url, second_factor=False)
            request.session.cycle_key()
            request.session[PENDING_KEY] = {"user": user.pk, "at": time.time(), "next": next_url}
            if services.second_factor_enrolled(user=user):
                return redirect("accounts:verify")
            return redirect("accounts:enrol")
    return render(
        request,
        "accounts/signin.html",
        {"form": form, "next": next_url, "title": _("Se connecter")},
        status=status,
    )


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user, next_url = _pending(request)
    if user is None:
        messages.info(request, _("Saisissez d'abord votre adresse et votre mot de passe."))
        return redirect("accounts:signin")
    form = VerifyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_verify(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
        except AppError as exc:
            form.add_error("code", exc.message)
            status = 429 if exc.http_status == 429 else 200
        else:
            if not isinstance(device, services.TOTPDevice):
                left = services.recovery_codes_left(user=user)
                messages.warning(
                    request,
                    ngettext(
                        "Code de secours utilisé : il en reste %(left)s. Créez-en de nouveaux "
                        "depuis votre compte si besoin.",
                        "Code de secours utilisé : il en reste %(left)s. Créez-en de nouveaux "
                        "depuis votre compte si besoin.",
                        left,
                    )
                    % {"left": left},
                )
            return _finish(request, user, next_url, second_factor=True)
    return render(
        request, "accounts/verify.html", {"form": form, "title": _("Code de vérification")}, status=status
    )


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Register an authenticator app: during sign-in (required roles) or from the account."""
    pending, next_url = _pending(request)
    user = pending or (request.user if request.user.is_authenticated else None)
    if user is None:
        return redirect(f"{reverse('accounts:signin')}?next={reverse('accounts:enrol')}")
    if services.second_factor_enrolled(user=user):
        if pending is not None:  # enrolled meanwhile: the code is asked instead
            return redirect("accounts:verify")
        messages.info(request, _("Votre application d'authentification est déjà enregistrée."))
        return redirect("accounts:account")
    # The GET writes nothing: the new secret travels signed in the form until the first
    # code confirms it (a GET that wrote also took SQLite's write lock).
    secret = _enrolment_secret(request, user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _device, codes = services.totp_confirm(
                user=user, code=form.cleaned_data["code"], ip=client_ip(request), secret=secret
            )
        except AppError as exc:
            form.add_error("code", exc.message)
            status = 429 if exc.http_status == 429 else 200
        else:
            if pending is not None:
                response = _finish(request, user, next_url, second_factor=True)
                return _recovery_codes_page(request, codes, next_url=response["Location"])
            request.session["second_factor"] = True
            messages.success(request, _("Double authentification activée."))
            return _recovery_codes_page(request, codes, next_url=reverse("accounts:account"))
    shown = services.totp_secret_shown(secret)
    uri = services.totp_device_for(user=user, secret=secret).config_url
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "title": _("Double authentification"),
            "required": pending is not None,
            "secret_groups": [shown[i : i + 4] for i in range(0, len(shown), 4)],
            "otpauth_uri": uri,
            "qr_svg": _qr_svg(uri, label=_("Code QR à scanner avec votre application d’authentification")),
            "signed_secret": signing.dumps(secret, salt=f"{ENROL_SALT}:{user.pk}"),
        },
        status=status,
    )


def _qr_svg(text: str, *, label: str) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn here (segno): nothing leaves the
    server, and no secret goes to a third-party image service."""
    svg = segno.make(text, error="m", micro=False).svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="atlas-qr", lineclass=None
    )
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S308 - segno's own markup


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    """The recovery codes, in this response only: never stored in clear, never redirected."""
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "title": _("Codes de secours"),
            "codes": [services.recovery_code_shown(c) for c in codes],
            "next_url": next_url,
        },
    )


@login_required
@never_cache
@require_http_methods(["POST"])
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.recovery_codes_renew(user=request.user)
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:account")
    return _recovery_codes_page(request, codes, next_url=reverse("accounts:account"))


ENROL_SALT = "accounts.enrol"
ENROL_MAX_AGE = 3600


def _enrolment_secret(request: HttpRequest, user: User) -> str:
    """The secret the page showed (signed for this user, an hour at most) on POST, else
    the one to show (the started device's, or a new one: nothing stored yet)."""
    if request.method == "POST":
        try:
            return signing.loads(
                request.POST.get("secret", ""), salt=f"{ENROL_SALT}:{user.pk}", max_age=ENROL_MAX_AGE
            )
        except signing.BadSignature:
            pass  # expired or forged: show a new secret (the code will not match it)
    return services.totp_enrolment_secret(user=user)


@login_required
@never_cache
def account(request: HttpRequest, *, new_token: str | None = None) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "title": _("Mon compte"),
            "memberships": user.memberships.prefetch_related("authorities").select_related("country"),
            "second_factor_enrolled": services.second_factor_enrolled(user=user),
            "second_factor_required": services.second_factor_required(user=user),
            "recovery_codes_left": services.recovery_codes_left(user=user),
            "tokens": services.token_list(user=user),
            "new_token": new_token,
        },
    )


@login_required
@never_cache
@require_http_methods(["POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    """The clear token is shown once, in this response only (never stored, never redirected)."""
    _token, key = services.token_create(user=request.user, name=(request.POST.get("name") or "").strip())
    return account(request, new_token=key)


@login_required
@require_http_methods(["POST"])
def token_revoke(request: HttpRequest) -> HttpResponse:
    try:
        services.token_revoke(user=request.user, prefix=request.POST.get("prefix") or "-")
        messages.success(request, _("Jeton révoqué : il ne donne plus accès à l'API."))
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:account")


class SignOutView(auth_views.LogoutView):
    """POST only (Django ≥ 5): a link or an image cannot sign anyone out."""


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {"title": gettext_lazy("Mot de passe oublié")}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invited partner officer chooses a password (the link works once, until it
    expires); a refused link says why and writes nothing."""
    try:
        invited = services.partner_invitation_get(token=token)
    except AppError as exc:
        return render(
            request,
            "accounts/invitation.html",
            {"title": _("Invitation"), "refused": exc.message},
            status=exc.http_status if exc.http_status == 404 else 410,
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.partner_invitation_accept(token=token, password=form.cleaned_data["password"])
        except AppError as exc:
            form.add_error("password" if exc.field == "password" else None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            request.session["second_factor"] = False
            messages.success(
                request,
                _("Bienvenue : vous répondez maintenant pour %(name)s.") % {"name": invited.authority.name},
            )
            return redirect("editor:partner_side")
    return render(
        request, "accounts/invitation.html", {"title": _("Invitation"), "form": form, "invitation": invited}
    )
