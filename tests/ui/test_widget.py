"""The embeddable widget: /embed may be framed, runs only its own script, and needs no CDN."""

from __future__ import annotations

import re

import httpx
from conftest import LiveServer

from ui.widget import embed_headers


def test_embed_page_can_be_framed_and_allows_only_own_scripts(server: LiveServer) -> None:
    response = httpx.get(server.url + "/embed", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "x-frame-options" not in response.headers
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self' http://allowed.example" in csp
    html = response.text
    assert "<script>" not in html  # no inline script at all
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no external (CDN) resources"


def test_embed_assets_and_bubble_script_are_served(server: LiveServer) -> None:
    for path, kind in (
        ("/widget/embed.js", "javascript"),
        ("/widget/embed.css", "css"),
        ("/widget.js", "javascript"),
    ):
        response = httpx.get(server.url + path, timeout=30)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
        assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(server.url + "/widget/secret.py", timeout=30).status_code == 404


def test_embed_script_never_uses_inner_html(server: LiveServer) -> None:
    for path in ("/widget/embed.js", "/widget.js"):
        script = httpx.get(server.url + path, timeout=30).text
        assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_framing_is_open_without_an_allowlist() -> None:
    assert "frame-ancestors *" in embed_headers([])["Content-Security-Policy"]
    assert (
        "frame-ancestors 'self' https://a.example"
        in embed_headers(["https://a.example"])["Content-Security-Policy"]
    )
