"""The helpdesk HTTP API: OpenAI-compatible chat completions, ``/api/ask`` and health.

Routes (all under the optional bearer-token check, except that ``/healthz`` answers a load
balancer without the key, with ``{"ok"}`` alone):

* ``POST /v1/chat/completions``: OpenAI chat completions, plain or streamed (SSE). The
  citations travel in the extension field ``references`` (same fields as
  ``Reply.to_dict()["citations"]``), with ``refused``.
* ``GET /v1/models``: the one model, ``kezhuan``.
* ``POST /api/ask``: ``{question, history?}`` -> ``Reply.to_dict()``.
* ``POST /api/feedback``: a thumbs up/down (or its withdrawal) against a reply id.
* ``POST /api/feedback/reason``: what was wrong with an answer, after a thumbs down.
* ``GET /healthz``: ``assistant.health()`` (503 when not ok); when an API key is set, a request
  without an ``Authorization`` header gets only ``{"ok": bool}``, a wrong key a 401.

Every error is JSON in OpenAI's shape, ``{"error": {"message", "type", "code"}}``, and
never carries a stack trace.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.reply import Reply
from assistant.validate import validate_request
from core.errors import BadQuestionError, IndexMissingError, KezhuanError
from core.settings import Settings
from ui.feedback import FeedbackStore
from ui.gate import AnswerGate, ClientGoneError, request_cost
from ui.protocol import ChatAssistant, HistoryMessage
from ui.render import MARKER, split_sentences

logger = logging.getLogger(__name__)

#: The model id the OpenAI-compatible API reports (any requested model name is accepted).
MODEL_ID = "kezhuan"
#: Path prefixes of the API routes (auth, body-size limit).
API_PREFIXES: tuple[str, ...] = ("/v1/", "/api/", "/healthz")
#: API paths that answer a request without the key (when one is set) with less: a load balancer's
#: health check sends no key, and gets ``{"ok": bool}`` without the index's details.
KEYLESS_PATHS: tuple[str, ...] = ("/healthz",)
#: What ``usage`` counts and ``max_tokens`` limits: Unicode characters. kezhuan runs no
#: token-billed model (the extractive answer quotes the documents), and a character is the
#: unit a Chinese answer's length is read in; for CJK text it is close to a model token.
USAGE_UNIT = "characters"
#: Most ``stop`` sequences a request may send (OpenAI's limit).
MAX_STOP_SEQUENCES = 4


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error the API answers with a JSON body and a 4xx/5xx status.

    Args:
        status: HTTP status code.
        message: What was wrong and how to fix it.
        code: A short machine-readable code.
        error_type: OpenAI-style error type.
    """

    def __init__(
        self, status: int, message: str, code: str, error_type: str = "invalid_request_error"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.error_type = error_type


class ErrorDetail(BaseModel):
    """What went wrong."""

    message: str = Field(description="What was wrong with the request and how to fix it.")
    type: str = Field(description="`invalid_request_error`, `authentication_error` or `server_error`.")
    code: str = Field(description="Short machine-readable code, e.g. `empty_question`.")


class ErrorResponse(BaseModel):
    """The body of every error response (OpenAI's shape)."""

    error: ErrorDetail


def error_response(
    status: int, message: str, code: str, error_type: str = "invalid_request_error"
) -> JSONResponse:
    """A JSON error response in OpenAI's shape."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": {"message": message, "type": error_type, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _kezhuan_status(exc: KezhuanError) -> tuple[int, str, str]:
    if isinstance(exc, BadQuestionError):
        return 400, "bad_question", "invalid_request_error"
    if isinstance(exc, IndexMissingError):
        return 503, "index_missing", "server_error"
    return 503, "unavailable", "server_error"


def _kezhuan_message(exc: KezhuanError) -> str:
    message = str(exc)
    if isinstance(exc, IndexMissingError) and "kezhuan ingest" not in message:
        message = f"{message} Run `kezhuan ingest` to build the index, then retry."
    return message


_NOT_AN_OBJECT = {"model_attributes_type", "dict_type", "missing"}


def _describe_validation(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (detail.get("ctx") or {}).get("error", "")
        return 400, f"The request body is not valid JSON ({reason}). Send a JSON object.", "invalid_json"
    if any(e.get("loc") == ("body",) and e.get("type") in _NOT_AN_OBJECT for e in errors):
        return (
            400,
            "The request body must be a JSON object (send it with Content-Type: application/json).",
            "invalid_json",
        )
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        got = e.get("input")
        shown = json.dumps(got, ensure_ascii=False, default=str)[:60] if "input" in e else ""
        parts.append(f"{loc}: {e.get('msg')}" + (f" (got {shown})" if shown else ""))
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return 422, "Invalid request: " + "; ".join(parts) + more, "invalid_request"


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with JSON in OpenAI's shape and never with a stack trace."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.code, exc.error_type)

    async def on_kezhuan_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KezhuanError)
        status, code, error_type = _kezhuan_status(exc)
        if status >= 500:
            logger.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(status, _kezhuan_message(exc), code, error_type)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        status, message, code = _describe_validation(exc)
        return error_response(status, message, code)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), f"http_{exc.status_code}")

    async def on_client_gone(request: Request, exc: Exception) -> Response:
        # Nobody reads this; 499 is nginx's "client closed request", for the access log.
        return Response(status_code=499)

    async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error("Unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(
            500,
            "Internal server error; the server log has the details.",
            "internal_error",
            "server_error",
        )

    app.add_exception_handler(ClientGoneError, on_client_gone)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(KezhuanError, on_kezhuan_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)


class CatchUnexpected:
    """ASGI middleware: an unexpected exception becomes a logged, trace-free JSON 500.

    Starlette's own last-resort handler re-raises after answering, which makes uvicorn
    drop the keep-alive connection; answering here keeps the connection usable.

    Args:
        app: The wrapped ASGI app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await error_response(
                500,
                "Internal server error; the server log has the details.",
                "internal_error",
                "server_error",
            )(scope, receive, send)


class BodySizeLimit:
    """ASGI middleware: API requests with a body over ``max_bytes`` get a JSON 413.

    The body (at most ``max_bytes``) is read up front, so a chunked upload without a
    ``Content-Length`` is limited too.

    Args:
        app: The wrapped ASGI app.
        max_bytes: Largest accepted body.
        prefixes: Path prefixes the limit applies to.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, prefixes: tuple[str, ...] = API_PREFIXES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413,
            f"The request body is larger than {self.max_bytes} bytes. Send a shorter question "
            "or less history.",
            "body_too_large",
        )
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_bytes:
                    await too_large(scope, receive, send)
                    return
            except ValueError:
                await error_response(400, "Content-Length is not a number.", "bad_content_length")(
                    scope, receive, send
                )
                return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await too_large(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# --------------------------------------------------------------------------- models


class QuoteOut(BaseModel):
    """One exact quote of a reference (``Reply.to_dict()["citations"][i]["quotes"][j]``)."""

    quote: str = Field(description="The exact supporting sentence(s), found inside the reference's `text`.")
    start: int = Field(description="Offset of `quote` in the cleaned source document.")
    end: int = Field(description="End offset (exclusive) of `quote` in the cleaned source document.")


class Reference(BaseModel):
    """One numbered source of an answer (the fields of ``Reply.to_dict()["citations"]``)."""

    n: int = Field(description="The marker number used in the answer text (`[n]`).")
    passage_id: str = Field(description="Id of the cited passage.")
    source: str = Field(description="Source document file name.")
    section: str = Field(
        description="Section heading of the passage, then the table row or law article (`｜表1 第3列`, `｜第24條`)."
    )
    text: str = Field(description="The whole cited passage.")
    quote: str = Field(description="The exact supporting sentence(s), found inside `text`.")
    start: int = Field(description="Offset of `quote` in the cleaned source document.")
    end: int = Field(description="End offset (exclusive) of `quote` in the cleaned source document.")
    score: float = Field(description="How strongly the quote supports the answer (0-1).")
    title: str = Field("", description="Document title.")
    publisher: str = Field("", description="Who published the document (empty if unknown).")
    text_start: int = Field(
        0,
        description="Offset of `text` in the cleaned source document: `quote` is "
        "`text[start - text_start : end - text_start]`. `text` is the cited passage, or overlapping "
        "passages of one section joined when the quote runs over them (a long law article).",
    )
    quotes: list[QuoteOut] = Field(
        default_factory=list,
        description="Every quote of this passage the answer cites, in answer order, each inside `text` "
        "(several cells of one table row are one reference); `quote`/`start`/`end` are the first.",
    )


class PassageOut(BaseModel):
    """A retrieved passage, ranked."""

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    score: float = Field(description="Retrieval score; higher is better (compare by rank).")
    title: str = ""
    publisher: str = ""
    kind: str = Field("text", description="`text` for body passages, `center` for a call-out.")


class HistoryItem(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="Who wrote the message.")
    content: str = Field(description="The message text.", strict=True)


class AskRequest(BaseModel):
    """A question, optionally a follow-up of earlier messages."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "南臺灣創新園區在做什麼？"}]},
    )

    question: str = Field(
        description="The question, in Chinese (at most `max_question_chars` characters, 2000 by default).",
        strict=True,
    )
    history: list[HistoryItem] | None = Field(
        None, description="Earlier messages, oldest first, for follow-up questions."
    )


