# The two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "modelgov needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet -e clients/python  # the client, which the CLI's remote commands use
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/modelgov demo --reports reports-out --serve

lint: $(STAMP)
	$(BIN)/ruff check domain application infrastructure reports tests bench clients
	$(BIN)/ruff format --check .
	$(BIN)/python -m infrastructure.api.client_codegen --check
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.store
	$(BIN)/python -m bench.api

clean:
	rm -rf $(VENV) modelgov.db modelgov.cipher.key .pytest_cache .mypy_cache .ruff_cache
