"""Codes from outside: unicode digits once passed `isdigit()` and then broke the constant-time
comparison (TypeError, a 500 on the second-factor page); int() would also read them as
digits. They are simply wrong codes, counted as failures."""

import pytest

from coopatlas.accounts import services
from coopatlas.accounts.models import SignInFailure
from coopatlas.core.errors import AppError

from .otp_codes import code_now


@pytest.fixture
def enrolled(db):
    user = services.user_add(email="otp-input@example.org", role="admin", password="x" * 12)[0]
    secret = services.totp_enrolment_secret(user=user)
    shown = services.totp_secret_shown(secret)
    services.totp_confirm(user=user, code=code_now(shown, -1), ip="127.0.0.1", secret=secret)
    return user, shown


@pytest.mark.parametrize(
    "code", ["١٢٣٤٥٦", "²²²²²²", "⑨⑨⑨⑨⑨⑨", "１２３４５６", "12345\x00", "ｅｆｇｈ２３４５"]
)
def test_non_ascii_codes_are_simply_wrong(enrolled, code):
    user, _shown = enrolled
    with pytest.raises(AppError) as exc:
        services.totp_verify(user=user, code=code, ip="10.0.0.9")
    assert exc.value.field == "code" and "Code incorrect" in exc.value.message
    assert SignInFailure.objects.filter(email=user.email).count() == 1


def test_the_right_code_still_matches_with_spaces(enrolled):
    user, shown = enrolled
    code = code_now(shown)
    assert services.totp_verify(user=user, code=f" {code[:3]} {code[3:]} ", ip="10.0.0.9")