class AskResponse(BaseModel):
    """``Reply.to_dict()``: the answer, its citations and diagnostics, with the answer's id."""

    id: str = Field(description="The answer's id: send it as `reply_id` with feedback on this answer.")
    question: str = Field(description="The question as asked.")
    answer: str = Field(description="The answer in Chinese with `[n]` markers, or the refusal message.")
    refused: bool = Field(
        description="True when the documents do not hold the answer; then no citations, except when the "
        "question rests on a figure the documents contradict: the answer then quotes and cites what they say."
    )
    citations: list[Reference] = Field(description="Numbered sources, in marker order.")
    search_query: str = Field("", description="What was actually searched.")
    retrieved: list[PassageOut] = Field(default_factory=list, description="Retrieved passages, best first.")
    script: str = Field("hant", description="`hant` or `hans`: the script of the answer.")
    latency_ms: float = Field(0.0, description="Wall time of the answer in milliseconds.")
    notes: dict[str, Any] = Field(default_factory=dict, description="Free-form diagnostics.")


class ContentPart(BaseModel):
    """A part of a message's content; only ``text`` parts are supported."""

    type: str = Field(description="`text` (other part types are rejected).")
    text: str | None = Field(None, description="The text of a `text` part.")


class ChatMessageIn(BaseModel):
    """A message of an OpenAI chat-completions request."""

    role: Literal["system", "developer", "user", "assistant"] = Field(
        description="`user` and `assistant` messages make the conversation; `system`/`developer` are ignored."
    )
    content: str | list[ContentPart] | None = Field(description="The message text (or text parts).")
    name: str | None = Field(None, description="Ignored.")


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``."""

    include_usage: bool = Field(
        False, description="Send one more chunk before `data: [DONE]` with `usage` and no choices."
    )


class ResponseFormat(BaseModel):
    """OpenAI's ``response_format``; only ``text`` is supported."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="`text` (answers are cited prose; `json_object`/`json_schema` are refused)."
    )


