"""Questions of several parts: two named things asked together, and arithmetic over their figures.

「A+淬鍊計畫比業界開發產業技術計畫晚幾年開始？」 names two things (joined by 比) and asks the
difference of their years; 「花蓮跟台東的中心研發主軸加起來總共幾項？」 names two places and asks
the sum of the items each lists. Such a question is read from its structure alone:

1. the operation it asks (:func:`split_parts`): a difference (比…晚/早/多/少幾, 相差, 隔了多久,
   how many years between), a sum (加起來, 總共, 合計, in total) or each part's figure side by
   side (分別是哪一年, 各有幾項);
2. the kind of figure (:func:`figure_kind`): years (幾年, 多久), a count with its classifier
   (幾項, 幾組: a number written with it, or the items a sentence lists), a percentage (比例,
   比率, 幾趴: 百分之二十, 40%; a difference of two is in percentage points) or an amount
   (多少錢, 是多少: a number with 萬/億/元);
3. its parts: the clause before the operation cut at the words that join named things
   (跟, 和, 與, 及, 比, 到, 、); what the question says besides the parts is shared by all.

Each part is searched for on its own (:meth:`assistant.chat.Assistant` adds the passages), one
evidence unit is picked per part (:meth:`PartAnswers._parts`) and the figure of each is read
from that unit, next to the part's words. The answer states the result with every operand's
citation; a part whose figure no evidence gives is named as missing, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from assistant.evidence import Composition, Evidence, QueryTerms, Term, coverage, write_answer
from assistant.lexicon import content_terms, general_frequency
from assistant.lists import question_facets
from assistant.refusal import RefusalModel, signals
from assistant.rules import asks_bound
from assistant.shapes import held_share, shortened_at
from assistant.sums import arithmetic_lead
from assistant.units import item_count
from core.settings import Settings
from core.text import article_tokens, chinese_number, to_search_form, to_traditional
from core.years import WESTERN_YEAR, calendar_years

#: A difference (search form): 晚幾年, 相差, 隔了多久, 比…多幾個, 比…高幾個百分點 (not 最高, 提高), how
#: many years between.
_DIFFERENCE = re.compile(
    r"(?:[晚早差隔过]|(?<![最提])[高低])了?(?:几|多少)[年个项组家位件次天月]|[多少]了?(?:几|多少)[年个项组家位件次天月]?"
    r"|相差|相隔|隔了?多久|间隔|经过几年|过了几年|几年后|几年之后|差多少|差距"
    r"|how many years|how long (?:after|between|before)|difference"
)
#: A sum (search form): 加起來, 總共, 合計, in total.
_SUM = re.compile(r"加总|加起来|合计|总计|总和|一共|总共|合共|in total|altogether|combined|\bsum\b")
#: The figure of each part (search form): 各有幾項, 分別是哪一年; 各 before a noun it classifies
#: (各地, 各項) means "all kinds of".
_EACH = re.compile(r"分别|各自|各(?![地项种级界国类部])|respectively|\beach\b")
#: A difference is only read from 比 (A比B多幾) or a span (從A到B, A跟B相差).
_COMPARED = re.compile(r"比|相差|相隔|间隔|隔|差|到|至|between|difference")
#: Words that join the named parts (search form).
_JOIN = re.compile(r"跟|和|与|及|以及|加上|比|到|至|、|\s+and\s+|\s+to\s+|\bvs\.?\s")
#: Where a clause ends.
_CLAUSE = re.compile(r"[，,；;：:？?。！!]")
#: A demonstrative and count after the last part (台東那兩個中心): not part of its name.
_DEMONSTRATIVE = re.compile(r"(?:那|这|these|those)(?:[一两二三四五六七八九十几]?[个位家项组所座间])?.*$")
#: What asks the question inside a clause: it ends the last part (…計畫中間隔了多久).
_ASKING = re.compile(r"(?:中间|之间|分别|各自|各|是|有|的时间|开始|成立|启动).*$|[中之的]$")
#: Words before the first part that are not part of it: 從A到B, 自A起.
_LEADING = re.compile(r"^(?:请问|从|自|由|那|这)")
#: What an English question writes between the operation and its parts: how many years passed between.
_ENGLISH_LEAD = re.compile(r"^[a-z ]*?\b(?:between|from|of)\b\s*")
#: How many of a counted thing (search form): 幾項 → 项.
_COUNT_OF = re.compile(r"(?:几|多少)\s*([个组家项件位名次人队所种类座间条款])")
#: An amount of money (search form): 2,000 萬元, 8.29億元, 500萬.
AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿|万|千)?\s*(?:元|新台币)?")
#: A currency sign written before a number makes it an amount of money (search form, lower
#: case): NT$1,000,000, NT $ 500,000, $2,000; not US$ (another currency than the question's 萬).
_CURRENCY_BEFORE = re.compile(r"(?:^|[^a-z])(?:nt)?\s?\$\s*$")


def is_money(norm: str, m: re.Match[str]) -> bool:
    """Whether the number ``m`` of ``norm`` (search form) is an amount of money: written with
    萬/億/千 or 元, or after a currency sign (NT$)."""
    return bool(
        m.group(2) or "元" in m.group(0) or _CURRENCY_BEFORE.search(norm[max(0, m.start() - 6) : m.start()])
    )


#: An amount of money in Chinese numerals (search form): 二千萬元, 新台幣一億, 一百二十萬元.
_CHINESE_AMOUNT = re.compile(
    r"(?:(?<=新台币)|(?=[零〇一二两三四五六七八九十百千]+[亿万]元))(?<![零〇一二两三四五六七八九十百千])"
    r"([零〇一二两三四五六七八九十百千]+)([亿万])元?"
)
#: Asks how often something recurs (search form): 幾年一次, 每幾年, 多久一次, how often.
_ASKS_PERIOD = re.compile(
    r"几(?:年|个月|周|天)一次|每(?:隔)?几(?:年|个月|周|天)|多久(?:要)?(?:做|办|提|交|检讨|修正)?一次|how often"
)
#: Asks a length of time in days, weeks or months (search form): 幾天, 多少天, 幾個月, 幾個工作天.
_ASKS_SPAN = re.compile(r"几(?:个)?(?:天|日|月|周|星期|工作天|工作日)|多少(?:个)?(?:天|日|月|周|工作天)")
#: A length of time a text states (search form): 七天內, 二十天, 2個月, 30日; in months.
_SPAN = re.compile(r"(?<![第每\d])(\d+|[一二两三四五六七八九十百]+)\s*(个月|月|周|星期|天|日|年)(?![度底初])")
#: A period a text states (search form): 每二年, 每4年, 每隔三個月; in months.
_PERIOD = re.compile(r"每\s*(?:隔)?\s*(\d+|[一二两三四五六七八九十]+)\s*(年|个月|月|周|星期|天|日)")
_MONTHS = {"年": 12.0, "个月": 1.0, "月": 1.0, "周": 0.25, "星期": 0.25, "天": 1 / 30, "日": 1 / 30}
#: Asks a percentage (search form): 比例, 比率, 百分之幾, 幾趴, what percentage.
_ASKS_PERCENTAGE = re.compile(r"比例|比率|百分之|百分比|几趴|多少趴|percent|[%％]")
#: A percentage (search form): 百分之二十, 百分之五十, 40%, 12.5 %, and tenths (八成 is 80%,
#: 九成五 95%; not 一成不變, nor 成 of a word: 完成, 八成員).
_PERCENTAGE = re.compile(
    r"百分之([零〇一二两三四五六七八九十百]+)|(\d+(?:\.\d+)?)\s*[%％]"
    r"|(?<![零〇一二两三四五六七八九十百千万第几])([两二三四五六七八九])成"
    r"(?:([一二三四五六七八九])(?![年月日天个人家项位号]))?(?![员立果本为功绩长熟效交])"
)
#: A share written as a fraction (search form): 四分之三 (75%), 二分之一, 千分之五 (0.5%), 一半.
_FRACTION = re.compile(r"(?<![百\d])([二两三四五六七八九十千])分之([一二三四五六七八九十百]+)|一半|半数")
#: What makes a figure the case a provision applies to (search form): 以下者, 以上者, 未满者.
_CONDITION = re.compile(r"\s*(?:以下|以上|以内|未满|未达)?者")
#: Asks an amount: 多少錢, 是多少, 金額, how much.
_ASKS_AMOUNT = re.compile(r"多少钱|多少经费|是多少|有多少|金额|上限|how much")
#: An enumeration of quoted items: 「生活工藝」、「觀光休閒」及「科技農企」.
_QUOTED_RUN = re.compile(r"「[^「」]{1,40}」(?:\s*(?:、|及|和|与|以及|或)\s*「[^「」]{1,40}」)+")


@dataclass(frozen=True)
class Figure:
    """A figure read from an evidence unit: its value, how the text writes it, where (search form offset; -1: counted)."""

    value: float
    written: str
    at: int


@dataclass(frozen=True)
class QuestionParts:
    """The parts of a question and the operation it asks over them.

    Attributes:
        parts: Each part as written in the question (search form), in the question's order.
        operation: ``"difference"``, ``"sum"`` or ``"each"`` (the figure of each part, side by side).
        kind: The figure each part gives: ``"year"``, ``"period"`` (每二年), ``"span"`` (七天內), ``"count"``, ``"amount"`` or ``""``.
        classifier: For a count, its classifier (项, 组); else "".
    """

    parts: tuple[str, ...]
    operation: str
    kind: str
    classifier: str = ""


def joined(clause: str, word_frequency: int, than: bool = True) -> list[str]:
    """The clause cut at the words that join named things; a joining character that makes a
    word of general Chinese with its neighbour (拿到, 參與, 比較, 至少: at least
    ``word_frequency`` in jieba's dictionary) joins nothing, nor does 比 when ``than`` is False
    (a clause after the difference asked: 比 comes before its 多/晚, so 「…最多多少，研發占比…」
    compares nothing)."""
    pieces: list[str] = []
    start = 0
    for m in _JOIN.finditer(clause):
        if m.group(0) == "比" and not than:
            continue
        if len(m.group(0)) == 1:
            before, after = clause[max(m.start() - 1, 0) : m.end()], clause[m.start() : m.end() + 1]
            if any(len(w) == 2 and general_frequency(w) >= word_frequency for w in (before, after)):
                continue
        pieces.append(clause[start : m.start()])
        start = m.end()
    pieces.append(clause[start:])
    return pieces


def _span_start(piece: str, word_frequency: int) -> str:
    """The first part of a span its subject goes before (「成果轉化法從通過」 → 「通過」): the words
    before 從/自 name what both parts are about, not the first part. A 從/自 that makes a word of
    general Chinese with a neighbour (從事, 自己: ``word_frequency`` in jieba's dictionary) starts no span."""
    for m in re.finditer(r"从|自", piece):
        pair = (piece[max(m.start() - 1, 0) : m.end()], piece[m.start() : m.end() + 1])
        if m.start() >= 2 and len(piece) - m.end() >= 2:
            if not any(len(w) == 2 and general_frequency(w) >= word_frequency for w in pair):
                return piece[m.end() :]
    return piece


def figure_kind(question: str) -> tuple[str, str]:
    """The kind of figure a question asks (search form) and a count's classifier: ``("period", "")``
    (幾年一次), ``("span", "")`` (幾天), ``("year", "")``, ``("count", "项")``, ``("percentage", "")``, ``("amount", "")`` or
    ``("", "")``."""
    if _ASKS_PERIOD.search(question):
        return "period", ""  # 幾年一次: how often, not which year
    if _ASKS_SPAN.search(question):
        return "span", ""  # 幾天, 幾個月: a length of time (七天內, 二十天內)
    if re.search(r"几年|多少年|多久|哪一?年|何年|how many years|how long|\byears?\b", question):
        return "year", ""
    if re.search(r"百分点|percentage points?", question):
        return "percentage", ""  # 幾個百分點 counts points of a percentage, not things
    count = _COUNT_OF.search(question)
    if count:
        return "count", count.group(1)
    if _ASKS_PERCENTAGE.search(question):
        return "percentage", ""
    if _ASKS_AMOUNT.search(question) or re.search(r"多少", question):
        return "amount", ""
    return "", ""


def split_parts(
    question: str,
    join_frequency: int = Settings.join_word_frequency,
    event_chars: int = Settings.span_event_chars,
) -> QuestionParts | None:
    """The named parts of a question that asks a difference, a sum or each one's figure, or None.

    Args:
        question: The question's focus, search form.
        join_frequency: ``Settings.join_word_frequency``.
        event_chars: ``Settings.span_event_chars``: a span's end that short shares the subject
            written before 從 (「成果轉化法從通過到2015年修正」: the parts are 通過 and 2015年修正).

    Returns:
        The parts (two or more, each at least two characters) and the operation; None when the
        question asks no difference, sum or figure of each (分別是哪一年, 各有幾項), asks no
        figure (各做什麼), or names fewer than two parts.
    """
    difference = _DIFFERENCE.search(question)
    total = _SUM.search(question)
    each = _EACH.search(question)
    if total:
        operation, at = "sum", total.start()
    elif difference and _COMPARED.search(question):
        operation, at = "difference", difference.start()
    elif each:
        operation, at = "each", each.start()
    else:
        return None
    kind, classifier = figure_kind(question)
    if not kind:
        return None
    # The parts are joined inside one clause: the last clause before the operation that joins two
    # (or, as English writes them, the first after it: how many years between A and B).
    clauses = [c for c in _CLAUSE.split(question[:at]) if len(joined(c, join_frequency)) >= 2]
    after = [
        c
        for c in _CLAUSE.split(_ENGLISH_LEAD.sub("", question[at:]))
        if len(joined(c, join_frequency, than=False)) >= 2
    ]
    than = bool(clauses)
    clauses = clauses or after[:1]
    if not clauses:
        return None
    pieces = [p.strip() for p in joined(clauses[-1], join_frequency, than)]
    before = [c for c in _CLAUSE.split(question[:at]) if c.strip()]
    if than and pieces and not pieces[0] and len(before) >= 2 and before[-1] == clauses[-1]:
        pieces[0] = before[-2].strip()  # 「A的抵減率，比B高幾個百分點」: A is the clause before 比
    if pieces:
        pieces[0] = _LEADING.sub("", pieces[0])
        event = re.sub(r"[\d年月日\s]", "", pieces[-1])
        if len(pieces) == 2 and len(event) <= event_chars:
            pieces[0] = _span_start(pieces[0], join_frequency)
        pieces[-1] = _ASKING.sub("", _DEMONSTRATIVE.sub("", pieces[-1]))
    parts = tuple(p for p in pieces if len(p) >= 2)
    if len(parts) < 2:
        return None
    return QuestionParts(parts, operation, kind, classifier)


def _positions(forms: Sequence[str], text: str) -> list[int]:
    """Where the part's words occur in ``text``, whole or shortened (國際獎 in 國際新創獎項)."""
    for form in forms:  # the part's first word the text holds: 第二階段 of 「第二階段的補助上限」
        found = [m.start() for m in re.finditer(re.escape(form), text)] if form else []
        if found:
            return found
    return [at for form in forms for at in shortened_at(form, text)]


def figure_of(
    kind: str,
    classifier: str,
    forms: Sequence[str],
    text: str,
    taken: frozenset[int] = frozenset(),
    context: str = "",
    caps: bool = True,
) -> Figure | None:
    """The figure of one part in ``text``, or None.

    Years and amounts are the ones written closest to the part's words; a count is a number
    written with the classifier asked (5組), else the number of quoted items (「…」、「…」) or
    numbered items the text lists.

    Args:
        kind: ``"year"``, ``"count"``, ``"percentage"`` or ``"amount"`` (:func:`figure_kind`).
        classifier: A count's classifier (search form).
        forms: The part's words (search form).
        text: The evidence unit with its context.
        taken: Offsets of figures another part of the question already reads.
        context: What the unit is about (a call-out's name, a title): it may name the part,
            its figures are not the unit's (a title's 「（2015年修正）」).
        caps: Whether a cap's figure (「…並以不超過…百分之三十為限」) may be the part's; False when
            the question asks a rate or an amount, not its bound (:func:`assistant.rules.asks_bound`).
    """
    norm = to_search_form(text)
    places = _positions(forms, norm) or (_positions(forms, to_search_form(context)) and [0])
    if not places:
        return None
    if kind in ("period", "span"):
        # A rule gives several lengths of time (審查期限…二個月，…補正…七天內): the one next to any
        # of the part's words, not only its first (審查 of 「審查時被通知補正資料」).
        places = (
            sorted(
                {
                    at
                    for form in forms
                    if form
                    for at in (m.start() for m in re.finditer(re.escape(form), norm))
                }
            )
            or places
        )

    def closest(found: list[tuple[int, float, str]]) -> Figure | None:
        found = [f for f in found if f[0] not in taken and (caps or not _capped(norm, f[0]))]
        if not found:
            return None
        at, value, written = min(found, key=lambda f: min(abs(f[0] - p) for p in places))
        return Figure(value, written, at)

    if kind == "year":
        # 民國 years count in the western calendar, so that 2014 and 民國86年 are 17 years apart.
        return closest([(y.start, float(y.western), str(y.western)) for y in calendar_years(norm)])
    if kind == "count":
        counted = re.compile(r"(\d+|[一两二三四五六七八九十]+)\s*" + re.escape(classifier))
        found: list[tuple[int, float, str]] = []
        for m in counted.finditer(norm):
            number = chinese_number(m.group(1).replace("两", "二"))
            if number is not None:
                found.append((m.start(), float(number), f"{number}{to_traditional(classifier)}"))
        if found:
            return closest(found)
        runs = [m.group(0).count("「") for m in _QUOTED_RUN.finditer(norm)]
        listed = max(runs, default=0) or item_count(text)
        return Figure(float(listed), f"{listed}{to_traditional(classifier)}", -1) if listed >= 2 else None
    if kind == "percentage":
        return closest(percentages(norm))
    if kind in ("period", "span"):
        periods: list[tuple[int, float, str]] = []
        for m in (_PERIOD if kind == "period" else _SPAN).finditer(norm):
            number = chinese_number(m.group(1).replace("两", "二"))
            if number is not None:
                periods.append((m.start(), number * _MONTHS[m.group(2)], to_traditional(m.group(0))))
        return closest(periods)
    if kind == "amount":
        amounts: list[tuple[int, float, str]] = []
        for m in AMOUNT.finditer(norm):
            if not is_money(norm, m) or WESTERN_YEAR.fullmatch(m.group(1)):
                continue
            scale = {"亿": 1e8, "万": 1e4, "千": 1e3}.get(m.group(2) or "", 1.0)
            written = to_traditional(m.group(0).strip().rstrip(","))
            sign = "NT$" if not (m.group(2) or "元" in m.group(0)) else ""  # is_money: a currency sign
            amounts.append((m.start(), float(m.group(1).replace(",", "")) * scale, sign + written))
        for m in _CHINESE_AMOUNT.finditer(norm):  # 新臺幣二千萬元, 一百二十萬元
            number = chinese_number(m.group(1).replace("两", "二"))
            if number is not None:
                scale = 1e8 if m.group(2) == "亿" else 1e4
                amounts.append((m.start(), float(number) * scale, to_traditional(m.group(0))))
        return closest(amounts)
    return None


#: What makes a figure a cap on something else (search form): 以不超過…為限, 上限.
_CAP = re.compile(r"为限|不得?超过|上限")
#: Where the clause of a figure ends.
_FIGURE_CLAUSE = re.compile(r"[，,。；;：:\n]")


def _capped(norm: str, at: int) -> bool:
    """Whether the figure at ``at`` of ``norm`` (search form) is stated as a cap, in its own clause:
    「並以不超過該公司當年度應納營利事業所得稅額百分之三十為限」 caps the credit, it is not the rate."""
    starts = [m.end() for m in _FIGURE_CLAUSE.finditer(norm, 0, at)]
    end = _FIGURE_CLAUSE.search(norm, at)
    return bool(_CAP.search(norm[starts[-1] if starts else 0 : end.start() if end else len(norm)]))


def percentages(norm: str) -> list[tuple[int, float, str]]:
    """Every percentage of ``norm`` (search form): offset, value (20.0 for 百分之二十), as written."""
    found: list[tuple[int, float, str]] = []
    for m in _PERCENTAGE.finditer(norm):
        if _CONDITION.match(norm, m.end()):
            continue  # 「…百分之五十以下者」 names the case a rule is for, not the rule's figure
        value: float | None
        if m.group(3):  # tenths: 九成五 is 95
            tenths = "一二三四五六七八九"
            value = 10.0 * (tenths.index(m.group(3).replace("两", "二")) + 1)
            value += tenths.index(m.group(4)) + 1 if m.group(4) else 0
        else:
            value = chinese_number(m.group(1).replace("两", "二")) if m.group(1) else float(m.group(2))
        if value is not None:
            found.append((m.start(), float(value), to_traditional(m.group(0).strip())))
    for m in _FRACTION.finditer(norm):
        if _CONDITION.match(norm, m.end()):
            continue
        if not m.group(1):
            value = 50.0  # 一半, 半數
        else:
            whole = 1000 if m.group(1) == "千" else chinese_number(m.group(1).replace("两", "二"))
            part = chinese_number(m.group(2))
            if not whole or part is None or part > whole:
                continue
            value = 100.0 * part / whole
        found.append((m.start(), value, to_traditional(m.group(0))))
    return sorted(found)


def gives_figure(parts: QuestionParts, text: str) -> bool:
    """Whether ``text`` states a figure of the kind the question asks (a year, a count, an amount)."""
    norm = to_search_form(text)
    if parts.kind == "year":
        return bool(calendar_years(norm))
    if parts.kind == "count":
        return bool(re.search(r"\d\s*" + re.escape(parts.classifier), norm) or _QUOTED_RUN.search(norm))
    if parts.kind == "percentage":
        return bool(percentages(norm))
    if parts.kind in ("period", "span"):
        return bool((_PERIOD if parts.kind == "period" else _SPAN).search(norm))
    return any(is_money(norm, m) for m in AMOUNT.finditer(norm))


def _shown(value: float, kind: str, unit: str, operation: str = "difference") -> str:
    """A computed figure as the answer writes it: 17年, 7項, 3,000萬元; percentages differ by
    20個百分點 and add up to 80%."""
    if kind == "percentage":
        return f"{value:g}%" if operation == "sum" else f"{value:g}個百分點"
    if kind in ("period", "span"):
        if value % 12 == 0:
            return f"{value / 12:g}年"
        return f"{value:g}個月" if value >= 1 and value == int(value) else f"{round(value * 30):g}天"
    if kind == "amount":
        for scale, name in ((1e8, "億"), (1e4, "萬")):
            if value >= scale and value % (scale / 100) == 0:
                return f"{value / scale:,.2f}".rstrip("0").rstrip(".") + f"{name}元"
        return f"{value:,.0f}元"
    return f"{value:g}{unit}"


def computation_lead(parts: QuestionParts, figures: Sequence[Figure]) -> tuple[str, str]:
    """The answer's lead and the computation as the trace shows it, from each part's figure.

    「相差17年（2014−1997）：」, 「合計7項（3＋4）：」.
    """
    unit = {"year": "年", "count": to_traditional(parts.classifier)}.get(parts.kind, "")
    values = [f.value for f in figures]
    if parts.operation == "difference":
        hi, lo = max(values), min(values)
        written = [f.written for f in sorted(figures, key=lambda f: -f.value)]
        result = _shown(hi - lo, parts.kind, unit)
        formula = f"{written[0]}−{written[-1]}"
        return f"相差{result}（{formula}）：", f"{formula} = {result}"
    if parts.operation == "each":
        named = [
            f"{to_traditional(p)}{f.written}{unit if parts.kind == 'year' else ''}"
            for p, f in zip(parts.parts, figures, strict=True)
        ]
        return f"{'，'.join(named)}：", f"each: {'; '.join(named)}"
    result = _shown(sum(values), parts.kind, unit, "sum")
    formula = "＋".join(f.written for f in figures)
    return f"合計{result}（{formula}）：", f"{formula} = {result}"


#: What a part's missing figure is called in the answer.
_FIGURE_NAME = {
    "year": "年份",
    "count": "數量",
    "percentage": "比率",
    "amount": "金額",
    "period": "週期",
    "span": "期間",
}


@dataclass(frozen=True)
class PartEvidence:
    """The evidence picked for one part, and its figure (None: no evidence gives one)."""

    part: str
    evidence: Evidence | None
    figure: Figure | None
    #: The calibrated probability that the evidence answers the part (-1: none was read).
    probability: float = -1.0


class PartAnswers:
    """The answerer's multi-part shape, mixed into :class:`assistant.answer.ExtractiveAnswerer`."""

    settings: Settings
    refusal_threshold: float
    refusal_model: RefusalModel | None
    answer_probability: float
    _dense_norm: Callable[[float, bool], float]

    def _part_answered(self, query: QueryTerms, terms: Sequence[Term], ev: Evidence, margin: float) -> float:
        """The calibrated probability that ``ev`` answers one part: the refusal model's signals
        for the sub-question of the part's own words and the words all parts share."""
        text = ev.sentence.context + ev.sentence.text
        cov = coverage(terms, text)
        around = coverage(terms, f"{ev.passage.section}\n{ev.passage.text}")
        dn = self._dense_norm(ev.dense, query.cjk)
        support = 0.5 * max(cov, 0.8 * around) + 0.5 * dn
        if self.refusal_model is None:
            return 1.0 if support >= self.refusal_threshold else 0.0
        values = signals(support, cov, ev.dense, query.foreign_share, True, margin)
        return self.refusal_model.decide(values, self.answer_probability, self.settings.refusal_clip_sd)[1]

    def _parts(
        self, query: QueryTerms, evidence: Sequence[Evidence]
    ) -> tuple[QuestionParts, list[PartEvidence]] | None:
        """One evidence unit per part of a difference or sum question, with its figure; None when
        the question asks none or a part names no word of the question's terms."""
        parts = split_parts(query.question, self.settings.join_word_frequency, self.settings.span_event_chars)
        if parts is None:
            return None
        # Each part's terms, in the order the part writes them.
        claimed = [
            sorted(
                (t for t in query.terms if any(f in part for f in t.forms)),
                key=lambda t: min(part.find(f) for f in t.forms if f in part),
            )
            for part in parts.parts
        ]
        if not all(claimed):
            return None
        shared_terms = [t for t in query.terms if t.asked and not any(t in own for own in claimed)]
        margin = evidence[0].score - evidence[min(4, len(evidence) - 1)].score if evidence else 0.0
        caps = asks_bound(query.question)  # a rate asked is not the cap stated beside it
        picked: dict[int, PartEvidence] = {}
        taken: dict[int, frozenset[int]] = {}
        # A part that names its own figure (「2015年修正」) reads it first; the others read another
        # figure of the same unit (「1996年…通過 2015年…修正」) or another unit.
        order = sorted(range(len(parts.parts)), key=lambda i: not re.search(r"\d", parts.parts[i]))
        for i in order:
            found = self._part_evidence(parts, claimed[i], shared_terms, evidence, taken, caps)
            p = self._part_answered(query, [*claimed[i], *shared_terms], found[0], margin) if found else -1.0
            if found is None or p < self.answer_probability:
                picked[i] = PartEvidence(parts.parts[i], None, None, p)  # no evidence, or not answered
                continue
            ev, figure = found
            taken[id(ev)] = taken.get(id(ev), frozenset()) | {figure.at}
            picked[i] = PartEvidence(parts.parts[i], ev, figure, p)
        return parts, [picked[i] for i in range(len(parts.parts))]

    def _part_evidence(
        self,
        parts: QuestionParts,
        own: Sequence[Term],
        shared_terms: Sequence[Term],
        evidence: Sequence[Evidence],
        taken: dict[int, frozenset[int]],
        caps: bool = True,
    ) -> tuple[Evidence, Figure] | None:
        """The evidence unit about one part that gives its figure (one no other part reads), best first."""
        # A part named only in words no document uses (拿到國際獎) is found by any one of them.
        named = [(t.forms, t.weight) for t in own if t.known]
        gap = self.settings.shortened_term_gap
        need = (
            self.settings.part_term_share
            if named
            else min(t.weight for t in own) / sum(t.weight for t in own)
        )
        named = named or [(t.forms, t.weight) for t in own]
        shared = [(t.forms, t.weight) for t in shared_terms]
        forms = [f for fs, _ in named for f in fs]
        best: tuple[tuple[float, ...], Evidence, Figure] | None = None
        # A part named by its article (「第10條的抵減率」) is about every unit of that article,
        # whose label is the passage's section (…｜第10條), not a word of its sentences.
        articles = {a for f in forms for a in article_tokens(f)}
        for ev in evidence:
            text = ev.sentence.context + ev.sentence.text
            labelled = bool(articles) and bool(
                articles & set(article_tokens(to_search_form(ev.passage.section)))
            )
            share = 1.0 if labelled else held_share(named, text, gap)
            if share < need:
                continue
            sentence = ev.sentence
            figure = figure_of(
                parts.kind,
                parts.classifier,
                forms,
                sentence.text,
                taken.get(id(ev), frozenset()),
                f"{ev.passage.section}\n{sentence.context}" if labelled else sentence.context,
                caps,
            )
            if figure is None:
                continue
            around = held_share(shared, f"{ev.passage.section}\n{text}", gap) if shared else 1.0
            # The unit that names the part as a word of its own (科技專案, not the one inside
            # 業界科技專案) beats one that names it inside a longer name; one that names it in its
            # own words beats one whose context names it.
            key = (coverage(own, text), share, held_share(named, sentence.text, gap), around, ev.score)
            if best is None or key > best[0]:
                best = (key, ev, figure)
        return (best[1], best[2]) if best else None

    def _parts_answer(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        support: float,
        diagnostics: dict[str, float | str],
        convert: Callable[[str], str],
        refusal: str,
    ) -> Composition | None:
        """The computed answer of a difference or sum question, every operand cited; None when the
        question asks none (or its parts cannot be told apart in the evidence).

        A part whose figure no evidence gives is named as missing and nothing is computed; when
        no part's figure is found a difference or sum is refused. A question for each part's
        figure with a part whose figure is missing is answered as a comparison (None).
        """
        found = self._parts(query, evidence)
        if found is None:
            return None
        parts, picked = found
        diagnostics["parts"] = " | ".join(parts.parts)
        diagnostics["operation"] = f"{parts.operation} of {parts.kind}s"
        diagnostics["part_probabilities"] = " | ".join(f"{p.probability:.2f}" for p in picked)
        given = [p for p in picked if p.evidence is not None and p.figure is not None]
        if len(given) < len(picked) and parts.operation == "each":
            # 「第一階段上限跟審查週期各差在哪」, 「年酬勞、獎金、加班費各有什麼上限」: nothing is
            # computed, so a part without a figure of the kind asked (a cap in months, a row of
            # 較長/較短) is answered as a comparison, from what the evidence says of each part.
            diagnostics["shape"] = "parts: a part without a figure, answered as a comparison"
            return None
        if not given:
            diagnostics["reason"] = f"no evidence gives the {parts.kind} of any part ({diagnostics['parts']})"
            diagnostics["shape"] = diagnostics["decided_by"] = "parts: no operand found"
            return Composition(refusal, [], True, support, diagnostics)
        same = {(id(p.evidence), p.figure.at, p.figure.value) for p in given}  # type: ignore[union-attr]
        if len(given) > 1 and len(same) == 1:
            return None  # both parts read the same figure of one sentence: they are not told apart
        chosen: list[Evidence] = []
        for p in given:
            if p.evidence not in chosen:
                chosen.append(p.evidence)  # type: ignore[arg-type]
        marker = {id(ev): n for n, ev in enumerate(chosen, start=1)}
        diagnostics["operands"] = "; ".join(
            f"{p.part}: {p.figure.written} [{marker[id(p.evidence)]}]"  # type: ignore[union-attr]
            for p in given
        )
        missing = [p.part for p in picked if p not in given]
        if missing:
            named = "、".join(f"「{to_traditional(m)}」" for m in missing)
            lead = f"文件沒有寫出{named}的{_FIGURE_NAME[parts.kind]}，無法計算；文件寫的是："
            diagnostics["computation"] = f"not computed: no {parts.kind} for {', '.join(missing)}"
            diagnostics["shape"] = "parts: an operand is missing"
        else:
            lead, diagnostics["computation"] = computation_lead(parts, [p.figure for p in given])  # type: ignore[misc]
            diagnostics["shape"] = f"parts: {parts.operation} of cited {parts.kind}s"
        return write_answer(chosen, support, diagnostics, convert, lead=lead)


def sub_queries(parts: QuestionParts, query: QueryTerms) -> list[str]:
    """One search query per part: the part's own words and the words all parts share.

    「花蓮跟台東那兩個東部中心，研發主軸加起來總共幾項？」 → 「花莲 东部 中心 研发主轴」, 「台东 东部 中心 研发主轴」.
    """
    shared = [
        t.forms[0] for t in query.terms if t.asked and not any(f in p for p in parts.parts for f in t.forms)
    ]
    return [" ".join([part, *shared]) for part in parts.parts]


def part_searches(query: QueryTerms, settings: Settings) -> list[tuple[str, Callable[[str], bool]]]:
    """The searches of a question of several parts, each with what a passage found must hold.

    A difference or sum (:func:`split_parts`): one search per part, keeping passages that give
    a figure of the kind asked. A question about each of several things (「半導體跟資通訊各做
    什麼？」, :func:`assistant.lists.question_facets`): one search per thing, keeping all.
    Empty for other questions.
    """
    split = split_parts(query.question, settings.join_word_frequency, settings.span_event_chars)
    if split is not None:
        return [(sub, partial(gives_figure, split)) for sub in sub_queries(split, query)]
    facets = question_facets(query, settings.max_facets)
    shared = [t.forms[0] for t in query.terms if t.asked and t.forms not in facets]
    return [(" ".join([facet[0], *shared]), _any_passage) for facet in facets]


def _any_passage(text: str) -> bool:
    return True


#: Asks about what is not (yet) so (search form): 還沒, 尚未, 未, 其餘; the words after it name
#: what the counted rest lacks.
_NOT_YET = re.compile(r"还没有?|尚未|仍未|还未|没有|其余|其他|剩下|剩余")
#: A total count (search form): 共52組, 共培育52組, 合計52組 (a verb of up to four characters between).
_TOTAL = r"(?:共|总共|合计|总计|一共)[^\d，,。；;]{0,4}?(\d+)\s*"
#: Where a rule's clause ends: its percentage belongs to the clause's own subject.
_RULE_CLAUSE = re.compile(r"[；;。\n]")
#: A number the message states (search form) with its unit of money: 500萬, 2,000萬元, 3億.
_STATED_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿|万|千)?\s*(元|块)?")


def remainder_lead(question: str, terms: Sequence[tuple[tuple[str, ...], float]], text: str, gap: int) -> str:
    """For 「有幾組還沒完成公司設立？」 answered by 「共培育52組…，分別促成16組…完成公司設立、…」,
    the total less the count of those that are so: 「36組（52−16）：」.

    The question asks a count (幾組) of what is not (yet) so (還沒, 尚未, 未, 其餘); the text gives a
    total with that classifier (共52組) and, after it, an item with a count of the same classifier
    that holds every asked word written after the negation (完成, 公司, 設立). "" otherwise.
    """
    asked, negation = _COUNT_OF.search(question), _NOT_YET.search(question)
    if not asked or not negation:
        return ""
    classifier = asked.group(1)
    rest = question[negation.end() :]
    done = [(forms, w) for forms, w in terms if any(f in rest for f in forms)]
    norm = to_search_form(text)
    total = re.search(_TOTAL + re.escape(classifier), norm)
    if not done or not total:
        return ""
    for item in re.split(r"[、，,；;。\n]", norm[total.end() :]):
        count = re.search(r"(\d+)\s*" + re.escape(classifier), item)
        if count and held_share(done, item, gap) >= 1.0 and int(count.group(1)) <= int(total.group(1)):
            whole, part = int(total.group(1)), int(count.group(1))
            return f"{whole - part}{to_traditional(classifier)}（{whole}−{part}）："
    return ""


#: What asks inside a clause (search form): 多少, 幾, a question mark.
_ASKS_IN_CLAUSE = re.compile(r"多少|几|[?？]|吗|呢")


def share_of_stated_lead(query: QueryTerms, text: str, gap: int) -> str:
    """For 「管理費是500萬，績效獎勵最多能拿多少？」 answered by 「…績效獎勵之上限，不得超過管理費之
    百分之二十」, the stated amount times the cited percentage: 「100萬元（500萬×百分之二十）：」;
    for 「研發費用60億，營收淨額最多多少才達門檻？」 answered by 「研究發展費用占營業收入淨額比率達
    百分之六」 (the stated amount is the share of the whole asked), divided: 「1,000億元（60億÷百分之六）：」.

    The focus asks an amount (多少, 上限) and no percentage; the message states exactly one amount
    of money outside the focus, after a word of its terms (管理費是500萬) or right before one
    (60萬現金投資); the clause of the text
    (cut at ；。) that holds that word and a percentage, and most of the question's other words,
    gives the rate. "" otherwise.
    """
    if not _ASKS_AMOUNT.search(query.question) and "多少" not in query.question:
        return ""
    if _ASKS_PERCENTAGE.search(query.question) or not query.given:
        return ""
    outside = query.given.replace(query.question.rstrip("?？"), "")
    if not outside.strip(" ?？,，。"):
        # the focus is the whole message: its clauses that ask nothing state what is given
        # (「假設某公司研發費用剛好60億，營收淨額最多多少…」)
        outside = "，".join(c for c in re.split(r"[，,]", query.question) if not _ASKS_IN_CLAUSE.search(c))
    stated = [
        m
        for m in _STATED_AMOUNT.finditer(outside)
        if (m.group(2) or m.group(3)) and not WESTERN_YEAR.fullmatch(m.group(1))
    ]
    if len(stated) != 1:
        return ""
    amount = stated[0]
    before = outside[: amount.start()]
    of = [t for t in query.terms if any(f in before[-8:] for f in t.forms)]
    base = [t.forms for t in of]
    if not base:
        # 「我打算拿60萬現金投資…」 (the asker's own clause, whose words are no query terms): the
        # words right after the amount name what it is of.
        base = [(w,) for w in content_terms(outside[amount.end() : amount.end() + 6])]
    if not base:
        return ""
    terms = [(t.forms, t.weight) for t in query.terms]
    asked = [(t.forms, t.weight) for t in query.terms if t.asked and t not in of]
    best: tuple[float, tuple[int, float, str], bool] | None = None
    for clause in _RULE_CLAUSE.split(to_search_form(text)):
        rates = percentages(clause)
        if len(rates) != 1 or not any(f in clause for forms in base for f in forms):
            continue
        # 「研究發展費用占營業收入淨額比率達百分之六」: the stated amount is the share (before 占)
        # and the question asks the whole (after it): the whole is the amount divided by the rate.
        at = clause.find("占")
        whole = (
            at > 0
            and any(f in clause[:at] for forms in base for f in forms)
            and held_share(asked, clause[at:], gap) > 0
        )
        share = held_share(terms, clause, gap)
        if best is None or share > best[0]:
            best = (share, rates[0], bool(whole))
    if best is None or best[1][1] <= 0:
        return ""
    scale = {"亿": 1e8, "万": 1e4, "千": 1e3}.get(amount.group(2) or "", 1.0)
    given = float(amount.group(1).replace(",", "")) * scale
    written = to_traditional(amount.group(0).strip())
    if best[2]:
        return f"{_shown(given * 100 / best[1][1], 'amount', '')}（{written}÷{best[1][2]}）："
    return f"{_shown(given * best[1][1] / 100, 'amount', '')}（{written}×{best[1][2]}）："


def figure_lead(query: QueryTerms, text: str, gap: int = Settings.shortened_term_gap) -> str:
    """The lead of the figure the question asks computed from the answer's first cited unit
    ``text``: a sum or extended limit (:func:`assistant.sums.arithmetic_lead`), a total less a
    part (:func:`remainder_lead`) or a stated amount times a cited rate (:func:`share_of_stated_lead`);
    "" when none applies."""
    asked = [(t.forms, t.weight) for t in query.terms if t.asked]
    return (
        arithmetic_lead(query.question, asked, text, gap)
        or remainder_lead(query.question, asked, text, gap)
        or share_of_stated_lead(query, text, gap)
    )
