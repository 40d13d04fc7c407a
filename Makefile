# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps lint run test test-fast clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Message catalogs (*.mo is not in git): compiled whenever a .po is newer.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

install: $(STAMP) $(CATALOGS)

# Debian packages the tests drive as real peers (radclient, chromium); installed when missing.
system-deps:
	scripts/ensure-debian-packages.sh

run: install
	$(BIN)/hotspot init --demo
	$(BIN)/hotspot run

# Four test processes on two cores: most tests wait on daemons, sockets and the browser, not the CPU.
test: install system-deps lint
	$(BIN)/python -m pytest -n 4

# ruff (settings in pyproject.toml): a lint error or an unformatted file fails `make test`, so CI enforces it.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Unit tests only: no sockets, no browser.
test-fast: install
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
