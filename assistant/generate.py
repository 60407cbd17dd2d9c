"""Generative answers: chat-model backends, the prompt, and failure-safe generation.

Any chat model behind langchain-core's :class:`BaseChatModel` can write the answer:

* ``openai``: any OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, a hosted
  API) through langchain-openai's ``ChatOpenAI(base_url=...)``;
* ``llamacpp``: a local GGUF file run in-process by ``llama-cpp-python``.

The model only drafts. :mod:`assistant.enforce` then checks every sentence against the
passages, keeps only the citations the passages support and drops what they do not. Every
failure of the model (package missing, server down, timeout, empty or malformed reply)
becomes a :class:`GenerationError`, raised within a bounded time, so the caller can fall
back to the extractive answer.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.answer import REFUSAL_HANT
from assistant.enforce import CitationEnforcer, EnforcedAnswer, traditional_characters
from assistant.reply import Passage
from core.errors import GenerationError
from core.settings import Settings
from core.text import detect_script, to_search_form, to_simplified

log = logging.getLogger(__name__)

#: Chat-model backends :func:`make_chat_model` knows.
LLM_KINDS = ("openai", "llamacpp")

#: The prompt file: one reviewable text with the system, user and condense sections.
PROMPT_PATH = Path(__file__).with_name("prompts") / "answer_zh.txt"

#: The sentence the model must reply with when the passages do not answer (the first
#: sentence of the assistant's refusal; short, so small models copy it exactly).
PROMPT_REFUSAL_HANT = REFUSAL_HANT.split("。", 1)[0] + "。"

LANGUAGE_HANT = "繁體中文（臺灣用語）"
LANGUAGE_HANS = "简体中文"

_SECTION = re.compile(r"^=== (\w+) ===\s*$", re.MULTILINE)
_MARKER = re.compile(r"\s*[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
_CONDENSE_PREFIX = re.compile(
    r"^(?:改寫後的問題|改写后的问题|獨立問題|独立问题|完整問題|完整问题|問題|问题)\s*[:：]\s*"
)

#: Finish reasons of a reply cut short: OpenAI's ``length`` (the token limit) and ours for
#: the ``timeout`` (:class:`LlamaCppChatModel` stops at it).
CUT_OFF = frozenset({"length", "max_tokens", "timeout"})
#: A complete sentence's end: 。！？!? with closing quotes, then any ``[n]`` markers.
_SENTENCE_END = re.compile(r"[。！？!?]+[」』）”’)]*(?:\s*[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］])*")

#: Exception class names (anywhere in the cause chain) that mean "cannot reach the server".
_CONNECT_ERRORS = frozenset(
    {"APIConnectionError", "ConnectError", "ConnectionRefusedError", "ConnectionError", "RemoteProtocolError"}
)
_TIMEOUT_ERRORS = frozenset(
    {"APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "TimeoutError"}
)


# -- the prompt --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def load_prompts(path: str | Path = PROMPT_PATH) -> dict[str, str]:
    """The sections of a prompt file (``system``, ``user``, ``condense``), comments removed.

    Raises:
        GenerationError: the file is missing or lacks a section.
    """
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise GenerationError(f"Cannot read the prompt file {path}: {e}") from e
    text = "\n".join(line for line in raw.splitlines() if not line.startswith("#"))
    parts = _SECTION.split(text)
    sections = {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    missing = {"system", "user", "condense"} - set(sections)
    if missing:
        raise GenerationError(f"The prompt file {path} lacks the section(s) {', '.join(sorted(missing))}.")
    return sections


def _fill(template: str, **values: str) -> str:
    # Plain replacement, not str.format: passages and questions may hold braces.
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def format_passages(passages: Sequence[Passage]) -> str:
    """The passages numbered ``[1]``..``[n]`` as the model sees them."""
    blocks = []
    for n, passage in enumerate(passages, start=1):
        head = (f"《{passage.title}》" if passage.title else "") + passage.section
        blocks.append(f"[{n}] {head}\n{passage.text}" if head else f"[{n}] {passage.text}")
    return "\n\n".join(blocks)


def prompt_refusal(question: str) -> str:
    """The refusal sentence the model is told to use, in the question's script."""
    return to_simplified(PROMPT_REFUSAL_HANT) if detect_script(question) == "hans" else PROMPT_REFUSAL_HANT


