VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Two install stamps: the application alone (demo), and with the development tools.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: demo test check bench screenshots clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $(RUNTIME)

# '.[dev]' includes the runtime, so it also stands for the runtime stamp
$(DEV): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[dev]'
	touch $(DEV) $(RUNTIME)

demo: $(RUNTIME)
	$(VENV)/bin/audit-tui --demo

test: $(DEV)
	TEXTUAL_ANIMATIONS=none $(PY) -m pytest

check: $(DEV)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(DEV)
	$(PY) bench/bench_store.py --count 100000
	$(PY) bench/bench_store.py --count 1000000
	$(PY) bench/bench_lang.py --count 100000
	$(PY) bench/bench_lang.py --count 1000000
	$(PY) bench/bench_report.py --count 1000000
	$(PY) bench/bench_terminal.py --count 1000000 --runs 3
	$(PY) bench/bench_files.py --count 1000000 --files 10000
	$(PY) bench/bench_export.py --count 1000000 --formats jsonl,csv
	$(PY) bench/bench_follow.py --count 1000000
# ClickHouse (chDB): the load, the pushed-down queries, the browser in tmux; 10 million
# events (about 25 minutes to load on 2 cores): --count 10000000 --skip-reload
	$(PY) bench/bench_clickhouse.py --count 1000000

screenshots: $(DEV)
	TEXTUAL_ANIMATIONS=none $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
