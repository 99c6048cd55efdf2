"""Production metrics in Prometheus' text format at ``GET /metrics`` (prometheus-client).

- ``newsroom_ask_seconds{answerer}``: time to answer one question (histogram; from taking an answering
  slot to the final Answer), labelled by the answerer that produced it (``extractive`` when a language
  model's answer fell back to the extracted one);
- ``newsroom_answers_total{outcome}``: questions by outcome, ``answered``, ``refused`` or ``error`` (not
  answered: bad input, an empty index, a failure);
- ``newsroom_answer_citations``: citations per answer (histogram);
- ``newsroom_index_articles``, ``newsroom_index_chunks``: what the index holds, read at each scrape;
- ``newsroom_last_ingest_timestamp_seconds`` and ``newsroom_seconds_since_last_ingest``: when an ingest
  or a sync last changed the index, read at each scrape from the index's own generation record (published
  by whichever process did it: ``python -m ingest``, the sync, an upload), so a restart or another process
  does not fool it; absent until one has completed.

Every question counts, whichever interface asked it (REST, SSE, /v1, MCP, chat, widget): ``ChatService``
records them. Each app has its own registry, so several apps in one process do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, time

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.types import Answer

OUTCOMES = ("answered", "refused", "error")
SECONDS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CITATION_BUCKETS = (0, 1, 2, 3, 4, 5, 8)


class _IndexCollector(Collector):
    """Articles and chunks in the index, read when Prometheus scrapes."""

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.counts()
        yield GaugeMetricFamily("newsroom_index_articles", "Articles in the index", value=counts["articles"])
        yield GaugeMetricFamily(
            "newsroom_index_chunks", "Passages (chunks) in the index", value=counts["chunks"]
        )


class _LastIngestCollector(Collector):
    """When the index was last written by a completed ingest or sync, and how long ago, read at each scrape."""

    def __init__(self, last_ingest: Callable[[], float | None]) -> None:
        self.last_ingest = last_ingest

    def collect(self) -> Iterator[GaugeMetricFamily]:
        when = self.last_ingest()
        if when is None:  # never recorded: absent, so that absent() alerts fire rather than a fake age
            return
        yield GaugeMetricFamily(
            "newsroom_last_ingest_timestamp_seconds",
            "Unix time when an ingest or sync last completed successfully",
            value=when,
        )
        yield GaugeMetricFamily(
            "newsroom_seconds_since_last_ingest",
            "Seconds since an ingest or sync last completed successfully",
            value=max(0.0, time() - when),
        )


def last_ingest_time(index_dir: Path) -> float | None:
    """When the index's newest generation was published (Unix time), or None when it has none.

    The writer publishes a generation at the end of every sync of the index that changed it — an ingest,
    a web sync, an upload, whichever process did it (``vectorstore.generation``) — and only once the
    vectors and the keyword index are in step, so a failed or killed ingest publishes nothing."""
    from vectorstore.generation import read_generation

    generation = read_generation(index_dir)
    if generation is None:
        return None
    try:
        written = datetime.fromisoformat(generation.written)
    except ValueError:
        return None
    return (written if written.tzinfo else written.replace(tzinfo=UTC)).timestamp()


class AskMetrics:
    def __init__(self, answerer: str, index_counts: Callable[[], Mapping[str, int]]) -> None:
        self.answerer = answerer
        self.registry = CollectorRegistry()
        self.seconds = Histogram(
            "newsroom_ask_seconds",
            "Seconds to answer one question, by the answerer that produced the answer",
            ["answerer"],
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "newsroom_answers", "Questions by outcome", ["outcome"], registry=self.registry
        )
        for outcome in OUTCOMES:  # present (at 0) before the first question
            self.answers.labels(outcome)
        self.citations = Histogram(
            "newsroom_answer_citations",
            "Citations per answer (refusals included)",
            buckets=CITATION_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_IndexCollector(index_counts))
        self._watching_ingest = False

    def watch_last_ingest(self, last_ingest: Callable[[], float | None]) -> None:
        """Report the last completed ingest (once per registry, however many apps share the service)."""
        if not self._watching_ingest:
            self.registry.register(_LastIngestCollector(last_ingest))
            self._watching_ingest = True

    def answerer_of(self, answer: Answer) -> str:
        generation = answer.generation
        if generation is None or generation.fallback:
            return "extractive"
        return generation.model.split(":", 1)[0] or self.answerer

    @contextmanager
    def asking(self) -> Iterator[Callable[[Answer], None]]:
        """Times one question: call the yielded function with its Answer; leaving without one (an
        exception) counts an error. A generator closed early (a client that hung up) counts nothing."""
        started = perf_counter()
        answered: list[Answer] = []
        failed = False
        try:
            yield answered.append
        except GeneratorExit:
            raise
        except BaseException:
            failed = True
            raise
        finally:
            seconds = perf_counter() - started
            if answered:  # counted even when the stream is closed after its answer
                answer = answered[-1]
                self.seconds.labels(self.answerer_of(answer)).observe(seconds)
                self.answers.labels("refused" if answer.refused else "answered").inc()
                self.citations.observe(len(answer.citations))
            elif failed:
                self.seconds.labels(self.answerer).observe(seconds)
                self.answers.labels("error").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def install(app: FastAPI, require_token: Callable[..., None]) -> None:
    """``GET /metrics`` (behind the API token when one is set)."""
    service = app.state.service
    service.metrics.watch_last_ingest(lambda: last_ingest_time(Path(service.index.dir)))
    router = APIRouter(dependencies=[Depends(require_token)])

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        service = request.app.state.service
        body = await anyio.to_thread.run_sync(service.metrics.exposition)  # reads the article store
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
