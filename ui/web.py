"""The Gradio chat page: 科專助理.

Answers stream in (a language model's draft as it is written, when one is configured,
replaced by the checked answer when it is done); each finished answer shows its numbered sources (document title,
section and the passage with the quoted sentences in ``<mark>``). Clicking a marker
``[n]`` opens source ``n`` and scrolls to it. Follow-up questions carry the conversation
history; thumbs up/down go to the :class:`~ui.feedback.FeedbackStore`.

All text is escaped by :mod:`ui.render`, and the Chatbot renders messages as HTML
without markdown, so documents and questions are shown as plain text.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.reply import Reply
from assistant.validate import validate_question
from core.errors import BadQuestionError, KezhuanError
from core.settings import Settings
from ui.feedback import FeedbackStore
from ui.history import recent_history
from ui.protocol import ChatAssistant
from ui.render import (
    escape_text,
    render_pending,
    render_question,
    render_reply,
    render_searching,
    split_sentences,
)

logger = logging.getLogger(__name__)

TITLE = "科專助理"
SUBTITLE = (
    "經濟部科技專案問答，例如計畫的開始年份、補助內容或成果。"
    "每個回答都附上出處原文，點選 [1] 等標號即可查看引用段落。"
)
EXAMPLES: tuple[str, ...] = (
    "A+企業創新研發淬鍊計畫是什麼時候開始的？",
    "成果歸屬及運用辦法的新創專章有哪些誘因？",
    "南臺灣創新園區在做什麼？",
    "2022年培育了幾組科專新創團隊？",
)
#: Short enough for one line on a phone (390 px); the subtitle says what can be asked.
PLACEHOLDER = "請輸入您的問題"
#: What a visitor sees when the index or the model cannot be used; the details go to the log.
UNAVAILABLE_NOTICE = "系統暫時無法回答，管理員已收到通知，請稍後再試。"
ERROR_MESSAGE = "系統暫時無法回答，請稍後再試。"
#: Titles of Gradio's toasts (its defaults are the English "Warning" and "Info").
WARNING_TITLE = "提醒"
INFO_TITLE = "訊息"
ERROR_TITLE = "錯誤"

#: The page's language (BCP 47): Traditional Chinese, whatever the visitor's browser prefers.
PAGE_LANG = "zh-Hant"
#: Gradio's own locale name for the labels it draws (its bundled 繁體中文 translation).
GRADIO_LOCALE = "zh-TW"
#: Labels Gradio's zh-TW translation lacks (it falls back to English for these keys).
GRADIO_TRANSLATIONS: dict[str, Any] = {
    "chatbot": {
        "copy_message": "複製訊息",
        "copied_message": "已複製訊息",
        "complete": "完成",
    },
    "common": {"logo": "標誌", "progress": "進度", "run": "執行", "runs": "執行紀錄", "settings": "設定"},
    "errors": {"use_via_api": "透過 API 使用", "use_via_api_or_mcp": "透過 API 或 MCP 使用"},
    "chat_interface": {"conversation": "對話", "chatbot": "聊天機器人", "new_chat": "新對話"},
}
#: Labels Gradio writes in English without a translation key: attribute or text -> Chinese.
UNTRANSLATED_LABELS: dict[str, str] = {
    "Liked": "已標示有幫助",
    "Disliked": "已標示沒幫助",
    "Gradio footer navigation": "頁尾連結",
    "logo": "標誌",
    "Copy message": "複製訊息",
    "Copied message": "已複製訊息",
    "chatbot conversation": "對話紀錄",
    "Close": "關閉",
}
#: Labels Gradio builds as an English prefix plus the message's raw HTML: prefix -> Chinese.
UNTRANSLATED_PREFIXES: dict[str, str] = {"user's message: ": "您的問題", "bot's message: ": "科專助理的回答"}
#: Label prefixes Gradio writes in English before Chinese text it keeps: prefix -> Chinese prefix.
RENAMED_PREFIXES: dict[str, str] = {"Select example ": "範例 "}
#: The headings of Gradio's toasts (it writes the message type, capitalised): English -> Chinese.
TOAST_HEADINGS: dict[str, str] = {"Info": "訊息", "Warning": "提醒", "Error": "錯誤", "Success": "完成"}

#: Styles for the markup built in :mod:`ui.render`.
CSS = """
.kz-text { white-space: pre-wrap; }
.kz-answer { line-height: 1.7; }
.kz-cite { text-decoration: none; font-weight: 600; padding: 0 1px; cursor: pointer; }
.kz-cite:hover { text-decoration: underline; }
.kz-sources { margin-top: 0.6em; border-top: 1px solid var(--border-color-primary); padding-top: 0.4em; }
.kz-sources-label { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.2em; }
.kz-source { margin: 0.3em 0; border-radius: 6px; padding: 0.2em 0.5em;
  background: var(--background-fill-secondary); transition: box-shadow 0.3s; }
