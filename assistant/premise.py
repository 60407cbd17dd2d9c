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
from dataclasses import dataclass, replace

from assistant.evidence import Composition, Evidence, QueryTerms, write_answer
from assistant.parts import AMOUNT, Figure, figure_of, is_money, joined, percentages
from assistant.rules import _INJECTION, REFUSAL_HANT
from assistant.shapes import YES_NO, held_share
from core.settings import Settings
from core.text import SAME_UNIT, chinese_number, to_search_form, to_traditional
from core.years import calendar_years

#: A figure a question states (search form): a year (2018年), an amount (100億元, 500萬, and in
#: Chinese numerals 一億元, 兩千萬), or a count with its classifier (三種, 6個); not an ordinal
#: (第3項) nor a count asked (幾項).
_STATED = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})\s*年|(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*(亿|万)\s*元?"
    r"|(?<![\d.,第几哪这那每前后近条款项])(\d+|[两二三四五六七八九十]+)\s*(个|组|家|项|种|类|位|所|座|队|大)"
    r"(?![\u4e00-\u9fff]?[年月日天])"
    r"|(?<![\d第几哪这那每前后近零〇一二两三四五六七八九十百千])([一二两三四五六七八九十百千]+)\s*(亿|万)\s*元?"
)
#: The comparison a yes/no question makes with the figure it states (search form): 超過100億,
#: 不到三年, 至少5家. A figure with no comparison is asserted as the value itself.
_MORE = re.compile(r"(?:超过|多于|高于|大于|至少|起码|逾|不止)\s*$")
_LESS = re.compile(r"(?:不到|少于|低于|小于|不超过|未满|未达|最多)\s*$")
_MORE_AFTER = re.compile(r"^\s*(?:以上|多|出头)")
_LESS_AFTER = re.compile(r"^\s*(?:以下|以内|之内|内)")


#: A quantity a question states (search form): 三年, 5個月, 20%, 500萬; not a count of the parts
#: asked about (這三年, 第三年, 哪一年) nor a year (those are :func:`stated_figures`).
_QUANTITY = re.compile(
    r"(?<![\d.,第几哪这那每前后近])(\d[\d,]*(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(个月|年|天|日|周|%|成|倍|万|亿)"
)
#: A question that sets up a case of its own (某個科專的管理費是500萬): its figures are the asker's.
_HYPOTHETICAL = re.compile(r"某|如果|假设|假如|若是|若|万一|比如|例如|譬如|\bif\b|\bsuppose")


#: An estimate (search form): 大概7%, 約500萬, 三年左右: the asker's own figure, not a rule's.
_ESTIMATE = re.compile(
    r"大概|大约|大致|约(?=\s*[\d一二两三四五六七八九十百千])|左右|差不多|将近|估计|预估|上下"
)


#: Numbers before 年 read as 民國 years, not spans (民國60年 = 1971 to 民國200年 = 2111): no
#: one asks about a span of sixty years or more in these documents' domain.
_MINGUO_YEARS = (60, 200)


def _quantities(text: str) -> dict[tuple[float, str], str]:
    """Every quantity of ``text`` (search form) as ``(value, unit)`` (digits and Chinese numerals
    alike) to how it is written."""
    out: dict[tuple[float, str], str] = {}
    for m in _QUANTITY.finditer(text):
        value = chinese_number(m.group(1).replace("两", "二")) if not m.group(1)[0].isdigit() else None
        number = float(m.group(1).replace(",", "")) if m.group(1)[0].isdigit() else value
        if m.group(1) == "一":
            continue  # 一天, 一年 are as often "some day", "a year" as a figure the question asserts
        if (
            m.group(2) == "年"
            and m.group(1)[0].isdigit()
            and _MINGUO_YEARS[0] <= (number or 0) <= _MINGUO_YEARS[1]
        ):
            continue  # 105年, 本（105）年: a 民國 year (core.years), which dates, not a span asserted
        if number is not None and not (m.group(2) == "年" and 1900 <= number <= 2100):
            # 60天 and 60日 are one span: keyed by the unit's first form (core.text.SAME_UNIT)
            out.setdefault((float(number), SAME_UNIT.get(m.group(2), m.group(2))), m.group(0))
    return out


