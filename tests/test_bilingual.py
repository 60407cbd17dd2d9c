"""English words → the documents' Chinese words, read backwards from a dictionary (assistant/bilingual.py)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.bilingual import ChineseBridge, EnglishBridge, EnglishText, is_english
from assistant.retrieve import Retriever
from core.settings import Settings
from ingest.index import open_index, run_ingest

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


def test_a_name_glossed_with_a_description_is_glossed_by_the_name() -> None:
    entries = [
        ("立法院", ["Legislative Yuan, the legislative branch of government under the constitution"]),
        ("大", ["big, huge"]),  # one character: never a bridge, whatever its glosses
    ]
    bridge = EnglishBridge(ENTRIES + entries, share=0.5)
    found = bridge.chinese_for("the Legislative Yuan", present=lambda w: True)
    assert [(b.english, b.chinese) for b in found] == [("legislative yuan", "立法院")]
    # the description after the comma is no gloss
    assert bridge.chinese_for("legislative branch", present=lambda w: True) == []


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


ACRONYM_ENTRIES = [
    *ENTRIES,
    ("扩增实境", ["augmented reality (computing)"]),
    ("年度报告", ["annual report"]),
    ("研究发展", ["research and development"]),
    ("各地", ["various regions"]),  # two characters: an everyday phrase, never an acronym's
    ("得以", ["able to", "so that sb can"]),  # a gloss of filler words is no expansion
]


def test_an_acronym_is_read_as_the_initials_of_a_gloss() -> None:
    bridge = EnglishBridge(ACRONYM_ENTRIES, share=0.5)
    found = bridge.chinese_for("AR/VR 是哪個領域在做？", present=lambda w: w != "年度报告")
    assert ("ar", "扩增实境") in {(b.english, b.chinese) for b in found}
    assert ("vr", "虚拟实境") in {(b.english, b.chinese) for b in found}
    # R&D skips the initial of "and"; the headword the documents lack is never kept
    assert [b.chinese for b in bridge.chinese_for("R&D", present=lambda w: True)] == ["研究发展"]
    assert bridge.chinese_for("VR", present=lambda w: w == "各地") == []
    assert bridge.chinese_for("SO", present=lambda w: True) == []


def test_an_acronym_starts_with_a_word_of_substance_and_may_name_a_two_character_word() -> None:
    entries = [
        ("原则上", ["in principle", "generally"]),  # "in principle" is no IP
        ("智慧财产", ["intellectual property"]),
        ("研发", ["research and development", "to develop"]),  # three words: R&D
        ("各地", ["in all parts of (a country)", "various regions"]),  # two words: no VR
    ]
    bridge = EnglishBridge(entries, share=0.5)
    assert [b.chinese for b in bridge.chinese_for("IP", present=lambda w: True)] == ["智慧财产"]
    assert [b.chinese for b in bridge.chinese_for("R&D", present=lambda w: True)] == ["研发"]
    assert bridge.chinese_for("VR", present=lambda w: True) == []
    # A two-character headword is read only when no longer one is there: AR is 扩增实境.
    both = EnglishBridge([("研区", ["area of research"]), ("扩增实境", ["augmented reality"])], share=0.5)
    assert [b.chinese for b in both.chinese_for("AR", present=lambda w: True)] == ["扩增实境"]
    assert [b.chinese for b in both.chinese_for("AR", present=lambda w: w == "研区")] == ["研区"]


def test_an_acronym_the_documents_write_is_not_bridged() -> None:
    bridge = EnglishBridge(ACRONYM_ENTRIES, share=0.5)
    assert bridge.chinese_for("AR", present=lambda w: True, writes={"ar"}.__contains__) == []
    # lower-case letters are a word, not an acronym
    assert not any(b.english == "ar" for b in bridge.chinese_for("ar", present=lambda w: True))


def test_english_names_the_documents_write_next_to_their_chinese_are_aliases() -> None:
    from assistant.glossary import Glossary

    found = Glossary.from_texts(
        [
            "推動「小型企業創新研發計畫」（SBIR）與人工智慧（AI）、虛擬實境(Virtual Reality)；平均月薪（A）×人月數（B）"
        ]
    )
    assert found.aliases_of("sbir") == ["小型企业创新研发计划"]  # the quoted name
    assert found.aliases_of("ai") == ["人工智慧"]  # the run's name, without the conjunction 與
    assert found.aliases_of("virtual reality") == ["虚拟实境"]  # without the verb 推動
    assert found.aliases_of("a") == [] and found.aliases_of("b") == []  # a one-letter label names nothing
    assert found.expand("Which technology programs cover virtual reality?") == ["虚拟实境"]
    assert found.expand("Is there a program for SBIRs?") == ["小型企业创新研发计划"]  # plural of the name
    assert found.expand("taiwan") == []  # "ai" inside a word is not the name


@pytest.mark.slow  # reads the bundled CC-CEDICT (about 2 s)
def test_translations_the_passages_nearest_the_question_use_come_first(
    tmp_settings: Settings, fake_embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "field" glosses 領域 and 田地 alike; the seed document says 領域 far more often, but the
    # passage nearest the question (here: forced) speaks of farmland.
    (tmp_settings.corpus_dir / "farm.md").write_text(
        "# 農業\n\n## 耕地\n\n農民的田地面積逐年減少。\n", encoding="utf-8"
    )
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)

    def translations(k: int) -> list[str]:
        settings = tmp_settings.replace(english_context_passages=k)
        retriever = Retriever(open_index(settings, fake_embeddings), fake_embeddings, settings)
        snap = retriever._current()
        nearest = next(pid for pid, text in zip(snap.ids, snap.texts, strict=True) if "田地" in text)
        monkeypatch.setattr(Retriever, "dense", lambda self, vector, k: [(nearest, 1.0)])
        return [b.chinese for b in retriever.english_words("How large is the field?") if b.english == "field"]

    assert translations(0)[0] == "领域"  # by how common in the documents
    assert translations(1)[0] == "田地"  # the nearest passage's word first


#: English passages, and a Chinese one (its words are no English words of the corpus).
ENGLISH_PASSAGES = [
    "Phase 1: feasibility study. The subsidy covers up to NT$ 1 million per project.",
    "Small Enterprise Loan: up to 80% of the project for revolving funds.",
    "Business Angel Investment Program supports entrepreneurs.",
    "計畫補助上限為一百萬元（subsidy）。",
]
CHINESE_ENTRIES = [
    ("阶段", ["stage", "section", "phase", "period"]),
    ("补助", ["to subsidize", "subsidy"]),
    ("计划", ["plan", "project", "program", "to plan"]),
    ("上限", ["upper limit", "cap"]),
    ("天使", ["angel"]),
    ("投资", ["investment", "to invest"]),
    ("基金", ["fund"]),
    ("餐厅", ["restaurant", "dining room"]),
    ("贷款", ["a loan", "CL:筆|笔[bi3]", "to provide a loan"]),
]


def test_an_english_passage_is_one_whose_latin_letters_outnumber_its_chinese() -> None:
    assert is_english(ENGLISH_PASSAGES[1])
    assert is_english("Small Enterprise Loan (企業小頭家貸款) – This loan is targeting registered companies.")
    assert not is_english(ENGLISH_PASSAGES[3])
    assert not is_english("１２３")
    assert not is_english("YY/MM")  # a date format in a Chinese form
    assert not is_english("項目：官方網站；內容：https://www.economic.taichung.gov.tw/")
    assert not is_english("sbir@moea.gov.tw https://www.sbir.org.tw/")


def test_chinese_words_map_to_the_english_passages_glosses_by_their_stems() -> None:
    bridge = ChineseBridge(CHINESE_ENTRIES)
    text = EnglishText(ENGLISH_PASSAGES)
    assert bridge.english_for("阶段", text) == ["phase"]
    assert bridge.english_for("补助", text) == ["subsidy"]
    assert bridge.english_for("基金", text) == ["funds"]  # the passages' own word, plural
    assert bridge.english_for("贷款", text) == ["loan"]  # CEDICT's "a" and the CL: entry left out
    assert bridge.english_for("计划", text, per_word=1) == ["project"]  # the commonest first
    assert bridge.english_for("上限", text) == []  # only the Chinese passage has a word for it
    assert bridge.english_for("餐厅", text) == []  # no English passage speaks of it


def test_a_word_the_dictionary_lacks_is_read_as_two_headwords() -> None:
    bridge = ChineseBridge(CHINESE_ENTRIES)
    text = EnglishText(ENGLISH_PASSAGES)
    assert bridge.english_for("天使投资", text) == ["angel", "investment"]
    assert bridge.english_for("天使餐厅", text) == []  # each part must have a gloss the passages use
    assert bridge.english_for("阶段", EnglishText(ENGLISH_PASSAGES[3:])) == []  # no English passage


def test_bundled_dictionary_bridges_chinese_question_words_to_english_passages() -> None:
    bridge = ChineseBridge.bundled()
    text = EnglishText(ENGLISH_PASSAGES)
    assert "phase" in bridge.english_for("阶段", text)
    assert "subsidy" in bridge.english_for("补助", text)
    assert "loan" in bridge.english_for("贷款", text)


def test_a_chinese_ordinal_is_the_english_word_and_its_number() -> None:
    bridge = ChineseBridge(CHINESE_ENTRIES)
    text = EnglishText(ENGLISH_PASSAGES)
    assert bridge.english_for("第一阶段", text) == ["phase 1"]
    assert bridge.english_for("第2阶段", text) == ["phase"]  # no phase 2 there: the word alone


def test_an_acronym_is_spelled_out_by_the_initials_of_the_passages_words() -> None:
    text = EnglishText(
        [*ENGLISH_PASSAGES, "The Ministry of Digital Affairs reviews small and medium enterprises."]
    )
    assert text.spells("moda") and text.spells("mda")  # with or without the initial of "of"
    assert text.spells("smes") and text.spells("sme")  # a plural acronym
    assert not text.spells("sbir")
    assert not text.spells("mdr")  # initials of words that do not follow one another


def test_long_glosses_abbreviations_words_in_another_order_and_one_character_parts() -> None:
    entries = [
        *CHINESE_ENTRIES,
        ("中小企业", ["small and medium enterprise (SME)"]),
        ("差旅费", ["travel expenses"]),
        ("发展", ["development", "to develop"]),
        ("部", ["ministry", "department"]),
    ]
    bridge = ChineseBridge(entries)
    text = EnglishText(
        [*ENGLISH_PASSAGES, "Expenses for travel of small and medium enterprises (SMEs) by the agency."]
    )
    assert "small and medium enterprises" in bridge.english_for("中小企业", text)
    assert set(bridge.english_for("差旅费", text)) == {"travel", "expenses"}  # one passage, another order
    assert bridge.english_for("发展部", EnglishText(["The development of industry is promoted."])) == [
        "development"
    ]
    assert bridge.english_for("部", text) == []  # a single character alone says too little


def test_a_word_that_glosses_only_proper_names_is_a_name() -> None:
    entries = [
        ("日本", ["Japan"]),
        ("东瀛", ["Japan"]),
        ("补助", ["subsidy", "to subsidize"]),
        ("补贴", ["subsidy"]),
        ("中国", ["China"]),
        ("瓷器", ["china (porcelain)", "porcelain"]),
    ]
    bridge = EnglishBridge(entries, share=0.5, names=frozenset({"日本", "东瀛", "中国"}))
    assert bridge.name_for("Japan") == ("东瀛", "日本")
    # A word that also glosses a common noun is no name, nor one no proper name is glossed by.
    assert bridge.name_for("china") == ()
    assert bridge.name_for("subsidy") == ()
    assert bridge.name_for("Atlantis") == ()


@pytest.mark.slow  # reads the bundled CC-CEDICT (about 2 s)
def test_cc_cedict_marks_names_by_capitalised_pinyin() -> None:
    bridge = EnglishBridge.bundled()
    assert "日本" in bridge.name_for("Japan") and bridge.name_for("Kaohsiung") == ("高雄",)
    assert bridge.name_for("subsidy") == ()
