"""``python -m evals run``: ask a question set through the assistant and score it.

1. The corpus is ingested through the real pipeline into an index cached by the corpus content and the
   settings that shape the index (default ``evals/out/cache/<key>/``). A later run with the same key
   reuses it without ingesting when the index is complete (the marker ``evals-cache.json`` in the index
   folder matches the store and the vector counts); otherwise the incremental ingest repairs it.
2. Every question is asked through :class:`assistant.assistant.Assistant` (one per retriever mode, all
   sharing the index), or through a running server's ``POST {url}/api/ask`` with ``--url``.
3. Each answer is scored (:mod:`evals.metrics`); ``summary.json``, ``results.jsonl``, ``index.json``,
   ``report.md`` and SVG plots are written to the output folder (:mod:`evals.report`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import InputError
from evals import metrics
from evals.jsonl import read_jsonl

if TYPE_CHECKING:
    from core.settings import Settings
    from vectorstore.index import Index

log = logging.getLogger(__name__)

DEFAULT_OUT = Path("evals/out")
DEFAULT_CACHE = DEFAULT_OUT / "cache"
CACHE_MARKER = "evals-cache.json"
# --answerer NAME[:MODE]: an answerer of the settings (``answerer``) and, for a language model, its
# ``llm_mode`` (rewrite or rag; default: the settings').
ANSWERERS = ("extractive", "local", "openai", "ollama")
LLM_MODES = ("rewrite", "rag")
SERVER_LABEL = "server"
WARM_UP_QUESTION = "What happened?"
HTTP_TIMEOUT_S = 120.0


class EvalInputError(InputError):
    """A missing or invalid input (file, option, server); the message says which and why, in one line."""


# --- inputs ----------------------------------------------------------------------------------------


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Question records from a JSONL file; an :class:`EvalInputError` names the first bad line."""
    questions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lineno, rec, _ in read_jsonl(path, EvalInputError, "questions"):
        problem = _question_problem(rec)
        if problem:
            raise EvalInputError(f"{path}:{lineno}: {problem}")
        qid = str(rec.get("id", f"line-{lineno}"))
        if qid in seen:
            raise EvalInputError(f"{path}:{lineno}: duplicate question id {qid!r}")
        seen.add(qid)
        questions.append(
            {
                "id": qid,
                "question": rec["question"],
                "answers": list(rec.get("answers") or []),
                "gold_article_ids": [str(g) for g in rec.get("gold_article_ids") or []],
                "answerable": rec.get("answerable", True),
                "asked_on": rec.get("asked_on"),
                "history": list(rec.get("history") or []),
            }
        )
    if not questions:
        raise EvalInputError(f"{path}: no questions")
    return questions


