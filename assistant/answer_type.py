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

from assistant.counts import adds_count, count_strength
from assistant.dates import DATE, YEAR
from assistant.places import ANY_PLACE, DATELINE, place_kind, places_in
from assistant.question import NOUN_PHRASE_ENDS, Question
from assistant.works import titles_in, work_kind
from core.tokenize import tokenize

# A capitalised word, or a run of them (with initials, "of"/"de" inside): a name in news copy.
_NAME = re.compile(
    r"(?:[A-Z][\w’'&.\-]*|\d+(?:st|nd|rd|th)?)(?:\s+(?:(?:of|de|la|the|and|for)\s+)?(?:[A-Z][\w’'&.\-]*))*"
)
_QUOTED = re.compile(r"[“\"‘]([^”\"’]{2,60})[”\"’]")
# Capitalised words that are not names of what is asked about.
_NOT_NAMES = frozenset(
    (
        "the a an and but or so if as at in on of for to by with from after before while when where who what "
        "which this that these those it its he she they his her their we our you i there here then however "
        "also more most some many mr mrs ms dr sen rep gov st ap cnn usa today monday tuesday wednesday "
        "thursday friday saturday sunday january february march april may june july august september october "
        "november december jan feb mar apr jun jul aug sep sept oct nov dec former acting interim late"
    ).split()
)
_ANAPHOR = re.compile(
    r"^[“\"(]?\s*(?:It|He|She|They|Its|His|Her|Their|This|That|These|Those|"
    r"The\s+(?:[a-z][\w\-]*\s+){0,2}[a-z][\w\-]*(?=[\s,]))\b"
)
# A name where something is: "in Mexico City", "at a Buffalo supermarket" (a bare "where" asks for one).
_LOCATED = re.compile(
    r"\b(?:in|at|near|outside|across|throughout|from|into)\s+(?:the\s+|an?\s+)?"
    r"([A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*)"
)
# "in Chinese history", "across European markets": a nationality, not a place.
_NATIONALITY = re.compile(r"(?:ese|ian|ean|ish|can)$")
# Words that say where someone or something is from: alone ("the British royal family") they name no one,
# so they do not answer "who" or "which X" ("British Airways" is a name, "British" is not); they may hint at
# where (:func:`fit`).
_DEMONYMS = frozenset(
    (
        "american british english scottish welsh irish french german italian spanish portuguese dutch belgian "
        "swiss austrian swedish norwegian danish finnish icelandic polish czech slovak hungarian romanian "
        "bulgarian greek turkish russian ukrainian belarusian georgian armenian serbian croatian bosnian "
        "albanian chinese japanese korean taiwanese vietnamese thai filipino indonesian malaysian indian "
        "pakistani afghan bangladeshi nepalese iranian iraqi syrian lebanese israeli palestinian "
        "jordanian saudi emirati qatari yemeni egyptian libyan tunisian algerian moroccan nigerian ghanaian "
        "kenyan ethiopian somali sudanese ugandan rwandan congolese tanzanian zimbabwean canadian mexican "
        "cuban haitian jamaican brazilian argentine argentinian chilean colombian peruvian venezuelan "
        "australian european african asian arab"
    ).split()
)
# "In what year …", "Which year …" in the asking sentence.
_ASKS_YEAR = re.compile(r"\b(?:what|which)\s+year\b", re.I)
# "Which kind of animal …": the kind asked for is the word after "kind of".
_WH_X = re.compile(
    r"\b(?:which|what)\s+(?:(?:kind|type|sort|variety)\s+of\s+)?((?:[a-z][\w\-]*\s+){0,3}[a-z][\w\-]*)", re.I
)
# What a sentence gains beyond :func:`full_fit` for a name of the kind asked ("California" for "Which
# state …", a quoted title for "Which movie …"), as :data:`assistant.counts.UNIT_BONUS` for a figure of the
# thing counted.
KIND_BONUS = 0.1


@dataclass(frozen=True)
class Want:
    """What the answer must add: ``kind`` is "name", "place" (a bare "where"), "date", "number" or ""
    (nothing strict), and the words of "which X" ("wildly", "popular", "show" in "Which wildly popular
    show …"; the last is the noun)."""

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
    if kind == "where" and not category:
        return Want("place")
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
        if word in NOUN_PHRASE_ENDS or (word.endswith("ed") and len(word) > 4):
            break
        words.append(word)
    return tuple(w for w in words if tokenize(w))


def describing_terms(question: Question) -> frozenset[str]:
    """Stems of the words of "which X" ("mlb", "team" in "Which MLB team …"): they describe the answer,
    which need not repeat them ("the Atlanta Braves")."""
    return frozenset(t for word in _category(question.text) for t in tokenize(word))


@lru_cache(maxsize=4096)
def _names(text: str) -> tuple[str, ...]:
    """The names in ``text``: capitalised runs not opening the sentence, and quoted titles."""
    text = DATELINE.sub("", text)
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
    """Stems of the names and numbers a question gives ("Brazil", "2027", "Lagos", "7-0"): words an answer's
    passage cannot say another way, unlike "redesigned" or "reconsider"."""
    from core.sentences import split_sentences

    # Each sentence's first word is capitalised anyway ("… this week. Approximately how many …?").
    names = [name for a, b in split_sentences(text) for name in _names(text[a:b])]
    # Not a number that measures the word it is joined to ("15-week ban", "3-year-old"): it describes.
    numbers = [m.group(0) for m in re.finditer(r"\b\d[\d,.]*\b(?!-[A-Za-z])", text)]
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
        return adds_count(question_text, text)
    if kind == "date" and _ASKS_YEAR.search(question_text.rstrip().rsplit(". ", 1)[-1]):
        pieces = YEAR.findall(text)  # "In what year …": a weekday or a month is no answer
    elif kind == "date":
        pieces = [m.group(0) for m in DATE.finditer(text)]
    elif kind == "place":
        pieces = [*places_in(text, ANY_PLACE), *_located(text)]
    elif kind == "name":
        pieces = [name for name in _names(text) if _possessive(name).casefold() not in _DEMONYMS]
    else:  # "mention": any name, a nationality included
        pieces = list(_names(text))
    return any((stems := set(tokenize(piece))) and not stems <= asked for piece in pieces)


def _located(text: str) -> list[str]:
    """The names after "in", "at", "from" …, without months, weekdays ("in January") and nationalities."""
    found = []
    for match in _LOCATED.finditer(text):
        words = match.group(1).split()
        if words[0].casefold() in _NOT_NAMES or (len(words) == 1 and _NATIONALITY.search(words[0])):
            continue
        found.append(match.group(1))
    return found


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
    definite = (
        rf"\b(?:the|this|that|these|those|every|each|its|their|his|her)\s+(?:[\w’'\-]+\s+){{0,4}}"
        rf"{re.escape(head)}\w*"
    )
    if len(category) < 2:
        return re.compile(definite, re.I)
    # "a brand new character" for "Which new character …": an indefinite mention echoes the question only
    # when it repeats the whole description; "a future product" may be said of the answer itself.
    described = r"\s+(?:[\w’'\-]+\s+){0,2}".join(re.escape(word) for word in category)
    indefinite = rf"\ban?\s+(?:[\w’'\-]+\s+){{0,2}}{described}\w*"
    return re.compile(f"{definite}|{indefinite}", re.I)


def gives(question: Question, text: str, wanted: Want | None = None) -> bool:
    """Whether the sentence adds a new piece of the wanted kind outside the words that call the thing
    asked about by its kind ("South Korean" in "the wildly popular South Korean show" does not count) and
    the names built on that kind ("Food and Drug Administration" for "which drug")."""
    wanted = wanted or want(question)
    if wanted.kind == "name" and place_kind(wanted.category) is not None:
        # "Which state", "which university": only a name of that kind answers (:mod:`assistant.places`).
        return bool(names_kind_asked(question, text, wanted))
    rest = text
    for pattern in (_named_for_kind(wanted.category), _kind_pattern(wanted.category)):
        rest = pattern.sub(" ", rest) if pattern is not None else rest
    return adds(question, rest, wanted)


