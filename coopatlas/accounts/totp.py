"""Time-based one-time passwords (RFC 6238 over RFC 4226), with the standard library only.

Six digits, 30-second steps, HMAC-SHA1: what every authenticator app (FreeOTP, Aegis,
Google Authenticator…) expects from an `otpauth://totp/` URI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from coopatlas.core.parse import is_ascii_digits

STEP = 30
DIGITS = 6
DRIFT = 1  # accept the previous and next step: phone clocks drift


def secret_new() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def timestep(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def code_at(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, code: str, *, at: float | None = None, after: int | None = None) -> int | None:
    """The time step `code` belongs to (within the drift), or None.

    Steps at or before `after` (the last one used) are refused: a code works once."""
    code = "".join((code or "").split())
    if len(code) != DIGITS or not is_ascii_digits(code):
        return None
    now = timestep(at)
    for step in range(now - DRIFT, now + DRIFT + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(*, secret: str, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
