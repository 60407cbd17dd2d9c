"""How many answers are computed at once, and not computing answers nobody waits for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Answers the API computes at once by default: the machine has 2 cores and an answer uses one
#: (about 25 ms for a usual question, at most about 0.3 s for the worst the limits allow); more
#: would only slow every answer down and keep work going for clients that already left.
DEFAULT_ANSWER_SLOTS = 4


class ClientGoneError(Exception):
    """The client closed its connection before its answer was started."""


class AnswerGate:
    """At most ``slots`` answers computed at once; a client that left while waiting costs nothing.

    The assistant's work cannot be interrupted once it runs in a thread (each answer is bounded
    instead, see ``assistant/validate.py``), so the gate checks the connection when a request's
    turn comes: a request whose client gave up while it waited is dropped before any work starts.

    Args:
        slots: Answers computed at once (>= 1); more wait their turn.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1. Currently, it is {slots}.")
        self.slots = slots
        self._semaphore = asyncio.Semaphore(slots)
        #: Requests dropped because their client had left (for tests and logs).
        self.dropped = 0

    async def run(self, request: Request, work: Callable[[], T]) -> T:
        """Run ``work`` in a worker thread when a slot is free and the client is still there.

        Raises:
            ClientGoneError: the client disconnected before its turn came.
        """
        async with self._semaphore:
            if await request.is_disconnected():
                self.dropped += 1
                logger.info("Client left before its answer started: %s %s", request.method, request.url.path)
                raise ClientGoneError(request.url.path)
            return await run_in_threadpool(work)
