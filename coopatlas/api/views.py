"""The API's pages: the reference (server-rendered from the OpenAPI schema), the interactive
Swagger UI explorer beside it, and the Swagger UI files django-ninja ships, served without a
CDN or `ninja` in INSTALLED_APPS."""

from __future__ import annotations

import json
from pathlib import Path

import ninja
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from coopatlas.cooperation.filters import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX

from .reference import served_reference

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


@require_GET
@cache_control(public=True, max_age=86400)
def docs_asset(request, name: str):
    if name not in ASSETS:  # a fixed list: never a path built from the URL
        raise Http404(name)
    return FileResponse((ASSETS_DIR / name).open("rb"), content_type=ASSETS[name])


def _schema_url() -> str:
    return reverse("api:openapi-json")


def reference_page(request: HttpRequest, api) -> HttpResponse:
    """/api/v1/docs (ninja's docs URL, see api.AtlasDocs): every operation of `api`'s schema."""
    upload = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    context = {
        "title": _("API ouverte : documentation"),
        "reference": served_reference(api),
        "schema_url": _schema_url(),
        "explorer_url": reverse("api_docs_explorer"),
        "account_url": reverse("accounts:account"),
        "page_size_default": PAGE_SIZE_DEFAULT,
        "page_size_max": PAGE_SIZE_MAX,
        "upload_mb": round(upload / 1_000_000, 1),
        # The schema's texts are English: marked as such inside a French page (RGAA 8.7).
        "schema_lang": "" if (get_language() or "fr")[:2] == "en" else "en",
    }
    return render(request, "api/reference.html", context)


@require_GET
def explorer_page(request: HttpRequest) -> HttpResponse:
    """Swagger UI from the assets django-ninja ships, served by us (no CDN, works offline),
    inside the atlas's own page; its remaining accessibility faults are listed in the
    accessibility statement."""
    swagger = {"url": _schema_url(), "layout": "BaseLayout", "deepLinking": True, "validatorUrl": None}
    asset = "api_docs_asset"
    context = {
        "title": _("Explorateur interactif de l’API"),
        "schema_url": swagger["url"],
        "reference_url": reverse("api:openapi-view"),
        # '<' escaped so no value can close the <script> element.
        "settings": json.dumps(swagger).replace("<", "\\u003c"),
        "css": reverse(asset, args=["swagger-ui.css"]),
        "bundle": reverse(asset, args=["swagger-ui-bundle.js"]),
        "init": reverse(asset, args=["swagger-ui-init.js"]),
    }
    return render(request, "api/explorer.html", context)
