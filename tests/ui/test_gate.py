"""The answer gate's order: expensive requests capped, clients in turn, nobody starved, leavers dropped.

The gate runs in a real event loop with real worker threads; the "answers" are functions that
record when they start and wait for the test to let them finish, so every order is exact.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from core.errors import SettingsError
from core.settings import Settings
from ui.api import build_api_router, install_error_handlers
from ui.feedback import FeedbackStore
from ui.gate import AnswerGate, ClientGoneError, request_cost

EXPENSIVE = 200  # the gate's threshold in these tests (characters)


def http_request(client: str = "127.0.0.1", gone: bool = False) -> Request:
    """A Starlette request from ``client`` whose connection is open, or closed when ``gone``."""

    async def receive() -> dict[str, Any]:
        if gone:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # nothing more arrives while the client waits
        return {}

    scope = {"type": "http", "method": "POST", "path": "/api/ask", "headers": [], "client": (client, 1234)}
    return Request(scope, receive)


class Answers:
    """Named answers that record their start and hold their worker thread until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.running_expensive = 0
        self.most_expensive_at_once = 0
        self._release: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def work(self, name: str, *, hold: bool = True, seconds: float = 0.0) -> Callable[[], str]:
        release = self._release.setdefault(name, threading.Event())
        if not hold:
            release.set()

        def answer() -> str:
            expensive = name.startswith("E")
            with self._lock:
                self.started.append(name)
                if expensive:
                    self.running_expensive += 1
                    self.most_expensive_at_once = max(self.most_expensive_at_once, self.running_expensive)
            if not release.wait(timeout=10):
                raise TimeoutError(f"{name} was never released")
            time.sleep(seconds)
            with self._lock:
                self.finished.append(name)
                if expensive:
                    self.running_expensive -= 1
            return name

        return answer

    def release(self, name: str) -> None:
        self._release.setdefault(name, threading.Event()).set()

    async def until_started(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.started) < count:
            assert time.monotonic() < deadline, f"only {self.started} started"
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)  # and nothing more starts on its own


def submit(gate: AnswerGate, answers: Answers, name: str, client: str, **work: Any) -> asyncio.Task[str]:
    """Ask the gate for ``name`` (expensive when it starts with ``E``) from ``client``."""
    cost = EXPENSIVE if name.startswith("E") else 20
    return asyncio.ensure_future(gate.run(http_request(client), answers.work(name, **work), cost=cost))


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout=30))


@pytest.mark.parametrize(("expensive_slots", "expected"), [(1, ["C1", "C2"]), (2, ["E2", "E3"])])
def test_cheap_requests_pass_expensive_ones_waiting(expensive_slots: int, expected: list[str]) -> None:
    """With the expensive cap (1 of 2 slots) the freed slot goes to the cheap requests queued after
    the expensive ones; without it (2 of 2) to the expensive requests first in line."""

    async def scenario() -> None:
        gate = AnswerGate(2, expensive_slots, EXPENSIVE)
        answers = Answers()
        tasks = [submit(gate, answers, "E1", "e1"), submit(gate, answers, "C0", "c0")]
        await answers.until_started(2)
        tasks += [submit(gate, answers, name, name.lower()) for name in ("E2", "E3", "C1", "C2")]
        await asyncio.sleep(0.02)
        assert gate.waiting == 4
        answers.release("C0")
        await answers.until_started(3)
        answers.release(answers.started[2])
        await answers.until_started(4)
        assert answers.started[2:4] == expected
        for name in ("E1", "E2", "E3", "C1", "C2"):
            answers.release(name)
        await asyncio.gather(*tasks)
        assert sorted(answers.finished) == ["C0", "C1", "C2", "E1", "E2", "E3"]
        assert (gate.running, gate.running_expensive, gate.waiting) == (0, 0, 0)

    run(scenario)


def test_clients_take_turns() -> None:
    """One slot; client a queues three requests, then b and c one each: b and c need not wait
    for all of a's (first come, first served would start a1, a2, a3, b1, c1)."""

    async def scenario() -> None:
        gate = AnswerGate(1)
        answers = Answers()
        tasks = [submit(gate, answers, "X", "x")]
        await answers.until_started(1)
        tasks += [submit(gate, answers, name, "a", hold=False) for name in ("a1", "a2", "a3")]
        await asyncio.sleep(0.01)
        tasks += [submit(gate, answers, "b1", "b", hold=False), submit(gate, answers, "c1", "c", hold=False)]
        await asyncio.sleep(0.01)
        answers.release("X")
        await asyncio.gather(*tasks)
        assert answers.started == ["X", "a1", "b1", "c1", "a2", "a3"]

    run(scenario)


