"""The assistant interface the web surfaces depend on.

``assistant.Assistant`` satisfies it; tests pass a scripted fake. Keeping the UI on this
protocol means nothing in ``ui/`` needs the embedding model to be importable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from assistant.reply import Reply

#: One earlier message of a conversation: ``{"role": "user" | "assistant", "content": str}``.
HistoryMessage = dict[str, str]


@runtime_checkable
class ChatAssistant(Protocol):
    """What the chat page and the APIs need from an assistant."""

    def ask(self, question: str, history: list[HistoryMessage] | None = None) -> Reply:
        """Answer ``question`` (a follow-up of ``history``).

        Raises:
            BadQuestionError: the question is empty or too long.
        """
        ...

    def stream(self, question: str, history: list[HistoryMessage] | None = None) -> Iterator[str | Reply]:
        """Yield text deltas of the answer, then exactly one final :class:`Reply`."""
        ...

    def health(self) -> dict[str, Any]:
        """``{"ok": bool, "passages": int, "embedding_model": str, ...}``."""
        ...
