"""The Swagger UI files django-ninja ships, served without a CDN or `ninja` in INSTALLED_APPS."""

from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

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
