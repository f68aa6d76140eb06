"""Production: every secret from the environment, no insecure default.

The default of manage.py, wsgi.py and the `coopatlas` command: a server started without
DJANGO_SETTINGS_MODULE refuses to run rather than fall back to development settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, env_int

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
# Probes and the metrics scraper speak plain HTTP to the app server itself (docs/operations.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# PostgreSQL, the production database (docs/postgresql.md). What differs from SQLite:
# - connections: psycopg's pool (COOPATLAS_DB_POOL=1, pool size per process) or persistent
#   connections (CONN_MAX_AGE seconds) — not both, Django refuses the pair;
# - a statement timeout, so that one runaway query cannot hold a worker (and locks) forever.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _timeout_ms = env_int("COOPATLAS_DB_STATEMENT_TIMEOUT_MS", 30000)
    _options["options"] = f"-c statement_timeout={_timeout_ms}"
    if os.environ.get("COOPATLAS_DB_POOL", "") == "1":
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
        _options["pool"] = {
            "min_size": env_int("COOPATLAS_DB_POOL_MIN", 2),
            "max_size": env_int("COOPATLAS_DB_POOL_MAX", 10),
            "timeout": 10,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("COOPATLAS_DB_CONN_MAX_AGE", 60)  # noqa: F405
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
    for _alias, _db in DATABASES.items():  # noqa: F405
        if _alias.startswith("replica"):
            _db.setdefault("OPTIONS", {})["options"] = _options["options"]
            _db["CONN_HEALTH_CHECKS"] = True
