#!/usr/bin/env bash
# `make messages`: collect the French source strings of coopatlas/ into its .po files, keep the
# English already written, fill the French catalogue (source language: msgstr = msgid), compile.
# Then write the English of every new (empty) entry in coopatlas/locale/en/LC_MESSAGES/django.po
# and run it again to compile; coopatlas/core/tests/test_messages.py fails on an empty msgstr.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
export DJANGO_SETTINGS_MODULE=coopatlas.config.settings.test
cd coopatlas
# manage.py's makemessages is coopatlas.core's (no fuzzy matching); run from coopatlas/ so that
# only the package is scanned and the catalogues land in coopatlas/locale (LOCALE_PATHS).
"$BIN/python" ../manage.py makemessages -l en -l fr --no-location --no-obsolete \
  --ignore='*/tests/*' --ignore='*/migrations/*' --ignore='conftest.py'
msgen -o locale/fr/LC_MESSAGES/django.po locale/fr/LC_MESSAGES/django.po
"$BIN/python" ../manage.py compilemessages -l en -l fr
empty=$(msgattrib --untranslated locale/en/LC_MESSAGES/django.po | grep -c '^msgid ' || true)
if [ "${empty:-0}" -gt 1 ]; then
  echo "$((empty - 1)) English msgstr to write in coopatlas/locale/en/LC_MESSAGES/django.po"
fi
