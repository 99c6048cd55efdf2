"""Fuzz of ``POST /api/ask`` bodies against the real app under uvicorn (fake embedder, real Chroma): whatever
the body — well-formed or not, lone surrogates, control characters, wrong types, deep nesting, sizes at
the limits — the answer is never a 5xx, and every error is a JSON ``{"error": ...}``.

Hypothesis draws the bodies; the profile in conftest.py sets how many (``--hypothesis-profile=long``
searches deeper).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.webapps import make_app, serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
]
ANSWER_KEYS = {"answer", "refused", "citations", "retrieved", "thread_id"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(make_app(tmp_path_factory.mktemp("fuzz"))) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        yield http


# Text as a hostile client can send it: any code point, lone surrogates and controls included.
characters = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(characters, max_size=40),
    st.sampled_from(["What did Nduhungirehe say?", "And the State Department?", "When was that?", " ", ""]),
    st.text(characters, min_size=995, max_size=1005),  # around max_question_chars
    st.just("ab\u200d\u202e\ud800\udfff\x00\x1b\r\n\ufeff"),
)
dates = st.one_of(
    st.none(),
    st.dates().map(str),
    st.sampled_from(["2025-02-30", "9999-99-99", "yesterday", "2025-06"]),
    texts,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
turns = (
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant"]) | texts, "content": texts | json_values}
    )
    | json_values
)
histories = st.one_of(
    st.lists(turns, max_size=8),
    st.integers(45, 55).map(lambda n: [{"role": "user", "content": "q"}] * n),  # around max_history_turns
    st.integers(19_995, 20_005).map(lambda n: [{"role": "assistant", "content": "a" * n}]),  # max_turn_chars
    json_values,
)
filters = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "sources": st.lists(texts, max_size=3) | json_values,
            "article_ids": st.lists(texts, max_size=3) | json_values,
            "published_from": dates,
            "published_to": dates,
        },
    ),
    st.dictionaries(texts, json_values, max_size=3),
    json_values,
)
ask_bodies = st.one_of(
    st.fixed_dictionaries(
        {"question": texts}, optional={"history": histories, "filters": filters, "as_of": dates}
    ),
    st.dictionaries(
        st.sampled_from(["question", "history", "filters", "as_of"]) | texts, json_values, max_size=5
    ),
    json_values,
)


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    if response.status_code == 200:
        assert set(body) == ANSWER_KEYS
    else:
        assert isinstance(body["error"], str) and body["error"]


@given(ask_bodies)
def test_no_ask_body_gets_a_server_error(client: httpx.Client, body: Any):
    # ASCII JSON: lone surrogates travel as \ud800 escapes, as any JSON client may send them.
    data = json.dumps(body).encode()
    response = client.post("/api/ask", content=data, headers={"content-type": "application/json"})
    event(f"HTTP {response.status_code}")  # the mix of outcomes shows in --hypothesis-show-statistics
    check(response)


@given(
    st.one_of(st.binary(max_size=200), st.binary(max_size=60).map(lambda b: b'{"question": "' + b + b'"}'))
)
def test_no_raw_body_gets_a_server_error(client: httpx.Client, data: bytes):
    response = client.post("/api/ask", content=data, headers={"content-type": "application/json"})
    event(f"HTTP {response.status_code}")
    check(response)


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 200_000,
        b'{"question": "x", "history": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"question": "x", "filters": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}",
        b'{"question": "\xff\xfe invalid utf-8"}',
        b'{"question": "x", "question": ["dup"]}',
        b'{"question": 1e999}',
    ],
    ids=["nested-list", "nested-history", "nested-filters", "bad-utf8", "duplicate-key", "huge-number"],
)
def test_pathological_bodies_get_a_client_error(client: httpx.Client, data: bytes):
    response = client.post("/api/ask", content=data, headers={"content-type": "application/json"})
    check(response)
    assert response.status_code in (400, 413, 422)


def test_the_fuzzed_app_still_answers(client: httpx.Client, tmp_path: Path):
    response = client.post("/api/ask", json={"question": "What did Nduhungirehe say?"})
    assert response.status_code == 200 and set(response.json()) == ANSWER_KEYS
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["articles"] == 1