#: A bound's direction around a quantity (search form): at least (滿三年, 三年以上, 至少, 超過)
#: or below (未滿三年, 三年以下, 不到, 最多, 不得超過).
_BELOW_BEFORE = re.compile(
    r"(?:未满|不满|未达|不到|少于|低于|不超过|不得超过|不得逾|(?:最多|至多)[^\d，,。]{0,2})\s*$"
)
_ABOVE_BEFORE = re.compile(
    r"(?:(?<![未不])满|(?<![未不])达|(?<![不得])超过|(?<![不得])逾|多于|高于|至少[^\d，,。]{0,2})\s*$"
)
_BELOW_AFTER = re.compile(r"^\s*(?:以下|以内|之内|为限)")
_ABOVE_AFTER = re.compile(r"^\s*以上")


def _bounds(text: str) -> list[tuple[tuple[float, str], str, str]]:
    """Each quantity of ``text`` (search form) written with a bound's direction: its
    ``(value, unit)`` key (as :func:`_quantities`), ``"above"`` or ``"below"``, and how the
    bound is written (未滿五年)."""
    out: list[tuple[tuple[float, str], str, str]] = []
    for m in _QUANTITY.finditer(text):
        key = next(iter(_quantities(m.group(0))), None)
        if key is None:
            continue
        before, after = text[max(0, m.start() - 6) : m.start()], text[m.end() : m.end() + 3]
        below = _BELOW_BEFORE.search(before) or _BELOW_AFTER.match(after)
        above = _ABOVE_BEFORE.search(before) or _ABOVE_AFTER.match(after)
        if bool(below) == bool(above):
            continue  # no direction, or both (滿一年以下 is no bound a question asserts)
        word = below or above
        assert word is not None
        written = (
            word.group(0) + m.group(0)
            if word.re in (_BELOW_BEFORE, _ABOVE_BEFORE)
            else m.group(0) + word.group(0)
        )
        out.append((key, "below" if below else "above", written.strip()))
    return out


def reversed_bound(
    question: str, evidence: Sequence[Evidence], depth: int
) -> tuple[str, str, Evidence] | None:
    """A bound the question states that the evidence states the other way round: 「要成立滿五年
    才可以申請」 where the rule says 「登記未滿五年之公司」. ``(as the question writes it, as the
    evidence writes it, that evidence unit)``; None when none of the ``depth`` best units states
    the quantity the other way, one states it the question's way, or the question sets up a case
    of its own (如果, 假設)."""
    if _HYPOTHETICAL.search(question):
        return None
    for key, direction, written in _bounds(question):
        agrees = False
        against: tuple[str, Evidence] | None = None
        for ev in evidence[:depth]:
            for other, way, said in _bounds(to_search_form(ev.sentence.context + ev.sentence.text)):
                if other == key and way == direction:
                    agrees = True
                elif other == key and against is None:
                    against = (said, ev)
        if against is not None and not agrees:
            return to_traditional(written), to_traditional(against[0]), against[1]
    return None


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
    """The figures a question states (search form): ``(as written, kind, value, offset)``;
    kind ``"year"`` (western, or 民國 as :func:`core.years.calendar_years` reads it),
    ``"amount"`` (in 元), ``"percentage"`` (八成, 20%, 百分之五: in percent) or
    ``"count:<classifier>"`` (三種 → ``count:种``)."""
    out = [(question[at : at + len(w)], "percentage", value, at) for at, value, w in percentages(question)]
    # 民國 years (民國一一〇年, 民國110年: core.years), as their western year.
    out += [(y.written, "year", float(y.western), y.start) for y in calendar_years(question) if y.roc]
    for m in _STATED.finditer(question):
        if m.group(1):
            out.append((m.group(0), "year", float(m.group(1)), m.start()))
        elif m.group(2):
            scale = 1e8 if m.group(3) == "亿" else 1e4
            out.append((m.group(0), "amount", float(m.group(2).replace(",", "")) * scale, m.start()))
        elif m.group(6):
            amount = chinese_number(m.group(6).replace("两", "二"))
            if amount is not None:
                scale = 1e8 if m.group(7) == "亿" else 1e4
                out.append((m.group(0), "amount", float(amount) * scale, m.start()))
        else:
            number = chinese_number(m.group(4).replace("两", "二"))
            if number is not None and number >= 2:  # 一個 is "a", not a count the question asserts
                out.append((m.group(0), f"count:{m.group(5)}", float(number), m.start()))
    return sorted(out, key=lambda f: f[3])


#: Where a question's clauses end (search form).
_CLAUSE_END = re.compile(r"[，,；;。]")


