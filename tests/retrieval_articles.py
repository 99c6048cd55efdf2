"""A small corpus of six news articles, indexed with the hashing embedder, for retrieval tests."""

from __future__ import annotations

import json
from pathlib import Path

from core.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from vectorstore.index import Index

SHARED = "Follow our live coverage of the council vote and the storm for updates through the night."

ARTICLES = [
    {
        "id": "budget",
        "title": "Council passes budget",
        "source": "Wire",
        "published": "2022-06-10",
        "url": "https://wire.example/budget",
        "text": "The city council approved a new budget on Tuesday after a long debate about school funding. "
        "Council member Ana Ruiz said the plan protects libraries and adds two bus routes.\n\n"
        "The budget totals 4.2 million dollars and takes effect in July.\n\n" + SHARED,
    },
    {
        "id": "storm",
        "title": "Storm cuts power",
        "source": "Daily Paper",
        "published": "2022-06-20",
        "text": "A storm knocked out power to thousands of homes in the valley overnight. "
        "Utility crews expect to restore service by Friday, a spokesperson said.\n\n"
        "Schools in three districts closed for the day while roads were cleared of fallen trees.\n\n"
        + SHARED.replace("storm", "Storm"),  # the same passage once normalized
    },
    {
        "id": "flood",
        "title": "Yellowstone flooding",
        "source": "Wire",
        "published": "2022-06-15",
        "text": "Severe flooding in Yellowstone National Park washed out roads and bridges this week. "
        "Rangers evacuated visitors from the northern entrance as the river rose.",
    },
    {
        "id": "hockey",
        "title": "Avalanche win the cup",
        "source": "Sports Desk",
        "published": "2022-06-27",
        "text": "The Colorado Avalanche beat the Tampa Bay Lightning to win the Stanley Cup. "
        "Goaltender Darcy Kuemper made twenty saves in the deciding game.",
    },
    {
        "id": "library",
        "title": "Library reopens",
        "source": "Daily Paper",
        "text": "The central library reopened after a two year renovation with a new reading garden. "
        "Librarians said the children's section doubled in size.",
    },
    {
        "id": "budget-later",
        "title": "Budget follow-up",
        "source": "Wire",
        "published": "2022-07-05",
        "text": "Two weeks after the council approved the budget, Ana Ruiz said the bus routes would start in "
        "August. The council will review school funding again next spring.",
    },
]


def build(tmp_path: Path, records: list[dict] | None = ARTICLES) -> Index:
    # One sentence a chunk, so articles have several passages and the shared paragraph is its own.
    settings = Settings(index_dir=tmp_path / "index", chunk_target_tokens=25)
    index = Index(settings.index_dir, HashingEmbedder(), collection=settings.collection)
    if records:
        folder = tmp_path / "articles"
        folder.mkdir()
        (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        ingest([folder], settings=settings, index=index)
    return index
