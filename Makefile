# connect-onboarding — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
export FLASK_APP := app
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# pytest-xdist workers: one per core (each gets its own PostgreSQL database, test_gw0, …).
TEST_WORKERS ?= auto

# The demo talks to the offline Stripe sandbox unless you bring a real Stripe test key
# (see README, "Using a real Stripe test key").
SANDBOX_PORT ?= 12111
APP_PORT ?= 5000
MAIL_SMTP_PORT ?= 1025
MAIL_WEB_PORT ?= 1080
DEMO_KEY := sk_test_demoPlatformKey000000000000000000
DEMO_WEBHOOK_SECRET := whsec_demoWebhookSecret00000000000000000
SANDBOX_ENV := STRIPE_API_BASE=http://127.0.0.1:$(SANDBOX_PORT) \
	STRIPE_SECRET_KEY=$(DEMO_KEY) STRIPE_WEBHOOK_SECRET=$(DEMO_WEBHOOK_SECRET) \
	PUBLIC_BASE_URL=http://127.0.0.1:$(APP_PORT) \
	MAIL_SERVER=127.0.0.1 MAIL_PORT=$(MAIL_SMTP_PORT) MAIL_CATCHER_URL=http://127.0.0.1:$(MAIL_WEB_PORT)

.PHONY: run run-stripe install chromium test test-sqlite test-postgres lint format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed  ## create the virtualenv and install everything

chromium:  ## Debian's Chromium for the browser tests (Playwright cannot download browsers here)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

run: install  ## the demo: SQLite + the offline Stripe sandbox + a mail catcher, at http://127.0.0.1:5000
	$(FLASK) db upgrade
	@$(SANDBOX_ENV) $(PY) -m app.devserver --app-port $(APP_PORT) --sandbox-port $(SANDBOX_PORT) \
		--smtp-port $(MAIL_SMTP_PORT) --mail-web-port $(MAIL_WEB_PORT) \
		--webhook-secret $(DEMO_WEBHOOK_SECRET)

run-stripe: install  ## the app against real Stripe: set STRIPE_SECRET_KEY etc. first
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) run --port $(APP_PORT)

test: install chromium lint test-sqlite test-postgres  ## everything: lint, SQLite pass, PostgreSQL pass

test-sqlite: install
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not postgres"

test-postgres: install
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL pass ($(PG_URL)) =="; \
		TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -n $(TEST_WORKERS) -m "not e2e" tests/unit tests/integration; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL is required in CI but not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): skipping the PostgreSQL pass (CI runs it)."; \
	fi

lint: install
	$(VENV)/bin/ruff check app stripe_sandbox mail_catcher tests bench gunicorn.conf.py
	$(VENV)/bin/ruff format --check app stripe_sandbox mail_catcher tests bench gunicorn.conf.py

format: install
	$(VENV)/bin/ruff format app stripe_sandbox mail_catcher tests bench
	$(VENV)/bin/ruff check --fix app stripe_sandbox mail_catcher tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts

BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench

bench: install  ## issue 17's figures on PostgreSQL with gunicorn and wrk → bench/RESULTS.md (~5 min)
	@if ! command -v wrk >/dev/null; then \
		echo "Installing Debian's wrk for the load…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run.py
