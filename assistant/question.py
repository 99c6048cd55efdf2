"""What a question asks for: its kind, the speaker it asks about, and its content words.

Rules, not a model: news questions come in a few shapes ("What did X say?", "Who …", "When …",
"How many …", "Why …", "Which …"), and each shape says what a good answer sentence must hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.tokenize import tokenize

# Reporting verbs: how news copy attributes words to a speaker.
SAY_VERBS = (
    "say|says|said|saying|tell|tells|told|add|adds|added|state|states|stated|claim|claims|claimed|"
    "argue|argues|argued|warn|warns|warned|announce|announces|announced|confirm|confirms|confirmed|"
    "emphasize|emphasizes|emphasized|emphasise|emphasised|stress|stresses|stressed|insist|insists|insisted|"
    "note|notes|noted|explain|explains|explained|describe|describes|described|write|writes|wrote|"
    "tweet|tweets|tweeted|respond|responds|responded|reply|replies|replied|deny|denies|denied|"
    "comment|comments|commented|believe|believes|believed|think|thinks|thought|suggest|suggests|suggested|"
    "acknowledge|acknowledges|acknowledged|admit|admits|admitted|predict|predicts|predicted|"
    "mention|mentions|mentioned|recall|recalls|recalled|ask|asks|asked|urge|urges|urged|call|calls|called"
)

_SAY_PATTERNS = (
    re.compile(
        rf"^(?i:and\s+)?(?i:what)\s+(?i:else\s+)?(?i:did|does|do|has|have|had|will|would)\s+(?P<who>.+?)\s+(?:{SAY_VERBS})\b"
    ),
    re.compile(r"\baccording\s+to\s+(?P<who>[^,?.]+)", re.I),
    re.compile(
        rf"^(?i:how)\s+(?i:did|does|do|has|have)\s+(?P<who>.+?)\s+(?:respond|react|reply|{SAY_VERBS})\b"
    ),
    re.compile(
        r"^what\s+(?:is|was|are|were)\s+(?P<who>.+?)(?:'s|’s)\s+(?:position|view|stance|response|reaction|comment|statement)",
        re.I,
    ),
)

# Words that end a noun phrase a question asks about ("which X …", "how many X …"): the verb or the
# preposition that follows it.
NOUN_PHRASE_ENDS = frozenset(
    "is was were are be been has have had did does do will would can could may might should must "
    "of in on at to for from by with that who which about over this these those the a an "
    # Past forms that follow the noun ("Which team won …"); regular ones end in -ed.
    "won made took became got left lost hit set led held sold paid broke said saw went came began ran fell "
    "rose told found gave kept brought bought built sent spent struck wrote chose drew grew threw beat shot "
    "stood fled".split()
)

# "What is the price of …": a sum, as "how much does … cost" (assistant.counts wants money for it).
ASKS_PRICE = r"\bwhat\s+(?:is|was|are|were|will\s+be)\s+the\s+(?:\w+\s+)?(?:price|cost|fine|fee|salary)\b"

_KIND_PATTERNS = (
    (
        "how_many",
        re.compile(
            r"\bhow\s+(?:many|much|long|far|old|big|large|high|often|soon)\b|\bwhat\s+(?:percentage|percent|number|amount|share)\b|"
            + ASKS_PRICE,
            re.I,
        ),
    ),
    (
        "when",
        re.compile(
            r"^(?:and\s+)?when\b|\bwhat\s+(?:year|date|day|month|time)\b|\bwhich\s+(?:year|date|day|month)\b|"
            r"\bwhen\s+(?:did|was|is|will)\b",
            re.I,
        ),
    ),
    (
        "where",
        re.compile(
            r"^(?:and\s+)?where\b|\bwhere\s+(?:did|was|is|are|will)\b|\bin\s+which\s+(?:country|state|city|region)\b|\bwhich\s+(?:country|state|city|region|continent)\b",
            re.I,
        ),
    ),
    (
        "why",
        re.compile(
            r"^(?:and\s+)?why\b|\bwhat\s+(?:caused|prompted|led\s+to)\b|\bfor\s+what\s+reason\b", re.I
        ),
    ),
    (
        "who",
        re.compile(
            r"^(?:and\s+)?who(?:m|se)?\b|\bwhich\s+(?:person|man|woman|official|leader|minister|president|player|star|member|head|team|company|airline|retailer)\b",
            re.I,
        ),
    ),
)

_QUESTION_WORDS = frozenset(
    (
        "what which who whom whose when where why how did does do is are was were will would could should can "
        "else say says said tell told according week this recently recent new news article articles many much "
        # Light verbs and fillers: they rarely carry what a question is about, and synonyms replace them.
        "get got gets getting back make made makes take took takes give gave given gives go went goes come came "
        "put set also just still even really thing things way ever"
    ).split()
)

_ROLE_WORDS = frozenset(
    [
        "minister",
        "president",
        "secretary",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "official",
        "officials",
        "governor",
        "senator",
        "chancellor",
        "ceo",
        "chief",
        "director",
        "department",
        "ministry",
        "king",
        "queen",
        "prince",
        "mayor",
        "leader",
        "chairman",
    ]
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # "say", "who", "when", "where", "how_many", "why" or "what"
    speaker: str | None  # for "say": the person, organisation or role asked about
    terms: tuple[str, ...]  # stemmed content words, without question words and the speaker's
    # The terms of the sentence that asks (quiz questions open with context: "X happened this week. Which …?").
    core: frozenset[str] = frozenset()

    @property
    def speaker_terms(self) -> tuple[str, ...]:
        return tuple(tokenize(self.speaker)) if self.speaker else ()


def _clean_speaker(raw: str) -> str:
    speaker = re.sub(r"^(?:the|a|an)\s+", "", raw.strip(), flags=re.I)
    return speaker.strip(" ,.?!\"'“”")


def analyze(text: str) -> Question:
    """Classify a (self-contained) question and pull out what an answer must match."""
    stripped = " ".join(text.split())
    speaker = None
    kind = "what"
    for pattern in _SAY_PATTERNS:
        match = pattern.search(stripped)
        if match and pattern is _SAY_PATTERNS[1] and _asks_other(stripped):
            continue  # "Which country is bankrupt, according to its government?" asks for the country
        if match:
            speaker = _clean_speaker(match.group("who"))
            kind = "say"
            break
    if kind != "say":
        # A quiz question opens with context: its asking sentence ("… this week. Who holds …?") decides.
        asking = _asking_sentence(stripped)
        for name, pattern in _KIND_PATTERNS:
            if pattern.search(asking) or pattern.search(stripped):
                kind = name
                break
    speaker_tokens = set(tokenize(speaker)) if speaker else set()
    question_stems = set(tokenize(" ".join(_QUESTION_WORDS)))
    terms = tuple(
        dict.fromkeys(t for t in tokenize(stripped) if t not in question_stems and t not in speaker_tokens)
    )
    return Question(text=stripped, kind=kind, speaker=speaker, terms=terms, core=_core_terms(stripped, terms))


def _asks_other(text: str) -> bool:
    """The question asks for something else than what a source said: "which/how many/when/where/who …"."""
    return bool(re.search(r"\b(?:which|who|whom|where|when)\b", text, re.I)) or any(
        pattern.search(text) for _, pattern in _KIND_PATTERNS
    )


_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)


def _asking_sentence(text: str) -> str:
    """The sentence that asks: the last one ending in "?" or holding a wh-word (the text when it is one)."""
    from core.sentences import split_sentences

    sentences = [text[a:b] for a, b in split_sentences(text)]
    if len(sentences) < 2:
        return text
    asking = [s for s in sentences if s.rstrip().endswith("?") or _WH.search(s)] or sentences[-1:]
    return asking[-1].strip()


def _core_terms(text: str, terms: tuple[str, ...]) -> frozenset[str]:
    asking = _asking_sentence(text)
    if asking == text:
        return frozenset(terms)
    return frozenset(t for t in tokenize(asking) if t in terms)


def is_role(speaker: str) -> bool:
    """'Rwanda's foreign minister', 'the State Department': a role or body rather than a name."""
    return any(word in _ROLE_WORDS for word in re.findall(r"[a-z]+", speaker.lower()))
