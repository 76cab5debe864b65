VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: demo test check bench screenshots clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/audit-tui --demo

test: $(STAMP)
	TEXTUAL_ANIMATIONS=none $(PY) -m pytest

check: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/bench_store.py --count 100000
	$(PY) bench/bench_store.py --count 1000000

screenshots: $(STAMP)
	TEXTUAL_ANIMATIONS=none $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
