# django-automations: small targets, `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: help install browser-deps test test-sqlite test-postgres lint bench demo clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev dependencies

CHROMIUM := /usr/bin/chromium

browser-deps: ## Install Debian's chromium for the browser tests, if missing
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; mkdir -p var; \
	echo "Installing Debian's chromium for the browser tests ..."; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  >var/apt-chromium.log 2>&1 && [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$${CI:-}" = "true" ]; then \
	  echo "ERROR: chromium could not be installed (see var/apt-chromium.log); CI=true needs the browser tests." >&2; \
	  exit 1; \
	fi; \
	echo "SKIPPED: chromium could not be installed; the browser tests will be skipped."

test: install browser-deps ## Run the whole suite on SQLite, then on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install ## Run the suite on SQLite only
	ATM_TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install ## Run the suite on PostgreSQL only (127.0.0.1:5432, user postgres)
	@PY=$(PY) scripts/ensure_postgres.sh; status=$$?; \
	if [ $$status -eq 3 ]; then exit 0; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	ATM_TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS)

lint: install ## Ruff lint and format check, migrations up to date
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	ATM_TEST_DB=sqlite DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m django makemigrations --check --dry-run automations

ORIGINAL := var/venv-original
ORIGINAL_STAMP := $(ORIGINAL)/.installed-stamp

$(ORIGINAL_STAMP):
	test -x $(ORIGINAL)/bin/python || $(PYTHON) -m venv $(ORIGINAL)
	$(ORIGINAL)/bin/python -m pip install --quiet "django-automations==0.9.4.1" "Django>=5.2,<6" "psycopg[binary]>=3.1"
	touch $(ORIGINAL_STAMP)

bench: install $(ORIGINAL_STAMP) ## Benchmarks on SQLite and PostgreSQL, against the original 0.9.4.1
	$(PY) bench/run.py --db sqlite $(BENCH_ARGS)
	@PY=$(PY) scripts/ensure_postgres.sh; status=$$?; \
	if [ $$status -eq 3 ]; then exit 0; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	$(PY) bench/run.py --db postgres $(BENCH_ARGS)

demo: install ## The example project on SQLite: web server, automations-daemon, automations run to the end
	scripts/demo.sh

clean: ## Remove the virtualenv and build artefacts
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache var
