"""How many answers are computed at once, in what order, and not computing answers nobody waits for.

The API computes at most ``slots`` answers at once (``Settings.answer_slots``); the rest wait in
the :class:`AnswerGate`. Two rules decide who goes next when a slot frees, so that expensive
requests cannot starve cheap ones:

1. **Cost classes.** A request's cost is estimated before any work from the characters it asks
   the assistant to search with (:func:`request_cost`). Requests of at least
   ``Settings.expensive_request_chars`` are *expensive* and may hold at most
   ``Settings.expensive_answer_slots`` of the slots at once; the other slots stay free for cheap
   requests, which pass waiting expensive ones instead of queueing behind them.
2. **Round robin across clients.** Waiting requests are grouped by client (its address, as the
   rate limit counts it); each free slot goes to the next client in turn that has a request it
   may start, so one client's burst of requests waits behind one request of every other client,
   not in front of them.

Neither rule starves anyone: a client passed over because the expensive slots were busy keeps its
place at the head of the turn order (unless a cheap request of its own went instead), so its
expensive request starts at the first free slot once an expensive one is free.

Figures (seed index, this 2-core machine, 2026-11-30): an answer costs about 0.04 s of CPU for a
16-character question, 0.13 s for 128 characters and 0.19-0.25 s from 200 on (the embedding model
reads at most ``query_max_tokens`` tokens); ``python -m bench.worst`` gives 0.30-0.36 s for the
worst request the limits allow at load average 11 (README "Security and reliability").
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ClientGoneError(Exception):
    """The client closed its connection before its answer was started."""


def request_cost(question: str, history: Sequence[dict[str, str]], history_turns: int) -> int:
    """The characters a request asks the assistant to search with: its estimated cost.

    The question plus the user messages among the latest ``history_turns`` history messages (a
    follow-up searches with earlier questions prepended; ``assistant/chat.py``). Assistant
    messages are left out: they are only scanned for names, which costs little, so a long
    conversation of short questions stays cheap.

    Args:
        question: The validated question.
        history: The validated history, oldest first (``{"role", "content"}`` messages).
        history_turns: ``Settings.max_history_turns``, the history messages the assistant reads.

    Returns:
        Characters (>= 0). The embedding's CPU time grows with them up to ``query_max_tokens``
        tokens (about one per Chinese character), BM25's with all of them.
    """
    recent = list(history)[-history_turns:] if history_turns else []
    return len(question) + sum(len(m["content"]) for m in recent if m["role"] == "user")


@dataclass
class _Waiter:
    expensive: bool
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class AnswerGate:
    """At most ``slots`` answers at once, expensive ones capped, clients served in turn.

    The assistant's work cannot be interrupted once it runs in a thread (each answer is bounded
    instead, see ``assistant/validate.py``), so the gate checks the connection when a request's
    turn comes: a request whose client gave up while it waited is dropped before any work starts.

    Args:
        slots: Answers computed at once (>= 1); more wait their turn.
        expensive_slots: Most of the ``slots`` that requests of at least ``expensive_chars``
            may hold at once (1 to ``slots``; ``None`` or ``slots``: no cap).
        expensive_chars: Cost (:func:`request_cost`, characters) from which a request counts
            as expensive.

    Raises:
        ValueError: a count out of range (the message names it and its value).
    """

    def __init__(self, slots: int, expensive_slots: int | None = None, expensive_chars: int = 200) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1. Currently, it is {slots}.")
        expensive_slots = slots if expensive_slots is None else expensive_slots
        if not 1 <= expensive_slots <= slots:
            raise ValueError(
                f"expensive_slots must be between 1 and slots ({slots}). Currently, it is {expensive_slots}."
            )
        if expensive_chars < 1:
            raise ValueError(f"expensive_chars must be at least 1. Currently, it is {expensive_chars}.")
        self.slots = slots
        self.expensive_slots = expensive_slots
        self.expensive_chars = expensive_chars
        self.running = 0
        self.running_expensive = 0
        #: Waiting requests per client, clients in turn order (the next to serve first).
        self._waiting: OrderedDict[str, deque[_Waiter]] = OrderedDict()
        #: Requests dropped because their client had left (for tests and logs).
        self.dropped = 0

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return sum(len(queue) for queue in self._waiting.values())

    def is_expensive(self, cost: int) -> bool:
        """Whether a request of ``cost`` characters counts against ``expensive_slots``."""
        return cost >= self.expensive_chars

    async def run(
        self, request: Request, work: Callable[[], T], *, cost: int = 0, client: str | None = None
    ) -> T:
        """Run ``work`` in a worker thread when its turn comes and the client is still there.

        Args:
            request: The HTTP request (for its connection and, by default, its client).
            work: The answer to compute; runs in Starlette's thread pool.
            cost: The request's estimated cost (:func:`request_cost`, characters).
            client: Whose turn this is; default: the request's address, as the rate limit
                counts clients (``ui/limits.py``).

        Raises:
            ClientGoneError: the client disconnected before its turn came.
        """
        expensive = self.is_expensive(cost)
        if client is None:
            client = request.client.host if request.client else "unknown"
        await self._acquire(client, expensive)
        try:
            if await request.is_disconnected():
                self.dropped += 1
                logger.info("Client left before its answer started: %s %s", request.method, request.url.path)
                raise ClientGoneError(request.url.path)
            return await run_in_threadpool(work)
        finally:
            self._release(expensive)

    async def _acquire(self, client: str, expensive: bool) -> None:
        waiter = _Waiter(expensive)
        self._waiting.setdefault(client, deque()).append(waiter)
        self._dispatch()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(expensive)  # granted just as the task was cancelled: pass it on
            else:
                self._forget(client, waiter)
            raise

    def _release(self, expensive: bool) -> None:
        self.running -= 1
        if expensive:
            self.running_expensive -= 1
        self._dispatch()

    def _forget(self, client: str, waiter: _Waiter) -> None:
        queue = self._waiting.get(client)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._waiting[client]

    def _dispatch(self) -> None:
        """Start waiting requests while slots are free: clients in turn, expensive ones capped."""
        while self.running < self.slots:
            chosen = self._next_startable()
            if chosen is None:
                return
            client, waiter = chosen
            queue = self._waiting[client]
            queue.remove(waiter)
            if queue:
                self._waiting.move_to_end(client)  # served: to the back of the turn order
            else:
                del self._waiting[client]
            if waiter.granted.done():  # cancelled, and its task has not yet forgotten it
                continue
            self.running += 1
            if waiter.expensive:
                self.running_expensive += 1
            waiter.granted.set_result(None)

    def _next_startable(self) -> tuple[str, _Waiter] | None:
        """The first client in turn with a request that may start now, and that request.

        A client's requests start in the order they came, except that an expensive one waiting
        for an expensive slot lets the client's cheap ones after it pass.
        """
        expensive_ok = self.running_expensive < self.expensive_slots
        for client, queue in self._waiting.items():
            for waiter in queue:
                if expensive_ok or not waiter.expensive:
                    return client, waiter
        return None
