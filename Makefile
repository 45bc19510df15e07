# Two commands do all the set-up on a fresh machine (each makes its own virtualenv):
#   make test      lint + the whole test suite on MariaDB, like a real bench (scripts/mariadb.sh installs it where
#                  missing and allowed, and starts a private server on 127.0.0.1:3307 with its data in .mariadb/);
#                  WCS_DB=sqlite make test runs it on the embedded SQLite stand-in instead
#   make sandbox   simulated stores + stand-in ERPNext, full sync, dashboard
# Extras: make bench (benchmarks, prints figures), make shell-tests (the Frappe shell tests the way
# `bench run-tests` runs them, v15 and v16 runners, twice on one site each), make clean.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

TEST_SITES ?= build/test-sites

.PHONY: test sandbox bench lint clean shell-tests contracts-wix contracts-shopify chaos fuzz

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
	$(MAKE) --no-print-directory shell-tests

# The shell tests under each Frappe version's `bench run-tests` semantics (unittest, the version's test classes and
# before_tests rules), on a fresh site (ERPNext's setup wizard not run), then AGAIN on that same site: what the
# first run committed must not break the second.
shell-tests: $(STAMP)
	@for v in 15 16; do \
	  $(PY) -m wix_commerce_sync.testing.bench_tests --frappe-version $$v --site $(TEST_SITES)/v$$v --new-site || exit 1; \
	  $(PY) -m wix_commerce_sync.testing.bench_tests --frappe-version $$v --site $(TEST_SITES)/v$$v || exit 1; \
	done

sandbox: $(STAMP)
	$(VENV)/bin/wix-commerce-sync sandbox $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Chaos run (issue 16): three simulated stores under faults, drained and compared record by record; prints figures.
# ARGS="--quick" for a short run; "--orders N --stock N" to size it.
chaos: $(STAMP)
	$(PY) -m bench.bench_chaos $(ARGS)

# Webhook fuzzing: 10,000 generated deliveries per platform (ARGS="--n 1000" for fewer).
fuzz: $(STAMP)
	$(PY) -m bench.bench_fuzz $(ARGS)

# Re-extract the Wix contract fixture from Wix's published SDK packages (needs npm).
contracts-wix: $(STAMP)
	$(PY) scripts/refresh_wix_contract.py

# Re-pin Shopify's published Admin GraphQL schemas (npm @shopify/dev-mcp) used as test fixtures.
contracts-shopify: $(STAMP)
	$(PY) scripts/refresh_shopify_schema.py $(ARGS)

clean:
	-scripts/mariadb.sh stop
	rm -rf $(VENV) build dist *.egg-info sandbox-data .mariadb
