# Two commands do all the set-up on a fresh machine (each makes its own virtualenv):
#   make test      lint + the whole test suite
#   make sandbox   simulated stores + stand-in ERPNext, full sync, dashboard
# Extras: make bench (benchmarks, prints figures), make clean.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test sandbox bench lint clean contracts-shopify

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

sandbox: $(STAMP)
	$(VENV)/bin/wix-commerce-sync sandbox $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Re-pin Shopify's published Admin GraphQL schemas (npm @shopify/dev-mcp) used as test fixtures.
contracts-shopify: $(STAMP)
	$(PY) scripts/refresh_shopify_schema.py $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info sandbox-data
