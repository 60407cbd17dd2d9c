"""False premises: a question that states a figure the documents contradict.

「A+淬鍊計畫2018年停辦的原因是什麼？」 states a year for A+淬鍊計畫; the documents date it
2014 and say nothing of 2018. 「2022年科專新創團隊募資超過100億元…」 states an amount; they
give 8.29億元. Such a question is checked where the evidence can check it:

* the figure the question states (a year: 2018年; an amount: 100億元) and the word of the
  question it is attached to (the term written next to it: A+淬鍊計畫, 募資);
* an evidence unit among the best that names that word (and at least half of what the question
  asks about) and states a figure of the same kind next to it, while none of those units
  states the question's figure.

Policy (what the reply does):

* a yes/no question (「…是2018年開始的嗎？」) is answered 「否」 by the yes/no shape, with the
  sentence that gives the true figure (:mod:`assistant.verdicts`): the question is answered;
* any other question built on the contradicted figure is **refused** (``refused`` is True:
  what it asks, the cause or the effect of something that did not happen as stated, is not
  answered), and the reply says what the documents say instead, quoting and citing it;
* a refusal for another reason keeps its refusal and gains the same correction when the
  premise is contradicted.

The evaluation counts a false-premise case right when it is refused (``evals/metrics.py``);
citations of a refused reply are not scored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.evidence import Composition, Evidence, QueryTerms, write_answer
from assistant.parts import Figure, figure_of
from assistant.rules import _INJECTION, REFUSAL_HANT
from assistant.shapes import YES_NO, held_share
from core.settings import Settings
from core.text import chinese_number, to_search_form, to_traditional

#: A figure a question states (search form): a year (2018年) or an amount (100億元, 500萬).
_STATED = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*年|(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*(亿|万)\s*元?")


#: A quantity a question states (search form): 三年, 5個月, 20%, 500萬; not a count of the parts
#: asked about (這三年, 第三年, 哪一年) nor a year (those are :func:`stated_figures`).
_QUANTITY = re.compile(
    r"(?<![\d.,第几哪这那每前后近])(\d[\d,]*(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(个月|年|天|日|周|%|成|倍|万|亿)"
)
#: A question that sets up a case of its own (某個科專的管理費是500萬): its figures are the asker's.
_HYPOTHETICAL = re.compile(r"某|如果|假设|假如|若是|若|万一|比如|例如|譬如|\bif\b|\bsuppose")


def _quantities(text: str) -> dict[tuple[float, str], str]:
    """Every quantity of ``text`` (search form) as ``(value, unit)`` (digits and Chinese numerals
    alike) to how it is written."""
    out: dict[tuple[float, str], str] = {}
    for m in _QUANTITY.finditer(text):
        value = chinese_number(m.group(1).replace("两", "二")) if not m.group(1)[0].isdigit() else None
        number = float(m.group(1).replace(",", "")) if m.group(1)[0].isdigit() else value
        if m.group(1) == "一":
            continue  # 一天, 一年 are as often "some day", "a year" as a figure the question asserts
        if number is not None and not (m.group(2) == "年" and 1900 <= number <= 2100):
            out.setdefault((float(number), m.group(2)), m.group(0))
    return out


def unstated_quantity(question: str, evidence: Sequence[Evidence], depth: int) -> str:
    """A quantity the question states as given (鎖三年) that none of the ``depth`` best evidence
    units states, in any notation; "" when there is none or the question sets up its own case."""
    if _HYPOTHETICAL.search(question):
        return ""
    stated = _quantities(question)
    if not stated:
        return ""
    held: set[tuple[float, str]] = set()
    for ev in evidence[:depth]:
        held |= set(_quantities(to_search_form(ev.passage.text + ev.sentence.context)))
    missing = [written for q, written in stated.items() if q not in held]
    return to_traditional(missing[0]) if missing else ""


@dataclass(frozen=True)
class Contradiction:
    """A figure the question states, and the evidence that states another in its place."""

    stated: str
    kind: str
    found: Figure
    evidence: Evidence


def stated_figures(question: str) -> list[tuple[str, str, float, int]]:
    """The figures a question states (search form): ``(as written, kind, value, offset)``."""
    out = []
    for m in _STATED.finditer(question):
        if m.group(1):
            out.append((m.group(0), "year", float(m.group(1)), m.start()))
        else:
            scale = 1e8 if m.group(3) == "亿" else 1e4
            out.append((m.group(0), "amount", float(m.group(2).replace(",", "")) * scale, m.start()))
    return out


def contradiction(
    query: QueryTerms, evidence: Sequence[Evidence], depth: int, share: float
) -> Contradiction | None:
    """The first figure of the question that the evidence contradicts, or None.

    Args:
        query: The question's terms (``question`` in search form).
        evidence: Scored evidence, best first.
        depth: How many of the best evidence units are read.
        share: Share of the question's asked terms an evidence unit must hold to be about it.
    """
    question = query.question
    asked = [t for t in query.terms if t.asked and t.known and not any(f.isdigit() for f in t.forms)]
    if not asked:
        return None
    read = evidence[:depth]
    for written, kind, value, at in stated_figures(question):
        # The word the figure is attached to: the asked term written closest to it.
        placed = [(abs(question.find(t.forms[0]) - at), t) for t in asked if t.forms[0] in question]
        if not placed:
            continue
        anchor = min(placed, key=lambda p: p[0])[1]
        about = [
            ev
            for ev in read
            if held_share([(anchor.forms, 1.0)], ev.sentence.context + ev.sentence.text) >= 1.0
            and held_share([(t.forms, t.weight) for t in asked], ev.sentence.context + ev.sentence.text)
            >= share
        ]
        found: list[tuple[Figure, Evidence]] = []
        for ev in about:
            figure = figure_of(kind, "", anchor.forms, ev.sentence.text, context=ev.sentence.context)
            if figure is not None and figure.value == value:
                found = []
                break  # an evidence unit about it states the question's figure: no contradiction
            if figure is not None:
                found.append((figure, ev))
        if found:
            figure, ev = found[0]
            return Contradiction(written, kind, figure, ev)
    return None


class PremiseChecks:
    """The false-premise check over a composed answer, mixed into the extractive answerer.

    The answerer's own composition is ``_compose``; :meth:`compose` checks its premise.
    """

    _compose: Callable[..., Composition]
    settings: Settings

    def compose(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        convert: Callable[[str], str] = lambda s: s,
        refusal: str = REFUSAL_HANT,
    ) -> Composition:
        """The cited answer from scored evidence, or a refusal (see ``_compose``), with its premise checked.

        A question (not a yes/no one) stating a figure that the evidence contradicts is refused,
        and the reply quotes what the documents say instead (:mod:`assistant.premise`).
        """
        composed = self._compose(query, evidence, convert, refusal)
        if not evidence or YES_NO.search(query.question) or _INJECTION.search(query.question):
            return composed
        found = contradiction(query, evidence, self.settings.premise_depth, self.settings.premise_share)
        if found is None:
            unstated = (
                ""
                if composed.refused
                else unstated_quantity(query.question, evidence, self.settings.premise_depth)
            )
            if unstated:
                diagnostics = dict(composed.diagnostics)
                diagnostics["premise"] = f"states {unstated}; no evidence states it"
                diagnostics["decided_by"] = "premise"
                diagnostics["reason"] = f"false premise: the documents never state {unstated}"
                said = convert(f"文件沒有提到問題中的「{unstated}」。")
                return Composition(said + refusal, [], True, composed.support, diagnostics)
            return composed
        diagnostics = dict(composed.diagnostics)
        diagnostics["premise"] = f"states {found.stated}; the evidence states {found.found.written}"
        diagnostics["reason"] = (
            f"false premise: the question states {found.stated}, the documents {found.found.written}"
        )
        diagnostics["shape"] = "premise: contradicted figure"
        stated, actual = to_traditional(found.stated), to_traditional(found.found.written)
        actual += "年" if found.kind == "year" else ""
        lead = f"文件並未支持問題中的「{stated}」；文件寫的是{actual}："
        corrected = write_answer([found.evidence], composed.support, diagnostics, convert, lead=lead)
        corrected.refused = True
        return corrected
