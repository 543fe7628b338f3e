# Strangler: every target installs what it needs and can be run again from any state.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STRANGLER := $(VENV)/bin/strangler
SQLITE_DEFAULT := sqlite:///$(CURDIR)/instance/strangler.db
API ?= http://127.0.0.1:8000/api

.PHONY: setup migrate legacy proxy run demo test monitoring conformance fuzz bench bench-proxy bench-backend bench-shadow bench-shadow-quick lint deploy-test hostile mutants

setup: $(VENV)/.installed legacy/node_modules/.installed node_modules/.installed
	tools/ensure-chromium
	tools/ensure-prometheus

$(VENV)/.installed: pyproject.toml tools/find-python
	test -x $(PY) || $$(tools/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

legacy/node_modules/.installed: legacy/package.json legacy/package-lock.json
	cd legacy && npm ci --no-audit --no-fund
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

migrate: setup
	mkdir -p instance
	DATABASE_URL=$${DATABASE_URL:-$(SQLITE_DEFAULT)} $(STRANGLER) db upgrade

legacy: setup
	DATABASE_URL=$${DATABASE_URL:-$(SQLITE_DEFAULT)} node legacy/src/server.js

proxy: setup
	DATABASE_URL=$${DATABASE_URL:-$(SQLITE_DEFAULT)} $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py 'rollout.wsgi:app'

run: migrate
	DATABASE_URL=$${DATABASE_URL:-$(SQLITE_DEFAULT)} tools/run-all

# A first run that shows the point (docs/demo.md): a seeded stack of its own on PORT (8000)
# and LEGACY_PORT (3000), a few routes shadowed, a bounded workload, parity figures and one
# explained mismatch; it keeps running for the dashboard until Ctrl-C.
demo: setup
	tools/run-demo

test: setup
	$(VENV)/bin/ruff check backend proxy shadow rollout dbtypes tests migrations tools/settings_doc.py tools/demo.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

monitoring: setup
	$(PY) -m pytest tests/unit/monitoring tests/unit/dashboard/test_deploy.py tests/unit/proxy/test_route_series.py tests/integration/monitoring $(PYTEST_ARGS)

conformance: setup
	tools/conformance "$(API)"

# Differential fuzzing: PAIRS generated requests to legacy and the backend (docs/fuzzing.md).
PAIRS ?= 20000
SEED ?= 1
fuzz: setup
	nice $(PY) -m tests.fuzz --pairs $(PAIRS) --seed $(SEED)

lint: setup
	$(VENV)/bin/ruff check backend proxy shadow rollout dbtypes tests migrations tools/settings_doc.py tools/demo.py

bench: bench-proxy bench-backend bench-shadow

bench-proxy: setup
	$(PY) -m tests.performance.bench_proxy

bench-backend: setup
	$(PY) -m tests.performance.bench_backend

bench-shadow: setup
	$(PY) -m tests.performance.bench_shadow
	$(PY) -m tests.performance.bench_drift
	$(PY) -m tests.performance.bench_capture

# The same, shortened (1 round of 1 s, fewer reads and writes): a smoke run of a few minutes
# whose numbers are not for the docs.
bench-shadow-quick: setup
	BENCH_QUICK=1 $(PY) -m tests.performance.bench_shadow
	BENCH_QUICK=1 $(PY) -m tests.performance.bench_drift
	BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_MICRO=200 $(PY) -m tests.performance.bench_capture

# Not part of test: images, the compose stack under Podman, Postman through the edge, a
# blue-green release under load (docs/deploy.md; 2 to 3 minutes once the images are cached).
deploy-test: setup $(VENV)/.deploy-installed
	mkdir -p tests/artifacts
	set -o pipefail; $(PY) -m tests.deploy 2>&1 | tee tests/artifacts/deploy-test.log

$(VENV)/.deploy-installed: pyproject.toml
	$(PY) -m pip install --quiet -e '.[deploy]'
	touch $@

# Hostile clients and sick upstreams against real processes, one line per scenario
# (docs/security.md); installs nginx with apt-get when missing (as root).
hostile: setup
	$(PY) -m tests.performance.hostile

# Mutation harness (issue 12, docs/mutants.md): the unmodified backend at 1 and 8 clients, then
# every mutant through the real shadowing proxy; about 20 s a mutant. Not part of test (its
# fast subset is). MUTANTS_ARGS: e.g. --only NAME,NAME --concurrency 2 --list.
mutants: setup
	mkdir -p tests/artifacts
	set -o pipefail; nice $(PY) -m tests.mutants $(MUTANTS_ARGS) 2>&1 | tee tests/artifacts/mutants.log
