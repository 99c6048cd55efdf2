"""Answer "What did X say [about Y]?" from X's own quotes across the archive, extracted at ingest.

The quotes table (:mod:`ingest.quotes`) knows who speaks in every sentence, so an answer never rests
on a sentence where X is only mentioned, is the object, or is quoted about by someone else. Name forms
match by person (:mod:`assistant.speaker_names`). The answer is a short list: direct quotes first, then
reported speech, newest first, grouped by article, each item the quote, who, where and when, and its
[n]; a copy of the same sentence elsewhere is listed as "also reported by". A name
that is never quoted gets a refusal saying so, with the quoted names that are close; so does "about Y"
when none of X's quotes, nor the passages or articles they sit in, is about Y — X's words on other
matters do not answer it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.compose import compose, refuse
from assistant.evidence import mentions, sentences_of
from assistant.question import Question, is_role
from assistant.speaker_names import close_names, known_speakers, list_speakers, match_speaker, role_speaker
from assistant.verify import quote_verified
from core.normalize import normalize_for_match
from core.tokenize import tokenize
from core.types import Answer, Citation, Passage

# list_speakers lives in assistant.speaker_names; the CLI and the web API import it from here.
__all__ = ["SpeakerQuestion", "answer_speaker", "list_speakers", "speaker_question"]

MAX_SENTENCES = 10  # an answer lists at most this many of the speaker's sentences
# Share of the words of "about Y" that a sentence of X or its article's title must hold to be about Y, and
# the share a whole passage must hold.
TOPIC_SHARE = 0.5
PASSAGE_TOPIC_SHARE = 0.75
_COMMENTS = re.compile(
    r"^(?:what\s+(?:are|were)\s+)?(?P<who>[A-Z][\w.’'\- ]+?)(?:’s|'s)\s+(?:comments?|remarks?|views?|reaction|"
    r"response|statements?|words?)\b(?:\s+(?:on|about|to|regarding)\s+(?P<topic>.+?))?\??$"
)
_SPEECH_STEMS = frozenset(
    tokenize("react reacted reaction respond responded response comment comments remarks said say says view")
)
_NO_STATEMENT = re.compile(
    r"\b(?:has|have|had|did|does)\s*(?:not|n[o’']t)\s+(?:issued|made|given|commented|responded|said)|"
    r"\bdeclined\s+to\s+comment|\bno\s+(?:comment|statement)s?\b|\brefused\s+to\s+comment",
    re.I,
)
_PRONOUNS = frozenset({"he", "she", "they", "him", "her", "it", "them"})
_ABOUT = re.compile(
    r"\b(?<!according )(?P<how>about|on|regarding|over|to|after)\s+(?P<topic>.+?)\s*\??$", re.I
)
_QUOTATION = re.compile(r'["“]([^"“”]{20,})["”]')


@dataclass(frozen=True)
class SpeakerQuestion:
    name: str  # as asked
    topic: tuple[str, ...]  # stemmed words of "about Y", if any
    about: str = ""  # "about Y" as asked, for a refusal to say what was asked


def speaker_question(question: Question) -> SpeakerQuestion | None:
    """The speaker a question asks about ("What did X say about Y?", "What has X said …", "X's comments
    on Y", "How did X react to Y"), or None when it asks something else."""
    name, topic = None, question.terms
    about = _ABOUT.search(question.text.strip())
    if question.kind == "say" and question.speaker:
        name = question.speaker
    else:
        match = _COMMENTS.match(question.text.strip())
        if match:
            name = re.sub(r"^(?:the|a|an)\s+", "", match.group("who").strip(), flags=re.I)
            topic = tuple(tokenize(match.group("topic") or ""))
    if not name or name.lower() in _PRONOUNS:
        return None
    topic = tuple(t for t in topic if t not in _SPEECH_STEMS)
    said_about = ""
    if about and topic:  # "react to the defeat": nothing X said about the defeat; "say after …" stays
        how = "after" if about.group("how").lower() == "after" else "about"
        said_about = f"{how} {about.group('topic')}"
    return SpeakerQuestion(name, topic, said_about)


def answer_speaker(
    store: Any,
    question: Question,
    passages: Sequence[Passage],
    *,
    exclude: Collection[str] = (),
    idf: Callable[[str], float] | None = None,
) -> Answer | None:
    """The answer to a speaker question from the quotes table, or None to leave the question to the
    general answer path (not a speaker question, a role that no quote names, or a store without quotes).
    ``idf`` weighs the words of "about Y" by rarity ("Starship" counts for more than "launch")."""
    asked = speaker_question(question)
    has_quotes = getattr(store, "has_quotes", None)  # an index without a quotes table answers as before
    if asked is None or has_quotes is None or not has_quotes():
        return None
    speakers = known_speakers(store)
    keys = match_speaker(asked.name, speakers)
    if not keys and is_role(asked.name):
        keys = role_speaker(store, asked.name)
        if not keys:
            return None  # a role no quote names: the general path looks for the name beside the role
    if not keys:
        return _not_quoted(asked.name, speakers, passages)
    rows = [r for r in store.quotes_of(keys) if r["chunk_id"]]
    chunks = store.get_chunks(sorted({r["chunk_id"] for r in rows}))
    items = _sentences(rows, chunks)
    said = [i for i in items if normalize_for_match(i["text"]) not in exclude]
    who = _display_name(keys, speakers)
    if not said:
        return refuse(f"they report nothing else {who} said", passages)
    runs = _on_topic(_runs(said), _weights(asked.topic, idf))
    if not runs:
        return refuse(f"they report nothing {who} said {asked.about or 'about that'}", passages)
    answer = _compose(_capped(runs), chunks, passages)
    return answer or refuse("no quote of theirs could be verified", passages)


def _not_quoted(name: str, speakers: Sequence[dict[str, Any]], passages: Sequence[Passage]) -> Answer:
    # "The State Department has not issued any statements": what the articles say X said is nothing.
    sentences = sentences_of(passages)
    silent = [s for s in sentences if mentions(s, [name]) and _NO_STATEMENT.search(s.text)]
    if silent:
        return compose(silent[:2], passages)
    close = close_names(name, speakers)
    reason = f"they never quote {name}"
    if close:
        reason += f" (quoted names that are close: {', '.join(close)})"
    return refuse(reason, passages)


def _sentences(rows: Sequence[dict[str, Any]], chunks: dict[str, Any]) -> list[dict[str, Any]]:
    """Each quote with its sentence text (from its article's chunk that holds it: the same chunk text may
    sit at other offsets in other articles); one copy of repeated words, the others listed as also
    reported by."""
    items: list[dict[str, Any]] = []
    first: dict[str, dict[str, Any]] = {}
    chunk_stems: dict[str, frozenset[str]] = {}
    ordered = sorted(rows, key=lambda r: (r["article_id"], r["start"]))
    for row in sorted(ordered, key=lambda r: r["published"] or "", reverse=True):  # newest first
        if row["chunk_id"] not in chunks:
            continue  # not indexed any more
        text = row["chunk_text"][row["start"] - row["chunk_start"] : row["end"] - row["chunk_start"]]
        # The same words in another article ("…," Mr Brown said / "…," the chancellor added) are a copy.
        words = _QUOTATION.findall(text)
        key = normalize_for_match(" ".join(words) if words else text)
        if key in first:
            if row["article_id"] != first[key]["article_id"]:
                first[key]["copies"].append(row["article_id"])
            continue
        if row["chunk_id"] not in chunk_stems:
            chunk_stems[row["chunk_id"]] = frozenset(tokenize(row["chunk_text"]))
        item = {
            **row,
            "text": text,
            "stems": frozenset(tokenize(text)),
            "title_stems": frozenset(tokenize(row["title"] or "")),
            "chunk_stems": chunk_stems[row["chunk_id"]],
            "copies": [],
        }
        first[key] = item
        items.append(item)
    return items


def _runs(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive sentences of one chunk form a run (one citation); articles with direct quotes first,
    then newest first, each in reading order."""
    by_article: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_article.setdefault(item["article_id"], []).append(item)
    runs: list[list[dict[str, Any]]] = []
    order = sorted(
        by_article.values(),
        key=lambda group: (
            not any(i["kind"] == "direct" for i in group),
            _negated(group[0]["published"] or ""),
            group[0]["article_id"],
        ),
    )
    for group in order:
        for item in sorted(group, key=lambda i: i["start"]):
            last = runs[-1][-1] if runs else None
            if last is not None and last["chunk_id"] == item["chunk_id"] and _adjacent(last, item):
                runs[-1].append(item)
            else:
                runs.append([item])
    return runs


def _weights(topic: Sequence[str], idf: Callable[[str], float] | None) -> dict[str, float]:
    """Each word of "about Y" with its weight: its rarity, or 1 each without ``idf``."""
    return {t: max(idf(t), 1e-6) if idf is not None else 1.0 for t in topic}


def _on_topic(runs: list[list[dict[str, Any]]], topic: Mapping[str, float]) -> list[list[dict[str, Any]]]:
    """X's runs that speak of Y (a run is kept whole: a quote goes on past the sentence naming Y); else
    X's runs in an article or a passage about Y; else none — X's words on other matters do not answer.
    A sentence or a title is about Y with most of Y's words by weight ("ski jumping scandal" is not
    "scandal" alone, "the Starship launch" not "launch"); a whole passage, holding many more words, needs
    nearly all of them. ``topic`` weighs Y's words (:func:`_weights`); without a Y, all of X's runs."""
    if not topic:
        return runs
    total = sum(topic.values())

    def about(stems: frozenset[str], share: float) -> bool:
        return sum(w for t, w in topic.items() if t in stems) >= share * total - 1e-9

    said = [r for r in runs if any(about(i["stems"], TOPIC_SHARE) for i in r)]
    return said or [
        r
        for r in runs
        if about(r[0]["title_stems"], TOPIC_SHARE) or about(r[0]["chunk_stems"], PASSAGE_TOPIC_SHARE)
    ]


def _capped(runs: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """At most MAX_SENTENCES sentences, in order."""
    kept: list[list[dict[str, Any]]] = []
    left = MAX_SENTENCES
    for run in runs:
        if left <= 0:
            break
        kept.append(run[:left])
        left -= len(kept[-1])
    return kept


def _adjacent(last: dict[str, Any], item: dict[str, Any]) -> bool:
    """Nothing but white space between two sentences of one chunk."""
    return (
        last["article_id"] == item["article_id"]
        and not item["chunk_text"][
            last["end"] - item["chunk_start"] : item["start"] - item["chunk_start"]
        ].strip()
    )


def _negated(published: str) -> str:
    """A key that sorts newer dates first (ISO dates compare as text)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in published)


