"""The Gradio chat page: its handlers, and gradio_client against a live server."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import gradio as gr
import httpx
import pytest
from conftest import FakeAssistant, LiveServer
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError

from core.errors import SettingsError
from core.settings import Settings
from ui.feedback import FeedbackStore
from ui.server import create_app
from ui.web import ChatPage


@pytest.fixture()
def page(tmp_path: Path, settings: Settings) -> ChatPage:
    return ChatPage(
        FakeAssistant(max_question_chars=200), settings, FeedbackStore(tmp_path / "feedback.jsonl")
    )


def _text(message: dict[str, str]) -> str:
    return message["content"]


def test_answer_streams_in_then_shows_sources(page: ChatPage) -> None:
    steps = list(page.respond("南臺灣創新園區在做什麼？", []))
    pending = [s for s in steps if "kz-streaming" in _text(s[0][-1])]
    assert len(pending) >= 3, "the answer should appear piece by piece"
    messages, turns, textbox = steps[-1]
    assert textbox == "" and len(messages) == 2 and len(turns) == 1
    assert 'class="kz-cite"' in _text(messages[1]) and "<mark>" in _text(messages[1])
    assert turns[0]["answer"].endswith("[1]。") and turns[0]["citations"][0]["n"] == 1


def test_follow_up_passes_history(page: ChatPage) -> None:
    *_, (_, turns, _) = page.respond("南臺灣創新園區在做什麼？", [])
    *_, (messages, turns, _) = page.respond("它在哪裡？", turns)
    assert len(messages) == 4
    fake = page.assistant
    assert isinstance(fake, FakeAssistant)
    assert fake.calls[-1][2] == [
        {"role": "user", "content": "南臺灣創新園區在做什麼？"},
        {"role": "assistant", "content": turns[0]["answer"]},
    ]


def test_refusal_is_a_notice(page: ChatPage) -> None:
    *_, (messages, turns, _) = page.respond("今天天氣好嗎？", [])
    assert 'class="kz-refusal"' in _text(messages[-1]) and "kz-source" not in _text(messages[-1])
    assert turns[0]["refused"] is True


def test_empty_and_too_long_questions_leave_the_chat_unchanged(page: ChatPage) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert list(page.respond("   ", [])) == [([], [], "   ")]
        long = "問" * 201
        assert list(page.respond(long, [])) == [([], [], long)]
    assert page.assistant.calls == []  # type: ignore[attr-defined]


def test_unexpected_failure_shows_a_generic_error(page: ChatPage) -> None:
    with pytest.raises(gr.Error) as raised:
        list(page.respond("boom", []))
    assert "secret" not in str(raised.value)


def test_thumbs_are_stored_with_question_answer_and_citations(page: ChatPage) -> None:
    *_, (_, turns, _) = page.respond("2022年培育了幾組科專新創團隊？", [])
    page.rate(turns, gr.LikeData(None, {"index": 1, "value": "x", "liked": True}))
    page.rate(turns, gr.LikeData(None, {"index": 1, "value": "x", "liked": False}))
    page.rate(turns, gr.LikeData(None, {"index": 7, "value": "x", "liked": True}))  # no such answer: ignored
    records = page.feedback.read_all()
    assert [r["rating"] for r in records] == ["up", "down"]
    assert records[0]["question"] == "2022年培育了幾組科專新創團隊？"
    assert records[0]["answer"] == turns[0]["answer"] and records[0]["citations"] == turns[0]["citations"]


def test_gradio_client_chat(server: LiveServer) -> None:
    client = Client(server.url + "/", verbose=False)
    messages, textbox = client.predict("南臺灣創新園區在做什麼？", api_name="/chat")
    answer = json.dumps(messages[-1]["content"], ensure_ascii=False)
    assert messages[-1]["role"] == "assistant" and "[1]" in answer and "<mark>" in answer
    messages, _ = client.predict("它在哪個城市？", api_name="/chat")
    assert len(messages) == 4, "a second question in the same session is a follow-up"


def test_protect_page_needs_a_key(fake: FakeAssistant, settings: Settings) -> None:
    with pytest.raises(SettingsError, match="KEZHUAN_API_KEY"):
        create_app(fake, settings, protect_page=True, api_key="")


@pytest.mark.integration  # a live server and Gradio clients
def test_protected_page_asks_for_the_key(fake: FakeAssistant, settings: Settings) -> None:
    protected = Settings.from_env(
        environ={"KEZHUAN_PROTECT_PAGE": "1", "KEZHUAN_API_KEY": "page-key"}, data_dir=settings.data_dir
    )
    app = create_app(fake, protected)
    with LiveServer(app) as live:
        assert httpx.get(live.url + "/config", timeout=30).status_code == 401
        with pytest.raises(AuthenticationError):
            Client(live.url + "/", verbose=False)
        client = Client(live.url + "/", auth=("anyone", "page-key"), verbose=False)
        messages, _ = client.predict("南臺灣創新園區在做什麼？", api_name="/chat")
        assert "[1]" in json.dumps(messages, ensure_ascii=False)


class _CountingAssistant(FakeAssistant):
    """A fake that records how many answers are being written at the same moment."""

    def __init__(self) -> None:
        super().__init__(delay=0.1)
        self.in_flight = 0
        self.most_in_flight = 0

    def stream(self, question, history=None):  # type: ignore[no-untyped-def]
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield from super().stream(question, history)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.mark.integration  # a live server and Gradio clients
def test_several_visitors_are_answered_at_once(settings: Settings) -> None:
    counting = _CountingAssistant()
    app = create_app(counting, settings, api_key="")
    with LiveServer(app) as live:
        clients = [Client(live.url + "/", verbose=False) for _ in range(3)]
        jobs = [c.submit("南臺灣創新園區在做什麼？", api_name="/chat") for c in clients]
        results = [job.result(timeout=60) for job in jobs]
    assert all("[1]" in json.dumps(r[0][-1]["content"], ensure_ascii=False) for r in results)
    assert counting.most_in_flight >= 2, "answers were queued one visitor at a time"


def test_searching_state_shows_before_the_assistant_is_asked(page: ChatPage) -> None:
    fake = page.assistant
    assert isinstance(fake, FakeAssistant)
    steps = page.respond("南臺灣創新園區在做什麼？", [])
    messages, _, textbox = next(steps)
    assert "正在搜尋文件…" in _text(messages[-1]) and 'role="status"' in _text(messages[-1])
    assert textbox == "" and fake.calls == []  # shown before any retrieval starts
    list(steps)
    assert fake.calls[-1][1] == "南臺灣創新園區在做什麼？"


def test_checked_answer_appears_sentence_by_sentence_with_its_sources(page: ChatPage) -> None:
    steps = [s[0][-1]["content"] for s in page.respond("兩個計畫分別在做什麼？", [])]
    first_only = [
        html
        for html in steps
        if "臺南市" in html and "kz-cite" in html and "2022年共培育" not in html.split("kz-sources")[0]
    ]
    assert first_only, "the first sentence should show, linked, before the second"
    assert "kz-src-" in first_only[-1] and first_only[-1].count('class="kz-source"') == 1
    final = steps[-1]
    assert final.count('class="kz-source"') == 2 and "kz-streaming" not in final


def test_split_sentences_keeps_markers_and_text() -> None:
    from ui.render import split_sentences

    answer = "The sources are in Chinese:\n甲乙[1]。丙丁[2][3]！戊"
    pieces = split_sentences(answer)
    assert pieces == ["The sources are in Chinese:\n", "甲乙[1]。", "丙丁[2][3]！", "戊"]
    assert "".join(pieces) == answer


def test_warm_up_answers_each_warm_up_question_once_before_serving() -> None:
    from ui.server import WARM_UP_QUESTIONS, warm_up

    fake = FakeAssistant()
    assert warm_up(fake) >= 0
    assert fake.calls == [("ask", question, []) for question in WARM_UP_QUESTIONS]


def test_too_long_question_message_speaks_to_the_visitor() -> None:
    from assistant.validate import validate_question
    from core.errors import BadQuestionError

    with pytest.raises(BadQuestionError) as caught:
        validate_question("字" * 250, 200)
    assert "問題太長（250 字，上限 200 字）" in str(caught.value)
    assert "KEZHUAN" not in str(caught.value)  # a server setting a visitor cannot change
