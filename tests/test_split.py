"""Splitting into passages and sentences."""

from __future__ import annotations

from core.settings import Settings
from core.text import sentence_spans
from ingest.clean import clean_text
from ingest.split import Chunk, Sentence, lead_in_words, shared_path, split_document
from ingest.structure import parse_document


def test_passages_respect_sentences_sections_and_size(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    chunks, sentences = split_document(cleaned, "seed.txt", chunk_chars=200, overlap_sentences=1)
    assert chunks and sentences
    for chunk in chunks:
        assert cleaned.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text[-1] in "。！？；」\n" or chunk.kind == "center" or chunk.text.endswith("轉型。")
        block_sections = {b.section for b in cleaned.blocks if b.start < chunk.end and b.end > chunk.start}
        assert block_sections == {chunk.section}
        if chunk.kind == "text" and len(chunk.sentence_ids) > 1:
            assert len(chunk.text) <= 200
    for sentence in sentences:
        assert cleaned.text[sentence.start : sentence.end] == sentence.text
    centers = [c for c in chunks if c.kind == "center"]
    assert len(centers) == 7 and all(c.meta["city"] for c in centers)


def test_overlap_repeats_the_last_sentence() -> None:
    text = "甲句子一。" * 3 + "乙句子二。" * 3
    cleaned = clean_text(text, markdown=True)
    chunks, _ = split_document(cleaned, "t.md", chunk_chars=15, overlap_sentences=1)
    assert len(chunks) > 1
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end  # overlapping
        assert b.end > a.end  # but always adding new text


def test_ids_are_stable_and_content_derived(seed_raw: str) -> None:
    first, _ = split_document(clean_text(seed_raw), "seed.txt")
    second, _ = split_document(clean_text(seed_raw), "seed.txt")
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    other, _ = split_document(clean_text(seed_raw), "other.txt")
    assert not {c.id for c in first} & {c.id for c in other}


def test_sentence_spans_split_on_chinese_punctuation() -> None:
    text = "第一句。第二句！第三句？第四句；「引號。」尾巴"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["第一句。", "第二句！", "第三句？", "第四句；", "「引號。」", "尾巴"]


# -- numbered guides: short sibling sections packed, items with their lead-in ------------------

#: A guide as its PDF reads: points 一、二、 with sub-points, one of them a short section of its own.
GUIDE = """\
某市補助計畫申請須知

一、本府為鼓勵轄內企業研發，特訂定本須知。

二、申請資格應同時符合下列各款條件：

(一)依法辦理公司登記之中小企業，實收資本額在新臺幣一億元以下。

(二)有下列情形之一者，不符申請資格：

1.於5年內曾有執行政府計畫或採購有重大違約紀錄者。

2.有因執行政府計畫或採購受停權處分，且其期間尚未屆滿情事。

3.於3年內有欠繳應納稅捐情事。

4.就本補助案件，依其他法令享有租稅優惠、獎勵或補助。

5.本國設立及外國營利事業在臺設立之分公司。

6.公司狀態為解散、撤銷、停業或歇業。

(三)申請對象：

1.個別申請。

三、應備資料如下：

(一)申請書一式1份。

(二)計畫書一式6份。
"""


def _guide() -> tuple[list[Chunk], list[Sentence]]:
    cleaned, _ = parse_document(GUIDE, "txt", settings=Settings(numbered_sections=True))
    return split_document(cleaned, "guide.txt", chunk_chars=120)


def test_short_sibling_sections_of_a_guide_share_a_passage_cited_by_their_common_path() -> None:
    chunks, sentences = _guide()
    section_of = {s.text: s.section for s in sentences}
    # (三) is a section of its own (it has items), one line long: it is no passage of its own.
    assert section_of["1.個別申請。"] == "二、申請資格應同時符合下列各款條件 > (三)申請對象"
    holding = [c for c in chunks if "1.個別申請。" in c.text]
    assert all(len(c.text) > len("(三)申請對象：\n1.個別申請。") for c in holding)
    for c in chunks:
        held = [s for s in sentences if c.start <= s.start < c.end]
        assert len(c.text) <= 120 or len(held) == 1
        # a passage over several sections is cited by the path they share, never by one of them
        assert all(s.section.startswith(c.section) for s in held)
        assert len({s.section.split(" > ")[0] for s in held}) == 1  # never over two top-level points
    assert any(c.section == "二、申請資格應同時符合下列各款條件" and "(三)申請對象" in c.text for c in chunks)


def test_shared_path() -> None:
    assert shared_path(["甲 > 一、A", "甲 > 二、B"]) == "甲"
    assert shared_path(["甲 > 一、A > (一)x", "甲 > 一、A"]) == "甲 > 一、A"
    assert shared_path(["甲", "乙"]) == ""


def test_a_numbered_item_carries_its_lead_in_however_far_from_it() -> None:
    _, sentences = _guide()
    context = {s.text: s.lead for s in sentences}
    lead = "(二)有下列情形之一者，不符申請資格："
    # item 5 is in another passage than its lead-in: its context says what it is an item of
    assert context["5.本國設立及外國營利事業在臺設立之分公司。"] == lead
    assert context["6.公司狀態為解散、撤銷、停業或歇業。"] == lead
    # (二) is itself an item of 二、's list; an item of an outer list's kind closes the inner list
    assert context[lead] == "二、申請資格應同時符合下列各款條件："
    assert context["(三)申請對象："] == "二、申請資格應同時符合下列各款條件："
    assert context["1.個別申請。"] == "(三)申請對象："
    assert context["(一)申請書一式1份。"] == "三、應備資料如下："
    # a point that is no item of a list has no lead-in
    assert context["一、本府為鼓勵轄內企業研發，特訂定本須知。"] == ""


def test_a_law_articles_items_carry_its_lead_in() -> None:
    law = (
        "某某補助辦法\n\n第 4 條\n本部得提供下列產業創新活動之補助：\n一、促進產業創新。\n"
        "二、鼓勵企業設置研究發展中心。\n三、協助地方產業創新。\n"
        "前項所稱創新，指全新或改良之產品。\n\n"
        "第 5 條\n有下列各款情形之一者，不得申請補助：\n一、銀行拒絕往來戶。\n二、淨值為負。\n"
    )
    cleaned, _ = parse_document(law, "txt")
    _, sentences = split_document(cleaned, "law.txt", title="某某補助辦法")
    lead = {s.text: s.lead for s in sentences}
    assert lead["三、協助地方產業創新。"] == "本部得提供下列產業創新活動之補助："
    assert lead["二、淨值為負。"] == "有下列各款情形之一者，不得申請補助："
    # a paragraph after the list (前項…) is no item of it; the article's context is unchanged
    assert lead["前項所稱創新，指全新或改良之產品。"] == ""
    assert {s.context for s in sentences if s.text.startswith("二、")} == {
        "某某補助辦法第4條（第四條）：",
        "某某補助辦法第5條（第五條）：",
    }


def test_lead_in_words_keep_what_the_items_are() -> None:
    assert lead_in_words("(二)有下列情形之一者，不符申請資格：") == "(二)有下列情形之一者，不符申請資格："
    long = (
        "七、本須知之計畫申請日期、生效時間、申請表格與計畫書格式等相關資料將由本府另行訂定，其撰寫說明如下："
    )
    assert lead_in_words(long, 20) == "其撰寫說明如下："
    assert lead_in_words("六、應備妥下列資料：（影本請加蓋印章）") == "六、應備妥下列資料："
