"""Cleaning the PDF-extracted seed document."""

from __future__ import annotations

import re

from ingest.clean import PREFACE, clean_text


def test_page_number_inside_sentence_is_removed(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    assert "「A+企業創新研發淬鍊計畫」" in cleaned.text
    assert "A+企\n" not in cleaned.text
    assert not re.search(r"(?<!\d)01(?!\d)", cleaned.text)  # no stray page number left


def test_lines_join_without_spaces_and_bracket_padding_goes(seed_raw: str) -> None:
    text = clean_text(seed_raw).text
    assert "（簡稱技術司）" in text
    assert "「科學技術發展方案」" in text
    assert "國家科學技術發展計畫（民國110年~113年）" in text
    assert "「 " not in text and " 」" not in text and "（ " not in text
    # a sentence broken over lines reads whole
    assert "科技與創新已是產業乃至國家成長的重要動能" in text


def test_sections_are_detected(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    assert cleaned.sections == [
        PREFACE,
        "推動科技專案 引領創新能量",
        "布局關鍵領域 創造產業價值",
        "推動新創事業 挹注成長動能",
        "打造產業聚落 驅動區域創新",
        "科技加值傳產 強化競爭優勢",
    ]


def test_map_callouts_become_one_block_per_center(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    centers = {b.meta["name"]: b.meta for b in cleaned.blocks if b.kind == "callout"}
    assert len(centers) == 7
    assert centers["經濟部南臺灣創新園區"]["city"] == "臺南"
    assert centers["東部深層海水創新研發中心"]["city"] == "臺東"
    assert centers["傳統產業創新加值中心"]["city"] == "高雄"
    assert centers["經濟部中臺灣創新園區"]["city"] == "南投"
    assert centers["苗栗產業創新推動中心"]["focus"] == "多元複合與機能材料、加工製程優化、在地特色產業整合"
    assert centers["東部產業技術服務中心"]["mission"].startswith("輔導東部微型企業")
    assert all(b.section == "打造產業聚落 驅動區域創新" for b in cleaned.blocks if b.kind == "callout")


def test_body_sentence_interrupted_by_the_map_is_rejoined(seed_raw: str) -> None:
    text = clean_text(seed_raw).text
    assert "橫向串聯推動在地特色產業創新發展。" in text


def test_offsets_map_back_to_the_raw_file(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    assert len(cleaned.raw_offsets) == len(cleaned.text)
    for i, ch in enumerate(cleaned.text):
        offset = cleaned.raw_offsets[i]
        if offset >= 0:
            assert seed_raw[offset] == ch
    start = cleaned.text.index("七大誘因")
    raw_start, raw_end = cleaned.raw_span(start, start + 4)
    assert seed_raw[raw_start:raw_end] == "七大誘因"


def test_markdown_headings_and_paragraphs() -> None:
    raw = "# 標題一\n\n第一段第一行\n第一段第二行。\n\n## 標題二\n\nEnglish words\nstay apart.\n"
    cleaned = clean_text(raw, markdown=True)
    assert cleaned.sections == ["標題一", "標題二"]
    assert "第一段第一行第一段第二行。" in cleaned.text
    assert "English words stay apart." in cleaned.text
