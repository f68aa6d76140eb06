"""Settings shared by every environment. Secrets and hosts come from the environment."""

import importlib.util
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_int(name: str, default: int) -> int:
    """A whole number from the environment (unset or empty: `default`). ASCII digits only,
    as core.parse reads every number from outside (that module needs Django set up, so the
    settings keep this small twin): a bad value stops the start with its name and the fix,
    not a ValueError traceback (nor, through the launcher, « invalid --port »)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise ImproperlyConfigured(
            f"{name}={raw[:40]!r} is not a whole number: write it with the digits 0-9 "
            f"(for example {name}={default}), or unset it for the default ({default})"
        )
    return int(raw)


PACKAGE_DIR = Path(__file__).resolve().parents[2]  # .../coopatlas
PROJECT_DIR = PACKAGE_DIR.parent
# The database, uploads and collected static files live here (default: var/ in the checkout).
VAR_DIR = Path(os.environ.get("COOPATLAS_VAR_DIR") or PROJECT_DIR / "var")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # `coopatlas serve` serves the collected files, as prod does
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dsfr",
    "widget_tweaks",
    "coopatlas.core",
    "coopatlas.accounts",
    "django_otp",  # second factor (issue 13): TOTP apps and one-use recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "coopatlas.reference",
    "coopatlas.geo",
    "coopatlas.cooperation",
    "coopatlas.atlas",
    "coopatlas.api",
    "coopatlas.documents",
    "coopatlas.compliance",
    "coopatlas.iati",
    "coopatlas.declarations",
    "coopatlas.editor",
    "coopatlas.calls",
    "coopatlas.stateatlas",
    "coopatlas.matchmaking",
    "coopatlas.ops",
    "django_tasks",
    "django_tasks_db",
    "django_prometheus",
    "django_structlog",
    "health_check",  # its templates (the /healthz page)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # ops: first and last (timing)
    "coopatlas.ops.middleware.RequestIdMiddleware",  # ops: X-Request-ID, JSON logs
    "django_structlog.middlewares.RequestMiddleware",
    "coopatlas.ops.routing.PrimaryPinMiddleware",  # ops: read-your-writes with replicas
    "django.middleware.security.SecurityMiddleware",
    "coopatlas.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed too (Django's BREACH mitigation pads them); static files are already.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "coopatlas.api.middleware.ApiLanguageMiddleware",  # the API follows Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coopatlas.core.freshness.PublicCacheMiddleware",  # ETag/304 from the data stamp
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the request after the session, user and messages are set up.
    "coopatlas.core.middleware.ErrorBoundaryMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "coopatlas.config.urls"
# A form refused for its CSRF token: an atlas page in the visitor's language.
CSRF_FAILURE_VIEW = "coopatlas.atlas.error_views.csrf_failure"
WSGI_APPLICATION = "coopatlas.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coopatlas.atlas.context_processors.site_config",  # dsfr's, once per stamp
                "coopatlas.atlas.context_processors.operator",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'coopatlas.sqlite3'}",
        conn_max_age=60,
    )
}
_SQLITE_CACHE_MB = env_int("COOPATLAS_SQLITE_CACHE_MB", 8)
_SQLITE_MMAP_MB = env_int("COOPATLAS_SQLITE_MMAP_MB", 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a write transaction takes SQLite's write lock at BEGIN, waiting up to
    # `timeout` seconds (the busy timeout) for it. With the default DEFERRED, a transaction
    # that read first and then writes cannot wait (SQLITE_BUSY at once): concurrent saves
    # answered 500 "database is locked" instead of one 200 and 409s.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # cache_size: an 8 MB page cache per connection instead of the 2 MB default, so
            # the indexes read most stay in memory between reads (the OS keeps the rest of
            # the file). No memory map by default: its pages count in every process's RSS
            # (measured at 10x: 957 MB summed with a 256 MB map, 531 MB without, for the
            # same CPU per answer). Each thread of each server process has its connection.
            # 8 rather than 16 MB: at 10x under load, 474 against 533 MB summed RSS for the
            # same answers a second (223 and 229 in the first minute, 500 and 515 after).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{_SQLITE_CACHE_MB * 1024}; PRAGMA mmap_size={_SQLITE_MMAP_MB * 2**20}; "
            "PRAGMA temp_store=MEMORY;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet's JS/CSS come from the django-leaflet package; its Django app is not installed
# because it imports GeoDjango (GDAL), which the atlas does not need.
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").origin).parent / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "coopatlas.core.staticfiles.AtlasStaticStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"  # uploads: outside static files, served only by documents' view

# Accounts (issue 3): sign-in pages, password reset by e-mail.
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "editor:dashboard"  # the officer lands on what is due
LOGOUT_REDIRECT_URL = "atlas:home"
# Every message goes through the recording backend (ops/mail.py: a copy per recipient in the
# outbox, shown in "Mes messages"), which hands it to COOPATLAS_EMAIL_DELIVERY.
EMAIL_BACKEND = "coopatlas.ops.mail.RecordingEmailBackend"
COOPATLAS_EMAIL_DELIVERY = os.environ.get("COOPATLAS_EMAIL_DELIVERY") or os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DJANGO_EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("DJANGO_EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "atlas@localhost")
# The site's public address, for links in e-mails sent outside a request (notifications).
COOPATLAS_SITE_URL = os.environ.get("COOPATLAS_SITE_URL", "http://127.0.0.1:8000")
PASSWORD_RESET_TIMEOUT = 3 * 3600
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Every COOPATLAS_* setting is declared here, read from the environment and listed with a
# comment in .env.example (coopatlas/core/tests/test_settings.py checks all three).
# The design system sits behind one base template; another operator swaps this value.
COOPATLAS_OPERATOR = {
    "name": os.environ.get("COOPATLAS_OPERATOR_NAME", "Ministère de l'Europe et des Affaires étrangères"),
    "base_template": os.environ.get("COOPATLAS_BASE_TEMPLATE", "atlas/base_dsfr.html"),
}
# The map's online tiles (empty: the offline basemap shipped with the atlas) and their credit.
COOPATLAS_TILE_URL = os.environ.get("COOPATLAS_TILE_URL", "")
COOPATLAS_TILE_ATTRIBUTION = os.environ.get("COOPATLAS_TILE_ATTRIBUTION", "")
# Extra Content-Security-Policy sources, as JSON: {"img-src": ["https://stats.example.org"]}.
COOPATLAS_CSP_EXTRA = json.loads(os.environ.get("COOPATLAS_CSP_EXTRA") or "{}")
# Sign-in throttling: failures in a row before the account is locked, and for how long.
COOPATLAS_SIGNIN_MAX_FAILURES = env_int("COOPATLAS_SIGNIN_MAX_FAILURES", 5)
COOPATLAS_SIGNIN_LOCK_MINUTES = env_int("COOPATLAS_SIGNIN_LOCK_MINUTES", 15)
# Second factor on django-otp: the one throttle is the sign-in counter above (password and
# code share it), so django-otp's own per-device back-off is off.
OTP_TOTP_ISSUER = "Atlas coopération décentralisée"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Public answers (core/freshness.py): kept whole under the data stamp for visitors without a
# session, and how long a proxy or CDN may keep them (seconds).
COOPATLAS_PAGE_CACHE = os.environ.get("COOPATLAS_PAGE_CACHE", "1") != "0"
# Each server process keeps its most-read kept pages in memory too, in front of the shared
# cache (the key holds the stamp, read on every request: never stale). Entries and MB.
COOPATLAS_PAGE_LOCAL_ENTRIES = env_int("COOPATLAS_PAGE_LOCAL_ENTRIES", 512)
COOPATLAS_PAGE_LOCAL_MB = env_int("COOPATLAS_PAGE_LOCAL_MB", 32)
# The same per process for the cached reads (facets, counts, country pages), in MB.
COOPATLAS_READS_LOCAL_MB = env_int("COOPATLAS_READS_LOCAL_MB", 16)
# After each committed write the worker renders the most-read public pages again
# (ops/warm.py, ops/data/warm_paths.json): the first visitor after a write gets a kept page.
COOPATLAS_WARM_AFTER_WRITE = os.environ.get("COOPATLAS_WARM_AFTER_WRITE", "1") != "0"
# core/shapes.py: compile each kept query again on every use and compare (1: on; the test
# settings turn it on, so the suite checks the kept SQL; it costs what the keeping saves).
COOPATLAS_SHAPES_VERIFY = os.environ.get("COOPATLAS_SHAPES_VERIFY", "0") == "1"
COOPATLAS_PUBLIC_MAX_AGE = env_int("COOPATLAS_PUBLIC_MAX_AGE", 60)


# --------------------------------------------------------------------------- operations (issue 15)
# Several app servers share nothing but the database: cache, sessions and the sign-in
# throttle (accounts.SignInFailure rows) all live there. The cache table is created by the
# ops migrations (and `createcachetable`), so `migrate` is enough on a new database.
CACHES = {
    "default": {
        "BACKEND": "coopatlas.core.cache.DatabaseCache",  # one-statement set (core/cache.py)
        "LOCATION": "coopatlas_cache",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Read replicas (docs/operations.md): comma-separated database URLs; reads go to them, writes
# and the reads of a request that wrote (and of the next COOPATLAS_REPLICA_PIN_SECONDS, by a
# cookie) to the primary.
COOPATLAS_REPLICA_URLS = [u for u in os.environ.get("COOPATLAS_REPLICA_URLS", "").split(",") if u.strip()]
COOPATLAS_REPLICA_PIN_SECONDS = env_int("COOPATLAS_REPLICA_PIN_SECONDS", 10)
for _i, _url in enumerate(COOPATLAS_REPLICA_URLS, start=1):
    DATABASES[f"replica{_i}"] = dj_database_url.parse(_url.strip(), conn_max_age=60)
if COOPATLAS_REPLICA_URLS:
    DATABASE_ROUTERS = ["coopatlas.ops.routing.PrimaryReplicaRouter"]

# PostgreSQL: prepared statements. A fiche is a score of small queries that PostgreSQL plans
# for longer than it runs them (pg_stat_statements, a project fiche at national scale: 4.9 ms
# planning, 1.5 ms executing; prepared, 0.7 ms planning): parameters bound by the server, and
# psycopg prepares a query the (COOPATLAS_DB_PREPARE_THRESHOLD + 1)th time a connection runs
# it. A query with more parameters than the protocol allows (a long `id__in`, a bulk insert)
# is bound in its text instead (core/pgcursor.py). Django turns prepared statements off by
# default for a PgBouncer in transaction mode: behind one older than 1.21 (or without
# max_prepared_statements), set COOPATLAS_DB_PREPARE_THRESHOLD=off.
_PREPARE = (os.environ.get("COOPATLAS_DB_PREPARE_THRESHOLD") or "").strip().lower()
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql" and _PREPARE != "off":
        from coopatlas.core.pgcursor import PreparingCursor

        _db.setdefault("OPTIONS", {}).update(
            {
                "server_side_binding": True,
                "cursor_factory": PreparingCursor,
                "prepare_threshold": env_int("COOPATLAS_DB_PREPARE_THRESHOLD", 1),
            }
        )

# Uploaded documents: the filesystem (MEDIA_ROOT) or an S3-compatible store (django-storages).
COOPATLAS_STORAGE = os.environ.get("COOPATLAS_STORAGE", "filesystem")
if COOPATLAS_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("COOPATLAS_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("COOPATLAS_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("COOPATLAS_S3_ACCESS_KEY", ""),
            "secret_key": os.environ.get("COOPATLAS_S3_SECRET_KEY", ""),
            "region_name": os.environ.get("COOPATLAS_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Background jobs (django-tasks, database backend): `coopatlas worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# /metrics (Prometheus): with a token, only `Authorization: Bearer <token>`; without one,
# only direct requests from the machine itself (loopback, no proxy header).
COOPATLAS_METRICS_TOKEN = os.environ.get("COOPATLAS_METRICS_TOKEN", "")
# /healthz fails when the disk holding COOPATLAS_VAR_DIR is fuller than this (percent).
COOPATLAS_HEALTH_MAX_DISK_PERCENT = float(os.environ.get("COOPATLAS_HEALTH_MAX_DISK_PERCENT") or 95)

# Structured logs: one JSON object per line on stderr, with the request id (django-structlog).
COOPATLAS_LOG_FORMAT = os.environ.get("COOPATLAS_LOG_FORMAT", "json")
COOPATLAS_LOG_LEVEL = os.environ.get("COOPATLAS_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "structlog.stdlib.ProcessorFormatter",
            "processor": "ext://coopatlas.ops.logs.RENDERER",
            "foreign_pre_chain": "ext://coopatlas.ops.logs.PRE_CHAIN",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django_structlog": {"level": COOPATLAS_LOG_LEVEL},
        "coopatlas": {"level": COOPATLAS_LOG_LEVEL},
    },
}
