#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Production unless told otherwise: `make run` and the tests choose dev/test explicitly,
    # so a server started without DJANGO_SETTINGS_MODULE never runs with DEBUG and a known key.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopatlas.config.settings.prod")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
