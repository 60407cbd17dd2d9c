"""Headless Chromium drives the chat page, /embed, and /embed framed by another site.

Screenshots go to ``test-artifacts/`` (the README's ``docs/screenshot.png`` is taken on the
real corpus by ``test_real_assistant.py``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, ROW_QUOTES, FakeAssistant, LiveServer, free_port

from core.settings import Settings
from ui.server import create_app

pytestmark = pytest.mark.browser

EVIL_QUESTION = "成果歸屬及運用辦法的新創專章有哪些誘因？"
TIMEOUT_MS = 20_000

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="install playwright: pip install playwright")


class HostPage:
    """A plain page on another localhost port that frames /embed and loads /widget.js."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.html = ""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = host.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostPage:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def host() -> Iterator[HostPage]:
    with HostPage(free_port()) as page:
        yield page


@pytest.fixture(scope="module")
def browser_fake() -> FakeAssistant:
    # A small delay per delta, so the page visibly streams.
    return FakeAssistant(max_question_chars=200, delay=0.12)


@pytest.fixture(scope="module")
def site(browser_fake: FakeAssistant, settings: Settings, host: HostPage) -> Iterator[LiveServer]:
    app = create_app(browser_fake, settings, api_key="", cors_origins=[host.url])
    with LiveServer(app) as live:
        host.html = (
            "<!doctype html><html lang='zh-Hant'><head><meta charset='utf-8'><title>Host</title></head>"
            "<body><h1>協會網站</h1>"
            f"<iframe id='direct' src='{live.url}/embed' title='科專助理' "
            "style='width:420px;height:600px;border:1px solid #ccc'></iframe>"
            f"<script src='{live.url}/widget.js' defer></script></body></html>"
        )
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-TW")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs = []  # every alert() would land here
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def _ask_chat(page: Any, question: str) -> None:
    box = page.locator("#kz-question textarea")
    box.fill(question)
    box.press("Enter")


def test_chat_page_streams_an_answer_with_highlighted_sources(
    page: Any, site: LiveServer, artifacts: Path
) -> None:
    page.goto(site.url + "/")
    page.locator("#kz-question textarea").wait_for()
    assert page.title() == "科專助理"
    _ask_chat(page, "南臺灣創新園區在做什麼？")
    page.wait_for_selector(".kz-streaming")  # partial text shows before the sources
    page.wait_for_selector("details.kz-source")
    answer = page.locator(".kz-answer").last
    assert "[1]" in answer.inner_text()
    page.locator("a.kz-cite").first.click()
    source = page.locator("details.kz-source").first
    page.wait_for_function("() => document.querySelector('details.kz-source').open")
    mark = source.locator("mark")
    assert mark.is_visible() and "南臺灣創新園區" in mark.inner_text()
    assert source.locator(".kz-title").inner_text() == "經濟部科技研究發展專案（科技專案）推動概況"
    page.wait_for_timeout(1300)  # let the click highlight fade for a clean picture
    page.screenshot(path=str(artifacts / "chat-answer.png"))


def test_chat_page_shows_document_markup_as_text(page: Any, site: LiveServer, artifacts: Path) -> None:
    page.goto(site.url + "/")
    page.get_by_text(EVIL_QUESTION).click()  # an example question
    page.wait_for_selector("details.kz-source >> nth=1")
    page.locator("a.kz-cite", has_text="[2]").click()
    evil = page.locator("details.kz-source").nth(1)
    page.wait_for_function("() => document.querySelectorAll('details.kz-source')[1].open")
    text = evil.inner_text()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text
    assert "**粗體** [點我](javascript:alert(3))" in text
    assert "惡意<b>章節</b>**" in text  # the section title too
    assert evil.locator("mark").inner_text() == FakeAssistant.evil_quote
    assert page.locator("#kz-chat script, #kz-chat img, #kz-chat b").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []
    page.screenshot(path=str(artifacts / "chat-escaped.png"))


