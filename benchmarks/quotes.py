"""Quote extraction on a labelled sample: precision and recall of speaker attribution per sentence.

python benchmarks/quotes.py [--corpus /work/shared/data/bbc/corpus.jsonl] [--json] [--verbose]

Ten BBC articles (two per section) the rules were written against, and held-out samples (below), every
sentence labelled by reading it: who speaks in it (a named
person or organisation, or a group the article names such as "Prosecutors"), or no one. Unnamed
speakers ("one dealer") count as no one. A sentence's predicted speaker is the canonical name the
extractor gives it; it is right when it is the labelled speaker (compared as lookup keys).

- precision: sentences attributed to the right speaker / sentences the extractor attributes
- recall: sentences attributed to the right speaker / labelled sentences with a speaker

Also times extraction over the whole corpus (articles per second), as ingest runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.sentences import split_sentences
from core.types import Article
from ingest.clean import clean
from ingest.quote_names import speaker_key
from ingest.quotes import extract_quotes

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc" / "corpus.jsonl"

# article id -> {sentence index in the cleaned text: speaker}; unlisted sentences: no one speaks.
LABELS: dict[str, dict[int, str]] = {
    "bbc/business/508": {2: "Prosecutors", 3: "Defence lawyers", 5: "Alice Martin", 8: "HealthSouth"},
    "bbc/business/384": {
        0: "Next",
        1: "Next",
        2: "Next",
        4: "Simon Wolfson",
        5: "Simon Wolfson",
        6: "Simon Wolfson",
        10: "Next",
        12: "Nick Bubb",
        13: "Nick Bubb",
    },
    "bbc/politics/114": {
        2: "Mark Ballard",
        6: "Mark Ballard",
        7: "Mark Ballard",
        8: "Mark Ballard",
        9: "Mark Ballard",
    },
    "bbc/politics/093": {i: "Charles Kennedy" for i in range(11)},
    "bbc/sport/373": {
        2: "Andy Robinson",
        3: "Andy Robinson",
        4: "Andy Robinson",
        5: "Andy Robinson",
        6: "Andy Robinson",
        9: "Jonny Wilkinson",
        10: "Jonny Wilkinson",
        11: "Jonny Wilkinson",
        12: "Jonny Wilkinson",
    },
    "bbc/sport/036": {
        2: "Victor Conte",
        3: "Jacques Rogge",
        5: "Dick Pound",
        6: "Dick Pound",
        7: "Marion Jones",
        8: "Marion Jones",
        9: "Marion Jones",
    },
    "bbc/tech/085": {
        8: "Jemima Rellie",
        10: "Richard Tateson",
        15: "Richard Tateson",
        16: "Richard Tateson",
        17: "Jemima Rellie",
    },
    "bbc/tech/373": {
        7: "National Hi-Tech Crime Unit",
        15: "Tim Ellsmore",
        16: "Tim Ellsmore",
        17: "Tim Ellsmore",
    },
    "bbc/entertainment/075": {6: "Elliot Grove", 7: "Elliot Grove"},
    "bbc/entertainment/121": {9: "Mark Robertson", 10: "Mark Robertson", 11: "Vic Galloway"},
}


# Two more samples, each labelled before the extractor had seen it, then measured once: the first
# measurement is the estimate for unseen copy (HELD_OUT: precision 0.76, recall 0.53; SECOND_HELD_OUT,
# labelled after the fixes HELD_OUT led to: precision 0.81, recall 0.68). Both then led to fixes, so the
# figures printed now are no longer estimates for unseen copy.
HELD_OUT: dict[str, dict[int, str]] = {
    "bbc/business/148": {6: "Vincenzo Lilliu", 7: "Vincenzo Lilliu", 8: "Reuters"},
    "bbc/politics/201": {
        0: "Michael Howard",
        1: "Nick Griffin",
        2: "Michael Howard",
        3: "Michael Howard",
        4: "Michael Howard",
        5: "Tories",
        8: "Liberal Democrats",
        9: "Nick Griffin",
        10: "Nick Griffin",
        11: "Michael Howard",
        12: "Michael Howard",
        13: "Michael Howard",
        14: "Michael Howard",
    },
    "bbc/sport/345": {
        1: "Jonny Wilkinson",
        2: "Rob Andrew",
        3: "Rob Andrew",
        8: "Rob Andrew",
        9: "Rob Andrew",
        10: "Rob Andrew",
        11: "Rob Andrew",
        12: "Rob Andrew",
    },
    "bbc/tech/258": {2: "Critics", 3: "Critics", 7: "Critics", 8: "Eva Lichtenberg", 9: "Eva Lichtenberg"},
    "bbc/entertainment/250": {4: "Rolling Stone"},
    "bbc/politics/329": {
        0: "Lynton Crosby",
        1: "Times",
        2: "Lynton Crosby",
        3: "Michael Howard",
        6: "Lynton Crosby",
        7: "Lynton Crosby",
    },
}


SECOND_HELD_OUT: dict[str, dict[int, str]] = {
    "bbc/business/066": {
        1: "Ifo",
        4: "Bernd Weidensteiner",
        5: "Bernd Weidensteiner",
        6: "Wolfgang Clement",
        7: "Wolfgang Clement",
        10: "Hans-Werner Sinn",
        13: "Analysts",
    },
    "bbc/politics/323": {
        0: "Charles Kennedy",
        1: "Charles Kennedy",
        **{i: "Robin Cook" for i in range(3, 12)},
    },
    "bbc/sport/141": {0: "Rafael Benitez", 1: "Steven Gerrard", **{i: "Rafael Benitez" for i in range(2, 9)}},
    "bbc/tech/194": {
        2: "Microsoft",
        5: "Microsoft",
        6: "Microsoft",
        10: "Alex Hilton",
        12: "David Frost",
        14: "Microsoft",
    },
    "bbc/entertainment/246": {6: "Scotland Yard"},
    "bbc/business/275": {
        1: "German Federal Labour Agency",
        6: "Christian Jasperneite",
        7: "Christian Jasperneite",
    },
}


# Labelled after the fixes both led to, measured once, and not used to change the rules since: what the
# extractor does with copy it has not seen.
THIRD_HELD_OUT: dict[str, dict[int, str]] = {
    "bbc/business/045": {5: "Kyle Cooper", 6: "Ed Silliere"},
    "bbc/politics/401": {
        1: "Andrew Marr",
        3: "Downing Street",
        4: "Number 10",
        8: "Andrew Marr",
        9: "Andrew Marr",
    },
    "bbc/sport/350": {3: "Marco Bollesan", 4: "Marco Bollesan", 5: "Marco Bollesan"},
    "bbc/tech/179": {
        8: "Cynthia Musselman",
        9: "Cynthia Musselman",
        12: "Cynthia Musselman",
        13: "Cynthia Musselman",
    },
    "bbc/entertainment/237": {
        0: "Beverley Knight",
        2: "Beverley Knight",
        3: "Roni Size",
        4: "Home Office",
        5: "Beverley Knight",
        6: "Beverley Knight",
        9: "Roni Size",
        10: "Roni Size",
    },
    "bbc/politics/064": {
        0: "Tony Blair",
        2: "Tony Blair",
        6: "Tony Blair",
        7: "Tony Blair",
        8: "Tony Blair",
        10: "Turkey",
        12: "EU",
    },
}


def _cleaned(record: dict) -> str:
    article = Article(id=record["id"], text=record["text"], title=record.get("title", ""))
    return clean(article).article.text


def measure(
    records: dict[str, dict],
    labels_by_article: dict[str, dict[int, str]] | None = None,
    *,
    verbose: bool = False,
) -> dict[str, float | int]:
    right = predicted = labelled = 0
    for article_id, labels in (LABELS if labels_by_article is None else labels_by_article).items():
        text = _cleaned(records[article_id])
        by_start = {q.start: q for q in extract_quotes(text)}
        for index, (start, end) in enumerate(split_sentences(text)):
            gold = labels.get(index)
            quote = by_start.get(start)
            guess = quote.canonical if quote else None
            ok = gold is not None and guess is not None and speaker_key(gold) == speaker_key(guess)
            labelled += gold is not None
            predicted += guess is not None
            right += ok
            if verbose and (gold or guess) and not ok:
                print(f"{article_id} {index}: labelled {gold!r}, extracted {guess!r}: {text[start:end][:90]}")
    return {
        "sentences_labelled": labelled,
        "sentences_attributed": predicted,
        "attributed_right": right,
        "precision": round(right / predicted, 4) if predicted else 0.0,
        "recall": round(right / labelled, 4) if labelled else 0.0,
    }


def throughput(records: dict[str, dict]) -> dict[str, float]:
    texts = [_cleaned(r) for r in records.values()]
    started = time.perf_counter()
    quotes = sum(len(extract_quotes(t)) for t in texts)
    seconds = time.perf_counter() - started
    return {
        "articles": len(texts),
        "quotes": quotes,
        "extract_s": round(seconds, 3),
        "articles_per_s": round(len(texts) / seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every wrong or missed sentence")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"{args.corpus} is absent: nothing to measure", file=sys.stderr)
        return 0
    records = {r["id"]: r for r in map(json.loads, args.corpus.read_text(encoding="utf-8").splitlines())}
    held_out = {f"held_out_{k}": v for k, v in measure(records, HELD_OUT, verbose=args.verbose).items()}
    unseen = {f"second_{k}": v for k, v in measure(records, SECOND_HELD_OUT, verbose=args.verbose).items()}
    third = {f"third_{k}": v for k, v in measure(records, THIRD_HELD_OUT, verbose=args.verbose).items()}
    result = {**measure(records, verbose=args.verbose), **held_out, **unseen, **third, **throughput(records)}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