@lru_cache(maxsize=256)
def _named_for_kind(category: tuple[str, ...]) -> re.Pattern[str] | None:
    """Names with the kind asked about inside, not last: "Food and Drug Administration" is no drug but is
    named for them; "University of Texas" is a university ("of" does not join a name here)."""
    head = category[-1] if category else ""
    if len(head) < 3:
        return None
    word = r"[A-Z][\w’'\-]*"
    joins = r"(?:(?:and|for|the|&)\s+)*"
    kind = rf"{re.escape(head[0].upper())}{re.escape(head[1:])}s?"
    return re.compile(rf"\b(?:{word}\s+{joins})*{kind}\s+{joins}{word}(?:\s+{word})*")


# The score a sentence gains for giving the wanted piece (and loses for lacking it), by question kind.
_FIT = {"date": 0.15, "number": 0.15, "place": 0.1, "who": 0.1, "where": 0.1, "what": 0.05}


def full_fit(question: Question) -> float:
    """What a sentence that gives the wanted piece gains (:func:`fit`)."""
    wanted = want(question)
    return _FIT.get(wanted.kind if wanted.kind != "name" else question.kind, 0.0) if wanted.kind else 0.0


def fit(question: Question, text: str) -> float:
    """How a sentence's score changes for what it adds: a new date or number (when, how many) ±0.15; a
    new name for who ±0.1, a place for "where" +0.1 (another name 0, none -0.1); for "which X" +0.05 for
    a new name, -0.1 for calling X only by its kind (the answer to "which X" may be a common noun, so a
    missing name alone costs nothing). The strength of the match moves it further (:func:`strength`)."""
    wanted = want(question)
    if not wanted.kind:
        return 0.0
    gain = full_fit(question)
    if gives(question, text, wanted):
        return gain + strength(question, text, wanted)
    if question.kind == "what":
        return -0.1 if names_by_kind(question, text, wanted) else 0.0
    if wanted.kind == "place" and _adds(question.text, text, "mention"):
        # A new name that may be a place no list or preposition shows ("Shanghai police …", "Chinese
        # citizens").
        return 0.0
    return -gain


def lacks(question: Question, text: str, wanted: Want | None = None) -> bool:
    """The sentence does not give what the question asks for: no new piece of the wanted kind (who,
    where, when, how many, a place or institution of the kind asked), or for "which X" X called only by
    its kind."""
    wanted = wanted or want(question)
    if not wanted.kind or gives(question, text, wanted):
        return False
    required = place_kind(wanted.category) is not None
    return question.kind != "what" or required or names_by_kind(question, text, wanted)


def echoes(question: Question, text: str, wanted: Want | None = None) -> bool:
    """The sentence matches the question without answering it on its own: it lacks the wanted piece
    or opens by referring back."""
    return lacks(question, text, wanted) or refers_back(text)


def strength(question: Question, text: str, wanted: Want | None = None) -> float:
    """How much better than a bare piece of the wanted kind ``text``'s piece fits (a sentence that gives
    one): for "how many X", a figure followed by X +:data:`assistant.counts.UNIT_BONUS`, only orders of magnitude
    ("Millions of …") cancel the gain; for "which country/state/movie", a name of that kind the question
    does not give +:data:`KIND_BONUS`."""
    wanted = wanted or want(question)
    if wanted.kind == "number":
        return count_strength(question.text, text, full_fit(question))
    return KIND_BONUS if names_kind_asked(question, text, wanted) else 0.0


def checked_kind(wanted: Want) -> str | None:
    """The kind "which X" asks for when a name of it can be told in text: a place ("state", "country",
    :mod:`assistant.places`: required) or a work ("movie", "song", :mod:`assistant.works`: preferred);
    None otherwise."""
    if wanted.kind != "name":
        return None
    return place_kind(wanted.category) or work_kind(wanted.category)


def names_kind_asked(question: Question, text: str, wanted: Want | None = None) -> bool | None:
    """For "which country/state/movie …": whether ``text`` names one the question does not (None when the
    question asks for no such kind)."""
    wanted = wanted or want(question)
    kind = checked_kind(wanted)
    if kind is None:
        return None
    names = places_in(text, kind) if place_kind(wanted.category) else titles_in(text)
    asked = _question_stems(question.text)
    return any(not set(tokenize(name)) <= asked for name in names)
