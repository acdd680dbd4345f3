# The commands of the README: `make run` starts the app, `make test` runs every check, `make build`
# makes the one-file binary dist/activitywatch (`make build-folder`: dist/activitywatch-folder/).
# All create .venv in the checkout and install into it; `make test` also installs the Debian
# packages the tests need (tests/debian-packages.txt) when they are missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-input
CONSTRAINTS := packaging/constraints.txt

.PHONY: run test lint bench build build-folder deb clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.build-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[build]'
	touch $@ $(VENV)/.app-installed

$(VENV)/.test-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -c $(CONSTRAINTS) -e '.[test]'
	touch $@ $(VENV)/.app-installed $(VENV)/.build-installed

run: $(VENV)/.app-installed
	$(BIN)/activitywatch $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check activitywatch tests bench packaging setup.py
	$(BIN)/ruff format --check activitywatch tests bench packaging setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(VENV)/.test-installed
	bash tests/install-debian-packages.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m bench --setup-peer >/dev/null  # aw-server 0.12 (PyPI) for the import and port tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/python -m bench $(ARGS)

# PyInstaller's work files go to build/pyinstaller; the results to dist/.
build: $(VENV)/.build-installed
	$(BIN)/pyinstaller --noconfirm --log-level WARN --workpath build/pyinstaller build.spec

build-folder: $(VENV)/.build-installed
	ACTIVITYWATCH_BUNDLE=folder $(BIN)/pyinstaller --noconfirm --log-level WARN --workpath build/pyinstaller build.spec

# A Debian package of the one-folder build (dpkg-deb): dist/activitywatch-sp_<version>_<arch>.deb
deb: build-folder
	packaging/linux/build-deb.sh dist/activitywatch-folder dist

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist
