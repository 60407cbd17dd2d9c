"""kezhuan's assistant: retrieval, cited answers, refusals.

>>> from assistant import Assistant
>>> bot = Assistant.load()
>>> reply = bot.ask("產學研價值創造計畫想達成什麼？")
"""

from assistant.chat import Assistant
from assistant.cite import Citation, Passage, Reply

__all__ = ["Assistant", "Citation", "Passage", "Reply"]
