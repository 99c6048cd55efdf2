"""Answers as eval records, and what is checked in them: gold answers, quotes, duplicates, generation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from core.normalize import normalize_for_match

if TYPE_CHECKING:
    from core.types import Answer

# "[n]" and the article date an extracted answer shows beside it ("[1] (2022-07-08)"): not answer text.
_MARKER = re.compile(r"\s*\[\d+\](?:\s\(\d{4}-\d\d-\d\d\))?")
# Punctuation stripped from the ends of a gold answer ("U.S." → "u.s", '"Yes."' → "yes").
_END_PUNCT = ".,;:!?'\"()[]{}<>…-‐/\\ "


def answer_record(answer: Answer) -> dict[str, Any]:
    """The wire schema of ``answer``, with what is not on the wire kept: each retrieved passage's
    ``also_in`` and ``text``, the answer's ``notes`` and its ``generation`` record (``None`` when no model
    was asked)."""
    record = answer.to_dict()
    for entry, passage in zip(record["retrieved"], answer.retrieved, strict=True):
        entry["also_in"] = list(passage.also_in)
        entry["text"] = passage.text
    record["notes"] = list(answer.notes)
    record["generation"] = asdict(answer.generation) if answer.generation is not None else None
    return record


def generation_stats(generations: Iterable[Mapping[str, Any] | None]) -> dict[str, int] | None:
    """What a language-model answerer did over a run, from each answer's ``generation`` record
    (:class:`core.types.Generation` as a dict; ``None`` where no model was asked): the answers it was
    asked for, the sentences it wrote, those the grounding checks dropped, and fallbacks to the
    extractive answer. ``None`` when no answer came from a language model."""
    stats = {"llm_answers": 0, "generated_sentences": 0, "dropped_sentences": 0, "fallbacks": 0}
    for generation in generations:
        if not generation:
            continue
        stats["llm_answers"] += 1
        stats["generated_sentences"] += int(generation["sentences"])
        stats["dropped_sentences"] += int(generation["dropped"])
        stats["fallbacks"] += generation.get("fallback") is not None
    return stats if stats["llm_answers"] else None


def as_record(answer: Answer | Mapping[str, Any]) -> Mapping[str, Any]:
    return answer if isinstance(answer, Mapping) else answer_record(answer)


def normalize_gold(answer: str) -> str:
    """A gold answer as matched: normalized, without punctuation at its ends."""
    return normalize_for_match(answer).strip(_END_PUNCT)


def normalize_text(text: str) -> str:
    """Text searched for gold answers: ``[n]`` markers (and the dates beside them) removed, normalized."""
    return normalize_for_match(_MARKER.sub(" ", text))


def _gold_pattern(gold: str) -> re.Pattern[str] | None:
    norm = normalize_gold(gold)
    if not norm:
        return None
    head = r"(?<!\w)" if norm[0].isalnum() else ""
    tail = r"(?!\w)" if norm[-1].isalnum() else ""
    return re.compile(head + re.escape(norm) + tail)


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    """Whether one of ``golds`` appears in ``text``, both normalized, not inside a longer word; a gold sum
    of money also matches the same sum written another way ("$12,600,000" for "$12.6 million")."""
    haystack = normalize_text(text)
    sums: set[tuple[str, float]] | None = None
    for gold in golds:
        pattern = _gold_pattern(gold)
        if pattern is not None and pattern.search(haystack):
            return True
        if _MONEY.fullmatch(gold.strip(_END_PUNCT)):
            sums = _sums(_MARKER.sub(" ", text)) if sums is None else sums
            if _sums(gold) & sums:
                return True
    return False


# A sum of money: a currency sign, a figure, maybe a scale ("$12.6 million", "£40m", "$1.5bn").
_MONEY = re.compile(
    r"([$£€])\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(thousand|million|billion|trillion|k|m|bn|tn)\b)?", re.I
)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}


def _sums(text: str) -> set[tuple[str, float]]:
    """The sums of money ``text`` writes, as (currency sign, amount)."""
    return {
        (sign, round(float(figure.replace(",", "")) * _SCALES.get((scale or "").lower(), 1.0), 2))
        for sign, figure, scale in _MONEY.findall(text)
    }


def quote_in_passage(citation: Mapping[str, Any]) -> bool:
    quote = normalize_for_match(str(citation.get("quote") or ""))
    return bool(quote) and quote in normalize_for_match(str(citation.get("passage") or ""))


def has_duplicate_citations(citations: Sequence[Mapping[str, Any]]) -> bool:
    """Two citations of the same text: equal normalized quotes, or one chunk and overlapping offsets."""
    for i, a in enumerate(citations):
        qa = normalize_for_match(str(a.get("quote") or ""))
        for b in citations[i + 1 :]:
            if qa and qa == normalize_for_match(str(b.get("quote") or "")):
                return True
            if a.get("chunk_id") and a.get("chunk_id") == b.get("chunk_id"):
                sa, ea, sb, eb = (int(x.get(key) or 0) for x in (a, b) for key in ("start", "end"))
                if sa < eb and sb < ea:
                    return True
    return False
