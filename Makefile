# Deep Learning Basics Workbook. `make demo` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
# nbgrader starts `alembic` as a subprocess, so the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed

.PHONY: print-test-workers setup sandbox browser lab-settings data release student-kit demo test lint test-fast test-gpu lab benchmark benchmark-cnn benchmark-transfer benchmark-cohort benchmark-nbgrader clean

setup: $(STAMP) sandbox browser lab-settings data

# The grader runs student code only under bubblewrap. Installs Debian's
# bubblewrap where it can (root with apt); elsewhere it says what to install.
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's bubblewrap"; \
	    apt-get update -qq >/dev/null; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "bubblewrap (bwrap) is missing: the grader will refuse to grade until it is installed (apt-get install bubblewrap)"; \
	  fi; }

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	# jupyter-events asks for jsonschema[format-nongpl], which brings rfc3987-syntax; jsonschema imports it (only for
	# its "iri" format check) and it builds a Lark parser on import: 1.2 s in every process that imports nbformat
	# (each grader, nbgrader and Jupyter command). This venv's Pythons start with it marked absent (a .pth line),
	# so jsonschema skips that format; it stays installed, so pip still finds every requirement met.
	echo "import sys; sys.modules.setdefault('rfc3987_syntax', None)" \
	  > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/workbook-skip-rfc3987-syntax.pth"
	touch $@

# The browser tests (tests/browser/) drive Debian's chromium through Playwright: Playwright's own
# browser download cannot work offline. Installed where it can (root with apt), like bubblewrap, with
# Debian's IPA Gothic, a Japanese font for the Japanese pages (plots get theirs from matplotlib-fontja).
browser:
	@missing=""; \
	command -v chromium >/dev/null || missing="chromium"; \
	fc-list 2>/dev/null | grep -q "IPAGothic" || missing="$$missing fonts-ipafont-gothic"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's$$missing"; \
	    apt-get update -qq >/dev/null; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing:$$missing (apt-get install$$missing): the browser tests will fail until it is installed"; \
	  fi; \
	fi

# The course's JupyterLab settings (autograder/student/jupyterlab/overrides.json: autosave every 30 s,
# the kernel's state in the status bar), for `make lab`; the student kit installs the same file.
lab-settings: $(STAMP)
	install -D -m 644 autograder/student/jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json

# Installs Debian's dataset-fashion-mnist where it can (root with apt), then
# verifies the files and caches them in datasets/fashion-mnist/.
data: $(STAMP)
	$(PY) -m autograder.data

# Everything derived from source/, in one go: release/ (nbgrader's generate_assignment), release-ja/ (the
# Japanese edition, from each lesson's .ja.json) and the message catalogue (its template, merged into each
# language's .po; it lists what still lacks a translation). It installs nothing: make setup did that.
release:
	@test -x $(PY) || { echo "no venv in $(VENV): run make setup first"; exit 1; }
	$(PY) -m autograder.course.release
	$(PY) -m autograder.course.editions
	$(PY) -m autograder.course.messages

# dist/: the student kit (a wheel without answers, the release notebooks, STUDENT.md); docs/student-kit.md.
student-kit: setup
	$(PY) -m autograder.course.student_kit

demo: setup release
	$(PY) -m tests.demo

# Two pytest workers on CI's two cores: a grading waits on its kernel, caller and
# judge in turn, so the cores are not always busy (1.49 of 2 on the gradings of
# 03 and 04, where three workers made those 18% quicker); but the training
# lessons keep a core busy for tens of seconds, and a fresh-clone run with
# three was no quicker (pytest 1705 s, 2026-12-07; that run also had a
# scheduling imbalance since fixed, so read it as no gain). They share
# gradings (tests/conftest.py). .ci/run reads the figure from here.
TEST_WORKERS ?= 2

print-test-workers:
	@echo $(TEST_WORKERS)

test: setup lint
	$(PY) -m pytest -n $(TEST_WORKERS)

# ruff: the lint rules and the format of pyproject.toml, on the whole tree (seconds).
lint: setup
	$(PY) -m ruff check autograder tests benchmarks
	$(PY) -m ruff format --check autograder tests benchmarks

# The inner loop: everything that runs no student code in the sandbox (no grading end to end) and
# builds no student kit.
test-fast: setup
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not sandbox and not kit"

# On a machine with a CUDA GPU, in one go (about 8 minutes): the CUDA paths, lesson 07's gradings
# with a GPU, and the GPU benchmark of 07. Without a GPU the first step fails and says why.
test-gpu: setup
	$(PY) -m pytest --gpu -v tests/gpu
	$(PY) -m pytest --gpu -n $(TEST_WORKERS) tests/test_grading.py -k 07_cnn_gpu
	$(PY) -m benchmarks.cnn_pipelines --device cuda

# Speed and accuracy figures, printed (never asserted in tests).
benchmark: setup
	$(PY) -m benchmarks.mlp_numpy_vs_torch
	$(PY) -m benchmarks.cnn_pipelines
	$(PY) -m benchmarks.transfer
	$(PY) -m benchmarks.cohort_throughput
	$(PY) -m benchmarks.nbgrader_side_by_side

benchmark-cohort: setup
	$(PY) -m benchmarks.cohort_throughput

benchmark-cnn: setup
	$(PY) -m benchmarks.cnn_pipelines

benchmark-transfer: setup
	$(PY) -m benchmarks.transfer

benchmark-nbgrader: setup
	$(PY) -m benchmarks.nbgrader_side_by_side

lab: setup
	$(BIN)/jupyter lab --notebook-dir=release

clean:
	rm -rf $(VENV) build dist gradebook.db datasets/fashion-mnist
