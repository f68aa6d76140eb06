"""Error pages that Django renders itself unless told otherwise (404.html, 403.html and 500.html
are found by name; the CSRF refusal needs a view to be an atlas page in the visitor's language)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: Django's own page is English, technical and without a way
    back; `reason` (which check failed) is for the logs, not for the visitor."""
    return render(request, "403_csrf.html", status=403)
