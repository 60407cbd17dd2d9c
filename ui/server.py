"""One server for every web surface: chat page, helpdesk API and embeddable widget.

:func:`create_app` assembles a FastAPI app around an assistant object (so tests pass a
fake); :func:`serve` loads the real assistant, building the index first when there is
none, and runs uvicorn.

Settings it reads (``core/settings.py``, each also a ``KEZHUAN_*`` variable):

* ``api_key`` (``KEZHUAN_API_KEY``): when set, every API route needs
  ``Authorization: Bearer <key>``.
* ``cors_origins`` (``KEZHUAN_CORS_ORIGINS``): comma-separated origins allowed to call the
  API from a browser (the widget's host pages); they may also frame ``/embed``.
* ``protect_page`` (``KEZHUAN_PROTECT_PAGE``): ``1``/``true`` puts the chat page behind a
  login whose password is the API key.

Every route that answers questions (the API and the page's Gradio routes) shares the
per-client rate limit (``settings.rate_limit_per_minute`` / ``rate_limit_burst``) and the
body-size limit; the page's login has its own, lower rate (``settings.login_attempts_per_minute``);
see ``ui/limits.py``.

What the API key protects: every API route, and Gradio's programmatic API (``/gradio_api/call/``,
``run/``, ``api/``) as a bearer token. The chat page, when not protected, is open to anyone who
can reach it, and answers through its own Gradio queue without the key: an open page is a
keyless way to ask questions, limited per client like the API. ``KEZHUAN_PROTECT_PAGE`` puts the
page and all of ``/gradio_api/`` behind a login whose password is the key.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from core.errors import IndexMissingError, IndexUnreadableError, KezhuanError, SettingsError
from core.settings import Settings
from ui.api import (
    API_PREFIXES,
    BodySizeLimit,
    CatchUnexpected,
    bearer_guard,
    build_api_router,
    error_response,
    install_error_handlers,
)
from ui.feedback import FeedbackStore
from ui.gate import AnswerGate
from ui.limits import (
    BODY_LIMITED_PATHS,
    LOGIN_PATHS,
    RateLimit,
    RateLimiter,
    RequireKey,
    login_limiter,
)
from ui.protocol import ChatAssistant
from ui.web import mount_chat
from ui.widget import build_widget_router

logger = logging.getLogger(__name__)

API_DESCRIPTION = """
科專助理 (kezhuan) answers questions about Taiwan MOEA technology programs from its
documents and cites the exact source passages.

* `POST /v1/chat/completions` is OpenAI-compatible (the official `openai` client works
  with `base_url="http://HOST:PORT/v1"`); citations travel in the extension field
  `references`, with `refused`.
* `POST /api/ask` returns the whole reply (`Reply.to_dict()`).

