# keras-inspector developer commands. Quick start: `make demo`, then `make test`.
# Everything runs from the project's own .venv, which `make setup` creates and fills.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Rebuilt when pyproject.toml changes, so `make test` after a dependency change reinstalls.
STAMP := $(VENV)/.keras-inspector-installed
DEMO_MODEL ?= fixtures/siamese_shared_lstm.keras
# Both cores, a test file per worker at a time (module fixtures, e.g. a git repository the
# pre-commit tests build up, stay in one process); PYTEST_ARGS= runs it in one process.
PYTEST_ARGS ?= -n auto --dist loadfile

# TensorFlow's C++ start-up chatter drowns test and demo output; errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: setup graphviz demo test bench bench-summary lint-code help

help:
	@echo "make setup      create .venv, install keras-inspector[dev] editable, install Graphviz dot"
	@echo "make demo       setup (its .venv includes TensorFlow), then inspect summary $(DEMO_MODEL) and inspect lint fixtures/"
	@echo "make test       setup, then the whole test suite (what CI runs)"
	@echo "make bench      setup, then every benchmarks/*_bench.py (slow: minutes)"
	@echo "make lint-code  ruff check ."

setup: $(STAMP) graphviz

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-input -e '.[dev]'
	@touch $@

# The diagrams need Graphviz's `dot` program, which no pip package ships.
graphviz:
	@if command -v dot >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Graphviz (dot) with apt-get"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "warning: Graphviz 'dot' not found; install it for diagrams:" >&2; \
		echo "  Debian/Ubuntu: sudo apt-get install graphviz   macOS: brew install graphviz" >&2; \
	fi

# lint exits 1 when it finds something (the fixtures are built to contain mistakes): that is the
# demo working. Exit 2 means the tool could not do its job, and fails the demo.
demo: setup
	@echo "\$$ inspect summary $(DEMO_MODEL)"
	@$(VENV)/bin/inspect summary $(DEMO_MODEL)
	@echo
	@echo "\$$ inspect lint fixtures/"
	@$(VENV)/bin/inspect lint fixtures/; rc=$$?; \
		if [ $$rc -ge 2 ]; then echo "make demo: inspect lint failed (exit $$rc)" >&2; exit $$rc; fi

# pytest exits 5 when it ran no test; say so plainly, since make only reports "Error 5".
test: setup
	@$(PY) -m pytest -q $(PYTEST_ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "make test: pytest ran no tests (exit 5)" >&2; fi; exit $$rc; }

bench: setup
	@set -e; for b in benchmarks/*_bench.py; do echo "== $$b"; $(PY) $$b; done

bench-summary: setup
	$(PY) benchmarks/summary_bench.py

lint-code: setup
	$(VENV)/bin/ruff check .
