"""Clean a loaded article into the text that chunks and citation offsets point into.

Unicode is repaired (mojibake via ftfy, NFC; curly quotes stay curly), control characters and simple
markdown markers are removed, hard-wrapped lines are joined, and paragraphs that repeat the title or an
earlier paragraph are dropped. The cleaned text is the paragraphs joined by blank lines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import pairwise

import ftfy

from core.normalize import normalize_for_match
from core.types import Article

# Mojibake leaves a Latin-1 lead byte (Â, Ã, â, ...) before a C1, Latin-1 or Windows-1252 character;
# ftfy (the slow part) only runs on text that shows such a pair or an HTML entity.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|&(?:#\\d+|#x[0-9a-fA-F]+|[a-zA-Z]+\\d*);"
)
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b\u200e\u200f\u2060\ufeff]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_QUOTE_MARK = re.compile(r"^(?:>\s?)+")
_HEADING = re.compile(r"^#{1,6}(?:\s+(.*?))?(?:\s+#+)?$")
_MARKUP_ONLY = re.compile(r"^[#>*_=~\-\s]*$")  # rules (---, ***) and lone markers
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BOLD_LINE = re.compile(r"^__(?=\S)(.+?)(?<=\S)__$")
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)\\]\u00bb]*$")

SHORT_LINE = 80  # a line shorter than this is title-like: the line after it starts a new paragraph
_WRAP_MIN_WIDTH = 60  # blocks whose longest line is at least this wide may be hard-wrapped
_WRAP_RATIO = 0.7  # in such a block, a line this close to the longest one is a wrapped line
# A repeated paragraph shorter than this is a label, byline or separator ("Position: QB", "***") that
# belongs to each item it follows, so it is kept; longer repeats (copied paragraphs) are dropped.
MIN_REPEAT_CHARS = 40


@dataclass(frozen=True)
class Cleaned:
    article: Article  # same id and metadata; text = "\n\n".join(paragraphs)
    paragraphs: tuple[tuple[int, int], ...]  # (start, end) of each paragraph in article.text
    repeated_paragraphs: int  # dropped because the title or an earlier paragraph said the same


def clean(article: Article) -> Cleaned:
    """Clean ``article``; an article with nothing left keeps empty text (the caller decides)."""
    title = " ".join(_lines(article.title))
    paragraphs = [p for block in _blocks(_lines(article.text)) for p in _split_block(block)]
    kept, repeated = _drop_repeats(paragraphs, title)
    text, spans = _join(kept)
    return Cleaned(replace(article, text=text, title=title), spans, repeated)


def _fix_unicode(text: str) -> str:
    """Mojibake repaired (only when there is a sign of it), NFC, one kind of line break, no controls."""
    if not text.isascii():
        if _MOJIBAKE_HINT.search(text):
            text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
        elif not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))


def _lines(text: str) -> list[str]:
    """Fixed, whitespace-collapsed lines without markdown markers; blank lines are ''."""
    text = _SPACES.sub(" ", _fix_unicode(text))
    return [_strip_markdown(line.strip()) for line in text.split("\n")]


def _strip_markdown(line: str) -> str:
    if not line or (line[0] not in "#>_*-=~" and "**" not in line):
        return line
    if _MARKUP_ONLY.match(line):
        return ""
    line = _QUOTE_MARK.sub("", line)
    if m := _HEADING.match(line):
        line = m.group(1) or ""
    if m := _BOLD_LINE.match(line):
        line = m.group(1)
    return _BOLD.sub(r"\1", line).strip()


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _split_block(lines: list[str]) -> list[str]:
    """Paragraphs of one block: a line ending a sentence or title-like ends one, others are wrapped."""
    width = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current = [lines[0]]
    for prev, line in pairwise(lines):
        if _ends_paragraph(prev, width):
            paragraphs.append(" ".join(current))
            current = [line]
        else:
            current.append(line)
    paragraphs.append(" ".join(current))
    return paragraphs


def _ends_paragraph(line: str, width: int) -> bool:
    if _SENTENCE_END.search(line):
        return True
    wrapped = width >= _WRAP_MIN_WIDTH and len(line) >= _WRAP_RATIO * width
    return len(line) < SHORT_LINE and not wrapped


def _drop_repeats(paragraphs: list[str], title: str) -> tuple[list[str], int]:
    """Drop paragraphs that say the title again, and repeats of earlier ones that are not short labels."""
    title_key = normalize_for_match(title)
    seen: set[str] = set()
    kept: list[str] = []
    repeated = 0
    for paragraph in paragraphs:
        key = normalize_for_match(paragraph)
        if not key:
            continue
        if key == title_key or key in seen:
            repeated += 1
        else:
            kept.append(paragraph)
            if len(key) >= MIN_REPEAT_CHARS:
                seen.add(key)
    return kept, repeated


def _join(paragraphs: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for paragraph in paragraphs:
        spans.append((start, start + len(paragraph)))
        start += len(paragraph) + 2
    return "\n\n".join(paragraphs), tuple(spans)
