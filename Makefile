# West Hills Gift Shop. `make run` serves the shop; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app giftshop
PYTHON ?= python3
# Debian packages: WeasyPrint's text stack, pg_dump/pg_restore for `db backup`, PDF → PNG for
# tests, the browser for tests, wrk, and fonts for every script the order form accepts
# (Noto: CJK, emoji and the rest).
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji postgresql-client
APT_TEST := $(APT_RUN) poppler-utils chromium wrk nodejs
PG_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgresql deps dev-deps system-deps system-test-deps migrate seed bench soak clean

$(VENV)/.deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps: system-deps $(VENV)/.deps
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

dev-deps: system-test-deps $(VENV)/.dev-deps node_modules/.installed

# Installs only what is missing, so it is quick when everything is there.
define apt_install
	missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps:
	@$(call apt_install,$(APT_RUN))

system-test-deps:
	@$(call apt_install,$(APT_TEST))

migrate: deps
	mkdir -p instance
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

run: seed
	OUTBOX_THREAD=1 $(VENV)/bin/flask --app giftshop.devserver:create_dev_app run --host 127.0.0.1 --port 5000

test: dev-deps
	GIFTSHOP_TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider tests
	GIFTSHOP_TEST_DB=postgresql GIFTSHOP_PG_ADMIN_URL=$(PG_ADMIN_URL) $(PY) -m pytest -q -p no:cacheprovider tests

test-sqlite: dev-deps
	GIFTSHOP_TEST_DB=sqlite $(PY) -m pytest -q tests $(ARGS)

test-postgresql: dev-deps
	GIFTSHOP_TEST_DB=postgresql GIFTSHOP_PG_ADMIN_URL=$(PG_ADMIN_URL) $(PY) -m pytest -q tests $(ARGS)

# Throughput/latency on PostgreSQL with gunicorn + wrk; writes bench/RESULTS.md (about 6 minutes; last run 328 s).
bench: dev-deps
	GIFTSHOP_PG_ADMIN_URL=$(PG_ADMIN_URL) $(PY) -m bench.run

# Mixed load for SOAK_SECONDS (default 1200 = 20 min) with worker kills, then correctness and
# memory checks; prints a Markdown summary. Not part of `make test`.
soak: dev-deps
	GIFTSHOP_PG_ADMIN_URL=$(PG_ADMIN_URL) $(PY) -m bench.soak

clean:
	rm -rf $(VENV) instance/pdf-cache .pytest_cache
