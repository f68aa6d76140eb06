"""TOTP codes from outside: unicode digits passed `isdigit()` and then broke the constant-time
comparison (TypeError, a 500 on the second-factor page)."""

import pytest

from coopatlas.accounts import totp


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "²²²²²²", "⑨⑨⑨⑨⑨⑨", "１２３４５６", "12345\x00"])
def test_non_ascii_digit_codes_are_simply_wrong(code):
    secret = totp.new_secret() if hasattr(totp, "new_secret") else "JBSWY3DPEHPK3PXP"
    assert totp.matching_step(secret, code) is None


def test_the_right_code_still_matches():
    secret = "JBSWY3DPEHPK3PXP"
    step = totp.timestep()
    assert totp.matching_step(secret, totp.code_at(secret, step)) is not None
