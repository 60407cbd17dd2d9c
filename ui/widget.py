"""The embeddable chat: ``/embed`` (a page made for an iframe) and ``/widget.js`` (a bubble).

``/embed`` is plain HTML, CSS and JS from ``ui/static`` (no CDN). Its script calls
``/api/ask`` and builds every element with ``textContent``; the page's
Content-Security-Policy allows only its own scripts, so even a mistake could not run
injected inline script. Framing is allowed (``frame-ancestors``: any site, or the CORS
allowlist when one is set). ``/widget.js`` adds a floating bubble to a host page that
opens ``/embed`` in an iframe.

Host-page snippets (see ``docs/widget.md``)::

    <script src="http://HOST:7860/widget.js" defer></script>
    <iframe src="http://HOST:7860/embed" title="科專助理" style="width:380px;height:560px;border:0"></iframe>
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

STATIC_DIR = "static"
#: Static files served under ``/widget/`` and their content types.
ASSETS: dict[str, str] = {
    "embed.js": "text/javascript; charset=utf-8",
    "embed.css": "text/css; charset=utf-8",
}


def read_static(name: str) -> str:
    """The text of ``ui/static/<name>`` (shipped as package data)."""
    return resources.files("ui").joinpath(STATIC_DIR, name).read_text(encoding="utf-8")


def frame_ancestors(cors_origins: list[str]) -> str:
    """The CSP ``frame-ancestors`` source list: the allowlist, or any site when there is none."""
    if not cors_origins:
        return "*"
    return " ".join(["'self'", *cors_origins])


def embed_headers(cors_origins: list[str]) -> dict[str, str]:
    """Security headers of the ``/embed`` page (framing allowed, no inline script)."""
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {frame_ancestors(cors_origins)}"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


#: Placeholder in ``embed.html`` for the longest question the server accepts.
MAX_CHARS_SLOT = "{{max_question_chars}}"


def build_widget_router(cors_origins: list[str] | None = None, max_question_chars: int = 2000) -> APIRouter:
    """Routes of ``/embed``, its assets and ``/widget.js``.

    Args:
        cors_origins: Sites allowed to frame ``/embed``; any site when empty.
        max_question_chars: The server's question limit, shown by the embed page's counter
            (which keeps a longer question in the box instead of sending it).
    """
    origins = list(cors_origins or [])
    router = APIRouter(include_in_schema=False)
    page = read_static("embed.html").replace(MAX_CHARS_SLOT, str(int(max_question_chars)))
    assets = {name: read_static(name) for name in ASSETS}
    bubble = read_static("widget.js")
    static_headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}

    @router.get("/embed")
    def embed() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=embed_headers(origins))

    @router.get("/widget/{name}")
    def asset(name: str) -> Response:
        if name not in assets:
            return Response("Not found", status_code=404, media_type="text/plain")
        return Response(assets[name], media_type=ASSETS[name], headers=static_headers)

    @router.get("/widget.js")
    def widget_script() -> Response:
        return Response(bubble, media_type="text/javascript; charset=utf-8", headers=static_headers)

    return router
