# The README's commands. Each sets up what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
BOOKINGS := $(VENV)/bin/bookings
DB ?= data/bookings.duckdb
DEMO_BOOKINGS ?= 200000
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-browser-pg bench lint install install-test chromium postgresql clean

run: install
	$(BOOKINGS) --db $(DB) init
	$(BOOKINGS) --db $(DB) demo --bookings $(DEMO_BOOKINGS) --seed 1 --if-empty
	@echo "Starting Bookings Overview on http://localhost:$(PORT)"
	$(BOOKINGS) --db $(DB) serve --server.port $(PORT)

test: install-test chromium postgresql
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

# Every browser flow again, each store a PostgreSQL database (tests/browser/conftest.py).
test-browser-pg: install-test chromium postgresql
	BOOKINGS_TEST_BROWSER_PG=1 $(VENV)/bin/pytest tests/browser

bench: install-test chromium
	$(PY) bench/run_all.py

lint: install-test
	$(VENV)/bin/ruff check .

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

install-test: $(VENV)/.installed-test
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

# Browser tests drive Debian's chromium; never `playwright install`.
chromium:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)

# The store's tests on PostgreSQL start a throwaway cluster from Debian's packages
# (tests/pg.py), unless BOOKINGS_TEST_PG_URL names a server. Installing the package may
# start a cluster of its own on 5432: the tests never use it.
postgresql:
	@test -n "$$BOOKINGS_TEST_PG_URL" || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
