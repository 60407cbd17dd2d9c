"""Calendar years in both calendars (core.years), and the rules that read them."""

from __future__ import annotations

import pytest

from assistant.language import _years_lead
from assistant.novelty import said_share
from assistant.rules import answer_type_ok
from core.text import to_search_form
from core.years import calendar_forms, calendar_years, starts_at_year


def _years(text: str) -> list[tuple[int, bool]]:
    return [(y.western, y.roc) for y in calendar_years(to_search_form(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本基金自2014年起辦理", [(2014, False)]),
        ("民國八十六年起實施", [(1997, True)]),
        ("民國 103 年修正", [(2014, True)]),
        ("中心成立於75年，隸屬本局", [(1986, True)]),
        ("自110年7月1日起受理申請", [(2021, True)]),
        ("112年度預算", [(2023, True)]),
        ("截至111年底，共計", [(2022, True)]),
        # Chinese numerals without 民國, as laws date things: before a month, 度, or after 至.
        ("施行至一百十八年十二月三十一日止", [(2029, True)]),
        ("自一百十二年九月二十六日起改由本署辦理", [(2023, True)]),
        ("九十年度預算", [(2001, True)]),
    ],
)
def test_years_of_either_calendar_are_found_with_their_western_value(
    text: str, expected: list[tuple[int, bool]]
) -> None:
    assert _years(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "計畫期程以3年為限",
        "應於10年內完成驗收",
        "保證期間最長20年以上者",
        "每人最高補助2000萬元",
        "共有1999家廠商參與",
        "補助期間二年",
        "於十年內完成",
        "自二十年以上之企業",
    ],
)
def test_durations_and_amounts_are_not_years(text: str) -> None:
    assert _years(text) == []


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("本方案自2014年起推動", True),
        ("1997年開始辦理研發補助", True),
        ("本會設立於58年，辦理輔導業務", True),
        ("自108年3月1日起改採線上申請", True),
        ("自一百十二年九月二十六日起改由產業發展署辦理", True),
        ("民國九十年推出本貸款", True),
        ("2022年共輔導40家企業", False),
        ("113年5月提出推動方案", False),
    ],
)
def test_a_start_is_read_in_either_calendar(text: str, starts: bool) -> None:
    assert starts_at_year(to_search_form(text)) is starts


def test_a_when_did_it_begin_question_is_answered_by_a_roc_start() -> None:
    question = to_search_form("這個輔導會是哪一年成立的？")
    assert answer_type_ok(question, "本會設立於58年，辦理中小企業輔導業務。")
    assert not answer_type_ok(question, "本會於112年輔導300家企業。")


def test_a_law_dated_in_chinese_numerals_holds_the_year_and_day_asked() -> None:
    until = to_search_form("這個辦法用到哪一年為止？")
    assert answer_type_ok(until, "並自一百零六年十一月二十四日施行至一百零八年十二月三十一日。")
    assert not answer_type_ok(until, "補助期間以二年為限。")
    day = to_search_form("從哪一天開始改由產業發展署辦理？")
    assert answer_type_ok(day, "自一百十二年九月二十六日起改由經濟部產業發展署辦理。")


def test_a_year_said_in_the_other_calendar_is_said() -> None:
    said = to_search_form("本貸款自民國103年起開辦。")
    assert said_share("自2014年起開辦本貸款。", said) == 1.0
    assert said_share("自2016年起擴大辦理。", said) == 0.0


def test_an_english_lead_gives_a_roc_year_in_the_western_calendar() -> None:
    lead = _years_lead("本貸款自民國103年起開辦[1]。")
    assert lead is not None and "2014" in lead and "ROC 103" in lead


def test_a_year_after_a_comma_is_a_year_and_a_thousands_group_is_not() -> None:
    assert _years("2001年起實施，2014年再推動，2,0140元") == [(2001, False), (2014, False)]


def test_each_year_of_a_question_has_its_form_in_the_other_calendar() -> None:
    assert calendar_forms(to_search_form("民國86年推了什麼")) == {"86": ("1997",)}
    assert calendar_forms(to_search_form("2014年推了什麼")) == {"2014": ("103年",)}
    assert calendar_forms(to_search_form("要執行3年嗎")) == {}  # a span is no year


def test_dates_written_with_dots_or_slashes_as_records_date_things() -> None:
    # 95.02.14 and 111/03/25 are 民國 dates of a record (2006, 2022); 2022.03.25 a western one.
    years = lambda text: [(y.western, y.written) for y in calendar_years(text)]  # noqa: E731
    assert years("95.02.14第10屆董事會議通過") == [(2006, "95")]
    assert years("於111/03/25修正") == [(2022, "111")]
    assert years("2022.03.25") == [(2022, "2022")]
    # A version number, a decimal and a month/day are no years.
    assert years("版本1.2.3") == years("3.14") == years("12/25") == []
    assert answer_type_ok("民国几年通过", "95.02.14第10届董事会议通过")
