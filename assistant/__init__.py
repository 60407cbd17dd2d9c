"""kezhuan's assistant: retrieval, cited answers, refusals.

>>> from assistant import Assistant
>>> bot = Assistant.load()
>>> reply = bot.ask("產學研價值創造計畫想達成什麼？")

``Assistant`` is imported lazily, so ``from assistant.reply import Reply`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.reply import Citation, Passage, Reply

if TYPE_CHECKING:
    from assistant.chat import Assistant

__all__ = ["Assistant", "Citation", "Passage", "Reply"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assistant.chat import Assistant

        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
