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
    assert find_duplicate_pairs(texts, threshold=j) != []
    assert find_duplicate_pairs(texts, threshold=min(1.0, j + 0.01)) == []
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
    # Stored signatures are trusted for the LSH (made-up ones hide the copy)...
    rng = np.random.default_rng(0)
    fake = {k: rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64) for k in texts}
    assert find_duplicate_pairs(texts, signatures=fake) == []
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
