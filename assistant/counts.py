"""What answers "how many X": a count of X that the question does not already give.

A figure ("4,000"), a number word ("three"), or an order of magnitude of the thing counted ("hundreds of
migrants"); not a date, and for things other than money not a sum of money. "How much did they pay",
"What is the price of …" want a sum of money ("$900 million", "900 million dollars"), and "What percentage
…" a percentage ("52%", "52 percent"). Rules, not a model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.dates import DATE
from assistant.question import ASKS_PRICE, NOUN_PHRASE_ENDS
from core.tokenize import tokenize

NUMBER = re.compile(
    r"\d[\d,.]*%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|"
    r"percent)\b",
    re.I,
)
_HOW_MANY_X = re.compile(r"\bhow\s+(?:many|much)\s+((?:[a-z][\w\-]*\s+){0,3}[a-z][\w\-]*)", re.I)
# "How many miles wide": the unit is the noun; the adjective after it says what it measures.
_DIMENSIONS = frozenset("wide long tall high deep old away thick across apart".split())
# Units of measure: "how many miles" is not answered by a figure of something else ("10 feet", "2,000").
_UNITS = frozenset(
    tokenize(
        "miles kilometers kilometres km feet foot meters metres inches yards acres hectares tons tonnes "
        "kilograms kg degrees mph minutes hours days weeks months years decades centuries"
    )
)
# Counts that say only the order of magnitude ("Millions of …", "one of these"): an answer to "how
# many" that gives no more is weaker than one with a figure ("2 million").
_VAGUE_COUNT = frozenset(
    "one dozen dozens hundred hundreds thousand thousands million millions billion billions trillion "
    "trillions half percent".split()
)
# What a sentence gains beyond the bare fit for a figure followed by the thing counted ("187 minutes" for
# "How many minutes …").
UNIT_BONUS = 0.15
# "How many X": a count of things, which a sum of money does not give.
_COUNTS_THINGS = re.compile(r"\bhow\s+many\b", re.I)
_CURRENCY = re.compile(r"[$£€¥]")
_MONEY = frozenset(tokenize("dollars pounds euros money"))
# The asking sentence asks for a sum: "How much did FSG pay …", "How much does it cost", "What is the price".
_ASKS_MONEY = re.compile(
    r"\bhow\s+much\b.*\b(?:costs?|costing|pa(?:y|ys|id|ying)|spen[dt]s?|worth|s(?:ell|ells|old)\s+for|"
    r"priced?|charge[sd]?|fined?|fees?|owed?|earn(?:s|ed)?|salary|wages?|raised?|revenue|income|profits?|budget|"
    r"bid|money|dollars|fund(?:s|ing)?)\b|" + ASKS_PRICE,
    re.I,
)
_ASKS_PERCENTAGE = re.compile(r"\b(?:what|which)\s+(?:percentage|percent)\b", re.I)
# How a sum of money or a percentage is written after its figure ("900 million dollars", "52 percent").
_SCALE = r"(?:\s+(?:thousand|million|billion|trillion))?"
_MONEY_AFTER = re.compile(rf"^{_SCALE}\s+(?:dollars|pounds|euros|cents|yen|yuan|rupees|francs|pesos)\b", re.I)
_PERCENT_AFTER = re.compile(r"^(?:%|\s*(?:percent|per\s+cent|percentage\s+points?)\b)", re.I)


@lru_cache(maxsize=1024)
def measure(question_text: str) -> str:
    """What the asking sentence's figure must be: "a sum of money", "a percentage", or "a number"."""
    asking = question_text.rstrip().rsplit(". ", 1)[-1]
    if _ASKS_PERCENTAGE.search(asking):
        return "a percentage"
    if _ASKS_MONEY.search(asking):
        return "a sum of money"
    return "a number"