When the server has `KEZHUAN_API_KEY` set, send `Authorization: Bearer <key>`.
Errors are JSON: `{"error": {"message", "type", "code"}}`.
"""


def create_app(
    assistant: ChatAssistant,
    settings: Settings,
    *,
    api_key: str | None = None,
    cors_origins: list[str] | None = None,
    protect_page: bool | None = None,
    max_body_bytes: int | None = None,
    answer_slots: int | None = None,
) -> FastAPI:
    """The FastAPI app: API routes, ``/embed`` and ``/widget.js``, and the chat page at ``/``.

    Args:
        assistant: Answers questions (``assistant.Assistant`` or a test fake).
        settings: kezhuan settings (``max_question_chars``, ``data_dir`` for feedback,
            ``rate_limit_per_minute``/``rate_limit_burst`` for the API's per-client limit,
            ``api_key``, ``cors_origins`` and ``protect_page``).
        api_key: Bearer token every API route requires. ``None``: ``settings.api_key``;
            ``""`` turns auth off.
        cors_origins: Origins allowed to call the API from browsers. ``None``:
            ``settings.cors_origins``.
        protect_page: Put the chat page behind a login (password = API key). ``None``:
            ``settings.protect_page``.
        max_body_bytes: Largest API request body accepted in bytes (larger ones get a 413).
            ``None``: ``settings.max_body_bytes``.
        answer_slots: Answers the API computes at once; further requests wait (expensive ones
            in at most ``settings.expensive_answer_slots`` of them, clients in turn), and one
            whose client leaves while waiting is dropped before any work (``ui/gate.py``).
            ``None``: ``settings.answer_slots``.

    Raises:
        SettingsError: ``protect_page`` is on but no API key is set, or ``max_body_bytes`` < 1.
    """
    key = settings.api_key if api_key is None else api_key
    origins = settings.origins if cors_origins is None else list(cors_origins)
    if protect_page is None:
        protect_page = settings.protect_page
    if protect_page and not key:
        raise SettingsError(
            "protect_page needs an API key (the page password): set KEZHUAN_API_KEY, "
            "or turn off KEZHUAN_PROTECT_PAGE."
        )
    if max_body_bytes is None:
        max_body_bytes = settings.max_body_bytes
    if max_body_bytes < 1:
        raise SettingsError(f"max_body_bytes must be greater than 0. Currently, it is {max_body_bytes}.")

    app = FastAPI(
        title="科專助理 kezhuan API",
        version="0.1.0",
        description=API_DESCRIPTION,
        # Swagger UI and ReDoc load their scripts from a CDN; kezhuan stays offline and
        # serves the description itself at /openapi.json.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "OpenAI-compatible", "description": "Chat completions for helpdesk tools."},
            {"name": "kezhuan", "description": "Native question answering, feedback and health."},
        ],
    )
    install_error_handlers(app)
    app.add_middleware(CatchUnexpected)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, prefixes=BODY_LIMITED_PATHS)
    if key and not protect_page:
        # Gradio's programmatic API needs the key like ours; a protected page's login guards it.
        app.add_middleware(RequireKey, api_key=key)
    if settings.rate_limit_per_minute:
        # Outside the size limit and the key check: oversized requests and wrong keys count too.
        limiter = RateLimiter(
            settings.rate_limit_per_minute,
            settings.rate_limit_burst,
            max_clients=settings.max_tracked_clients,
        )
        app.add_middleware(RateLimit, limiter=limiter)
    if settings.login_attempts_per_minute:
        app.add_middleware(
            RateLimit,
            limiter=login_limiter(settings.login_attempts_per_minute, settings.max_tracked_clients),
            prefixes=LOGIN_PATHS,
            what="login attempts",
            settings_hint="KEZHUAN_LOGIN_ATTEMPTS_PER_MINUTE (0 turns it off)",
        )
    # Added after the limits, so it wraps them: even a 413 or 429 carries the CORS headers.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    feedback = FeedbackStore.in_data_dir(settings.data_dir, settings.max_reason_chars)
    slots = settings.answer_slots if answer_slots is None else answer_slots
    gate = AnswerGate(slots, min(slots, settings.expensive_answer_slots), settings.expensive_request_chars)
    api_router = build_api_router(assistant, settings, feedback, api_key=key or None, gate=gate)
    app.include_router(api_router)
    app.include_router(build_widget_router(origins, max_question_chars=settings.max_question_chars))
    _answer_unrouted_api_paths(app, api_router.routes, key or None)
    page_auth = _page_login(key) if protect_page else None
    logger.info(
        "Web app ready: API auth %s, rate limit %s, CORS origins %s, chat page %s",
        "on" if key else "off",
        f"{settings.rate_limit_per_minute}/min (burst {settings.rate_limit_burst}) per client"
        if settings.rate_limit_per_minute
        else "off",
        origins or "none",
        "behind login" if page_auth else "open",
    )
    # The chat page is mounted at "/" last: a mount there catches every path not routed above.
    return mount_chat(app, assistant, settings, feedback, auth=page_auth)


def _answer_unrouted_api_paths(app: FastAPI, api_routes: list[Any], api_key: str | None) -> None:
    """API paths with a wrong method get a 405, unknown ones a 404, both in the API's error shape.

    Without this the chat page, mounted at ``/`` after the API, would answer them with its own
    404 ``{"detail": "Not Found"}``. Call after the API routes are added, before the page.
    """
    allowed: dict[str, set[str]] = {}
    for route in api_routes:
        path, methods = getattr(route, "path", ""), getattr(route, "methods", None)
        if path.startswith(API_PREFIXES) and methods:
            allowed.setdefault(path, set()).update(methods)

    async def unrouted(request: Request) -> JSONResponse:
        path = request.url.path
        methods = allowed.get(path) or allowed.get(path.rstrip("/"))
        if methods:
            shown = ", ".join(sorted(methods | {"OPTIONS"}))
            response = error_response(
                405,
                f"{request.method} is not allowed on {path}; use {' or '.join(sorted(methods - {'HEAD'}))}.",
                "method_not_allowed",
            )
            response.headers["Allow"] = shown
            return response
        return error_response(
            404, f"There is no API route {path}; see /openapi.json for the routes.", "not_found"
        )

    every = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    for prefix in ("/v1", "/api"):
        app.add_api_route(
            prefix + "/{rest:path}",
            unrouted,
            methods=every,
            include_in_schema=False,
            dependencies=[Depends(bearer_guard(api_key))],  # the key first, as on every API route
        )


def _page_login(api_key: str) -> Callable[[str, str], bool]:
    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(password.encode(), api_key.encode())

    return check


#: Asked once before the server starts, so the first visitor does not wait for lazy loading:
#: a Chinese question, and an English one (it reads the English-Chinese dictionary, ~2 s).
WARM_UP_QUESTIONS = ("科技專案是什麼？", "What is the technology program?")


def warm_up(assistant: ChatAssistant) -> float:
    """Answer :data:`WARM_UP_QUESTIONS` once (loads the query embedder, segmenter, converters,
    the English-Chinese dictionary).

    The first answer after a start took 2-3.5 s against about 50 ms for later ones (issue 14);
    the server warms up before it listens, so ``/healthz`` never reports a cold answerer.

    Returns:
        Seconds the warm-up answers took.
    """
    t0 = time.perf_counter()
    for question in WARM_UP_QUESTIONS:
        try:
            assistant.ask(question)
        except KezhuanError as e:  # a cold first answer is slow, not fatal
            logger.warning("Warm-up question failed: %s", e)
    seconds = time.perf_counter() - t0
    logger.info("Answerer warmed up in %.2f s", seconds)
    return seconds


def load_assistant(settings: Settings) -> ChatAssistant:
    """Load the real assistant, building the index first when there is none, and warm it up.

    Raises:
        KezhuanError: the index cannot be built or loaded (the message says why).
    """
    assistant = _load(settings)
    warm_up(assistant)
    return assistant


def _load(settings: Settings) -> ChatAssistant:
    from assistant import Assistant  # heavy: loads the embedding model

    try:
        return Assistant.load(settings)
    except IndexUnreadableError:
        raise  # damaged, not missing: building over it is `kezhuan ingest --rebuild`'s decision
    except IndexMissingError as e:
        logger.warning(
            "No index yet (%s). Building it from %s now, as `kezhuan ingest` would; this runs once.",
            e,
            settings.corpus_dir,
        )
    from ingest.index import run_ingest

    report = run_ingest(settings)
    logger.info("Ingest finished: %s", report)
    return Assistant.load(settings)


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Load the assistant (ingesting first if needed) and serve every surface with uvicorn.

    Args:
        settings: kezhuan settings; ``Settings.from_env()`` when ``None``.
        host: Interface to listen on (``0.0.0.0`` for every interface).
        port: TCP port.
    """
    import uvicorn

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings or Settings.from_env()
    app = create_app(load_assistant(settings), settings)
    logger.info("科專助理 at http://%s:%d/ (API description at /openapi.json)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_keep_alive=settings.keep_alive_seconds)


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory ui.server:app_from_env`` (settings from the environment)."""
    settings = Settings.from_env()
    return create_app(load_assistant(settings), settings)
