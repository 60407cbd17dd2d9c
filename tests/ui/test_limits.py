"""Rate limits (429 with Retry-After) and auth on every API route, found by walking the app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from conftest import AppFactory, LiveServer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from core.errors import SettingsError
from core.settings import Settings
from ui.api import API_PREFIXES, KEYLESS_PATHS
from ui.limits import RateLimiter, TokenBucket, client_id

QUESTION = "南臺灣創新園區在做什麼？"
CHAT = "/v1/chat/completions"

#: Routes outside the API that anyone may fetch, and why. A new route must either live
#: under an API prefix (then it needs the key) or be listed here.
PUBLIC_ROUTES = {
    "/openapi.json": "the API description (no data)",
    "/embed": "the widget's iframe page; it calls the API with the key it is given",
    "/widget/{name}": "the widget's static files",
    "/widget.js": "the widget's loader script",
}
#: The Gradio chat page is mounted here; it is open unless KEZHUAN_PROTECT_PAGE (tested in test_web.py).
PAGE_MOUNT = ""

#: The API routes the app is known to have: the walk must find at least these.
KNOWN_API_ROUTES = {
    ("POST", "/v1/chat/completions"),
    ("GET", "/v1/models"),
    ("POST", "/api/ask"),
    ("POST", "/api/feedback"),
    ("GET", "/healthz"),
}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- the bucket


def test_bucket_allows_a_burst_then_the_average_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("a") == pytest.approx(1.0)  # one token a second
    clock.now += 0.5
    assert limiter.check("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.check("a") == 0.0
    assert limiter.check("b") == 0.0, "another client has its own bucket"
    clock.now += 3600
    assert [limiter.check("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0], "refills only up to the burst"
    assert limiter.check("a") > 0


def test_bucket_refill_is_capped() -> None:
    bucket = TokenBucket(capacity=2, rate=1.0, tokens=0.0, updated=0.0)
    assert bucket.take(100.0) == 0.0
    assert bucket.tokens == pytest.approx(1.0)


def test_limiter_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock, max_clients=100)
    for i in range(1000):
        limiter.check(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) <= 100
    limiter.check("busy")
    limiter.check("busy")
    clock.now += 10  # every other bucket has refilled and is forgotten first
    for i in range(100):
        limiter.check(f"new-{i}")
    assert len(limiter) <= 100


@pytest.mark.parametrize(("per_minute", "burst"), [(0, 5), (-1, 5), (10, 0)])
def test_limiter_rejects_bad_values(per_minute: int, burst: int) -> None:
    with pytest.raises(ValueError, match="per_minute|burst"):
        RateLimiter(per_minute, burst)


def test_client_is_the_address() -> None:
    assert client_id({"type": "http", "client": ("203.0.113.9", 5555)}) == "203.0.113.9"
    assert client_id({"type": "http", "client": None}) == "unknown"


# --------------------------------------------------------------------------- settings


def test_rate_limit_settings_come_from_the_environment() -> None:
    env = {"KEZHUAN_RATE_LIMIT_PER_MINUTE": "30", "KEZHUAN_RATE_LIMIT_BURST": "5"}
    s = Settings.from_env(environ=env)
    assert (s.rate_limit_per_minute, s.rate_limit_burst) == (30, 5)
    default = Settings.from_env(environ={})
    assert default.rate_limit_per_minute > 0 and default.rate_limit_burst >= 1, "on by default"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"KEZHUAN_RATE_LIMIT_PER_MINUTE": "-5"}, "KEZHUAN_RATE_LIMIT_PER_MINUTE=0"),
        ({"KEZHUAN_RATE_LIMIT_BURST": "0"}, "KEZHUAN_RATE_LIMIT_BURST"),
        ({"KEZHUAN_RATE_LIMIT_PER_MINUTE": "lots"}, "not a valid int"),
    ],
)
def test_bad_rate_limit_settings_say_how_to_fix_them(env: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(needle)):
        Settings.from_env(environ=env)


# --------------------------------------------------------------------------- 429 replies


@pytest.fixture()
def limited(make_app: AppFactory, settings: Settings) -> Iterator[LiveServer]:
    """A live server allowing 60 API requests a minute with bursts of 3, and CORS."""
    app = make_app(
        settings=settings.replace(rate_limit_per_minute=60, rate_limit_burst=3),
        cors_origins=["http://allowed.example"],
    )
    with LiveServer(app) as live:
        yield live


def test_over_the_limit_gets_a_clear_429(limited: LiveServer) -> None:
    with httpx.Client(base_url=limited.url, timeout=30) as http:
        statuses = [http.post("/api/ask", json={"question": QUESTION}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        over = http.post(
            "/api/ask", json={"question": QUESTION}, headers={"Origin": "http://allowed.example"}
        )
    assert over.status_code == 429
    assert 1 <= int(over.headers["retry-after"]) <= 2
    assert over.headers["x-ratelimit-limit"] == "60"
    assert over.headers["access-control-allow-origin"] == "http://allowed.example", "the widget can read it"
    error = over.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "rate_limit_error"
    for needle in (
        "60 API requests per minute",
        "bursts of up to 3",
        "Retry in",
        "KEZHUAN_RATE_LIMIT_PER_MINUTE",
    ):
        assert needle in error["message"]


def test_the_limit_is_shared_by_every_api_route_but_not_health_page_or_preflight(limited: LiveServer) -> None:
    preflight = {
        "Origin": "http://allowed.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with httpx.Client(base_url=limited.url, timeout=30) as http:
        assert http.get("/v1/models").status_code == 200
        assert http.post(CHAT, json={"messages": [{"role": "user", "content": QUESTION}]}).status_code == 200
        assert http.post("/api/ask", content=b"{").status_code == 400  # a bad request still counts
        assert http.get("/v1/models").status_code == 429
        assert http.post("/api/feedback", json={}).status_code == 429
        for _ in range(5):
            assert http.get("/healthz").status_code == 200
            assert http.options("/api/ask", headers=preflight).status_code == 200
        for path in ("/", "/embed", "/widget.js"):
            assert http.get(path).status_code == 200, path


def test_openai_client_sees_a_rate_limit_error(limited: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{limited.url}/v1", api_key="unused", max_retries=0, timeout=30)
    for _ in range(3):
        client.models.list()
    with pytest.raises(openai.RateLimitError, match="requests per minute"):
        client.chat.completions.create(model="kezhuan", messages=[{"role": "user", "content": QUESTION}])


def test_wrong_keys_are_throttled_too(make_app: AppFactory, settings: Settings) -> None:
    app = make_app(settings=settings.replace(rate_limit_per_minute=60, rate_limit_burst=3), api_key="k3y")
    with TestClient(app) as client:
        guesses = [client.get("/v1/models", headers={"Authorization": f"Bearer guess-{i}"}) for i in range(5)]
    assert [r.status_code for r in guesses] == [401, 401, 401, 429, 429]


def test_zero_turns_the_limit_off(make_app: AppFactory, settings: Settings) -> None:
    app = make_app(settings=settings.replace(rate_limit_per_minute=0, rate_limit_burst=1))
    with TestClient(app) as client:
        assert all(client.get("/v1/models").status_code == 200 for _ in range(50))


# --------------------------------------------------------------------------- auth on every route


def walk_routes(
    routes: list[Any], prefix: str = "", in_page: bool = False
) -> Iterator[tuple[str, str, bool]]:
    """Every (method, path, inside the page mount) of an app, through included routers and mounts."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI >= 0.16x wraps included routers
        if included is not None:
            sub_prefix = getattr(getattr(route, "include_context", None), "prefix", "")
            yield from walk_routes(included.routes, prefix + sub_prefix, in_page)
        elif isinstance(route, Mount):
            inner = route.routes or getattr(getattr(route, "app", None), "routes", [])
            yield from walk_routes(list(inner), prefix + route.path, in_page or route.path == PAGE_MOUNT)
        else:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    yield method, prefix + route.path, in_page


