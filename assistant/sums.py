"""The sums an answer leads with, within one cited unit: a limit with its extension, the days of
a period, counts added.

Differences and sums over several cited units are :mod:`assistant.parts`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from assistant.shapes import held_share
from core.settings import Settings
from core.text import chinese_number, to_search_form, to_traditional
from core.years import DATE_RANGE, ROC_OFFSET

#: A question about the longest time something may take: 最久拖幾個月, 最長幾天 (search form).
_ASKS_LONGEST = re.compile(r"(?:最久|最长|最多|最晚|上限).{0,12}(?:几个?月|几天|几日|几年|多久|多长)")
_SPAN = r"([0-9一二两三四五六七八九十]+)\s*(个月|日|天|年)"
#: A time limit, and its extension (期間不得逾四個月；必要時，得延長一個月).
_LIMIT = re.compile(_SPAN)
#: 延長一個月, 展延一次最長30日: the extension's span within a few characters of its verb.
_EXTENSION = re.compile(r"(?:延长|展延)[^，,。；;]{0,6}?" + _SPAN)


def extended_limit(question: str, text: str) -> str:
    """For 「最久可能拖幾個月？」 answered by a limit and its extension, their sum as the answer's lead.

    「…其期間不得逾四個月；必要時，得延長一個月。」 → 「最長共5個月（4個月，必要時延長1個月）：」.
    Empty when the question asks no longest time or the text holds no limit with an extension
    in the same unit.

    Args:
        question: The question, search form.
        text: The answer's first quoted unit.
    """
    if not _ASKS_LONGEST.search(question):
        return ""
    norm = to_search_form(text)
    extension = _EXTENSION.search(norm)
    if not extension:
        return ""
    limit = next(
        (m for m in _LIMIT.finditer(norm[: extension.start()]) if m.group(2) == extension.group(2)), None
    )
    a = chinese_number(limit.group(1)) if limit else None
    b = chinese_number(extension.group(1))
    if a is None or b is None:
        return ""
    unit = to_traditional(extension.group(2))
    when = "必要時" if "必要时" in norm[: extension.start()] else ""
    return f"最長共{a + b}{unit}（{a}{unit}，{when}延長{b}{unit}）："


#: A question about a total: 加總是幾組, 總共多少件 (search form).
_ASKS_SUM = re.compile(r"加总|合计|总计|总和|加起来|一共|总共|in total|altogether")
#: The classifier of the count asked for: 幾組 → 组.
_COUNT_OF = re.compile(r"(?:几|多少)\s*([个组家项件位名次人队所])")
#: Where the items of an enumeration part.
_ITEM_BREAK = re.compile(r"[、，,；;。\n]")


def figure_sum(
    question: str,
    terms: Sequence[tuple[tuple[str, ...], float]],
    text: str,
    gap: int = Settings.shortened_term_gap,
) -> str:
    """For 「…場域驗證、跟美商簽約、拿到國際獎的加總是幾組？」, the sum of the counts the cited
    text gives for the things the question names, as the answer's lead: 「合計15組（5＋5＋5）：」.

    Each item of the text's enumeration that names one of the question's terms and gives a count
    with the classifier asked for (5組) is added; fewer than two such items give no lead ("").

    Args:
        question: The question, search form.
        terms: The question's asked terms as ``(forms, weight)``.
        text: The answer's first quoted unit.
        gap: See :func:`held_share`.
    """
    asked = _COUNT_OF.search(question)
    if not _ASKS_SUM.search(question) or not asked:
        return ""
    classifier = asked.group(1)
    counted = re.compile(r"(\d+)\s*" + classifier)
    figures: list[int] = []
    for item in _ITEM_BREAK.split(to_search_form(text)):
        count = counted.search(item)
        if count and any(held_share([(forms, w)], item, gap) >= 1.0 for forms, w in terms if w > 0):
            figures.append(int(count.group(1)))
    if len(figures) < 2:
        return ""
    shown = to_traditional(classifier)
    return f"合計{sum(figures)}{shown}（{'＋'.join(map(str, figures))}）："


#: A question about how many days a period lasts: 總共幾天, 有多少天, how many days (search form).
_ASKS_DAYS = re.compile(r"(?:几|多少)\s*(?:个)?(?:天|日)(?!期)|how many days")


def period_days(question: str, text: str) -> str:
    """For 「受理期間總共幾天？」 answered by a period between two days, its length in days, both
    days counted, as the answer's lead: 「5月17日至6月21日」 → 「共36天（5月17日至6月21日，含首尾兩日）：」.

    The year is the one the text gives (民國 years read as 民國, :data:`core.years.ROC_OFFSET`),
    else a year without 29 February; a period whose end is before its start is none. Empty when
    the question asks no number of days or the text holds no such period.
    """
    if not _ASKS_DAYS.search(question):
        return ""
    match = DATE_RANGE.search(to_search_form(text))
    if not match:
        return ""
    y1, m1, d1, y2, m2, d2 = match.groups()

    def _year(written: str | None, default: int) -> int:
        if not written:
            return default
        value = int(written)
        return value + ROC_OFFSET if value < 1000 else value

    def _number(written: str) -> int:
        return int(written) if written.isdigit() else chinese_number(written) or 0

    first_year = _year(y1, 2001)
    try:
        start = date(first_year, _number(m1), _number(d1))
        end = date(_year(y2, first_year), _number(m2), _number(d2))
    except ValueError:
        return ""  # no such day (2月30日)
    if end < start:
        return ""
    days = (end - start).days + 1
    return f"共{days}天（{start.month}月{start.day}日至{end.month}月{end.day}日，含首尾兩日）："


def arithmetic_lead(
    question: str,
    terms: Sequence[tuple[tuple[str, ...], float]],
    text: str,
    gap: int = Settings.shortened_term_gap,
) -> str:
    """The lead of a sum the question asks for over the cited figures (see :func:`extended_limit`
    , :func:`period_days` and :func:`figure_sum`); "" when it asks none."""
    return (
        extended_limit(question, text)
        or period_days(question, text)
        or figure_sum(question, terms, text, gap)
    )
