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

import logging
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.reply import Reply
from assistant.validate import validate_question
from ingest.errors import BadQuestionError, KezhuanError
from ingest.settings import Settings
from ui.feedback import FeedbackStore
from ui.history import history_from_turns
from ui.protocol import ChatAssistant
from ui.render import escape_text, new_reply_id, render_pending, render_question, render_reply

logger = logging.getLogger(__name__)

TITLE = "科專助理"
SUBTITLE = "經濟部科技專案問答：每個回答都附上出處原文，點選 [1] 等標號即可查看引用段落。"
EXAMPLES: tuple[str, ...] = (
    "A+企業創新研發淬鍊計畫是什麼時候開始的？",
    "成果歸屬及運用辦法的新創專章有哪些誘因？",
    "南臺灣創新園區在做什麼？",
    "2022年培育了幾組科專新創團隊？",
)
PLACEHOLDER = "請輸入關於經濟部科技專案的問題，例如計畫的開始年份、補助內容或成果。"
ERROR_MESSAGE = "系統暫時無法回答，請稍後再試。（An internal error occurred; the server log has details.）"

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
.kz-file { font-size: 0.8em; opacity: 0.6; }
.kz-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.kz-notice { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.4em; }
.kz-refusal { padding: 0.5em 0.7em; border-radius: 6px; background: var(--background-fill-secondary);
  border-left: 4px solid #8ca0b3; }
"""

#: Clicking ``[n]`` opens source ``n`` (a ``<details>``) and scrolls to it. Plain ``#id``
#: links would scroll but leave the passage folded.
HEAD = """
<script>
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

#: One finished exchange, kept in the session state (JSON-able).
Turn = dict[str, Any]


def _messages(turns: list[Turn]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": render_question(turn["question"])})
        messages.append({"role": "assistant", "content": turn["html"]})
    return messages


def _turn(question: str, reply: Reply) -> Turn:
    data = reply.to_dict()
    return {
        "question": question,
        "answer": reply.answer,
        "refused": reply.refused,
        "citations": data["citations"],
        "html": _notice_html(reply) + render_reply(reply, new_reply_id()),
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
            gr.Warning(str(e))
            yield _messages(turns), turns, question or ""
            return
        history = history_from_turns([(t["question"], t["answer"]) for t in turns])
        shown = _messages(turns) + [{"role": "user", "content": render_question(question)}]
        partial = ""
        reply: Reply | None = None
        try:
            yield shown + [{"role": "assistant", "content": render_pending("…")}], turns, ""
            for event in self.assistant.stream(question, history):
                if isinstance(event, Reply):
                    reply = event
                    break
                partial += event
                yield shown + [{"role": "assistant", "content": render_pending(partial)}], turns, ""
        except BadQuestionError as e:
            gr.Warning(str(e))
            yield _messages(turns), turns, question
            return
        except KezhuanError as e:
            logger.warning("Chat page could not answer: %s", e)
            gr.Warning(str(e))
            yield _messages(turns), turns, question
            return
        except Exception:
            logger.exception("Chat page failed to answer %r", question)
            raise gr.Error(ERROR_MESSAGE) from None
        if reply is None:
            logger.error("assistant.stream ended without a final Reply for %r", question)
            raise gr.Error(ERROR_MESSAGE)
        turns = turns + [_turn(question, reply)]
        yield _messages(turns), turns, ""

    def pick_example(self, event: gr.SelectData) -> str:
        """Put the clicked example question into the textbox."""
        value = event.value
        if isinstance(value, dict):
            return str(value.get("text", ""))
        return str(value or "")

    def rate(self, turns: list[Turn] | None, event: gr.LikeData) -> None:
        """Store a thumbs up/down on the answer at ``event.index``."""
        turns = turns or []
        index = event.index[0] if isinstance(event.index, (tuple, list)) else event.index
        rating = {True: "up", False: "down", "Like": "up", "Dislike": "down"}.get(event.liked)  # type: ignore[call-overload]
        if rating is None or not isinstance(index, int) or index // 2 >= len(turns):
            logger.info("Ignoring feedback %r on message %r", event.liked, event.index)
            return
        turn = turns[index // 2]
        try:
            self.feedback.record(
                question=turn["question"],
                answer=turn["answer"],
                citations=turn["citations"],
                rating=rating,
                surface="web",
                refused=turn["refused"],
            )
        except KezhuanError as e:
            logger.error("%s", e)
            gr.Warning("回饋未能儲存。（Feedback could not be saved; see the server log.）")
            return
        gr.Info("感謝您的回饋！")

    @staticmethod
    def clear() -> tuple[list[dict[str, str]], list[Turn], str]:
        """Forget the conversation."""
        return [], [], ""


#: Questions the page answers at once (Gradio's default is one for all visitors); the
#: assistant is thread-safe and an answer takes about 40 ms of a core.
CONCURRENT_ANSWERS = 4


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
            show_progress="minimal",
            concurrency_limit=CONCURRENT_ANSWERS,
        )
        chatbot.example_select(page.pick_example, None, textbox, api_visibility="private").then(
            page.respond,
            [textbox, turns],
            outputs,
            api_visibility="private",
            show_progress="minimal",
            concurrency_limit=CONCURRENT_ANSWERS,
        )
        chatbot.like(page.rate, [turns], None, api_visibility="private")
        clear.click(page.clear, None, outputs, api_visibility="private", queue=False)
        chatbot.clear(page.clear, None, outputs, api_visibility="private", queue=False)
    return demo


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
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth=auth,
        auth_message="請輸入 API 金鑰作為密碼（使用者名稱不拘）。" if auth else None,
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        show_error=False,
    )
