"""Per-client rate limits for the API routes: a token bucket per client address.

Each client may make ``per_minute`` API requests per minute on average and up to
``burst`` in a row. A request over the limit gets a JSON 429 in the API's error shape
with a ``Retry-After`` header, saying the limit and the settings that change it.

The limits cover every route that answers questions: the API (``/v1/``, ``/api/``) and the
chat page's own Gradio routes (:data:`GRADIO_ANSWER_PATHS`: the page's ``queue/join`` and
Gradio's programmatic ``call/``, ``run/`` and ``api/``), in one bucket per client. Attempts at
the page's login (``/login``) have a bucket of their own with a lower rate
(``Settings.login_attempts_per_minute``), so its password (the API key) cannot be guessed
quickly either.

The client is its address as uvicorn reports it. Behind a reverse proxy, uvicorn takes
the address from ``X-Forwarded-For`` when the proxy is trusted (``--forwarded-allow-ips``
or ``FORWARDED_ALLOW_IPS``; 127.0.0.1 by default), so a local nginx works as is. The API
key is not part of the identity: there is one server-wide key (``KEZHUAN_API_KEY``), which
the widget shares among every visitor, so keying on it would put everybody in one bucket.
Requests are counted before the key is checked, so guessing keys is throttled too.
"""

from __future__ import annotations

import hmac
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings
from ui.api import API_PREFIXES, error_response

#: Gradio's routes that run the chat page's functions, i.e. answer questions: the page itself
#: posts to ``queue/join``; ``call/``, ``run/`` and ``api/`` are Gradio's programmatic API
#: (gradio_client, curl).
GRADIO_ANSWER_PATHS: tuple[str, ...] = (
    "/gradio_api/queue/join",
    "/gradio_api/call/",
    "/gradio_api/run/",
    "/gradio_api/api/",
)
#: Gradio's programmatic API only: without page protection these need the API key as a bearer
#: token, like the helpdesk API (the page itself never uses them).
GRADIO_PROGRAMMATIC_PATHS: tuple[str, ...] = ("/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/")
#: Every path that can make the server answer a question, limited per client.
ANSWER_PATHS: tuple[str, ...] = API_PREFIXES + GRADIO_ANSWER_PATHS
#: The page's login form posts here (Gradio's route, with and without the trailing slash).
LOGIN_PATHS: tuple[str, ...] = ("/login",)
#: Every path whose request body is limited in size: the answer routes, all of Gradio's API
#: (uploads, streams) and the login.
BODY_LIMITED_PATHS: tuple[str, ...] = API_PREFIXES + ("/gradio_api/",) + LOGIN_PATHS

#: Paths never limited: load balancers poll health and must not be turned away.
UNLIMITED_PATHS: tuple[str, ...] = ("/healthz",)


