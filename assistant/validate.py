"""What a question and its history must look like before the assistant reads them.

Every surface (CLI, web page, HTTP API) uses these checks, so a bad question gets the
same clear message everywhere.
"""

from __future__ import annotations

from typing import Any

from ingest.errors import BadQuestionError

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
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise BadQuestionError("問題是空的，請輸入問題。 (The question is empty: type a question.)")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"問題太長（{len(cleaned)} 字，上限 {max_chars} 字），請縮短後再問。 "
            f"(The question is {len(cleaned)} characters long; the limit is {max_chars}. Shorten it.)"
        )
    return cleaned


def validate_history(history: Any) -> list[Message]:
    """History as a list of ``{"role", "content"}`` messages, or :class:`BadQuestionError`."""
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise BadQuestionError("history 必須是訊息清單 (history must be a list of {role, content} messages).")
    out = []
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
        out.append({"role": role, "content": content})
    return out
