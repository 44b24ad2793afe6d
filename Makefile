# Deep Learning Basics Workbook. `make demo` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
# nbgrader starts `alembic` as a subprocess, so the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed

.PHONY: setup data release demo test lab benchmark clean

setup: $(STAMP) data

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# Installs Debian's dataset-fashion-mnist where it can (root with apt), then
# verifies the files and caches them in datasets/fashion-mnist/.
data: $(STAMP)
	$(PY) -m autograder.data

release: setup
	$(PY) -m autograder.release

demo: setup release
	$(PY) -m tests.demo

test: setup
	$(PY) -m pytest

# Speed and accuracy figures, printed (never asserted in tests).
benchmark: setup
	$(PY) -m benchmarks.mlp_numpy_vs_torch

lab: setup
	$(BIN)/jupyter lab --notebook-dir=release

clean:
	rm -rf $(VENV) build gradebook.db datasets/fashion-mnist
