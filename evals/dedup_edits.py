"""Build a near-duplicate dev set from a corpus: edited wire copies at three strengths and hard negatives.

Copies of an original article, as outlets republish wire stories:

* ``light``: a new headline, a few words of the lede changed, sometimes the last paragraph cut;
* ``medium``: a new headline and a rewritten lede, about a quarter of the paragraphs cut from the end,
  a paragraph of local context added, a few words copy-edited;
* ``heavy``: a new headline and a rewritten lede, 40–55 % of the paragraphs cut (end and middle), one
  or two paragraphs of local context added, two paragraphs moved, more copy-editing.

Hard negatives (``duplicate: false``), every one a different story:

* ``same_topic``: two corpus articles of one category with the most words in common;
* ``follow_up``: a same-topic story with the original's last paragraphs — its background, up to three and
  at most a third of its words — spliced in;
* ``live_blog``: a short summary made of the original's lede and one background paragraph, plus news
  of its own, against the original;
* ``press_release``: two stories that each quote the same two press-release paragraphs, with their own
  ledes and reporting.

Everything is generated in memory from the corpus and a seed (nothing of the corpus is written into the
repository): ``python -m evals.dedup_edits --corpus CORPUS --out DIR`` writes ``corpus.jsonl`` (the
corpus plus the generated articles) and ``pairs.jsonl`` (``{"a", "b", "duplicate", "kind"}``) to DIR
for ``python -m evals dedup``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STRENGTHS = ("light", "medium", "heavy")
NEGATIVE_KINDS = ("same_topic", "follow_up", "live_blog", "press_release")

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_STOP = frozenset(
    "the a an and or of to in on for with at by from as is was were be been has have had it its this that "
    "said says will would could should not but are they their he she his her we our you which who also "
    "more than after before over into about up out new one two last year years mr mrs ms".split()
)
# Words a copy editor swaps; the replacement breaks every word shingle it is in.
_SYNONYMS = {
    "said": "stated",
    "says": "states",
    "told": "informed",
    "rise": "increase",
    "rose": "climbed",
    "fell": "dropped",
    "big": "large",
    "people": "individuals",
    "firm": "company",
    "company": "firm",
    "government": "administration",
    "however": "but",
    "because": "as",
    "about": "around",
    "also": "additionally",
    "new": "fresh",
    "expected": "forecast",
    "plans": "proposals",
    "week": "seven days",
    "year": "12 months",
}
_PLACES = ("Leeds", "Cardiff", "Glasgow", "Norwich", "Belfast", "Bristol", "Derby", "Hull", "Exeter", "York")
_LOCAL_LEADS = (
    "In {place}, where the story has been followed closely,",
    "Readers in {place} will remember that",
    "Locally, officials in {place} noted that",
    "For businesses around {place},",
)


@dataclass(frozen=True)
class Story:
    id: str
    category: str
    title: str
    paragraphs: list[str]  # the body: lede first; the title line is not one of them


@dataclass(frozen=True)
class EditSet:
    articles: list[dict[str, Any]]  # generated corpus records {"id", "title", "text"}
    pairs: list[dict[str, Any]]  # {"a", "b", "duplicate", "kind"}


def story_of(record: Mapping[str, Any]) -> Story:
    """A corpus record split into title and body paragraphs (a first line equal to the title is dropped)."""
    text = str(record["text"]).replace("\r\n", "\n")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    title = str(record.get("title") or (paragraphs[0] if paragraphs else ""))
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    doc_id = str(record["id"])
    return Story(doc_id, doc_id.split("/")[-2] if doc_id.count("/") >= 2 else "", title, paragraphs)


def _text(title: str, paragraphs: Sequence[str]) -> str:
    return "\n\n".join([title, *paragraphs])


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def _copy_edit(paragraph: str, rng: random.Random, rate: float) -> str:
    """Swap words for synonyms and drop a few, at about ``rate`` of the words."""
    out: list[str] = []
    for word in paragraph.split(" "):
        bare = word.strip(".,;:\"'").lower()
        roll = rng.random()
        if roll < rate and bare in _SYNONYMS:
            out.append(word.replace(bare, _SYNONYMS[bare]) if word.islower() else _SYNONYMS[bare])
        elif roll < rate / 3 and len(out) > 2 and not word.endswith((".", ",")):
            continue
        else:
            out.append(word)
    return " ".join(out)


def _rewrite_lede(lede: str, rng: random.Random) -> str:
    """A lede in other words: its sentences reordered, words swapped and dropped, a dateline added."""
    sentences = _SENTENCE_END.split(lede)
    rng.shuffle(sentences)
    words = " ".join(sentences).split(" ")
    kept = [w for w in words if rng.random() > 0.25]
    for i in range(0, len(kept) - 1, 4):  # swap neighbours: no five words survive in order
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return f"{rng.choice(_PLACES).upper()} - " + " ".join(kept)


def _headline(story: Story, rng: random.Random) -> str:
    words = [w for w in _WORD.findall(" ".join(story.paragraphs[:2])) if w.lower() not in _STOP]
    picked = rng.sample(words, min(5, len(words))) if words else ["Update"]
    return " ".join(picked).capitalize() + rng.choice((" - latest", " as talks go on", " amid row", ""))


def _local_paragraph(donor: Story, rng: random.Random) -> str:
    """A paragraph of local context: a lead-in and two sentences from a story of another category."""
    sentences = [s for p in donor.paragraphs[1:] for s in _SENTENCE_END.split(p) if len(s.split()) > 6]
    start = rng.randrange(max(1, len(sentences) - 1))
    body = " ".join(sentences[start : start + 2]) or donor.title
    lead = rng.choice(_LOCAL_LEADS).format(place=rng.choice(_PLACES))
    return f"{lead} {body[0].lower()}{body[1:]}"


def edited_copy(story: Story, strength: str, rng: random.Random, donors: Sequence[Story]) -> tuple[str, str]:
    """(title, text) of a republished copy of ``story`` at ``strength``."""
    lede, body = story.paragraphs[0], list(story.paragraphs[1:])
    title = _headline(story, rng)
    if strength == "light":
        lede = _copy_edit(lede, rng, 0.3)
        if len(body) >= 5 and rng.random() < 0.5:
            body = body[:-1]
        return title, _text(title, [lede, *body])
    lede = _rewrite_lede(lede, rng)
    if strength == "medium":
        keep = max(2, round(len(body) * rng.uniform(0.7, 0.8)))
        body = [_copy_edit(p, rng, 0.06) for p in body[:keep]]
        body.insert(rng.randrange(1, len(body) + 1), _local_paragraph(rng.choice(donors), rng))
        return title, _text(title, [lede, *body])
    if strength != "heavy":
        raise ValueError(f"unknown edit strength {strength!r}")
    keep = max(2, round(len(body) * rng.uniform(0.45, 0.6)))
    tail_cut = body[: max(keep + 1, len(body) - 1)]
    while len(tail_cut) > keep:  # cut from the end and once from the middle
        del tail_cut[rng.randrange(1, len(tail_cut)) if len(tail_cut) > keep + 1 else -1]
    body = [_copy_edit(p, rng, 0.12) for p in tail_cut]
    if len(body) >= 3:
        i, j = rng.sample(range(len(body)), 2)
        body[i], body[j] = body[j], body[i]
    for _ in range(rng.choice((1, 2))):
        body.insert(rng.randrange(0, len(body) + 1), _local_paragraph(rng.choice(donors), rng))
    return title, _text(title, [lede, *body])


def _background(story: Story, most: int) -> list[str]:
    """The story's last paragraphs, at most ``most`` and at most a third of its body's words (at least one)."""
    budget = sum(len(p.split()) for p in story.paragraphs[1:]) / 3
    taken: list[str] = []
    for paragraph in reversed(story.paragraphs[1:]):
        if len(taken) == most or (
            taken and sum(len(p.split()) for p in taken) + len(paragraph.split()) > budget
        ):
            break
        taken.insert(0, paragraph)
    return taken


def _same_topic_partner(story: Story, pool: Sequence[Story], words: Mapping[str, set[str]]) -> Story | None:
    mine = words[story.id]
    best, best_score = None, 0.0
    for other in pool:
        if other.id == story.id or other.category != story.category:
            continue
        theirs = words[other.id]
        score = len(mine & theirs) / (len(mine | theirs) or 1)
        if score > best_score:
            best, best_score = other, score
    return best


def build_edit_set(
    records: Sequence[Mapping[str, Any]],
    *,
    seed: int = 20261130,
    copies_per_strength: int = 60,
    negatives_per_kind: int = 30,
    exclude: frozenset[str] = frozenset(),
) -> EditSet:
    """Generated copies and hard negatives of articles from ``records`` (a corpus), labelled in pairs.

    Originals have at least five body paragraphs and are not in ``exclude`` (e.g. articles that already
    have a copy in the corpus, so that a negative is never a real duplicate).
    """
    rng = random.Random(seed)
    stories = [story_of(r) for r in records]
    eligible = [s for s in stories if len(s.paragraphs) >= 6 and s.id not in exclude]
    if len(eligible) < 3 * copies_per_strength + 4 * negatives_per_kind:
        raise ValueError(f"only {len(eligible)} articles have six paragraphs or more: too few for this set")
    rng.shuffle(eligible)
    words = {s.id: _content_words(" ".join(s.paragraphs)) for s in stories}
    articles: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []

    def add(doc_id: str, title: str, text: str) -> str:
        articles.append({"id": doc_id, "title": title, "text": text})
        return doc_id

    originals = iter(eligible)
    for strength in STRENGTHS:
        for n in range(copies_per_strength):
            story = next(originals)
            donors = [s for s in stories[::37] if s.category != story.category]
            title, text = edited_copy(story, strength, rng, donors)
            copy_id = add(f"edits/{strength}/{n:03d}", title, text)
            pairs.append({"a": story.id, "b": copy_id, "duplicate": True, "kind": strength})

    pool = [s for s in stories if s.id not in exclude and len(s.paragraphs) >= 4]
    for n in range(negatives_per_kind):
        story = next(originals)
        partner = _same_topic_partner(story, pool, words)
        if partner is not None:
            pairs.append({"a": story.id, "b": partner.id, "duplicate": False, "kind": "same_topic"})

        # A follow-up: another same-topic story carrying this one's background paragraphs.
        story = next(originals)
        partner = _same_topic_partner(story, pool, words) or rng.choice(pool)
        background = _background(story, rng.choice((2, 3)))
        news = partner.paragraphs[: max(3, len(partner.paragraphs) - 2)]
        title = f"{partner.title}: latest"
        follow_id = add(f"edits/follow_up/{n:03d}", title, _text(title, [*news, *background]))
        pairs.append({"a": story.id, "b": follow_id, "duplicate": False, "kind": "follow_up"})

        # A live-blog summary: the lede and one background paragraph, then its own news.
        story = next(originals)
        other = rng.choice([s for s in pool if s.id != story.id])
        title = f"Live: {story.title} and other news"
        summary = [story.paragraphs[0], story.paragraphs[-1], *other.paragraphs[:4]]
        blog_id = add(f"edits/live_blog/{n:03d}", title, _text(title, summary))
        pairs.append({"a": story.id, "b": blog_id, "duplicate": False, "kind": "live_blog"})

        # Two stories quoting one press release: shared two paragraphs, everything else their own.
        source = next(originals)
        release = source.paragraphs[1:3]
        first, second = rng.sample([s for s in pool if s.category == source.category], 2)
        ids = []
        for k, base in enumerate((first, second)):
            title = f"{base.title} ({source.title})"
            body = [*base.paragraphs[:4], *release, *base.paragraphs[4:6]]
            ids.append(add(f"edits/press_release/{n:03d}{'ab'[k]}", title, _text(title, body)))
        pairs.append({"a": ids[0], "b": ids[1], "duplicate": False, "kind": "press_release"})
    return EditSet(articles, pairs)


def copied_already(records: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """Ids of articles that have a copy in the corpus itself (5-shingle Jaccard >= 0.5, or an edited copy)."""
    from ingest.dedupe import find_duplicate_pairs

    pairs = find_duplicate_pairs({str(r["id"]): str(r["text"]) for r in records}, threshold=0.5)
    return frozenset(x for p in pairs for x in (p.a, p.b))


def read_corpus(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, required=True, help="the source corpus (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="folder for corpus.jsonl and pairs.jsonl")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--copies", type=int, default=60, help="copies per edit strength")
    parser.add_argument("--negatives", type=int, default=30, help="hard negatives per kind")
    args = parser.parse_args(argv)
    records = read_corpus(args.corpus)
    edit_set = build_edit_set(
        records,
        seed=args.seed,
        copies_per_strength=args.copies,
        negatives_per_kind=args.negatives,
        exclude=copied_already(records),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for record in [*records, *edit_set.articles]:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (args.out / "pairs.jsonl").open("w", encoding="utf-8") as f:
        for pair in edit_set.pairs:
            f.write(json.dumps(pair) + "\n")
    print(f"{len(edit_set.articles)} generated articles, {len(edit_set.pairs)} pairs in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
