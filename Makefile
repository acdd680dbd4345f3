# The two commands of the README: `make run` starts the app, `make test` runs every check.
# Both create .venv in the checkout and install into it; `make test` also installs the Debian
# packages the tests need (tests/debian-packages.txt) when they are missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-input
CONSTRAINTS := packaging/constraints.txt

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[test]'
	touch $@ $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/activitywatch $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check activitywatch tests bench
	$(BIN)/ruff format --check activitywatch tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(VENV)/.test-installed
	bash tests/install-debian-packages.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