def _history_messages(history: Sequence[Mapping[str, str]] | None, max_messages: int) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    recent = list(history or [])[-max_messages:] if max_messages else []
    for message in recent:
        content = str(message.get("content", ""))
        if message.get("role") == "user":
            out.append(HumanMessage(content))
        elif message.get("role") == "assistant":
            # Old markers point at old passages: drop them so they cannot be confused with ours.
            out.append(AIMessage(_MARKER.sub("", content)))
    return out


def build_messages(
    question: str,
    passages: Sequence[Passage],
    history: Sequence[Mapping[str, str]] | None = None,
    *,
    max_history: int = 6,
    prompt_path: str | Path = PROMPT_PATH,
) -> list[BaseMessage]:
    """The chat messages asking the model to answer ``question`` from ``passages`` only.

    The system message holds the rules (answer only from the numbered passages, in the
    question's script, a ``[n]`` marker in every sentence, the exact refusal sentence when
    the passages do not answer); earlier turns follow; the last message holds the passages
    and the question.

    Args:
        question: The user's question.
        passages: Retrieved passages, best first; numbered ``[1]``.. in this order.
        history: Earlier ``{"role", "content"}`` messages, oldest first.
        max_history: Most recent history messages passed on.
        prompt_path: The prompt file.
    """
    prompts = load_prompts(prompt_path)
    hans = detect_script(question) == "hans"
    system = _fill(
        prompts["system"],
        language=LANGUAGE_HANS if hans else LANGUAGE_HANT,
        refusal=prompt_refusal(question),
    )
    user = _fill(prompts["user"], passages=format_passages(passages) or "（無）", question=question)
    return [SystemMessage(system), *_history_messages(history, max_history), HumanMessage(user)]


# -- backends ----------------------------------------------------------------------------


