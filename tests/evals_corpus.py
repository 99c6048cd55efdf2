"""A small eval corpus (one near-duplicate pair) and question set, and ``python -m evals`` run on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

LIBRARY = """Harbour Town's central library will close for eighteen months from March while its roof, heating and
lifts are replaced, the borough council confirmed on Monday.

The 1930s building lends more than 200,000 books a year and is used by about 1,500 people a day, many
of them students who rely on its free computers and study rooms during exam season.

A temporary library will open in the former post office on King Street, with a smaller collection,
twenty computers and a children's corner.

"Nobody wanted to shut the doors, but the roof has been leaking into the reading room for three
winters," said the council's culture lead, David Osei.

The works will cost 7.5 million pounds, two thirds of it from a national heritage grant."""

LIBRARY_COPY = LIBRARY.replace("confirmed on Monday", "said on Monday").replace(
    "a children's corner", "a small children's corner"
)

FERRY = """The harbour ferry to Kellsey Island will run twice an hour from May, the operator Bluewater Lines said.

Passenger numbers rose by a third last summer, and a second boat was bought from a Norwegian shipyard
for 4 million pounds.

The new boat, named Skylark, carries 300 passengers and can sail in stronger winds than the old ferry.

Bluewater Lines chief executive Maria Lund said the timetable would be reviewed in October."""

CHIPS = """Shares in chipmaker Veltron jumped 18% on Tuesday after the company reported record quarterly sales
of 2.1 billion dollars.

Demand for its data-centre processors doubled compared with a year earlier, chief financial officer Ken
Aldous told analysts.

Veltron said it would build a new factory in Arizona, creating about 1,200 jobs by 2027."""

CORPUS = [
    {"id": "library", "title": "Harbour Town library to close", "text": LIBRARY, "published": "2024-02-05"},
    {
        "id": "library-copy",
        "title": "Harbour Town library to close",
        "text": LIBRARY_COPY,
        "published": "2024-02-05",
    },
    {"id": "ferry", "title": "Kellsey ferry to run twice an hour", "text": FERRY, "published": "2024-03-01"},
    {"id": "chips", "title": "Veltron shares jump on record sales", "text": CHIPS, "published": "2024-04-10"},
]

QUESTIONS = [
    {
        "id": "cost",
        "question": "How much will the library works cost?",
        "answers": ["7.5 million pounds"],
        "gold_article_ids": ["library"],  # a near-duplicate copy of the indexed article
        "answerable": True,
    },
    {
        "id": "boat",
        "question": "What is the name of the new Kellsey ferry boat?",
        "answers": ["Skylark"],
        "gold_article_ids": ["ferry"],
        "answerable": True,
        "asked_on": "2024-06-01",
    },
    {
        "id": "factory",
        "question": "Where will Veltron build a new factory?",
        "answers": ["Arizona."],
        "gold_article_ids": ["chips"],
        "answerable": True,
    },
    {
        "id": "cup",
        "question": "Who won the 2022 Stanley Cup final?",
        "answers": [],
        "gold_article_ids": [],
        "answerable": False,
    },
    {
        "id": "follow-up",
        "question": "How many passengers does it carry?",
        "answers": ["300"],
        "gold_article_ids": ["ferry"],
        "answerable": True,
        "history": [
            {"role": "user", "content": "What is the name of the new Kellsey ferry boat?"},
            {"role": "assistant", "content": "The new boat, named Skylark, carries 300 passengers. [1]"},
        ],
    },
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_evals(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m evals ARGS`` in ``cwd``, offline, with no NEWSROOM_ settings from this environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSROOM_")}
    return subprocess.run(
        [sys.executable, "-m", "evals", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
