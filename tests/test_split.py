"""Splitting into passages and sentences."""

from __future__ import annotations

from core.text import sentence_spans
from ingest.clean import clean_text
from ingest.split import split_document


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
