"""The helpdesk API through a real uvicorn server: OpenAI client, /api/ask, auth, CORS, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from conftest import ROW_QUOTES, FakeAssistant, LiveServer

from core.settings import Settings
from ui.render import MARKER

QUESTION = "成果歸屬及運用辦法的新創專章有哪些誘因？"


@pytest.fixture()
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture()
def client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)


def _last_call(fake: FakeAssistant, question: str) -> tuple[str, str, list[dict[str, str]]]:
    return [c for c in fake.calls if c[1] == question][-1]


# --------------------------------------------------------------------------- OpenAI-compatible


def test_openai_client_gets_answer_with_references(client: openai.OpenAI, fake: FakeAssistant) -> None:
    completion = client.chat.completions.create(
        model="kezhuan",
        messages=[{"role": "system", "content": "你是助理"}, {"role": "user", "content": QUESTION}],
    )
    message = completion.choices[0].message
    assert "[1]" in (message.content or "")
    assert completion.choices[0].finish_reason == "stop" and completion.model == "kezhuan"
    extra = message.model_extra or {}
    references = extra["references"]
    assert [r["n"] for r in references] == [1, 2]
    assert set(references[0]) == {
        "n",
        "passage_id",
        "source",
        "section",
        "text",
        "quote",
        "start",
        "end",
        "score",
        "title",
        "publisher",
        "text_start",
        "quotes",
    }
    assert references[0]["quote"] in references[0]["text"]
    assert extra["refused"] is False
    assert _last_call(fake, QUESTION)[2] == []  # the system message is not history


def test_openai_client_streams_text_then_references_on_the_final_chunk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="kezhuan", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 3, "the answer should arrive in several chunks"
    assert "".join(pieces).startswith("新創專章提供") and "[1]" in "".join(pieces)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert [r["n"] for r in (final.model_extra or {})["references"]] == [1, 2]
    assert (final.choices[0].delta.model_extra or {})["refused"] is False
    assert all(not (c.model_extra or {}).get("references") for c in chunks[:-1])


def test_stream_ends_with_done(http: httpx.Client) -> None:
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_earlier_messages_become_history(client: openai.OpenAI, fake: FakeAssistant) -> None:
    follow_up = "那它在哪個城市？(history test)"
    client.chat.completions.create(
        model="anything",
        messages=[
            {"role": "system", "content": "ignored"},
            {"role": "user", "content": "南臺灣創新園區在做什麼？"},
            {"role": "assistant", "content": "在臺南市[1]。"},
            {"role": "user", "content": [{"type": "text", "text": follow_up}]},
        ],
    )
    assert _last_call(fake, follow_up)[2] == [
        {"role": "user", "content": "南臺灣創新園區在做什麼？"},
        {"role": "assistant", "content": "在臺南市[1]。"},
    ]


def test_refusal_comes_back_as_refused_without_references(client: openai.OpenAI, fake: FakeAssistant) -> None:
    completion = client.chat.completions.create(
        model="kezhuan", messages=[{"role": "user", "content": "明天天氣如何？"}]
    )
    message = completion.choices[0].message
    assert message.content == fake.refusal
    assert (message.model_extra or {})["refused"] is True and (message.model_extra or {})["references"] == []


def test_models_lists_kezhuan(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["kezhuan"]


# --------------------------------------------------------------------------- native routes


def test_ask_returns_reply_dict_and_passes_history(http: httpx.Client, fake: FakeAssistant) -> None:
    history = [{"role": "user", "content": "前一題"}, {"role": "assistant", "content": "前一答"}]
    response = http.post("/api/ask", json={"question": QUESTION, "history": history})
    assert response.status_code == 200
    body = response.json()
    expected = fake.ask(QUESTION).to_dict()
    assert body["answer"] == expected["answer"] and body["citations"] == expected["citations"]
    assert body["refused"] is False
    assert [c for c in fake.calls if c[0] == "ask" and c[1] == QUESTION][-2][2] == history


def test_healthz_returns_assistant_health(http: httpx.Client, fake: FakeAssistant) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200 and response.json() == fake.health()


def test_feedback_route_stores_a_vote(http: httpx.Client, settings: Settings) -> None:
    vote = {"question": "回饋測試？", "answer": "答[1]", "rating": "down", "citations": [], "surface": "api"}
    response = http.post("/api/feedback", json=vote)
    assert response.status_code == 200 and response.json()["ok"] is True
    stored = [
        json.loads(line) for line in (settings.data_dir / "feedback.jsonl").read_text("utf-8").splitlines()
    ]
    assert any(e["question"] == "回饋測試？" and e["rating"] == "down" for e in stored)


def test_openapi_describes_the_routes(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/feedback", "/healthz"} <= set(
        spec["paths"]
    )
    schemas = spec["components"]["schemas"]
    assert "description" in schemas["AskRequest"]["properties"]["question"]
    assert "references" in schemas["AssistantMessage"]["properties"]
    ask = spec["paths"]["/api/ask"]["post"]
    assert ask["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskResponse")
    assert ask["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "/" not in spec["paths"]  # the chat page is not part of the API description


# --------------------------------------------------------------------------- bad input

LONG = "問" * 201
CHAT = "/v1/chat/completions"

BAD_REQUESTS: list[tuple[str, str, Any, int, str, str]] = [
    # (id, path, json body or raw bytes, status, code, message fragment)
    ("empty question", "/api/ask", {"question": "   "}, 400, "bad_question", "empty"),
    ("too long", "/api/ask", {"question": LONG}, 400, "bad_question", "limit is 200"),
    ("malformed json", "/api/ask", b'{"question": "x"', 400, "invalid_json", "not valid JSON"),
    ("json not an object", "/api/ask", b'["x"]', 400, "invalid_json", "JSON object"),
    ("no body", "/api/ask", b"", 400, "invalid_json", "JSON object"),
    ("question not a string", "/api/ask", {"question": 5}, 422, "invalid_request", "question"),
    (
        "history wrong type",
        "/api/ask",
        {"question": "x", "history": "nope"},
        422,
        "invalid_request",
        "history",
    ),
    (
        "history unknown role",
        "/api/ask",
        {"question": "x", "history": [{"role": "bot", "content": "a"}]},
        422,
        "invalid_request",
        "history.0.role",
    ),
    ("unknown field", "/api/ask", {"question": "x", "questoin": "y"}, 422, "invalid_request", "questoin"),
    (
        "unknown role",
        CHAT,
        {"messages": [{"role": "robot", "content": "x"}]},
        422,
        "invalid_request",
        "robot",
    ),
    ("messages wrong type", CHAT, {"messages": "hi"}, 422, "invalid_request", "messages"),
    (
        "stream wrong type",
        CHAT,
        {"messages": [{"role": "user", "content": "x"}], "stream": "yes"},
        422,
        "invalid_request",
        "stream",
    ),
    (
        "no user message",
        CHAT,
        {"messages": [{"role": "system", "content": "x"}]},
        400,
        "no_user_message",
        "user",
    ),
    ("no messages", CHAT, {"messages": []}, 400, "no_user_message", "user"),
    (
        "empty user message",
        CHAT,
        {"messages": [{"role": "user", "content": ""}]},
        400,
        "bad_question",
        "empty",
    ),
    ("too long chat", CHAT, {"messages": [{"role": "user", "content": LONG}]}, 400, "bad_question", "200"),
    (
        "too long streaming",
        CHAT,
        {"messages": [{"role": "user", "content": LONG}], "stream": True},
        400,
        "bad_question",
        "200",
    ),
    (
        "image content",
        CHAT,
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
        400,
        "unsupported_content",
        "text parts",
    ),
    ("chat malformed json", CHAT, b'{"messages": [', 400, "invalid_json", "not valid JSON"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_bad_input_gets_a_4xx_json_error(
    http: httpx.Client, path: str, body: Any, status: int, code: str, fragment: str
) -> None:
    if isinstance(body, bytes):
        response = http.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        response = http.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]
    assert "Traceback" not in response.text


def test_body_too_large_gets_413(http: httpx.Client) -> None:
    big = json.dumps({"question": "x", "history": [{"role": "user", "content": "字" * 400_000}]})
    response = http.post("/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_chunked_body_too_large_gets_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    response = http.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json()["error"]["message"]


def test_unexpected_error_is_a_500_without_details_and_the_connection_survives(http: httpx.Client) -> None:
    response = http.post("/api/ask", json={"question": "boom"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert http.get("/healthz").status_code == 200  # same keep-alive connection still works


@pytest.mark.parametrize("stream", [False, True])
def test_missing_index_is_a_503_with_the_ingest_hint(http: httpx.Client, stream: bool) -> None:
    body = {"messages": [{"role": "user", "content": "noindex"}], "stream": stream}
    response = http.post(CHAT, json=body)
    assert response.status_code == 503
    assert "kezhuan ingest" in response.json()["error"]["message"]


def test_openai_client_sees_bad_question_as_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="kezhuan", messages=[{"role": "user", "content": " "}])


# --------------------------------------------------------------------------- auth and CORS

AUTH_ROUTES = [
    ("GET", "/v1/models", None),
    ("POST", "/api/ask", {"question": QUESTION}),
    ("POST", CHAT, {"messages": [{"role": "user", "content": QUESTION}]}),
    ("POST", "/api/feedback", {"question": "q", "answer": "a", "rating": "up"}),
]


@pytest.mark.parametrize(("method", "path", "body"), AUTH_ROUTES)
@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "missing_api_key"),
        ("Bearer wrong-key", 401, "wrong_api_key"),
        ("Basic czNjcmV0LWtleQ==", 401, "missing_api_key"),
        ("Bearer s3cret-key", 200, None),
    ],
    ids=["missing", "wrong", "not-bearer", "right"],
)
def test_api_key_is_required_when_set(
    auth_server: LiveServer,
    method: str,
    path: str,
    body: Any,
    header: str | None,
    status: int,
    code: str | None,
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.request(method, auth_server.url + path, json=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
        assert "KEZHUAN_API_KEY" in response.json()["error"]["message"]
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("header", "status", "body"),
    [
        (None, 200, {"ok": True}),
        ("Basic czNjcmV0LWtleQ==", 200, {"ok": True}),
        ("Bearer wrong-key", 401, None),
        ("Bearer s3cret-key", 200, "details"),
    ],
    ids=["missing", "not-bearer", "wrong", "right"],
)
def test_healthz_answers_a_load_balancer_without_the_key_and_shows_details_only_with_it(
    auth_server: LiveServer, fake: FakeAssistant, header: str | None, status: int, body: Any
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(auth_server.url + "/healthz", headers=headers, timeout=30)
    assert response.status_code == status, response.text
    if body == "details":
        assert response.json() == fake.health()
    elif body is not None:
        assert response.json() == body, "no index details (model, collection, paths) without the key"
    else:
        assert response.json()["error"]["code"] == "wrong_api_key"


def test_keyless_healthz_reports_an_unreadable_index_as_503_without_its_error(
    make_app: Any, fake: FakeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken index is a 503 for the load balancer too, but its error text (which may name
    paths) goes only to a caller with the key."""
    from fastapi.testclient import TestClient

    from core.errors import IndexUnreadableError

    def broken() -> dict[str, Any]:
        raise IndexUnreadableError("cannot read /srv/kezhuan/data/chroma/chroma.sqlite3")

    monkeypatch.setattr(fake, "health", broken)
    with TestClient(make_app(api_key="s3cret-key")) as client:
        anonymous = client.get("/healthz")
        keyed = client.get("/healthz", headers={"Authorization": "Bearer s3cret-key"})
    assert (anonymous.status_code, anonymous.json()) == (503, {"ok": False})
    assert keyed.status_code == 503 and "/srv/kezhuan" in keyed.json()["error"]


