# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Install tmcode and run it on a bundled example model.
demo: $(VENV)/.installed
	$(BIN)/tmcode validate models/*.yaml models/*.py
	$(BIN)/tmcode check models/support-copilot.yaml --fail-on none

## Install tmcode with its test dependencies and run the test suite.
test: $(VENV)/.installed
	$(BIN)/python -m pytest

## Print load, check, render and site timings against the YAML parse floor and pytm.
bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/perf.py

## Regenerate the reference pages under docs/reference and build the project docs.
docs: $(VENV)/.installed
	$(BIN)/python -m tmcode.render.reference docs/reference
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache build dist
