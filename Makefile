# Set-up and everyday commands. `make setup` creates .venv and installs cliport with its pinned
# dependencies (torch is pinned to the CPU build); `make test` runs the default test suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-slow lint bench

setup: $(BIN)/cliport

$(BIN)/cliport: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(BIN)/cliport

demo: setup
	$(BIN)/cliport quickstart

test: setup
	$(BIN)/python -m pytest -q -n 2

test-slow: setup
	$(BIN)/python -m pytest -q -n 2 -m slow

lint: setup
	$(BIN)/ruff check src tests benchmarks
