"""Text normalization for comparing text (never for what is stored or shown)."""

from __future__ import annotations

import hashlib
import unicodedata

# Chained str.replace: many times faster than str.translate with a dict on long texts.
_QUOTES = tuple(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }.items()
)


def normalize_for_match(text: str) -> str:
    """NFKC, casefolded, straight quotes and dashes, single spaces, stripped."""
    text = unicodedata.normalize("NFKC", text)
    for fancy, plain in _QUOTES:
        text = text.replace(fancy, plain)
    # split() breaks on exactly what \s matches, several times faster than a regex substitution
    return " ".join(text.casefold().split())


def content_hash(text: str, length: int = 20) -> str:
    """A stable id for a piece of text: equal after normalization means equal id."""
    return hashlib.sha256(normalize_for_match(text).encode("utf-8")).hexdigest()[:length]
