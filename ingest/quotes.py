"""Quotes as data: every sentence of a cleaned article in which someone speaks, and who, resolved in the article.

Rules for news copy, no model: a sentence is attributed when a reporting verb outside quotation marks
has a speaker — ``"…," said X`` / ``X said`` / ``X, role, told …`` / ``according to X`` /
``X's spokesman said`` / ``the paper quoted X as saying`` — or when it goes on from an attributed
sentence (still inside its quotation, or a quotation paragraph right after it). "He said", "Mr Brown
said", "the minister added" are resolved within the article to the full name the article gives. A
sentence where X is only mentioned, is the object, or is quoted by someone else is not X's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from core.links import links_elsewhere
from core.sentences import split_sentences
from ingest.quotation_marks import MASK, mask_quotations
from ingest.quote_names import (
    COURTESY,
    KEEP_TITLES,
    NAME,
    ORG_NOUNS,
    ORG_WORDS,
    ROLE_NOUNS,
    TITLES,
    last_name,
    plain,
    speaker_key,
    strip_filler,
    trim,
)

EXTRACTOR_VERSION = "3"  # bump when the rules change: stored quotes are then extracted again

_VERBS = (
    "said|says|say|told|tells|added|adds|warned|warns|insisted|insists|argued|argues|claimed|claims|stated|"
    "explained|explains|noted|notes|stressed|stresses|emphasi[sz]ed|emphasi[sz]es|confirmed|confirms|"
    "announced|announces|admitted|admits|acknowledged|acknowledges|suggested|suggests|predicted|predicts|"
    "urged|urges|urge|denied|denies|deny|warn|claim|argue|insist|replied|replies|responded|responds|commented|comments|revealed|reveals|"
    "wrote|writes|tweeted|praised|praises|critici[sz]ed|critici[sz]es|accused|accuses|dismissed|rejected|"
    "conceded|concedes|maintained|maintains|promised|promises|pledged|pledges|vowed|vows|declared|"
    "recalled|complained|complains|asked|agreed|agrees|believes|estimated|estimates|forecast|forecasts|"
    "described|describes|reiterated|hinted|countered|continued|went on|hit back|called for|calls for|pointed out|points out|repeated"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
# Verbs that may come before their speaker ("…," said X); the others take an object there.
_INVERTIBLE = re.compile(
    "said|says|added|adds|asked|continued|explained|insisted|noted|replied|wrote|writes|argued|stressed|"
    "suggested|commented|acknowledged|admitted|countered|recalled|reiterated|went on|declared|claimed"
)
_PRONOUNS = frozenset({"he", "she"})
_RELATIVE = frozenset({"who", "which", "whom"})
_SPOKES = re.compile(
    rf"spokes(?:man|woman|person)\s+for\s+(?:the\s+)?({NAME.pattern})"
    rf"|({NAME.pattern})(?:’s|'s)\s+(?:spokes|statement\b|written\s+statement\b)"
)
_QUOTED_AS = re.compile(rf"\bquoted\s+({NAME.pattern})\s+as\s+saying")
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+(?:the\s+)?([^,.;\x00]+)")
_STATEMENT = re.compile(
    rf"\b[Ii]n an? (?:written |joint |brief )?statement\b[^,]*,\s*(?:the\s+)?({NAME.pattern})"
)
_PREPOSITION = re.compile(r"\b(?:of|at|from|for|with|in|who|which|whose)\b")


@dataclass(frozen=True)
class Quote:
    """One sentence in which someone speaks."""

    start: int  # offsets of the sentence in the cleaned article text
    end: int
    speaker: str  # as the article writes it there ("he", "Mr King", "the chancellor")
    canonical: str  # the name the article gives that speaker in full ("Paul King")
    key: str  # canonical, folded for lookups (speaker_key)
    verb: str  # the reporting verb ("said"); "" for a continuation
    kind: str  # "direct" (holds a quotation) or "reported"
    role: str = ""  # what the article calls the speaker ("principal security consultant at Cisco")


def extract_quotes(text: str) -> list[Quote]:
    """Every attributed sentence of ``text`` (a cleaned article), in reading order."""
    return _Reader(text).read()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.full_names: list[tuple[int, str]] = []  # (offset, name) of every name of two words or more
        self.roles: list[tuple[str, str]] = []  # (canonical, role) as the article gives them
        self.last: tuple[str, str] | None = None  # the last speaker (canonical, role)
        # A person the copy turned to since ("Wilkinson, who has scored …"): whom a later "he said" means.
        self.topic: tuple[str, str] | None = None
        self.unnamed = False  # the sentence being read has a speaker the article does not name
        self.last_org: str | None = None  # the last organisation quoted: whom "the company said" means

    def read(self) -> list[Quote]:
        spans = split_sentences(self.text)
        masked = mask_quotations(self.text, spans)
        for (a, _), (outside, _open, _starts) in zip(spans, masked, strict=True):
            for match in NAME.finditer(outside):
                name = trim(match.group(0))
                if len(name.split()) >= 2:
                    self.full_names.append((a + match.start(), name))
        quotes: list[Quote] = []
        previous: Quote | None = None
        for index, ((a, b), (outside, open_at_start, opens)) in enumerate(zip(spans, masked, strict=True)):
            sentence = self.text[a:b]
            if links_elsewhere(sentence):  # another story's headline ("More:Biden says …"): no one's quote
                previous = None
                continue
            kind = "direct" if MASK in outside or open_at_start else "reported"
            self.unnamed = False
            found = self._attribute(outside, a)
            if found is not None and speaker_key(found[1]):
                written, canonical, verb, role = found
                quote = Quote(a, b, written, canonical, speaker_key(canonical), verb, kind, role)
                self.last, self.topic = (canonical, role), None
                if len(canonical.split()) == 1 or ORG_WORDS & set(canonical.split()):
                    self.last_org = canonical
            elif (
                not self.unnamed  # '"…," a government minister said': not the speaker before
                and previous is not None
                and previous.end == self._end_of(spans, index - 1)
                and (open_at_start or opens)
            ):
                quote = Quote(
                    a, b, previous.speaker, previous.canonical, previous.key, "", "direct", previous.role
                )
            else:
                quote = None
                if self.unnamed:
                    self.last = self.topic = None  # a later "he said" is that unnamed speaker
                self._turn_to(outside, a)
            if quote is not None and sentence.strip():
                quotes.append(quote)
            previous = quote
        return _carry_back(quotes, spans, masked)

    def _turn_to(self, outside: str, offset: int) -> None:
        """A sentence no one speaks in that opens on a person ("For Richard Tateson, who …")."""
        opening = " ".join(outside.split()[:6])
        for match in NAME.finditer(opening):
            name = trim(match.group(0))
            if name and not name.endswith(("’s", "'s")):
                full = self._full_name(name, offset + match.start())
                if len(full.split()) >= 2 and not ORG_WORDS & set(full.split()):
                    self.topic = (full, "")
                    return

    def _end_of(self, spans: list[tuple[int, int]], index: int) -> int:
        return spans[index][1] if index >= 0 else -1

    # --- who speaks --------------------------------------------------------------------------------
    def _attribute(self, outside: str, offset: int) -> tuple[str, str, str, str] | None:
        quoted = _QUOTED_AS.search(outside)
        if quoted:
            return self._resolve(trim(quoted.group(1)), "", "quoted", offset)
        for verb in _VERB.finditer(outside):
            found = self._inverted(outside, verb) or self._subject(outside, verb)
            if found is not None:
                written, role = found
                resolved = self._resolve(written, role, verb.group(0), offset + verb.start())
                if resolved is not None:
                    return resolved
        according = _ACCORDING.search(outside)
        if according:
            phrase = according.group(1).strip()
            first = NAME.match(phrase)
            if first and trim(first.group(0)):
                return self._resolve(trim(first.group(0)), "", "according to", offset)
        statement = _STATEMENT.search(outside)
        if statement and trim(statement.group(1)):
            return self._resolve(trim(statement.group(1)), "", "statement", offset)
        return None

    def _inverted(self, outside: str, verb: re.Match[str]) -> tuple[str, str] | None:
        """``"…," said X, role`` / ``…, said Mr King.``"""
        before = outside[: verb.start()].rstrip()
        if (before and before[-1] not in {",", MASK, ":"}) or not _INVERTIBLE.fullmatch(verb.group(0)):
            return None  # "told BBC News", "warned ministers": what follows is who was spoken to
        after = outside[verb.end() :]
        # The words after the verb up to the next punctuation, cut at a preposition: "said Ken Mayland at
        # ClearView Economics", "said BIFA founder Elliot Grove." — a name must end them ("said he believed
        # rates …" and "said Mr Brown was wrong" are not this form).
        phrase = re.match(rf"\s+([^,.;:{MASK}]+)", after)
        if phrase is None:
            return None
        head = re.split(r"\s+(?:of|at|from|for|in|with|who|which|whose|during|on|to)\s+", phrase.group(1))[0]
        head = re.sub(r"^the\s+", "", head.strip())
        if head.lower() in _PRONOUNS:
            return head.lower(), ""
        last = last_name(head)
        if last is None:
            return None
        role = re.match(rf",\s*([^,.;{MASK}]+)", after[phrase.end() :])
        described = role is not None and bool(ROLE_NOUNS & set(role.group(1).lower().split()))
        return last[0], role.group(1).strip() if role and described else last[1]

    def _subject(self, outside: str, verb: re.Match[str]) -> tuple[str, str] | None:
        """``X said`` / ``X, role, said`` / ``Role X has recently warned``: the speaker before the verb."""
        clause = re.split(rf"[{MASK}:;]", outside[: verb.start()])[-1]
        reporting = _VERB.search(clause[1:])  # "Asked whether …" opening the clause is no reporting verb
        if reporting and re.search(r"\bthat\b", clause[reporting.end() :]):
            return None  # "X pointed out that … Y announced": Y's verb is inside what X said
        segments = [strip_filler(s.strip()) for s in clause.split(",")]
        hung_on = (
            last_name(segments[-2]) if len(segments) >= 2 and segments[-1].lower() in _RELATIVE else None
        )
        if hung_on is not None and not _PREPOSITION.fullmatch((hung_on[1].split() or [""])[-1]):
            # "… to replace Johnson, who announced …": the name the relative clause hangs on, not the
            # sentence's subject (but "an analyst at Zumper, who notes": Zumper is where the speaker works).
            return hung_on[0], ""
        role = ""
        for depth in range(len(segments) - 1, max(-1, len(segments) - 5), -1):
            segment = segments[depth]
            if not segment:
                continue
            words = segment.split()
            if words[-1].lower() in _PRONOUNS and (len(words) == 1 or depth == len(segments) - 1):
                return words[-1].lower(), ""  # "he said", "Asked if …, he told the BBC"
            spokes = _SPOKES.search(segment)
            if spokes:
                return trim(spokes.group(1) or spokes.group(2)), "spokesperson"
            if words[0] in {"One", "A", "An", "Another", "Some"}:
                self.unnamed = True  # "One MP", "a spokesman": someone the article does not name
                return None
            bare = re.sub(r"^(?:the|a|an)\s+", "", segment, flags=re.I)
            last = last_name(segment)
            if last is not None:
                name, premodifier = last
                premodifier = "" if premodifier.lower() in {"the", "a", "an"} else premodifier
                named_before = depth > 0 and any(last_name(s) for s in segments[:depth])
                if _PREPOSITION.search(premodifier) and (bare[:1].islower() or named_before):
                    role = (
                        segment  # "president of ClearView Economics", "a … member of the European Parliament"
                    )
                    continue
                if len(words) > 8:
                    # "Latest indications are … and Ifo president Hans-Werner Sinn said": the last clause.
                    tail = re.split(r"\s+(?:and|but|while|whereas)\s+", segment)[-1]
                    short = last_name(tail) if len(tail.split()) <= 8 else None
                    return (short[0], short[1]) if short else None
                return name, premodifier or role
            earlier = depth > 0 and any(last_name(s) for s in segments[:depth])
            if earlier and (
                bare[:1].islower()
                or words[-1].lower() in ROLE_NOUNS
                or words[0].lower() in {"a", "an", "the"}
            ):
                role = segment  # "Rwanda's foreign minister", between the name and the verb
                continue
            if words[-1].lower() in ROLE_NOUNS | ORG_NOUNS and segment.lower().startswith("the "):
                return segment, ""  # "the chancellor": resolved within the article
            if (segment[:1].islower() and depth == len(segments) - 1) or segment.split()[0] in {
                "One",
                "A",
                "An",
            }:
                self.unnamed = True  # "one dealer … told Reuters": someone the article does not name
            return None
        return None

    def _resolve(self, written: str, role: str, verb: str, at: int) -> tuple[str, str, str, str] | None:
        if written in _PRONOUNS:
            who = self.topic or self.last
            if who is None:
                return None
            return written, who[0], verb, who[1]
        if written.lower().startswith("the "):
            head = written.split()[-1].lower()
            if head in ORG_NOUNS:
                return (written, self.last_org, verb, "") if self.last_org else None
            for canonical, known_role in reversed(self.roles):
                if head in known_role.lower().split():
                    return written, canonical, verb, known_role
            if self.last is not None and head in self.last[1].lower().split():
                return written, self.last[0], verb, self.last[1]
            return None
        canonical = self._full_name(written, at)
        # "Chancellor Gordon Brown": the title is the role the article gives him.
        title = " ".join(w for w in written.split() if w in TITLES.split("|") and w not in COURTESY)
        role = f"{role} {title}".strip() if title and title not in role else role
        if role:
            self.roles.append((canonical, role))
        return written, canonical, verb, role

    def _full_name(self, written: str, at: int) -> str:
        words = written.split()
        titles = set(TITLES.split("|"))
        core = [w for w in words if w not in titles or w in KEEP_TITLES]
        kept_title = [w for w in core if w in KEEP_TITLES]
        named = [w for w in core if w not in KEEP_TITLES]
        if len(named) >= 2 or not named:
            return " ".join(core) or written
        # "Mr King": the full name the article gives a King, the last before here (else the first after).
        same = [(off, n) for off, n in self.full_names if plain(n)[-1:] == named and len(plain(n)) >= 2]
        before = [n for off, n in same if off < at]
        after = [n for off, n in same if off >= at]
        if before or after:
            full = (before[-1] if before else after[0]).split()
            full = [w for w in full if w not in titles or w in KEEP_TITLES]
            if kept_title and full[0] not in KEEP_TITLES:
                full = kept_title + full
            return " ".join(full)
        return " ".join(core)


def sync_quotes(store: Any) -> int:
    """Extract the quotes of every stored article whose current text has none yet (new or changed
    articles, and stores from before quotes); returns how many articles were read. Deleted articles take
    their quotes with them (the table cascades)."""
    backlog = store.quote_backlog(EXTRACTOR_VERSION)
    for article_id, text, published in backlog:
        rows = [{**asdict(q), "speaker_key": q.key, "published": published} for q in extract_quotes(text)]
        store.put_quotes(article_id, EXTRACTOR_VERSION, rows)
    return len(backlog)


def _carry_back(
    quotes: list[Quote], spans: list[tuple[int, int]], masked: list[tuple[str, bool, bool]]
) -> list[Quote]:
    """A quotation attributed at its end ('"… . … ," he said.') belongs, from its first sentence, to the
    speaker named there."""
    by_start = {q.start: q for q in quotes}
    for index in range(len(spans) - 1, 0, -1):
        quote = by_start.get(spans[index][0])
        earlier = spans[index - 1]
        if quote is None or not masked[index][1] or earlier[0] in by_start:
            continue
        if masked[index - 1][1] or masked[index - 1][2]:
            by_start[earlier[0]] = Quote(
                earlier[0], earlier[1], quote.speaker, quote.canonical, quote.key, "", "direct", quote.role
            )
    return [by_start[a] for a, _ in spans if a in by_start]
