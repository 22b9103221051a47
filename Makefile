# hello-dd spec. Run `make` (or `make help`) to list the targets.
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
AGENT_VENV := .venv-agent
TEST_AGENT_VERSION := 1.69.1
# The test agent's exact versions and hashes, compiled from TEST_AGENT_VERSION by `make lock`.
AGENT_REQUIREMENTS := requirements/test-agent.txt
# The services' own dependencies from uv.lock (no extras), exact and hashed, for an image built with pip.
SERVICE_REQUIREMENTS := requirements/services.txt
# Stamp files make `setup` idempotent: each step re-runs only when its input changed.
PROJECT_STAMP := $(VENV)/.hello-dd-installed
AGENT_STAMP := $(AGENT_VENV)/.ddapm-test-agent-$(TEST_AGENT_VERSION)

# uv installs both environments from their locks: the uv on the PATH when it is this release, else a copy
# of its own that `make` installs with pip into .venv-uv (or: make setup UV=/path/to/uv).
UV_VERSION := 0.13.8
UV_VENV := .venv-uv
ifeq ($(word 2,$(shell uv --version 2>/dev/null)),$(UV_VERSION))
UV ?= uv
else
UV ?= $(UV_VENV)/bin/uv
endif
# uv's own copy is a prerequisite only when it is the one used.
UV_BOOTSTRAP := $(filter $(UV_VENV)/%,$(UV))
# make unit: pytest-xdist with one worker more than the machine has cores, since many tests spend
# part of their time waiting for processes they started (measured on 2 cores: 2 workers 173 s, 3
# workers 162 s, 4 workers slower again); tests marked xdist_group share one worker.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))

NPM_STAMP := node_modules/.hello-dd-npm-installed

.PHONY: help setup lock system-packages up spec rerun report lint openapi test unit test-containers test-compose clean-containers compose-up compose-down mutants fuzz bench clean distclean

help: ## List the targets (the default goal)
	@echo "Usage: make TARGET [ARGS=...]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(PROJECT_STAMP) $(AGENT_STAMP) $(NPM_STAMP) ## Install the project (.venv) and the test agent (.venv-agent) from their locks, and the Allure CLI (node_modules)

# The exact versions of uv.lock, the project itself editable (src/), with both extras. --locked refuses a
# uv.lock that no longer matches pyproject.toml: `make lock` updates it. --compile-bytecode writes every
# module's .pyc at install: each service process the suite starts (dozens per run) loads them instead
# of compiling its imports first, also where PYTHONDONTWRITEBYTECODE is set and Python never writes
# them (importing the gateway: 10-13 s without, about 3 s with, on 2 cores at load 2-4).
$(PROJECT_STAMP): pyproject.toml uv.lock | $(UV_BOOTSTRAP)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed; try: make setup PYTHON=python3.11" >&2; exit 1; }
	$(UV) sync --quiet --locked --all-extras --compile-bytecode --python $(PYTHON)
	@touch $@

# The agent pins OpenTelemetry 1.36: it gets a virtual environment of its own, with exactly the versions
# (and hashes) of its requirements file.
$(AGENT_STAMP): $(AGENT_REQUIREMENTS) | $(UV_BOOTSTRAP)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(AGENT_VENV)
	$(UV) pip sync --quiet --require-hashes --compile-bytecode --python $(AGENT_VENV) $(AGENT_REQUIREMENTS)
	@rm -f $(AGENT_VENV)/.ddapm-test-agent-* && touch $@

$(UV_VENV)/bin/uv:
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet uv==$(UV_VERSION)

lock: $(UV_BOOTSTRAP) ## Update uv.lock from pyproject.toml, and requirements/ from it and TEST_AGENT_VERSION; ARGS="--upgrade" for the newest releases the ranges allow
	$(UV) lock $(ARGS)
	$(UV) export --quiet --locked --no-dev --no-emit-project --format requirements-txt --output-file $(SERVICE_REQUIREMENTS)
	echo "ddapm-test-agent==$(TEST_AGENT_VERSION)" | $(UV) pip compile - --quiet --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --output-file $(AGENT_REQUIREMENTS) $(ARGS)

# The Allure 3 report CLI, pinned in package-lock.json.
$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system-packages: ## Install chromium, redis-server and hey with apt when missing (needs root; tests skip without them)
	@scripts/install-system-packages.sh

up: setup ## Run the stack on this machine until Ctrl-C (options: ARGS="--no-agent", see hello-dd up --help)
	$(VENV)/bin/hello-dd up $(ARGS)

