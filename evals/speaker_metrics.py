"""Speaker metrics: does "What did X say?" cite X speaking, first, and all of it — and refuse names never quoted.

Question records may carry ``"speaker"`` and ``"gold_quotes": [{"article_id", "text"}]`` (every sentence
in which that speaker speaks, labelled by reading the articles). Each cited sentence of a non-refused
answer is one cited quote; it is the speaker speaking when it matches (one holds the other, normalized)
one of the gold sentences.

- ``speaker_precision``: cited quotes in which the speaker speaks, over all cited quotes.
- ``speaker_recall``: distinct gold sentences cited, over the distinct gold sentences up to the answer's
  length (:data:`ANSWER_SENTENCES`): an answer is a short list, not the whole archive.
- ``speaker_first``: answers whose first sentence is the speaker speaking (a refusal: no).
- ``never_quoted_refused``: questions about names never quoted (``answerable: false``) that were refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import ftfy

from core.normalize import normalize_for_match
from core.sentences import split_sentences

ANSWER_SENTENCES = 10  # as many as a speaker answer lists (assistant.speakers.MAX_SENTENCES)
SPEAKER_KEYS = ("speaker_precision", "speaker_recall", "speaker_first", "never_quoted_refused")


def speaker_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The speaker fields of a question record, to keep beside the standard ones (``{}`` without them)."""
    if not isinstance(record.get("speaker"), str) or not record["speaker"].strip():
        return {}
    golds = [
        {"article_id": str(g.get("article_id", "")), "text": g["text"]}
        for g in record.get("gold_quotes") or ()
        if isinstance(g, Mapping) and isinstance(g.get("text"), str) and g["text"].strip()
    ]
    return {"speaker": record["speaker"].strip(), "gold_quotes": golds}


def speaker_score(question: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The speaker outcome of one answer, for its results.jsonl row: ``{}`` for other questions."""
    if not question.get("speaker"):
        return {}
    refused = bool(record.get("refused"))
    if not question.get("answerable", True):
        return {"speaker": {"never_quoted": True, "refused": refused}}
    golds = list(dict.fromkeys(_norm(q["text"]) for q in question.get("gold_quotes") or ()))
    cited = (
        [] if refused else [s for c in record.get("citations") or () for s in _sentences(c.get("quote", ""))]
    )
    speaking = [s for s in cited if _matches(s, golds)]
    found = {g for g in golds if any(g in s or s in g for s in cited)}
    return {
        "speaker": {
            "never_quoted": False,
            "refused": refused,
            "cited": len(cited),
            "speaking": len(speaking),
            "gold": min(len(golds), ANSWER_SENTENCES),
            "gold_cited": min(len(found), ANSWER_SENTENCES),
            "first": bool(cited) and _matches(cited[0], golds),
        }
    }


def speaker_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, float | None]:
    """The four speaker metrics over results rows; ``{}`` when no question names a speaker."""
    outcomes = [row["speaker"] for row in rows if row.get("speaker")]
    if not outcomes:
        return {}
    quoted = [o for o in outcomes if not o["never_quoted"]]
    never = [o for o in outcomes if o["never_quoted"]]
    return {
        "speaker_precision": _ratio(sum(o["speaking"] for o in quoted), sum(o["cited"] for o in quoted)),
        "speaker_recall": _ratio(sum(o["gold_cited"] for o in quoted), sum(o["gold"] for o in quoted)),
        "speaker_first": _ratio(sum(o["first"] for o in quoted), len(quoted)),
        "never_quoted_refused": _ratio(sum(o["refused"] for o in never), len(never)),
    }


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _norm(text: str) -> str:
    return normalize_for_match(ftfy.fix_text(text))


def _sentences(quote: str) -> list[str]:
    return [n for a, b in split_sentences(quote) if (n := _norm(quote[a:b]))]


def _matches(sentence: str, golds: list[str]) -> bool:
    return any(sentence in gold or gold in sentence for gold in golds)


def speaker_rows(runs: Iterable[Any]) -> list[list[str]]:
    """Report rows ``[metric, value per run …, n]`` for runs whose questions name speakers; else none."""
    runs = list(runs)
    summaries = [speaker_summary(run.rows) for run in runs]
    if not any(summaries):
        return []
    quoted = sum(1 for row in runs[0].rows if row.get("speaker") and not row["speaker"]["never_quoted"])
    never = sum(1 for row in runs[0].rows if row.get("speaker") and row["speaker"]["never_quoted"])
    return [
        [
            key,
            *("-" if s.get(key) is None else f"{s[key]:.3f}" for s in summaries),
            str(never if key == "never_quoted_refused" else quoted),
        ]
        for key in SPEAKER_KEYS
    ]
