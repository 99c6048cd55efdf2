"""Load articles from files and folders: text, markdown, HTML, JSON and JSONL.

Every bad input becomes a :class:`Skipped` with a reason a person understands; no exception escapes
:func:`load`. Every string of every article (text, fields, metadata, ids from paths) is valid Unicode. Article ids follow the contract in the design notes: a record's ``id`` (or ``doc_id``);
a file's path relative to the folder that was passed, without its extension (``sub/story``); a file
passed on its own gives its stem.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.text import valid_text, valid_value
from core.types import Article
from ingest.records import Unloadable, json_type, parse_json, record_article

log = logging.getLogger(__name__)

TEXT_TYPES = (".txt", ".md")
HTML_TYPES = (".html", ".htm")
SUPPORTED = (*TEXT_TYPES, *HTML_TYPES, ".json", ".jsonl")
_TITLE_SCAN_LINES = 5
_TITLE_MAX_CHARS = 120
_HEADING = re.compile(r"^#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
_BOLD_LINE = re.compile(r"^(\*\*|__)((?:(?!\1).)+)\1$")
_BOM = b"\xef\xbb\xbf"
# Page furniture removed before extraction, so that a page without an article yields nothing instead
# of trafilatura's fallback picking up the menu.
_HTML_PRUNE = [
    "//nav",
    "//aside",
    "//header[not(ancestor::article)]",
    "//footer[not(ancestor::article)]",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='search']",
]


@dataclass(frozen=True)
class Skipped:
    path: str  # file path, or "file.jsonl:LINE" / "file.json[INDEX]" for a bad record
    reason: str  # one sentence a person understands


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0  # files looked at (supported or not)


@dataclass
class _Loader:
    max_file_bytes: int
    max_article_chars: int
    result: LoadResult = field(default_factory=LoadResult)
    seen: dict[str, str] = field(default_factory=dict)  # article id -> where it was loaded from

    def skip(self, where: str, reason: str) -> None:
        where, reason = valid_text(where), valid_text(reason)  # paths may hold undecodable bytes
        log.warning("skipped %s: %s", where, reason)
        self.result.skipped.append(Skipped(where, reason))

    def add(self, article: Article, where: str) -> None:
        article = _valid_article(article)
        if not article.text.strip():
            self.skip(where, "the article text is empty (only control characters)")
        elif len(article.text) > self.max_article_chars:
            self.skip(
                where,
                f"the article text is {len(article.text):,} characters, over the limit of "
                f"{self.max_article_chars:,} (setting NEWSROOM_MAX_ARTICLE_CHARS)",
            )
        elif article.id in self.seen:
            self.skip(
                where, f"duplicate article id {article.id!r} (already loaded from {self.seen[article.id]})"
            )
        else:
            self.seen[article.id] = where
            self.result.articles.append(article)

    def load_file(self, path: Path, article_id: str) -> None:
        self.result.files += 1
        try:
            self._load_file(path, article_id)
        except Unloadable as skip:
            self.skip(str(path), str(skip))
        except PermissionError:
            self.skip(str(path), "permission denied: the file cannot be read")
        except OSError as exc:
            self.skip(str(path), f"the file cannot be read ({exc.strerror or exc})")
        except Exception as exc:  # a parser bug must not stop the whole load
            log.exception("unexpected error loading %s", path)
            self.skip(str(path), f"unexpected error while reading it ({type(exc).__name__}: {exc})")

    def _load_file(self, path: Path, article_id: str) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED:
            kind = suffix or "(no extension)"
            raise Unloadable(f"unsupported file type {kind}; supported: {' '.join(SUPPORTED)}")
        size = path.stat().st_size
        if size == 0:
            raise Unloadable("empty file")
        if suffix == ".jsonl":
            self._load_jsonl(path, article_id)
            return
        if size > self.max_file_bytes:
            raise Unloadable(
                f"the file is {_mb(size)}, over the limit of {_mb(self.max_file_bytes)} "
                "(setting NEWSROOM_MAX_FILE_MB)"
            )
        data = path.read_bytes()
        if not data.removeprefix(_BOM).strip():
            raise Unloadable("the file contains only whitespace")
        if suffix in HTML_TYPES:
            self.add(_html_article(data, article_id, path), str(path))
        elif suffix == ".json":
            self._load_json(path, article_id, _decode(data))
        else:
            self.add(_text_article(_decode(data), article_id, path), str(path))

    def _load_json(self, path: Path, file_id: str, text: str) -> None:
        data = parse_json(text)
        if isinstance(data, dict):
            self._record(data, file_id, path, str(path))
        elif isinstance(data, list):
            for i, item in enumerate(data):
                self._record(item, f"{file_id}/{i}", path, f"{path}[{i}]")
        else:
            raise Unloadable(f"expected a JSON object or a list of objects, got {json_type(data)}")

    def _load_jsonl(self, path: Path, file_id: str) -> None:
        with path.open("rb") as f:
            if b"\x00" in f.read(8192):
                raise Unloadable(_BINARY)
            f.seek(0)
            records = 0
            for lineno, raw in enumerate(f, 1):
                if raw.strip():
                    records += 1
                    self._jsonl_line(raw, lineno, file_id, path)
        if not records:
            raise Unloadable("the file contains only whitespace")

    def _jsonl_line(self, raw: bytes, lineno: int, file_id: str, path: Path) -> None:
        where = f"{path}:{lineno}"
        try:
            data = parse_json(_decode(raw), line=True)
        except Unloadable as skip:
            self.skip(where, str(skip))
        else:
            self._record(data, f"{file_id}/{lineno}", path, where)

    def _record(self, data: Any, fallback_id: str, path: Path, where: str) -> None:
        try:
            article = record_article(data, fallback_id, path)
        except Unloadable as skip:
            self.skip(where, str(skip))
        else:
            self.add(article, where)


def load(
    paths: Sequence[str | Path],
    *,
    max_file_bytes: int = 20 * 2**20,
    max_article_chars: int = 1_000_000,
) -> LoadResult:
    """Load every supported file under ``paths`` (files and folders, folders recursively)."""
    loader = _Loader(max_file_bytes, max_article_chars)
    for raw in paths:
        path = Path(raw)
        try:
            targets = list(_targets(path))
        except Unloadable as skip:
            loader.skip(str(path), str(skip))
            continue
        for file, article_id in targets:
            loader.load_file(file, article_id)
    log.info(
        "loaded %d articles from %d files (%d skipped)",
        len(loader.result.articles),
        loader.result.files,
        len(loader.result.skipped),
    )
    return loader.result


def _targets(path: Path) -> Iterator[tuple[Path, str]]:
    """The files to load for one given path, each with its article id."""
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as exc:
        raise Unloadable(f"the path cannot be read ({exc.strerror or exc})") from None
    if not exists:
        raise Unloadable("no such file or folder")
    if not is_dir:
        if not path.is_file():
            raise Unloadable("not a regular file or folder")
        yield path, path.stem
        return
    for file in _walk(path):
        rel = file.relative_to(path).with_suffix("")
        yield file, rel.as_posix()


def _walk(folder: Path) -> list[Path]:
    """Files under ``folder``, recursively, without hidden files and folders, in sorted order."""
    files: list[Path] = []

    def onerror(exc: OSError) -> None:
        log.warning("cannot list %s: %s", exc.filename, exc.strerror)

    for root, dirs, names in os.walk(folder, onerror=onerror):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root, n) for n in names if not n.startswith("."))
    return sorted(files, key=lambda f: f.relative_to(folder).parts)


# --- decoding -------------------------------------------------------------------------------------

_BINARY = "binary file (it contains NUL bytes); if it is text, save it as UTF-8"


def _decode(data: bytes) -> str:
    """UTF-8 text without a BOM; raises Unloadable for binary, undecodable or blank input."""
    if b"\x00" in data:
        raise Unloadable(_BINARY)
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[offset + exc.start]
        raise Unloadable(
            f"not valid UTF-8 (invalid byte 0x{byte:02x} at offset {offset + exc.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise Unloadable("the file contains only whitespace")
    return text


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


# --- text and markdown ----------------------------------------------------------------------------


def _text_article(text: str, article_id: str, path: Path) -> Article:
    return Article(id=article_id, text=text, title=_title(text), extra={"path": str(path)})


def _title(text: str) -> str:
    """The first heading among the first lines, else the first bold line, else the first line."""
    lines = [s for line in text.splitlines() if (s := line.strip())][:_TITLE_SCAN_LINES]
    for line in lines:
        if m := _HEADING.match(line):
            return _unbold(m.group(1))
    for line in lines:
        if m := _BOLD_LINE.match(line):
            return m.group(2).strip()
    return _shorten(lines[0]) if lines else ""


def _unbold(line: str) -> str:
    m = _BOLD_LINE.match(line)
    return m.group(2).strip() if m else line


def _shorten(line: str) -> str:
    """A first line used as the title, cut at a word when it is a whole paragraph."""
    if len(line) <= _TITLE_MAX_CHARS:
        return line
    return line[:_TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"


# --- HTML -----------------------------------------------------------------------------------------


def _html_article(data: bytes, article_id: str, path: Path) -> Article:
    import trafilatura  # heavy import, only when HTML is loaded

    if b"\x00" in data:
        raise Unloadable(_BINARY)
    try:
        content: str | bytes = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        content = data  # trafilatura honours the charset the page declares
    doc = trafilatura.bare_extraction(
        content, with_metadata=True, include_comments=False, prune_xpath=_HTML_PRUNE
    )
    text = getattr(doc, "text", None) or ""
    paragraphs = [s for line in text.splitlines() if (s := line.strip())]
    if not paragraphs:
        raise Unloadable("no article text found in the HTML (only scripts, navigation or boilerplate)")
    extra: dict[str, Any] = {"path": str(path)}
    if author := getattr(doc, "author", None):
        extra["author"] = author
    return Article(
        id=article_id,
        text="\n\n".join(paragraphs),
        title=getattr(doc, "title", None) or "",
        url=getattr(doc, "url", None) or "",
        source=getattr(doc, "sitename", None) or "",
        published=getattr(doc, "date", None) or "",
        extra=extra,
    )


# --- validity ---------------------------------------------------------------------------------------


def _valid_article(article: Article) -> Article:
    """Every string of the article valid Unicode: the one place all formats pass through."""
    return Article(
        id=valid_text(article.id),
        text=valid_text(article.text),
        title=valid_text(article.title),
        url=valid_text(article.url),
        source=valid_text(article.source),
        published=valid_text(article.published),
        extra=valid_value(article.extra),
    )
