"""``python -m evals run``: ask a question set through the assistant and score every answer.

1. The index: built or reused by :mod:`evals.index_cache` (no index with ``--url``).
2. The askers (:mod:`evals.askers`): one in-process Assistant per retriever mode (and answerer), or a
   running server's ``POST {url}/api/ask``.
3. Each answer is scored (:mod:`evals.metrics`) into an :class:`evals.results.EvalRun`, which
   :mod:`evals.outputs` writes out.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import metrics
from evals.askers import Asker, HttpAsker, check_server, local_askers
from evals.index_cache import corpus_clusters, prepare_index
from evals.inputs import EvalInputError, read_questions
from evals.results import EvalRun, RetrieverRun

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

# --answerer NAME[:MODE]: an answerer of the settings (``answerer``) and, for a language model, its
# ``llm_mode`` (rewrite or rag; default: the settings').
ANSWERERS = ("extractive", "local", "openai", "ollama")
LLM_MODES = ("rewrite", "rag")


@dataclass
class RunOptions:
    corpus: Path
    questions: Path
    index_dir: Path | None = None
    k: int = 10
    retrievers: Sequence[str] = ("hybrid",)
    answerer: str | None = None
    # Several answerers side by side (``NAME[:MODE]``); ``answerer`` alone when empty.
    answerers: Sequence[str] = ()
    url: str | None = None
    progress: bool = True


def build_settings(options: RunOptions, answerer: str | None = None) -> Settings:
    """Settings from the environment, with the run's ``k`` and answerer (``NAME[:MODE]``, default
    ``options.answerer``); a bad answerer is an input error."""
    from pydantic import ValidationError

    from core.settings import Settings

    overrides: dict[str, Any] = {"retrieve_k": options.k}
    spec = answerer if answerer is not None else options.answerer
    if spec is not None:
        name, _, mode = spec.partition(":")
        if name not in ANSWERERS or (mode and mode not in LLM_MODES) or (mode and name == "extractive"):
            raise EvalInputError(
                f"--answerer {spec!r} does not exist; available: extractive, "
                + ", ".join(f"{n}[:{'|'.join(LLM_MODES)}]" for n in ANSWERERS[1:])
            )
        overrides["answerer"] = name
        if mode:
            overrides["llm_mode"] = mode
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first.get("loc", ()))) or "settings"
        raise EvalInputError(f"invalid setting {where}: {first.get('msg', exc)}") from None


def run_eval(options: RunOptions) -> EvalRun:
    """Ingest (or reuse) the index, ask every question with every retriever, score the answers."""
    started = time.perf_counter()
    if not options.corpus.exists():
        raise EvalInputError(f"corpus not found: {options.corpus}")
    questions = read_questions(options.questions)
    if options.k < 1:
        raise EvalInputError(f"--k must be at least 1, got {options.k}")
    settings = build_settings(options)
    for spec in options.answerers:
        build_settings(options, spec)  # every answerer named is checked before any work

    askers: list[Asker]
    if options.url:
        canonical, info = corpus_clusters(options.corpus, settings)
        info.url = options.url
        http = HttpAsker(options.url)
        check_server(http)
        askers = [http]
    else:
        index, info = prepare_index(
            options.corpus, settings, index_dir=options.index_dir, progress=options.progress
        )
        canonical = index.store.canonical()
        specs = list(dict.fromkeys(options.answerers))
        if len(specs) > 1:
            askers = []
            for spec in specs:
                askers += local_askers(index, build_settings(options, spec), options.retrievers, suffix=spec)
        else:
            askers = list(local_askers(index, settings, options.retrievers))

    gold_ids = {g for q in questions for g in q["gold_article_ids"]}
    unknown = sorted(gold_ids - set(canonical))
    if unknown:
        log.warning(
            "%d of %d gold article ids are not articles of %s, e.g. %s",
            len(unknown),
            len(gold_ids),
            options.corpus,
            unknown[0],
        )
    runs = [ask_all(asker, questions, canonical, progress=options.progress) for asker in askers]
    return EvalRun(
        corpus=str(options.corpus),
        questions_file=str(options.questions),
        k=options.k,
        answerer=", ".join(dict.fromkeys(options.answerers)) or options.answerer,
        index=info,
        runs=runs,
        seconds=round(time.perf_counter() - started, 3),
        unknown_gold_ids=unknown,
    )


def ask_all(
    asker: Asker,
    questions: Sequence[Mapping[str, Any]],
    canonical: Mapping[str, str],
    *,
    progress: bool,
) -> RetrieverRun:
    """Every question through ``asker``, timed and scored; a failed question is recorded, not raised."""
    from tqdm import tqdm

    run = RetrieverRun(asker.label)
    bar = tqdm(
        questions,
        desc=asker.label,
        unit="q",
        disable=None if progress else True,
        file=sys.stderr,
        leave=False,
    )
    for question in bar:
        error: str | None = None
        started = time.perf_counter()
        try:
            record = asker.ask(question)
        except Exception as exc:  # recorded per question: one failure does not stop the run
            record = {"answer": "", "refused": True, "citations": [], "retrieved": []}
            error = f"{type(exc).__name__}: {exc}"
            log.warning("question %s failed on %s: %s", question["id"], asker.label, error)
        latency_ms = (time.perf_counter() - started) * 1000
        score = metrics.score_question(
            question, record, canonical=canonical, latency_ms=latency_ms, error=error
        )
        run.add(question, record, score)
    bar.close()
    return run
