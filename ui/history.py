"""Chat history in the shape the assistant takes: alternating user/assistant messages.

The chat page keeps ``(question, answer)`` pairs; the assistant and the API take
OpenAI-style messages. (Questions themselves are checked by
:func:`assistant.validate.validate_question`.)
"""

from __future__ import annotations

from core.settings import Settings
from ui.protocol import HistoryMessage


def history_from_turns(turns: list[tuple[str, str]]) -> list[HistoryMessage]:
    """Alternating user/assistant messages from ``(question, answer)`` pairs."""
    history: list[HistoryMessage] = []
    for question, answer in turns:
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": answer})
    return history


def recent_history(turns: list[tuple[str, str]], settings: Settings) -> list[HistoryMessage]:
    """The latest messages of a conversation that the assistant reads and the limits accept.

    The assistant reads only the last ``settings.max_history_turns`` messages of a follow-up's
    history; older ones are left out, and so are the oldest of those while all together would
    hold more than ``settings.max_history_chars`` characters. A long conversation on the page
    thus never hits the history limits the API enforces.
    """
    history = history_from_turns(turns)
    recent = history[-settings.max_history_turns :] if settings.max_history_turns else []
    total = sum(len(m["content"]) for m in recent)
    while recent and total > settings.max_history_chars:
        total -= len(recent.pop(0)["content"])
    return recent
