"""Security headers Django 5.2 does not set itself.

A strict Content-Security-Policy: everything from our own origin, no inline script or
style attribute, no plugin, no framing. Pages keep their data in `data-*` attributes or
`<script type="application/json">` blocks (never executed) read by static JS. The map's
optional online tiles (COOPATLAS_TILE_URL) are the one outside origin, images only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

HEADER = "Content-Security-Policy"


def _tile_origin() -> str:
    url = getattr(settings, "COOPATLAS_TILE_URL", "") or ""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return ""
    # {s} stands for the tile servers' sub-domains: a.tile…, b.tile…
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return f"{parts.scheme}://{host}"


def content_security_policy() -> str:
    images = ["'self'", "data:"]  # the design system's icons are data: URIs in its CSS
    tiles = _tile_origin()
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    extra = getattr(settings, "COOPATLAS_CSP_EXTRA", {}) or {}
    for name, sources in extra.items():
        directives.setdefault(name, []).extend(sources)
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (unless a view set its own) and COOP."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.policy
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


# --------------------------------------------------------------------------- error boundary

JSON_FORMATS = ("json", "csv", "xlsx", "crs", "geojson")
# Addresses whose answer is data by their name (the type-ahead's suggestions.json, the
# map's partenariats.geojson): a script reads their errors, not a person.
JSON_SUFFIXES = (".json", ".geojson")


def wants_json(request) -> bool:
    """The API, and the JSON/CSV twins of pages, answer errors as JSON."""
    return (
        request.path_info.startswith("/api/")
        or request.path_info.endswith(JSON_SUFFIXES)
        or request.GET.get("format") in JSON_FORMATS
        or "application/json" in request.headers.get("Accept", "")
        and "text/html" not in request.headers.get("Accept", "")
    )


def app_error_response(request, exc):
    """The one place an AppError becomes an HTTP answer: its own status, JSON or a page."""
    from django.http import JsonResponse
    from django.shortcuts import render

    from coopatlas.core.errors import NotFound, http_status_of

    status = http_status_of(exc)
    if wants_json(request):
        return JsonResponse(exc.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, NotFound):
        title = _("Page introuvable")
    elif status == 403:
        title = _("Accès refusé")
    elif status == 413:
        title = _("Envoi trop volumineux")
    elif request.method in ("GET", "HEAD"):
        title = _("Paramètre incorrect")
    else:
        title = _("Demande refusée")
    return render(
        request, "atlas/error.html", {"title": title, "error": exc, "status": status}, status=status
    )


def _nul_field(data, path: str = "") -> str | None:
    """The first key (dotted path) whose name or text holds a NUL character, or None."""
    if isinstance(data, str):
        return path or "body" if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            found = _nul_field(value, here)
            if found:
                return found
    if isinstance(data, list):
        for i, value in enumerate(data):
            found = _nul_field(value, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def _nul_error(field: str):
    from coopatlas.core.errors import AppError

    return AppError(
        _(
            "%(field)s : le texte contient un caractère nul (U+0000), que la base de "
            "données refuse ; retirez-le (il vient souvent d'un copier-coller)."
        )
        % {"field": field[:80]},
        field=field[:80],
    )


def request_nul_field(request) -> str | None:
    """The query, form or JSON field of `request` that holds a NUL character, or None."""
    import json

    if "\x00" in request.path_info:
        return "url"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            return name
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name
        for name, upload in request.FILES.items():
            if "\x00" in (upload.name or ""):
                return name
    elif content_type.endswith("json") and (b"\\u0000" in request.body or b"\x00" in request.body):
        try:
            return _nul_field(json.loads(request.body)) or "body"
        except ValueError:
            return "body"
    return None


def _too_large(request) -> bool:
    """The body (files apart) is over DATA_UPLOAD_MAX_MEMORY_SIZE by its announced length."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type == "multipart/form-data":
        return False  # multipart: files do not count; Django checks the fields while reading
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > limit


def too_large_error():
    from coopatlas.core.errors import PayloadTooLarge

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return PayloadTooLarge(
        _(
            "Le corps de la requête dépasse %(size)s Mo, la taille acceptée ; envoyez moins de "
            "données à la fois (les fichiers se déposent en multipart/form-data)."
        )
        % {"size": round(limit / 1_000_000, 1)},
        field="body",
    )


class ErrorBoundaryMiddleware:
    """The one error boundary of pages: an AppError raised anywhere in a view becomes its
    `http_status` (404, 403, 409, 422…) as a page or JSON; a body over the size limit is a
    413; a NUL character in any query, form or JSON field is a 422 naming the field,
    before any view can write it (PostgreSQL refuses NUL in text)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig

        if _too_large(request):
            return app_error_response(request, too_large_error())
        try:
            field = request_nul_field(request)
        except RequestDataTooBig:
            return app_error_response(request, too_large_error())
        if field is not None:
            return app_error_response(request, _nul_error(field))
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig

        from coopatlas.core.errors import AppError

        if isinstance(exception, RequestDataTooBig):
            return app_error_response(request, too_large_error())
        if isinstance(exception, AppError):
            return app_error_response(request, exception)
        return None
