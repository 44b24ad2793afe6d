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

# Debian's package is the offline route; elsewhere the loader falls back to a torchvision download.
data: $(STAMP)
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    echo "Installing Debian's dataset-fashion-mnist"; \
	    apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist > /dev/null; \
	fi
	$(PY) -m autograder.data

release: setup
	$(PY) -m autograder.release

demo: setup release
	$(PY) -m tests.demo

test: setup
	$(PY) -m pytest

lab: setup
	$(BIN)/jupyter lab --notebook-dir=release

clean:
	rm -rf $(VENV) build gradebook.db datasets/fashion-mnist
