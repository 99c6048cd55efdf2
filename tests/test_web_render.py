"""Fast checks of the web layer's pure parts: escaping, highlights, history, filters, settings, feedback."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from core.settings import Settings
from core.types import Answer, Citation
from web import render
from web.security import frame_ancestors
from web.service import ArticleRow, ReadWriteLock, make_filters

EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def citation(**overrides: object) -> Citation:
    passage = f"Before {EVIL}. The minister said “yes” & left. After."
    quote = "The minister said “yes” & left."
    fields: dict = {
        "n": 1,
        "article_id": "a1",
        "chunk_id": "c1",
        "title": f"Title {EVIL}",
        "source": "Wire <b>",
        "url": "javascript:alert(1)",
        "published": "2025-05-04T10:00:00",
        "quote": quote,
        "start": 10,
        "end": 10 + len(quote),
        "passage": passage,
        "also_in": ("a2",),
    }
    fields.update(overrides)
    return Citation(**fields)


def describe(ids):
    return [
        ArticleRow(i, f"Copy {EVIL}", "Other <i>", "2025-05-05", "https://example.org/a?x=1&y=2", "a1")
        for i in ids
    ]


def test_the_sources_panel_escapes_everything_and_marks_the_quote():
    answer = Answer(answer="The minister said “yes” & left. [1]", refused=False, citations=(citation(),))
    html = render.sources_panel(answer, describe)
    assert "<script>" not in html and "<img" not in html and "<i>" not in html and "<b>Wire" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>The minister said “yes” &amp; left.</mark>" in html
    assert "javascript:" not in html  # only http(s) links are made
    assert 'href="https://example.org/a?x=1&amp;y=2"' in html
    assert "Also reported by" in html and "Copy &lt;script&gt;" in html
    assert "2025-05-04" in html and "T10:00" not in html


def test_a_refusal_lists_related_passages_under_its_own_heading():
    answer = Answer(answer="The articles don't say.", refused=True, citations=(citation(also_in=()),))
    assert "Related passages — not an answer" in render.sources_panel(answer, describe)
    message = render.answer_message(answer)["content"]
    assert message.startswith('<div class="na-refusal">')
    compact = render.compact_sources(answer, describe)
    assert compact.startswith('<div class="na-wsources">Related passages:')


def test_compact_sources_escape_and_shorten():
    long_quote = "word " * 100
    c = citation(quote=long_quote.strip(), passage=long_quote.strip(), url="https://example.org/")
    html = render.compact_sources(Answer(answer="x [1]", refused=False, citations=(c,)), describe)
    assert "…</mark>" in html and "<script>" not in html
    assert "also reported by Other &lt;i&gt;" in html


def test_chat_messages_escape_and_read_back_as_plain_history():
    question = f"What did {EVIL} say?"
    answer = Answer(answer="He said “yes” & <left>. [1]", refused=False, citations=(citation(),))
    history = [
        render.question_message(question),
        render.answer_message(answer, extra=render.compact_sources(answer, describe)),
        render.question_message("too long"),
        render.notice_message("The question is too long"),
        # As the browser sends it back: content blocks.
        {
            "role": "user",
            "content": [{"type": "text", "text": '<div class="na-question">And &lt;then&gt;?</div>'}],
        },
        {"role": "assistant", "content": "plain text from a script [1]"},
    ]
    assert "<script>" not in history[0]["content"]
    assert render.plain_history(history) == [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "He said “yes” & <left>. [1]"},
        {"role": "user", "content": "And <then>?"},
        {"role": "assistant", "content": "plain text from a script [1]"},
    ]


def test_stream_steps_grow_to_the_whole_answer():
    text = "one two three four five six seven eight nine ten [1]"
    steps = render.stream_steps(text, 4)
    assert steps[-1] == text and len(steps) <= 5
    assert all(text.startswith(s) for s in steps)
    assert all(len(a) < len(b) for a, b in itertools.pairwise(steps))
    assert render.stream_steps("word") == ["word"]


def test_make_filters():
    assert make_filters([], [], "", None) is None
    f = make_filters([" BBC ", ""], ["a"], " 2025-01-01 ", "")
    assert f is not None and f.sources == ("BBC",) and f.article_ids == ("a",)
    assert f.published_from == "2025-01-01" and f.published_to is None


def test_web_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("NEWSROOM_ALLOWED_ORIGINS", "https://intranet.example/, https://cms.example")
    monkeypatch.setenv("NEWSROOM_API_TOKEN", "s3cret")
    monkeypatch.setenv("NEWSROOM_ROOT_PATH", "newsroom/")
    monkeypatch.setenv("NEWSROOM_FEEDBACK_PATH", str(tmp_path / "fb.jsonl"))
    settings = Settings()
    assert settings.allowed_origins == ["https://intranet.example", "https://cms.example"]
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.root_path == "/newsroom"
    assert frame_ancestors(settings.allowed_origins) == (
        "frame-ancestors 'self' https://intranet.example https://cms.example"
    )
    monkeypatch.setenv("NEWSROOM_ALLOWED_ORIGINS", '["https://a.example"]')
    assert Settings().allowed_origins == ["https://a.example"]


def test_the_read_write_lock_lets_readers_share_and_a_writer_wait():
    import threading

    lock = ReadWriteLock()
    events: list[str] = []
    with lock.read(), lock.read():  # readers share
        writer = threading.Thread(target=lambda: lock.write().__enter__() or events.append("w"))
        writer.start()
        writer.join(0.2)
        assert events == []  # the writer waits for readers
    writer.join(2)
    assert events == ["w"]


def test_feedback_is_appended_as_json_lines(tmp_path: Path):
    from web.service import ChatService

    settings = Settings(index_dir=tmp_path / "index", feedback_path=tmp_path / "fb" / "feedback.jsonl")
    service = ChatService(settings, assistant=None)  # type: ignore[arg-type]
    service.record_feedback({"rating": "up", "question": "q"})
    service.record_feedback({"rating": "down", "question": "é"})
    lines = [json.loads(x) for x in settings.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert [x["rating"] for x in lines] == ["up", "down"] and lines[1]["question"] == "é" and lines[0]["time"]


def test_the_chat_keeps_the_latest_turns_and_renumbers_their_answers():
    from web.limits import latest_turns

    history = [{"role": "user", "content": str(i)} for i in range(10)]
    kept, answers = latest_turns(history, {1: "a", 7: "b", 9: "c"}, Settings(max_history_turns=4))
    assert [m["content"] for m in kept] == ["6", "7", "8", "9"]
    assert answers == {1: "b", 3: "c"}  # answers are keyed by their message's position
    assert latest_turns(history[:3], {1: "a"}, Settings(max_history_turns=4)) == (history[:3], {1: "a"})


def _speaker_answer() -> Answer:
    """Two items as speaker answers write them: quote, (who; title, source, date), [n]."""
    first = citation(quote=f"“We will {EVIL} act,” said Ana Ruiz.", also_in=())
    first = citation(
        quote=first.quote,
        passage=f"Intro. {first.quote} Outro.",
        end=first.start + len(first.quote),
        also_in=(),
    )
    second = citation(
        n=2,
        article_id="a2",
        quote="Ruiz said the plan (the budget)  was\nready.",
        passage="Ruiz said the plan (the budget)  was\nready.",
    )
    lines = [
        f"“We will {EVIL} act,” said Ana Ruiz. (Ana Ruiz; Title {EVIL}, Wire <b>, 2025-05-04) [1]",
        "Ruiz said the plan (the budget) was ready. (Ana Ruiz (minister); Budget (day), Wire <b>, 2025-05-01; also reported by 2 other articles) [2]",
    ]
    return Answer(answer="\n".join(lines), refused=False, citations=(first, second))


def test_a_speaker_answer_is_a_list_of_its_items_everywhere_and_stays_escaped():
    answer = _speaker_answer()
    message = render.answer_message(answer)["content"]
    assert message.startswith('<div class="na-answer"><ul class="na-items"><li>')
    assert message.count("<li>") == 2 and "<script>" not in message and "<b>" not in message
    assert (
        '<span class="na-who">(Ana Ruiz (minister); Budget (day), Wire &lt;b&gt;, 2025-05-01; also' in message
    )
    assert message.count("</span> [1]</li>") == 1 and message.count("</span> [2]</li>") == 1
    # Read back for a follow-up: exactly the answer's lines.
    plain = render.plain_history(
        [render.question_message("What did Ana Ruiz say?"), {"role": "assistant", "content": message}]
    )
    assert plain[1]["content"] == answer.answer

    panel = render.sources_panel(answer, describe)
    assert panel.count('<div class="na-who">') == 2 and "<script>" not in panel
    assert (
        f'<div class="na-who">Ana Ruiz; Title {render.esc(EVIL)}, Wire &lt;b&gt;, 2025-05-04</div>' in panel
    )
    compact = render.compact_sources(answer, describe)
    assert compact.count('<span class="na-who">') == 2 and "<script>" not in compact


def test_a_speaker_answer_streams_in_as_a_growing_list():
    answer = _speaker_answer()
    partial = render.stream_steps(answer.answer, 8)[-2]
    shown = render.answer_message(answer, partial)["content"]
    assert '<ul class="na-items">' in shown and "<script>" not in shown
    assert shown.count("<li>") == partial.count("\n") + 1  # the line still coming is shown as written


def test_a_single_quote_is_a_list_of_one_and_a_line_that_is_not_an_item_makes_no_list():
    answer = _speaker_answer()
    first = answer.answer.split("\n")[0]
    one = Answer(answer=first, refused=False, citations=answer.citations[:1])
    assert render.answer_message(one)["content"].count('<span class="na-who">') == 1
    mixed = Answer(answer=f"{first}\nAn unrelated sentence. [2]", refused=False, citations=answer.citations)
    assert render.speaker_items(mixed) == {} and "<ul" not in render.answer_message(mixed)["content"]


def test_other_answers_are_not_lists():
    one_line = Answer(answer="The minister said “yes” & left. [1]", refused=False, citations=(citation(),))
    assert "<ul" not in render.answer_message(one_line)["content"]
    unmarked = Answer(
        answer="First line. [1]\nSecond line without a marker.", refused=False, citations=(citation(),)
    )
    assert "<ul" not in render.answer_message(unmarked)["content"]
    refused = Answer(answer="No. [1]\nStill no. [1]", refused=True, citations=(citation(),))
    assert "<ul" not in render.answer_message(refused)["content"]
    assert render.speaker_items(one_line) == {} and 'class="na-who"' not in render.sources_panel(
        one_line, describe
    )


def test_a_citation_names_the_other_outlets_of_its_story_once():
    cited = citation(also_in=("a2",), also_reported_by=("Coast <Radio>", "Other <i>"))
    answer = Answer(answer="The minister said “yes” & left. [1]", refused=False, citations=(cited,))
    panel = render.sources_panel(answer, describe)
    # The story's outlets, then its copies' sources, each once; the cited article's own source left out.
    assert '<span class="na-outlets">Coast &lt;Radio&gt;, Other &lt;i&gt;</span>' in panel
    widget = render.compact_sources(answer, describe)
    assert "also reported by Coast &lt;Radio&gt;, Other &lt;i&gt;" in widget
    own = citation(also_in=(), also_reported_by=("Wire <b>",))  # only its own source: nothing to say
    assert "Also reported by" not in render.sources_panel(Answer("x [1]", False, (own,)), describe)
    assert cited.to_dict()["also_reported_by"] == ["Coast <Radio>", "Other <i>"]


def test_a_stored_answer_from_before_also_reported_by_still_loads():
    from web.chat_threads import answer_from_dict

    stored = citation(also_reported_by=("Coast Radio",)).to_dict()
    assert answer_from_dict({"answer": "a [1]", "citations": [stored]}).citations[0].also_reported_by == (
        "Coast Radio",
    )
    del stored["also_reported_by"]  # an answer kept before citations had the field
    old = answer_from_dict({"answer": "a [1]", "citations": [stored]}).citations[0]
    assert old.also_reported_by == () and old.also_in == ("a2",)
