"""ingest.load: ids, titles, formats, and a clear skip reason for every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.load import LoadResult, Skipped, load

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "articles" / "rwanda-us-deportation-talks.txt"

ARTICLE_HTML = """<!doctype html>
<html><head>
<title>Harbour Bridge Reopens - The Daily Tide</title>
<meta property="og:site_name" content="The Daily Tide">
<meta property="article:published_time" content="2024-05-01">
<link rel="canonical" href="https://tide.example/harbour-bridge">
<script>var tracker = "SCRIPTSECRET";</script>
<style>.x { color: red }</style>
</head><body>
<nav><ul><li><a href="/">NAVHOME</a></li><li><a href="/sport">NAVSPORT</a></li></ul></nav>
<article>
<h1>Harbour Bridge Reopens</h1>
<p>The harbour bridge reopened on Monday after six months of repairs that cost the city £600m.</p>
<p>Commuters said the new cycle lanes were a welcome change, and traffic flowed freely all morning.</p>
</article>
<footer>FOOTERTEXT All rights reserved.</footer>
<script>alert("SCRIPTTWO")</script>
</body></html>
"""

BOILERPLATE_HTML = """<html><head><script>var a = 1;</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav><script>track()</script></body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def ids(result: LoadResult) -> list[str]:
    return [a.id for a in result.articles]


def only_skip(result: LoadResult) -> Skipped:
    assert len(result.skipped) == 1, result.skipped
    return result.skipped[0]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one good article, beside which each test puts one bad input."""
    root = tmp_path / "articles"
    write(root / "good.txt", "Good title\n\nA good article body.\n")
    return root


# --- ids and folders ------------------------------------------------------------------------------


def test_folder_ids_are_relative_paths_without_extension(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    write(root / "x.txt", "X\n\nBody x.\n")
    write(root / "sub" / "y.md", "# Y\n\nBody y.\n")
    write(root / "sub" / "deeper" / "z.txt", "Z\n\nBody z.\n")
    result = load([root])
    assert ids(result) == ["sub/deeper/z", "sub/y", "x"]
    assert result.articles[2].extra["path"] == str(root / "x.txt")
    assert result.files == 3
    assert result.skipped == []


def test_single_file_id_is_its_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "nested" / "story.md", "# Story\n\nBody.\n")
    result = load([str(path)])
    assert ids(result) == ["story"]
    assert result.files == 1


def test_hidden_files_and_folders_are_ignored(folder: Path) -> None:
    write(folder / ".DS_Store", b"\x00\x01binary")
    write(folder / ".git" / "HEAD.txt", "ref: refs/heads/main\n")
    result = load([folder])
    assert ids(result) == ["good"]
    assert result.skipped == []
    assert result.files == 1


def test_seed_article_loads_with_its_bold_title() -> None:
    result = load([SEED.parent])
    assert ids(result) == ["rwanda-us-deportation-talks"]
    article = result.articles[0]
    assert article.title == "Rwanda Engages in Initial Discussions with U.S. to Accept Deported Migrants"
    assert article.text == SEED.read_text(encoding="utf-8")


# --- titles of .txt and .md -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("A subtitle line\n# The Heading\n\n**Bold line**\nBody.\n", "The Heading"),
        ("## **Bold heading** ##\nBody.\n", "Bold heading"),
        ("A subtitle line\n**The Bold Title**\n\nBody text.\n", "The Bold Title"),
        ("\n\n__Underscored Title__\nBody text.\n", "Underscored Title"),
        ("**Partly bold** and not\nPlain first line\n", "**Partly bold** and not"),
        ("\n  Plain first line  \nSecond line.\n", "Plain first line"),
    ],
)
def test_title_rules(tmp_path: Path, content: str, title: str) -> None:
    result = load([write(tmp_path / "a.md", content)])
    assert result.articles[0].title == title
    assert result.articles[0].text == content


def test_long_first_line_is_shortened_as_title(tmp_path: Path) -> None:
    line = "word " * 100
    result = load([write(tmp_path / "a.txt", line + "\n")])
    title = result.articles[0].title
    assert title.endswith("…")
    assert len(title) <= 121


# --- HTML -----------------------------------------------------------------------------------------


def test_html_main_text_and_metadata(folder: Path) -> None:
    write(folder / "bridge.html", ARTICLE_HTML)
    result = load([folder])
    assert ids(result) == ["bridge", "good"]
    article = result.articles[0]
    assert "The harbour bridge reopened on Monday" in article.text
    assert "£600m.\n\nCommuters said" in article.text  # paragraphs stay apart
    for junk in ("NAVHOME", "NAVSPORT", "SCRIPTSECRET", "SCRIPTTWO", "color: red"):
        assert junk not in article.text
    assert article.title == "Harbour Bridge Reopens"
    assert article.url == "https://tide.example/harbour-bridge"
    assert article.source == "The Daily Tide"
    assert article.published == "2024-05-01"
    assert article.extra["path"] == str(folder / "bridge.html")


def test_html_with_only_scripts_and_navigation_is_skipped(folder: Path) -> None:
    write(folder / "empty.htm", BOILERPLATE_HTML)
    result = load([folder])
    assert ids(result) == ["good"]
    skip = only_skip(result)
    assert skip.path == str(folder / "empty.htm")
    assert skip.reason == "no article text found in the HTML (only scripts, navigation or boilerplate)"


def test_html_in_its_declared_charset(tmp_path: Path) -> None:
    page = ARTICLE_HTML.replace("<head>", '<head><meta charset="windows-1252">').replace("£", "café ")
    result = load([write(tmp_path / "cp1252.html", page.encode("cp1252"))])
    assert "cost the city café 600m." in result.articles[0].text


# --- JSON and JSONL -------------------------------------------------------------------------------


def test_jsonl_records_fields_ids_and_extra(tmp_path: Path) -> None:
    lines = [
        {"id": "a1", "title": "T", "text": "Text one.", "url": "u", "source": "s", "published": "p", "k": 1},
        {"doc_id": "d2", "text": "Text two."},
        {"text": "Text three, no id."},
        {"id": 7, "text": "Numeric id."},
    ]
    path = write(tmp_path / "corpus.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n")
    result = load([path])
    assert ids(result) == ["a1", "d2", "corpus/3", "7"]
    first = result.articles[0]
    assert (first.title, first.text, first.url, first.source, first.published) == (
        "T",
        "Text one.",
        "u",
        "s",
        "p",
    )
    assert first.extra == {"path": str(path), "k": 1}


def test_jsonl_malformed_line_is_skipped_and_good_lines_load(tmp_path: Path) -> None:
    path = write(
        tmp_path / "corpus.jsonl",
        '{"id": "a", "text": "Fine."}\n{"id": "b", "text": \n\n["not", "an object"]\n{"id": "c", "text": "Fine too."}\n',
    )
    result = load([path])
    assert ids(result) == ["a", "c"]
    assert [s.path for s in result.skipped] == [f"{path}:2", f"{path}:4"]
    assert result.skipped[0].reason.startswith("not valid JSON (")
    assert result.skipped[1].reason == "expected a JSON object for the record, got a list"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "x", "title": "No text"}, 'the record has no "text" field'),
        ({"id": "x", "text": "   "}, 'the record "text" is empty'),
        ({"id": "x", "text": 42}, 'the record "text" must be a string, got a number'),
        ({"id": "x", "text": ["a"]}, 'the record "text" must be a string, got a list'),
    ],
)
def test_record_without_usable_text_is_skipped(tmp_path: Path, record: dict, reason: str) -> None:
    path = write(tmp_path / "c.jsonl", json.dumps(record) + '\n{"id": "ok", "text": "Good."}\n')
    result = load([path])
    assert ids(result) == ["ok"]
    assert only_skip(result) == Skipped(f"{path}:1", reason)


def test_json_list_and_single_record(folder: Path) -> None:
    write(folder / "list.json", json.dumps([{"id": "j1", "text": "One."}, {"text": "Two."}, {"title": "x"}]))
    write(folder / "one.json", json.dumps({"text": "Single.", "topic": "sport"}))
    result = load([folder])
    assert ids(result) == ["good", "j1", "list/1", "one"]
    assert result.articles[3].extra == {"path": str(folder / "one.json"), "topic": "sport"}
    assert only_skip(result) == Skipped(f"{folder / 'list.json'}[2]", 'the record has no "text" field')


def test_invalid_json_file_is_skipped(folder: Path) -> None:
    write(folder / "bad.json", '{"text": "unterminated}')
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result).reason.startswith("not valid JSON (Unterminated string")


def test_jsonl_is_streamed_without_the_file_limit_but_records_have_a_limit(tmp_path: Path) -> None:
    records = [{"id": "small", "text": "Short."}, {"id": "big", "text": "x" * 500}]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in records))
    result = load([path], max_file_bytes=10, max_article_chars=100)
    assert ids(result) == ["small"]
    skip = only_skip(result)
    assert skip.path == f"{path}:2"
    assert skip.reason == (
        "the article text is 500 characters, over the limit of 100 (setting NEWSROOM_MAX_ARTICLE_CHARS)"
    )


# --- bad input: each skipped with a clear reason, the good file beside it still loads --------------


def test_missing_path(folder: Path) -> None:
    missing = folder.parent / "nope"
    result = load([folder, missing])
    assert ids(result) == ["good"]
    assert only_skip(result) == Skipped(str(missing), "no such file or folder")


def test_empty_file(folder: Path) -> None:
    write(folder / "empty.txt", "")
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result) == Skipped(str(folder / "empty.txt"), "empty file")
    assert result.files == 2


def test_whitespace_only_file(folder: Path) -> None:
    write(folder / "blank.md", " \n\t\n  \n")
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result) == Skipped(str(folder / "blank.md"), "the file contains only whitespace")


def test_binary_file(folder: Path) -> None:
    write(folder / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result).reason == "binary file (it contains NUL bytes); if it is text, save it as UTF-8"


def test_invalid_utf8(folder: Path) -> None:
    write(folder / "latin1.txt", "Caf\u00e9 title\n".encode("latin-1"))
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result).reason == "not valid UTF-8 (invalid byte 0xe9 at offset 3); save it as UTF-8"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    result = load([write(tmp_path / "bom.txt", b"\xef\xbb\xbfTitle\n\nBody.\n")])
    assert result.articles[0].text == "Title\n\nBody.\n"
    assert result.articles[0].title == "Title"


def test_file_over_the_size_limit_is_skipped_without_reading(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = folder / "huge.txt"
    with big.open("w") as f:
        f.write("Title\n\nSome text.\n")
        f.truncate(50 * 2**20)
    read: list[Path] = []
    real_read_bytes = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result) == Skipped(
        str(big), "the file is 50.0 MB, over the limit of 20.0 MB (setting NEWSROOM_MAX_FILE_MB)"
    )
    assert big not in read


def test_unsupported_extension(folder: Path) -> None:
    write(folder / "report.pdf", b"%PDF-1.4")
    write(folder / "README", "no extension")
    result = load([folder])
    assert ids(result) == ["good"]
    assert [s.reason for s in result.skipped] == [
        "unsupported file type (no extension); supported: .txt .md .html .htm .json .jsonl",
        "unsupported file type .pdf; supported: .txt .md .html .htm .json .jsonl",
    ]
    assert result.files == 3


def test_duplicate_ids_keep_the_first(folder: Path) -> None:
    write(folder / "good.md", "# Same id\n\nOther body.\n")
    write(folder / "c.jsonl", '{"id": "r", "text": "One."}\n{"id": "r", "text": "Two."}\n')
    result = load([folder])
    assert ids(result) == ["r", "good"]
    assert result.articles[1].extra["path"] == str(folder / "good.md")  # sorted: good.md < good.txt
    assert [(s.path, s.reason) for s in result.skipped] == [
        (f"{folder / 'c.jsonl'}:2", f"duplicate article id 'r' (already loaded from {folder / 'c.jsonl'}:1)"),
        (str(folder / "good.txt"), f"duplicate article id 'good' (already loaded from {folder / 'good.md'})"),
    ]


def test_permission_error(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = write(folder / "locked.txt", "Title\n\nBody.\n")
    real_read_bytes = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    result = load([folder])
    assert ids(result) == ["good"]
    assert only_skip(result) == Skipped(str(locked), "permission denied: the file cannot be read")


def test_files_are_loaded_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.txt", "a.txt", "c.md"):
        write(tmp_path / name, f"{name}\n\nBody.\n")
    assert ids(load([tmp_path])) == ["a/z", "a", "b", "c"]  # folder by folder


# --- text is valid Unicode once loaded --------------------------------------------------------------


def _encodes(value: object) -> None:
    """Every string inside ``value`` (keys included) is valid UTF-8: SQLite, JSON and tokenizers take it."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _encodes(key)
            _encodes(item)
    elif isinstance(value, list):
        for item in value:
            _encodes(item)


