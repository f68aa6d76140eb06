"""The API's language: its answers follow the caller's `Accept-Language`.

The pages carry their language in the path (/en/… for English, through `i18n_patterns` with
no prefix for French), and Django's LocaleMiddleware then gives every path outside those
patterns the default language, French, whatever the caller asked for. The API has one
path for every language, so here the language comes from the request itself: the
`django_language` cookie, then `Accept-Language`, then French.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation


class ApiLanguageMiddleware:
    """Placed after LocaleMiddleware, which then writes the chosen `Content-Language`."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        if self.prefix is None:
            self.prefix = reverse("api:openapi-json").rsplit("/", 1)[0] + "/"  # /api/v1/
        if request.path_info.startswith(self.prefix):
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
