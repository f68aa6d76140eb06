"""The one Bearer authentication of the whole API (write API, declarations, IATI…), kept in
accounts (below every app that serves an API, so none of them imports another to get it):
`Authorization: Bearer TOKEN`, a token from the account page or `coopatlas tokens create`."""

# No `from __future__ import annotations`: ninja reads the annotations.

from django.http import HttpRequest
from ninja.security import HttpBearer

from coopatlas.accounts.services import token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        return token_user(key=(token or "").strip())


AUTH = TokenAuth()
