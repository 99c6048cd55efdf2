"""The forms of an irregular verb, so a question's "leave" finds the article's "left" (and the verbs of
naming, so "called" finds "named").

The search stemmer joins "leaves"/"leaving" to "leave" but not "left", "won" to "win" or "held" to "hold":
news questions ask in one tense ("Which measure did lawmakers leave out?") and the copy reports in
another ("Also left out is a federal ban …"). A table of the irregular verbs common in news, stemmed as
the index stems them; a stem maps to the stems of every form of its verb.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from core.tokenize import tokenize

# base past participle (a form may repeat: "hold held held").
_IRREGULAR = """
arise arose arisen; bear bore borne; beat beat beaten; become became become;
begin began begun; bend bent bent; bet bet bet; bid bid bid; bind bound bound; bite bit bitten;
bleed bled bled; blow blew blown; break broke broken; bring brought brought; build built built;
burn burnt burnt; buy bought bought; catch caught caught; choose chose chosen; come came come;
cost cost cost; creep crept crept; cut cut cut; deal dealt dealt; dig dug dug; draw drew drawn;
drink drank drunk; drive drove driven; eat ate eaten; fall fell fallen; feed fed fed; feel felt felt;
fight fought fought; find found found; flee fled fled; fly flew flown; forbid forbade forbidden;
forecast forecast forecast; forget forgot forgotten; forgive forgave forgiven; freeze froze frozen;
give gave given; go went gone; grow grew grown; hang hung hung;
hear heard heard; hide hid hidden; hit hit hit; hold held held; hurt hurt hurt; keep kept kept;
know knew known; lead led led; leave left left; lend lent lent; let let let;
lose lost lost; make made made; mean meant meant; meet met met; pay paid paid;
prove proved proven; put put put; quit quit quit; read read read; ride rode ridden; ring rang rung;
rise rose risen; run ran run; say said said; see saw seen; seek sought sought; sell sold sold;
send sent sent; set set set; shake shook shaken; shed shed shed; shoot shot shot; show showed shown;
shrink shrank shrunk; shut shut shut; sing sang sung; sink sank sunk; sit sat sat; sleep slept slept;
slide slid slid; speak spoke spoken; spend spent spent; spin spun spun; split split split;
spread spread spread; stand stood stood; steal stole stolen; stick stuck stuck; sting stung stung;
strike struck struck; swear swore sworn; sweep swept swept; swim swam swum; swing swung swung;
take took taken; teach taught taught; tear tore torn; tell told told; think thought thought;
throw threw thrown; undergo underwent undergone; understand understood understood;
undertake undertook undertaken; uphold upheld upheld; upset upset upset; wake woke woken; wear wore worn;
weep wept wept; win won won; withdraw withdrew withdrawn; withhold withheld withheld; write wrote written
"""


# Verbs of naming stand for one another: "What is the bill called?" is answered by "… named the Inflation
# Reduction Act" ("title" is left out: it is mostly the noun, "won the title").
_NAMING = "call name dub nickname"


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for entry in [*_IRREGULAR.split(";"), _NAMING]:
        stems = {stem for word in entry.split() for stem in tokenize(word)}
        for stem in stems:
            table.setdefault(stem, set()).update(stems)
    return {stem: frozenset(forms) for stem, forms in table.items()}


def verb_forms(stem: str) -> frozenset[str]:
    """The stems of every form of the irregular verb ``stem`` belongs to (``stem`` alone otherwise)."""
    return _table().get(stem, frozenset((stem,)))


def holds_form(stem: str, stems: Collection[str]) -> bool:
    """Whether ``stems`` holds another form of the irregular verb ``stem`` ("left" for "leav")."""
    forms = _table().get(stem)
    return forms is not None and any(form in stems for form in forms)