class LlamaCppChatModel(BaseChatModel):
    """A thin chat model over ``llama_cpp.Llama`` (a local GGUF file, run in-process).

    The model file is loaded on first use and shared by later calls. Generation stops at
    ``timeout`` seconds (checked between tokens), so a slow CPU returns a truncated draft
    instead of hanging. llama-cpp-python reuses the evaluated prefix of the previous prompt
    (the system message), so later questions start quicker.

    Attributes:
        model_path: The GGUF file.
        n_ctx: Context window in tokens.
        n_threads: CPU threads (None: llama.cpp's default).
        max_tokens: Longest reply in tokens.
        temperature: Sampling temperature (0: greedy).
        timeout: Seconds a call may run.
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    timeout: float = 120.0

    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def _load(self) -> Any:
        if self._llama is None:
            llama_cpp = _import_llama_cpp()
            log.info("Loading GGUF model %s", self.model_path)
            t0 = time.monotonic()
            self._llama = llama_cpp.Llama(
                model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
            )
            log.info("Loaded %s in %.1f s", self.model_path, time.monotonic() - t0)
        return self._llama

    def _pieces(
        self, messages: list[BaseMessage], stop: list[str] | None, ended: dict[str, str] | None = None
    ) -> Iterator[str]:
        """The reply's text as llama.cpp writes it, cut off at ``timeout`` seconds.

        ``ended["finish_reason"]`` is set to llama.cpp's (``stop``, ``length``) or ``timeout``.
        """
        ended = {} if ended is None else ended
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]
        deadline = time.monotonic() + self.timeout
        with self._lock:  # one llama.cpp context: one call at a time
            llama = self._load()
            stream = llama.create_chat_completion(
                messages=chat,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                stop=stop or [],
                stream=True,
            )
            try:
                for part in stream:
                    choices = part.get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content") or ""
                    if choices[0].get("finish_reason"):
                        ended["finish_reason"] = str(choices[0]["finish_reason"])
                    if text:
                        yield text
                    if time.monotonic() > deadline and not ended.get("finish_reason"):
                        log.warning("llama.cpp reply cut off after %g s", self.timeout)
                        ended["finish_reason"] = "timeout"
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # stop llama.cpp generating

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        ended: dict[str, str] = {}
        text = "".join(self._pieces(messages, stop, ended))
        message = AIMessage(text, response_metadata={"finish_reason": ended.get("finish_reason", "stop")})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        ended: dict[str, str] = {}
        for text in self._pieces(messages, stop, ended):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager is not None:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
        finish = {"finish_reason": ended.get("finish_reason", "stop")}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=finish))


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        raise GenerationError(
            "The llamacpp generator needs llama-cpp-python, which is not installed: "
            "run `pip install .[llamacpp]` (it compiles llama.cpp, about 7 minutes), "
            "or set KEZHUAN_GENERATOR=extractive."
        ) from e
    return llama_cpp


def make_chat_model(
    kind: str,
    base_url: str = "",
    model: str = "",
    api_key: str = "",
    gguf_path: str | Path = "",
    timeout: float = 60.0,
    *,
    temperature: float = 0.0,
    max_tokens: int = 512,
    n_threads: int | None = None,
    n_ctx: int = 4096,
) -> BaseChatModel:
    """A chat model of the given kind, configured for grounded answers (greedy, no retries).

    Args:
        kind: ``openai`` (an OpenAI-compatible server) or ``llamacpp`` (a local GGUF file).
        base_url: Server URL for ``openai``, such as ``http://127.0.0.1:8080/v1``.
        model: Model name for ``openai`` (as the server knows it).
        api_key: Bearer key for ``openai``; servers that need none get a placeholder.
        gguf_path: The GGUF file for ``llamacpp``.
        timeout: Seconds one request may take.
        temperature: Sampling temperature (0: the most literal answer).
        max_tokens: Longest reply in tokens.
        n_threads: CPU threads for ``llamacpp`` (None: llama.cpp's default).
        n_ctx: Context window in tokens for ``llamacpp``.

    Raises:
        GenerationError: unknown kind, missing setting, missing package or model file.
    """
    if timeout <= 0:
        raise GenerationError(f"timeout must be greater than 0. Currently, timeout is {timeout}.")
    if kind == "openai":
        if not base_url:
            raise GenerationError(
                "The openai generator needs a server: set KEZHUAN_LLM_BASE_URL "
                "(for example http://127.0.0.1:8080/v1)."
            )
        if not model:
            raise GenerationError("The openai generator needs a model name: set KEZHUAN_LLM_MODEL.")
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise GenerationError(
                "The openai generator needs langchain-openai, which is not installed: run `pip install .[llm]`."
            ) from e
        return ChatOpenAI(
            base_url=base_url,
            model=model,
            api_key=api_key or "not-needed",  # type: ignore[arg-type]
            timeout=timeout,
            max_retries=0,  # a retry would double the wait; the caller falls back instead
            temperature=temperature,
            # Sent as the classic ``max_tokens`` field: langchain-openai's own parameter goes
            # out as ``max_completion_tokens``, which llama.cpp's server (and other
            # OpenAI-compatible servers) ignore, so the limit silently did not hold.
            extra_body={"max_tokens": max_tokens},
        )
    if kind == "llamacpp":
        path = Path(gguf_path).expanduser() if gguf_path else None
        if path is None or not path.is_file():
            raise GenerationError(
                f"The llamacpp generator needs a GGUF model file: set KEZHUAN_LLM_GGUF "
                f"(currently {str(gguf_path)!r}, which is not a file)."
            )
        _import_llama_cpp()  # fail now, with the install hint, not on the first question
        return LlamaCppChatModel(
            model_path=str(path),
            timeout=timeout,
            temperature=temperature,
            max_tokens=max_tokens,
            n_threads=n_threads,
            n_ctx=n_ctx,
        )
    raise GenerationError(f"kind must be one of {', '.join(LLM_KINDS)}. Currently, kind is {kind!r}.")


# -- calling the model -------------------------------------------------------------------


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _where(llm: BaseChatModel) -> str:
    for attr in ("openai_api_base", "base_url", "model_path"):
        value = getattr(llm, attr, None)
        if value:
            return str(value)
    return type(llm).__name__


def _describe(error: BaseException, llm: BaseChatModel, timeout: float) -> str:
    where = _where(llm)
    names = {type(e).__name__ for e in _causes(error)}
    if names & _TIMEOUT_ERRORS:
        return f"The language model at {where} did not answer within {timeout:g} s."
    if names & _CONNECT_ERRORS:
        return (
            f"Cannot reach the language model server at {where} ({error}); "
            "is it running? Check KEZHUAN_LLM_BASE_URL."
        )
    status = getattr(error, "status_code", None)
    if status is not None:
        hint = " Check KEZHUAN_LLM_API_KEY." if status in (401, 403) else ""
        hint = " Check KEZHUAN_LLM_MODEL." if status == 404 else hint
        return f"The language model server at {where} answered HTTP {status}: {error}.{hint}"
    return f"The language model at {where} failed: {type(error).__name__}: {error}"


def message_text(message: Any) -> str:
    """The text of a chat reply (string content or text blocks), reasoning blocks removed.

    Raises:
        GenerationError: the reply is not a message with text.
    """
    content = getattr(message, "content", None)
    if isinstance(content, list):
        pieces = []
        for block in content:
            if isinstance(block, str):
                pieces.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                pieces.append(str(block.get("text", "")))
        content = "".join(pieces)
    if not isinstance(content, str):
        raise GenerationError(f"The language model sent a malformed reply: {type(message).__name__}.")
    return _THINK.sub("", content).strip()


def finish_reason(message: Any) -> str:
    """Why the model stopped writing (``stop``, ``length``, ``timeout``...); "" if it did not say."""
    metadata = getattr(message, "response_metadata", None) or {}
    return str(metadata.get("finish_reason") or metadata.get("stop_reason") or "")


def drop_unfinished(text: str) -> tuple[str, str]:
    """``text`` without the sentence it was cut off in, and that unfinished tail.

    For a reply cut short (by the token limit or the timeout): the last sentence may stop
    mid-clause, and a fragment can say what the passages never said. Text ending at a
    sentence end (markers after it allowed) is returned whole.
    """
    stripped = text.rstrip()
    ends = [m.end() for m in _SENTENCE_END.finditer(stripped)]
    newline = stripped.rfind("\n") + 1
    last = max(ends[-1] if ends else 0, newline)
    if last == len(stripped):
        return stripped, ""
    return stripped[:last].rstrip(), stripped[last:].strip()


def _invoke(llm: BaseChatModel, messages: Sequence[BaseMessage], timeout: float) -> Any:
    """``llm.invoke`` in a daemon thread: the reply message, or GenerationError within ``timeout``."""
    result: dict[str, Any] = {}

    def call() -> None:
        try:
            result["message"] = llm.invoke(list(messages))
        except BaseException as e:  # reported to the caller below, in the caller's thread
            result["error"] = e

    worker = threading.Thread(target=call, name="kezhuan-generate", daemon=True)
    worker.start()
    worker.join(timeout + 1.0)  # grace for the backend's own timeout to fire first
    if worker.is_alive():
        raise GenerationError(f"The language model at {_where(llm)} did not answer within {timeout:g} s.")
    error = result.get("error")
    if isinstance(error, GenerationError):
        raise error
    if error is not None:
        raise GenerationError(_describe(error, llm, timeout)) from error
    return result.get("message")


def generate_reply(
    llm: BaseChatModel, messages: Sequence[BaseMessage], timeout: float = 60.0
) -> tuple[str, str]:
    """The model's reply text and its finish reason (see :func:`generate`, :func:`finish_reason`)."""
    t0 = time.monotonic()
    message = _invoke(llm, messages, timeout)
    text = message_text(message)
    if not text:
        raise GenerationError(f"The language model at {_where(llm)} sent an empty reply.")
    log.debug("Generated %d characters in %.2f s", len(text), time.monotonic() - t0)
    return text, finish_reason(message)


def generate(llm: BaseChatModel, messages: Sequence[BaseMessage], timeout: float = 60.0) -> str:
    """The model's reply text, or :class:`GenerationError` within about ``timeout`` seconds.

    The call runs in a daemon thread: a backend that ignores its own timeout cannot
    hang the caller.

    Raises:
        GenerationError: missing package, server unreachable, timeout, HTTP error, or an
            empty or malformed reply.
    """
    return generate_reply(llm, messages, timeout)[0]


def _held_back(text: str) -> int:
    """How many trailing characters of ``text`` might open a ``<think>`` tag (not shown yet)."""
    for n in range(min(len(text), len("<think>") - 1), 0, -1):
        if "<think>".startswith(text[-n:]):
            return n
    return 0


def stream_text(
    llm: BaseChatModel,
    messages: Sequence[BaseMessage],
    timeout: float = 60.0,
    *,
    ended: dict[str, str] | None = None,
) -> Iterator[str]:
    """The model's reply as it is written: text pieces, reasoning (``<think>``) left out.

    Like :func:`generate`, the call runs in a daemon thread and the whole reply must arrive
    within about ``timeout`` seconds. ``ended["finish_reason"]`` gets the reply's finish
    reason, when the backend gives one.

    Raises:
        GenerationError: as :func:`generate`, possibly after some pieces were yielded.
    """
    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def call() -> None:
        try:
            for chunk in llm.stream(list(messages)):
                events.put(("chunk", chunk))
        except BaseException as e:  # reported to the caller below, in the caller's thread
            events.put(("error", e))
        else:
            events.put(("done", None))

    worker = threading.Thread(target=call, name="kezhuan-stream", daemon=True)
    deadline = time.monotonic() + timeout + 1.0  # grace for the backend's own timeout
    worker.start()
    raw, shown = "", ""
    while True:
        try:
            kind, value = events.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            raise GenerationError(
                f"The language model at {_where(llm)} did not answer within {timeout:g} s."
            ) from None
        if kind == "error":
            if isinstance(value, GenerationError):
                raise value
            raise GenerationError(_describe(value, llm, timeout)) from value
        if kind == "done":
            break
        if finish_reason(value) and ended is not None:
            ended["finish_reason"] = finish_reason(value)
        raw += message_text_piece(value)
        visible = _THINK.sub("", raw).lstrip()
        visible = visible[: len(visible) - _held_back(visible)]
        if visible.startswith(shown) and len(visible) > len(shown):
            yield visible[len(shown) :]
            shown = visible
    if not _THINK.sub("", raw).strip():
        raise GenerationError(f"The language model at {_where(llm)} sent an empty reply.")


def message_text_piece(chunk: Any) -> str:
    """The text of one streamed chunk (string content or text blocks); "" for anything else."""
    content = getattr(chunk, "content", None)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b if isinstance(b, str) else str(b.get("text", ""))
            for b in content
            if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")
        )
    return ""


