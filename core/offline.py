"""Nothing calls home: the environment that keeps Gradio, Hugging Face and Chroma offline."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "NO_PROXY": "localhost,127.0.0.1",
}


def go_offline() -> None:
    """Set the offline defaults (a value already in the environment wins); call before importing gradio,
    sentence-transformers or chromadb."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
