# appletrace: 'make help' lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

.PHONY: install
install: $(STAMP) ## Create the virtual environment and install the package.

.PHONY: demo
demo: $(STAMP) ## Run the whole demo on the embedded defaults.
	$(BIN)/appletrace demo

.PHONY: lint
lint: $(TEST_STAMP) ## ruff (format and lint), mypy, codespell.
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	mkdir -p .typecheck && ln -sfn .. .typecheck/appletrace
	MYPYPATH=.typecheck $(BIN)/mypy -p appletrace
	$(BIN)/codespell

.PHONY: check-migrations
check-migrations: $(TEST_STAMP) ## Upgrade an empty database and run alembic check.
	rm -rf build/migration-check
	APPLETRACE_INSTANCE_PATH=build/migration-check $(BIN)/appletrace db upgrade
	APPLETRACE_INSTANCE_PATH=build/migration-check $(BIN)/appletrace db check

.PHONY: test
test: lint check-migrations ## Lint, check migrations and run the whole test suite.
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

.PHONY: bench
bench: $(TEST_STAMP) ## Run the benchmarks in bench/ (slow; prints figures).
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

.PHONY: clean
clean: ## Remove the virtual environment, caches and build output.
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache *.egg-info
