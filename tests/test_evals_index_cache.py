"""The eval index cache key: it follows the corpus content and the settings that shape the index."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from evals.index_cache import cache_key
from tests.evals_corpus import CORPUS, write_jsonl


def test_cache_key_follows_corpus_content_and_index_settings(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    settings = Settings()
    key = cache_key(corpus, settings, "model")
    assert key == cache_key(
        corpus, settings.model_copy(update={"retrieve_k": 3, "retrieve_mode": "bm25"}), "model"
    )
    assert key != cache_key(corpus, settings.model_copy(update={"chunk_target_tokens": 100}), "model")
    assert key != cache_key(corpus, settings, "other-model")
    write_jsonl(corpus, CORPUS[:2])
    assert key != cache_key(corpus, settings, "model")
