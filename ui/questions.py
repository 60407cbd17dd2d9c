"""What a question and its history must look like before they reach the assistant.

Questions are checked with :func:`assistant.validate.validate_question` before they reach
the assistant, so every surface answers a bad question with the same clear message (and a
4xx) whatever assistant is plugged in.
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
