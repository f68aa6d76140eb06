"""The request id: taken from the client's (or proxy's) X-Request-ID when it looks sane,
otherwise made here; bound into every log line of the request (structlog context) and sent
back in the X-Request-ID response header, so a user's report can be found in the logs."""

from __future__ import annotations

import re
import uuid

import structlog

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request_id = given if _SANE.match(given) else str(uuid.uuid4())
        # django-structlog's middleware reads the same header: give it the checked value.
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response[HEADER] = request_id
        return response
