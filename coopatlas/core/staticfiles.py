"""Static files: content-hashed names, pre-compressed (gzip + Brotli), cached for a year.

WhiteNoise serves a hashed name with `Cache-Control: max-age=315360000, immutable`, so a
return visit downloads no CSS, font or script again (issue 13: under 30 KB on a phone).
Django hands out unhashed names when DEBUG is on; the atlas wants the same URLs under
`make run` as in production (the browser suite and the page-weight bench measure them), so
the hashed name is always used. `coopatlas setup` runs collectstatic.
"""

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class AtlasStaticStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        try:
            return super().url(name, force=True)
        except ValueError:
            # Not collected yet (a fresh var/ served before `coopatlas setup`, a file added
            # since): its plain name, served by the finders in development, not a 500.
            return FileSystemStorage.url(self, name)


# What `coopatlas setup` does not collect: the DSFR's sources, replaced by the reduced build in
# atlas/static/atlas/dsfr (scripts/build_static.py); its script and favicons are kept.
# Collecting and compressing all of them took two minutes.
SETUP_IGNORE = [  # full paths (fnmatch's * crosses folders); a folder's name alone is a basename
    *(f"dsfr/dist/{d}/*" for d in ("component", "core", "utility", "icons", "artwork", "legacy", "scheme")),
    *(f"dsfr/dist/{d}/*" for d in ("layout", "analytics", "fonts")),
    "dsfr/dist/*.css",
    "dsfr/dist/dsfr.module.min.js",  # copies of dsfr/dist/dsfr/*.js
    "dsfr/dist/dsfr.nomodule.min.js",
    "dsfr/dist/dsfr/*.css",
    "django-dsfr/icon-picker/*",
    "css/dsfr-django-overrides.css",
    "leaflet/draw/*",
    *(
        f"leaflet/{f}*"
        for f in ("leaflet-src", "proj4", "Control.MiniMap", "leaflet.extras", "leaflet.forms")
    ),
    "leaflet/leaflet_django.css",
]