def asserted_figures(question: str) -> list[tuple[str, str, float, int]]:
    """The figures a yes/no question asserts: those of its clause that asks 嗎/是不是 (search
    form). 「兩家公司的負責人是父子，這樣會不會有問題？」 sets up two companies as its case and
    asserts nothing about a count; 「補助上限是500萬嗎？」 asserts 500萬."""
    start = 0
    for clause in _CLAUSE_END.split(question):
        end = start + len(clause)
        if YES_NO.search(clause):
            return [f for f in stated_figures(question) if start <= f[3] < end]
        start = end + 1
    return []


def _compared(question: str, written: str, at: int) -> str:
    """How a yes/no question compares with a figure it states: ``">"`` (超過100億), ``"<"``
    (不到三年) or ``"="`` (the figure itself)."""
    before, after = question[:at], question[at + len(written) :]
    if _MORE.search(before) or _MORE_AFTER.match(after):
        return ">"
    if _LESS.search(before) or _LESS_AFTER.match(after):
        return "<"
    return "="


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
    checked = premise_figures(query, evidence, depth, share)
    return next((c for c, agrees in checked if not agrees), None)


def background_contradiction(
    query: QueryTerms, evidence: Sequence[Evidence], depth: int, share: float
) -> Contradiction | None:
    """The first figure a background clause of the question states that the evidence
    contradicts, or None.

    「大陸那部法2010年修正的那次，是哪次會議通過的？」 asks about the meeting, but only after
    stating a year of 修正 that the law's history never gives: the question stands on that
    figure as much as on its focus. The background's words (known to the documents) are what
    the figure is attached to and what an evidence unit must be about; a background that sets up
    a case of the asker's own (如果, 假設, 某) or estimates (大概, 約) states no premise, nor does
    one after the asker speaks of themselves (``background`` is then empty, :mod:`assistant.chat`).
    Arguments as :func:`contradiction`.
    """
    background = query.background
    if not background or _HYPOTHETICAL.search(background) or _ESTIMATE.search(background):
        return None
    terms = tuple(replace(t, asked=True) for t in query.terms if t.known and t.forms[0] in background)
    if not terms:
        return None
    checked = premise_figures(replace(query, terms=terms, question=background), evidence, depth, share)
    return next((c for c, agrees in checked if not agrees), None)


def premise_figures(
    query: QueryTerms,
    evidence: Sequence[Evidence],
    depth: int,
    share: float,
    figures: Sequence[tuple[str, str, float, int]] | None = None,
) -> list[tuple[Contradiction, bool]]:
    """Each figure the question states that an evidence unit about its word checks, with that
    unit's figure and whether it bears the question's out (``True``) or contradicts it.

    A figure is borne out when one of the units about its word states it (or, in a yes/no
    question, one that passes its 超過/不到); else the first unit stating another contradicts it.
    A count contradicts only when written with its classifier (5種), not counted from a list.
    Arguments as :func:`contradiction`; ``figures``: the stated figures to check (default: all
    of :func:`stated_figures`).
    """
    question = query.question
    compare = _compared if YES_NO.search(question) else (lambda *_: "=")
    asked = [t for t in query.terms if t.asked and t.known and not any(f.isdigit() for f in t.forms)]
    # The comparison's own word (超過, 不到) is no word the figure belongs to.
    named = [t for t in asked if not (_MORE.search(t.forms[0]) or _LESS.search(t.forms[0]))]
    if not asked:
        return []
    read = evidence[:depth]
    on_topic = [ev for ev in read if held_share([(t.forms, t.weight) for t in asked], _named(ev)) >= share]
    out: list[tuple[Contradiction, bool]] = []
    for written, kind, value, at in stated_figures(question) if figures is None else figures:
        # The word the figure is attached to: the asked term written closest before it (the
        # subject of 「A+淬鍊計畫是2018年開始的嗎」, not its verb), else closest after it
        # (:func:`_owner_rank`), one that a unit about the question names (補助 of 「SBIR Phase 1
        # 補助上限是200萬」 is not when the table row says only Phase 1, NT $1,000,000).
        placed = [
            (_owner_rank(question, t.forms[0], at), abs(question.find(t.forms[0]) - at), t)
            for t in named
            if t.forms[0] in question
        ]
        anchored = [
            p for p in placed if any(held_share([(p[2].forms, 1.0)], _named(ev)) >= 1.0 for ev in on_topic)
        ]
        if not placed:
            continue
        anchor = min(anchored or placed, key=lambda p: p[:2])[2]
        about = [ev for ev in on_topic if held_share([(anchor.forms, 1.0)], _named(ev)) >= 1.0]
        found: list[tuple[Figure, Evidence]] = []
        measure, _, classifier = kind.partition(":")
        comparison = compare(question, written, at)
        for ev in about:
            figure = figure_of(
                measure, classifier, anchor.forms, ev.sentence.text, context=ev.sentence.context
            )
            if figure is None or (measure == "count" and figure.at < 0):
                continue
            if (
                comparison == "="
                and measure != "count"
                and _states(measure, value, "=", to_search_form(ev.sentence.text))
            ):
                # 「聯合申請上限是200萬嗎」: the unit states that very figure, if not next to the word
                figure = Figure(value, written, figure.at)
            if _agrees(figure.value, value, comparison):
                found = [(figure, ev)]
                out.append((Contradiction(written, kind, figure, ev), True))
                break  # an evidence unit about it states the question's figure: no contradiction
            found.append((figure, ev))
        else:
            if found:
                figure, ev = found[0]
                out.append((Contradiction(written, kind, figure, ev), False))
    return out


