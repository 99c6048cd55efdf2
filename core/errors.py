"""The one exception tree: every error we raise on purpose, and how each edge reports it.

Each kind carries its HTTP status and CLI exit code, so the REST API, the CLIs and the UI map errors in
one place (``web.api``, ``core.errors.exit_code``, ``web.ui``) instead of listing classes. Messages say
what to do.
"""

from __future__ import annotations


class NewsroomError(Exception):
    """Base of every error raised on purpose; ``str(exc)`` is meant for the user."""

    http_status = 500
    exit_code = 1


class InputError(NewsroomError, ValueError):
    """Bad input: a question, filter, file, flag or record we cannot use."""

    http_status = 400
    exit_code = 2


class NotReady(NewsroomError):
    """The index cannot answer yet (empty, or being repaired)."""

    http_status = 503
    exit_code = 1


class EmptyIndex(NotReady):
    """Nothing is indexed yet; the message names the command that fixes it."""

    def __init__(self, index_dir: object, articles_dir: object) -> None:
        super().__init__(f"No articles indexed in {index_dir} — run: python -m ingest {articles_dir}")


class Busy(NewsroomError):
    """Another process holds what this one needs (the index's writer lock)."""

    http_status = 409
    exit_code = 3


class Unavailable(NewsroomError, RuntimeError):
    """A part we depend on failed: the vector store, the embedding model, a language model."""

    http_status = 503
    exit_code = 1


def exit_code(exc: BaseException) -> int:
    """The CLI exit code for an error: its kind's code, or 1 for anything unexpected."""
    return exc.exit_code if isinstance(exc, NewsroomError) else 1
