"""Sentence splitting for news English, as character spans into the original text.

``split_sentences(text)`` returns ``(start, end)`` spans such that ``text[start:end]`` is one
sentence, stripped of surrounding whitespace. A newline always ends a sentence (articles are
paragraphs joined by blank lines), so no span ever crosses one. Lines without final punctuation
(headlines, bylines, list items) are one sentence each.

Inside a line a sentence ends at ``.``, ``?``, ``!`` or an ellipsis, together with any closing
quotes or brackets that follow it, when whitespace and a plausible sentence start follow. The
rules that decide "plausible" are heuristics tuned for news copy:

* a lowercase next word never starts a sentence (``“Why now?” she asked.``, ``e.g. the``);
* titles (``Mr.``, ``Sen.``, ``Lt. Col.``, ...) and ``vs.``, ``e.g.``, ``i.e.`` never end one;
* ``No. 10``, ``Jan. 6``, ``Vol. 3``: an abbreviation followed by a number never ends one;
* after an initialism (``U.S.``, ``J.P.``), a single initial (``George W.``), an ambiguous
  abbreviation (``Inc.``, ``Jr.``, ``St.``, ``Dr.``, ``Calif.``) or an ellipsis the sentence
  ends only when the next word is a typical sentence opener (``The``, ``He``, ``However``, ...)
  or an opening quote (not after a single initial or ``Dr.``: ``William D. “Hank” Taylor``);
* after ``a.m.``/``p.m.`` it ends before any capitalised word except a time zone, day or month
  (``9 p.m. ET Friday`` goes on, ``5 p.m. Police said`` splits);
* ``?``/``!`` before a closing quote followed by a capitalised attribution (``“Why?” Smith
  asked.``) does not end the sentence.

Known limits: a sentence that ends in an initialism or ambiguous abbreviation and is followed by
a name or other non-opener (``... in the U.S. Biden said``) is not split; a mid-sentence ``!`` in
a brand (``Yahoo! Finance``) is; a period with no space after it
(``end.The``) is one sentence.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_CLOSERS = "\"'\u201d\u2019\u00bb)]}"
_CLOSE_BRACKETS = frozenset(")]}")
_OPEN_QUOTES = frozenset('"\u201c\u2018\u00ab\u201e')
_LEADING_OPENERS = "\"'\u201c\u2018\u00ab\u201e([{"

# Terminal punctuation, then closing quotes/brackets, then whitespace (or the end of the text).
_CANDIDATE = re.compile(r"([.!?\u2026]+)([" + re.escape(_CLOSERS) + r"]*)(?=\s|\Z)")
# What follows a candidate on the same line: spaces (not newlines), then the next token.
_NEXT = re.compile(r"[^\S\n]*(\S*)")
_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"[\w\u2019'-]+")
# Letters separated by periods, each group one or two letters: U.S, U.N, J.P, a.m, Ph.D, N.Y.
_INITIALISM = re.compile(r"[A-Za-z]{1,2}(?:\.[A-Za-z]{1,2})+")
_HOUSE_NUMBER = re.compile(r"\d+[A-Za-z]?")
_DIRECTIONS = frozenset(["N", "S", "E", "W", "NE", "NW", "SE", "SW"])
_ZONE_TIME = re.compile(r"[A-Z][\w.-]*[^\S\n]+time\b")
_LIST_NUMBER = re.compile(r"\d{1,3}|[ivxIVX]{1,4}")
_ATTRIBUTION = re.compile(
    r"(?:(?:[A-Z]|Mr|Mrs|Ms|Dr|Jr|Sr|St|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|Maj|Adm|Det|Prof|Rev)\.\s+"
    r"|[A-Z][\w\u2019'-]*,?\s+){1,4}"
    r"(?:said|says|asked|asks|told|tells|added|adds|wrote|writes|tweeted|posted|replied|"
    r"explained|continued|recalled|insisted|noted|shouted|yelled|exclaimed|wondered|joked|"
    r"quipped|laughed|cried|answered|responded|countered)\b"
)


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Never end a sentence, whatever follows.
_NEVER = _words(
    """
    Mr Mrs Ms Mx Messrs Mmes Mme Mlle Prof Profs Rev Revs Sen Sens Rep Reps Gov Govs Gen Gens
    Lt Col Capt Sgt Adm Cmdr Cmdt Maj Cpl Pvt Spc Brig Hon Pres Supt Insp Det Amb Atty Msgr
    Fr Mt Ft Sec Asst Assoc Sra Sta Sto Ste Pte Ald
    vs v e.g i.e E.g I.e cf viz ca approx Approx incl excl esp
    """
)
# Do not end a sentence when a number follows (No. 10, Jan. 6, Vol. 3, pp. 12).
_BEFORE_NUMBER = _words(
    """
    No Nos no nos Vol Vols vol Art Fig Figs fig Ch ch Para Pt Op Ex Nr p pp Prop Rt Rte
    Hwy Pct Avg Max Min Est est Apt Rm Bldg
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """
)
# Ambiguous: end a sentence only before a typical sentence opener.
_AMBIGUOUS = _words(
    """
    Inc Corp Co Cos Ltd Bros Plc Jr Sr St Sts Dr Drs Ave Blvd Rd Hwy Ct Pl Sq Ln Pkwy Ter
    Dept Univ Assn Intl Natl Avg Pct Max Min Est est Prop Apt Rm Bldg
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss Mo
    Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo
    a.m p.m A.M P.M
    """
)
_CLOCK = frozenset(["a.m", "p.m", "A.M", "P.M"])
# Capitalised words that go on a sentence after "a.m."/"p.m.": time zones, days, months.
_TIME_WORDS = _words(
    """
    ET EDT EST CT CDT CST MT MDT MST PT PDT PST AKDT AKST HST GMT BST UTC CET CEST EET EEST WET
    IST JST KST AEST AEDT AWST NZST NZDT Eastern Central Mountain Pacific Atlantic Hawaii
    Alaska Greenwich Local Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue
    Tues Wed Thu Thur Thurs Fri Sat Sun January February March April May June July August
    September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """
)
# Words that typically start a sentence (checked after an initialism or ambiguous abbreviation).
_OPENERS = _words(
    """
    The A An He She It They We I You But And Or So Yet Nor This That These Those In On At For
    From By With As To Of If His Her Its Their Our My Your There Here When While After Before
    However Meanwhile Last Next It's That's There's Here's He's She's They're We're I'm I've
    I'd We've You're What's Who's What Why How Who Whom Whose Where Which Some Many Most Both
    Each Every Other Another One Two Three Four Five Six Seven Eight Nine Ten Such Still Also
    Now Then Since Although Though Despite According During Under Over Among Earlier Later
    Today Tonight Yesterday Tomorrow All Any Few Several Much More Less Even Instead Only Just
    Already Nearly Almost About Around Until Unless Once Because Unlike Like Following Asked
    Overall Further Furthermore Moreover Indeed Thus Therefore Nevertheless Nonetheless
    Separately Additionally Similarly Otherwise Finally First Second Third Eventually Currently
    Previously Recently Initially Ultimately Today's Yes Not Never Nothing Everyone Everything
    Nobody Someone Something Let Please Do Does Did Is Are Was Were Has Have Had Can Could
    Should Would Must Might Whether Perhaps Maybe Sometimes Often Soon Within Without Through
    Throughout Against Between Beyond Toward Towards Upon Amid Amidst Along Across Above Below
    Behind Beside Besides Near Outside Inside
    """
)


def _is_opener(token: str, quotes: bool = True) -> bool:
    """Whether `token` (the next whitespace-delimited token) looks like the start of a sentence."""
    if token[0] in _OPEN_QUOTES:
        return quotes
    word = _WORD.match(token)
    return word is not None and word.group().replace("\u2019", "'") in _OPENERS


def _previous_token(text: str, pos: int) -> tuple[str, int]:
    """The non-space run ending at `pos`, and where it starts."""
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:pos], start


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    terminal, closing = match.group(1), match.group(2)
    following = _NEXT.match(text, match.end())
    assert following is not None  # the pattern can match the empty string
    token = following.group(1)
    if not token:  # end of the line (or text): the line end closes the sentence anyway
        return False
    first = token[0]
    if first.islower():
        return False
    if first in _LEADING_OPENERS:  # `Jr. “willfully exposed”`: a quote that starts lowercase
        inner = token.lstrip(_LEADING_OPENERS)
        if inner and inner[0].islower():
            return False
    if "." not in terminal and "\u2026" not in terminal:  # ? and ! (possibly repeated)
        # `“Why now?” Smith asked.` goes on; `“Because!” Nobody laughed.` does not
        return not (closing and not _is_opener(token) and _ATTRIBUTION.match(text, following.start(1)))
    prev, prev_start = _previous_token(text, match.start())
    if terminal != "." or not prev:  # an ellipsis: "..", "...", "…", or a lone "." (". . .")
        return _is_opener(token)
    if prev[-1] in _CLOSERS or any(c not in _CLOSE_BRACKETS for c in closing):
        return True  # `called it “fake”. The` / `“... in discussions.” Then`
    core = prev.lstrip(_LEADING_OPENERS)
    if not core:
        return True
    if "-" in core:  # "D-Calif." / "R-N.Y.": look at the abbreviation after the hyphen
        core = core.rsplit("-", 1)[1] or core
    if (prev_start == 0 or text[prev_start - 1] == "\n") and _LIST_NUMBER.fullmatch(core):
        return False  # "1. First item" at the start of a line
    if core in _NEVER:
        return False
    if first.isdigit() or first == "#":
        if core in _BEFORE_NUMBER:
            return False
        # "U.S. 45", "Inc. 500", "W. 5th": numbers do not open a sentence after these
        return not (len(core) == 1 or core in _AMBIGUOUS or _INITIALISM.fullmatch(core))
    if (
        core in _DIRECTIONS
        and prev_start > 0
        and text[prev_start - 1] != "\n"
        and _HOUSE_NUMBER.fullmatch(_previous_token(text, prev_start - 1)[0])
    ):
        return False  # an address: 825 N. First St.
    if len(core) == 1 and core.isalpha():  # an initial: George W. Bush, Plan B. The ...
        return _is_opener(token, quotes=False)  # William D. “Hank” Taylor
    if core == "Dr":
        return _is_opener(token, quotes=False)  # Dr. “Ducky” Mallard
    if core in _CLOCK:  # "at 9 p.m. ET Friday" goes on; "at 5 p.m. Police said" does not
        if first == "(" or _ZONE_TIME.match(text, following.start(1)):
            return False  # "at 9 a.m. (ET)", "at 10 a.m. Moscow time"
        word = _WORD.match(token)
        return _is_opener(token) or (word is not None and word.group() not in _TIME_WORDS)
    if core in _AMBIGUOUS or _INITIALISM.fullmatch(core):
        return _is_opener(token)
    return True


def _append_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        start += len(piece) - len(piece.lstrip())
        spans.append((start, start + len(stripped)))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the sentences of `text`, in order, stripped, within lines."""
    cuts = [m.end() for m in _CANDIDATE.finditer(text) if _is_boundary(text, m)]
    spans: list[tuple[int, int]] = []
    n_cuts = len(cuts)
    i = 0
    for line in _LINE.finditer(text):
        line_start, line_end = line.span()
        start = line_start
        while i < n_cuts and cuts[i] < line_end:
            if cuts[i] > start:
                _append_stripped(spans, text, start, cuts[i])
                start = cuts[i]
            i += 1
        _append_stripped(spans, text, start, line_end)
    return spans