class ChatCompletionRequest(BaseModel):
    """An OpenAI chat-completions request. The last user message is the question.

    Sampling parameters (``temperature``, ``top_p``, ``seed``, ...) are accepted and ignored:
    the extractive answer does not sample. ``max_tokens``/``max_completion_tokens`` and
    ``stop`` are applied to the answer; ``n`` other than 1 and ``response_format`` other than
    ``text`` are refused with a 400 that says so.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": MODEL_ID, "messages": [{"role": "user", "content": "南臺灣創新園區在做什麼？"}]}
            ]
        },
    )

    model: str = Field(MODEL_ID, description=f"Any name is accepted; responses report `{MODEL_ID}`.")
    messages: list[ChatMessageIn] = Field(description="The conversation; it must contain a user message.")
    stream: bool = Field(
        False,
        strict=True,
        description="Stream the answer as server-sent events (`chat.completion.chunk`s, then "
        "`data: [DONE]`). The final chunk carries `references`, `refused` and the final `answer`.",
    )
    n: int | None = Field(1, description="Number of choices; only 1 is supported (400 otherwise).")
    max_tokens: int | None = Field(
        None,
        ge=1,
        description=f"Longest answer, in {USAGE_UNIT}: the answer is cut after the last "
        'whole sentence that fits (`finish_reason: "length"`).',
    )
    max_completion_tokens: int | None = Field(None, ge=1, description="The same as `max_tokens`.")
    stop: str | list[str] | None = Field(
        None, description="Up to 4 sequences; the answer ends before the first one it contains."
    )
    user: str | None = Field(None, description="An end-user id; accepted and ignored (not stored).")
    response_format: ResponseFormat | None = Field(
        None, description='Only `{"type": "text"}` is supported (400 otherwise).'
    )
    stream_options: StreamOptions | None = Field(
        None, description="With `stream: true` only; `include_usage` adds a final `usage` chunk."
    )


class AssistantMessage(BaseModel):
    """The answer message, with kezhuan's extension fields."""

    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer with `[n]` markers, or the refusal message.")
    references: list[Reference] = Field(description="Extension: the numbered sources of the answer.")
    refused: bool = Field(description="Extension: true when the documents do not hold the answer.")