def test_openai_client_with_the_key(auth_server: LiveServer) -> None:
    good = openai.OpenAI(base_url=f"{auth_server.url}/v1", api_key="s3cret-key", max_retries=0)
    assert "[1]" in (
        good.chat.completions.create(model="k", messages=[{"role": "user", "content": QUESTION}])
        .choices[0]
        .message.content
        or ""
    )
    bad = openai.OpenAI(base_url=f"{auth_server.url}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_pages_stay_open_when_the_api_needs_a_key(auth_server: LiveServer) -> None:
    for path in ("/", "/embed", "/widget.js"):
        assert httpx.get(auth_server.url + path, timeout=30).status_code == 200, path


def test_no_auth_when_no_key(http: httpx.Client) -> None:
    assert http.get("/v1/models").status_code == 200


def test_cors_allows_only_listed_origins(http: httpx.Client) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    allowed = http.options("/api/ask", headers={"Origin": "http://allowed.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = http.options("/api/ask", headers={"Origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    simple = http.post("/api/ask", json={"question": QUESTION}, headers={"Origin": "http://allowed.example"})
    assert simple.headers["access-control-allow-origin"] == "http://allowed.example"
    simple_other = http.post(
        "/api/ask", json={"question": QUESTION}, headers={"Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in simple_other.headers


# --------------------------------------------------------------------------- one citation per row

ROW_QUESTION = "表格裡2021年的成果？"


def _check_row_references(answer: str, references: list[dict[str, Any]]) -> None:
    """One reference for the row holding its three quotes; the answer's markers name exactly them."""
    assert sorted({int(n) for n in MARKER.findall(answer)}) == [r["n"] for r in references] == [1, 2]
    row = references[0]
    assert [q["quote"] for q in row["quotes"]] == list(ROW_QUOTES)
    for q in row["quotes"]:
        assert row["text"][q["start"] - row["text_start"] : q["end"] - row["text_start"]] == q["quote"]
    assert (row["quote"], row["start"], row["end"]) == tuple(row["quotes"][0].values())
    assert len(references[1]["quotes"]) == 1


def test_a_table_row_quoted_cell_by_cell_is_one_reference_on_every_api(http: httpx.Client) -> None:
    asked = http.post("/api/ask", json={"question": ROW_QUESTION}).json()
    _check_row_references(asked["answer"], asked["citations"])

    chat = http.post(CHAT, json={"messages": [{"role": "user", "content": ROW_QUESTION}]}).json()
    message = chat["choices"][0]["message"]
    assert message["content"] == asked["answer"] and message["references"] == asked["citations"]
    _check_row_references(message["content"], chat["references"])

    body = {"messages": [{"role": "user", "content": ROW_QUESTION}], "stream": True}
    with http.stream("POST", CHAT, json=body) as response:
        chunks = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
    final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop")
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1] if c["choices"])
    assert final["answer"] == asked["answer"] and final["references"] == asked["citations"]
    _check_row_references(streamed or final["answer"], final["references"])
