"""Test settings: fast hasher, in-memory SQLite unless DATABASE_URL names PostgreSQL."""

import os

from .base import *  # noqa: F401,F403
from .base import DATABASES

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

# Static files straight from the apps and packages (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None  # nothing collected outside production

# pytest-django replaces EMAIL_BACKEND by locmem; tests of the outbox put the recording
# backend back, which then delivers to locmem too.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Whole public answers kept under the data stamp (core/freshness.py): off here, so tests
# that change settings between two requests see the change; test_freshness turns it on.
COOPATLAS_PAGE_CACHE = False
COOPATLAS_EMAIL_DELIVERY = "django.core.mail.backends.locmem.EmailBackend"
COOPATLAS_WARM_AFTER_WRITE = False  # on in ops/tests/test_warm.py
# Every query read through core.shapes with its kept SQL is compiled again and compared:
# the suite checks that a shape's key holds all that makes its SQL.
COOPATLAS_SHAPES_VERIFY = True