# The whole specification runs on SPEC_STACKS embedded stacks side by side, its features shared between
# them, and reports as one run (hello_dd.harness.reporting.stacks); a run narrowed with ARGS runs on one.
# It needs only the Python environments: the Allure CLI (node_modules) is for `make report`.
SPEC_STACKS ?= 2
SPEC := $(VENV)/bin/python -m hello_dd.harness.reporting.stacks --stacks $(SPEC_STACKS)

spec: $(PROJECT_STAMP) $(AGENT_STAMP) ## Run the specification (behave) on two embedded stacks side by side; options: ARGS="--tags=@pattern-2" or ARGS=features/x.feature (one stack), SPEC_STACKS=1
	@$(SPEC) $(ARGS)

rerun: $(PROJECT_STAMP) $(AGENT_STAMP) ## Run again only the scenarios that failed in the last run (listed in reports/rerun.txt)
	@if [ -s reports/rerun.txt ]; then \
		$(VENV)/bin/behave $(ARGS) $$(grep -v '^#' reports/rerun.txt); status=$$?; \
		$(VENV)/bin/python -m hello_dd.harness.reporting.closing_line; exit $$status; \
	else echo "make rerun: nothing to run again (reports/rerun.txt is absent: the last run had no failure)"; fi

report: setup ## Build the Allure report of the last run into reports/allure-report, keeping history; fails on a failed quality gate; options: ARGS="--warn-only --single-file"
	$(VENV)/bin/python -m hello_dd.harness.reporting.build $(ARGS)

lint: setup ## Check the code: ruff's lint rules, ruff's formatting (changes nothing), mypy's types and the import contracts (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo

openapi: setup ## Write each service's OpenAPI document to docs/openapi/ (a test fails when one is out of date)
	$(VENV)/bin/python scripts/export-openapi.py

# PYTHONDONTWRITEBYTECODE is emptied for pytest: with it set, pytest rewrites the asserts of every test
# module and of every package that ships a pytest plugin (schemathesis, hypothesis: hundreds of modules)
# again in each of its processes, about 5 s of CPU each, instead of loading them from __pycache__.
unit: export PYTHONDONTWRITEBYTECODE =
unit: setup ## Run the pytest tests only, on every core, listing the slowest; options: ARGS="-k stack -x"
	@$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make unit: pytest collected no tests, which counts as a failure" >&2; exit 1; fi; \
	exit $$status

test: unit ## Run all the tests: pytest, then the whole specification on the embedded stacks (SPEC_STACKS)
	@$(SPEC)

test-containers: setup ## Run the specification on the stack in Docker containers, then check docker-compose.yml (needs Docker, or root to install it)
	scripts/test-containers.sh $(ARGS)

test-compose: setup ## Run the specification with -D stack=compose on docker-compose.yml and on a renamed copy (needs Docker)
	scripts/test-compose.sh $(ARGS)

clean-containers: setup ## Remove containers and networks left by stack=containers runs that were killed (SIGKILL)
	$(VENV)/bin/python -c 'from hello_dd.harness.providers.stack_containers import remove_leftovers; print(f"removed {remove_leftovers(print)} leftovers")'

compose-up: ## Start docker-compose.yml (Compose v1 or v2) and wait until the services are healthy
	scripts/compose.sh up -d --build
	scripts/wait-for-services.sh --timeout 120

compose-down: ## Stop docker-compose.yml and remove its containers and volumes
	scripts/compose.sh down -v

fuzz: setup ## Fuzz the three services deeply from their OpenAPI documents: thousands of requests, a random seed printed, at most 10 minutes; ARGS="--seed N"
	$(VENV)/bin/python scripts/fuzz.py $(ARGS)

bench: setup ## Benchmark the product query with hey: throughput, p95, fan-out, tracing overhead, memory
	$(VENV)/bin/python scripts/bench.py $(ARGS)

mutants: setup ## Break the stack on purpose in each way scripts/mutants.toml lists; show which scenarios turn red (an hour)
	$(VENV)/bin/python scripts/mutation_check.py $(ARGS)

clean: ## Remove the run state (.hello-dd/), reports and caches; keep the installed environments
	rm -rf .hello-dd .pytest_cache reports/allure-results reports/allure-report reports/junit reports/logs reports/test_report.md reports/screenshots reports/run-results.json reports/stacks
	find . \( -path ./$(VENV) -o -path ./$(AGENT_VENV) -o -path ./$(UV_VENV) -o -path ./.git \) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## Like clean, and remove .venv, .venv-agent, .venv-uv, node_modules and the report history too
	rm -rf $(VENV) $(AGENT_VENV) $(UV_VENV) node_modules reports/allure-history.jsonl
