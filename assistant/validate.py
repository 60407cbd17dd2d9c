"""What a question and its history must look like before the assistant reads them.

Every surface (CLI, web page, HTTP API) uses these checks, so a bad question gets the
same clear message everywhere. They also bound the work one request can cause: the question
is at most ``Settings.max_question_chars`` characters, the history at most
``Settings.max_history_messages`` messages of ``Settings.max_history_chars`` characters in
all (the embedding layer then reads at most ``Settings.query_max_tokens`` tokens of the search
text); ``bench/worst.py`` measures the most expensive request these limits allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import BadQuestionError

if TYPE_CHECKING:
    from core.settings import Settings

Message = dict[str, str]


def validate_question(question: Any, max_chars: int) -> str:
    """The question without surrounding whitespace or control characters.

    Raises:
        BadQuestionError: the question is not text, is empty, or is longer than ``max_chars``.
    """
    if not isinstance(question, str):
        raise BadQuestionError(
            f"問題必須是文字 (the question must be a string, got {type(question).__name__})."
        )
    # An ideographic or no-break space (「ＳＢＩＲ　Ｐｈａｓｅ　２」) is not printable, but it parts
    # words: it becomes a space, not nothing.
    cleaned = "".join(
        ch if ch.isprintable() or ch in "\n\t" else " " for ch in question if ch.isprintable() or ch.isspace()
    ).strip()
    if not cleaned:
        raise BadQuestionError("問題是空的，請輸入問題。 (The question is empty: type a question.)")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"問題太長（{len(cleaned)} 字，上限 {max_chars} 字），請縮短後再問。 "
            f"(The question is {len(cleaned)} characters long; the limit is {max_chars}. Shorten it.)"
        )
    return cleaned


def validate_history(
    history: Any, max_messages: int | None = None, max_chars: int | None = None
) -> list[Message]:
    """History as a list of ``{"role", "content"}`` messages.

    Args:
        history: Earlier messages, oldest first (``None`` for none).
        max_messages: Most messages accepted (``None``: no limit).
        max_chars: Most characters all messages' ``content`` may hold together (``None``: no limit).

    Raises:
        BadQuestionError: the history is not a list of such messages, or is over a limit (the
            message says which and how to fix it).
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise BadQuestionError("history 必須是訊息清單 (history must be a list of {role, content} messages).")
    if max_messages is not None and len(history) > max_messages:
        raise BadQuestionError(
            f"對話紀錄太長（{len(history)} 則，上限 {max_messages} 則），請只送出最近的訊息。 "
            f"(history has {len(history)} messages; the limit is {max_messages}. Send only the latest "
            "messages: follow-up questions read only the last few. The operator sets the limit with "
            "KEZHUAN_MAX_HISTORY_MESSAGES.)"
        )
    out = []
    total = 0
    for i, message in enumerate(history):
        if not isinstance(message, dict):
            raise BadQuestionError(f"history[{i}] must be an object with 'role' and 'content'.")
        role, content = message.get("role"), message.get("content")
        if role not in ("user", "assistant", "system"):
            raise BadQuestionError(
                f"history[{i}].role must be 'user', 'assistant' or 'system', not {role!r}."
            )
        if not isinstance(content, str):
            raise BadQuestionError(f"history[{i}].content must be a string.")
        total += len(content)
        if max_chars is not None and total > max_chars:
            raise BadQuestionError(
                f"對話紀錄太長（超過 {max_chars} 字），請只送出最近的訊息。 "
                f"(The history's messages hold more than {max_chars} characters together, reached at "
                f"history[{i}]. Send only the latest messages, or shorter ones. The operator sets the "
                "limit with KEZHUAN_MAX_HISTORY_CHARS.)"
            )
        out.append({"role": role, "content": content})
    return out


def validate_request(question: Any, history: Any, settings: Settings) -> tuple[str, list[Message]]:
    """The question and history checked against the settings' limits (see the module docstring).

    Returns:
        The cleaned question and the validated history.

    Raises:
        BadQuestionError: either is malformed or over its limit.
    """
    return (
        validate_question(question, settings.max_question_chars),
        validate_history(history, settings.max_history_messages, settings.max_history_chars),
    )
