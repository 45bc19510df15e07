# Two commands do all the set-up on a fresh machine (each makes its own virtualenv):
#   make test      lint + the whole test suite on MariaDB, like a real bench (scripts/mariadb.sh installs it where
#                  missing and allowed, and starts a private server on 127.0.0.1:3307 with its data in .mariadb/);
#                  WCS_DB=sqlite make test runs it on the embedded SQLite stand-in instead
#   make sandbox   simulated stores + stand-in ERPNext, full sync, dashboard
# Extras: make bench (benchmarks, prints figures), make clean.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test sandbox bench lint clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

WCS_DB ?= mariadb

test: lint
	@if [ "$(WCS_DB)" = sqlite ]; then WCS_DB=sqlite $(PY) -m pytest; \
	else settings="$$(scripts/mariadb.sh start)" && eval "$$settings" && $(PY) -m pytest; fi

sandbox: $(STAMP)
	$(VENV)/bin/wix-commerce-sync sandbox $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

clean:
	-scripts/mariadb.sh stop
	rm -rf $(VENV) build dist *.egg-info sandbox-data .mariadb