class Choice(BaseModel):
    """The single choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"] = Field(
        "stop", description="`length` when `max_tokens` cut the answer, else `stop`."
    )


class Usage(BaseModel):
    """How much text went in and out, counted in Unicode characters (see ``USAGE_UNIT``)."""

    prompt_tokens: int = Field(description="Characters of every message's text in the request.")
    completion_tokens: int = Field(description="Characters of the answer returned.")
    total_tokens: int = Field(description="The sum of the two.")


class ChatCompletion(BaseModel):
    """An OpenAI ``chat.completion`` object."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix time in seconds.")
    model: str = MODEL_ID
    choices: list[Choice]
    usage: Usage
    references: list[Reference] = Field(description="Extension: the same sources as on the message.")
    refused: bool = Field(description="Extension: the same flag as on the message.")
    notice: str = Field(
        "", description="Extension: a note on how the answer was made (e.g. the LLM fell back), or empty."
    )


class ModelCard(BaseModel):
    """An OpenAI ``model`` object."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "kezhuan"


class ModelList(BaseModel):
    """The models served."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    """``assistant.health()``; only ``ok`` for a request without the key when one is set."""

    model_config = ConfigDict(extra="allow")

    ok: bool
    passages: int | None = Field(None, description="Passages in the index (with the key, when one is set).")
    embedding_model: str = ""
    collection: str = ""
    retrieval_mode: str = ""
    generator: str = ""


class FeedbackRequest(BaseModel):
    """A thumbs up or down on an answer, a changed vote, or a withdrawal (``rating: null``)."""

    model_config = ConfigDict(extra="forbid")

    reply_id: str = Field(
        "",
        max_length=100,
        description="The answer's id (`id` of the `/api/ask` or `/v1/chat/completions` reply). "
        "Votes with the same id are recorded as changes of one vote; withdrawing needs it.",
    )
    question: str = Field(description="The question that was asked.", strict=True)
    answer: str = Field(description="The answer that was rated.", strict=True)
    rating: Literal["up", "down"] | None = Field(description="`up`, `down`, or null to withdraw the vote.")
    citations: list[Reference] = Field(default_factory=list, description="The answer's citations.")
    refused: bool = Field(False, description="Whether the rated answer was a refusal.")
    surface: Literal["widget", "api"] = Field("widget", description="Where the vote came from.")


class FeedbackSaved(BaseModel):
    """Acknowledges a stored vote."""

    ok: bool = True
    timestamp: str = Field(description="When the vote was stored (UTC, ISO 8601).")
    event: str = Field(
        "vote", description="`vote`, `change` (a different vote on the same id) or `withdraw`."
    )


class FeedbackReason(BaseModel):
    """What was wrong with an answer, written after a thumbs down."""

    model_config = ConfigDict(extra="forbid")

    reply_id: str = Field(min_length=1, max_length=100, description="The answer's id.")
    reason: str = Field(min_length=1, max_length=2000, description="The visitor's words.", strict=True)
    question: str = Field("", description="The question, for the report.", strict=True)
    surface: Literal["widget", "api"] = Field("widget", description="Where it came from.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad question or malformed JSON."},
    401: {"model": ErrorResponse, "description": "Missing or wrong API key (when one is configured)."},
    413: {"model": ErrorResponse, "description": "Request body too large."},
    429: {"model": ErrorResponse, "description": "Too many requests from this client; see `Retry-After`."},
    422: {"model": ErrorResponse, "description": "The body does not match the schema."},
    503: {"model": ErrorResponse, "description": "No index yet: run `kezhuan ingest`."},
}


# --------------------------------------------------------------------------- routes


#: Reads ``Authorization: Bearer <key>``; ``None`` when the header is missing or not a bearer token.
BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <KEZHUAN_API_KEY>`")


def bearer_guard(api_key: str | None) -> Callable[..., None]:
    """A dependency that checks ``Authorization: Bearer <api_key>``; a no-op without a key."""

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(BEARER)) -> None:  # noqa: B008
        if not api_key:
            return
        if credentials is None:
            raise ApiError(
                401,
                "Missing API key: send the header `Authorization: Bearer <key>` with the key set "
                "in KEZHUAN_API_KEY on the server.",
                "missing_api_key",
                "authentication_error",
            )
        if not hmac.compare_digest(credentials.credentials.encode(), api_key.encode()):
            raise ApiError(
                401,
                "Wrong API key: check the key against KEZHUAN_API_KEY.",
                "wrong_api_key",
                "authentication_error",
            )

    return check


def _content_text(message: ChatMessageIn, index: int) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    texts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise ApiError(
                400,
                f"messages.{index}.content: only text parts are supported, not {part.type!r}.",
                "unsupported_content",
            )
        texts.append(part.text)
    return "".join(texts)


def split_conversation(messages: list[ChatMessageIn]) -> tuple[str, list[HistoryMessage]]:
    """The question (the last user message) and the history before it.

    System and developer messages are ignored, as are messages after the last user one.

    Raises:
        ApiError: there is no user message.
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise ApiError(
            400, "messages has no user message: the last user message is the question.", "no_user_message"
        )
    history: list[HistoryMessage] = []
    for i, m in enumerate(messages[:last_user]):
        if m.role in ("user", "assistant"):
            history.append({"role": m.role, "content": _content_text(m, i)})
    return _content_text(messages[last_user], last_user), history