def _display_name(keys: Sequence[str], speakers: Sequence[dict[str, Any]]) -> str:
    by_key = {s["key"]: s["name"] for s in speakers}
    return by_key.get(keys[0], keys[0])


def _compose(
    runs: Sequence[Sequence[dict[str, Any]]], chunks: dict[str, Any], passages: Sequence[Passage]
) -> Answer | None:
    citations: list[Citation] = []
    lines: list[str] = []
    for run in runs:
        first, last = run[0], run[-1]
        stored = chunks[first["chunk_id"]]  # its indexed form: the copies of this text
        copies = (set(stored.also_in) | {stored.chunk.article_id} | {c for i in run for c in i["copies"]}) - {
            first["article_id"]
        }
        begin = first["chunk_start"]
        cited = Citation(
            n=len(citations) + 1,
            article_id=first["article_id"],
            chunk_id=first["chunk_id"],
            title=first["title"] or "",
            source=first["source"] or "",
            url=first["url"] or "",
            published=first["published"] or "",
            quote=first["chunk_text"][first["start"] - begin : last["end"] - begin],
            start=first["start"],
            end=last["end"],
            passage=first["chunk_text"],
            also_in=tuple(sorted(copies)),
            also_reported_by=stored.also_reported_by,
        )
        if not quote_verified(cited):
            continue
        citations.append(cited)
        where = ", ".join(
            x for x in (cited.title or cited.article_id, cited.source, cited.published[:10]) if x
        )
        also = f"; also reported by {len(copies)} other article{'s' * (len(copies) > 1)}" if copies else ""
        lines.append(f"{' '.join(cited.quote.split())} ({first['canonical']}; {where}{also}) [{cited.n}]")
    if not citations:
        return None
    return Answer(
        answer="\n".join(lines), refused=False, citations=tuple(citations), retrieved=tuple(passages)
    )