.kz-source > summary { cursor: pointer; }
.kz-source .kz-section { opacity: 0.8; }
.kz-source .kz-preview { display: block; font-size: 0.85em; opacity: 0.7; margin-left: 1.4em; }
.kz-source[open] .kz-preview { display: none; }
.kz-passage { margin: 0.4em 0; padding-left: 0.8em; border-left: 3px solid var(--color-accent); }
.kz-passage mark { background: #ffe58f; color: #1f1f1f; padding: 0 1px; border-radius: 2px; }
.kz-file { font-size: 0.8em; color: #4b5563; }
.kz-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.kz-searching { color: #4b5563; }
#kz-counter { font-size: 0.8em; color: #4b5563; text-align: right; padding: 0 0.6em 0.2em; min-height: 1.2em; }
#kz-counter.kz-over { color: #b91c1c; font-weight: 600; }
/* Phones: the question box takes the whole row; the chat's own 清空對話 button clears. */
@media (max-width: 640px) { #kz-clear { display: none; } }
/* WCAG AA: placeholder and footer text at 4.5:1 or more (Gradio's grey is 1.9:1), and a
   visible focus ring on the question box (Gradio draws none). */
#kz-question textarea::placeholder, #kz-reason textarea::placeholder { color: #6b7280; opacity: 1; }
button.primary, #kz-reason-send { background: #c2410c !important; border-color: #c2410c !important; color: #fff !important; }
.toast-close { opacity: 1 !important; color: #374151 !important; }
footer, footer button, footer a, footer .divider { color: #4b5563 !important; }
#kz-question textarea:focus, #kz-question textarea:focus-visible {
  outline: 2px solid #c2410c !important; outline-offset: 2px !important; }
#kz-question button:focus-visible, #kz-clear:focus-visible, .kz-cite:focus-visible,
.kz-source > summary:focus-visible { outline: 2px solid #c2410c; outline-offset: 2px; }
.kz-spinner { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em;
  border: 2px solid #9ca3af; border-top-color: #c2410c; border-radius: 50%; animation: kz-spin 0.8s linear infinite; }
@keyframes kz-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .kz-spinner { animation: none; } }
.kz-notice { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.4em; }
.kz-refusal { padding: 0.5em 0.7em; border-radius: 6px; background: var(--background-fill-secondary);
  border-left: 4px solid #8ca0b3; }
"""

#: Clicking ``[n]`` opens source ``n`` (a ``<details>``) and scrolls to it. Plain ``#id``
#: links would scroll but leave the passage folded.
#:
#: A new question brings the chat back to the conversation's end: Gradio's autoscroll stops
#: for good once the visitor has scrolled up (as opening an earlier source does), and the next
#: answer then arrived off screen. From the moment a new question appears until its answer is
#: complete, the question is kept at the top of the chat box, so the answer's start is in
#: view; scrolling by hand (wheel, touch, keys) ends this at once.
HEAD = """
<script>
window.kzMaxQuestionChars = {max_question_chars};
(function () {
  var asked = 0, following = false;
  function scroller(node) {
    for (var el = node.parentElement; el; el = el.parentElement) {
      var style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) { return el; }
    }
    return null;
  }
  function follow() {
    var chat = document.getElementById("kz-chat");
    if (!chat) { return; }
    var rows = chat.querySelectorAll(".message-row.user-row");
    if (rows.length > asked) { following = true; }
    asked = rows.length;
    if (!following || !rows.length) { return; }
    var row = rows[rows.length - 1], box = scroller(row);
    if (box) { box.scrollTop += row.getBoundingClientRect().top - box.getBoundingClientRect().top - 8; }
    var busy = chat.querySelector(".kz-streaming");
    var answers = chat.querySelectorAll(".kz-answer, .kz-refusal");
    if (!busy && answers.length >= rows.length) { following = false; }
  }
  function stop() { following = false; }
  ["wheel", "touchmove", "keydown"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (name !== "keydown" || /^(PageUp|PageDown|ArrowUp|ArrowDown|Home|End)$/.test(event.key)) {
        if (!(event.target && event.target.closest && event.target.closest("#kz-question"))) { stop(); }
      }
    }, {capture: true, passive: true});
  });
  new MutationObserver(function () { follow(); count(); }).observe(
    document.documentElement, {childList: true, subtree: true});

  // The character counter under the question box: length against the server's limit; past it,
  // a message in Chinese (the server refuses such a question and keeps it in the box).
  function count() {
    var field = document.getElementById("kz-question");
    var box = field && field.querySelector("textarea");
    if (!box) { return; }
    var counter = document.getElementById("kz-counter");
    if (!counter) {
      counter = document.createElement("div");
      counter.id = "kz-counter";
      counter.setAttribute("aria-live", "polite");
      field.appendChild(counter);
      box.setAttribute("aria-describedby", "kz-counter");
      box.addEventListener("input", count);
    }
    var length = box.value.trim().length, max = window.kzMaxQuestionChars;
    var over = length > max;
    var text = over ? "問題太長（" + length + " 字，上限 " + max + " 字），請縮短後再送出。"
      : (length ? length + " / " + max + " 字" : "");
    if (counter.textContent !== text) { counter.textContent = text; }
    counter.className = over ? "kz-over" : "";
    box.setAttribute("aria-invalid", over ? "true" : "false");
  }
})();
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.kz-cite") : null;
  if (!link) { return; }
  var target = document.getElementById((link.getAttribute("href") || "").slice(1));
  if (!target) { return; }
  event.preventDefault();
  target.open = true;
  target.scrollIntoView({behavior: "smooth", block: "nearest"});
  target.classList.add("kz-flash");
  setTimeout(function () { target.classList.remove("kz-flash"); }, 1200);
}, true);
</script>
"""


def page_head(max_question_chars: int) -> str:
    """The page's extra ``<head>``: :data:`HEAD` with the question limit for the counter."""
    return HEAD.replace("{max_question_chars}", str(int(max_question_chars)))


#: Runs first in the page's ``<head>``, before Gradio's scripts. Gradio picks its label
#: language from ``navigator.language`` alone (its i18n guide: "based on the user's browser
#: locale"; the language menu of its settings panel changes it only for the open page), so
#: the page pins that to Traditional Chinese, keeps ``<html lang>`` at zh-Hant (Gradio sets
#: it to its locale name), and relabels the few controls Gradio names in English without a
#: translation key.
LANGUAGE_SCRIPT = (
    "<script>(function () {"
    f"var locale = {json.dumps(GRADIO_LOCALE)}, lang = {json.dumps(PAGE_LANG)};"
    f"var labels = {json.dumps(UNTRANSLATED_LABELS, ensure_ascii=False)};"
    f"var prefixes = {json.dumps(UNTRANSLATED_PREFIXES, ensure_ascii=False)};"
    f"var renamed = {json.dumps(RENAMED_PREFIXES, ensure_ascii=False)};"
    f"var headings = {json.dumps(TOAST_HEADINGS, ensure_ascii=False)};"
    "function heading(text) {"
    "  var parent = text.parentElement;"
    "  var key = (text.nodeValue || '').trim();"
    "  if (parent && parent.closest('.toast-title') && headings[key]) { text.nodeValue = headings[key] + ' '; }"
    "}"
    "function chinese(value) {"
    "  if (labels[value]) { return labels[value]; }"
    "  for (var p in prefixes) { if (value.indexOf(p) === 0) { return prefixes[p]; } }"
    "  for (var q in renamed) { if (value.indexOf(q) === 0) { return renamed[q] + value.slice(q.length); } }"
    "  return null;"
    "}"
    "try {"
    "Object.defineProperty(Navigator.prototype, 'language', {get: function () { return locale; }, configurable: true});"
    "Object.defineProperty(Navigator.prototype, 'languages', {get: function () { return [locale, lang, 'zh']; }, configurable: true});"
    "} catch (e) {}"
    "var root = document.documentElement;"
    "function relabel(node) {"
    "  if (node.nodeType === 3) { heading(node); return; }"
    "  if (!node.querySelectorAll) { return; }"
    "  Array.prototype.forEach.call(node.querySelectorAll('.toast-title'), function (t) {"
    "    Array.prototype.forEach.call(t.childNodes, function (c) { if (c.nodeType === 3) { heading(c); } });"
    "  });"
    "  [node].concat(Array.prototype.slice.call(node.querySelectorAll('[aria-label],[title],[alt]'))).forEach(function (el) {"
    "    ['aria-label', 'title', 'alt'].forEach(function (name) {"
    "      var value = el.getAttribute && el.getAttribute(name);"
    "      var label = value && chinese(value);"
    "      if (label) { el.setAttribute(name, label); }"
    "    });"
    "  });"
    "}"
    "new MutationObserver(function (records) {"
    "  if (root.lang !== lang) { root.lang = lang; }"
    "  records.forEach(function (r) {"
    "    if (r.type === 'attributes' || r.type === 'characterData') { relabel(r.target); }"
    "    Array.prototype.forEach.call(r.addedNodes || [], relabel);"
    "  });"
    "}).observe(root, {attributes: true, childList: true, subtree: true, characterData: true,"
    " attributeFilter: ['lang', 'aria-label', 'title', 'alt']});"
    "root.lang = lang;"
    "})();</script>"
)


class PageLanguage:
    """ASGI middleware: the chat page's HTML says ``lang="zh-Hant"`` and pins Gradio's locale.

    Gradio serves its page template with ``<html lang="en">`` and then follows the browser's
    language; this rewrites the template's ``lang`` and puts :data:`LANGUAGE_SCRIPT` first in
    its ``<head>``. Only HTML answers to ``GET`` requests under ``path`` are touched.

    Args:
        app: The wrapped ASGI app.
        path: Where the chat page is mounted.
    """

    def __init__(self, app: ASGIApp, path: str = "/") -> None:
        self.app = app
        self.path = path.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or scope.get("method") != "GET" or path.rstrip("/") + "/" != self.path:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            content_type = dict(headers).get(b"content-type", b"")
            data = bytes(body)
            if content_type.startswith(b"text/html"):
                data = localize_page(data.decode("utf-8")).encode("utf-8")
            headers.append((b"content-length", str(len(data)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": data, "more_body": False})

        await self.app(scope, receive, buffered)


def localize_page(html_text: str) -> str:
    """Gradio's page template with ``lang="zh-Hant"`` and :data:`LANGUAGE_SCRIPT` first in ``<head>``."""
    html_text = re.sub(r'(<html\b[^>]*?\blang=)"[^"]*"', rf'\1"{PAGE_LANG}"', html_text, count=1)
    return re.sub(r"<head>", lambda m: m.group(0) + LANGUAGE_SCRIPT, html_text, count=1)


#: One finished exchange, kept in the session state (JSON-able).
Turn = dict[str, Any]


def _messages(turns: list[Turn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": render_question(turn["question"])})
        messages.append({"role": "assistant", "content": turn["html"]})
    return messages


def _turn(question: str, reply: Reply, reply_id: str) -> Turn:
    data = reply.to_dict()
    return {
        "id": reply_id,
        "question": question,
        "answer": reply.answer,
        "refused": reply.refused,
        "citations": data["citations"],
        "html": _notice_html(reply) + render_reply(reply, reply_id),
    }


def _notice_html(reply: Reply) -> str:
    """The reply's notice (e.g. the language model failed and the extractive answer stands in)."""
    notice = getattr(reply, "notice", "")
    return f'<div class="kz-notice kz-text" role="status">{escape_text(notice)}</div>' if notice else ""


class ChatPage:
    """The event handlers of the chat page, bound to one assistant.

    Args:
        assistant: Answers the questions.
        settings: Supplies ``max_question_chars`` and ``max_history_turns``.
        feedback: Where thumbs up/down are stored.
    """

    def __init__(self, assistant: ChatAssistant, settings: Settings, feedback: FeedbackStore) -> None:
        self.assistant = assistant
        self.settings = settings
        self.feedback = feedback

    def respond(
        self, question: str, turns: list[Turn] | None
    ) -> Iterator[tuple[list[dict[str, str]], list[Turn], str]]:
        """Stream the answer to ``question``; yields (chat messages, turns, textbox value)."""
        turns = list(turns or [])
        try:
            question = validate_question(question or "", self.settings.max_question_chars)
        except BadQuestionError as e:
            gr.Warning(str(e), title=WARNING_TITLE)
            yield _messages(turns), turns, question or ""
            return
        history = recent_history([(t["question"], t["answer"]) for t in turns], self.settings)
        shown = _messages(turns) + [{"role": "user", "content": render_question(question)}]
        partial = ""
        reply: Reply | None = None
        reply_id = self.feedback.new_reply_id("web")
        try:
            yield shown + [{"role": "assistant", "content": render_searching()}], turns, ""
            for event in self.assistant.stream(question, history):
                if isinstance(event, Reply):
                    reply = event
                    break
                partial += event
                yield shown + [{"role": "assistant", "content": render_pending(partial)}], turns, ""
        except BadQuestionError as e:
            gr.Warning(str(e), title=WARNING_TITLE)
            yield _messages(turns), turns, question
            return
        except KezhuanError as e:
            # The message is for the operator (paths, commands to run); visitors get a notice.
            logger.error("Chat page could not answer (%s): %s", type(e).__name__, e)
            gr.Warning(UNAVAILABLE_NOTICE, title=WARNING_TITLE)
            yield _messages(turns), turns, question
            return
        except Exception:
            logger.exception("Chat page failed to answer %r", question)
            raise gr.Error(ERROR_MESSAGE, title=ERROR_TITLE) from None
        if reply is None:
            logger.error("assistant.stream ended without a final Reply for %r", question)
            raise gr.Error(ERROR_MESSAGE, title=ERROR_TITLE)
        # The checked answer arrives whole (extractive answers always do): it is shown
        # sentence by sentence, each with the sources its markers name.
        notice = _notice_html(reply)
        count = len(split_sentences(reply.answer))
        for upto in range(1, count if not reply.refused else 1):
            bubble = notice + render_reply(reply, reply_id, sentences=upto)
            yield shown + [{"role": "assistant", "content": bubble}], turns, ""
            time.sleep(self.settings.sentence_pace_seconds)
        turns = turns + [_turn(question, reply, reply_id)]
        yield _messages(turns), turns, ""

    def pick_example(self, event: gr.SelectData) -> str:
        """Put the clicked example question into the textbox."""
        value = event.value
        if isinstance(value, dict):
            return str(value.get("text", ""))
        return str(value or "")

    def rate(self, turns: list[Turn] | None, event: gr.LikeData) -> tuple[Any, str, str]:
        """Record a thumbs up/down, a changed vote or a withdrawal on the answer at ``event.index``.

        Returns:
            Updates for the reason box (shown after a thumbs down), its text, and the id of
            the answer it is about.
        """
        hide = (gr.update(visible=False), "", "")
        turns = turns or []
        index = event.index[0] if isinstance(event.index, (tuple, list)) else event.index
        liked: Any = event.liked
        ratings: dict[Any, str | None] = {
            True: "up",
            False: "down",
            "Like": "up",
            "Dislike": "down",
            None: None,
            "": None,
        }
        if liked not in ratings or not isinstance(index, int) or index // 2 >= len(turns):
            logger.info("Ignoring feedback %r on message %r", liked, event.index)
            return hide
        rating = ratings[liked]
        turn = turns[index // 2]
        try:
            self.feedback.record(
                question=turn["question"],
                answer=turn["answer"],
                citations=turn["citations"],
                rating=rating,
                surface="web",
                refused=turn["refused"],
                reply_id=turn.get("id", ""),
            )
        except KezhuanError as e:
            logger.error("%s", e)
            gr.Warning("回饋未能儲存，請稍後再試。", title=WARNING_TITLE)
            return hide
        if rating == "down":
            return gr.update(visible=True), "", turn.get("id", "")
        gr.Info("已撤回評分。" if rating is None else "感謝您的回饋！", title=INFO_TITLE)
        return hide

    def save_reason(self, reason: str, reply_id: str, turns: list[Turn] | None) -> tuple[Any, str, str]:
        """Store what the visitor wrote after a thumbs down, against the answer's id."""
        turn = next((t for t in turns or [] if t.get("id") == reply_id), None)
        if not reason.strip() or turn is None:
            return gr.update(visible=False), "", ""
        try:
            self.feedback.record_reason(reply_id=reply_id, reason=reason, question=turn["question"])
        except KezhuanError as e:
            logger.error("%s", e)
            gr.Warning("意見未能儲存，請稍後再試。", title=WARNING_TITLE)
            return gr.update(visible=True), reason, reply_id
        gr.Info("感謝您的意見，我們會據以改進文件與回答。", title=INFO_TITLE)
        return gr.update(visible=False), "", ""

    @staticmethod
    def clear() -> tuple[list[dict[str, str]], list[Turn], str]:
        """Forget the conversation."""
        return [], [], ""


def build_chat(assistant: ChatAssistant, settings: Settings, feedback: FeedbackStore) -> gr.Blocks:
    """The chat page as a Gradio Blocks app (not yet mounted).

    The public API endpoint ``/chat`` takes a question and returns the chat messages,
    so ``gradio_client`` can use the page like a browser does.
    """
    page = ChatPage(assistant, settings, feedback)
    with gr.Blocks(title=TITLE, fill_height=True) as demo:
        gr.HTML(f'<div class="kz-header"><h1 style="margin-bottom:0.2em">{TITLE}</h1><p>{SUBTITLE}</p></div>')
        turns = gr.State([])
        chatbot = gr.Chatbot(
            label=TITLE,
            show_label=False,
            elem_id="kz-chat",
            render_markdown=False,
            sanitize_html=True,
            feedback_options=("Like", "Dislike"),
            placeholder=f"<b>{TITLE}</b><br>請選擇下方範例問題，或直接輸入您的問題。",
            examples=[{"text": q} for q in EXAMPLES],
            buttons=["copy"],
            height="65vh",
            autoscroll=True,
        )
        with gr.Row():
            textbox = gr.Textbox(
                placeholder=PLACEHOLDER,
                label="問題",
                show_label=False,
                lines=1,
                max_lines=6,
                submit_btn="送出",
                scale=8,
                elem_id="kz-question",
                autofocus=True,
            )
            clear = gr.Button("清除對話", variant="secondary", scale=1, min_width=90, elem_id="kz-clear")
        outputs = [chatbot, turns, textbox]
        textbox.submit(
            page.respond,
            [textbox, turns],
            outputs,
            api_name="chat",
            api_description="Ask 科專助理 a question; returns the chat messages (HTML).",
            show_progress="hidden",
            concurrency_limit=settings.answer_slots,
        )
        chatbot.example_select(page.pick_example, None, textbox, api_visibility="private").then(
            page.respond,
            [textbox, turns],
            outputs,
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=settings.answer_slots,
        )
        with gr.Group(visible=False, elem_id="kz-reason") as reason_box:
            reason = gr.Textbox(
                label="這個回答哪裡不好？（選填）",
                placeholder="例如：沒有回答到問題、引用的段落不對…",
                lines=2,
                max_lines=5,
                max_length=1000,
                elem_id="kz-reason-text",
            )
            with gr.Row():
                send_reason = gr.Button("送出意見", variant="primary", size="sm", elem_id="kz-reason-send")
                skip_reason = gr.Button("略過", variant="secondary", size="sm", elem_id="kz-reason-skip")
        reason_for = gr.State("")  # the id of the answer the reason box is about
        reason_outputs = [reason_box, reason, reason_for]
        chatbot.like(page.rate, [turns], reason_outputs, api_visibility="private")
        send_reason.click(
            page.save_reason, [reason, reason_for, turns], reason_outputs, api_visibility="private"
        )
        skip_reason.click(
            lambda: (gr.update(visible=False), "", ""),
            None,
            reason_outputs,
            api_visibility="private",
        )
        # Every event is queued, so the page never uses Gradio's /run/ routes (which need the key).
        clear.click(page.clear, None, outputs, api_visibility="private")
        chatbot.clear(page.clear, None, outputs, api_visibility="private")
    return demo


#: Modules Gradio imports when the first event arrives (matplotlib, to switch its backend
#: around every event; pandas, for its event statistics). Importing them then held the first
#: question after a start by 1-2 s on this machine (bench/page.py); the server loads them first.
EVENT_IMPORTS: tuple[str, ...] = ("matplotlib", "pandas")


def preload_event_imports() -> None:
    """Import :data:`EVENT_IMPORTS` now (those installed), so the first question does not wait."""
    for name in EVENT_IMPORTS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if name == "matplotlib":
            module.get_backend()


def mount_chat(
    app: FastAPI,
    assistant: ChatAssistant,
    settings: Settings,
    feedback: FeedbackStore,
    *,
    auth: Callable[[str, str], bool] | None = None,
) -> FastAPI:
    """Mount the chat page at ``/`` of ``app``; register other routes before calling this.

    Args:
        app: The FastAPI app to mount into.
        assistant: Answers the questions.
        settings: kezhuan settings.
        feedback: Where thumbs up/down are stored.
        auth: When given, Gradio's login page guards the chat page with this check.
    """
    demo = build_chat(assistant, settings, feedback)
    app.add_middleware(PageLanguage, path="/")
    preload_event_imports()
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        i18n=gr.I18n(**{GRADIO_LOCALE: GRADIO_TRANSLATIONS}),
        auth=auth,
        auth_message="請輸入 API 金鑰作為密碼（使用者名稱不拘）。" if auth else None,
        css=CSS,
        head=page_head(settings.max_question_chars),
        footer_links=["api"],
        show_error=False,
    )
