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