def test_a_lone_surrogate_in_one_record_is_replaced_and_every_record_loads(tmp_path: Path) -> None:
    records = [
        {"id": "good-1", "text": "A storm knocked out power overnight."},
        {
            "id": "bad-\ud800",
            "title": "Bad \ud800 title",
            "text": "A lone surrogate \ud800 and a low one \udc00 sit here.",
            "url": "https://x.example/\udfff",
            "tags": ["k\ud800", {"nested\udbff": "v\ud800"}],
        },
        {"id": "good-3", "text": "An emoji written as a surrogate pair: \ud83d\ude00."},
    ]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    assert "\\ud800" in path.read_text()  # the file holds the escapes, as an attacker would send them
    result = load([path])
    assert ids(result) == ["good-1", "bad-\ufffd", "good-3"]
    assert result.skipped == []
    bad = result.articles[1]
    assert bad.text == "A lone surrogate \ufffd and a low one \ufffd sit here."
    assert (bad.title, bad.url) == ("Bad \ufffd title", "https://x.example/\ufffd")
    assert bad.extra["tags"] == ["k\ufffd", {"nested\ufffd": "v\ufffd"}]
    assert result.articles[2].text.endswith("pair: \U0001f600.")
    for article in result.articles:
        _encodes([article.id, article.text, article.title, article.url, article.extra])


