"""Local development: `make run`. Not for production."""

import os

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# Static files as in production: hashed, compressed, collected by `coopatlas setup` into
# var/static (run it again after editing a CSS or JS file).

# E-mails are printed in the terminal of `make run` (and kept in "Mes messages").
COOPATLAS_EMAIL_DELIVERY = (
    os.environ.get("COOPATLAS_EMAIL_DELIVERY") or "django.core.mail.backends.console.EmailBackend"
)
