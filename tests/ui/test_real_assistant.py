"""The web surfaces on the real assistant and the real corpus (slow: builds an index).

The fixture goes through :func:`ui.server.load_assistant` with an empty data folder, so it
also checks that the server builds the missing index itself before serving.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

from core.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow

DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    try:
        import assistant.chat  # noqa: F401
        import ingest.index  # noqa: F401
    except ImportError as e:
        pytest.skip(f"the real assistant is not importable yet ({e}); the fake-based tests cover the UI")
    from ui.server import create_app, load_assistant

    settings = Settings.from_env(environ={}, data_dir=tmp_path_factory.mktemp("real-data"))
    bot = load_assistant(settings)  # no index in the fresh data folder: ingests first
    with LiveServer(create_app(bot, settings, api_key="", cors_origins=[])) as live:
        yield live


def test_ask_on_the_real_corpus(real_server: LiveServer) -> None:
    response = httpx.post(
        real_server.url + "/api/ask", json={"question": "南臺灣創新園區在做什麼？"}, timeout=120
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["refused"] is False and reply["citations"]
    assert "[1]" in reply["answer"]
    for citation in reply["citations"]:
        assert citation["quote"].strip()
    health = httpx.get(real_server.url + "/healthz", timeout=30).json()
    assert health["ok"] is True and health["passages"] > 0


def test_real_refusal(real_server: LiveServer) -> None:
    reply = httpx.post(
        real_server.url + "/api/ask", json={"question": "台北明天會下雨嗎？"}, timeout=120
    ).json()
    assert reply["refused"] is True and reply["citations"] == []


def test_openai_stream_on_the_real_corpus(real_server: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{real_server.url}/v1", api_key="unused", max_retries=0, timeout=120)
    chunks = list(
        client.chat.completions.create(
            model="kezhuan",
            messages=[{"role": "user", "content": "2022年培育了幾組科專新創團隊？"}],
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "52" in text
    assert (chunks[-1].model_extra or {})["references"]


def test_gradio_client_on_the_real_corpus(real_server: LiveServer) -> None:
    from gradio_client import Client

    messages, _ = Client(real_server.url + "/", verbose=False).predict(
        "成果歸屬及運用辦法的新創專章有哪些誘因？", api_name="/chat"
    )
    assert "[1]" in json.dumps(messages[-1]["content"], ensure_ascii=False)


@pytest.mark.browser
def test_readme_screenshot(real_server: LiveServer, artifacts: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    sync_api: Any = pytest.importorskip(
        "playwright.sync_api", reason="install playwright: pip install playwright"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 860}, locale="zh-TW")
        page.set_default_timeout(120_000)
        page.goto(real_server.url + "/")
        page.get_by_text("南臺灣創新園區在做什麼？").click()
        page.wait_for_selector("details.kz-source")
        page.locator("a.kz-cite").first.click()
        page.wait_for_function("() => document.querySelector('details.kz-source').open")
        assert page.locator("details.kz-source mark").first.is_visible()
        page.wait_for_timeout(1800)
        page.screenshot(path=str(artifacts / "chat-real.png"))
        browser.close()
    DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
    DOCS_SCREENSHOT.write_bytes((artifacts / "chat-real.png").read_bytes())


#: The README's screenshots of the page and the widget, at desktop and phone size.
DOCS_SHOTS = {
    ("page", "desktop"): PROJECT_ROOT / "docs" / "page-desktop.png",
    ("page", "phone"): PROJECT_ROOT / "docs" / "page-phone.png",
    ("widget", "desktop"): PROJECT_ROOT / "docs" / "widget-desktop.png",
    ("widget", "phone"): PROJECT_ROOT / "docs" / "widget-phone.png",
}
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.browser
@pytest.mark.parametrize("viewport", SIZES)
def test_docs_screenshots(real_server: LiveServer, artifacts: Path, viewport: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    sync_api: Any = pytest.importorskip(
        "playwright.sync_api", reason="install playwright: pip install playwright"
    )
    host = (
        "<!doctype html><html lang='zh-Hant'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>協會網站</title></head>"
        "<body style='font-family:sans-serif;margin:24px'><h1>產業協會</h1><p>會員服務與最新消息。</p>"
        f"<script src='{real_server.url}/widget.js' defer></script></body></html>"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SIZES[viewport], locale="en-US", has_touch=viewport == "phone")
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(real_server.url + "/")
        box = page.locator("#kz-question textarea")
        box.fill("南臺灣創新園區在做什麼？")
        box.press("Enter")
        page.wait_for_selector("#kz-chat .kz-answer:not(.kz-streaming)")
        page.locator("#kz-chat a.kz-cite").first.click()
        page.wait_for_function("() => document.querySelector('#kz-chat details.kz-source').open")
        page.wait_for_timeout(1800)
        page.screenshot(path=str(artifacts / f"docs-page-{viewport}.png"))
        # The widget on another site (served from a data: URL is not allowed to load scripts from
        # 127.0.0.1 in every browser, so the host page is set as the document's content).
        page.goto(real_server.url + "/healthz")
        page.set_content(host)
        page.locator("#kezhuan-widget-bubble").click()
        frame = page.frame_locator("#kezhuan-widget-frame")
        frame.locator(".kz-example", has_text="2022年培育了幾組科專新創團隊？").click()
        frame.locator("details.kz-source").wait_for()
        frame.locator("a.kz-cite").first.click()
        page.wait_for_timeout(1800)
        page.screenshot(path=str(artifacts / f"docs-widget-{viewport}.png"))
        context.close()
        browser.close()
    for surface in ("page", "widget"):
        target = DOCS_SHOTS[(surface, viewport)]
        target.parent.mkdir(exist_ok=True)
        target.write_bytes((artifacts / f"docs-{surface}-{viewport}.png").read_bytes())
