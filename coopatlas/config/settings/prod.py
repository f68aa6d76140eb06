"""Production: every secret from the environment, no insecure default.

The default of manage.py, wsgi.py and the `coopatlas` command: a server started without
DJANGO_SETTINGS_MODULE refuses to run rather than fall back to development settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS

_DEV_HINT = (
    "For development use `make run`, or set DJANGO_SETTINGS_MODULE=coopatlas.config.settings.dev; "
    "see .env.example."
)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 40:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of 40+ characters "
        "(production settings). " + _DEV_HINT
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must name the site's host(s), comma-separated "
        "(production settings). " + _DEV_HINT
    )
DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
