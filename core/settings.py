"""One settings object for the whole product, built once and passed down.

Every field can be overridden by an environment variable ``NEWSROOM_<FIELD>`` (or a ``.env`` file);
command-line flags override both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSROOM_", env_file=".env", extra="ignore")

    # Where the index lives: Chroma (embedded) plus the article store and BM25 beside it.
    index_dir: Path = Path("data/index")
    # A Chroma server (``chroma run``) instead of the embedded one, e.g. http://127.0.0.1:8000.
    chroma_url: str | None = None
    collection: str = "articles"
    articles_dir: Path = Path("data/articles")

    # Embedding model (all-MiniLM-L6-v2, 256 word pieces: chunks are measured to fit, never truncated).
    embed_threads: int = Field(0, ge=0, description="torch threads; 0 = all cores")
    query_threads: int = Field(
        1, ge=0, description="torch threads for one query embedding; 0 = as embed_threads"
    )
    embed_dtype: str = Field("auto", pattern="^(auto|bf16|fp32)$")
    # Word pieces a chunk aims at (it always fits the model's window, title included).
    chunk_target_tokens: int = Field(200, ge=16)

    # Processes that clean and chunk new articles in a large ingest; 0 = one per core.
    ingest_workers: int = Field(0, ge=0)

    # Near-duplicate detection (MinHash over word 5-shingles, confirmed by true Jaccard).
    near_dup_threshold: float = Field(0.8, gt=0.0, le=1.0)

    # Retrieval (assistant/retrieve.py): dense + BM25 candidates fused by reciprocal rank.
    retrieve_mode: str = Field("hybrid", pattern="^(hybrid|dense|bm25)$")
    retrieve_k: int = Field(10, ge=1, description="passages handed to the answerer")

    # Bad-input limits.
    max_file_mb: float = Field(20.0, gt=0)
    max_article_chars: int = Field(1_000_000, gt=0)

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    log_level: str = "INFO"

    # Answers.
    answer_max_sentences: int = Field(3, ge=1, le=10)
    max_question_chars: int = Field(1000, ge=10)

    # Language-model answers (optional; README "Language-model answers"). extractive = no model.
    answerer: str = Field("extractive", pattern="^(extractive|openai|ollama|local)$")
    # rewrite: the model rewords the verified extracted sentences; rag: it reads the top passages and answers.
    llm_mode: str = Field("rewrite", pattern="^(rewrite|rag)$")
    # openai: the server's /v1 URL (unset = OpenAI); ollama: default http://127.0.0.1:11434.
    llm_base_url: str | None = None
    # Default: gpt-4o-mini (openai), llama3.2 (ollama), the bundled SmolLM2-135M-Instruct (local).
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("llm_api_key", "NEWSROOM_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_timeout_s: float = Field(30.0, gt=0, description="the whole model call; slower falls back")
    llm_max_tokens: int = Field(256, ge=16)
    llm_threads: int = Field(0, ge=0, description="local model CPU threads; 0 = all cores")
    llm_passages: int = Field(3, ge=1, le=10, description="rag: top passages the model reads")
    # Let the model rewrite a follow-up into a standalone question (the rules still resolve the rest).
    llm_condense: bool = True

    # Web app (app.py, web/): who may embed it, who may call it, where it writes feedback.
    # Origins allowed to call the API and embed the widget (CORS and CSP frame-ancestors), comma-separated.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # When set, /api/* needs "Authorization: Bearer <token>".
    api_token: SecretStr | None = None
    # When both are set, the full chat UI asks for this login (the widget stays open to allowed origins).
    ui_user: str | None = None
    ui_password: SecretStr | None = None
    # Needed to upload articles in the UI's Articles tab when any auth is on (else uploads are off).
    admin_token: SecretStr | None = None
    # Public path prefix when served behind a reverse proxy, e.g. /newsroom.
    root_path: str = ""
    feedback_path: Path = Path("data/feedback/feedback.jsonl")
    # Conversations (threads) kept server-side, a SQLite file; unset = threads.sqlite3 in index_dir.
    threads_path: Path | None = None
    # Questions answered at once (REST and UI together); the rest wait in line.
    web_concurrency: int = Field(4, ge=1, le=64)
    # Seconds between checks for a newer index generation another process wrote (docs/deploy.md); 0 = every request.
    generation_check_s: float = Field(1.0, ge=0)
    # Replicas on other hosts (docs/deploy.md "Past one host"). The writer publishes an immutable snapshot
    # of the store and lexical index per generation in snapshot_dir (served read-only over HTTP), keeping
    # the newest snapshot_keep; a replica with snapshot_url pulls the newest every snapshot_check_s
    # seconds into its own index_dir and switches to it between requests (vectors: chroma_url).
    snapshot_dir: Path | None = None
    snapshot_keep: int = Field(3, ge=1)
    snapshot_url: str | None = None
    snapshot_check_s: float = Field(5.0, gt=0)

    # --- Limits: what one web request may carry (REST, chat and widget alike; docs/security.md) ---
    # (The question itself: max_question_chars above; one uploaded file: max_file_mb.)
    # Bytes in one /api/* request body, counted as received whatever the framing; more → 413.
    max_api_body_bytes: int = Field(1_000_000, ge=1024)
    # Bytes in one request body of the chat's and widget's events (their history travels in it).
    max_ui_body_bytes: int = Field(4_000_000, ge=1024)
    # Conversation turns sent with a question: REST refuses more (400); the chat keeps the latest.
    max_history_turns: int = Field(50, ge=0)
    # Characters in one conversation turn; a longer turn is refused (REST 400, chat a notice).
    max_turn_chars: int = Field(20_000, ge=100)
    # Files in one upload request of the Articles tab (only .txt .md .html .htm .json .jsonl).
    max_upload_files: int = Field(100, ge=1)

    # --- Web sources and sync (python -m ingest URL... / sync; docs/ingest.md "Web sources") ---
    # Minutes between background syncs of every source while the app runs; 0 = off.
    sync_interval: float = Field(0.0, ge=0)
    # Sent with every request; robots.txt rules for this agent are honoured.
    user_agent: str = "NewsroomAssistant/0.1 (newsroom archive sync)"
    # Connect and read timeout of one request, and the longest a whole response may take.
    fetch_timeout_s: float = Field(20.0, gt=0)
    # Largest response body read (after decompression); larger pages go to "failed".
    fetch_max_mb: float = Field(10.0, gt=0)
    # Seconds between two requests to the same host (robots.txt Crawl-delay wins when longer).
    fetch_host_interval_s: float = Field(0.5, ge=0)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("root_path")
    @classmethod
    def _clean_root_path(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        return value if not value or value.startswith("/") else "/" + value


def settings_with(**overrides: object) -> Settings:
    """Settings from the environment with command-line values on top (``None`` = flag not given).

    An invalid value raises :class:`core.errors.InputError` naming the field, for a one-line CLI error.
    """
    from pydantic import ValidationError

    from core.errors import InputError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{'.'.join(map(str, first.get('loc', ())))}: {first.get('msg')}") from None
