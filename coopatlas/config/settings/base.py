"""Settings shared by every environment. Secrets and hosts come from the environment."""

import importlib.util
import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

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
]

MIDDLEWARE = [
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the request after the session, user and messages are set up.
    "coopatlas.core.middleware.ErrorBoundaryMiddleware",
]

ROOT_URLCONF = "coopatlas.config.urls"
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
                "dsfr.context_processors.site_config",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a write transaction takes SQLite's write lock at BEGIN, waiting up to
    # `timeout` seconds (the busy timeout) for it. With the default DEFERRED, a transaction
    # that read first and then writes cannot wait (SQLITE_BUSY at once): concurrent saves
    # answered 500 "database is locked" instead of one 200 and 409s.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
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
LOGIN_REDIRECT_URL = "atlas:home"
LOGOUT_REDIRECT_URL = "atlas:home"
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "atlas@localhost")
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
COOPATLAS_SIGNIN_MAX_FAILURES = int(os.environ.get("COOPATLAS_SIGNIN_MAX_FAILURES") or 5)
COOPATLAS_SIGNIN_LOCK_MINUTES = int(os.environ.get("COOPATLAS_SIGNIN_LOCK_MINUTES") or 15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
