"""The question side's segmentation and content terms (assistant.lexicon; no models)."""

from __future__ import annotations

from assistant.lexicon import content_terms


def test_content_terms_drop_question_words_and_connectives() -> None:
    assert content_terms("那生醫呢？") == ["生医"]
    terms = content_terms("A+淬鍊計畫是哪一年開始的？")
    assert "a+" in terms and any("淬炼" in t for t in terms)
    assert "哪一年" not in terms and "开始" not in terms
