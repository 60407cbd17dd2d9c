"""A tiny, real OpenAI-compatible chat server for tests (FastAPI + uvicorn in a thread).

It speaks ``POST /v1/chat/completions``, plain and streamed (``stream: true``, server-sent
``chat.completion.chunk`` events, then ``data: [DONE]``), and answers from a script: a
fixed reply or a list of replies in turn, an HTTP error status, or a delay long enough to
make the client time out.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 the kernel picked; the port is ours until it closes.

    A server given this socket cannot lose its port to a parallel test worker or another user
    of the machine between choosing the port and listening on it.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago (bound and released): for a server that
    runs in a subprocess and must bind the port itself."""
    with loopback_socket() as sock:
        return int(sock.getsockname()[1])


@contextmanager
def refused_port() -> Iterator[int]:
    """A port of 127.0.0.1 that refuses connections while the block runs (bound, never listening)."""
    with loopback_socket() as sock:
        yield int(sock.getsockname()[1])


class ScriptedServer:
    """An OpenAI-compatible chat server with scripted answers.

    Attributes:
        reply: The answer's text (used when ``replies`` is empty).
        replies: Answers given in turn, one per request (then ``reply``).
        status: HTTP status to answer with (not 200: an OpenAI-style error body).
        delay: Seconds to wait before answering (to make clients time out).
        finish: The ``finish_reason`` sent (``length``: the reply was cut at the token limit).
        requests: The JSON bodies and authorization headers received.
    """

    def __init__(self) -> None:
        self.reply: str = ""
        self.replies: list[str] = []
        self.status = 200
        self.delay = 0.0
        self.finish = "stop"
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization", "")})
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.status != 200:
                return JSONResponse({"error": {"message": "scripted failure"}}, status_code=self.status)
            text = self.replies.pop(0) if self.replies else self.reply
            model = body.get("model", "")
            if body.get("stream"):
                return StreamingResponse(
                    self._chunks(text, model, self.finish), media_type="text/event-stream"
                )
            return JSONResponse(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": self.finish,
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )

        self.socket = loopback_socket()
        self.port = int(self.socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @staticmethod
    async def _chunks(text: str, model: str, finish: str = "stop") -> AsyncIterator[str]:
        def event(delta: dict[str, Any], finish: str | None = None) -> str:
            body = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        yield event({"role": "assistant", "content": ""})
        for i in range(0, len(text), 4):  # a few characters a token, like a real model
            yield event({"content": text[i : i + 4]})
            await asyncio.sleep(0)
        yield event({}, finish)
        yield "data: [DONE]\n\n"

    def reset(self) -> ScriptedServer:
        """Back to an empty, prompt, successful script."""
        self.reply, self.replies, self.status, self.delay, self.finish = "", [], 200, 0.0, "stop"
        self.requests.clear()
        return self

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the scripted LLM server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.socket.close()