def _question_problem(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return "expected a JSON object"
    if not isinstance(rec.get("question"), str) or not rec["question"].strip():
        return 'expected "question": a non-empty string'
    for key in ("answers", "gold_article_ids"):
        value = rec.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'expected "{key}": a list of strings'
    if not isinstance(rec.get("answerable", True), bool):
        return 'expected "answerable": true or false'
    if rec.get("asked_on") is not None and not isinstance(rec["asked_on"], str):
        return 'expected "asked_on": an ISO date string'
    history = rec.get("history", [])
    if not isinstance(history, list) or not all(isinstance(t, dict) and "role" in t for t in history):
        return 'expected "history": a list of {"role", "content"} turns'
    return None


def parse_floors(specs: Sequence[str]) -> list[tuple[str, float]]:
    """``METRIC=VALUE`` strings → (metric, value); an unknown metric or a bad number is an input error."""
    floors = []
    for spec in specs:
        metric, sep, raw = spec.partition("=")
        metric = metric.strip()
        if not sep:
            raise EvalInputError(f"--fail-under expects METRIC=VALUE, got {spec!r}")
        if metric not in metrics.METRIC_KEYS:
            raise EvalInputError(
                f"--fail-under: unknown metric {metric!r}; one of {', '.join(metrics.METRIC_KEYS)}"
            )
        try:
            value = float(raw)
        except ValueError:
            raise EvalInputError(f"--fail-under {metric}: {raw!r} is not a number") from None
        floors.append((metric, value))
    return floors


def check_floors(summary: Mapping[str, Any], floors: Sequence[tuple[str, float]], label: str) -> list[str]:
    """One line per missed floor (or exceeded ceiling), naming the metric, its value and the limit."""
    lines = []
    for metric, limit in floors:
        value = summary.get(metric)
        if not metrics.below_floor(metric, value, limit):
            continue
        if value is None:
            lines.append(f"FAIL {metric} could not be measured ({label}); its limit is {limit:g}")
        elif metric in metrics.LOWER_IS_BETTER:
            lines.append(f"FAIL {metric} = {value:g} is above the ceiling {limit:g} ({label})")
        else:
            lines.append(f"FAIL {metric} = {value:g} is below the floor {limit:g} ({label})")
    return lines


def default_out_dir(corpus: Path, questions: Path) -> Path:
    return DEFAULT_OUT / f"{corpus.stem or corpus.resolve().name}-{questions.stem}"


# --- the index -------------------------------------------------------------------------------------


def corpus_digest(corpus: Path) -> str:
    """sha256 over the corpus files: their paths relative to the corpus and their bytes."""
    digest = hashlib.sha256()
    files = [corpus] if corpus.is_file() else sorted(p for p in corpus.rglob("*") if p.is_file())
    for path in files:
        name = path.name if path == corpus else path.relative_to(corpus).as_posix()
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cache_key(corpus: Path, settings: Settings, model_id: str) -> str:
    """Changes with the corpus content or any setting that changes what the index holds."""
    from ingest.pipeline import PIPELINE_VERSION

    payload = {
        "corpus": corpus_digest(corpus),
        "kind": "file" if corpus.is_file() else "folder",
        "model": model_id,
        "pipeline": PIPELINE_VERSION,
        "model_max_tokens": settings.model_max_tokens,
        "chunk_target_tokens": settings.chunk_target_tokens,
        "title_max_tokens": settings.title_max_tokens,
        "near_dup_threshold": settings.near_dup_threshold,
        "max_file_mb": settings.max_file_mb,
        "max_article_chars": settings.max_article_chars,
        "chroma_url": settings.chroma_url,
        "collection": settings.collection,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class IndexInfo:
    """How the index was obtained; written to ``index.json`` beside the results."""

    corpus: str
    index_dir: str | None
    cache_key: str | None
    reused: bool | None  # True: the cached index was complete and nothing was ingested
    embedded: int  # chunks embedded by this run
    articles: int
    chunks: int
    seconds: float
    ingest: dict[str, Any] | None = None  # the ingest summary, when ingest ran
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _index_counts(index: Index) -> dict[str, int]:
    counts = index.store.counts()
    return {
        "articles": counts["indexed_articles"],
        "chunks": counts["chunks"],
        "vectors": index.vectors.count(),
    }


def _complete(index: Index, key: str) -> dict[str, int] | None:
    """The index counts when the marker matches ``key`` and the index still holds what it recorded."""
    marker = index.dir / CACHE_MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("key") != key:
        return None
    counts = _index_counts(index)
    expected = {k: recorded.get(k) for k in ("articles", "chunks", "vectors")}
    if counts != expected or counts["chunks"] != counts["vectors"] or not counts["chunks"]:
        return None
    if index.store.get_meta("bm25_fingerprint") is None or not (index.bm25_dir / "ids.json").exists():
        return None
    return counts


def prepare_index(
    corpus: Path,
    settings: Settings,
    *,
    index_dir: Path | None,
    progress: bool,
) -> tuple[Index, IndexInfo]:
    """Open the cached index for ``corpus`` (``index_dir`` or the cache), ingesting only when needed."""
    from ingest.pipeline import NothingToIngest, ingest
    from vectorstore.embeddings import LocalEmbeddings
    from vectorstore.factory import open_index
    from vectorstore.lock import IndexBusy

    started = time.perf_counter()
    model_id = LocalEmbeddings().model_id
    key = cache_key(corpus, settings, model_id)
    where = index_dir if index_dir is not None else DEFAULT_CACHE / key
    settings = settings.model_copy(update={"index_dir": where})
    index = open_index(settings)
    counts = _complete(index, key)
    if counts is not None:
        log.info("index %s is complete for this corpus (key %s): reusing it", where, key)
        info = IndexInfo(
            str(corpus), str(where), key, True, 0, counts["articles"], counts["chunks"], _since(started)
        )
        return index, info
    try:
        summary = ingest([corpus], settings=settings, index=index, progress=_tqdm_stages(progress))
    except (NothingToIngest, IndexBusy) as exc:
        raise EvalInputError(str(exc)) from None
    counts = _index_counts(index)
    (where / CACHE_MARKER).write_text(json.dumps({"key": key, **counts}) + "\n", encoding="utf-8")
    if summary.skipped:
        first = summary.skipped[0]
        log.warning(
            "%d files or records of %s were skipped, e.g. %s: %s",
            len(summary.skipped),
            corpus,
            first["path"],
            first["reason"],
        )
    info = IndexInfo(
        str(corpus),
        str(where),
        key,
        False,
        summary.embedded,
        counts["articles"],
        counts["chunks"],
        _since(started),
        ingest=summary.to_dict(),
    )
    return index, info


def corpus_clusters(corpus: Path, settings: Settings) -> tuple[dict[str, str], IndexInfo]:
    """Near-duplicate clusters of the corpus (id → indexed copy) without a model, for ``--url`` runs."""
    from ingest.clean import clean
    from ingest.dedupe import clusters, find_duplicate_pairs
    from ingest.load import load

    started = time.perf_counter()
    loaded = load(
        [corpus],
        max_file_bytes=int(settings.max_file_mb * 2**20),
        max_article_chars=settings.max_article_chars,
    )
    if not loaded.articles:
        why = f" ({loaded.skipped[0].path}: {loaded.skipped[0].reason})" if loaded.skipped else ""
        raise EvalInputError(f"no articles loaded from {corpus}{why}")
    texts = {a.id: clean(a).article.text for a in loaded.articles}
    pairs = find_duplicate_pairs(texts, threshold=settings.near_dup_threshold)
    # The longest copy is the indexed one, as in ingest.
    canonical = clusters(pairs, rank=lambda article_id: (-len(texts[article_id]), article_id))
    info = IndexInfo(str(corpus), None, None, None, 0, len(texts), 0, _since(started))
    return {**{i: i for i in texts}, **canonical}, info


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _tqdm_stages(enabled: bool) -> Callable[[str, int], Callable[[int], None]]:
    from tqdm import tqdm

    bars: list[Any] = []

    def stage(name: str, total: int) -> Callable[[int], None]:
        for bar in bars:
            bar.close()
        bar = tqdm(
            total=total or None,
            desc=f"ingest: {name}",
            unit="chunk" if name == "embed" else "article",
            disable=None if enabled else True,
            file=sys.stderr,
            leave=False,
        )
        bars.append(bar)
        return bar.update

    return stage


# --- asking ----------------------------------------------------------------------------------------


class Asker(Protocol):
    label: str

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        """The answer's wire schema (``retrieved`` entries may carry ``also_in``); raises on failure."""
        ...


class LocalAsker:
    """Asks through an in-process :class:`Assistant`, as the app does."""

    def __init__(self, label: str, assistant: Any) -> None:
        self.label = label
        self.assistant = assistant

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.assistant.ask(
            question["question"], question.get("history") or (), None, as_of=question.get("asked_on")
        )
        return metrics.answer_record(answer)


class HttpAsker:
    """Asks a running server: ``POST {url}/api/ask`` with ``{"question", "history", "filters", "as_of"}``."""

    def __init__(self, url: str, *, label: str = SERVER_LABEL, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.label = label
        self.endpoint = url.rstrip("/") + "/api/ask"
        self.timeout = timeout

    def ask(self, question: Mapping[str, Any]) -> dict[str, Any]:
        body = {
            "question": question["question"],
            "history": list(question.get("history") or []),
            "filters": None,
            "as_of": question.get("asked_on"),
        }
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()[:200]
            raise RuntimeError(f"HTTP {exc.code} from {self.endpoint}: {detail}") from None
        if not isinstance(payload, dict) or "answer" not in payload or "refused" not in payload:
            raise RuntimeError(f"{self.endpoint} did not return an Answer object")
        return payload


def check_server(asker: HttpAsker) -> None:
    """Fail early, in one line, when the server cannot be reached at all."""
    try:
        asker.ask({"question": WARM_UP_QUESTION})
    except urllib.error.URLError as exc:
        raise EvalInputError(f"cannot reach {asker.endpoint}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise EvalInputError(f"cannot reach {asker.endpoint}: {exc}") from None
    except RuntimeError as exc:
        log.warning("warm-up request failed: %s", exc)


def local_askers(
    index: Index, settings: Settings, modes: Sequence[str], *, suffix: str = ""
) -> list[LocalAsker]:
    """One Assistant per retriever mode, all sharing ``index``; each warmed up once (model, BM25, caches).
    Each is labelled by its mode, and ``suffix`` (the answerer, when several are compared)."""
    from assistant.assistant import Assistant, AssistantError
    from assistant.retrieve import HybridRetriever

    askers = []
    for mode in modes:
        mode_settings = settings.model_copy(update={"retrieve_mode": mode})
        retriever = HybridRetriever.from_settings(index, mode_settings)
        try:
            assistant = Assistant(mode_settings, index, retriever=retriever)
        except AssistantError as exc:  # e.g. a language model that is not installed
            raise EvalInputError(str(exc)) from None
        mode = f"{mode}/{suffix}" if suffix and len(modes) > 1 else suffix or mode
        try:
            assistant.ask(WARM_UP_QUESTION)
        except Exception as exc:  # a warm-up failure shows again, per question, where it is recorded
            log.warning("warm-up question failed for %s: %s", mode, exc)
        askers.append(LocalAsker(mode, assistant))
    return askers


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class RetrieverRun:
    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # results.jsonl lines
    scores: list[metrics.QuestionScore] = field(default_factory=list)

    @property
    def estimates(self) -> dict[str, metrics.Estimate]:
        return metrics.estimates(self.scores)

    @property
    def summary(self) -> dict[str, Any]:
        return metrics.summarize(self.scores)

    @property
    def generation(self) -> dict[str, int] | None:
        """What a language-model answerer did (from ``Answer.notes``), or None when none answered."""
        return metrics.generation_stats(row.get("notes") or [] for row in self.rows)


@dataclass
class EvalRun:
    corpus: str
    questions_file: str
    k: int
    answerer: str | None
    index: IndexInfo
    runs: list[RetrieverRun]
    seconds: float = 0.0
    unknown_gold_ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        first = self.runs[0].summary
        generation = {r.label: r.generation for r in self.runs if r.generation is not None}
        if len(self.runs) == 1:
            return {**first, "generation": generation[self.runs[0].label]} if generation else first
        out = {**first, "by_retriever": {r.label: r.summary for r in self.runs}}
        return {**out, "generation": generation} if generation else out


def ask_all(
    asker: Asker,
    questions: Sequence[Mapping[str, Any]],
    canonical: Mapping[str, str],
    *,
    progress: bool,
) -> RetrieverRun:
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
        run.scores.append(score)
        run.rows.append(_row(asker.label, question, record, score))
    bar.close()
    return run


def _row(
    label: str, question: Mapping[str, Any], record: Mapping[str, Any], score: metrics.QuestionScore
) -> dict[str, Any]:
    outcome = score.to_dict()
    return {
        "retriever": label,
        "id": question["id"],
        "question": question["question"],
        "history": question.get("history") or [],
        "asked_on": question.get("asked_on"),
        "answerable": question["answerable"],
        "expected_answers": question.get("answers") or [],
        "gold_article_ids": question.get("gold_article_ids") or [],
        "answer": record.get("answer", ""),
        "refused": bool(record.get("refused")),
        "citations": list(record.get("citations") or []),
        "retrieved": [
            {
                "article_id": r.get("article_id"),
                "chunk_id": r.get("chunk_id"),
                "score": r.get("score"),
                "also_in": list(r.get("also_in") or []),
            }
            for r in record.get("retrieved") or []
        ],
        "latency_ms": round(score.latency_ms, 2),
        "error": score.error,
        "notes": list(record.get("notes") or []),
        "metrics": {
            k: v for k, v in outcome.items() if k not in ("latency_ms", "error", "answerable", "refused")
        },
    }


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
        seconds=_since(started),
        unknown_gold_ids=unknown,
    )


def write_outputs(result: EvalRun, out_dir: Path) -> dict[str, Path]:
    """``summary.json``, ``results.jsonl``, ``index.json``, ``report.md`` and the plots; returns their paths."""
    from evals import report

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": out_dir / "summary.json",
        "results": out_dir / "results.jsonl",
        "index": out_dir / "index.json",
    }
    paths["summary"].write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
    with paths["results"].open("w", encoding="utf-8") as f:
        for row in _rows(result):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths["index"].write_text(json.dumps(result.index.to_dict(), indent=2) + "\n", encoding="utf-8")
    paths.update(report.write_report(result, out_dir))
    return paths


def _rows(result: EvalRun) -> Iterator[dict[str, Any]]:
    for run in result.runs:
        yield from run.rows
