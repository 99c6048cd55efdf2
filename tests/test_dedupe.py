"""ingest.dedupe: exact and near-duplicate articles on small hand-written texts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ingest.dedupe import (
    NUM_PERM,
    DuplicatePair,
    clusters,
    find_duplicate_pairs,
    jaccard,
    shingles,
    signature,
    signature_from_bytes,
)
from ingest.overlap import COPY_COVERAGE

# A wire story, a copy of it with another byline and one sentence rewritten, and a different story
# on the same topic that shares the background paragraph and a quote.
WIRE = """By Anna Keller, Reuters

The city council of Riverton voted on Tuesday to spend 12 million dollars on new flood defences along
the east bank of the Marl river, after two winters of record water levels left hundreds of homes
damaged.

The plan, approved by nine votes to four, will raise the existing embankment by one metre and add
three pumping stations near the old railway bridge. Work is due to start in the spring and to finish
before the end of next year.

"We cannot ask families to bail out their kitchens every January," said the council leader, Maria
Lopez, after the vote. Opponents argued that the money would be better spent on moving the most
exposed households away from the river altogether.

The Marl burst its banks in January and again in February, flooding more than 400 properties and
closing the main road to the hospital for nine days. Insurers have estimated the damage at more than
30 million dollars.

The national environment agency, which will pay a third of the cost, said the scheme would protect
about 2,000 homes from a flood of the size expected once in a hundred years. Residents will be asked
for their views on the design of the pumping stations at a public meeting next month.
"""

WIRE_COPY = """By Tom Brennan, Associated Press

The city council of Riverton voted on Tuesday to spend 12 million dollars on new flood defences along
the east bank of the Marl river, after two winters of record water levels left hundreds of homes
damaged.

The plan, approved by nine votes to four, will raise the existing embankment by one metre and add
three pumping stations near the old railway bridge. Construction should begin in April, officials
said, and last about eighteen months.

"We cannot ask families to bail out their kitchens every January," said the council leader, Maria
Lopez, after the vote. Opponents argued that the money would be better spent on moving the most
exposed households away from the river altogether.

The Marl burst its banks in January and again in February, flooding more than 400 properties and
closing the main road to the hospital for nine days. Insurers have estimated the damage at more than
30 million dollars.

The national environment agency, which will pay a third of the cost, said the scheme would protect
about 2,000 homes from a flood of the size expected once in a hundred years. Residents will be asked
for their views on the design of the pumping stations at a public meeting next month.
"""

# The same text with other whitespace, curly quotes and case: an exact copy.
WIRE_RETYPED = (
    WIRE.replace('"We', "\u201cWe")
    .replace('January,"', "January,\u201d")
    .replace("\n", "  \n ")
    .replace("The plan", "THE PLAN")
)

SAME_TOPIC = """By Anna Keller, Reuters

Residents of the east bank of the Marl river packed a school hall in Riverton on Thursday to demand
that the council buy out the homes that flood most often, rather than build higher walls.

Many said they had been flooded three times in five years and could no longer get insurance. One
retired teacher described carrying her grandchildren to a neighbour's roof as the water rose.

The Marl burst its banks in January and again in February, flooding more than 400 properties and
closing the main road to the hospital for nine days. Insurers have estimated the damage at more than
30 million dollars.

"We cannot ask families to bail out their kitchens every January," the council leader, Maria Lopez,
told the meeting, repeating the words she used when the defences were approved. She promised a
report on voluntary buy-outs by the summer.

