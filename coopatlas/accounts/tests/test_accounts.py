"""Accounts: users with roles and scopes, tokens stored as hashes, throttled sign-in, and
the `users` / `tokens` commands with good and bad arguments."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from coopatlas.accounts import services
from coopatlas.accounts.models import ApiToken, Membership, SignInFailure, User
from coopatlas.cooperation.tests import factories as f
from coopatlas.core.errors import AppError

pytestmark = pytest.mark.django_db


@pytest.fixture
def atlas():
    return f.small_atlas()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_users_add_generates_and_prints_a_password(atlas):
    out = run(
        "users",
        "add",
        "--email",
        "Agent@Example.org",
        "--role",
        "editor",
        "--authority",
        "96001",
        "--authority",
        "900000001",
    )
    password = out.strip().splitlines()[-1]
    user = User.objects.get(email="agent@example.org")
    assert user.check_password(password) and len(password) >= 16
    membership = Membership.objects.get(user=user)
    assert list(membership.authorities.all()) == [atlas["commune"]]  # same commune twice
    assert "agent@example.org" in run("users", "list")


def test_users_add_embassy_with_country_and_given_password(atlas):
    out = run(
        "users",
        "add",
        "--email",
        "amb@example.org",
        "--role",
        "embassy",
        "--country",
        "qm",
        "--password",
        "a-long-enough-secret",
    )
    assert "Mot de passe" not in out
    user = User.objects.get(email="amb@example.org")
    assert user.check_password("a-long-enough-secret")
    assert Membership.objects.get(user=user).country_id == "QM"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "x@example.org", "--role", "editor"], "--authority"),
        (["--email", "x@example.org", "--role", "editor", "--authority", "00000"], "--authority"),
        (["--email", "x@example.org", "--role", "embassy"], "--country"),
        (["--email", "x@example.org", "--role", "embassy", "--country", "ZZ"], "--country"),
        (["--email", "x@example.org", "--role", "embassy", "--country", "FR"], "--country"),
        (["--email", "x@example.org", "--role", "admin", "--country", "QM"], "--country"),
        (["--email", "pas-une-adresse", "--role", "admin"], "--email"),
        (["--email", "x@example.org", "--role", "admin", "--password", "court"], "--password"),
        (["--email", "x@example.org", "--role", "king"], "invalid choice"),
        (["--role", "admin"], "--email"),
    ],
)
def test_users_add_bad_arguments_create_nothing(atlas, args, message):
    with pytest.raises(CommandError, match=message):
        run("users", "add", *args)
    assert not User.objects.filter(email="x@example.org").exists()


def test_tokens_create_list_revoke(atlas):
    services.user_add(email="ed@example.org", role="admin", password="a-long-enough-secret")
    out = run("tokens", "create", "--email", "ed@example.org", "--name", "script")
    key = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.values())  # only the hash is stored
    assert services.token_user(key=key).email == "ed@example.org"
    listing = run("tokens", "list")
    assert token.prefix in listing and key not in listing
    with pytest.raises(CommandError, match="--prefix"):
        run("tokens", "revoke", "--email", "ed@example.org", "--prefix", "cat_nope")
    assert "1 jeton" in run("tokens", "revoke", "--email", "ed@example.org", "--prefix", token.prefix)
    assert services.token_user(key=key) is None
    with pytest.raises(CommandError, match="aucun compte"):
        run("tokens", "create", "--email", "absent@example.org")


def test_password_hashing_is_argon2_in_production_settings():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("secret-password", hasher.salt())
    assert encoded.startswith("argon2$") and hasher.verify("secret-password", encoded)


@override_settings(COOPATLAS_SIGNIN_MAX_FAILURES=3, COOPATLAS_SIGNIN_LOCK_MINUTES=10)
def test_signin_is_throttled_per_email_and_address():
    User.objects.create_user(email="u@example.org", password="the-right-password")
    for _ in range(3):
        with pytest.raises(AppError, match="incorrect"):
            services.signin(email="u@example.org", password="wrong", ip="10.0.0.1")
    with pytest.raises(services.SignInLocked) as exc:  # even the right password now
        services.signin(email="u@example.org", password="the-right-password", ip="10.0.0.1")
    assert exc.value.http_status == 429 and "minute" in exc.value.message
    # another address is not locked out by someone else's guesses
    assert (
        services.signin(email="u@example.org", password="the-right-password", ip="10.0.0.2").email
        == "u@example.org"
    )
    SignInFailure.objects.update(at=SignInFailure.objects.first().at - timedelta(minutes=11))
    assert (
        services.signin(email="U@example.org", password="the-right-password", ip="10.0.0.1").email
        == "u@example.org"
    )
    assert not SignInFailure.objects.filter(ip="10.0.0.1").exists()


@override_settings(COOPATLAS_SIGNIN_MAX_FAILURES=3)
def test_concurrent_guesses_are_counted_before_the_check(monkeypatch):
    """Two guesses in flight at once when one try is left: only one password is checked.
    Before the fix both read "2 failures" and both were tried (a check-then-write race)."""
    User.objects.create_user(email="u@example.org", password="the-right-password")
    for _ in range(2):
        with pytest.raises(AppError):
            services.signin(email="u@example.org", password="wrong", ip="10.0.0.1")
    checked, outcomes = [], []
    real = services.authenticate

    def authenticate_while_another_guess_arrives(request, **credentials):
        checked.append(credentials["password"])
        if len(checked) == 1:  # the second guess arrives while the first is being checked
            try:
                services.signin(email="u@example.org", password="guess-2", ip="10.0.0.1")
            except AppError as exc:
                outcomes.append(type(exc).__name__)
        return real(request, **credentials)

    monkeypatch.setattr(services, "authenticate", authenticate_while_another_guess_arrives)
    with pytest.raises(AppError):
        services.signin(email="u@example.org", password="guess-1", ip="10.0.0.1")
    assert checked == ["guess-1"] and outcomes == ["SignInLocked"]
    assert SignInFailure.objects.filter(email="u@example.org").count() == 3
