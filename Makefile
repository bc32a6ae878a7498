# Ostrom's only entry points. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# uv is pinned and hashed in requirements-bootstrap.lock so the installer itself is reproducible.
UV := $(BIN)/uv

.PHONY: pdf-libs run test lint bench worker demo setup setup-dev browser check-python clean

run: export DJANGO_DEBUG ?= 1
run: setup
	@$(MANAGE) migrate --noinput -v0
	@$(MANAGE) demo --if-empty
	@$(MANAGE) demo --personas
	@echo "Serving Ostrom on http://$(HOST):$(PORT)/ (worker running beside it; Ctrl-C stops both)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) db_worker --interval 1 >> $(VENV)/worker.log 2>&1 & \
	  while true; do $(MANAGE) tick >> $(VENV)/worker.log 2>&1; sleep 60; done & \
	  $(MANAGE) runserver $(HOST):$(PORT)

# Live-server tests hand connections between threads; persistent connections would outlive the test database.
test: export DATABASE_CONN_MAX_AGE ?= 0
test: setup-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/mypy
	$(BIN)/pytest

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup-dev
	$(PY) -m bench

worker: setup
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) db_worker

demo: setup
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) demo --reset
	$(MANAGE) demo --personas

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "Ostrom needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)."; \
	  echo "Install it (Debian 12: apt-get install python3 python3-venv) or run: make PYTHON=/path/to/python3.11 run"; \
	  exit 1; }

$(PY): | check-python
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: install python3-venv (apt-get install python3-venv)."; exit 1; }
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-bootstrap.lock

$(VENV)/.deps-run: requirements.lock | $(PY)
	$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.deps-dev: requirements-dev.lock | $(PY)
	$(UV) pip sync --quiet --python $(PY) --require-hashes requirements-dev.lock
	@touch $@ $(VENV)/.deps-run

setup: check-python pdf-libs $(VENV)/.deps-run
setup-dev: check-python pdf-libs $(VENV)/.deps-dev

# The printable directory is made by WeasyPrint, which needs Pango and a font from the system.
pdf-libs:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Pango and the DejaVu fonts for the printable directory"; \
	    (apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null || \
	     (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null)); \
	  else \
	    echo "The printable directory needs Pango and a font: run 'sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core'."; \
	    exit 1; \
	  fi; \
	fi

# Browser tests drive Debian's Chromium; never a browser downloaded by Playwright.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -qq chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	  else \
	    echo "The browser tests need Debian's Chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium'."; \
	    exit 1; \
	  fi; \
	fi

# Regenerate the locks after editing pyproject.toml (needs the network).
lock: $(PY)
	$(UV) pip compile --quiet pyproject.toml --universal --generate-hashes --python-version 3.11 --no-header -o requirements.lock
	$(UV) pip compile --quiet pyproject.toml --extra dev --universal --generate-hashes --python-version 3.11 --no-header -o requirements-dev.lock

clean:
	rm -rf $(VENV) db.sqlite3* .pytest_cache .mypy_cache .ruff_cache
