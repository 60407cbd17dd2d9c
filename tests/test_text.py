"""Script conversion, search form and index tokens (core.text; no models)."""

from __future__ import annotations

from core.text import bigrams, detect_script, index_tokens, to_search_form, to_traditional


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
