"""The question side's segmentation and content terms (assistant.lexicon; no models)."""

from __future__ import annotations

import pytest

from assistant.lexicon import content_terms, leading_noun
from core.text import to_search_form


def test_content_terms_drop_question_words_and_connectives() -> None:
    assert content_terms("那生醫呢？") == ["生医"]
    terms = content_terms("A+淬鍊計畫是哪一年開始的？")
    assert "a+" in terms and any("淬炼" in t for t in terms)
    assert "哪一年" not in terms and "开始" not in terms


@pytest.mark.parametrize(
    ("text", "noun"),
    [
        ("研發重點呢", "研发重点"),  # a particle ends it
        ("領域在做AI", "领域"),  # so does a verb
        ("補助方案有哪些", "补助方案"),  # a verb right before a noun modifies it
        ("資格或條件", "资格或条件"),  # two nouns joined by 或
        ("中心的人", "中心"),  # not onto a noun of one character
        ("年開始的", ""),  # 幾年開始: no noun counted
    ],
)
def test_leading_noun_ends_where_the_noun_does(text: str, noun: str) -> None:
    assert leading_noun(to_search_form(text)) == noun


def test_a_way_to_do_something_is_a_modal_not_a_regulation() -> None:
    assert content_terms(to_search_form("有沒有辦法停掉")) == ["停掉"]
    assert "办法" in content_terms(to_search_form("成果歸屬及運用辦法有沒有規定"))
    assert "办法" in content_terms(to_search_form("有沒有辦法規定"))  # 辦法規定: the regulation's rule


def test_everyday_words_include_taiwan_wording_and_a_verb_or_localizer_glued_on() -> None:
    from assistant.lexicon import everyday_word, general_frequency

    assert general_frequency("网路") == general_frequency("网络")  # Taiwan's word, the mainland's count
    assert everyday_word("打广告", 1000) and everyday_word("网路上", 1000)
    # a suffix makes a noun of its own, a topic: 外國人, 創業家
    assert not everyday_word("外国人", 1000) and not everyday_word("创业家", 1000)


@pytest.fixture
def restored_words():
    """The words taught before the test are taught again after it (other tests' retrievers rely on them)."""
    from assistant import lexicon

    taught = set(lexicon._TAUGHT)
    yield
    lexicon.register_words(taught)


def test_forgetting_the_domain_words_gives_the_segmenter_its_own_dictionary_back(restored_words) -> None:
    from assistant.lexicon import forget_domain_words, part_of_speech, register_words, words

    text = "研发替代役男无故离开三天"
    plain = words(text)
    register_words(["替代役男无故", "研发"])  # a new word, and one of jieba's own (tag j)
    assert "替代役男无故" in words(text)
    assert forget_domain_words() >= 2
    assert words(text) == plain  # as if never taught: a later corpus segments as it would alone
    assert part_of_speech("研发") == "j"  # a word of jieba's own keeps its entry
    assert forget_domain_words() == 0


def test_a_joining_character_the_segmenter_glued_to_an_unknown_name_is_cut_off() -> None:
    # The segmenter guesses 跟安興 as one place name; 跟 joins 小額貸款 and 安興專案.
    assert "安兴" in content_terms("千億保的小額貸款跟安興專案，保證手續費各是多少？")
    assert not any(
        t.startswith("跟") for t in content_terms("千億保的小額貸款跟安興專案，保證手續費各是多少？")
    )
    assert "和平区" in content_terms("和平區的中心在哪")  # a name of the dictionary stays whole
