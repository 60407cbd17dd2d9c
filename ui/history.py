"""Chat history in the shape the assistant takes: alternating user/assistant messages.

The chat page keeps ``(question, answer)`` pairs; the assistant and the API take
OpenAI-style messages. (Questions themselves are checked by
:func:`assistant.validate.validate_question`.)
"""

from __future__ import annotations

from ui.protocol import HistoryMessage


def history_from_turns(turns: list[tuple[str, str]]) -> list[HistoryMessage]:
    """Alternating user/assistant messages from ``(question, answer)`` pairs."""
    history: list[HistoryMessage] = []
    for question, answer in turns:
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": answer})
    return history
