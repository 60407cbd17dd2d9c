"""The chat page and the widget as visitors use them, in real Chromium at desktop and phone size.

Each test names the point of issue 14 it checks. Screenshots of the page and the widget at
both sizes go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    CONTROL_LABELS_JS,
    FOCUS_RING_JS,
    LOW_CONTRAST_JS,
    PLACEHOLDER_LINES_JS,
    VIEWPORTS,
    contrast,
    english_words,
)
from conftest import CHROMIUM, CHROMIUM_ARGS, FakeAssistant, LiveServer

from core.settings import Settings
from ui.server import create_app

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="install playwright: pip install playwright")

OpenPage = Callable[..., Any]


@pytest.fixture(scope="module")
def site_fake() -> FakeAssistant:
    return FakeAssistant(max_question_chars=200, delay=0.05)


@pytest.fixture(scope="module")
def site(site_fake: FakeAssistant, settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(site_fake, settings, api_key="", cors_origins=[])) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def open_page(browser: Any, site: LiveServer) -> Iterator[OpenPage]:
    contexts: list[Any] = []

    def open_at(viewport: str, path: str = "/", locale: str = "en-US") -> Any:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], locale=locale, has_touch=viewport == "phone"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(site.url + path)
        return page

    yield open_at
    for context in contexts:
        context.close()


def ask(page: Any, question: str) -> None:
    box = page.locator("#kz-question textarea")
    box.fill(question)
    box.press("Enter")


def wait_answers(page: Any, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('#kz-chat .kz-answer:not(.kz-streaming), #kz-chat .kz-refusal')"
        f".length >= {count}"
    )


# --------------------------------------------------------------------------- 2. language


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_is_traditional_chinese_under_an_english_browser(open_page: OpenPage, viewport: str) -> None:
    page = open_page(viewport, locale="en-US")
    assert page.evaluate("navigator.language") == "zh-TW"  # what Gradio reads for its labels
    page.locator("#kz-question textarea").wait_for()
    seen = set(page.evaluate(CONTROL_LABELS_JS))
    ask(page, "南臺灣創新園區在做什麼？")
    wait_answers(page, 1)
    page.locator("#kz-chat .message-row").last.hover()
    seen |= set(page.evaluate(CONTROL_LABELS_JS))
    page.get_by_role("button", name="讚", exact=True).first.click()
    page.locator(".toast-body").first.wait_for()
    seen |= set(page.evaluate(CONTROL_LABELS_JS))
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    english = sorted(label for label in seen if english_words(label))
    assert english == [], f"labels in English at {viewport}: {english}"
    assert any("讚" in label for label in seen) and any("感謝您的回饋" in label for label in seen)


# --------------------------------------------------------------------------- 4. streaming


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_searching_state_then_sentences_stream_in(open_page: OpenPage, viewport: str) -> None:
    from bench.page import FIRST_SENTENCE_PROBE_JS

    page = open_page(viewport)
    page.locator("#kz-question textarea").wait_for()
    page.evaluate(FIRST_SENTENCE_PROBE_JS)
    page.evaluate(
        """() => { window.__kzStates = [];
        new MutationObserver(() => {
          const a = [...document.querySelectorAll('#kz-chat .kz-answer')].pop();
          if (a) window.__kzStates.push(a.textContent);
        }).observe(document.querySelector('#kz-chat'), {childList: true, subtree: true, characterData: true}); }"""
    )
    ask(page, "兩個計畫分別在做什麼？")
    wait_answers(page, 1)
    timing = page.evaluate("window.__kzTiming")
    assert timing["searching"] is not None and timing["searching"] <= timing["sentence"]
    states = page.evaluate("window.__kzStates")
    assert "正在搜尋文件…" in states[0]
    assert any(s.endswith("[1]。") for s in states), "the first sentence alone should be visible"
    assert states[-1].endswith("[2]。")
    assert page.locator("text=processing").count() == 0


# --------------------------------------------------------------------------- 1. scrolling

#: Whether the top of the newest answer is on screen: inside the chat's scroll box and the window.
NEWEST_ANSWER_VISIBLE_JS = """
() => {
  const answers = document.querySelectorAll('#kz-chat .kz-answer, #kz-chat .kz-refusal');
  const answer = answers[answers.length - 1].getBoundingClientRect();
  const log = document.querySelector('#kz-chat [role=log]').getBoundingClientRect();
  const top = Math.max(log.top, 0), bottom = Math.min(log.bottom, window.innerHeight);
  return {answer_top: answer.top, answer_bottom: answer.bottom, top, bottom,
          visible: answer.top >= top - 1 && answer.top < bottom - 20};
}
"""


def _wait_until_scrolling_stops(page: Any, quiet_ms: int = 800, limit_ms: int = 6000) -> None:
    """Wait until the chat log and the window have not moved for ``quiet_ms`` (at most ``limit_ms``).

    A fixed pause was flaky on a busy 2-core machine: the smooth scroll was still under way.
    """
    position = "() => [window.scrollY, document.querySelector('#kz-chat [role=log]').scrollTop]"
    last, still_since, start = page.evaluate(position), time.monotonic(), time.monotonic()
    while time.monotonic() - start < limit_ms / 1000:
        page.wait_for_timeout(100)
        now = page.evaluate(position)
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet_ms / 1000:
            return


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_next_answer_scrolls_into_view_after_opening_a_citation(
    open_page: OpenPage, viewport: str, artifacts: Path
) -> None:
    page = open_page(viewport)
    questions = [
        "成果歸屬及運用辦法的新創專章有哪些誘因？",
        "南臺灣創新園區在做什麼？",
        "兩個計畫分別在做什麼？",
    ]
    for n, question in enumerate(questions, 1):
        ask(page, question)
        wait_answers(page, n)
    cite = page.locator("#kz-chat a.kz-cite").first  # a source of the first answer, scrolled up to
    cite.scroll_into_view_if_needed()
    if viewport == "phone":
        cite.tap()
    else:
        cite.click()
    page.wait_for_function("() => document.querySelector('#kz-chat details.kz-source').open")
    page.wait_for_timeout(600)  # the smooth scroll to the source
    ask(page, "2022年培育了幾組科專新創團隊？")
    wait_answers(page, 4)
    _wait_until_scrolling_stops(page)
    where = page.evaluate(NEWEST_ANSWER_VISIBLE_JS)
    page.screenshot(path=str(artifacts / f"scroll-after-citation-{viewport}.png"))
    assert where["visible"], f"the new answer is off screen at {viewport}: {where}"


# --------------------------------------------------------------------------- 3. contrast, focus

MIN_TEXT_CONTRAST = 4.5


def _show_everything_on_the_chat_page(page: Any) -> None:
    ask(page, "南臺灣創新園區在做什麼？")
    wait_answers(page, 1)
    page.locator("#kz-chat a.kz-cite").first.click()
    page.wait_for_function("() => document.querySelector('#kz-chat details.kz-source').open")
    ask(page, "明天天氣如何？")
    wait_answers(page, 2)
    page.wait_for_timeout(1300)  # the citation flash fades


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_chat_page_text_contrast_meets_wcag_aa(open_page: OpenPage, viewport: str) -> None:
    page = open_page(viewport)
    page.locator("#kz-question textarea").wait_for()
    low = page.evaluate(LOW_CONTRAST_JS, MIN_TEXT_CONTRAST)  # the empty page, placeholder shown
    _show_everything_on_the_chat_page(page)
    low += page.evaluate(LOW_CONTRAST_JS, MIN_TEXT_CONTRAST)
    assert low == [], f"text below {MIN_TEXT_CONTRAST}:1 at {viewport}: {low}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_text_contrast_meets_wcag_aa(open_page: OpenPage, viewport: str) -> None:
    page = open_page(viewport, path="/embed")
    low = page.evaluate(LOW_CONTRAST_JS, MIN_TEXT_CONTRAST)
    page.locator(".kz-example", has_text="南臺灣創新園區在做什麼？").click()
    page.locator("details.kz-source").wait_for()
    page.locator("a.kz-cite").first.click()
    page.wait_for_timeout(1300)
    low += page.evaluate(LOW_CONTRAST_JS, MIN_TEXT_CONTRAST)
    assert low == [], f"text below {MIN_TEXT_CONTRAST}:1 at {viewport}: {low}"


@pytest.mark.parametrize(("path", "selector"), [("/", "#kz-question textarea"), ("/embed", "#kz-question")])
def test_question_box_shows_a_visible_focus_ring(open_page: OpenPage, path: str, selector: str) -> None:
    page = open_page("desktop", path=path)
    page.locator(selector).wait_for()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    before = page.evaluate(FOCUS_RING_JS, selector)
    page.locator(selector).focus()
    after = page.evaluate(FOCUS_RING_JS, selector)
    assert after["focused"] and not before["focused"]
    assert after["outlineStyle"] not in ("none", "") and after["outlineWidth"] >= 2, after
    assert (after["outlineStyle"], after["outlineColor"]) != (before["outlineStyle"], before["outlineColor"])
    assert contrast(after["outlineColor"], "rgb(255, 255, 255)") >= 3, after


# --------------------------------------------------------------------------- 8. phone input row


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("path", "selector"), [("/", "#kz-question textarea"), ("/embed", "#kz-question")])
def test_question_box_placeholder_fits_on_one_line(
    open_page: OpenPage, viewport: str, path: str, selector: str
) -> None:
    page = open_page(viewport, path=path)
    page.locator(selector).wait_for()
    page.wait_for_timeout(300)
    box = page.evaluate(PLACEHOLDER_LINES_JS, selector)
    assert box["lines"] == 1, box
    assert box["width"] >= 0.6 * min(box["viewport"], 420), f"the question box is cramped: {box}"


# --------------------------------------------------------------------------- 5. long questions


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_too_long_question_stays_in_the_box_with_a_counter(
    open_page: OpenPage, viewport: str, settings: Settings
) -> None:
    limit = settings.max_question_chars
    page = open_page(viewport)
    box = page.locator("#kz-question textarea")
    box.fill("南臺灣創新園區在做什麼？")
    page.wait_for_function("() => document.querySelector('#kz-counter').textContent.includes('12 /')")
    assert page.locator("#kz-counter").inner_text() == f"12 / {limit} 字"
    long_question = "南" * (limit + 50)
    box.fill(long_question)
    box.press("Enter")
    toast = page.locator(".toast-body").first
    toast.wait_for()
    counter = page.locator("#kz-counter")
    assert f"{limit + 50} 字，上限 {limit} 字" in counter.inner_text()
    assert "KEZHUAN" not in toast.inner_text() and "問題太長" in toast.inner_text()
    assert box.input_value() == long_question  # nothing is lost
    assert page.locator("#kz-chat .message-row.user-row").count() == 0


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_keeps_a_too_long_question_and_says_why(
    open_page: OpenPage, viewport: str, settings: Settings
) -> None:
    limit = settings.max_question_chars
    page = open_page(viewport, path="/embed")
    box = page.locator("#kz-question")
    box.fill("南" * (limit + 50))
    box.press("Enter")
    counter = page.locator("#kz-counter")
    assert counter.get_attribute("role") == "alert"
    assert f"問題太長（{limit + 50} 字，上限 {limit} 字）" in counter.inner_text()
    assert box.input_value() == "南" * (limit + 50)
    assert page.locator(".kz-user").count() == 0  # no huge bubble, nothing sent
    box.fill("南臺灣創新園區在做什麼？")
    assert counter.inner_text() == f"12 / {limit} 字"
    box.press("Enter")
    page.locator("details.kz-source").wait_for()
    assert box.input_value() == ""


# --------------------------------------------------------------------------- 6. feedback


def _feedback_lines(settings: Settings, after: int, count: int) -> list[dict[str, Any]]:
    path = settings.data_dir / "feedback.jsonl"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        if len(lines) >= after + count:
            break
        time.sleep(0.1)
    return [json.loads(line) for line in lines[after:]]


def _feedback_count(settings: Settings) -> int:
    path = settings.data_dir / "feedback.jsonl"
    return len(path.read_text("utf-8").splitlines()) if path.exists() else 0


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_page_votes_change_withdraw_and_a_reason_after_thumbs_down(
    open_page: OpenPage, viewport: str, settings: Settings
) -> None:
    page = open_page(viewport)
    ask(page, "南臺灣創新園區在做什麼？")
    wait_answers(page, 1)
    before = _feedback_count(settings)
    like = page.get_by_role("button", name="讚", exact=True).first
    like.click()
    _feedback_lines(settings, before, 1)
    page.locator("#kz-chat button[aria-label='已標示有幫助']").first.click()  # again: withdraw
    _feedback_lines(settings, before, 2)
    # The thumbs are drawn again after a vote; a click on the old ones could be lost.
    page.locator("#kz-chat button[aria-label='已標示有幫助']").first.wait_for(state="detached")
    page.get_by_role("button", name="不讚", exact=True).first.click()
    reason = page.locator("#kz-reason-text textarea")
    reason.wait_for()
    assert page.locator("#kz-reason label, #kz-reason span").first.inner_text().startswith("這個回答哪裡不好")
    low = page.evaluate(LOW_CONTRAST_JS, MIN_TEXT_CONTRAST)
    assert low == [], low
    reason.fill("引用的段落不對")
    page.locator("#kz-reason-send").click()
    records = _feedback_lines(settings, before, 4)
    assert [(r["event"], r.get("rating")) for r in records] == [
        ("vote", "up"),
        ("withdraw", None),
        ("vote", "down"),
        ("reason", None),
    ]
    assert len({r["reply_id"] for r in records}) == 1 and records[0]["reply_id"].startswith("web-")
    assert records[-1]["reason"] == "引用的段落不對" and records[-1]["question"] == "南臺灣創新園區在做什麼？"
    reason.wait_for(state="hidden")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_votes_use_svg_icons_and_ask_for_a_reason(
    open_page: OpenPage, viewport: str, settings: Settings
) -> None:
    page = open_page(viewport, path="/embed")
    page.locator(".kz-example", has_text="南臺灣創新園區在做什麼？").click()
    page.locator("details.kz-source").wait_for()
    up = page.get_by_role("button", name="有幫助")
    down = page.get_by_role("button", name="沒幫助")
    for button in (up, down):
        assert button.locator("svg.kz-icon path").count() == 1
        assert not re.search("[\U0001f300-\U0001faff]", button.inner_text())  # no emoji
    before = _feedback_count(settings)
    up.click()
    page.wait_for_function(
        "() => document.querySelector('.kz-rate button').getAttribute('aria-pressed') === 'true'"
    )
    down.click()
    page.locator(".kz-reason textarea").fill("太簡略")
    page.locator(".kz-reason-send").click()
    page.locator(".kz-thanks").wait_for()
    down.click()  # pressed again: withdrawn
    records = _feedback_lines(settings, before, 4)
    assert [(r["event"], r.get("rating")) for r in records] == [
        ("vote", "up"),
        ("change", "down"),
        ("reason", None),
        ("withdraw", None),
    ]
    assert len({r["reply_id"] for r in records}) == 1 and records[0]["reply_id"].startswith("reply-")
    assert records[0]["surface"] == "widget"


# --------------------------------------------------------------------------- 7. widget bubble


@pytest.fixture(scope="module")
def host(site: LiveServer) -> Iterator[Any]:
    from conftest import free_port
    from test_browser import HostPage

    with HostPage(free_port()) as page:
        page.html = (
            "<!doctype html><html lang='zh-Hant'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Host</title></head>"
            f"<body><h1>協會網站</h1><script src='{site.url}/widget.js' defer></script></body></html>"
        )
        yield page


def _bubble_state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const b = document.querySelector('#kezhuan-widget-bubble');
        const f = document.querySelector('#kezhuan-widget-frame');
        return {label: b.getAttribute('aria-label'), title: b.title, expanded: b.getAttribute('aria-expanded'),
                svg: b.querySelectorAll('svg path').length, text: b.textContent.trim(),
                frame: !!f && getComputedStyle(f).display !== 'none', focused: document.activeElement === b}; }"""
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_escape_closes_and_labels_follow_state(
    browser: Any, host: Any, viewport: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-US", has_touch=viewport == "phone")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(host.url + "/")
        bubble = page.locator("#kezhuan-widget-bubble")
        bubble.wait_for()
        closed = _bubble_state(page)
        assert closed["label"] == closed["title"] == "開啟科專助理" and closed["expanded"] == "false"
        assert closed["svg"] == 1 and closed["text"] == "" and not closed["frame"]
        bubble.click()
        opened = _bubble_state(page)
        assert opened["label"] == opened["title"] == "關閉科專助理" and opened["expanded"] == "true"
        assert opened["svg"] == 1 and opened["text"] == "" and opened["frame"]  # an SVG ✕, not a glyph
        page.keyboard.press("Escape")  # focus on the host page
        after = _bubble_state(page)
        assert not after["frame"] and after["label"] == "開啟科專助理" and after["focused"]
        bubble.click()
        frame = page.frame_locator("#kezhuan-widget-frame")
        frame.locator(".kz-example", has_text="南臺灣創新園區在做什麼？").click()
        frame.locator("details.kz-source").wait_for()
        page.screenshot(path=str(artifacts / f"widget-{viewport}.png"))
        frame.locator("#kz-question").press("Escape")  # focus inside the chat frame
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('#kezhuan-widget-frame')).display === 'none'"
        )
        assert _bubble_state(page)["label"] == "開啟科專助理"
    finally:
        context.close()
