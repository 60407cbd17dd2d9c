"""What an earlier answer already said, which a follow-up asking what came next does not ask.

「學界科專以前有哪些計畫？」 answered with 「2001年起實施「學界開發產業技術計畫」，2014年再推動
「產學研價值創造計畫」」, then 「後來改成什麼？」: 後來 ("later", "and then") asks for what came
after, so the sentences that state those two programmes again are not its answer, however many
of its words they share; the one that says 「2021年5月轉型推動新制「科研成果價值創造計畫」」 is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.evidence import QUOTED_NAME, Evidence
from assistant.validate import Message
from core.text import to_search_form
from core.years import calendar_years

#: A follow-up that asks what came after what was said (search form, and English).
_NEXT = re.compile(
    r"后来|之后|接着|然后|再来|随后|later\b|\bafterwards?\b|\bafter that\b|\bthen\b", re.IGNORECASE
)


def said_before(question: str, messages: Sequence[Message]) -> str:
    """The latest answer (search form) when ``question`` asks what came after it, else ""."""
    if not _NEXT.search(to_search_form(question)):
        return ""
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    return to_search_form(answers[-1]) if answers else ""


@lru_cache(maxsize=32)
def _western_years(text: str) -> frozenset[int]:
    """The years ``text`` (search form) gives, western values; cached: every candidate sentence
    of one question is compared with the same earlier answer."""
    return frozenset(y.western for y in calendar_years(text))


def said_share(sentence: str, said: str) -> float:
    """The share (0-1) of ``sentence``'s marks (the years it gives, the names it quotes in 「」)
    that ``said`` (an earlier answer, search form) holds; 0 for a sentence with none."""
    if not said:
        return 0.0
    form = to_search_form(sentence)
    years = {y.western for y in calendar_years(form)}  # 2014 and 民國103年 are one mark
    names = {name.strip() for name in QUOTED_NAME.findall(form)} - {""}
    if not years and not names:
        return 0.0
    held = len(years & _western_years(said)) + sum(name in said for name in names)
    return held / (len(years) + len(names))


def after_said(evidence: Sequence[Evidence], share: float, gap: int = 5) -> list[Evidence]:
    """The candidates that come right after a sentence the latest answer said (the next sentence
    of its document, at most ``gap`` characters on, in its passage or the next) and do not say it
    again themselves: what 「後來…？」 asks for is told next."""
    following: set[str] = set()
    for said in (ev for ev in evidence if ev.said >= share):
        after = [
            ev
            for ev in evidence
            if ev.passage.source == said.passage.source and 0 <= ev.sentence.start - said.sentence.end <= gap
        ]
        if after:
            following.add(min(after, key=lambda ev: ev.sentence.start).sentence.id)
    return [ev for ev in evidence if ev.sentence.id in following and ev.said < share]