def _owner_rank(question: str, word: str, at: int) -> int:
    """0 when ``word`` is written before the figure at ``at``, 1 after it, 2 before it in another
    part (joined to it: 從通過到2015年修正; 至少 of 拿到股權後至少三年 joins nothing)."""
    where = question.find(word)
    if where > at:
        return 1
    return 2 if len(joined(question[where:at], Settings.join_word_frequency, than=False)) > 1 else 0


def _named(ev: Evidence) -> str:
    """What an evidence unit names: its section heading (a table row's), context and text."""
    return to_search_form(f"{ev.passage.section}\n{ev.sentence.context}{ev.sentence.text}")


def _agrees(found: float, stated: float, comparison: str) -> bool:
    """Whether a figure the evidence states bears out the question's (``=``, ``>``, ``<``)."""
    if comparison == ">":
        return found > stated
    if comparison == "<":
        return found < stated
    return found == stated


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
        and the reply quotes what the documents say instead (:mod:`assistant.premise`); a yes/no
        one is answered 否 with that quote (:meth:`_checked_yes_no`).
        """
        composed = self._compose(query, evidence, convert, refusal)
        if not evidence or _INJECTION.search(query.question):
            return composed
        depth, share = self.settings.premise_depth, self.settings.premise_share
        found = background_contradiction(query, evidence, depth, share)
        if found is not None:
            return _corrected(found, composed, convert)  # what it asks stands on a false figure
        if YES_NO.search(query.question):
            return self._checked_yes_no(query, evidence, composed, convert, refusal)
        found = contradiction(query, evidence, depth, share)
        flipped = None if found else reversed_bound(f"{query.background}，{query.question}", evidence, depth)
        if flipped is not None:
            stated, said, unit = flipped
            diagnostics = dict(composed.diagnostics)
            diagnostics["premise"] = f"states {stated}; the evidence states {said}"
            diagnostics["reason"] = f"false premise: the question states {stated}, the documents {said}"
            diagnostics["shape"] = "premise: bound the other way round"
            diagnostics["decided_by"] = "premise"
            lead = f"文件並未支持問題中的「{stated}」；文件寫的是「{said}」："
            corrected = write_answer([unit], composed.support, diagnostics, convert, lead=lead)
            corrected.refused = True
            return corrected
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
        return _corrected(found, composed, convert)

    def _checked_yes_no(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        composed: Composition,
        convert: Callable[[str], str],
        refusal: str,
    ) -> Composition:
        """A yes/no question stating a figure (「補助上限是500萬嗎？」, 「…是2018年開始的嗎？」,
        「…有三種嗎？」), checked against the figure the evidence states next to the same word.

        * the evidence states another figure (or one that fails the question's 超過/不到): the
          answer is 「否，文件寫的是100萬元，不是500萬：」 with that sentence cited;
        * no evidence unit of the ``premise_depth`` best states the year or amount at all (in any
          notation), and none states another: refused, saying the documents never state it;
        * otherwise, or when a veto refused the question or it names a topical word no document
          uses, the yes/no shape's own verdict (or refusal) stands.
        """
        stated = asserted_figures(query.question)
        vetoed = composed.refused and str(composed.diagnostics.get("decided_by", "")).startswith("veto")
        if not stated or vetoed or query.foreign:
            # 「宜蘭中心的補助上限是500萬嗎？」: a figure of another centre neither bears it out
            # nor refutes it; the veto (or the word no document uses) decides.
            return composed
        depth = self.settings.premise_depth
        checked = premise_figures(query, evidence, depth, self.settings.premise_share, stated)
        found = next((c for c, agrees in checked if not agrees), None)
        diagnostics = dict(composed.diagnostics)
        if found is None:
            read = [to_search_form(ev.passage.text + ev.sentence.context) for ev in evidence[:depth]]
            unheld = [
                written
                for written, kind, value, at in stated
                if kind in ("year", "amount")
                and not any(_states(kind, value, _compared(query.question, written, at), t) for t in read)
            ]
            if unheld:
                missing = to_traditional(unheld[0])
                diagnostics["premise"] = f"states {missing}; no evidence states it"
                diagnostics["decided_by"] = "premise"
                diagnostics["reason"] = f"false premise: the documents never state {missing}"
                said = convert(f"文件沒有提到問題中的「{missing}」。")
                return Composition(said + refusal, [], True, composed.support, diagnostics)
            if not checked:
                return composed
            held = checked[0][0]
            at = query.question.find(held.stated)
            if not composed.refused and _compared(query.question, held.stated, at) == "=":
                return composed  # the yes/no shape finds the question's own figure in the text
            # 「…超過50萬嗎？」 borne out by 100萬元, which does not write the question's number.
            diagnostics["premise"] = f"states {held.stated}; the evidence states {held.found.written}"
            diagnostics["decided_by"] = "premise"
            diagnostics["shape"] = "yes_no: premise borne out by the figure cited"
            diagnostics["reason"] = f"answered yes: the documents state {held.found.written}"
            lead = f"是，文件寫的是{_as_written(held)}："
            return write_answer([held.evidence], composed.support, diagnostics, convert, lead=lead)
        stated_as = next((w for w, _, _, _ in stated if w == found.stated), found.stated)
        at = query.question.find(stated_as)
        compared = _compared(query.question, stated_as, at) if at >= 0 else "="
        diagnostics["premise"] = f"states {found.stated}; the evidence states {found.found.written}"
        diagnostics["decided_by"] = "premise"
        diagnostics["shape"] = "yes_no: premise contradicted by the figure cited"
        diagnostics["reason"] = (
            f"answered no: the question states {found.stated}, the documents {found.found.written}"
        )
        other = f"，不是{to_traditional(found.stated)}" if compared == "=" else ""
        lead = f"否，文件寫的是{_as_written(found)}{other}："
        return write_answer([found.evidence], composed.support, diagnostics, convert, lead=lead)


def _corrected(found: Contradiction, composed: Composition, convert: Callable[[str], str]) -> Composition:
    """The refusal of a question built on a figure the documents contradict: what they say
    instead, quoted and cited, with the reason in the diagnostics."""
    diagnostics = dict(composed.diagnostics)
    diagnostics["premise"] = f"states {found.stated}; the evidence states {found.found.written}"
    diagnostics["reason"] = (
        f"false premise: the question states {found.stated}, the documents {found.found.written}"
    )
    diagnostics["shape"] = "premise: contradicted figure"
    diagnostics["decided_by"] = "premise"
    stated, actual = to_traditional(found.stated), to_traditional(found.found.written)
    actual += "年" if found.kind == "year" else ""
    lead = f"文件並未支持問題中的「{stated}」；文件寫的是{actual}："
    corrected = write_answer([found.evidence], composed.support, diagnostics, convert, lead=lead)
    corrected.refused = True
    return corrected


def _as_written(checked: Contradiction) -> str:
    """The evidence's figure as the answer writes it (a year with 年)."""
    return to_traditional(checked.found.written) + ("年" if checked.kind == "year" else "")


def _states(kind: str, value: float, comparison: str, text: str) -> bool:
    """Whether ``text`` (search form) states a year, amount or percentage that bears out the question's."""
    if kind == "year":  # in either calendar (103年10月 states 2014)
        return re.search(rf"(?<!\d){int(value)}(?!\d)", text) is not None or any(
            y.western == int(value) for y in calendar_years(text)
        )
    if kind == "percentage":
        return any(_agrees(found, value, comparison) for _, found, _ in percentages(text))
    for m in AMOUNT.finditer(text):
        if not is_money(text, m):
            continue  # a bare number is no amount
        scale = {"亿": 1e8, "万": 1e4, "千": 1e3}.get(m.group(2) or "", 1.0)
        if _agrees(float(m.group(1).replace(",", "")) * scale, value, comparison):
            return True
    return False