def _measures(text: str, start: int, end: int, wanted: str) -> bool:
    """Whether the figure at ``text[start:end]`` is written as ``wanted`` (:func:`measure`)."""
    if wanted == "a sum of money":
        return bool(_CURRENCY.search(text[max(0, start - 2) : start]) or _MONEY_AFTER.match(text[end:]))
    if wanted == "a percentage":
        return text[start:end].endswith("%") or bool(_PERCENT_AFTER.match(text[end:]))
    return True


@lru_cache(maxsize=1024)
def unit(text: str) -> frozenset[str]:
    """The stem of the noun "how many X" counts ("minute"; "swing" in "how many baby swings and …")."""
    asking = text.rstrip().rsplit(". ", 1)[-1]
    match = _HOW_MANY_X.search(asking)
    if not match:
        return frozenset()
    words = []
    for word in match.group(1).lower().split():
        # The verb after the noun ends it, regular past forms included ("how many migrants crossed").
        if word in NOUN_PHRASE_ENDS or word in {"and", "or"} or (word.endswith("ed") and len(word) > 4):
            break
        words.append(word)
    while len(words) > 1 and words[-1] in _DIMENSIONS:
        words.pop()
    return frozenset(tokenize(words[-1])) if words else frozenset()


@lru_cache(maxsize=8192)
def adds_count(question_text: str, text: str) -> bool:
    """A figure the question does not hold ("4,000"), a number word ("three"), or an order of magnitude
    that counts what is asked ("hundreds of migrants" for "How many migrants …"): "hundreds of gang
    members" does not say how many migrants. Dates ("Oct. 26", "2023") are not counts, nor, for "how
    many X" of things other than money, sums of money ("$20,000" does not say how many robots)."""
    asked = frozenset(tokenize(question_text))
    counted = unit(question_text)
    undated = DATE.sub(" ", text)
    wanted = measure(question_text)
    if wanted != "a number":
        return any(
            re.search(r"\d", m.group(0))
            and m.group(0).strip(".,%") not in question_text
            and _measures(undated, m.start(), m.end(), wanted)
            for m in NUMBER.finditer(undated)
        )
    counts_things = (
        bool(counted) and _COUNTS_THINGS.search(question_text) is not None and not counted & _MONEY
    )
    measured = counted & _UNITS
    for match in NUMBER.finditer(undated):
        piece = match.group(0)
        if measured and not measured & set(_following(undated, match.end())):
            continue  # "10 feet" does not say how many miles
        if re.search(r"\d", piece):
            if counts_things and _measures(undated, match.start(), match.end(), "a sum of money"):
                continue
            if piece.strip(".,%") not in question_text:
                return True
            continue
        if not set(tokenize(piece)) - asked:
            continue
        if piece.lower() not in _VAGUE_COUNT or not counted:
            return True
        if counted & set(tokenize(" ".join(undated[match.end() :].split()[:4]))):
            return True
    return False


def _following(text: str, end: int) -> list[str]:
    """The stems of the three words after a figure ending at ``end`` ("miles" in "75 miles wide")."""
    return tokenize(" ".join(text[end:].split()[:3]))


@lru_cache(maxsize=8192)
def count_strength(question_text: str, text: str, gain: float) -> float:
    """For "how many X": :data:`UNIT_BONUS` when ``text`` gives a figure followed by X, -``gain`` when it
    gives only orders of magnitude ("Millions of …"), else 0."""
    counted = unit(question_text)
    undated = DATE.sub(" ", text)
    figures = vague = 0
    for match in NUMBER.finditer(undated):
        piece = match.group(0)
        if not re.search(r"\d", piece):
            vague += piece.lower() in _VAGUE_COUNT
            figures += piece.lower() not in _VAGUE_COUNT
            continue
        if piece.strip(".,%") in question_text:
            continue
        figures += 1
        following = _following(undated, match.end())
        if counted and counted & set(following):
            return UNIT_BONUS
    return -gain if vague and not figures else 0.0
