"""Names in news copy: the person a run of capitalised words stands for, and the key names are looked up by.

"But Mr Howard" is "Mr Howard", "Exhibitor Relations President Paul Dergarabedian" is "President Paul
Dergarabedian", "Green MSP Mark Ballard" is "Mark Ballard", "Rwanda's" is no one; the key of "Sir Digby
Jones" is "digby jones". Used by :mod:`ingest.quotes` to find speakers, and to look them up.
"""

from __future__ import annotations

import re
import unicodedata

TITLES = "Mr|Mrs|Ms|Miss|Dr|Prof|Professor|President|Chancellor|Governor|Senator|Judge|Secretary|Minister|Commissioner|Chairman|Coach|Ambassador|General|Captain|Rev|Sir|Dame|Lord|Lady|Baroness"
KEEP_TITLES = frozenset({"Sir", "Dame", "Lord", "Lady", "Baroness"})  # part of how the person is named
# Nationalities written before a name ("Australian Lynton Crosby").
DEMONYMS = frozenset(
    "American Australian Austrian Belgian Brazilian British Canadian Chinese Danish Dutch English French "
    "German Greek Indian Iranian Iraqi Irish Israeli Italian Japanese Kenyan Mexican Nigerian Norwegian "
    "Pakistani Palestinian Polish Portuguese Russian Scottish Spanish Swedish Swiss Turkish Ukrainian Welsh".split()
)
# Titles that say how to address someone, not what they do.
COURTESY = frozenset({"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Professor", "Rev"}) | KEEP_TITLES
CAP = r"(?:[A-Z]\.(?:[A-Z]\.)*|[A-Z][\w’'\-]*)"
NAME = re.compile(rf"{CAP}(?:(?:\s+|\s*&\s*|\s+(?:of|de|da|van|von|bin|al|del|du|la|le)\s+){CAP})*")
NOT_NAME_START = frozenset(
    "The A An But And However Meanwhile Earlier Later Asked In On At For If When While As This That It "
    "He She They We I You Last Also So Yet Now Then Elsewhere Separately Speaking Writing Former "
    "Ex There Here His Her Their Its Our My After Before Since With Without By From Of To Not Many Some "
    "Both One Two Three Yesterday Today Tomorrow Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "Still Even Only Instead Indeed Nevertheless Although Though Because Despite Firstly Secondly Thirdly "
    "Finally Additionally Similarly Ultimately Currently Recently Previously Overall Historically Likewise "
    "Moreover Furthermore Consequently Clearly Obviously Certainly Importantly Interestingly Ironically "
    "Crucially Apparently Reportedly Initially Eventually Asked Explaining Until During Under Over Across "
    "January February March April June July August September October November December".split()
)
ROLE_NOUNS = frozenset(
    "minister secretary spokesman spokeswoman spokesperson president chairman chairwoman chair chief "
    "executive director head leader economist analyst manager officer governor chancellor adviser advisor "
    "editor correspondent consultant coach boss founder member mp official commissioner ambassador partner "
    "strategist spokeswoman premier mayor king queen prince judge lawyer professor researcher expert "
    "architect accountant general captain manager owner".split()
)
FILLER = frozenset(
    "also has have had recently previously later earlier then again only further yesterday today now "
    "however last week month year night on monday tuesday wednesday thursday friday saturday sunday this "
    "once repeatedly publicly firmly strongly simply flatly".split()
)
ORG_NOUNS = frozenset(
    "company firm group retailer bank carmaker airline agency ministry department regulator watchdog "
    "giant maker operator chain insurer business corporation organisation organization union".split()
)
ORG_WORDS = frozenset(
    "Department Office Bank Group Agency Registry Commission Council Party Ministry Association Union "
    "Inc Ltd Corp Institute Authority Board Committee Federation Fund Organisation Organization".split()
)


def speaker_key(name: str) -> str:
    """Lookup form of a name: no courtesy titles (Mr, Sir, Dr …), no accents, casefolded."""
    words = [
        w
        for w in re.findall(r"[\w’'\-.&]+", name)
        if w.strip(".") not in TITLES.split("|") or w in {"Lord", "Lady", "Baroness"}
    ]
    folded = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore").decode()
    return " ".join(folded.replace("’", "'").casefold().replace(".", " ").split())


def last_name(segment: str) -> tuple[str, str] | None:
    """The name that ends ``segment``, and the words before it."""
    names = list(NAME.finditer(segment))
    if not names or names[-1].end() != len(segment):
        return None
    name = trim(names[-1].group(0))
    # The words before the name, with those trim() cut from its run ("Prime" of "Prime Minister Tony Blair").
    return (name, segment[: len(segment) - len(name)].strip()) if name and segment.endswith(name) else None


def plain(name: str) -> list[str]:
    titles = set(TITLES.split("|"))
    return [w for w in name.split() if w not in titles]


def trim(name: str) -> str:
    """A name run without the capitalised words before it that are not a name ("But Mr Howard"), and from
    the last title in it ("Exhibitor Relations President Paul Dergarabedian" → "President Paul …")."""
    words = name.split()
    while words and words[0].strip("’'") in NOT_NAME_START:
        words = words[1:]
    if len(words) >= 3 and (
        words[0].lower() in ROLE_NOUNS or words[0].endswith("ist") or "-" in words[0] or words[0] in DEMONYMS
    ):
        words = words[1:]  # "Guitarist Brian May" at the start of a sentence
    owners = [i for i, w in enumerate(words[:-1]) if w.endswith(("’s", "'s", "s'", "s’"))]
    if owners:
        words = words[owners[-1] + 1 :]  # "Ladbrokes' Warren Lush", "Belgium's Olivier Rochus"
    acronyms = [i for i, w in enumerate(words[:-2]) if len(w) >= 2 and w.isupper()]
    if len(words) >= 3 and acronyms:
        words = words[acronyms[-1] + 1 :]  # "Green MSP Mark Ballard"
    titles = set(TITLES.split("|"))
    for i in range(len(words) - 1, 0, -1):
        if words[i] in titles and i + 1 < len(words):
            words = words[i:]
            break
    if words and words[-1].endswith(("’s", "'s")):
        return ""  # "Rwanda's": a possessive, not a speaker
    return " ".join(words)


def strip_filler(segment: str) -> str:
    words = segment.split()
    while words and words[-1].lower() in FILLER:
        words.pop()
    while len(words) > 1 and words[0].strip("’'") in NOT_NAME_START - {"The", "A", "An", "One", "Some"}:
        words.pop(0)
    return " ".join(words)
