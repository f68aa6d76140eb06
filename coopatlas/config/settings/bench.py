"""Benchmarks (`make bench`): production-like (DEBUG off) on a local SQLite file, no HTTPS."""

import os

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Static files as in production: hashed, compressed, collected by `coopatlas setup` into
# var/static (run it again after editing a CSS or JS file).
