"""English words → the documents' Chinese words, read backwards from a dictionary (assistant/bilingual.py)."""

from __future__ import annotations

import pytest

from assistant.bilingual import EnglishBridge

#: A few CC-CEDICT-shaped entries: (simplified headword, definitions).
ENTRIES = [
    ("领域", ["domain", "sphere", "field", "territory", "area"]),
    ("田地", ["field", "farmland", "cropland", "plight"]),
    ("计画", ["variant of 计划|计划[ji4 hua4]"]),
    ("计划", ["plan", "project", "program", "to plan", "to map out", "CL:個|个[ge4],項|项[xiang4]"]),
    ("涵盖", ["to cover", "to comprise", "to include"]),
    ("虚拟实境", ["virtual reality (Tw)"]),
    ("实境", ["reality"]),
    ("人工智能", ["artificial intelligence (AI)"]),
    ("王", ["king", "surname Wang"]),  # one character: never a bridge
    ("张三", ["Zhang San", "any man", "(generic) John Doe"]),
    ("成立", ["to establish", "to set up", "to hold water"]),  # an idiom's word is no gloss of its own
    ("位于", ["to be located at", "to be situated at"]),
]


def _bridge(share: float = 0.5) -> EnglishBridge:
    return EnglishBridge(ENTRIES, share=share)


def test_words_map_to_headwords_whose_gloss_they_are() -> None:
    found = _bridge().chinese_for("Which fields did the program cover?", present=lambda w: True)
    pairs = {(b.english, b.chinese) for b in found}
    assert ("fields", "领域") in pairs  # the plural meets the gloss "field" by its stem
    assert ("program", "计划") in pairs
    assert ("cover", "涵盖") in pairs  # "to cover": CEDICT's "to" is filler
    assert not any(b.chinese == "计画" for b in found)  # "variant of" is a reference, not a gloss
    assert _bridge().chinese_for("water", present=lambda w: True) == []
    assert [b.chinese for b in _bridge().chinese_for("located", present=lambda w: True)] == ["位于"]


def test_only_words_the_documents_contain_are_kept() -> None:
    corpus = "各领域的计划"
    found = _bridge().chinese_for("fields and programs", present=lambda w: w in corpus)
    assert {b.chinese for b in found} == {"领域", "计划"}


def test_a_phrase_is_matched_before_its_words_and_abbreviations_map() -> None:
    found = _bridge().chinese_for("virtual reality and AI", present=lambda w: True)
    assert [(b.english, b.chinese) for b in found if b.english != "and"] == [
        ("virtual reality", "虚拟实境"),
        ("ai", "人工智能"),
    ]  # "reality" alone (实境) is not looked up once its phrase matched


def test_per_word_limit_and_the_preferred_word_first() -> None:
    found = _bridge().chinese_for(
        "field", present=lambda w: True, per_word=1, prefer={"领域": 5.0, "田地": 1.0}.__getitem__
    )
    assert [b.chinese for b in found] == ["领域"]  # the one preferred (more common in the documents)
    found = _bridge().chinese_for(
        "field", present=lambda w: True, per_word=1, prefer={"领域": 1.0, "田地": 5.0}.__getitem__
    )
    assert [b.chinese for b in found] == ["田地"]
    assert _bridge().chinese_for("field", present=lambda w: True, per_word=0) == []


def test_function_words_and_skipped_words_are_not_looked_up() -> None:
    # With a tiny share every word glossing two or more headwords counts as a function word.
    assert _bridge(share=0.1).chinese_for("field", present=lambda w: True) == []
    assert _bridge().chinese_for("which field", present=lambda w: True, skip={"field"}) == []


def test_single_characters_and_chinese_text_give_nothing() -> None:
    assert _bridge().chinese_for("king", present=lambda w: True) == []
    assert _bridge().chinese_for("領域是什麼", present=lambda w: True) == []


@pytest.mark.slow  # reads the bundled CC-CEDICT (about 2 s)
def test_bundled_dictionary_bridges_common_question_words() -> None:
    bridge = EnglishBridge.bundled()
    corpus = "布局半導體及光電、材化、生醫等领域，人工智慧、擴增實境，科技專案計劃，新創公司"
    from core.text import to_search_form

    text = to_search_form(corpus)
    found = bridge.chinese_for(
        "Which fields cover artificial intelligence and augmented reality for startups?",
        present=lambda w: w in text,
        skip={"which"},
    )
    chinese = {b.chinese for b in found}
    assert {"领域", "人工智慧", "扩增实境"} <= chinese, chinese


@pytest.mark.slow
def test_real_assistant_answers_an_english_question_from_the_fields_sentence(real_assistant) -> None:  # type: ignore[no-untyped-def]
    reply = real_assistant.ask("Which fields did the 2022 program cover?")
    assert not reply.refused
    quoted = " ".join(c.quote for c in reply.citations)
    assert "半導體及光電" in quoted and "資通訊" in quoted, quoted
