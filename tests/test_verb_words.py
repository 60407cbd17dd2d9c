"""A question's verb with a direction or phase complement (撥下來, 交出去, 審完, 停掉) met by the
documents' words of its verb (撥付, 撥款, 審查): the segmenter's words, jieba's dictionary tags and a corpus written here."""

from __future__ import annotations

import pytest

from assistant.lexicon import content_terms, names_a_thing, verb_stem
from assistant.retrieve import Retriever
from core.settings import Settings
from core.text import to_search_form as sf
from ingest.index import open_index, run_ingest

#: A grant's payment rules as a programme's notes would write them (written for this test).
PAYMENTS = """# 補助款撥付說明

一、補助款分二期撥付，簽約後撥付第一期款百分之五十。
二、期末審查通過後，撥付第二期款百分之五十。
三、撥款前，受補助單位應檢附領據及結案報告。
四、成果報告應於計畫結束後一個月內繳交，經審查通過後結案。
"""


@pytest.mark.parametrize(
    ("question", "term", "verb"),
    [
        ("補助款什麼時候會撥下來？", "撥下來", "撥"),
        ("報告要交出去嗎？", "交出去", "交"),
        ("錢什麼時候會發下來", "發下來", "發"),  # the segmenter glues 會 to 發: the verb is 發
    ],
)
def test_a_verb_and_its_direction_complement_are_one_term_judged_by_the_verb(
    question: str, term: str, verb: str
) -> None:
    assert sf(term) in content_terms(sf(question))
    assert verb_stem(sf(term)) == sf(verb)


@pytest.mark.parametrize(
    ("question", "term", "verb"),
    [
        ("計畫書什麼時候要寫完？", "寫完", "寫"),
        ("這個帳號可以刪掉嗎", "刪掉", "刪"),
        ("結案報告多久會審完", "審完", "審"),  # the segmenter reads 會審 (a joint trial): 會 + 審完
    ],
)
def test_a_verb_and_its_phase_complement_are_one_term_judged_by_the_verb(
    question: str, term: str, verb: str
) -> None:
    assert sf(term) in content_terms(sf(question))
    assert verb_stem(sf(term)) == sf(verb)


def test_a_verb_joined_to_its_complement_names_no_thing() -> None:
    # A follow-up of verbs alone asks about the thing named before (jieba tags 寫完, 撥下來 x).
    assert not names_a_thing(sf("什麼時候寫完？"))
    assert not names_a_thing(sf("什麼時候會撥下來？"))
    assert names_a_thing(sf("報告什麼時候寫完？"))


def test_a_complement_after_a_word_of_its_own_stays_apart() -> None:
    # 審查 is a word already (not 審 + 查完); 做 is a frame word, 做完 names no act of a document.
    assert sf("審查") in content_terms(sf("審查完還要多久？"))
    assert sf("查完") not in content_terms(sf("審查完還要多久？"))
    assert sf("做完") not in content_terms(sf("計畫做完以後要交什麼？"))


def test_a_complement_after_no_verb_stays_a_word() -> None:
    # 過去 as "the past", after a preposition or at the start: no verb to join.
    assert sf("過去") in content_terms(sf("過去三年補助了幾家？"))
    assert sf("過去") in content_terms(sf("在過去補助過幾家？"))
    assert verb_stem(sf("過去")) == "" and verb_stem(sf("補助款")) == ""


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, fake_embeddings) -> Retriever:
    root = tmp_path_factory.mktemp("verbs")
    (root / "corpus").mkdir()
    (root / "corpus" / "payments.md").write_text(PAYMENTS, encoding="utf-8")
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    run_ingest(settings, embeddings=fake_embeddings, progress=False)
    return Retriever(open_index(settings, fake_embeddings), fake_embeddings, settings)


def test_the_documents_words_of_a_verb_most_used_first(retriever: Retriever) -> None:
    assert retriever.verb_words(sf("撥")) == [sf("撥付"), sf("撥款")]
    # Only verbs of general Chinese: 繳交 is one, 後撥 (a slip across two words) is none.
    assert retriever.verb_words(sf("繳")) == [sf("繳交")]
    assert retriever.verb_words(sf("撥付")) == [] and retriever.verb_words("") == []
    # A phase complement: 審完 is met by the documents' 審查.
    assert retriever.verb_words(verb_stem(sf("審完"))) == [sf("審查")]
    expanded = retriever.expansions(sf("補助款什麼時候會撥下來"))
    assert sf("撥付") in expanded
