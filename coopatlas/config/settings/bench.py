"""Benchmarks (`make bench`): production-like (DEBUG off) on a local SQLite file, no HTTPS."""

import os

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Static files straight from the apps and packages (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None  # nothing collected outside production