def test_chat_page_refusal_follow_up_feedback_and_clear(
    page: Any, site: LiveServer, browser_fake: FakeAssistant, settings: Settings, artifacts: Path
) -> None:
    page.goto(site.url + "/")
    _ask_chat(page, "2022年培育了幾組科專新創團隊？")
    page.wait_for_selector("details.kz-source")
    _ask_chat(page, "明天天氣如何？")
    refusal = page.locator(".kz-refusal")
    refusal.wait_for()
    assert browser_fake.refusal in refusal.inner_text()
    assert page.locator("details.kz-source").count() == 1  # the refusal added no sources
    assert browser_fake.calls[-1][2][0] == {"role": "user", "content": "2022年培育了幾組科專新創團隊？"}
    page.screenshot(path=str(artifacts / "chat-refusal.png"))

    feedback_file = settings.data_dir / "feedback.jsonl"
    before = len(feedback_file.read_text("utf-8").splitlines()) if feedback_file.exists() else 0
    page.get_by_role("button", name="讚", exact=True).first.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = feedback_file.read_text("utf-8").splitlines() if feedback_file.exists() else []
        if len(lines) > before:
            break
        time.sleep(0.1)
    vote = json.loads(lines[-1])
    assert vote["rating"] == "up" and vote["question"] == "2022年培育了幾組科專新創團隊？"
    assert vote["citations"][0]["quote"].startswith("2022年共培育52組")

    page.locator("#kz-clear").click()
    page.wait_for_function("() => document.querySelectorAll('.kz-answer, .kz-refusal').length === 0")
    page.get_by_text("南臺灣創新園區在做什麼？").wait_for()  # the examples are back


def _check_embed(frame: Any) -> None:
    """Ask the evil question and a refusal in an /embed page (or frame) and check the rendering."""
    frame.locator(".kz-example", has_text=EVIL_QUESTION).click()
    frame.locator("details.kz-source >> nth=1").wait_for()
    frame.locator("a.kz-cite", has_text="[2]").click()
    evil = frame.locator("details.kz-source").nth(1)
    assert evil.locator("mark").inner_text() == FakeAssistant.evil_quote
    assert "<script>alert(1)</script>" in evil.inner_text()
    assert frame.locator("#kz-log script, #kz-log img").count() == 0
    frame.locator("#kz-question").fill("明天天氣如何？")
    frame.locator("#kz-question").press("Enter")
    frame.locator(".kz-refusal").wait_for()


def test_embed_page(page: Any, site: LiveServer, artifacts: Path) -> None:
    page.set_viewport_size({"width": 420, "height": 640})
    page.goto(site.url + "/embed")
    _check_embed(page)
    page.wait_for_timeout(300)
    assert page.dialogs == []
    page.screenshot(path=str(artifacts / "embed.png"))


def test_embed_in_an_iframe_of_another_site(
    page: Any, site: LiveServer, host: HostPage, artifacts: Path
) -> None:
    page.goto(host.url + "/")
    _check_embed(page.frame_locator("#direct"))
    page.wait_for_timeout(300)
    assert page.dialogs == []
    page.screenshot(path=str(artifacts / "host-iframe.png"))


def test_widget_bubble_opens_the_chat(page: Any, site: LiveServer, host: HostPage, artifacts: Path) -> None:
    page.goto(host.url + "/")
    bubble = page.locator("#kezhuan-widget-bubble")
    bubble.click()
    frame = page.frame_locator("#kezhuan-widget-frame")
    frame.locator(".kz-example", has_text="南臺灣創新園區在做什麼？").click()
    frame.locator("details.kz-source").wait_for()
    assert "[1]" in frame.locator(".kz-answer").inner_text()
    page.screenshot(path=str(artifacts / "host-widget.png"))
    bubble.click()
    assert not page.locator("#kezhuan-widget-frame").is_visible()


def _row_sources(surface: Any) -> None:
    """The answer quoting three cells of one row: two sources, the row once with all three marked."""
    surface.locator("details.kz-source >> nth=1").wait_for()
    sources = surface.locator("details.kz-source")
    assert sources.count() == 2
    links = surface.locator(".kz-answer").last.locator("a.kz-cite")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["[1]", "[1]", "[1]", "[2]"]
    links.first.click()
    row = sources.first
    assert [row.locator("mark").nth(i).inner_text() for i in range(row.locator("mark").count())] == list(
        ROW_QUOTES
    )


def test_a_table_row_quoted_cell_by_cell_is_one_source_on_the_page_and_in_the_widget(
    page: Any, site: LiveServer
) -> None:
    page.goto(site.url + "/")
    page.locator("#kz-question textarea").wait_for()
    _ask_chat(page, "表格裡2021年的成果？")
    _row_sources(page)
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    page.goto(site.url + "/embed")
    page.locator("#kz-question").fill("表格裡2021年的成果？")
    page.locator("#kz-question").press("Enter")
    _row_sources(page)
