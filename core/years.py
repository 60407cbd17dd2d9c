"""Calendar years as Taiwanese and Chinese documents write them, each with its western value.

Two calendars are in use: western years (2014年, 2014) and 民國 (Republic of China) years
(民國103年, 103年5月, 自109年6月26日起, 設立於63年, and in records 111.03.25). 民國1年 is 1912, so a 民國 year is the western
year minus 1911 (the Minguo calendar, used in Taiwan's official documents).

A bare 「N年」 of two or three digits is a duration as often as a year (10年以上, 3年內), so it is
read as a 民國 year only where a point in time is meant: after 民國; before a month, 年度, 年底,
年初 or 起/止; or after a word that places a point in time (自, 於, 從, 至, 到, 截至, 迄, 在).
Text is expected in search form (:func:`core.text.to_search_form`: Simplified, half-width).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import chinese_number

#: Offset of the 民國 calendar: 民國 N 年 is western year N + 1911.
ROC_OFFSET = 1911
#: 民國 years read from a bare 「N年」 lie in this range (民國20年 = 1931 to 民國150年 = 2061).
ROC_RANGE = (20, 150)

#: A western year of four digits (1900-2099) not inside a longer number.
WESTERN_YEAR = re.compile(
    r"(?<![\d.])(?<!\d,)((?:19|20)\d{2})(?!\d|[.,]\d|\s*(?:万|亿|元|人|家|件|组|个|名|项|笔|%|多))"
)
_ROC_NAMED = re.compile(r"民国\s*(\d{1,3}|[〇零一二三四五六七八九十百]+)\s*年")
#: A bare 「N年」 that is a date: a month, 年度/年底/年初 or 起/止 follows it.
_ROC_DATED = re.compile(
    r"(?<![\d.])(\d{2,3})\s*年(?=\s*(?:\d{1,2}\s*月|[〇零一二三四五六七八九十]{1,2}月|度|底|初|起|止))"
)
#: A bare 「N年」 after a word placing a point in time (自109年, 于63年), not a span (于10年内).
_ROC_PLACED = re.compile(
    r"(?:自|于|从|至|到|截至|迄|在)\s*(\d{2,3})\s*年(?!\s*(?:以[上下内]|内|间|来|后|期|半|多|左右))"
)

#: A year in Chinese numerals without 民國 (search form), as laws date things: followed by a
#: month or by 度/底/初/起/止 (一百零八年十二月三十一日, 九十年度), or placed by 自/於/至 (施行至一百
#: 十八年). A bare 「二年」 is a length of time, and one or two numerals are never read so.
_CN = "〇零一二三四五六七八九十百"
CHINESE_NUMERAL_YEAR = re.compile(
    rf"(?<![{_CN}])([{_CN}]{{2,}})\s*年(?=\s*(?:[一二三四五六七八九十]{{1,3}}\s*月|\d{{1,2}}\s*月|度|底|初|起|止))"
    rf"|(?:自|于|从|至|到|截至|迄)\s*([{_CN}]{{2,}})\s*年(?!\s*(?:以[上下内]|内|间|来|后|期|半|多|左右))"
)

#: A date written with dots or slashes, as Taiwanese records date things (search form): 民國
#: 111.03.25, 95/02/14, or western 2022.03.25. Month 1-12 and day 1-31; not inside a longer number.
DOTTED_DATE = re.compile(
    r"(?<![\d.,/])(\d{2,4})(?P<sep>[./])(?:0?[1-9]|1[0-2])(?P=sep)(?:0?[1-9]|[12]\d|3[01])(?![\d]|[.,/]\d)"
)


@dataclass(frozen=True)
class YearMention:
    """One calendar year in a text.

    Attributes:
        start: Offset of its first character (the 民 of 民國, else the first digit).
        end: Offset just past its last character.
        western: The year in the western calendar (2014 for 民國103年).
        written: The text as written (``2014``, ``民国103年``, ``103年``).
        roc: True when written in the 民國 calendar.
    """

    start: int
    end: int
    western: int
    written: str
    roc: bool


def calendar_years(text: str) -> list[YearMention]:
    """Every calendar year of ``text`` (search form), in order of offset.

    Returns:
        One :class:`YearMention` per year; a 民國 year named twice by the patterns counts once.
    """
    found: dict[int, YearMention] = {}
    for m in WESTERN_YEAR.finditer(text):
        found[m.start(1)] = YearMention(m.start(1), m.end(1), int(m.group(1)), m.group(1), False)
    for m in _ROC_NAMED.finditer(text):
        number = m.group(1)
        value = int(number) if number.isdigit() else chinese_number(number)
        if value:
            found[m.start()] = YearMention(m.start(), m.end(), value + ROC_OFFSET, m.group(0), True)
    named = [(y.start, y.end) for y in found.values() if y.roc]
    for m in CHINESE_NUMERAL_YEAR.finditer(text):
        group = 1 if m.group(1) else 2
        value = chinese_number(m.group(group))
        at = m.start(group)
        if value is None or any(a <= at < b for a, b in named):
            continue
        end = text.index("年", m.end(group)) + 1
        if 1900 <= value <= 2099:  # 一九七九年: a western year written digit by digit
            found.setdefault(at, YearMention(at, end, value, text[at:end], False))
        elif ROC_RANGE[0] <= value <= ROC_RANGE[1]:
            found.setdefault(at, YearMention(at, end, value + ROC_OFFSET, text[at:end], True))
    for m in DOTTED_DATE.finditer(text):
        value = int(m.group(1))
        if 1900 <= value <= 2099:
            found.setdefault(m.start(1), YearMention(m.start(1), m.end(1), value, m.group(1), False))
        elif ROC_RANGE[0] <= value <= ROC_RANGE[1] and not any(a <= m.start() < b for a, b in named):
            found.setdefault(
                m.start(1), YearMention(m.start(1), m.end(1), value + ROC_OFFSET, m.group(1), True)
            )
    for pattern in (_ROC_DATED, _ROC_PLACED):
        for m in pattern.finditer(text):
            value = int(m.group(1))
            at = m.start(1)
            if not ROC_RANGE[0] <= value <= ROC_RANGE[1] or any(a <= at < b for a, b in named):
                continue
            end = text.index("年", m.end(1)) + 1
            found.setdefault(at, YearMention(at, end, value + ROC_OFFSET, text[at:end], True))
    return sorted(found.values(), key=lambda y: y.start)


def calendar_forms(text: str) -> dict[str, tuple[str, ...]]:
    """The number of each calendar year of ``text`` (search form) as a question's terms hold it,
    to the forms of the same year in the other calendar: ``86`` (民國86年) → ``("1997",)``,
    ``一一一`` (民國一一一年) → ``("2022",)``, ``2014`` → ``("103年",)``."""
    out: dict[str, tuple[str, ...]] = {}
    for year in calendar_years(text):
        number = re.sub(r"^民国\s*|\s*年$", "", year.written)
        if year.roc:
            out[number] = (str(year.western),)
        elif year.western - ROC_OFFSET >= ROC_RANGE[0]:
            out[number] = (f"{year.western - ROC_OFFSET}年",)
    return out


#: A day of the month or a month, in digits or Chinese numerals (17, 十七).
_DAY = r"(\d{1,2}|[一二三四五六七八九十]+)"
#: A period between two days of the calendar (search form): 5月17日至6月21日, 114年3月1日起至
#: 114年4月30日止; each year optional (民國 or western). Groups: year, month, day of the first
#: and of the last day.
DATE_RANGE = re.compile(
    rf"(?:(\d{{2,4}})\s*年\s*)?{_DAY}\s*月\s*{_DAY}\s*日[^，,。；;]{{0,6}}?(?:至|到|~|～|－|—|-)\s*"
    rf"(?:(\d{{2,4}})\s*年\s*)?{_DAY}\s*月\s*{_DAY}\s*日"
)


#: Words saying something began at the year next to them (search form).
_START_AFTER = re.compile(r"^[^，。,;；]{0,3}?(起|开始|启动|实施|推动|推出|开办|成立|设立|创立|转型|施行)")
_START_BEFORE = re.compile(r"(?:[自从]|(?:成立|设立|创立|创办|开办|启动|开始|推出|实施|施行)于)\s*$")
#: A month and day after the year (自109年6月26日起): the start word follows right after it.
_MONTH_DAY = re.compile(
    r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月(?:\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日)?"
)


def starts_at_year(text: str) -> bool:
    """Whether ``text`` (search form) says something began in a year: 「自2014年起」,
    「1997年開始推動」, 「自109年6月26日起」, 「設立於63年」, in either calendar."""
    for year in calendar_years(text):
        before = re.sub(r"民国\s*$", "", text[max(0, year.start - 6) : year.start])
        if _START_BEFORE.search(before):
            return True
        after = text[year.end : year.end + 12]
        if year.written.isdigit():  # 2014 of 「2014年起」: the 年 is after it
            after = re.sub(r"^\s*年", "", after)
        dated = _MONTH_DAY.match(after)
        if dated:  # 「109年6月26日起」, not 「113年5月提出推動方案」
            if re.match(r"\s*(?:起|开始)", after[dated.end() :]):
                return True
        elif _START_AFTER.search(re.sub(r"^\s*度", "", after)):
            return True
    return False
