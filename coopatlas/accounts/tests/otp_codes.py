"""The codes an authenticator app would show, for tests: RFC 6238 through django-otp's
own implementation, from the base32 secret the enrolment page shows."""

import base64
import time

from django_otp.oath import hotp


def key_of(secret_b32: str) -> bytes:
    secret = "".join(secret_b32.split()).upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def code_at(secret_b32: str, step: int) -> str:
    return str(hotp(key_of(secret_b32), step)).zfill(6)


def code_now(secret_b32: str, steps: int = 0) -> str:
    """The code of the current 30-second step, or of a step `steps` away."""
    return code_at(secret_b32, int(time.time()) // 30 + steps)
