import os

from django.core.wsgi import get_wsgi_application

# Production unless told otherwise: `make run` and the tests choose dev/test explicitly, so a
# server started without DJANGO_SETTINGS_MODULE never runs with DEBUG on and a known key.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.prod")
application = get_wsgi_application()
