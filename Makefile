# make run   — create .venv, install, ingest data/articles if the index is empty, serve http://127.0.0.1:7860
# make test  — create .venv with dev extras and run the whole test suite
# make check — lint (ruff), types (mypy) and tests: what CI runs, and more

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export NO_PROXY := localhost,127.0.0.1

.PHONY: install run test check lint typecheck ingest bench-ingest eval-dedup clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) app.py

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

check: lint typecheck test

ingest: install
	$(PY) -m ingest data/articles

bench-ingest: install
	$(PY) benchmarks/ingest.py

eval-dedup: install
	$(PY) -m evals dedup --corpus ../shared/data/bbc/corpus.jsonl --pairs ../shared/data/bbc/dedup_pairs.jsonl

clean:
	rm -rf data/index .pytest_cache .mypy_cache .ruff_cache
