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


def test_token_counts_match_the_models_tokenizer(model: LocalEmbeddings):
    texts = ["Olivier J.P. Nduhungirehe, Rwanda’s foreign minister", "£600m", ""]
    expected = [len(ids) for ids in model._model.tokenizer(texts)["input_ids"]]
    assert model.count_tokens(texts) == expected


def test_weights_with_another_hash_are_refused(tmp_path: Path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelError, match="refusing to load"):
        verify_weights(tmp_path)
    verify_weights(model_path())  # the installed package passes


def test_measured_counts_are_checked_without_tokenizing_again(model: LocalEmbeddings):
    with pytest.raises(ValueError, match="exceed"):
        model.embed_array(["a short text"], token_counts=[300])
    assert model.embed_array(["a short text"], token_counts=[5]).shape == (1, DIMENSIONS)