def condense_question(
    llm: BaseChatModel,
    question: str,
    history: Sequence[Mapping[str, str]] | None,
    timeout: float = 60.0,
    *,
    max_history: int = 6,
    prompt_path: str | Path = PROMPT_PATH,
    min_grounding: float = 0.5,
) -> str:
    """A standalone version of a follow-up question, for retrieval (no call without history).

    ``那生醫呢？`` after ``材化領域的研發重點是什麼？`` should come back as
    ``生醫領域的研發重點是什麼？``. A rewrite only restates the conversation: at least
    ``min_grounding`` of its character pairs must come from the question or the history.
    (A small model may echo the prompt's own example instead, asking about 生醫 in a
    conversation about something else.)

    Raises:
        GenerationError: the model failed, or its rewrite is empty, runaway or not drawn
            from the conversation; the caller keeps its rule-based rewrite.
    """
    recent = [m for m in list(history or [])[-max_history:] if m.get("role") in ("user", "assistant")]
    if not recent:
        return question
    names = {"user": "使用者", "assistant": "助理"}
    lines = "\n".join(f"{names[m['role']]}：{_MARKER.sub('', str(m.get('content', '')))}" for m in recent)
    prompt = _fill(load_prompts(prompt_path)["condense"], history=lines, question=question)
    text = generate(llm, [HumanMessage(prompt)], timeout)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    rewritten = _unwrapped(_CONDENSE_PREFIX.sub("", first).strip())
    if not rewritten or len(rewritten) > 4 * len(question) + 200:
        raise GenerationError(f"The language model rewrote the question unusably: {text[:80]!r}")
    said = _pairs(f"{lines}\n{question}")
    pairs = _pairs(rewritten)
    grounding = len(pairs & said) / len(pairs) if pairs else 0.0
    if grounding < min_grounding:
        raise GenerationError(
            f"The language model's rewrite {rewritten!r} is not drawn from the conversation "
            f"({grounding:.0%} of it is, below {min_grounding:.0%})."
        )
    return rewritten