def test_expensive_requests_finish_under_steady_cheap_load() -> None:
    """Six cheap clients in closed loop keep the queue full (two slots, so four always wait); the
    expensive requests still all finish, one at a time, while cheap ones keep being answered.
    (Serving cheap requests strictly first would never start them.)"""

    async def scenario() -> None:
        gate = AnswerGate(2, 1, EXPENSIVE)
        answers = Answers()
        stop = asyncio.Event()

        async def cheap_client(c: int) -> None:
            i = 0
            while not stop.is_set():
                await submit(gate, answers, f"C{c}.{i}", f"cheap{c}", hold=False, seconds=0.002)
                i += 1

        def cheap_done() -> int:
            return sum(1 for name in answers.finished if name.startswith("C"))

        cheap = [asyncio.ensure_future(cheap_client(c)) for c in range(6)]
        await asyncio.sleep(0.05)
        before = cheap_done()
        expensive = [submit(gate, answers, f"E{k}", f"e{k}", hold=False, seconds=0.01) for k in range(5)]
        await asyncio.wait_for(asyncio.gather(*expensive), timeout=10)
        during = cheap_done() - before
        stop.set()
        await asyncio.gather(*cheap)
        assert sorted(n for n in answers.finished if n.startswith("E")) == ["E0", "E1", "E2", "E3", "E4"]
        assert answers.most_expensive_at_once == 1
        assert during >= 5, f"only {during} cheap answers while the expensive ones ran"

    run(scenario)


def test_a_request_whose_client_left_is_dropped_and_its_slot_passed_on() -> None:
    async def scenario() -> None:
        gate = AnswerGate(1)
        answers = Answers()
        first = submit(gate, answers, "C0", "a")
        await answers.until_started(1)
        gone = asyncio.ensure_future(gate.run(http_request("b", gone=True), answers.work("C1", hold=False)))
        after = submit(gate, answers, "C2", "c", hold=False)
        await asyncio.sleep(0.02)
        answers.release("C0")
        with pytest.raises(ClientGoneError):
            await gone
        await asyncio.gather(first, after)
        assert answers.started == ["C0", "C2"] and gate.dropped == 1
        assert (gate.running, gate.waiting) == (0, 0)

    run(scenario)


def test_a_cancelled_waiter_leaves_the_queue() -> None:
    async def scenario() -> None:
        gate = AnswerGate(1, 1, EXPENSIVE)
        answers = Answers()
        first = submit(gate, answers, "E0", "a")
        await answers.until_started(1)
        cancelled = submit(gate, answers, "E1", "b", hold=False)
        after = submit(gate, answers, "E2", "c", hold=False)
        await asyncio.sleep(0.01)
        cancelled.cancel()
        await asyncio.sleep(0.01)
        assert gate.waiting == 1
        answers.release("E0")
        await asyncio.gather(first, after)
        assert answers.started == ["E0", "E2"]
        assert (gate.running, gate.running_expensive, gate.waiting) == (0, 0, 0)

    run(scenario)


def test_request_cost_counts_the_question_and_recent_user_messages() -> None:
    history = [
        {"role": "user", "content": "舊" * 500},  # older than the two turns read
        {"role": "assistant", "content": "答" * 300},
        {"role": "user", "content": "材化領域的研發重點是什麼？"},
        {"role": "assistant", "content": "答" * 3000},  # answers are not searched with
    ]
    assert request_cost("那生醫呢？", history, history_turns=2) == 5 + 13
    assert request_cost("那生醫呢？", history, history_turns=4) == 5 + 500 + 13
    assert request_cost("那生醫呢？", history, history_turns=0) == 5


def test_gate_settings_are_checked() -> None:
    assert Settings.from_env({"KEZHUAN_EXPENSIVE_ANSWER_SLOTS": "2"}).expensive_answer_slots == 2
    with pytest.raises(SettingsError, match="KEZHUAN_EXPENSIVE_ANSWER_SLOTS"):
        Settings(answer_slots=2, expensive_answer_slots=3)
    with pytest.raises(SettingsError, match="expensive_answer_slots"):
        Settings(expensive_answer_slots=0)
    with pytest.raises(SettingsError, match="KEZHUAN_EXPENSIVE_REQUEST_CHARS"):
        Settings(expensive_request_chars=0)
    with pytest.raises(ValueError, match="expensive_slots must be between 1 and slots"):
        AnswerGate(2, 3)


class RecordingGate(AnswerGate):
    """The real gate, noting the cost each request was given."""

    def __init__(self) -> None:
        super().__init__(4, 1, EXPENSIVE)
        self.costs: list[int] = []

    async def run(
        self, request: Request, work: Callable[[], Any], *, cost: int = 0, client: str | None = None
    ) -> Any:
        self.costs.append(cost)
        return await super().run(request, work, cost=cost, client=client)


def test_the_api_gives_the_gate_each_requests_cost(fake: Any, settings: Settings, tmp_path: Any) -> None:
    gate = RecordingGate()
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_api_router(fake, settings, FeedbackStore.in_data_dir(tmp_path), gate=gate))
    question = "南臺灣創新園區在做什麼？"
    history = [
        {"role": "user", "content": "材化領域的研發重點是什麼？"},
        {"role": "assistant", "content": "答" * 900},
    ]
    with TestClient(app) as client:
        assert client.post("/api/ask", json={"question": question}).status_code == 200
        assert client.post("/api/ask", json={"question": "那生醫呢？", "history": history}).status_code == 200
        messages = [*history, {"role": "user", "content": "那生醫呢？"}]
        chat = client.post("/v1/chat/completions", json={"model": "kezhuan", "messages": messages})
        assert chat.status_code == 200
    assert gate.costs == [len(question), 5 + 13, 5 + 13]
