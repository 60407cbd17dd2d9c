"""A question's abbreviations of the documents' phrases (研發投抵 for 研究發展投資抵減), found in
the documents themselves: a corpus without a glossary (probe 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.retrieve import Retriever, _abbreviates
from core.settings import Settings
from core.text import to_search_form as sf
from ingest.index import open_index, run_ingest

#: 中小企業研究發展支出適用投資抵減辦法 (origin in tests/test_structure.py, WRAPPED_LAW).
LAW = Path(__file__).parent / "data" / "sme-rd-tax-credit-regulation.txt"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, fake_embeddings) -> Retriever:
    root = tmp_path_factory.mktemp("abbrev")
    (root / "corpus").mkdir()
    shutil.copy(LAW, root / "corpus" / LAW.name)
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    run_ingest(settings, embeddings=fake_embeddings, progress=False)
    return Retriever(open_index(settings, fake_embeddings), fake_embeddings, settings)


def test_an_abbreviation_is_spelled_out_by_the_documents_phrase(retriever: Retriever) -> None:
    # The first character of each word: 研(究)發(展), 投(資)抵(減) (抵減 is no word of the general
    # dictionary, 投資 is).
    assert retriever.spelled_out(sf("研發")) == [sf("研究發展")]
    assert retriever.spelled_out(sf("投抵")) == [sf("投資抵減")]
    expanded = retriever.expansions(sf("研發投抵的上限是多少"))
    assert sf("研究發展") in expanded and sf("投資抵減") in expanded


def test_a_character_of_an_abbreviation_may_stand_for_a_longer_word(retriever: Retriever) -> None:
    # 營所稅 is 營(利事業)所(得)稅: 營 stands for the four-character word 營利事業. The law writes
    # 營利事業所得稅 eleven times and 營所稅 never.
    spelled = retriever.spelled_out(sf("營所稅"))
    assert spelled and all(p.startswith(sf("營利事業所得稅")) for p in spelled)
    # The two-character case is unchanged: the shortest word is read first.
    assert retriever.spelled_out(sf("研發")) == [sf("研究發展")]


def test_words_the_documents_write_as_they_are_are_not_spelled_out(retriever: Retriever) -> None:
    for word in ("申請", "支出", "欠稅", "台灣", "研究發展", "x"):
        assert retriever.spelled_out(sf(word)) == [], word


def test_what_spells_an_abbreviation_out() -> None:
    words = {sf(w) for w in ("研究", "發展", "學界", "科技", "專案", "投資")}
    assert _abbreviates([sf(p) for p in ("研究", "發展")], words)
    # A whole word kept (學界) beside spelled-out ones (科技, 專案).
    assert _abbreviates([sf(p) for p in ("學", "界", "科技", "專案")], words)
    # One spelled-out piece only, two unknown pieces, or single characters that are no word: no.
    assert not _abbreviates([sf(p) for p in ("研究", "發")], words)
    assert not _abbreviates([sf(p) for p in ("抵減", "扣除")], words)
    assert not _abbreviates([sf(p) for p in ("國", "內", "科技", "專案")], words)


def test_a_word_kept_whole_may_be_followed_by_a_word_left_out() -> None:
    words = {sf(w) for w in ("產業", "發展", "局", "產發")}
    # 產業局 for 產業發展局: 產業 kept, 發展 left out, 局 kept.
    assert _abbreviates([sf(p) for p in ("產", "業發展", "局")], words)
    # What is left out must be a word of its own (業發 of 產業發 is none), and what is kept too.
    assert not _abbreviates([sf(p) for p in ("產", "業發", "局")], words)
    assert not _abbreviates([sf(p) for p in ("生", "業發展", "局")], words)
    # 開發新 of 開發綠色新材料: 開發 kept, 綠色 left out, but 新材 (cut from 新材料) is no word.
    words |= {sf(w) for w in ("開發", "綠色")}
    assert not _abbreviates([sf(p) for p in ("開", "發綠色", "新材")], words)
