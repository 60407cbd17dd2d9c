"""Fixtures of the web-surface tests: a scripted assistant and real uvicorn servers.

``FakeAssistant`` has the methods of ``assistant.Assistant`` (``ask``, ``stream``,
``health``) and answers from a script keyed by words in the question, so the tests
exercise the real FastAPI/Gradio stack without loading an embedding model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from llm_server import loopback_socket

from assistant.reply import Citation, Reply, one_citation_per_passage
from core.errors import BadQuestionError, IndexMissingError
from core.settings import Settings
from ui.server import create_app

TITLE = "經濟部科技研究發展專案（科技專案）推動概況"
SOURCE = "moea-doit-tech-programs-overview.txt"

#: Text a malicious document could hold: HTML and markdown tricks must show as text.
EVIL_SCRIPT = "<script>alert(1)</script>"
EVIL_TEXT = (
    f"測試用惡意段落{EVIL_SCRIPT}與 <img src=x onerror=alert(2)> 以及 **粗體** "
    "[點我](javascript:alert(3)) ![圖](x)。新創專章提供七大誘因，鼓勵以研發成果技術作價取得股權。"
)
EVIL_QUOTE = "新創專章提供七大誘因，鼓勵以研發成果技術作價取得股權。"

REFUSAL = "抱歉，現有文件中找不到這個問題的答案。您可以換個方式提問，或詢問經濟部科技專案的相關內容。"


def _citation(n: int, text: str, quote: str, section: str, start: int = 0) -> Citation:
    at = text.find(quote)
    return Citation(
        n=n,
        passage_id=f"p{n:03d}",
        source=SOURCE,
        section=section,
        text=text,
        quote=quote,
        start=start + max(at, 0),
        end=start + max(at, 0) + len(quote),
        score=0.9,
        title=TITLE,
    )


STARTUP_TEXT = (
    "本部於2022年1月25日修正發布「經濟部科學技術研究發展成果歸屬及運用辦法」，增訂新創專章，"
    "提供成果運用免公告、境外實施免報部、股權上繳得減免、分配股權做獎勵、成果定價可免責、"
    "處分股權好簡單、股票緩課且擇低等七大誘因。"
)
PARK_TEXT = (
    "在臺南市推動「經濟部南臺灣創新園區」，投入「綠能與材料應用」、「資訊與雲端服務」、「智慧機電應用」、"
    "「食品機械研發」、「軟體研發」，協助南部產業技術研發、育成媒合、群聚發展以及新創商機。"
)
TEAMS_TEXT = "2022年共培育52組科專新創團隊，分別促成16組科專新創團隊完成公司設立。"


#: One table row (a unit of its own at ingest) that an answer quotes cell by cell.
ROW_TEXT = "年度：2021；培育團隊：44組；募資金額：8.29億元；設立公司：12家"
ROW_QUOTES = ("年度：2021", "培育團隊：44組", "募資金額：8.29億元")


def _row_script() -> tuple[str, list[Citation]]:
    """An answer citing three cells of one row and a sentence elsewhere, merged as the assistant does."""
    cells = [
        _citation(n, ROW_TEXT, quote, "成果｜表1 第2列", start=500) for n, quote in enumerate(ROW_QUOTES, 1)
    ]
    cells = [replace(c, passage_id="row-2021", text_start=500, quotes=[]) for c in cells]
    teams = _citation(4, TEAMS_TEXT, "2022年共培育52組科專新創團隊，", "新創")
    return one_citation_per_passage(
        "2021年[1]培育44組團隊[2]，募資8.29億元[3]；2022年培育52組[4]。", [*cells, teams]
    )


@dataclass
class Script:
    """A scripted answer: what to say and which citations back it."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False


SCRIPTS: dict[str, Script] = {
    "新創專章": Script(
        answer="新創專章提供成果運用免公告、股權上繳得減免等七大誘因[1]，並鼓勵以技術作價取得股權[2]。",
        citations=[
            _citation(
                1, STARTUP_TEXT, "增訂新創專章，提供成果運用免公告、境外實施免報部、股權上繳得減免", "新創"
            ),
            _citation(2, EVIL_TEXT, EVIL_QUOTE, "惡意<b>章節</b>**"),
        ],
    ),
    "南臺灣": Script(
        answer="南臺灣創新園區位於臺南市，投入綠能與材料應用、資訊與雲端服務等研發[1]。",
        citations=[
            _citation(
                1,
                PARK_TEXT,
                PARK_TEXT.split("，協助")[0] + "，協助南部產業技術研發、育成媒合、群聚發展以及新創商機。",
                "區域創新",
            )
        ],
    ),
    "新創團隊": Script(
        answer="2022年共培育52組科專新創團隊[1]。",
        citations=[_citation(1, TEAMS_TEXT, "2022年共培育52組科專新創團隊，", "新創")],
    ),
    "表格": Script(*_row_script()),
    "天氣": Script(answer=REFUSAL, refused=True),
    # Two sentences, each citing its own source: the page shows them one at a time.
    "分別": Script(
        answer="南臺灣創新園區位於臺南市[1]。2022年共培育52組科專新創團隊[2]。",
        citations=[
            _citation(1, PARK_TEXT, "在臺南市推動「經濟部南臺灣創新園區」", "區域創新"),
            _citation(2, TEAMS_TEXT, "2022年共培育52組科專新創團隊，", "新創"),
        ],
    ),
}
DEFAULT_SCRIPT = Script(
    answer="A+企業創新研發淬鍊計畫鼓勵企業投入前瞻技術研發[1]。",
    citations=[
        _citation(
            1,
            "本部技術司推動「A+企業創新研發淬鍊計畫」，鼓勵企業投入前瞻技術研發。",
            "鼓勵企業投入前瞻技術研發。",
            "業界科專",
        )
    ],
)