def _references(reply: Reply) -> list[dict[str, Any]]:
    return reply.to_dict()["citations"]


def count_usage(text: str) -> int:
    """The length of ``text`` in :data:`USAGE_UNIT` (Unicode characters)."""
    return len(text)


def usage_of(messages: list[ChatMessageIn], answer: str) -> dict[str, int]:
    """OpenAI's ``usage`` object for a request and the answer returned, in characters."""
    prompt = sum(count_usage(_content_text(m, i)) for i, m in enumerate(messages))
    completion = count_usage(answer)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def check_openai_options(request: ChatCompletionRequest) -> None:
    """Refuse what kezhuan cannot honour, as OpenAI would refuse an invalid request.

    Raises:
        ApiError: ``n`` is not 1, ``response_format`` is not ``text``, ``stop`` has more than
            four sequences or an empty one, or ``stream_options`` comes without ``stream``.
    """
    if request.n is not None and request.n != 1:
        raise ApiError(
            400,
            f"n: only 1 is supported (got {request.n}): kezhuan returns one answer per question, "
            "and the same question gives the same answer. Leave n out or send n: 1.",
            "unsupported_n",
        )
    if request.response_format is not None and request.response_format.type != "text":
        raise ApiError(
            400,
            f'response_format: only {{"type": "text"}} is supported, not {request.response_format.type!r}: '
            "answers are cited text; read the citations from `references`.",
            "unsupported_response_format",
        )
    stops = [request.stop] if isinstance(request.stop, str) else list(request.stop or [])
    if len(stops) > MAX_STOP_SEQUENCES or any(not s for s in stops):
        raise ApiError(
            400,
            f"stop: send at most {MAX_STOP_SEQUENCES} non-empty sequences (got {len(stops)}).",
            "invalid_stop",
        )
    if request.stream_options is not None and not request.stream:
        raise ApiError(
            400,
            "stream_options is only allowed with stream: true.",
            "stream_options_without_stream",
        )