def _unwrapped(text: str) -> str:
    """``text`` without quotes around the whole of it (「…」, "…"); quoted names inside stay."""
    for opening, closing in (("「", "」"), ("“", "”"), ('"', '"'), ("'", "'")):
        inner = text[len(opening) : -len(closing)]
        if (
            text.startswith(opening)
            and text.endswith(closing)
            and opening not in inner
            and closing not in inner
        ):
            return inner.strip()
    return text


def _pairs(text: str) -> set[str]:
    """Neighbouring character pairs of ``text`` in search form (one script, case folded), words only."""
    norm = re.sub(r"[^\w]|_", "", to_search_form(text))
    return {norm[i : i + 2] for i in range(len(norm) - 1)}


class GenerativeAnswerer:
    """Drafts an answer with a chat model and enforces its citations.

    Args:
        llm: Any langchain-core chat model (see :func:`make_chat_model`).
        enforcer: The citation check (default thresholds when omitted).
        timeout: Seconds one generation may take.
        max_history: Most recent history messages shown to the model.
    """

    def __init__(
        self,
        llm: BaseChatModel,
        enforcer: CitationEnforcer | None = None,
        timeout: float = 60.0,
        max_history: int = 6,
    ) -> None:
        self.llm = llm
        self.enforcer = enforcer or CitationEnforcer()
        self.timeout = timeout
        self.max_history = max_history

    def condense(self, question: str, history: Sequence[Mapping[str, str]] | None) -> str:
        """See :func:`condense_question`."""
        return condense_question(self.llm, question, history, self.timeout, max_history=self.max_history)

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Mapping[str, str]] | None = None,
        *,
        refusal_text: str = REFUSAL_HANT,
        embed: Any = None,
        sentences: Callable[[Passage], Sequence[Any]] | None = None,
    ) -> EnforcedAnswer:
        """The model's draft for ``question``, with its citations enforced.

        Args:
            question: The question.
            passages: Retrieved passages, best first.
            history: Earlier messages.
            refusal_text: What a refusal says (already in the question's script).
            embed: Embeddings or a texts-to-vectors function, for semantic support.
            sentences: The stored sentences (with vectors) of a passage, if available.

        Raises:
            GenerationError: the model failed; fall back to the extractive answer.
        """
        messages = build_messages(question, passages, history, max_history=self.max_history)
        draft, finish = generate_reply(self.llm, messages, self.timeout)
        return self._enforce(question, draft, passages, refusal_text, embed, sentences, finish)

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Mapping[str, str]] | None = None,
        *,
        refusal_text: str = REFUSAL_HANT,
        embed: Any = None,
        sentences: Callable[[Passage], Sequence[Any]] | None = None,
    ) -> Iterator[str | EnforcedAnswer]:
        """The draft's text as the model writes it, then the enforced answer (last).

        The pieces are the unchecked draft (shown in the question's script); only the final
        :class:`EnforcedAnswer` carries checked sentences and citations. Arguments as
        :meth:`answer`.

        Raises:
            GenerationError: the model failed (possibly after some pieces).
        """
        messages = build_messages(question, passages, history, max_history=self.max_history)
        hans = detect_script(question) == "hans"
        pieces: list[str] = []
        ended: dict[str, str] = {}
        for piece in stream_text(self.llm, messages, self.timeout, ended=ended):
            pieces.append(piece)
            yield to_simplified(piece) if hans else traditional_characters(piece)
        draft = "".join(pieces).strip()
        yield self._enforce(
            question, draft, passages, refusal_text, embed, sentences, ended.get("finish_reason", "")
        )

    def _enforce(
        self,
        question: str,
        draft: str,
        passages: Sequence[Passage],
        refusal_text: str,
        embed: Any,
        sentences: Callable[[Passage], Sequence[Any]] | None,
        finish: str = "",
    ) -> EnforcedAnswer:
        script = "hans" if detect_script(question) == "hans" else "hant"
        checked, cut = drop_unfinished(draft) if finish in CUT_OFF else (draft, "")
        if cut:
            log.info("The reply was cut off (%s): dropping its unfinished sentence %r", finish, cut)
        enforced = self.enforcer.enforce(
            checked, passages, embed=embed, sentences=sentences, refusal_text=refusal_text, script=script
        )
        enforced.notes["draft"] = draft
        enforced.notes["finish_reason"] = finish
        if cut:
            # A fragment can say what the passages never said; it is not checked, it is dropped.
            enforced.notes["cut_off"] = cut
            enforced.dropped.append(cut)
            enforced.notes["dropped"] = enforced.notes.get("dropped", 0) + 1
        return enforced


def llm_label(settings: Settings) -> str:
    """The model behind ``settings.generator`` in words (the GGUF file name or server model)."""
    if settings.generator == "llamacpp":
        return Path(settings.llm_gguf).name
    if settings.generator == "openai":
        return f"{settings.llm_model} at {settings.llm_base_url}"
    return ""


def answerer_from_settings(settings: Settings) -> GenerativeAnswerer:
    """The generative answerer ``settings.generator`` asks for (the model loads on first use).

    Raises:
        GenerationError: the generator is ``extractive``, or its package or model is missing.
    """
    if settings.generator not in LLM_KINDS:
        raise GenerationError(f"generator {settings.generator!r} writes no generated answers.")
    llm = make_chat_model(
        settings.generator,
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        gguf_path=settings.llm_gguf,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        n_threads=settings.llm_threads or None,
        n_ctx=settings.llm_context_tokens,
    )
    return GenerativeAnswerer(
        llm,
        enforcer=CitationEnforcer.from_settings(settings),
        timeout=settings.llm_timeout,
        max_history=settings.max_history_turns,
    )
