"""Error pages that Django renders itself unless told otherwise (404.html, 403.html and 500.html
are found by name; the CSRF refusal needs a view to be an atlas page in the visitor's language)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: Django's own page is English, technical and without a way
    back; `reason` (which check failed) is for the logs, not for the visitor."""
    return render(request, "403_csrf.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """settings' handler404 (config/urls.py): an address no view answers. The API and the
    data addresses answer it as JSON through the one error boundary, as every other
    refusal of theirs (a script reads it); pages get the atlas's 404 page."""
    from django.utils.translation import gettext as _
    from django.views.defaults import page_not_found

    from coopatlas.core.errors import NotFound
    from coopatlas.core.middleware import app_error_response, wants_json

    if wants_json(request):
        return app_error_response(
            request,
            NotFound(
                _("Aucune adresse « %(path)s » : la liste des adresses de l'API est sur /api/v1/docs.")
                % {"path": request.path[:200]},
                field="path",
            ),
        )
    return page_not_found(request, exception)
