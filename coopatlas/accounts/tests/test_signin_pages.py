"""Sign-in pages: CSRF, throttling through the page, second factor, sign-out, reset."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coopatlas.accounts import services
from coopatlas.accounts.models import SignInFailure
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.testing import assert_nothing_written, table_counts

from .otp_codes import code_at, code_now

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
SIGNIN = "/compte/connexion/"
RECOVERY_CODE = r'<code class="atlas-secret">([a-z2-7]{4}-[a-z2-7]{4})</code>'


@pytest.fixture
def editor(db):
    authority = f.CommuneFactory(name="Commune fictive", insee_code="96002")
    return services.user_add(
        email="editor@example.org", role="editor", authorities=[authority], password=PASSWORD
    )[0]


@pytest.fixture
def embassy(db):
    country = f.CountryFactory(iso2="QM", name_fr="Pays fictif QM")
    return services.user_add(email="embassy@example.org", role="embassy", country=country, password=PASSWORD)[
        0
    ]


@pytest.fixture
def admin_user(db):
    return services.user_add(email="admin@example.org", role="admin", password=PASSWORD)[0]


def _signin(client, email, password=PASSWORD, **extra):
    return client.post(SIGNIN, {"email": email, "password": password, **extra})


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_urls_are_named():
    assert reverse("accounts:signin") == SIGNIN
    assert reverse("accounts:signout") == "/compte/deconnexion/"


@pytest.mark.django_db
def test_signin_page_renders_with_csrf_field_and_header_link(client):
    response = client.get(SIGNIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    home = client.get("/").content.decode()
    assert f'href="{SIGNIN}"' in home and "Se connecter" in home


def test_signin_refused_without_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    response = client.post(SIGNIN, {"email": editor.email, "password": PASSWORD})
    assert response.status_code == 403
    assert not _signed_in(client)


def test_signin_with_csrf_token_works_for_an_editor(editor):
    client = Client(enforce_csrf_checks=True)
    page = client.get(SIGNIN)
    token = page.cookies["csrftoken"].value
    response = client.post(
        SIGNIN,
        {
            "email": "EDITOR@example.org",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
            "next": "/projets/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/projets/"
    assert _signed_in(client)


def test_signin_never_redirects_off_site(client, editor):
    response = _signin(client, editor.email, next="https://evil.example/")
    assert response["Location"] == reverse("editor:dashboard")


def test_signin_without_next_lands_on_the_editing_space(client, editor):
    """Issue 13: the officer lands on what is due, not on the public map."""
    response = _signin(client, editor.email)
    assert response.status_code == 302 and response["Location"] == reverse("editor:dashboard")


def test_wrong_password_message_and_no_session(client, editor):
    response = _signin(client, editor.email, "wrong password!!")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert not _signed_in(client)


def test_throttled_through_the_page_after_five_failures(client, editor, settings):
    settings.COOPATLAS_SIGNIN_MAX_FAILURES = 5
    settings.COOPATLAS_SIGNIN_LOCK_MINUTES = 15
    for _ in range(5):
        assert _signin(client, editor.email, "wrong password!!").status_code == 200
    # Locked: even the right password is refused, and the page says when to retry.
    response = _signin(client, editor.email)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Trop d'essais infructueux : réessayez dans 15 minute(s)" in html.replace("&#x27;", "'")
    assert not _signed_in(client)
    # Another address is not locked out by the attacker's failures.
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert _signin(other, editor.email).status_code == 302


def test_signout_is_post_only(client, editor):
    client.force_login(editor)
    assert client.get("/compte/deconnexion/").status_code == 405
    assert _signed_in(client)
    assert client.post("/compte/deconnexion/").status_code == 302
    assert not _signed_in(client)


def test_password_reset_sends_a_working_link(client, editor):
    response = client.post("/compte/mot-de-passe/", {"email": editor.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/compte/mot-de-passe/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    new = "une toute autre phrase secrète"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password(new)


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post("/compte/mot-de-passe/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


# --------------------------------------------------------------------------- second factor


def test_codes_match_rfc6238_vectors():
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits → last 6 digits.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert code_at(secret, 59 // 30) == "287082"
    assert code_at(secret, 1111111109 // 30) == "081804"
    assert code_at(secret, 20000000000 // 30) == "353130"


def _enrolled(user) -> tuple[str, list[str]]:
    """An app enrolled through the service: its base32 secret and the recovery codes."""
    secret = services.totp_enrolment_secret(user=user)
    shown = services.totp_secret_shown(secret)
    _device, codes = services.totp_confirm(user=user, code=code_now(shown, -1), ip="127.0.0.1", secret=secret)
    return shown, codes


@pytest.mark.parametrize("role", ["embassy", "admin_user"])
def test_embassy_and_admin_must_enrol_before_being_signed_in(client, role, request):
    user = request.getfixturevalue(role)
    response = _signin(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/compte/double-authentification/"
    assert not _signed_in(client)
    # Pages that need an account still refuse: the password alone is not enough.
    assert client.get("/compte/").status_code == 302
    counts = table_counts()
    page = client.get("/compte/double-authentification/")
    html = page.content.decode()
    assert_nothing_written(counts)  # the GET is read-only (it took SQLite's write lock)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "otpauth://totp/" in html
    # The QR code is drawn on the server, inline: no image fetched from anywhere.
    assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*class="atlas-qr"', html)
    secret, signed = _enrol_form(html)
    counts = table_counts()
    bad = client.post("/compte/double-authentification/", {"code": "000000", "secret": signed})
    assert "Code incorrect" in bad.content.decode() and not _signed_in(client)
    assert not TOTPDevice.objects.filter(user=user).exists()
    code = code_now(secret)
    forged = client.post("/compte/double-authentification/", {"code": code, "secret": "x"})
    assert not _signed_in(client) and forged.status_code == 200
    response = client.post("/compte/double-authentification/", {"code": code, "secret": signed})
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and services.totp_secret_shown(device.key) == secret
    assert _signed_in(client) and client.session["second_factor"] is True
    # The recovery codes, shown in this response only, and the way on.
    assert response.status_code == 200
    shown = re.findall(RECOVERY_CODE, response.content.decode())
    assert len(shown) == services.RECOVERY_CODES
    assert sorted(c.replace("-", "") for c in shown) == sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    assert 'href="/espace/"' in response.content.decode()


def test_enrolled_admin_is_asked_for_the_code_and_a_code_works_once(client, admin_user):
    secret, _codes = _enrolled(admin_user)
    response = _signin(client, admin_user.email)
    assert response["Location"] == "/compte/connexion/code/"
    assert not _signed_in(client)
    code = code_now(secret)
    assert client.post("/compte/connexion/code/", {"code": code}).status_code == 302
    assert _signed_in(client)
    # The same code again (replay) is refused.
    other = Client()
    _signin(other, admin_user.email)
    replay = other.post("/compte/connexion/code/", {"code": code})
    assert replay.status_code == 200 and not _signed_in(other)
    assert "déjà utilisé" in replay.content.decode()


def test_a_recovery_code_signs_in_once(client, admin_user):
    _secret, codes = _enrolled(admin_user)
    _signin(client, admin_user.email)
    typed = services.recovery_code_shown(codes[0]).upper()  # « ABCD-EFGH », as copied from paper
    response = client.post("/compte/connexion/code/", {"code": typed}, follow=True)
    assert _signed_in(client)
    assert "il en reste 9" in response.content.decode()
    other = Client()
    _signin(other, admin_user.email)
    again = other.post("/compte/connexion/code/", {"code": codes[0]})
    assert again.status_code == 200 and not _signed_in(other)
    assert services.recovery_codes_left(user=admin_user) == 9


def test_new_recovery_codes_replace_the_old_ones(client, editor):
    _secret, old = _enrolled(editor)
    client.force_login(editor)
    page = client.post("/compte/double-authentification/codes-de-secours/")
    new = re.findall(RECOVERY_CODE, page.content.decode())
    assert len(new) == services.RECOVERY_CODES
    client.post("/compte/deconnexion/")
    _signin(client, editor.email)
    assert client.post("/compte/connexion/code/", {"code": old[0]}).status_code == 200
    assert not _signed_in(client)
    assert client.post("/compte/connexion/code/", {"code": new[0]}).status_code == 302
    assert _signed_in(client)


def test_recovery_codes_without_an_app_are_refused_and_nothing_written(client, editor):
    client.force_login(editor)
    counts = table_counts()
    response = client.post("/compte/double-authentification/codes-de-secours/", follow=True)
    assert "Aucune application d" in response.content.decode()
    assert_nothing_written(counts)


def test_code_guessing_is_throttled(client, admin_user, settings):
    settings.COOPATLAS_SIGNIN_MAX_FAILURES = 3
    secret, codes = _enrolled(admin_user)
    _signin(client, admin_user.email)
    for _ in range(3):
        client.post("/compte/connexion/code/", {"code": "123456"})
    assert SignInFailure.objects.filter(email=admin_user.email).count() == 3
    good = code_now(secret, 1)
    response = client.post("/compte/connexion/code/", {"code": good})
    assert response.status_code == 429 and not _signed_in(client)
    # A recovery code does not get round the lock either (nor is it spent).
    response = client.post("/compte/connexion/code/", {"code": codes[0]})
    assert response.status_code == 429 and not _signed_in(client)
    assert services.recovery_codes_left(user=admin_user) == services.RECOVERY_CODES


def test_code_page_without_a_password_first_goes_back_to_signin(client, db):
    assert client.get("/compte/connexion/code/")["Location"] == SIGNIN


def test_pending_second_factor_expires(client, admin_user, monkeypatch):
    _signin(client, admin_user.email)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert client.get("/compte/double-authentification/")["Location"].startswith(SIGNIN)


def _enrol_form(html: str) -> tuple[str, str]:
    """The secret the enrolment page shows, and the signed copy its form sends back."""
    shown = re.search(r'class="atlas-secret"[^>]*>([^<]+)<', html).group(1)
    signed = re.search(r'name="secret" value="([^"]+)"', html).group(1)
    return shown.replace(" ", ""), signed


def test_editor_may_enrol_optionally_then_is_asked(client, editor):
    assert _signin(client, editor.email).status_code == 302 and _signed_in(client)
    secret, signed = _enrol_form(client.get("/compte/double-authentification/").content.decode())
    client.post("/compte/double-authentification/", {"code": code_now(secret), "secret": signed})
    assert TOTPDevice.objects.get(user=editor).confirmed
    client.post("/compte/deconnexion/")
    assert _signin(client, editor.email)["Location"] == "/compte/connexion/code/"


def test_django_admin_login_goes_through_the_atlas_signin(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(SIGNIN)
