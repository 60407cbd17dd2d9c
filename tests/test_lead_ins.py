"""A numbered item is quoted with its list's lead-in (ingest/split.py ``_LeadIns``, assistant/units.py
``lead_in``, assistant/flow.py ``_lead_in_passages``).

Quick tier: the retriever reads back the passages before an item's, with fake embeddings. Slow
tier: the real Keelung guide (a PDF) and the real model: item 8 of 「(二)有下列情形之一者，不符申請
資格：」, four passages after its lead-in, is quoted after it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.retrieve import Retriever
from core.settings import Settings
from ingest.index import open_index, run_ingest

#: A guide whose list of ten items runs over several passages after its lead-in.
GUIDE_TEXT = (
    "某市補助計畫申請須知\n\n一、本府為鼓勵轄內企業研發，特訂定本須知。\n\n二、申請資格應同時符合下列各款條件：\n\n"
    + (
        "(一)依法辦理公司登記之中小企業。\n\n(二)有下列情形之一者，不符申請資格：\n\n"
        + "".join(
            f"{n}.第{n}種不符申請資格之情形，其期間尚未屆滿且經主管機關認定屬實者。\n\n" for n in range(1, 11)
        )
    )
)


@pytest.fixture(scope="module")
def guide_retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """A numbered guide alone, fake vectors."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    root = tmp_path_factory.mktemp("guide")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "guide.txt").write_text(GUIDE_TEXT, encoding="utf-8")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data")
    embeddings = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=embeddings, progress=False).failed
    return Retriever(open_index(settings, embeddings), embeddings, settings)


def test_the_passages_before_an_item_reach_its_lead_in(guide_retriever: Retriever) -> None:
    found = guide_retriever.search("第9種不符申請資格之情形", k=20)
    item = next(p for p in found if "9.第9種" in p.text and "(二)有下列情形" not in p.text)
    before = guide_retriever.passages_before(item, 6)
    assert before and all(p.start < item.start and p.source == item.source for p in before)
    assert [p.start for p in before] == sorted((p.start for p in before), reverse=True)  # nearest first
    assert any("(二)有下列情形之一者，不符申請資格：" in p.text for p in before)
    assert guide_retriever.passages_before(before[-1], 0) == []


def test_a_list_question_reads_the_whole_section_of_its_passage(guide_retriever: Retriever) -> None:
    found = guide_retriever.search("第9種不符申請資格之情形", k=20)
    item = next(p for p in found if "9.第9種" in p.text and "(二)有下列情形" not in p.text)
    section = [p for p in guide_retriever.document_passages(item.source) if p.section == item.section]
    assert len(section) > 2
    whole = guide_retriever.list_around(item, 0, 1, section_most=len(section))
    assert {p.id for p in whole} == {p.id for p in section} - {item.id}
    # a section longer than that is read around the passage only
    near = guide_retriever.list_around(item, 0, 1, section_most=len(section) - 1)
    assert len(near) <= 2


@pytest.fixture(scope="module")
def holdout_assistant() -> Assistant:
    """The evaluation's holdout corpus, real model (its index as `kezhuan eval` keeps it)."""
    from evals.run import corpus_settings, ensure_index

    settings = corpus_settings(Settings.from_env(environ={}), "holdout")
    ensure_index(settings, progress=False)
    return Assistant.load(settings)


@pytest.mark.slow
def test_real_item_of_an_eligibility_list_is_quoted_with_its_lead_in(holdout_assistant: Assistant) -> None:
    reply = holdout_assistant.ask("外國公司在臺灣設立的分公司，可以申請基隆的地方型SBIR補助嗎？")
    assert not reply.refused, reply.notes
    quotes = [q.quote for c in reply.citations for q in c.quotes]
    assert any("不符申請資格" in q for q in quotes), quotes
    assert any("外國營利事業在臺設立之分公司" in q for q in quotes), quotes
    lead = reply.answer.index("不符申請資格")
    assert lead < reply.answer.index("外國營利事業在臺設立之分公司")


#: A Markdown guide whose lead-in opens an ordered list of three short items.
FIELDS_MD = (
    "# 研發補助指南\n\n## 重點領域\n\n2026 年度鎖定三大核心領域：\n\n1. **無人載具應用**\n2. **AI 智慧應用**\n"
    "3. **淨零應用**\n\n## 申請資格\n\n依法登記之中小企業皆可申請，每案補助上限為新臺幣一百萬元。\n"
)


def test_a_lead_in_answers_with_its_ordered_items(tmp_path: Path) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "fields.md").write_text(FIELDS_MD, encoding="utf-8")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=tmp_path / "data")
    embeddings = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=embeddings, progress=False).failed
    retriever = Retriever(open_index(settings, embeddings), embeddings, settings)
    (passage,) = [p for p in retriever.document_passages("fields.md") if "核心領域" in p.text]
    # The items hold the numbers a reader of the page sees, so they read as the lead-in's items.
    assert "1. 無人載具應用" in passage.text and "3. 淨零應用" in passage.text
    reply = Assistant.load(settings, embeddings=embeddings).ask("2026 核心領域 有幾個")
    assert not reply.refused
    quoted = "".join(c.quote for c in reply.citations)
    assert "核心領域：" in quoted and "淨零應用" in quoted