@pytest.fixture(scope="module")
def keyed_app(make_app: AppFactory) -> FastAPI:
    return make_app(api_key="s3cret-key")


def test_the_route_walk_sees_the_known_api_routes(keyed_app: FastAPI) -> None:
    found = {(m, p) for m, p, _ in walk_routes(keyed_app.routes)}
    assert found >= KNOWN_API_ROUTES


def test_every_route_is_either_keyed_api_or_deliberately_public(keyed_app: FastAPI) -> None:
    unexplained = [
        (m, p)
        for m, p, in_page in walk_routes(keyed_app.routes)
        if not in_page and not p.startswith(API_PREFIXES) and p not in PUBLIC_ROUTES
    ]
    assert not unexplained, (
        f"routes {unexplained} are neither under {API_PREFIXES} (which need the API key) nor in "
        "PUBLIC_ROUTES: move them under /api/ or /v1/, or list them with the reason they may be open"
    )
    page_api = [
        (m, p) for m, p, in_page in walk_routes(keyed_app.routes) if in_page and p.startswith(API_PREFIXES)
    ]
    assert not page_api, f"the chat page mount serves API paths without the key: {page_api}"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_api_key"),
        ("Bearer wrong-key", "wrong_api_key"),
        ("Bearer s3cret-keyX", "wrong_api_key"),
        ("Bearer S3CRET-KEY", "wrong_api_key"),
        ("Basic czNjcmV0LWtleQ==", "missing_api_key"),
        ("s3cret-key", "missing_api_key"),
    ],
    ids=["missing", "wrong", "longer", "case", "basic", "no-scheme"],
)
def test_every_api_route_rejects_missing_and_wrong_keys(
    keyed_app: FastAPI, header: str | None, code: str
) -> None:
    api_routes = [(m, p) for m, p, in_page in walk_routes(keyed_app.routes) if p.startswith(API_PREFIXES)]
    if "wrong" not in code:  # a keyless path answers a request without a bearer key, with less
        api_routes = [(m, p) for m, p in api_routes if p not in KEYLESS_PATHS]
    headers = {"Authorization": header} if header else {}
    with TestClient(keyed_app) as client:
        for method, path in api_routes:
            url = re.sub(r"\{[^}]+\}", "x", path)
            for body in (
                None,
                {},
                {"question": QUESTION, "messages": [{"role": "user", "content": QUESTION}]},
            ):
                response = client.request(method, url, json=body, headers=headers)
                assert response.status_code == 401, (method, path, body, response.text)
                assert response.json()["error"]["code"] == code, (method, path)
                assert response.headers["www-authenticate"] == "Bearer"


