"""Which sentences of an article are links to other stories that scraped text kept: "More:…", "Read
more: …", a kicker glued to another story's headline ("The queen of corgis:Photos show …"). They are
that story's headline, not what the article says: never answer evidence, never a speaker's quote.
"""

from __future__ import annotations

import re

# The labels news sites put before a link ("More:Parents were confused …", "Read more: …", "RELATED: …").
_LINK_LABEL = re.compile(
    r"^[“\"]?(?:(?:read|see|watch|listen)(?:\s+(?:more|also|this|next|the\s+rest\s+here))?|"
    r"more(?:\s+(?:money|news|coverage|stories))?|related(?:\s+(?:stories|coverage|articles?|links?))?|"
    r"also(?:\s+read)?|previously|recommended|top\s+headlines|(?:[a-z]+\s+)?newsletter|sign\s+up|subscribe)"
    r"\s*:",
    re.I,
)

# A kicker glued to a headline, as scraped links are ("The queen of corgis:Photos show …", "'Best night
# of our lives':Jennifer Lopez shares …"): a label of a few words, quoted or with a lowercase word in it
# (a dateline such as "El Paso:Two …" or "Rio de Janeiro:Police …" is a place's name).
_GLUED_LABEL = re.compile(r"^([“\"‘']?)([A-Z][\w’'\-]*(?:\s+[\w’'\-]+){1,7})[”\"’']?:(?=[A-Z“\"‘'])")
_SPEECH_VERBS = frozenset(
    "said says read reads added adds wrote writes told tweeted stated announced".split()
)
_NAME_PARTICLES = frozenset("de da do dos das du del della di la le el van von der of y and".split())


def links_elsewhere(text: str) -> bool:
    """The sentence is a link to another story ("More:…", "Read more: …"), not this article's text."""
    if _LINK_LABEL.match(text):
        return True
    glued = _GLUED_LABEL.match(text)
    if glued is None:
        return False
    if glued.group(1):
        return True
    words = glued.group(2).split()[1:]
    # A speaker introduces a quotation the same way ('The statement read:"We want …').
    if words[-1].casefold() in _SPEECH_VERBS:
        return False
    return any(w.islower() and w not in _NAME_PARTICLES for w in words)
