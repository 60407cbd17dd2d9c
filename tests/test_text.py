"""Script conversion, search form and index tokens (core.text; no models)."""

from __future__ import annotations

import pytest

from assistant.evidence import question_numbers as evidence_numbers
from assistant.query import question_numbers
from core.text import (
    article_tokens,
    bigrams,
    detect_script,
    figure_tokens,
    figures_as_digits,
    index_tokens,
    sentence_spans,
    to_search_form,
    to_traditional,
    without_articles,
)


def test_variants_and_scripts_meet_in_search_form() -> None:
    assert to_search_form("臺南") == to_search_form("台南")  # 臺/台 variants
    assert to_search_form("臺灣") == to_search_form("台湾")  # variant and script at once
    assert to_search_form("國際新創奬項") == to_search_form("国际新创奖项")
    assert to_search_form("ＡＢＣ５Ｇ") == "abc5g"  # full width folded


def test_detect_script() -> None:
    assert detect_script("南台湾创新园区在哪里？") == "hans"
    assert detect_script("南臺灣創新園區在哪裡？") == "hant"
    assert detect_script("When did it start?") == "hant"


def test_to_traditional_uses_taiwan_wording() -> None:
    assert to_traditional("软件") == "軟體"


def test_index_tokens_are_bigrams_and_latin_words() -> None:
    tokens = index_tokens("經濟部南臺灣創新園區 A+計畫 5G")
    assert tokens[:3] == ["经济", "济部", "部南"]
    assert "台湾" in tokens and "a+" in tokens and "5g" in tokens
    assert "南台" in bigrams("經濟部南臺灣創新園區")


def test_traditional_text_with_taiwan_phrases_is_traditional() -> None:
    """s2twp rewrites phrases (優化 → 最佳化, 舞臺 → 舞台); a Traditional quote must not count as
    Simplified, or the answer converts it and its words no longer match the document."""
    from core.text import detect_script

    assert detect_script("透過優化法規制度，也將科專新創事業推向國際舞臺") == "hant"
    assert detect_script("透过优化法规制度，也将科专新创事业推向国际舞台") == "hans"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("第 36-2 條", ["第36-2条"]),
        ("並增訂第 35-1、36-2、36-3 條條文", ["第36-3条"]),  # the last of a list of articles
        ("第10條之1與10條之一", ["第10-1条", "第10-1条"]),  # one token per reference (BM25 counts)
        ("產創條例10條之1", ["第10-1条"]),
        ("依本法10條規定", ["第10条"]),
        ("本條例共有72條", []),
        ("修正發布全文 19條", []),  # a count of articles
    ],
)
def test_one_article_pattern_for_documents_and_questions(text: str, tokens: list[str]) -> None:
    assert article_tokens(text) == tokens


def test_article_numbers_are_no_figures_of_the_question() -> None:
    """10-1條 names where to look: neither question_numbers reads it as the figure 10."""
    for numbers in (question_numbers, evidence_numbers):
        assert numbers("10-1條跟第10條的抵減率差在哪？") == ()
        assert numbers("產創條例10條之1在2022年改了什麼？") == ("2022",)
        assert numbers("Article 24 since 2019") == ("2019",)
    assert without_articles("產創條例10條在講什麼").startswith("產創條例 ")


@pytest.mark.parametrize(
    ("question", "document", "value"),
    [
        ("未滿35歲可以申請嗎", "代表人年齡為已成年至未滿三十五歲", "35"),
        ("最高可以貸200萬嗎", "每次貸放額度最高為新臺幣（以下同）二百萬元", "2000000"),
        ("抵減率是25%嗎", "得按支出金額百分之二十五，抵減", "25"),
        ("113年度的稅率", "自一百十三年度起為百分之十五", "113"),
        ("一年可以申請幾次", "每 1 年申請 1 次為限", "1"),
        ("研發費用60億", "研究發展費用達新臺幣六十億元", "6000000000"),
        ("補助總額2.5萬元", "最高當年度補助總額以二萬五千元為原則", "25000"),
        ("三天內通知", "應於事實發生起3日內", "3"),
    ],
)
def test_a_figure_in_digits_or_chinese_numerals_gives_one_index_token(
    question: str, document: str, value: str
) -> None:
    assert value in set(index_tokens(question)) & set(index_tokens(document))


def test_figures_in_plain_digits_add_no_tokens_and_numerals_without_a_measure_word_are_none() -> None:
    """35歲 already gives the token 35; 一般, 統一, a list marker (一、) and a bare number are no figures."""
    assert figure_tokens("未滿35歲，補助1年") == []
    assert figure_tokens("統一一般事項") == []
    assert figure_tokens("一、申請資格 (二) 115/3/1 第10-1條") == []
    assert figures_as_digits("統一一般事項") == to_search_form("統一一般事項")
    assert figures_as_digits("2,000,000元與1.5萬") == "2000000元与15000元"
    assert figures_as_digits("三個月內") == figures_as_digits("3 個月內") == "3个月内"
    assert figure_tokens("一百十一年") == ["111"] and figure_tokens("一年") == ["1"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("It is paid yearly. The amount is 5 million.", ["It is paid yearly.", "The amount is 5 million."]),
        (
            "See Art. 5 and No. 95, Sec. 2, Roosevelt Rd. Taipei.",
            ["See Art. 5 and No. 95, Sec. 2, Roosevelt Rd. Taipei."],
        ),
        (
            "Pay 1.5 million at www.sme.gov.tw. Then stop.",
            ["Pay 1.5 million at www.sme.gov.tw.", "Then stop."],
        ),
        ("Firms apply, e.g. small firms. Done.", ["Firms apply, e.g. small firms.", "Done."]),
        ("Signed by J. Smith. Done.", ["Signed by J. Smith.", "Done."]),
        ("Met at 3 p.m. Monday. The end.", ["Met at 3 p.m. Monday.", "The end."]),
        ("It rises 30%. Next (see Article 3). Then.", ["It rises 30%.", "Next (see Article 3).", "Then."]),
        ("依第5條辦理。The rule applies.", ["依第5條辦理。", "The rule applies."]),
        ("the year. also lower case", ["the year. also lower case"]),
    ],
)
def test_english_sentences_end_at_a_full_stop_before_a_capital(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences
