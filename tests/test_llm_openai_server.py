"""The ``openai`` generator against a real OpenAI-compatible server: llama-cpp-python's own.

``python -m llama_cpp.server`` serves a local GGUF model over HTTP on 127.0.0.1 (a subprocess,
started once for this module and always stopped), and kezhuan talks to it exactly as it would
to vLLM, Ollama's ``/v1`` or a hosted API: ``KEZHUAN_GENERATOR=openai`` with
``KEZHUAN_LLM_BASE_URL``, ``KEZHUAN_LLM_MODEL`` and ``KEZHUAN_LLM_API_KEY`` read from the
environment. Covered: an answer with enforced citations, a stream through kezhuan's own
``/v1/chat/completions``, refusals, a wrong key, and the fallback once the server is gone.

Marked ``llm``; skipped unless ``KEZHUAN_TEST_GGUF`` names a GGUF file and the server's
packages are installed (``pip install .[llm-server]``; with llama-cpp-python already built,
``pip install 'llama-cpp-python[server]==0.3.36'`` adds only the server's packages)::

    KEZHUAN_TEST_GGUF=/tmp/qwen-coder-1.5b-q4km.gguf .venv/bin/python -m pytest -m llm \\
        tests/test_llm_openai_server.py
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_server import free_port

from assistant import Assistant
from assistant.answer import REFUSAL_HANT
from assistant.chat import FALLBACK_NOTICE_HANT
from assistant.enforce import EnforcedAnswer
from assistant.reply import Reply
from core.settings import Settings

GGUF = os.environ.get("KEZHUAN_TEST_GGUF", "")
#: The name the server gives the model (``--model_alias``) and kezhuan asks for.
MODEL_ALIAS = "kezhuan-test"
#: Seconds the server may take to load the model and answer ``/v1/models``.
STARTUP_TIMEOUT = 180.0
#: Seconds one generation may take on a busy 2-core machine.
LLM_TIMEOUT = 240.0

QUESTION = "業界開發產業技術計畫是哪一年啟動的？"


def _server_missing() -> str:
    """Why ``python -m llama_cpp.server`` cannot run here ("" when it can)."""
    try:
        import langchain_openai  # noqa: F401
        import llama_cpp.server.app  # noqa: F401 - needs fastapi, sse-starlette, starlette-context...
    except ImportError as e:
        return f"pip install .[llm-server] (llama_cpp.server or langchain-openai is missing: {e})"
    return ""


HAVE_GGUF = bool(GGUF) and Path(GGUF).is_file()
#: Checked only when a model is given: collecting this module costs nothing otherwise.
SERVER_MISSING = _server_missing() if HAVE_GGUF else ""

pytestmark = [
    pytest.mark.llm,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_GGUF, reason="set KEZHUAN_TEST_GGUF to a GGUF file"),
    pytest.mark.skipif(bool(SERVER_MISSING), reason=SERVER_MISSING or "-"),
]


class LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1 with a bearer key, as a subprocess.

    Args:
        gguf: The model file.
        log_path: Where the server's output goes (read back when it fails to start).
    """

    def __init__(self, gguf: str, log_path: Path) -> None:
        self.gguf = gguf
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.api_key = secrets.token_hex(8)
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            self.gguf,
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--api_key",
            self.api_key,
            "--n_threads",
            "2",
            "--n_ctx",
            "4096",
        ]

    @staticmethod
    def environment() -> dict[str, str]:
        """The caller's environment without what the server would read as its settings.

        The server's pydantic settings read unprefixed variables (``PORT``, ``HOST``, ``MODEL``,
        ``API_KEY``...), which would override the command line.
        """
        from llama_cpp.server.settings import Settings as ServerSettings

        fields = {name.lower() for name in ServerSettings.model_fields} | {"config_file"}
        return {k: v for k, v in os.environ.items() if k.lower() not in fields}

    def start(self) -> LlamaServer:
        """Start the server and wait until it lists the model (or fail with its log)."""
        t0 = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment()
            )
        deadline = t0 + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama_cpp.server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if self.models() is not None:
                self.startup_seconds = time.monotonic() - t0
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"llama_cpp.server did not answer within {STARTUP_TIMEOUT:g} s:\n{self.log_tail()}"
        )

    def models(self) -> list[str] | None:
        """The model ids ``GET /v1/models`` lists; None while the server is not up."""
        request = urllib.request.Request(
            f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return [m["id"] for m in json.load(response)["data"]]
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The real server, started once for the module; stopped at the end whatever happened."""
    server = LlamaServer(GGUF, tmp_path_factory.mktemp("llama-server") / "server.log")
    try:
        server.start()
        print(f"\nllama_cpp.server ready on port {server.port} in {server.startup_seconds:.1f} s")
        yield server
    finally:
        server.stop()


def openai_settings(base: Settings, server: LlamaServer, api_key: str | None = None) -> Settings:
    """The index of ``base`` with the ``openai`` generator, configured as a user would: by environment."""
    environ = {
        "KEZHUAN_GENERATOR": "openai",
        "KEZHUAN_LLM_BASE_URL": server.base_url,
        "KEZHUAN_LLM_MODEL": MODEL_ALIAS,
        "KEZHUAN_LLM_API_KEY": server.api_key if api_key is None else api_key,
        "KEZHUAN_LLM_TIMEOUT": str(LLM_TIMEOUT),
        "KEZHUAN_LLM_MAX_TOKENS": "160",
        "KEZHUAN_LLM_CONTEXT_PASSAGES": "3",
    }
    return Settings.from_env(environ=environ, corpus_dir=base.corpus_dir, data_dir=base.data_dir)


@pytest.fixture(scope="module")
def openai_assistant(llama_server: LlamaServer, real_assistant: Assistant) -> Assistant:
    """``Assistant.load`` with ``KEZHUAN_GENERATOR=openai`` pointing at the real server."""
    bot = Assistant.load(openai_settings(real_assistant.settings, llama_server), real_assistant.embeddings)
    assert bot.generative is not None, bot.generator_error
    return bot


def _timed(what: str, t0: float) -> None:
    print(f"\n{what}: {time.monotonic() - t0:.1f} s")


def test_the_server_lists_the_model(llama_server: LlamaServer) -> None:
    assert llama_server.models() == [MODEL_ALIAS]


def test_an_answer_with_enforced_citations(openai_assistant: Assistant) -> None:
    t0 = time.monotonic()
    reply = openai_assistant.ask(QUESTION)
    _timed("ask (non-streaming)", t0)
    assert reply.notice == "", reply.notes.get("fallback")
    assert reply.notes["generator"] == "openai" and reply.notes.get("draft"), reply.notes
    assert not reply.refused and "1997" in reply.answer, reply.notes["draft"]
    assert reply.citations, reply.notes["draft"]
    for c in reply.citations:
        assert c.quote in c.text and f"[{c.n}]" in reply.answer
    assert any("1997" in c.quote for c in reply.citations)


def test_a_stream_through_kezhuans_chat_completions(openai_assistant: Assistant) -> None:
    from fastapi.testclient import TestClient

    from ui.server import create_app

    app = create_app(openai_assistant, openai_assistant.settings, api_key="")
    body = {
        "model": "kezhuan",
        "stream": True,
        "messages": [{"role": "user", "content": "2022年一共培育幾組科專新創團隊？"}],
    }
    chunks: list[dict[str, Any]] = []
    t0 = time.monotonic()
    first_delta = 0.0
    with TestClient(app) as client, client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                break
            chunk = json.loads(line.removeprefix("data: "))
            if not first_delta and chunk["choices"][0]["delta"].get("content"):
                first_delta = time.monotonic() - t0
            chunks.append(chunk)
    print(f"\nstream: first draft piece after {first_delta:.1f} s, done after {time.monotonic() - t0:.1f} s")
    *pieces, final = chunks
    draft = "".join(c["choices"][0]["delta"].get("content", "") for c in pieces)
    assert len(pieces) > 2 and draft, "the draft did not stream"
    assert final["choices"][0]["finish_reason"] == "stop" and "notice" not in final, final
    assert not final["refused"] and "52" in final["answer"], draft
    assert final["references"], draft
    for ref in final["references"]:
        assert ref["quote"] in ref["text"] and f"[{ref['n']}]" in final["answer"]


def test_an_unanswerable_question_is_refused(openai_assistant: Assistant) -> None:
    # What the documents do not hold is refused by the extractive rules: the model is not asked.
    reply = openai_assistant.ask("花蓮中心的聯絡電話是幾號？")
    assert reply.refused and reply.citations == [] and "draft" not in reply.notes


def test_the_model_refuses_when_the_passages_do_not_answer(openai_assistant: Assistant) -> None:
    # Shown passages that do not answer, the served model replies with the refusal (or with
    # nothing they support); either way nothing is cited.
    generative = openai_assistant.generative
    assert generative is not None
    passages = openai_assistant.retrieve(QUESTION)[:3]
    t0 = time.monotonic()
    enforced = generative.answer("台積電去年的營收是多少？", passages, refusal_text=REFUSAL_HANT)
    _timed("direct refusal", t0)
    assert enforced.refused and enforced.citations == [], enforced.notes.get("draft")
    assert enforced.answer == REFUSAL_HANT


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_cut_at_the_token_limit_loses_its_unfinished_sentence(
    openai_assistant: Assistant, llama_server: LlamaServer, stream: bool
) -> None:
    # The server says why it stopped (finish_reason "length"), plain and streamed; the
    # sentence it stopped in is dropped, not checked.
    from assistant.generate import GenerativeAnswerer, make_chat_model

    llm = make_chat_model(
        "openai",
        base_url=llama_server.base_url,
        model=MODEL_ALIAS,
        api_key=llama_server.api_key,
        timeout=LLM_TIMEOUT,
        max_tokens=4,
    )
    answerer = GenerativeAnswerer(llm, timeout=LLM_TIMEOUT)
    passages = openai_assistant.retrieve(QUESTION)[:3]
    t0 = time.monotonic()
    if stream:
        *_, last = list(answerer.stream(QUESTION, passages))
        assert isinstance(last, EnforcedAnswer), last  # the stream ends with the checked answer
        enforced = last
    else:
        enforced = answerer.answer(QUESTION, passages)
    _timed(f"4-token reply ({'streamed' if stream else 'plain'})", t0)
    assert enforced.notes["finish_reason"] == "length", enforced.notes
    draft = enforced.notes["draft"]
    if enforced.notes.get("cut_off"):
        assert (
            draft.rstrip().endswith(enforced.notes["cut_off"])
            and enforced.notes["cut_off"] not in enforced.answer
        )


def test_a_wrong_api_key_falls_back(llama_server: LlamaServer, real_assistant: Assistant) -> None:
    settings = openai_settings(real_assistant.settings, llama_server, api_key="wrong-key")
    bot = Assistant.load(settings, real_assistant.embeddings)
    reply = bot.ask(QUESTION)
    assert reply.notice == FALLBACK_NOTICE_HANT and "HTTP 401" in reply.notes["fallback"]
    assert not reply.refused and reply.answer == real_assistant.ask(QUESTION).answer


def test_the_stopped_server_falls_back_to_the_extractive_answer(
    openai_assistant: Assistant, real_assistant: Assistant, llama_server: LlamaServer
) -> None:
    llama_server.stop()  # the last test of the module: the server is gone for good
    assert llama_server.models() is None
    t0 = time.monotonic()
    reply = openai_assistant.ask(QUESTION)
    elapsed = time.monotonic() - t0
    _timed("fallback ask", t0)
    assert elapsed < 30  # a refused connection fails fast, not after the 240 s timeout
    assert reply.notice == FALLBACK_NOTICE_HANT and reply.notes["generator"] == "extractive"
    assert "Cannot reach the language model server" in reply.notes["fallback"]
    assert not reply.refused and reply.answer == real_assistant.ask(QUESTION).answer
    *_, final = list(openai_assistant.stream(QUESTION))
    assert isinstance(final, Reply), final
    assert final.notice == FALLBACK_NOTICE_HANT and final.citations == reply.citations