A spokesman for the national environment agency said relocation schemes had worked in other river
towns but took years to agree, and that compensation would depend on the value of each property.
"""

UNRELATED = """Shares in the chip maker Veltron rose by a fifth on Wednesday after the company said its
quarterly revenue had doubled, helped by orders from data centre operators. The firm raised its
forecast for the full year and announced a new factory in Arizona."""


def test_shingles_are_word_5_grams_of_the_normalized_text() -> None:
    assert shingles("One two, THREE four five six!") == {"one two three four five", "two three four five six"}
    assert shingles("Breaking:  news\u2019s here") == {"breaking news s here"}  # fewer than 5 words
    assert shingles("   ...  ") == set()
    assert shingles("a b c", k=2) == {"a b", "b c"}


def test_wire_copy_with_another_byline_and_sentence_is_a_near_duplicate() -> None:
    pairs = find_duplicate_pairs({"wire": WIRE, "copy": WIRE_COPY})
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair.a, pair.b, pair.exact) == ("wire", "copy", False)
    assert 0.8 <= pair.jaccard < 1.0
    assert pair.jaccard == pytest.approx(jaccard(shingles(WIRE), shingles(WIRE_COPY)))


def test_exact_copy_with_other_whitespace_quotes_and_case() -> None:
    assert WIRE_RETYPED != WIRE
    pairs = find_duplicate_pairs({"wire": WIRE, "retyped": WIRE_RETYPED})
    assert pairs == [DuplicatePair("wire", "retyped", 1.0, True)]


def test_different_story_on_the_same_topic_is_never_merged() -> None:
    # They share a whole paragraph, a quote and the byline...
    j = jaccard(shingles(WIRE), shingles(SAME_TOPIC))
    assert 0.1 < j < 0.5
    texts = {"wire": WIRE, "copy": WIRE_COPY, "same-topic": SAME_TOPIC, "unrelated": UNRELATED}
    pairs = find_duplicate_pairs(texts)
    # ...but only the wire copy is a duplicate.
    assert [(p.a, p.b) for p in pairs] == [("wire", "copy")]


def test_threshold_decides_the_near_pairs() -> None:
    j = jaccard(shingles(WIRE), shingles(WIRE_COPY))
    texts = {"wire": WIRE, "copy": WIRE_COPY}
    assert find_duplicate_pairs(texts, threshold=j) == [DuplicatePair("wire", "copy", j, False)]
    # Above its Jaccard the copy is still found, by paragraph alignment: every paragraph is in the wire.
    [aligned] = find_duplicate_pairs(texts, threshold=min(1.0, j + 0.01))
    assert (aligned.a, aligned.b, aligned.coverage, aligned.based_on) == ("wire", "copy", 1.0, False)
    assert find_duplicate_pairs({"wire": WIRE, "same-topic": SAME_TOPIC}, threshold=0.1) != []
    with pytest.raises(ValueError):
        find_duplicate_pairs(texts, threshold=0.0)


def test_exact_group_and_near_copy_give_every_pair() -> None:
    texts = {"wire": WIRE, "unrelated": UNRELATED, "retyped": WIRE_RETYPED, "copy": WIRE_COPY}
    pairs = find_duplicate_pairs(texts)
    assert [(p.a, p.b, p.exact) for p in pairs] == [
        ("wire", "retyped", True),
        ("wire", "copy", False),
        ("retyped", "copy", False),
    ]


def test_texts_without_words_are_ignored() -> None:
    assert find_duplicate_pairs({"a": "", "b": "", "c": " -- ", "d": UNRELATED}) == []


def test_signature_is_deterministic_and_storable() -> None:
    sig = signature(WIRE)
    assert sig.dtype == np.uint64 and sig.shape == (NUM_PERM,)
    assert np.array_equal(sig, signature(WIRE))
    assert np.array_equal(sig, signature(WIRE_RETYPED))  # same normalized text, same signature
    assert not np.array_equal(sig, signature(WIRE_COPY))
    assert np.array_equal(signature_from_bytes(sig.tobytes()), sig)
    with pytest.raises(ValueError):
        signature_from_bytes(sig.tobytes()[:-8])


def test_signature_is_the_same_in_another_process() -> None:
    code = (
        "import sys; from ingest.dedupe import signature; print(signature(sys.stdin.read()).tobytes().hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=WIRE, capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == signature(WIRE).tobytes().hex()


def test_stored_signatures_are_used_and_candidates_confirmed() -> None:
    texts = {"wire": WIRE, "copy": WIRE_COPY, "same-topic": SAME_TOPIC}
    stored = {k: signature(v) for k, v in texts.items()}
    assert find_duplicate_pairs(texts, signatures=stored) == find_duplicate_pairs(texts)
    # Only some stored: the others are computed.
    assert find_duplicate_pairs(texts, signatures={"copy": stored["copy"]}) == find_duplicate_pairs(texts)
    # Stored signatures are trusted for the LSH (made-up ones hide the copy from it, and the copy is
    # found by paragraph alignment instead)...
    rng = np.random.default_rng(0)
    fake = {k: rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64) for k in texts}
    [aligned] = find_duplicate_pairs(texts, signatures=fake)
    assert (aligned.a, aligned.b, aligned.coverage) == ("wire", "copy", 1.0)
    # ...but a candidate still needs the true Jaccard: identical signatures do not merge stories.
    same = {k: stored["wire"] for k in texts}
    assert [(p.a, p.b) for p in find_duplicate_pairs(texts, signatures=same)] == [("wire", "copy")]


def test_a_malformed_stored_signature_is_refused() -> None:
    with pytest.raises(ValueError, match="uint64"):
        find_duplicate_pairs({"a": WIRE}, signatures={"a": signature(WIRE).astype(np.uint32)})


def _pair(a: str, b: str) -> DuplicatePair:
    return DuplicatePair(a, b, 0.9, False)


def test_clusters_choose_the_member_with_the_smallest_rank() -> None:
    rank = {"a": 3, "b": 1, "c": 2, "x": 5, "y": 4}
    canonical = clusters([_pair("a", "b"), _pair("x", "y")], rank=rank.__getitem__)
    assert canonical == {"a": "b", "b": "b", "x": "y", "y": "y"}


def test_clusters_are_transitive() -> None:
    # a~b and b~c (but not a~c) and d~c: one cluster of four, built in any order.
    pairs = [_pair("a", "b"), _pair("d", "e"), _pair("b", "c"), _pair("d", "c")]
    order = {x: i for i, x in enumerate("edcba")}
    canonical = clusters(pairs, rank=order.__getitem__)
    assert canonical == dict.fromkeys("abcde", "e")
    assert clusters([], rank=order.__getitem__) == {}


def test_clusters_break_rank_ties_by_id() -> None:
    canonical = clusters([_pair("m", "k"), _pair("k", "z")], rank=lambda _: 0)
    assert set(canonical.values()) == {"k"}


def test_lsh_bands_catch_pairs_at_the_threshold() -> None:
    from ingest.dedupe import _lsh_params

    assert _lsh_params(0.8) == (25, 5)  # candidates from about Jaccard 0.5: a 0.8 LSH would miss ~60%
    for t in (0.5, 0.7, 0.8, 0.9, 1.0):
        bands, rows = _lsh_params(t)
        assert bands * rows <= NUM_PERM and bands >= 2
        assert 1 - (1 - t**rows) ** bands >= 0.999


# --- edited copies: a story, copies an outlet might run, and a follow-up sharing its background ---

STORY_HEAD = "Harbour ferry operator cuts winter sailings"

STORY_LEDE = (
    "The ferry company that links Port Alder with the three outer islands will run half as many winter "
    "sailings from December, blaming a shortage of engineers and the rising cost of fuel."
)

STORY_NEWS = [
    "Under the new timetable the morning crossing to Kessock will leave at nine rather than seven, and the "
    "last evening boat from Rona will be withdrawn on weekdays until the end of February.",
    "The managing director, Helen Ward, said the company had tried for months to recruit qualified "
    "engineers but had filled only two of its seven vacancies, and could not safely crew every vessel.",
    "Island councillors said the cuts would leave pupils who board on the mainland unable to get home at "
    "weekends, and called on the regional transport authority to step in with an emergency subsidy.",
]

STORY_BACKGROUND = [
    "The company, founded in 1968 as a co-operative of island fishermen, carries about 400,000 passengers "
    "a year on five vessels, the oldest of which entered service more than forty years ago.",
    "It lost its contract for the northern route in 2019 after a long dispute over the reliability of its "
    "fleet, and has since relied on the three island routes for almost all of its income.",
    "A new hybrid vessel ordered from a yard in Norway is due to be delivered next autumn, two years later "
    "than planned, after the builder ran into difficulties with the battery system.",
]


def _article(head: str, lede: str, body: list[str]) -> str:
    return "\n\n".join([head, lede, *body])


STORY = _article(STORY_HEAD, STORY_LEDE, STORY_NEWS + STORY_BACKGROUND)

REWRITTEN_LEDE = (
    "Islanders face a bleak winter after the Port Alder ferry firm said it would halve its timetable, "
    "citing fuel prices and a lack of engineers to keep its boats at sea."
)

LOCAL = (
    "In Drummore, where many families rely on the Kessock crossing for hospital appointments, the "
    "community council said it would write to the health board about transport for patients."
)

# New headline and lede, the last two background paragraphs cut for length.
TRIMMED = _article("Ferry cuts anger islanders", REWRITTEN_LEDE, STORY_NEWS + STORY_BACKGROUND[:1])
# A new headline and lede, the story's body in full, and a paragraph of local context.
EXTENDED = _article(
    "Ferry cuts anger islanders", REWRITTEN_LEDE, [*STORY_NEWS[:2], LOCAL, *STORY_NEWS[2:], *STORY_BACKGROUND]
)
# New lede, paragraphs moved.
REORDERED = _article(
    STORY_HEAD,
    REWRITTEN_LEDE,
    [
        STORY_NEWS[1],
        STORY_NEWS[0],
        STORY_BACKGROUND[2],
        STORY_NEWS[2],
        STORY_BACKGROUND[0],
        STORY_BACKGROUND[1],
    ],
)
# Cut and extended: the copy carries news of its own, so it is linked ("based on"), not folded.
CUT_AND_EXTENDED = _article("Ferry cuts anger islanders", REWRITTEN_LEDE, [*STORY_NEWS, LOCAL])

# A follow-up a week later: its own news, then the same background paragraphs.
FOLLOW_UP = _article(
    "Transport authority agrees ferry subsidy",
    "The regional transport authority has agreed to pay for the last evening boat from Rona to keep "
    "running through the winter, a week after the Port Alder ferry company announced deep cuts.",
    [
        "The emergency grant of 180,000 pounds will also cover an extra Friday crossing so that pupils who "
        "board on the mainland can get home at weekends, the authority's chair, Iain Ross, said.",
        "Ms Ward welcomed the decision but said the company still had five engineering posts unfilled and "
        "could not promise that other sailings would not be cancelled at short notice.",
        "Opposition councillors said the grant was a sticking plaster and demanded a review of the whole "
        "contract before it comes up for renewal next year.",
        *STORY_BACKGROUND,
    ],
)


@pytest.mark.parametrize(
    ("copy", "based_on"),
    [(TRIMMED, False), (EXTENDED, False), (REORDERED, False), (CUT_AND_EXTENDED, True)],
    ids=["trimmed", "extended", "reordered", "cut-and-extended"],
)
def test_edited_copies_are_duplicates(copy: str, based_on: bool) -> None:
    assert jaccard(shingles(STORY), shingles(copy)) < 0.8  # the symmetric measure alone misses them
    [pair] = find_duplicate_pairs({"story": STORY, "copy": copy})
    assert (pair.a, pair.b, pair.exact, pair.based_on) == ("story", "copy", False, based_on)
    assert pair.coverage >= COPY_COVERAGE


def test_a_follow_up_sharing_the_background_is_not_a_duplicate() -> None:
    from ingest.overlap import overlap, paragraphs

    o = overlap(paragraphs(STORY), paragraphs(FOLLOW_UP))
    assert o.coverage_a >= 0.4  # half of the story's body is in the follow-up...
    assert o.news_a == 0.0 and o.news_b == 0.0  # ...but none of either's news is in the other
    texts = {"story": STORY, "follow-up": FOLLOW_UP, "trimmed": TRIMMED}
    assert [(p.a, p.b) for p in find_duplicate_pairs(texts)] == [("story", "trimmed")]


def test_overlap_leaves_the_headline_and_lede_out() -> None:
    from ingest.overlap import overlap, paragraphs

    story = paragraphs(STORY)
    assert len(story.words) == len(STORY_NEWS) + len(STORY_BACKGROUND)
    o = overlap(story, paragraphs(TRIMMED))  # a rewritten lede costs the copy nothing
    assert (o.coverage_b, o.news_a, o.news_b, o.adds_b) == (1.0, 1.0, 1.0, False)
    assert o.adds_a  # the story has paragraphs the trimmed copy cut


def test_based_on_copies_stay_their_own_articles() -> None:
    pairs = find_duplicate_pairs({"story": STORY, "copy": CUT_AND_EXTENDED, "trimmed": TRIMMED})
    by_pair = {(p.a, p.b): p.based_on for p in pairs}
    assert by_pair[("story", "copy")] and not by_pair[("story", "trimmed")]
    rank = {"story": 0, "copy": 1, "trimmed": 2}.__getitem__
    assert clusters(pairs, rank=rank) == {"story": "story", "trimmed": "story"}
    assert set(clusters(pairs, rank=rank, include_based_on=True).values()) == {"story"}


def test_containment_candidates_count_shared_shingles_of_the_shorter_text() -> None:
    from core.normalize import normalize_for_match
    from ingest.containment import MAX_SHARING, containment_candidates

    def candidates(texts: list[str], floor: float) -> list[tuple[int, int]]:
        return containment_candidates([normalize_for_match(t) for t in texts], floor)

    half = " ".join(STORY.split()[: len(STORY.split()) // 2])
    # Half the story is wholly in the story: containment 1.0 although the Jaccard is about 0.5.
    assert candidates([UNRELATED, STORY, half], 0.9) == [(1, 2)]
    assert candidates([STORY, UNRELATED], 0.01) == []
    assert candidates([], 0.2) == candidates([STORY], 0.2) == candidates(["", "a b"], 0.2) == []
    # A sentence every text carries is boilerplate past MAX_SHARING texts: it joins nobody.
    boiler = "Sign up for our daily newsletter to get the headlines first."
    many = [f"{boiler} Item number {i} of the list." for i in range(MAX_SHARING + 1)]
    assert candidates(many, 0.5) == []
    assert candidates(many[:3], 0.5) == [(0, 1), (0, 2), (1, 2)]