@dataclass
class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second.

    Args:
        capacity: Most tokens the bucket holds (the burst).
        rate: Tokens added per second.
        tokens: Tokens now.
        updated: When ``tokens`` was last brought up to date (monotonic seconds).
    """

    capacity: float
    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token if there is one.

        Returns:
            0.0 when the token was taken, else the seconds until one is available.
        """
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Token buckets keyed by client, with bounded memory.

    Called only from the event loop (the ASGI middleware), so it needs no lock.

    Args:
        per_minute: Average requests per minute per client (> 0).
        burst: Requests a client may make in a row before the average applies (>= 1).
        clock: Monotonic time source (tests pass a fake).
        max_clients: Most buckets kept; the least recently used is dropped beyond that
            (a dropped client starts again with a full bucket).
    """

    def __init__(
        self,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = Settings.max_tracked_clients,
    ) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be greater than 0. Currently, it is {per_minute}.")
        if burst < 1:
            raise ValueError(f"burst must be at least 1. Currently, it is {burst}.")
        self.per_minute = per_minute
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, client: str) -> float:
        """Count one request of ``client``.

        Returns:
            0.0 when allowed, else the seconds the client should wait.
        """
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = TokenBucket(float(self.burst), self.rate, float(self.burst), now)
            self._buckets[client] = bucket
            if len(self._buckets) > self.max_clients:
                self._forget(now)
        else:
            self._buckets.move_to_end(client)
        return bucket.take(now)

    def _forget(self, now: float) -> None:
        # Buckets that have refilled completely carry no information: drop them first.
        refill = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= refill]:
            del self._buckets[key]
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)


def client_id(scope: Scope) -> str:
    """The client a request is counted against: its address (``unknown`` without one)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimit:
    """ASGI middleware: API requests over the per-client limit get a JSON 429.

    Args:
        app: The wrapped ASGI app.
        limiter: The buckets.
        prefixes: Path prefixes the limit applies to (every route that answers questions).
        exempt: Paths never limited.
        what: What is counted, for the 429's message (``API requests``, ``login attempts``).
        settings_hint: The settings that change the limit, for the 429's message.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        prefixes: tuple[str, ...] = ANSWER_PATHS,
        exempt: tuple[str, ...] = UNLIMITED_PATHS,
        what: str = "API requests",
        settings_hint: str = (
            "KEZHUAN_RATE_LIMIT_PER_MINUTE and KEZHUAN_RATE_LIMIT_BURST (KEZHUAN_RATE_LIMIT_PER_MINUTE=0 "
            "turns it off)"
        ),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefixes = prefixes
        self.exempt = exempt
        self.what = what
        self.settings_hint = settings_hint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or scope.get("method") == "OPTIONS"  # CORS preflights cost nothing
            or not path.startswith(self.prefixes)
            or path in self.exempt
        ):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.check(client_id(scope))
        if not wait:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        limiter = self.limiter
        response = error_response(
            429,
            f"Too many requests: each client may make {limiter.per_minute} {self.what} per minute "
            f"(bursts of up to {limiter.burst}). Retry in {retry_after} s. The server's operator sets "
            f"the limit with {self.settings_hint}.",
            "rate_limit_exceeded",
            "rate_limit_error",
        )
        response.headers["Retry-After"] = str(retry_after)
        response.headers["X-RateLimit-Limit"] = str(limiter.per_minute)
        await response(scope, receive, send)


def login_limiter(per_minute: int, max_clients: int = Settings.max_tracked_clients) -> RateLimiter:
    """The buckets for login attempts: ``per_minute`` on average, bursts of half that (at least 1),
    for at most ``max_clients`` clients (``Settings.max_tracked_clients``)."""
    return RateLimiter(per_minute, max(1, per_minute // 2), max_clients=max_clients)


class RequireKey:
    """ASGI middleware: requests to ``prefixes`` need ``Authorization: Bearer <api_key>``.

    Guards Gradio's programmatic API (:data:`GRADIO_PROGRAMMATIC_PATHS`) with the same key and
    the same 401 replies as the helpdesk API, compared in constant time. Placed inside the
    rate limit, so wrong keys are counted.

    Args:
        app: The wrapped ASGI app.
        api_key: The key (non-empty).
        prefixes: Path prefixes that need it.
    """

    def __init__(
        self, app: ASGIApp, api_key: str, prefixes: tuple[str, ...] = GRADIO_PROGRAMMATIC_PATHS
    ) -> None:
        if not api_key:
            raise ValueError("RequireKey needs a non-empty api_key.")
        self.app = app
        self.key = api_key.encode()
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or scope.get("method") == "OPTIONS" or not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not token:
            response = error_response(
                401,
                "Missing API key: send the header `Authorization: Bearer <key>` with the key set in "
                "KEZHUAN_API_KEY on the server.",
                "missing_api_key",
                "authentication_error",
            )
        elif not hmac.compare_digest(token.strip(), self.key):
            response = error_response(
                401,
                "Wrong API key: check the key against KEZHUAN_API_KEY.",
                "wrong_api_key",
                "authentication_error",
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
