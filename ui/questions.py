"""What a question and its history must look like before they reach the assistant.

The assistant checks questions too; checking here as well lets every surface answer a
bad question with the same clear message (and a 4xx) whatever assistant is plugged in.
"""

from __future__ import annotations

from ingest.errors import BadQuestionError
from ui.protocol import HistoryMessage


def check_question(question: str, max_chars: int) -> str:
    """Return the question without surrounding whitespace, or raise if it cannot be asked.

    Args:
        question: The question as typed.
        max_chars: The longest question accepted (``settings.max_question_chars``).

    Raises:
        BadQuestionError: the question is empty or longer than ``max_chars``.
    """
    stripped = question.strip()
    if not stripped:
        raise BadQuestionError("問題是空的，請輸入問題。 (The question is empty: type a question.)")
    if len(stripped) > max_chars:
        raise BadQuestionError(
            f"問題太長（{len(stripped)} 字，上限 {max_chars} 字），請縮短後再問。 "
            f"(The question is {len(stripped)} characters long; the limit is {max_chars}. "
            "Shorten it, or raise KEZHUAN_MAX_QUESTION_CHARS.)"
        )
    return stripped


def history_from_turns(turns: list[tuple[str, str]]) -> list[HistoryMessage]:
    """Alternating user/assistant messages from ``(question, answer)`` pairs."""
    history: list[HistoryMessage] = []
    for question, answer in turns:
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": answer})
    return history