def test_control_characters_are_removed_from_every_field_but_line_breaks_and_tabs_stay(
    tmp_path: Path,
) -> None:
    record = {
        "id": "c\x00tl",
        "title": "Ti\x01tle\x7f",
        "text": "Body\x00 text\x07.\tTabbed\r\nnext line\x0cpage",
        "source": "Wire\x1b[31m",
        "tags": ["a\x02"],
    }
    result = load([write(tmp_path / "c.json", json.dumps(record))])
    article = result.articles[0]
    assert (article.id, article.title, article.source) == ("ctl", "Title", "Wire[31m")
    assert article.text == "Body text.\tTabbed\r\nnext line\x0cpage"
    assert article.extra["tags"] == ["a"]


def test_a_record_of_only_control_characters_is_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.jsonl", '{"id": "x", "text": "\\u0000\\u0001 \\u0002"}\n{"id": "ok", "text": "Good."}\n'
    )
    result = load([path])
    assert ids(result) == ["ok"]
    assert only_skip(result) == Skipped(f"{path}:1", 'the record "text" is empty')


def test_a_file_name_that_is_not_utf8_gives_a_valid_id(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "articles"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes on disk: a lone surrogate in Python's str
    (folder / name).write_text("Title\n\nBody.\n", encoding="utf-8")
    result = load([folder])
    assert ids(result) == ["caf\ufffd"]
    _encodes([result.articles[0].extra])


def test_deeply_nested_json_is_skipped_with_a_one_line_reason(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deep = '{"id": "deep", "text": "Deep.", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    write(folder / "deep.json", deep)
    write(folder / "fairly-deep.json", '{"id": "d2", "text": "Deep.", "x": ' + "[" * 200 + "]" * 200 + "}")
    result = load([folder])
    assert ids(result) == ["good"]
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons == {
        "deep.json": "the JSON is nested too deeply (more than 64 levels)",
        "fairly-deep.json": "the JSON is nested too deeply (more than 64 levels)",
    }
    assert not [r for r in caplog.records if r.exc_info]  # a reason, not a traceback


def test_a_deeply_nested_jsonl_record_does_not_stop_the_others(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "text": "Fine."}',
        '{"text": "x", "k": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"id": "c", "text": "Fine."}',
    ]
    path = write(tmp_path / "c.jsonl", "\n".join(lines) + "\n")
    result = load([path])
    assert ids(result) == ["a", "c"]
    assert only_skip(result) == Skipped(f"{path}:2", "the JSON is nested too deeply (more than 64 levels)")