def limit_answer(answer: str, max_chars: int | None, stop: str | list[str] | None) -> tuple[str, str]:
    """``answer`` cut by ``stop`` and ``max_chars``, with OpenAI's ``finish_reason``.

    The answer ends before the first stop sequence it contains (``stop``). Longer than
    ``max_chars`` characters, it keeps the whole sentences that fit up to the last one with its
    ``[n]`` marker (``length``): an answer is never cut inside a sentence, and a cited answer
    never ends in uncited words (a section label, a lead). When not even its first cited
    sentence fits, the answer is "" (``length``); a refusal, which cites nothing, keeps the
    whole sentences that fit.
    """
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cuts = [answer.find(s) for s in stops if s and s in answer]
    if cuts:
        answer = answer[: min(cuts)]
    if max_chars is None or count_usage(answer) <= max_chars:
        return answer, "stop"
    kept = ""
    for sentence in split_sentences(answer):
        if count_usage(kept + sentence) > max_chars:
            break
        kept += sentence
    if MARKER.search(answer):
        cited = [m.end() for m in MARKER.finditer(kept)]
        last = next((end for end in _sentence_ends(kept) if cited and end >= cited[-1]), 0)
        kept = kept[:last]
    return kept, "length"


def _sentence_ends(text: str) -> list[int]:
    """Where each sentence of ``text`` ends (:func:`ui.render.split_sentences`), in order."""
    ends, at = [], 0
    for sentence in split_sentences(text):
        at += len(sentence)
        ends.append(at)
    return ends


def _cited(references: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The references whose ``[n]`` is still in ``text``."""
    shown = {int(n) for n in MARKER.findall(text)}
    return [r for r in references if r["n"] in shown]


def _chunk(completion_id: str, created: int, delta: dict[str, Any] | None, **extra: Any) -> str:
    finish = extra.pop("finish_reason", None)
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _sse(
    completion_id: str,
    created: int,
    events: Iterator[str | Reply],
    request: ChatCompletionRequest | None = None,
) -> Iterator[str]:
    """The SSE stream of a completion (see :func:`build_api_router`'s ``chat_completions``)."""
    max_chars = request.max_completion_tokens or request.max_tokens if request else None
    stop = request.stop if request else None
    limited = bool(max_chars or stop)
    include_usage = bool(request and request.stream_options and request.stream_options.include_usage)
    # With include_usage, every chunk carries "usage": null and one more chunk the totals.
    usage_field: dict[str, Any] = {"usage": None} if include_usage else {}
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""}, **usage_field)
    streamed = ""
    reply: Reply | None = None
    try:
        for event in events:
            if isinstance(event, Reply):
                reply = event
                break
            # A limited answer is cut from the checked reply, so nothing streams before it.
            if event and not limited:
                streamed += event
                yield _chunk(completion_id, created, {"content": event}, **usage_field)
        if reply is None:
            raise RuntimeError("assistant.stream ended without a final Reply")
    except KezhuanError as e:
        status, code, error_type = _kezhuan_status(e)
        logger.warning("Stream %s failed: %s", completion_id, e)
        error = {"message": _kezhuan_message(e), "type": error_type, "code": code}
        yield f"data: {json.dumps({'error': error}, ensure_ascii=False)}\n\n"
        return
    except Exception:
        logger.exception("Stream %s failed", completion_id)
        error = {
            "message": "Internal server error while streaming.",
            "type": "server_error",
            "code": "internal_error",
        }
        yield f"data: {json.dumps({'error': error})}\n\n"
        return
    answer, finish = limit_answer(reply.answer, max_chars, stop)
    if not streamed:
        for sentence in split_sentences(answer):
            streamed += sentence
            yield _chunk(completion_id, created, {"content": sentence}, **usage_field)
    references = _cited(_references(reply), answer) if limited else _references(reply)
    # A language model's draft streams unchecked; the final chunk carries the enforced answer
    # (``answer``: what the ``[n]`` of ``references`` number) and any fallback ``notice``.
    final = {"references": references, "refused": reply.refused, "answer": answer}
    if getattr(reply, "notice", ""):
        final["notice"] = reply.notice
    yield _chunk(completion_id, created, dict(final), finish_reason=finish, **final, **usage_field)
    if include_usage and request is not None:
        yield _chunk(completion_id, created, None, usage=usage_of(request.messages, streamed))
    yield "data: [DONE]\n\n"