def test_every_api_route_accepts_the_right_key(keyed_app: FastAPI) -> None:
    api_routes = [(m, p) for m, p, _ in walk_routes(keyed_app.routes) if p.startswith(API_PREFIXES)]
    with TestClient(keyed_app) as client:
        for method, path in api_routes:
            response = client.request(method, path, json={}, headers={"Authorization": "Bearer s3cret-key"})
            assert response.status_code != 401, (method, path)


def test_the_key_is_compared_in_constant_time() -> None:
    import inspect

    import ui.api
    import ui.server

    for module in (ui.api, ui.server):
        source = inspect.getsource(module)
        assert "hmac.compare_digest" in source
        assert not re.search(r"(api_key|credentials)\S*\s*[!=]=\s*\S*(api_key|credentials)", source)


def test_serve_keeps_idle_connections_longer_than_clients_and_proxies_do(
    monkeypatch: pytest.MonkeyPatch, fake: Any, settings: Settings
) -> None:
    import uvicorn

    import ui.server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(ui.server, "load_assistant", lambda s: fake)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    ui.server.serve(settings, port=18399)
    # httpx/openai clients expire idle connections after 5 s, nginx upstream pools after 60 s.
    assert seen["timeout_keep_alive"] > 60


# --------------------------------------------------------------------------- bounded work per request


def test_history_over_the_limits_gets_a_400_before_any_work(
    make_app: AppFactory, settings: Settings, fake: Any
) -> None:
    app = make_app(settings=settings.replace(max_history_messages=8, max_history_chars=50))
    long_turn = [{"role": "user", "content": "半" * 51}, {"role": "assistant", "content": "半導體。"}]
    many = [{"role": "user", "content": "問"}, {"role": "assistant", "content": "答"}] * 5
    before = len(fake.calls)
    with TestClient(app) as client:
        for history, needle in (
            (long_turn, "KEZHUAN_MAX_HISTORY_CHARS"),
            (many, "KEZHUAN_MAX_HISTORY_MESSAGES"),
        ):
            ask = client.post("/api/ask", json={"question": "那生醫呢？", "history": history})
            messages = [*history, {"role": "user", "content": "那生醫呢？"}]
            chat = client.post(CHAT, json={"messages": messages})
            for response in (ask, chat):
                assert response.status_code == 400, response.text
                error = response.json()["error"]
                assert error["code"] == "bad_question" and needle in error["message"]
        ok = client.post("/api/ask", json={"question": "那生醫呢？", "history": long_turn[1:]})
        assert ok.status_code == 200
    assert len(fake.calls) == before + 1, "the rejected requests never reached the assistant"


class SlowAssistant:
    """Takes ``seconds`` per answer and counts the answers it started."""

    def __init__(self, fake: Any, seconds: float) -> None:
        self.fake = fake
        self.seconds = seconds
        self.started = 0

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Any:
        import time

        self.started += 1
        time.sleep(self.seconds)
        return self.fake.ask(question, history)

    def stream(self, question: str, history: list[dict[str, str]] | None = None) -> Any:
        yield self.ask(question, history)

    def health(self) -> dict[str, Any]:
        return dict(self.fake.health())


