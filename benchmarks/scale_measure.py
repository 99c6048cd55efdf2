"""The scale benchmark's phases — build, serve, add — each run in its own process by benchmarks/scale.py.

Each phase returns its result (benchmarks/scale.py prints it as one JSON line); the serve phase calls
``on_first`` when its first answer is ready. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.scale_corpus import Planted, SentencePool, articles, planted
from benchmarks.scale_vectors import HashedModel, SampledEmbedder
from core.settings import Settings, settings_with
from core.types import Article

ADD_PLANTED = 20  # planted questions among the added chunks
BLOCK = 2000  # articles generated and prepared at a time
PLANT_SEED, ARTICLE_SEED, ADD_SEED = 7, 11, 13


def _settings(args: argparse.Namespace) -> Settings:
    return settings_with(index_dir=args.dir / "index", embed_threads=args.threads, query_threads=1)


def _note(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _embedder(args: argparse.Namespace, settings: Settings, pool: SentencePool) -> SampledEmbedder:
    from vectorstore.factory import local_embedder

    model = HashedModel() if args.fake_vectors else local_embedder(settings)
    embedder = SampledEmbedder(model, pool.titles())
    anchors = args.dir / "anchors.npz"
    if anchors.exists():
        saved = np.load(anchors)
        embedder.anchors = {int(t): v for t, v in zip(saved["topics"], saved["vectors"], strict=True)}
    return embedder


def _interleaved(pool: SentencePool, args: argparse.Namespace) -> Iterator[tuple[Article, Planted | None]]:
    """Generated articles with the planted ones spread evenly among them (then endless generated ones)."""
    plants = planted(pool, count=args.planted, seed=PLANT_SEED, prefix="plant/")
    every = max(1, int(args.chunks / 2.2 / max(1, args.planted)))
    for number, article in enumerate(
        articles(pool, seed=ARTICLE_SEED, prefix="news/", topics=len(pool.topics))
    ):
        if number % every == 0:
            plant = next(plants, None)
            if plant is not None:
                yield plant
        yield article, None


def _prepare(article: Article) -> tuple[Any, list[dict[str, Any]]]:
    """The product's cleaning and chunking of one article, and its quotes as ``sync_quotes`` stores them."""
    from dataclasses import asdict

    from ingest.pipeline import prepare
    from ingest.quotes import extract_quotes

    global _TOKENIZER
    if _TOKENIZER is None:
        from vectorstore.embeddings import ModelTokenizer

        _TOKENIZER = ModelTokenizer()
    ready = prepare(article, tokenizer=_TOKENIZER, settings=_WORKER_SETTINGS or Settings())
    quotes = [
        {**asdict(q), "speaker_key": q.key, "published": ready.article.published}
        for q in extract_quotes(ready.article.text)
    ]
    return ready, quotes


_TOKENIZER: Any = None
_WORKER_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings


def _prepared_blocks(
    items: Iterator[tuple[Article, Planted | None]], args: argparse.Namespace, settings: Settings
) -> Iterator[list[tuple[Article, Planted | None, Any, list[dict[str, Any]]]]]:
    """Articles prepared in blocks (in ``--workers`` processes): bounded memory, whatever N is."""
    import multiprocessing
    from itertools import islice

    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings
    pool = (
        multiprocessing.get_context("spawn").Pool(args.workers, _init_worker, (settings,))
        if args.workers
        else None
    )
    try:
        while block := list(islice(items, min(BLOCK, max(64, args.chunks // 10)))):
            articles_only = [article for article, _ in block]
            done = pool.map(_prepare, articles_only, chunksize=16) if pool else map(_prepare, articles_only)
            yield [(a, p, ready, quotes) for (a, p), (ready, quotes) in zip(block, done, strict=True)]
    finally:
        if pool is not None:
            pool.terminate()


def build_phase(args: argparse.Namespace) -> dict[str, Any]:
    from ingest.pipeline import article_fingerprint
    from ingest.quotes import EXTRACTOR_VERSION
    from vectorstore.index import Index

    started = time.perf_counter()
    settings = _settings(args)
    pool = SentencePool.load(args.shared)
    embedder = _embedder(args, settings, pool)
    index = Index(settings.index_dir, embedder)
    store = index.store
    chunks = n_articles = 0
    plants: list[dict[str, str]] = []
    for block in _prepared_blocks(_interleaved(pool, args), args, settings):
        for article, plant, ready, quotes in block:
            if chunks >= args.chunks and len(plants) >= args.planted:
                break
            if not ready.chunks:
                continue
            store.put(
                ready.article,
                fingerprint=article_fingerprint(article, settings, embedder.model_id),
                chunks=ready.chunks,
                repeated_paragraphs=ready.repeated_paragraphs,
                signature=ready.signature,
            )
            store.put_quotes(article.id, EXTRACTOR_VERSION, quotes)
            chunks += len(ready.chunks)
            n_articles += 1
            if plant is not None:
                plants.append(plant.__dict__)
        _note(f"stored {chunks:,} chunks of {n_articles:,} articles")
        if chunks >= args.chunks and len(plants) >= args.planted:
            break
    store.set_canonical({})  # generated articles are not near-duplicates of each other
    write_s = time.perf_counter() - started
    _note(f"stored {chunks:,} chunks in {write_s:.0f} s; indexing (Index.sync)")

    done = [0, time.perf_counter()]

    def progress(n: int) -> None:
        done[0] += n
        if time.perf_counter() - done[1] > 30:
            done[1] = time.perf_counter()
            _note(f"embedded and written {done[0]:,} chunks ({embedder.real:,} by the model)")

    sync_started = time.perf_counter()
    index.sync(progress=progress)
    sync_s = time.perf_counter() - sync_started
    build_s = time.perf_counter() - started
    topics = sorted(t for t, v in embedder.anchors.items() if v.size)
    np.savez(
        args.dir / "anchors.npz",
        topics=np.array(topics, dtype=np.int64),
        vectors=np.stack([embedder.anchors[t] for t in topics]) if topics else np.zeros((0, 384), np.float32),
    )
    result = {
        "requested": args.chunks,
        "chunks": store.counts()["chunks"],
        "articles": n_articles,
        "build_s": round(build_s, 1),
        "detail": {
            "write_s": round(write_s, 1),
            "sync_s": round(sync_s, 1),
        },
        "vectors": {"model": embedder.real, "copies": embedder.copied},
    }
    (args.dir / "plan.json").write_text(json.dumps({**result, "planted": plants}))
    _note(f"built {result['chunks']:,} chunks in {build_s:.0f} s")
    return result


def _rss_mb() -> tuple[float, float]:
    """(resident, peak resident) MB of this process."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    return tuple(round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def _window(plant: dict[str, str], rng: random.Random) -> tuple[str, str]:
    """A date window of one to five years that holds the planted article's date."""
    year = int(plant["published"][:4])
    width = rng.randint(1, 5)
    first = year - rng.randint(0, width - 1)
    return f"{first}-01-01", f"{first + width - 1}-12-31"


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def serve_phase(args: argparse.Namespace, on_first: Callable[[], None] = lambda: None) -> dict[str, Any]:
    from assistant import Assistant, Filters

    settings = _settings(args)
    plants = json.loads((args.dir / "plan.json").read_text())["planted"][: args.asks]
    if args.fake_vectors:
        from vectorstore.index import Index

        assistant = Assistant(settings, Index(settings.index_dir, HashedModel()))
    else:
        assistant = Assistant.from_settings(settings)
    assistant.ask(plants[0]["question"])
    on_first()
    for plant in plants[:5]:  # warm: the first answers load what is loaded lazily
        assistant.ask(plant["question"])

    profile = None
    if args.profile:  # where the warm answers spend their time: DIR/serve.prof, top entries on stderr
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    rng = random.Random(PLANT_SEED)
    times, filtered_times = [], []
    # CPU time of this process per answer (all its threads): on a shared machine, wall time also holds
    # the waits for a core, CPU time does not.
    cpu_times, filtered_cpu_times = [], []
    hits = filtered_hits = answered = 0
    for number, plant in enumerate(plants):
        asked, cpu = time.perf_counter(), time.process_time()
        answer = assistant.ask(plant["question"])
        times.append((time.perf_counter() - asked) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        hits += plant["article_id"] in {p.article_id for p in answer.retrieved[:10]}
        answered += plant["answer"] in answer.answer
        lo, hi = _window(plant, rng)
        filters = Filters(sources=(plant["source"],), published_from=lo, published_to=hi)
        asked, cpu = time.perf_counter(), time.process_time()
        answer = assistant.ask(plant["question"], filters=filters)
        filtered_times.append((time.perf_counter() - asked) * 1000)
        filtered_cpu_times.append((time.process_time() - cpu) * 1000)
        filtered_hits += plant["article_id"] in {p.article_id for p in answer.retrieved[:10]}
        if (number + 1) % 50 == 0:
            _note(f"asked {number + 1} of {len(plants)} planted questions (plain and filtered)")
    if profile is not None:
        import pstats

        profile.disable()
        profile.dump_stats(args.dir / "serve.prof")
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    rss, peak = _rss_mb()
    result = {
        "planted": len(plants),
        "ask_p50_ms": _percentile(times, 50),
        "ask_p95_ms": _percentile(times, 95),
        "filtered_ask_p50_ms": _percentile(filtered_times, 50),
        "filtered_ask_p95_ms": _percentile(filtered_times, 95),
        "hit10": round(hits / len(plants), 3),
        "filtered_hit10": round(filtered_hits / len(plants), 3),
        "answered": round(answered / len(plants), 3),
        "rss_mb": rss,
        "rss_peak_mb": peak,
        "ask_cpu_p50_ms": _percentile(cpu_times, 50),
        "ask_cpu_p95_ms": _percentile(cpu_times, 95),
        "filtered_ask_cpu_p95_ms": _percentile(filtered_cpu_times, 95),
    }
    _note(f"served: {json.dumps(result)}")
    return result


def _new_articles(
    pool: SentencePool, args: argparse.Namespace, settings: Settings
) -> tuple[list[dict], list[Planted]]:
    """About ``--add-chunks`` chunks of new articles as corpus records, planted questions among them."""
    from ingest.pipeline import _model_tokenizer, prepare

    tokenizer = _model_tokenizer()
    # Each update of a kept index adds new articles (an unchanged re-ingest would add nothing).
    update = len(list(args.dir.glob("added*.jsonl")))
    count = args.planted + ADD_PLANTED * (update + 1)
    plants = list(planted(pool, count=count, seed=PLANT_SEED, prefix="plant/"))[-ADD_PLANTED:]
    prefix = f"added{update}/" if update else "added/"
    generated = articles(pool, seed=ADD_SEED + update, prefix=prefix, topics=len(pool.topics))
    records, chunks = [], 0
    queue = [article for article, _ in plants]
    while chunks < args.add_chunks:
        article = queue.pop() if queue else next(generated)
        chunks += len(prepare(article, tokenizer=tokenizer, settings=settings).chunks)
        records.append(
            {k: getattr(article, k) for k in ("id", "title", "text", "url", "source", "published")}
        )
    return records, [plant for _, plant in plants]


def add_phase(args: argparse.Namespace) -> dict[str, Any]:
    from assistant import Assistant
    from ingest import ingest
    from vectorstore.index import Index

    settings = _settings(args)
    pool = SentencePool.load(args.shared)
    index = Index(settings.index_dir, _embedder(args, settings, pool))
    assistant = Assistant(settings, index)
    old = json.loads((args.dir / "plan.json").read_text())["planted"]
    assistant.ask(old[0]["question"])  # open and warm, untimed: the update is what is measured
    records, plants = _new_articles(pool, args, settings)
    corpus = args.dir / f"added{len(list(args.dir.glob('added*.jsonl')))}.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    before = index.store.counts()["chunks"]
    _note(f"adding {len(records)} articles through ingest()")

    marks: dict[str, float] = {}  # when each of ingest's stages began

    def stage(name: str, total: int) -> Callable[[int], None]:
        marks.setdefault(name, time.perf_counter())
        return lambda n: None

    started = time.perf_counter()
    ingest([corpus], settings=settings, index=index, progress=stage)
    ingested = time.perf_counter()
    found = 0
    for plant in plants:
        answer = assistant.ask(plant.question)
        found += plant.article_id in {p.article_id for p in answer.retrieved[:10]}
    add_s = time.perf_counter() - started
    # Where the update's time goes: reading the file, then each stage of ingest() until the next one
    # began (deduplication over the whole store runs between "clean+chunk" and "embed"), then the asks.
    names = ["load", *marks]
    times = [started, *marks.values(), ingested, started + add_s]
    detail = {
        f"{n}_s": round(b - a, 2) for n, a, b in zip([*names, "ask"], times[:-1], times[1:], strict=True)
    }
    _note(f"update: {add_s:.1f} s {json.dumps(detail)}")
    counts = index.store.counts()
    return {
        "add_s": round(add_s, 2),
        "add_chunks": counts["chunks"] - before,
        # Articles the product's deduplication folded into another (generated ones should not be).
        "add_folded": counts["articles"] - counts["indexed_articles"],
        "add_hit10": round(found / len(plants), 3),
        "add_detail": detail,
    }
