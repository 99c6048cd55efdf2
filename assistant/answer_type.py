"""What an answer must add to its question, and whether a sentence adds it or only echoes the question.

A wh-question lacks one piece: who → a person or organisation, when → a date, how many/much → a number,
where → a place, "which X" → a name of that kind. A sentence answers only when it holds such a piece that
the question does not already give. A sentence that repeats the question's words but refers to the thing
asked about by its kind ("the wildly popular South Korean show"), or opens with a pronoun or a definite
description ("It", "The show"), echoes the question: the piece is usually in the sentence next to it.
Rules, not a model; milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.places import place_kind, places_in
from assistant.question import Question
from core.tokenize import tokenize

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTHS}|{_MONTHS}\s+\d{{4}}|(?:19|20)\d\d|{_DAYS}|"
    r"yesterday|today|tomorrow|tonight|"
    r"(?:last|next|this)\s+(?:week|month|year|spring|summer|fall|autumn|winter)|"
    rf"{_MONTHS}|\d{{1,2}}(?::\d\d)?\s*[ap]\.?m\.?)\b"
)
NUMBER = re.compile(
    r"\d[\d,.]*%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|"
    r"percent)\b",
    re.I,
)
# A capitalised word, or a run of them (with initials, "of"/"de" inside): a name in news copy.
_NAME = re.compile(
    r"(?:[A-Z][\w’'&.\-]*|\d+(?:st|nd|rd|th)?)(?:\s+(?:(?:of|de|la|the|and|for)\s+)?(?:[A-Z][\w’'&.\-]*))*"
)
# "Colombo, Sri Lanka (CNN) —", "NEW YORK —": where the story was filed, not what it is about.
_DATELINE = re.compile(r"^(?:[A-Z][\w.’'\-]*[\s,]+){0,4}(?:\(?(?:CNN|AP|Reuters|AFP)\)?\s*)?[—–-]\s+")
_QUOTED = re.compile(r"[“\"‘]([^”\"’]{2,60})[”\"’]")
# Capitalised words that are not names of what is asked about.
_NOT_NAMES = frozenset(
    (
        "the a an and but or so if as at in on of for to by with from after before while when where who what "
        "which this that these those it its he she they his her their we our you i there here then however "
        "also more most some many mr mrs ms dr sen rep gov st ap cnn usa today monday tuesday wednesday "
        "thursday friday saturday sunday january february march april may june july august september october "
        "november december jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)
_ANAPHOR = re.compile(
    r"^[“\"(]?\s*(?:It|He|She|They|Its|His|Her|Their|This|That|These|Those|"
    r"The\s+(?:[a-z][\w\-]*\s+){0,2}[a-z][\w\-]*(?=[\s,]))\b"
)
# Words that end the "X" of "which X ...": the verb or the preposition that follows it.
_X_STOP = frozenset(
    "is was were are be been has have had did does do will would can could may might should must "
    "of in on at to for from by with that who which about over this these those the a an "
    # Past forms that follow the noun ("Which team won …"); regular ones end in -ed.
    "won made took became got left lost hit set led held sold paid broke said saw went came began ran fell "
    "rose told found gave kept brought bought built sent spent struck wrote chose drew grew threw beat shot "
    "stood fled".split()
)
_WH_X = re.compile(r"\b(?:which|what)\s+((?:[a-z][\w\-]*\s+){0,3}[a-z][\w\-]*)", re.I)
_HOW_MANY_X = re.compile(r"\bhow\s+(?:many|much)\s+((?:[a-z][\w\-]*\s+){0,3}[a-z][\w\-]*)", re.I)
# Counts that say only the order of magnitude ("Millions of …", "one of these"): an answer to "how
# many" that gives no more is weaker than one with a figure ("2 million").
_VAGUE_COUNT = frozenset(
    "one dozen dozens hundred hundreds thousand thousands million millions billion billions trillion "
    "trillions half percent".split()
)
# What a sentence gains beyond :func:`full_fit` for the strongest kind of piece: a figure followed by the
# thing counted ("187 minutes" for "How many minutes …"), a place of the kind asked ("California" for
# "Which state …").
UNIT_BONUS = 0.15
# "How many X": a count of things, which a sum of money does not give.
_COUNTS_THINGS = re.compile(r"\bhow\s+many\b", re.I)
_CURRENCY = re.compile(r"[$£€¥]")
_MONEY = frozenset(tokenize("dollars pounds euros money"))
PLACE_BONUS = 0.1


@dataclass(frozen=True)
class Want:
    """What the answer must add: ``kind`` is "name", "date", "number" or "" (nothing strict), and the
    words of "which X" ("wildly", "popular", "show" in "Which wildly popular show …"; the last is the noun)."""

    kind: str
    category: tuple[str, ...] = ()


def want(question: Question) -> Want:
    return _want(question.text, question.kind)


@lru_cache(maxsize=1024)
def _want(text: str, kind: str) -> Want:
    category = _category(text)
    if kind == "when":
        return Want("date", category)
    if kind == "how_many":
        return Want("number", category)
    if kind in {"who", "where"}:
        return Want("name", category)
    if kind == "what" and category:
        return Want("name", category)
    return Want("")


def _category(text: str) -> tuple[str, ...]:
    """The words of "which X"/"what X" in the asking sentence, e.g. ("wildly", "popular", "show")."""
    asking = text.rstrip().rsplit(". ", 1)[-1]
    match = _WH_X.search(asking)
    if not match:
        return ()
    words = []
    for word in match.group(1).lower().split():
        if word in _X_STOP or (word.endswith("ed") and len(word) > 4):
            break
        words.append(word)
    return tuple(w for w in words if tokenize(w))


@lru_cache(maxsize=1024)
def _unit(text: str) -> frozenset[str]:
    """The stem of the noun "how many X" counts ("minute"; "swing" in "how many baby swings and …")."""
    asking = text.rstrip().rsplit(". ", 1)[-1]
    match = _HOW_MANY_X.search(asking)
    if not match:
        return frozenset()
    words = []
    for word in match.group(1).lower().split():
        if word in _X_STOP or word in {"and", "or"}:
            break
        words.append(word)
    return frozenset(tokenize(words[-1])) if words else frozenset()


@lru_cache(maxsize=4096)
def _names(text: str) -> tuple[str, ...]:
    """The names in ``text``: capitalised runs not opening the sentence, and quoted titles."""
    text = _DATELINE.sub("", text)
    found = [m.group(1) for m in _QUOTED.finditer(text)]
    opener = re.match(r"^[“\"(]?\s*[A-Z][\w’'\-]*", text)
    for match in _NAME.finditer(text):
        name = match.group(0)
        if opener and match.start() <= opener.start() and match.end() == opener.end():
            continue  # the sentence's first word alone is capitalised anyway
        words = [w for w in _possessive(name).split() if w.casefold() not in _NOT_NAMES]
        if words and not name.isdigit():
            found.append(" ".join(words))
    return tuple(found)


@lru_cache(maxsize=1024)
def named_terms(text: str) -> frozenset[str]:
    """Stems of the names and numbers a question gives ("Brazil", "2027", "Lagos"): words an answer's
    passage cannot say another way, unlike "redesigned" or "reconsider"."""
    from core.sentences import split_sentences

    # Each sentence's first word is capitalised anyway ("… this week. Approximately how many …?").
    names = [name for a, b in split_sentences(text) for name in _names(text[a:b])]
    numbers = [m.group(0) for m in re.finditer(r"\b\d[\d,.]*\b", text)]
    return frozenset(t for piece in (*names, *numbers) for t in tokenize(piece))


def _possessive(name: str) -> str:
    return re.sub(r"(?:’s|'s|’|')(?=\s|$)", "", " ".join(re.findall(r"[\w’'\-.&]+", name)))


def adds(question: Question, text: str, wanted: Want | None = None) -> bool:
    """Whether ``text`` holds a piece of the wanted kind that the question does not already give."""
    wanted = wanted or want(question)
    return not wanted.kind or _adds(question.text, text, wanted.kind)


@lru_cache(maxsize=8192)
def _adds(question_text: str, text: str, kind: str) -> bool:
    asked = _question_stems(question_text)
    if kind == "number":
        return _adds_count(question_text, text)
    pieces = [m.group(0) for m in DATE.finditer(text)] if kind == "date" else list(_names(text))
    return any((stems := set(tokenize(piece))) and not stems <= asked for piece in pieces)


def _adds_count(question_text: str, text: str) -> bool:
    """A figure the question does not hold ("4,000"), a number word ("three"), or an order of magnitude
    that counts what is asked ("hundreds of migrants" for "How many migrants …"): "hundreds of gang
    members" does not say how many migrants. Dates ("Oct. 26", "2023") are not counts, nor, for "how
    many X" of things other than money, sums of money ("$20,000" does not say how many robots)."""
    asked = _question_stems(question_text)
    unit = _unit(question_text)
    undated = DATE.sub(" ", text)
    counts_things = bool(unit) and _COUNTS_THINGS.search(question_text) is not None and not unit & _MONEY
    for match in NUMBER.finditer(undated):
        piece = match.group(0)
        if re.search(r"\d", piece):
            if counts_things and _CURRENCY.search(undated[max(0, match.start() - 2) : match.start()]):
                continue
            if piece.strip(".,%") not in question_text:
                return True
            continue
        if not set(tokenize(piece)) - asked:
            continue
        if piece.lower() not in _VAGUE_COUNT or not unit:
            return True
        if unit & set(tokenize(" ".join(undated[match.end() :].split()[:4]))):
            return True
    return False