class FakeAssistant:
    """A scripted stand-in for ``assistant.Assistant``.

    Special questions: one containing ``boom`` raises ``RuntimeError`` (an unexpected
    failure), ``noindex`` raises ``IndexMissingError``. Every call is recorded in
    ``calls`` as ``(method, question, history)``.

    Args:
        max_question_chars: The limit checked like the real assistant does.
        chunk_chars: Size of the text deltas ``stream`` yields.
        delay: Seconds to sleep between deltas (to watch streaming).
    """

    refusal = REFUSAL
    evil_script = EVIL_SCRIPT
    evil_text = EVIL_TEXT
    evil_quote = EVIL_QUOTE

    def __init__(self, max_question_chars: int = 2000, chunk_chars: int = 6, delay: float = 0.0) -> None:
        self.max_question_chars = max_question_chars
        self.chunk_chars = chunk_chars
        self.delay = delay
        self.calls: list[tuple[str, str, list[dict[str, str]]]] = []
        self._lock = threading.Lock()

    def _check(self, question: str) -> None:
        if not question or not question.strip():
            raise BadQuestionError("問題是空的，請輸入問題。 (The question is empty.)")
        if len(question) > self.max_question_chars:
            raise BadQuestionError(f"問題太長。 (The question is longer than {self.max_question_chars}.)")
        if "boom" in question:
            raise RuntimeError("secret internal detail /etc/passwd")
        if "noindex" in question:
            raise IndexMissingError("There is no index yet: run `kezhuan ingest` first.")

    def _reply(self, question: str) -> Reply:
        script = next((s for key, s in SCRIPTS.items() if key in question), DEFAULT_SCRIPT)
        return Reply(
            question=question,
            answer=script.answer,
            refused=script.refused,
            citations=list(script.citations),
            search_query=question,
            notes={"generator": "fake"},
        )

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Reply:
        """Answer from the script."""
        with self._lock:
            self.calls.append(("ask", question, list(history or [])))
        self._check(question)
        return self._reply(question)

    def stream(self, question: str, history: list[dict[str, str]] | None = None) -> Iterator[str | Reply]:
        """Yield the scripted answer in ``chunk_chars`` pieces, then the Reply."""
        with self._lock:
            self.calls.append(("stream", question, list(history or [])))
        self._check(question)
        reply = self._reply(question)
        for i in range(0, len(reply.answer), self.chunk_chars):
            if self.delay:
                time.sleep(self.delay)
            yield reply.answer[i : i + self.chunk_chars]
        yield reply

    def health(self) -> dict[str, Any]:
        """A healthy fake index."""
        return {
            "ok": True,
            "passages": 3,
            "embedding_model": "fake",
            "collection": "kezhuan-test",
            "retrieval_mode": "hybrid",
            "generator": "extractive",
        }


#: Gradio's queue sets pandas options that pandas 3 deprecates; not ours to fix.
GRADIO_PANDAS_WARNINGS = ("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Silence Gradio's own pandas deprecation warnings in the web tests."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            for spec in GRADIO_PANDAS_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with loopback_socket() as s:
        return int(s.getsockname()[1])


class LiveServer:
    """A uvicorn server running an ASGI app in a background thread on 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.socket = loopback_socket()  # bound now: no other test can take the port before uvicorn listens
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,  # Gradio's open event streams would hold shutdown
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a temporary data folder, a short question limit and no rate limit.

    The tests' many requests come from one address; ``test_limits.py`` tests the limit.
    """
    data_dir = tmp_path_factory.mktemp("kezhuan-data")
    return Settings.from_env(environ={}, data_dir=data_dir, max_question_chars=200, rate_limit_per_minute=0)


@pytest.fixture(scope="session")
def fake() -> FakeAssistant:
    """The scripted assistant shared by the session's servers."""
    return FakeAssistant(max_question_chars=200)


AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def make_app(fake: FakeAssistant, settings: Settings) -> AppFactory:
    """``create_app`` bound to the fake and the session's settings (not the caller's environment)."""

    def make(**kwargs: Any) -> FastAPI:
        return create_app(kwargs.pop("assistant", fake), kwargs.pop("settings", settings), **kwargs)

    return make


@pytest.fixture(scope="session")
def server(make_app: AppFactory) -> Iterator[LiveServer]:
    """A live server without auth, allowing CORS from ``http://allowed.example``."""
    with LiveServer(make_app(cors_origins=["http://allowed.example"])) as live:
        yield live


@pytest.fixture(scope="session")
def auth_server(make_app: AppFactory) -> Iterator[LiveServer]:
    """A live server whose API needs the key ``s3cret-key``."""
    with LiveServer(make_app(api_key="s3cret-key")) as live:
        yield live


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root (gitignored), for screenshots."""
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


#: Debian's Chromium and the flags that work on this closed network (no background calls).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
