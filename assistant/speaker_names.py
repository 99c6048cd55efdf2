"""Which quoted speaker a name means: "Mervyn King", "King" (the most quoted King) and "Olivier
Nduhungirehe" for "Olivier J.P. Nduhungirehe" — never another person who shares the surname; the person
a role names ("the chancellor"); the quoted names close to one never quoted; and the list of speakers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from core.tokenize import tokenize
from ingest.quote_names import speaker_key

MAX_CLOSE = 5
# Words a name shares with others without saying anything about who it is ("Secretary of State …").
_NAME_GLUE = frozenset({"of", "de", "da", "van", "von", "bin", "al", "del", "du", "la", "le", "the", "and"})

_KNOWN: dict[int, tuple[Any, list[dict[str, Any]]]] = {}


def known_speakers(store: Any) -> list[dict[str, Any]]:
    """``store.speakers()``, read again only when the quotes or the indexed copies changed."""
    version = store.quotes_version()
    cached = _KNOWN.get(id(store))
    if cached is None or cached[0] != version:
        cached = (version, store.speakers())
        _KNOWN[id(store)] = cached
    return cached[1]


def match_speaker(name: str, speakers: Sequence[dict[str, Any]]) -> list[str]:
    """Keys of the quoted speaker ``name`` means: one person, matched by the name's form, never another
    person who shares the surname. Keys that end in the person's full name are the same person with the
    words a role left before it ("of state antony blinken" for "Secretary of State Antony Blinken")."""
    key = speaker_key(name)
    if not key:
        return []
    by_key = {s["key"]: s for s in speakers if s["key"]}
    words = key.split()
    if len(words) >= 2:
        if key in by_key:
            person = [key]
        else:  # "Olivier Nduhungirehe" for "olivier j p nduhungirehe"
            person = [k for k in by_key if k.split()[0] == words[0] and k.split()[-1] == words[-1]]
            if len(person) != 1:
                person = []
        person += _prefixed(key, by_key, person)
        if not person:
            return []
        surname = words[-1]
    else:
        surname = words[0]
        named = [k for k in by_key if len(k.split()) >= 2 and k.split()[-1] == surname]
        if not named:
            return [key] if key in by_key else []
        best = max(named, key=lambda k: by_key[k]["quotes"])  # the most quoted person of that name
        full = " ".join(best.split()[-2:])
        person = [best] + [k for k in named if k != best and (k == full or k.endswith(" " + full))]
    # The surname alone (an article that never gives the full name) is this person only if no other
    # quoted person has that surname.
    others = {k for k in by_key if len(k.split()) >= 2 and k.split()[-1] == surname} - set(person)
    if surname in by_key and not others and surname not in person:
        person.append(surname)
    return person


def _prefixed(full: str, by_key: dict[str, Any], found: Sequence[str]) -> list[str]:
    """Keys that are ``full`` after other words, most quoted first."""
    longer = [k for k in by_key if k not in found and k.endswith(" " + full)]
    return sorted(longer, key=lambda k: -by_key[k]["quotes"])


def role_speaker(store: Any, role: str) -> list[str]:
    """The key of the speaker the articles quote in ``role`` ("Rwanda's foreign minister", "the
    chancellor"): of those they give a role holding its words, the one quoted most, when clearly ahead."""
    wanted = set(tokenize(role))
    words = re.findall(r"[a-z]+", role.lower())
    if not wanted or not words:
        return []
    quotes = {s["key"]: s["quotes"] for s in known_speakers(store)}
    holders = {key for key, held, _ in store.speakers_in_role(words[-1]) if wanted <= set(tokenize(held))}
    ranked = sorted(((quotes.get(key, 0), key) for key in holders), reverse=True)[:2]
    if not ranked or (len(ranked) == 2 and ranked[0][0] < 2 * ranked[1][0]):
        return []  # no one, or no one clearly: "the minister" of which ministry?
    return [ranked[0][1]]


def close_names(name: str, speakers: Sequence[dict[str, Any]]) -> list[str]:
    """Quoted names near ``name``: the same surname or first name, or a close spelling."""
    key = speaker_key(name)
    words = set(key.split()) - _NAME_GLUE
    shared = [s for s in speakers if words & set(s["key"].split()) and len(s["key"].split()) >= 2]
    spelled = difflib.get_close_matches(key, [s["key"] for s in speakers], n=MAX_CLOSE, cutoff=0.8)
    by_key = {s["key"]: s for s in speakers}
    found = sorted(shared, key=lambda s: -s["quotes"]) + [by_key[k] for k in spelled]
    return list(dict.fromkeys(s["name"] for s in found))[:MAX_CLOSE]


def list_speakers(store: Any, query: str = "", *, limit: int = 50) -> list[dict[str, Any]]:
    """The speakers the index knows, most quoted first, with quote counts and date ranges; ``query``
    keeps the names that hold it (case-insensitive)."""
    wanted = speaker_key(query) if query.strip() else ""
    found = [s for s in known_speakers(store) if len(s["key"]) > 2 and wanted in s["key"]]
    return found[:limit]