def _known_reply(feedback: FeedbackStore, reply_id: str) -> None:
    """Refuse feedback against an id no answer of this server had (404 ``unknown_reply_id``)."""
    if reply_id and not feedback.knows(reply_id):
        raise ApiError(
            404,
            f"reply_id {reply_id[:100]!r} is no answer this server gave: send the `id` of the "
            "/api/ask or /v1/chat/completions reply being rated.",
            "unknown_reply_id",
        )


def build_api_router(
    assistant: ChatAssistant,
    settings: Settings,
    feedback: FeedbackStore,
    *,
    api_key: str | None = None,
    gate: AnswerGate | None = None,
) -> APIRouter:
    """The API routes, bound to ``assistant``.

    Questions and histories are checked against the settings' limits before any work
    (:func:`assistant.validate.validate_request`), and answers are computed through ``gate``:
    at most its ``slots`` at once, expensive requests (by :func:`ui.gate.request_cost`) in at
    most its ``expensive_slots``, clients in turn, and none for a client that left while waiting.

    Args:
        assistant: Answers the questions.
        settings: Supplies ``max_question_chars`` and the history limits.
        feedback: Where ``/api/feedback`` votes go.
        api_key: When set, every route requires ``Authorization: Bearer <api_key>``, except
            that ``/healthz`` without an ``Authorization`` header answers ``{"ok": bool}`` alone.
        gate: Limits and orders the answers computed at once (default: the settings'
            ``answer_slots``, ``expensive_answer_slots`` and ``expensive_request_chars``).
    """
    router = APIRouter(responses=ERROR_RESPONSES)
    check_key = bearer_guard(api_key)
    keyed = [Depends(check_key)]  # every route but /healthz
    started = int(time.time())
    gate = gate or AnswerGate(
        settings.answer_slots, settings.expensive_answer_slots, settings.expensive_request_chars
    )

    @router.post(
        "/v1/chat/completions",
        dependencies=keyed,
        response_model=ChatCompletion,
        tags=["OpenAI-compatible"],
        summary="Chat completion (OpenAI-compatible)",
        responses={200: {"content": {"text/event-stream": {}}, "description": "With `stream: true`: SSE."}},
    )
    async def chat_completions(request: ChatCompletionRequest, http: Request) -> Any:
        """Answer the last user message; earlier user/assistant messages are the history.

        With ``stream: true`` the answer arrives as ``chat.completion.chunk`` server-sent
        events; the final chunk (``finish_reason: "stop"``) carries ``references``,
        ``refused`` and ``answer`` (top level and in its ``delta``), then ``data: [DONE]``.
        With a language model, the streamed deltas are its unchecked draft and ``answer`` is
        the enforced answer the ``references`` belong to (plus ``notice`` on a fallback).

        ``usage`` counts characters (``USAGE_UNIT``), in the reply, or with ``stream: true``
        and ``stream_options.include_usage`` in one more chunk (no choices) before
        ``data: [DONE]``. ``max_tokens`` and ``stop`` cut the checked answer (then a stream
        sends it whole sentences at a time after it is checked); ``n`` other than 1 and
        ``response_format`` other than ``text`` get a 400 that says what is supported.
        """
        check_openai_options(request)
        question, history = split_conversation(request.messages)
        question, history = validate_request(question, history, settings)
        cost = request_cost(question, history, settings.max_history_turns)
        completion_id = feedback.new_reply_id("chatcmpl")  # also the reply_id of its feedback
        created = int(time.time())
        if request.stream:
            events = iter(assistant.stream(question, history))
            # Pull the first event now: a bad question or a missing index fails here, as a 4xx/503.
            # The rest streams in Starlette's threads, which stop pulling when the client leaves.
            first = await gate.run(http, lambda: next(events, None), cost=cost)
            if first is None:
                raise RuntimeError("assistant.stream yielded nothing")
            return StreamingResponse(
                _sse(completion_id, created, chain([first], events), request),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        reply = await gate.run(http, lambda: assistant.ask(question, history), cost=cost)
        answer, finish = limit_answer(
            reply.answer, request.max_completion_tokens or request.max_tokens, request.stop
        )
        references = _cited(_references(reply), answer) if answer != reply.answer else _references(reply)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": answer,
                        "references": references,
                        "refused": reply.refused,
                    },
                    "finish_reason": finish,
                }
            ],
            "usage": usage_of(request.messages, answer),
            "references": references,
            "refused": reply.refused,
            "notice": getattr(reply, "notice", ""),
        }

    @router.get(
        "/v1/models",
        dependencies=keyed,
        response_model=ModelList,
        tags=["OpenAI-compatible"],
        summary="List models",
    )
    def list_models() -> dict[str, Any]:
        """The single model served, ``kezhuan``."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": started, "owned_by": "kezhuan"}],
        }

    @router.post(
        "/api/ask", dependencies=keyed, response_model=AskResponse, tags=["kezhuan"], summary="Ask a question"
    )
    async def ask(request: AskRequest, http: Request) -> dict[str, Any]:
        """Answer a question; returns ``Reply.to_dict()`` (answer, citations, refusal flag)."""
        asked: list[HistoryMessage] = [m.model_dump() for m in request.history or []]
        question, history = validate_request(request.question, asked, settings)
        cost = request_cost(question, history, settings.max_history_turns)
        reply = await gate.run(http, lambda: assistant.ask(question, history), cost=cost)
        return {"id": feedback.new_reply_id(), **reply.to_dict()}

    @router.post(
        "/api/feedback",
        dependencies=keyed,
        response_model=FeedbackSaved,
        tags=["kezhuan"],
        summary="Rate an answer",
    )
    def rate(request: FeedbackRequest) -> dict[str, Any]:
        """Store a thumbs up/down (or its withdrawal) in ``data_dir/feedback.jsonl``."""
        if request.rating is None and not request.reply_id:
            raise ApiError(
                400, "Withdrawing a vote (rating: null) needs the answer's reply_id.", "missing_reply_id"
            )
        _known_reply(feedback, request.reply_id)
        entry = feedback.record(
            question=request.question,
            answer=request.answer,
            citations=[c.model_dump() for c in request.citations],
            rating=request.rating,
            surface=request.surface,
            refused=request.refused,
            reply_id=request.reply_id,
        )
        return {"ok": True, "timestamp": entry["timestamp"], "event": entry["event"]}

    @router.post(
        "/api/feedback/reason",
        dependencies=keyed,
        response_model=FeedbackSaved,
        tags=["kezhuan"],
        summary="Say why an answer was bad",
    )
    def reason(request: FeedbackReason) -> dict[str, Any]:
        """Store what a visitor wrote about an answer (after a thumbs down), against its id."""
        _known_reply(feedback, request.reply_id)
        entry = feedback.record_reason(
            reply_id=request.reply_id,
            reason=request.reason,
            question=request.question,
            surface=request.surface,
        )
        return {"ok": True, "timestamp": entry["timestamp"], "event": "reason"}

    @router.get(
        "/healthz",
        response_model=Health,
        tags=["kezhuan"],
        summary="Health",
        responses={503: {"model": Health, "description": "The assistant is not ready."}},
    )
    def healthz(
        credentials: HTTPAuthorizationCredentials | None = Depends(BEARER),  # noqa: B008
    ) -> JSONResponse:
        """``assistant.health()``; status 503 when ``ok`` is false.

        With an API key set, a request with no bearer ``Authorization`` header (a load
        balancer's health check) gets ``{"ok": bool}`` alone, without paths, model or
        collection names or error text; a wrong key gets the usual 401.
        """
        if credentials is not None:
            check_key(credentials)
        detailed = not api_key or credentials is not None
        try:
            health = assistant.health()
        except Exception as e:  # e.g. chroma.sqlite3 replaced under the running server
            logger.warning("Health check failed: %s: %s", type(e).__name__, e)
            reason = str(e) if isinstance(e, KezhuanError) else "the index cannot be read right now"
            health = {"ok": False, "passages": 0, "error": reason}
        status = 200 if health.get("ok") else 503
        return JSONResponse(health if detailed else {"ok": bool(health.get("ok"))}, status_code=status)

    return router
