"""A language model's answer as claims, read as it streams and checked one by one against their passages.

A claim is one sentence of the model's answer with the ``[n]`` it cites. Each complete claim is checked by
:mod:`assistant.grounding` against the passages it cites (a claim citing none is given the one passage that
supports it, if any); supported claims are kept and renumbered in the order they first cite, the others
dropped and counted.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

from assistant import grounding
from assistant.compose import shown_date
from assistant.verify import MARKER
from core.normalize import normalize_for_match
from core.sentences import split_sentences
from core.tokenize import tokenize

log = logging.getLogger(__name__)

_MARKER_LIST = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)+)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_BULLET = re.compile(r"(?m)^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_PREFIX = re.compile(r"^\s*(?:answer|rewritten answer|response)\s*:\s*", re.I)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
MAX_REPEATS = 2  # a model that keeps saying the same sentence is stopped


@dataclass(frozen=True)
class Claim:
    text: str  # one sentence of the model's answer, without markers
    cited: tuple[int, ...]  # the numbers it cites, as the model wrote them


def parse_claims(text: str) -> list[Claim]:
    """The model's answer as sentences with the [n] they cite; markers that open a sentence belong to
    the one before ("… schools. [1] Crews …"); "[1, 2]" is read as "[1][2]"."""
    text = _MARKER_LIST.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    text = _PREFIX.sub("", _BULLET.sub("", text.strip()))
    claims: list[Claim] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        lead = _LEADING_MARKERS.match(sentence)
        if lead:
            if claims:
                last = claims[-1]
                extra = tuple(int(n) for n in MARKER.findall(lead.group(0)))
                claims[-1] = Claim(last.text, tuple(dict.fromkeys(last.cited + extra)))
            sentence = sentence[lead.end() :]
        cited = tuple(dict.fromkeys(int(n) for n in MARKER.findall(sentence)))
        words = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", sentence).split()))
        if re.search(r"\w", words):
            claims.append(Claim(words, cited))
    return claims


class ClaimStream:
    """Claims out of a stream of text pieces, each once it is complete (the next sentence has begun)."""

    def __init__(self) -> None:
        self.text = ""
        self.emitted = 0

    def feed(self, piece: str) -> list[Claim]:
        self.text += piece
        claims = parse_claims(self.text)
        ready = claims[self.emitted : max(self.emitted, len(claims) - 1)]
        self.emitted += len(ready)
        return ready

    def close(self) -> list[Claim]:
        claims = parse_claims(self.text)
        ready = claims[self.emitted :]
        self.emitted = len(claims)
        return ready


class CheckedClaims:
    """The claims of one model answer: those kept so far with the passage numbers they rest on, the new
    numbering (old ``n`` → new, in order of first citation) and counts of what was checked and dropped.
    Each [n] is written with its article's date beside it ("[1] (2022-07-08)"), as an extracted answer's."""

    def __init__(
        self,
        evidence: Mapping[int, str],
        *,
        min_overlap: float = 0.9,
        dates: Mapping[int, str] | None = None,
    ) -> None:
        self.evidence = evidence  # passage text by the number the model sees
        self.dates = dates or {}  # the article's published date by the number the model sees
        self.min_overlap = min_overlap
        self.kept: list[tuple[str, tuple[int, ...]]] = []
        self.numbering: dict[int, int] = {}
        self.total = 0  # distinct claims checked
        self.dropped = 0
        self.repeats = 0
        self._seen: set[str] = set()
        self._parsed = ClaimStream()

    @property
    def raw(self) -> str:
        """Everything the model wrote so far."""
        return self._parsed.text

    def read(
        self, pieces: Generator[str, None, None], covers: Callable[[], bool]
    ) -> Generator[str, None, None]:
        """Check the claims of the model's streamed output as each is complete; yield the kept ones as
        answer text with their new [n], held back until the answer so far ``covers`` the question. A model
        that keeps repeating itself is stopped."""
        held: list[str] = []

        def check(claims: list[Claim]) -> None:
            for claim in claims:
                kept = self.take(claim)
                if kept is not None:
                    held.append(kept if len(self.kept) == 1 else " " + kept)

        with contextlib.closing(pieces):
            for piece in pieces:
                check(self._parsed.feed(piece))
                if held and covers():
                    yield from held
                    held.clear()
                if self.repeats >= MAX_REPEATS:
                    break
        check(self._parsed.close())
        if held and covers():
            yield from held

    def take(self, claim: Claim) -> str | None:
        """The claim as answer text with its new [n], or ``None`` when it is not supported (or a repeat)."""
        key = normalize_for_match(claim.text)
        if key in self._seen:
            self.repeats += 1
            return None
        self._seen.add(key)
        self.total += 1
        cited = tuple(n for n in claim.cited if n in self.evidence)
        if not cited:
            found = grounding.best_source(claim.text, self.evidence, min_overlap=self.min_overlap)
            cited = (found,) if found is not None else ()
        verdict = (
            grounding.check(
                claim.text, " ".join(self.evidence[n] for n in cited), min_overlap=self.min_overlap
            )
            if cited
            else grounding.Check(False, "no passage supports it")
        )
        if not verdict.supported:
            self.dropped += 1
            log.info("dropped a generated sentence (%s): %s", verdict.reason, claim.text)
            return None
        self.kept.append((claim.text, cited))
        for n in cited:
            self.numbering.setdefault(n, len(self.numbering) + 1)
        return claim.text + self._markers(cited)

    def _markers(self, cited: tuple[int, ...]) -> str:
        """The new [n] of each passage a claim cites, with its article's date."""
        return "".join(f" [{self.numbering[n]}]{shown_date(self.dates.get(n, ''))}" for n in cited)

    def text(self) -> str:
        """The kept claims as answer text, each with its new [n] and the article's date."""
        return " ".join(claim + self._markers(cited) for claim, cited in self.kept)

    def said(self) -> str:
        """The kept claims without their markers."""
        return " ".join(claim for claim, _ in self.kept)

    def said_stems(self) -> frozenset[str]:
        return frozenset(stem for claim, _ in self.kept for stem in tokenize(claim))

    def cited_stems(self) -> frozenset[str]:
        """The stems of the passages the kept claims cite."""
        return frozenset(tokenize(" ".join(self.evidence[n] for n in self.numbering)))

    def resting_on(self, n: int) -> list[str]:
        """The kept claims that cite passage ``n`` (its number as the model saw it)."""
        return [text for text, cited in self.kept if n in cited]