@pytest.mark.integration  # a live uvicorn server
def test_a_client_that_leaves_while_waiting_causes_no_work(make_app: AppFactory, fake: Any) -> None:
    """With one answer slot busy, a request whose client hangs up is dropped when its turn comes."""
    import socket
    import threading
    import time

    slow = SlowAssistant(fake, seconds=1.0)
    with LiveServer(make_app(assistant=slow, answer_slots=1)) as live:
        first: dict[str, int] = {}

        def ask_first() -> None:
            with httpx.Client(base_url=live.url, timeout=30) as http:
                first["status"] = http.post("/api/ask", json={"question": QUESTION}).status_code

        worker = threading.Thread(target=ask_first)
        worker.start()
        deadline = time.monotonic() + 10
        while slow.started < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        body = json.dumps({"question": QUESTION})
        raw = body.encode()
        request = (
            f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n"
        ).encode() + raw
        with socket.create_connection(("127.0.0.1", live.port)) as gone:
            gone.sendall(request)
            time.sleep(0.2)  # queued behind the first answer; then the client gives up
        worker.join(timeout=30)
        assert first["status"] == 200
        time.sleep(0.5)
        assert slow.started == 1, "the abandoned request was answered anyway"
        with httpx.Client(base_url=live.url, timeout=30) as http:
            assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
        assert slow.started == 2


# --------------------------------------------------------------------------- the page's own routes

GRADIO_CALL = "/gradio_api/call/chat"
GRADIO_BODY = {"data": [QUESTION, []]}


def test_every_page_route_that_answers_is_limited(keyed_app: FastAPI) -> None:
    """Walk the Gradio mount: every POST route is size-limited, every one that runs a function is rate-limited."""
    from ui.limits import ANSWER_PATHS, BODY_LIMITED_PATHS

    page_posts = sorted({p for m, p, in_page in walk_routes(keyed_app.routes) if in_page and m == "POST"})
    assert "/gradio_api/queue/join" in page_posts and "/gradio_api/call/{api_name}" in page_posts
    unlimited = [p for p in page_posts if not p.startswith(BODY_LIMITED_PATHS)]
    assert not unlimited, f"page routes taking bodies without the size limit: {unlimited}"
    runs_functions = [p for p in page_posts if re.match(r"/gradio_api/((call|run|api)/|queue/join)", p)]
    assert len(runs_functions) >= 6
    assert all(p.startswith(ANSWER_PATHS) for p in runs_functions), runs_functions


def test_gradio_call_routes_need_the_key_when_one_is_set(make_app: AppFactory) -> None:
    with TestClient(make_app(api_key="s3cret-key")) as client:
        for path in (GRADIO_CALL, "/gradio_api/run/chat", "/gradio_api/api/chat", "/gradio_api/call/v2/chat"):
            for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-key"}):
                response = client.post(path, json=GRADIO_BODY, headers=header)
                assert response.status_code == 401, (path, header, response.text)
                assert response.json()["error"]["type"] == "authentication_error"
        ok = client.post(GRADIO_CALL, json=GRADIO_BODY, headers={"Authorization": "Bearer s3cret-key"})
        assert ok.status_code == 200 and "event_id" in ok.json()
        answer = client.get(
            f"{GRADIO_CALL}/{ok.json()['event_id']}", headers={"Authorization": "Bearer s3cret-key"}
        )
        assert "[1]" in answer.text, "the right key gets the answer"
        assert client.get("/").status_code == 200, "the open page itself still loads"


def test_gradio_routes_share_the_api_rate_limit(make_app: AppFactory, settings: Settings) -> None:
    """The issue's probe: 45 calls in a row to /gradio_api/call/chat all answered; now the burst applies."""
    app = make_app(settings=settings.replace(rate_limit_per_minute=2, rate_limit_burst=5))
    with TestClient(app) as client:
        statuses = [client.post(GRADIO_CALL, json=GRADIO_BODY).status_code for _ in range(4)]
        statuses.append(
            client.post("/gradio_api/queue/join", json={"data": [QUESTION, []], "fn_index": 0}).status_code
        )
        over = [
            client.post(path, json=GRADIO_BODY)
            for path in (GRADIO_CALL, "/gradio_api/queue/join", "/api/ask")
        ]
    assert 429 not in statuses, statuses
    assert [r.status_code for r in over] == [429, 429, 429]
    assert over[0].json()["error"]["code"] == "rate_limit_exceeded" and over[0].headers["retry-after"]


