"""Lexical engines at archive scale: tantivy (what the index uses), SQLite FTS5 and the earlier bm25s rebuild.

    python benchmarks/lexical.py --chunks 1000000 [--engines tantivy fts5 bm25s] [--dev-index DIR] [--json]

The archive is the RealtimeQA dev chunks (as an index built from that corpus holds them: pass
``--dev-index``, default the eval cache ``make eval-realtimeqa`` builds) plus news-like chunks recombined
from the shared corpora (benchmarks/news_text.py) up to ``--chunks``. For each engine, in fresh processes:

- ``build_s``: index every chunk (tokens given: tokenizing costs the same for every engine and is
  reported once as ``tokenize_per_s``); ``build_peak_mb``: the building process's peak RSS.
- ``add_s`` / ``delete_s``: add 1,000 new chunks, then delete 1,000 (bm25s: a full rebuild, = build_s);
  ``ledger_read_s``: reading what the tantivy index holds, which a sync compares with the store.
- ``p50_ms`` / ``p95_ms``: top-50 searches for the 69 dev questions (3 rounds); ``filtered_p95_ms``: the
  same under a source + 5-year date filter.
- ``open_s``, ``rss_mb`` (``anon_mb`` of it not file-backed): a fresh serving process that opens the
  index and answers the questions. ``disk_mb``: the engine's files.
- ``overlap@10``: mean share of the top-10 chunk ids shared with bm25s (today's ranking), and ``hit@10``:
  a gold article among the top 10, on the dev questions, for the archive of ``--chunks`` and for the dev
  chunks alone (``dev_overlap@10``, ``dev_hit@10``).

At 1M, with tantivy's candidates scored exactly: 135-213 s build (bm25s 204 s), 0.12-0.17 s add, 0.07-0.08 s delete,
search p50 11-55 ms and p95 19-119 ms depending on the machine's load (bm25s 7-8 / 15-19 ms under the
same load; FTS5 1.7 / 3.8 s), serving RSS 400-470 MB of which 29 MB is not the mapped index files
(bm25s 676 MB, 653 MB anonymous), overlap@10 with bm25s 0.996.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lexical_engines import ENGINES, Bm25s, Engine, Tantivy, open_engine
from benchmarks.news_text import FIRST_TS, SHARED, SOURCES, SPAN_S, NewsChunk, SentencePool

QUESTIONS = SHARED / "realtimeqa" / "questions.jsonl"
K = 50
ROUNDS = 3
CHANGE = 1000


def dev_chunks(index_dir: Path) -> list[NewsChunk]:
    """The chunks an index built from the dev corpus holds, with their articles, sources and dates."""
    from core.tokenize import tokenize
    from vectorstore.articles import ArticleStore

    store = ArticleStore(index_dir / "articles.sqlite")
    meta = store.indexed_metadata()
    ids, texts = store.indexed_texts()
    store.close()
    return [NewsChunk(c, t, tokenize(t), *meta[c]) for c, t in zip(ids, texts, strict=True)]


def default_dev_index() -> Path:
    from core.settings import Settings
    from evals.index_cache import DEFAULT_CACHE, cache_key
    from vectorstore.embeddings import LocalEmbeddings

    return DEFAULT_CACHE / cache_key(
        SHARED / "realtimeqa" / "corpus.jsonl", Settings(), LocalEmbeddings().model_id
    )


def questions() -> list[tuple[str, set[str]]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["question"], set(r.get("gold_article_ids") or ())) for r in rows]


def archive(dev: list[NewsChunk], n: int) -> Any:
    yield from dev
    yield from SentencePool.load().chunks(max(0, n - len(dev)), seed=7)


def _rss() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["RssAnon"][0]) / 1024


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _latencies(
    engine: Engine, asked: list[str], filtered: bool = False, rounds: int = ROUNDS
) -> list[float] | None:
    rng = random.Random(3)
    times = []
    for _ in range(rounds):
        for question in asked:
            lo = FIRST_TS + rng.randrange(SPAN_S - 5 * 365 * 86400)
            source = SOURCES[rng.randrange(len(SOURCES))]
            started = time.perf_counter()
            if filtered:
                if engine.search_filtered(question, K, source, lo, lo + 5 * 365 * 86400) is None:
                    return None
            else:
                engine.search(question, K)
            times.append((time.perf_counter() - started) * 1000)
    return times


def child_build(name: str, n: int, work: Path, dev_index: Path) -> dict[str, Any]:
    asked = [q for q, _ in questions()]
    dev = dev_chunks(dev_index)
    engine = open_engine(name, work / name)
    started = time.perf_counter()
    engine.build(archive(dev, n))
    result: dict[str, Any] = {"build_s": time.perf_counter() - started}
    result["top10"] = [engine.search(q, 10) for q in asked]
    if name == "bm25s":
        result["add_s"] = result["delete_s"] = result["build_s"]
    else:
        fresh = list(SentencePool.load().chunks(CHANGE, seed=99, prefix="new"))
        started = time.perf_counter()
        engine.add(fresh)
        result["add_s"] = time.perf_counter() - started
        started = time.perf_counter()
        engine.delete([c.chunk_id for c in fresh])
        result["delete_s"] = time.perf_counter() - started
    if isinstance(engine, Tantivy):
        # A sync also reads the ledger whole to find the difference with the store.
        started = time.perf_counter()
        engine.ledger.held()
        result["ledger_read_s"] = time.perf_counter() - started
    times = _latencies(engine, asked)
    assert times is not None
    result["p50_ms"], result["p95_ms"] = _percentile(times, 50), _percentile(times, 95)
    filtered = _latencies(engine, asked, filtered=True)
    result["filtered_p95_ms"] = None if filtered is None else _percentile(filtered, 95)
    result["build_peak_mb"] = _peak_mb()
    small = open_engine(name, work / f"{name}-dev")
    small.build(dev)
    result["dev_top10"] = [small.search(q, 10) for q in asked]
    return result


def child_serve(name: str, work: Path) -> dict[str, Any]:
    asked = [q for q, _ in questions()]
    started = time.perf_counter()
    engine = open_engine(name, work / name)
    if isinstance(engine, Bm25s):
        engine.load()
    engine.search(asked[0], K)
    open_s = time.perf_counter() - started
    _latencies(engine, asked, rounds=1)  # what serving the questions keeps in memory
    rss, anon = _rss()
    return {"open_s": open_s, "rss_mb": rss, "anon_mb": anon}


def _run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _agreement(tops: list[list[str]], base: list[list[str]] | None, owner: dict[str, str]) -> dict[str, Any]:
    gold = [g for _, g in questions()]
    hit = statistics.mean(any(owner.get(c) in g for c in top) for top, g in zip(tops, gold, strict=True))
    overlap = None
    if base is not None:
        overlap = statistics.mean(
            len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(tops, base, strict=True) if b
        )
    return {"hit@10": hit, "overlap@10": overlap}


def measure(n: int, engines: list[str], dev_index: Path, work: Path) -> dict[str, Any]:
    from core.tokenize import tokenize

    dev = dev_chunks(dev_index)
    owner = {c.chunk_id: c.article_id for c in dev}
    sample = [c.text for c in dev[:2000]]
    started = time.perf_counter()
    for text in sample:
        tokenize(text)
    report: dict[str, Any] = {"chunks": n, "tokenize_per_s": len(sample) / (time.perf_counter() - started)}
    rows: dict[str, dict[str, Any]] = {}
    for name in engines:
        common = ["--chunks", str(n), "--work", str(work), "--dev-index", str(dev_index)]
        rows[name] = _run_child(["--child-build", name, *common])
        rows[name].update(_run_child(["--child-serve", name, *common]))
        rows[name]["disk_mb"] = _disk_mb(work / name)
    base = rows.get("bm25s")
    base_top = (base["top10"], base["dev_top10"]) if base else (None, None)
    for row in rows.values():
        full = _agreement(row.pop("top10"), base_top[0], owner)
        small = _agreement(row.pop("dev_top10"), base_top[1], owner)
        row.update(full)
        row["dev_hit@10"], row["dev_overlap@10"] = small["hit@10"], small["overlap@10"]
    report["engines"] = rows
    return report


COLUMNS = (
    "build_s add_s delete_s ledger_read_s p50_ms p95_ms filtered_p95_ms open_s rss_mb anon_mb build_peak_mb disk_mb "
    "hit@10 overlap@10 dev_hit@10 dev_overlap@10"
).split()


def table(report: dict[str, Any]) -> str:
    names = list(report["engines"])
    lines = [f"chunks {report['chunks']:,}; tokenize {report['tokenize_per_s']:.0f} chunks/s (all engines)"]
    lines.append(f"{'':18}" + "".join(f"{name:>12}" for name in names))
    for column in COLUMNS:
        cells = []
        for name in names:
            value = report["engines"][name].get(column)
            cells.append(
                f"{'-':>12}" if value is None else f"{value:>12.3f}" if value < 10 else f"{value:>12.0f}"
            )
        lines.append(f"{column:18}" + "".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--dev-index", type=Path, help="an index built from the RealtimeQA corpus")
    parser.add_argument("--work", type=Path, help="where the engines write (default: a temporary folder)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child-build", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--child-serve", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    dev_index = args.dev_index or default_dev_index()
    if args.child_build or args.child_serve:
        if args.child_build:
            print(json.dumps(child_build(args.child_build, args.chunks, args.work, dev_index)))
        else:
            print(json.dumps(child_serve(args.child_serve, args.work)))
        return
    if "bm25s" in args.engines and importlib.util.find_spec("bm25s") is None:
        sys.exit(
            "the bm25s baseline needs bm25s (no longer a dependency): pip install bm25s, or pass --engines"
        )
    if not (dev_index / "articles.sqlite").exists():
        sys.exit(f"no dev index at {dev_index}: run make eval-realtimeqa, or pass --dev-index")
    work = args.work or Path(tempfile.mkdtemp(prefix="lexical-bench-"))
    try:
        report = measure(args.chunks, args.engines, dev_index, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
