"""Security headers Django 5.2 does not set itself.

A strict Content-Security-Policy: everything from our own origin, no inline script or
style attribute, no plugin, no framing. Pages keep their data in `data-*` attributes or
`<script type="application/json">` blocks (never executed) read by static JS. The map's
optional online tiles (COOPATLAS_TILE_URL) are the one outside origin, images only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

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