def test_gradio_routes_refuse_oversized_bodies(make_app: AppFactory) -> None:
    """The issue's probe: a 20 MB body to /gradio_api/call/chat was accepted."""
    big = json.dumps({"data": ["半" * 2_000_000, []]})
    with TestClient(make_app(max_body_bytes=1_000_000)) as client:
        for path in (GRADIO_CALL, "/gradio_api/queue/join", "/gradio_api/upload", "/login"):
            response = client.post(path, content=big, headers={"Content-Type": "application/json"})
            assert response.status_code == 413, (path, response.status_code)
            assert response.json()["error"]["code"] == "body_too_large"


@pytest.mark.integration  # a live uvicorn server
def test_open_page_with_a_key_still_answers_visitors(make_app: AppFactory) -> None:
    """An unprotected page answers through its own queue without the key (see README, Security)."""
    from gradio_client import Client

    with LiveServer(make_app(api_key="s3cret-key")) as live:
        client = Client(live.url + "/", verbose=False)
        messages, _ = client.predict(QUESTION, api_name="/chat")
        assert "[1]" in json.dumps(messages, ensure_ascii=False)


# --------------------------------------------------------------------------- the page's login


def test_login_attempts_are_throttled(make_app: AppFactory, settings: Settings) -> None:
    """The issue's probe: 60 wrong passwords in 0.08 s, no 429. Now 5 in a row, then 10 a minute."""
    app = make_app(
        settings=settings.replace(login_attempts_per_minute=10), protect_page=True, api_key="page-key"
    )
    with TestClient(app) as client:
        statuses = [
            client.post("/login", data={"username": "x", "password": f"guess-{i}"}).status_code
            for i in range(60)
        ]
        right = client.post("/login", data={"username": "x", "password": "page-key"})
        api = client.get("/v1/models", headers={"Authorization": "Bearer page-key"})
    assert statuses[:5] == [400] * 5, statuses[:6]
    assert statuses[5:] == [429] * 55
    assert right.status_code == 429, "even the right password waits once the client is throttled"
    assert "login attempts per minute" in right.json()["error"]["message"]
    assert api.status_code == 200, "the login's bucket is its own"


def test_login_throttle_can_be_turned_off(make_app: AppFactory, settings: Settings) -> None:
    app = make_app(settings=settings.replace(login_attempts_per_minute=0), protect_page=True, api_key="k")
    with TestClient(app) as client:
        statuses = {
            client.post("/login", data={"username": "x", "password": "no"}).status_code for _ in range(20)
        }
    assert statuses == {400}


# --------------------------------------------------------------------------- status codes


def test_wrong_methods_get_a_405_in_the_api_error_shape(make_app: AppFactory) -> None:
    """The issue's probe: GET /api/ask and PUT /v1/chat/completions gave the page's 404 {"detail"}."""
    with TestClient(make_app(api_key="k")) as client:
        auth = {"Authorization": "Bearer k"}
        for method, path, allow in (
            ("GET", "/api/ask", "POST"),
            ("PUT", CHAT, "POST"),
            ("POST", "/v1/models", "GET"),
        ):
            response = client.request(method, path, headers=auth)
            assert response.status_code == 405, (method, path, response.text)
            assert response.json()["error"]["code"] == "method_not_allowed"
            assert allow in response.headers["allow"] and allow in response.json()["error"]["message"]
        missing = client.get("/api/nothing", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert client.get("/api/ask").status_code == 401, "the key is checked first"
        assert client.post("/api/ask", json={"question": QUESTION}, headers=auth).status_code == 200


class BrokenHealth:
    """An assistant whose index vanished under it (chroma.sqlite3 overwritten)."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake

    def ask(self, question: str, history: Any = None) -> Any:
        return self.fake.ask(question, history)

    def stream(self, question: str, history: Any = None) -> Any:
        return self.fake.stream(question, history)

    def health(self) -> dict[str, Any]:
        import sqlite3

        raise sqlite3.DatabaseError("file is not a database")


def test_health_is_503_not_500_while_the_index_cannot_be_read(make_app: AppFactory, fake: Any) -> None:
    with TestClient(make_app(assistant=BrokenHealth(fake))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["ok"] is False and "index cannot be read" in response.json()["error"]


def test_feedback_with_a_lone_surrogate_is_stored_whole(make_app: AppFactory, settings: Settings) -> None:
    """The issue's probe: {"question": "\\ud800", ...} was a 500."""
    from ui.feedback import FeedbackStore

    body = '{"question": "\\ud800問", "answer": "b", "rating": "up"}'
    with TestClient(make_app()) as client:
        response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    stored = FeedbackStore.in_data_dir(settings.data_dir).read_all()[-1]
    assert stored["question"] == "\ud800問" and stored["answer"] == "b"
