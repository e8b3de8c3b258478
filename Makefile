# Set-up and everyday commands. `make setup` creates .venv and installs cliport with its pinned
# dependencies (TORCH_INDEX below picks torch's build); `make test` runs the default test suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# TORCH_INDEX=URL: install torch (at pyproject.toml's pin) from that package index before the rest, e.g.
# PyTorch's CPU wheels https://download.pytorch.org/whl/cpu (PyPI's Linux torch is a multi-GB CUDA build).
TORCH_INDEX ?=
TORCH_PIN := $(shell sed -n 's/^ *"torch==\([^"]*\)".*/\1/p' pyproject.toml)

.PHONY: setup demo test test-slow lint bench

setup: $(BIN)/cliport

$(BIN)/cliport: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(if $(TORCH_INDEX),$(BIN)/pip install -q --index-url $(TORCH_INDEX) torch==$(TORCH_PIN))
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
