"""The real embedding model, loaded offline from its package."""

from pathlib import Path

import numpy as np
import pytest

from vectorstore.embeddings import DIMENSIONS, LocalEmbeddings, ModelError, model_path, verify_weights

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model() -> LocalEmbeddings:
    return LocalEmbeddings(batch_size=8, threads=1).load()


def test_vectors_are_normalized_and_meaningful(model: LocalEmbeddings):
    vectors = model.embed_array(
        [
            "Rwanda is in talks with the United States about accepting deported migrants.",
            "Kigali is negotiating with Washington to take in migrants expelled by the US.",
            "The football club signed a new striker for the season.",
        ]
    )
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    query = np.array(model.embed_query("Is Rwanda taking migrants from the US?"))
    assert query @ vectors[0] > query @ vectors[2]


def test_chosen_precision_matches_fp32(model: LocalEmbeddings):
    texts = ["Quarterly profits at the media group rose 76% to $1.13bn.", "What did the minister say?"]
    fp32 = LocalEmbeddings(batch_size=8, threads=1, dtype="fp32").load()
    assert fp32.dtype == "fp32"
    assert model.dtype in {"bf16", "fp32"}
    cosine = (model.embed_array(texts) * fp32.embed_array(texts)).sum(axis=1)
    assert cosine.min() >= 0.999


def test_overlong_text_is_refused_not_truncated(model: LocalEmbeddings):
    with pytest.raises(ValueError, match="exceed the model's 256 word pieces"):
        model.embed_array(["word " * 400])


def test_token_ids_match_the_models_tokenizer(model: LocalEmbeddings):
    texts = ["Olivier J.P. Nduhungirehe, Rwanda’s foreign minister", "£600m", ""]
    expected = model._model.tokenizer(texts)["input_ids"]
    assert model.token_ids(texts) == expected
    assert model.count_tokens(texts) == [len(ids) for ids in expected]


def test_weights_with_another_hash_are_refused(tmp_path: Path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelError, match="refusing to load"):
        verify_weights(tmp_path)
    verify_weights(model_path())  # the installed package passes


def test_given_token_ids_are_embedded_as_the_model_would_its_own_tokens(model: LocalEmbeddings):
    texts = [
        "Rwanda's foreign minister said the talks were at an early stage.",
        "A short one.",
        "Flooding in Yellowstone National Park washed out roads and bridges this week, officials said.",
    ]
    ids = model.token_ids(texts)
    reference = model.encode(texts)  # sentence-transformers tokenizing and batching by itself
    # Some ids given, some not; order kept even though batches are formed by length.
    given = model.embed_array(texts, token_ids=[ids[0], None, ids[2]])
    assert (given * reference).sum(axis=1).min() > 0.9999
    # The given ids are what is embedded, not a re-tokenization of the text.
    swapped = model.embed_array(texts[:2], token_ids=[ids[1], ids[0]])
    assert (swapped[0] @ reference[1]) > 0.9999 and (swapped[1] @ reference[0]) > 0.9999


def test_given_ids_longer_than_the_window_are_refused(model: LocalEmbeddings):
    with pytest.raises(ValueError, match="exceed"):
        model.embed_array(["a short text"], token_ids=[[101] + [2000] * 300 + [102]])


def test_a_question_retrieval_embedded_is_compared_with_sentences_without_embedding_it_again(
    model: LocalEmbeddings,
):
    from assistant.evidence import Sentence, closest_sentence

    question = "Which wildly popular show was green lit for a second season?"
    assert model.recent_query(question) is None
    model.embed_query(question)
    known = model.recent_query(question)
    assert known is not None and known.shape == (DIMENSIONS,)
    embedded: list[str] = []

    def embed(texts):
        embedded.extend(texts)
        return model.embed_array(texts)

    text = "Netflix said the wildly popular South Korean show is green lit for a second season."
    sentences = [Sentence(0, 0, len(text), text, 0, frozenset())]
    reused = closest_sentence(embed, question, sentences, model.recent_query)
    assert question not in embedded and len(embedded) == 1
    again = closest_sentence(embed, question, sentences)
    assert question in embedded
    assert reused is not None and again is not None and abs(reused - again) < 2e-3


def test_only_the_latest_queries_are_kept(model: LocalEmbeddings):
    from vectorstore.embeddings import RECENT_QUERIES

    for i in range(RECENT_QUERIES + 1):
        model.embed_query(f"query number {i}")
    assert model.recent_query("query number 0") is None
    assert model.recent_query(f"query number {RECENT_QUERIES}") is not None