@lru_cache(maxsize=1024)
def _question_stems(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def refers_back(text: str) -> bool:
    """The sentence opens with a pronoun or a definite description ("It", "The show"): it names its
    subject in an earlier sentence."""
    return bool(_ANAPHOR.match(text))


def names_by_kind(question: Question, text: str, wanted: Want | None = None) -> bool:
    """The sentence calls the thing asked about by its kind ("the … show") rather than by its name."""
    wanted = wanted or want(question)
    pattern = _kind_pattern(wanted.category)
    return pattern is not None and bool(pattern.search(text))


@lru_cache(maxsize=256)
def _kind_pattern(category: tuple[str, ...]) -> re.Pattern[str] | None:
    head = category[-1] if category else ""
    if len(head) < 3:
        return None
    return re.compile(
        rf"\b(?:the|this|that|these|those|every|each|its|their|his|her)\s+(?:[\w’'\-]+\s+){{0,4}}"
        rf"{re.escape(head)}\w*",
        re.I,
    )


def gives(question: Question, text: str, wanted: Want | None = None) -> bool:
    """Whether the sentence adds a new piece of the wanted kind outside the words that call the thing
    asked about by its kind ("South Korean" in "the wildly popular South Korean show" does not count)."""
    wanted = wanted or want(question)
    pattern = _kind_pattern(wanted.category)
    rest = pattern.sub(" ", text) if pattern is not None else text
    return adds(question, rest, wanted)


# The score a sentence gains for giving the wanted piece (and loses for lacking it), by question kind.
_FIT = {"date": 0.15, "number": 0.15, "who": 0.1, "where": 0.1, "what": 0.05}


def full_fit(question: Question) -> float:
    """What a sentence that gives the wanted piece gains (:func:`fit`)."""
    wanted = want(question)
    return _FIT.get(wanted.kind if wanted.kind != "name" else question.kind, 0.0) if wanted.kind else 0.0


def fit(question: Question, text: str) -> float:
    """How a sentence's score changes for what it adds: a new date or number (when, how many) ±0.15; a
    new name for who/where ±0.1; for "which X" +0.05 for a new name, -0.1 for calling X only by its kind
    (the answer to "which X" may be a common noun, so a missing name alone costs nothing). The strength
    of the match moves it further (:func:`strength`)."""
    wanted = want(question)
    if not wanted.kind:
        return 0.0
    gain = full_fit(question)
    if gives(question, text, wanted):
        return gain + strength(question, text, wanted)
    if question.kind == "what":
        return -0.1 if names_by_kind(question, text, wanted) else 0.0
    return -gain


def lacks(question: Question, text: str, wanted: Want | None = None) -> bool:
    """The sentence does not give what the question asks for: no new piece of the wanted kind (who,
    where, when, how many), or for "which X" X called only by its kind."""
    wanted = wanted or want(question)
    if not wanted.kind or gives(question, text, wanted):
        return False
    return question.kind != "what" or names_by_kind(question, text, wanted)


def echoes(question: Question, text: str, wanted: Want | None = None) -> bool:
    """The sentence matches the question without answering it on its own: it lacks the wanted piece
    or opens by referring back."""
    return lacks(question, text, wanted) or refers_back(text)


def strength(question: Question, text: str, wanted: Want | None = None) -> float:
    """How much better than a bare piece of the wanted kind ``text``'s piece fits (a sentence that gives
    one): for "how many X", a figure followed by X +:data:`UNIT_BONUS`, only orders of magnitude
    ("Millions of …") cancel the gain; for "which country/state", a country or state the question does not
    name +:data:`PLACE_BONUS`."""
    wanted = wanted or want(question)
    if wanted.kind == "number":
        return _count_strength(question.text, text, full_fit(question))
    return PLACE_BONUS if names_place_of_kind(question, text, wanted) else 0.0


@lru_cache(maxsize=8192)
def _count_strength(question_text: str, text: str, gain: float) -> float:
    unit = _unit(question_text)
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
        following = tokenize(" ".join(undated[match.end() :].split()[:3]))
        if unit and unit & set(following):
            return UNIT_BONUS
    return -gain if vague and not figures else 0.0


def names_place_of_kind(question: Question, text: str, wanted: Want | None = None) -> bool | None:
    """For "which country/state …": whether ``text`` names a country/state the question does not (None
    when the question asks for no such kind)."""
    wanted = wanted or want(question)
    kind = place_kind(wanted.category) if wanted.kind == "name" else None
    if kind is None:
        return None
    asked = _question_stems(question.text)
    return any(not set(tokenize(p)) <= asked for p in places_in(text, kind))


# A year a sentence places its event in ("in 2019", "in May 2021", "in 2020 and 2021").
_EVENT_YEAR = re.compile(
    r"\bin\s+(?:(?:early|late|mid-?)\s*)?(?:[A-Z][a-z]+\.?\s+(?:\d{1,2},\s+)?)?((?:19|20)\d\d)\b"
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def other_year(question: str, sentence: str) -> bool:
    """The question names a year and the sentence places its event only in other years."""
    asked = set(_YEAR.findall(question.rstrip().rsplit(". ", 1)[-1]))
    if not asked:
        return False
    placed = {m.group(1) for m in _EVENT_YEAR.finditer(sentence)}
    return bool(placed) and not placed & asked and not asked & set(_YEAR.findall(sentence))
