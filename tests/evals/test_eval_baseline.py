"""The LangChain baseline, with fake embeddings: chunks, citations, offsets, no refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RAW, SOURCE, cleaned_text
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.errors import DocumentReadError
from core.settings import Settings
from evals.baseline import ANSWER_K, CHUNK_SIZE, Baseline
from evals.metrics import SourceTexts, Span, squash

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def embeddings() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=32)


def test_tiny_corpus_is_one_chunk_cited_whole(
    tiny_settings: Settings, embeddings: DeterministicFakeEmbedding
) -> None:
    baseline = Baseline.build(tiny_settings, embeddings)
    reply = baseline.ask("科專是哪一年開始推的？")
    assert not reply.refused
    assert len(reply.citations) == 1  # the whole file fits in one 500-character chunk
    citation = reply.citations[0]
    assert citation.quote == RAW.strip() and citation.source == SOURCE
    text = cleaned_text()
    assert (citation.start, citation.end) == (0, len(text))
    assert squash(text[citation.start : citation.end]) == squash(
        citation.quote.replace("區域創新\n", "區域創新")
    )
    assert reply.answer.endswith("[1]") and reply.retrieved[0].kind == "baseline"


def test_history_is_ignored(tiny_settings: Settings, embeddings: DeterministicFakeEmbedding) -> None:
    baseline = Baseline.build(tiny_settings, embeddings)
    alone = baseline.ask("那它聚焦哪些領域？")
    with_history = baseline.ask("那它聚焦哪些領域？", [{"role": "user", "content": "南臺灣創新園區在哪裡？"}])
    assert alone.answer == with_history.answer and alone.search_query == "那它聚焦哪些領域？"


def test_real_corpus_chunks_map_onto_the_cleaned_text(
    embeddings: DeterministicFakeEmbedding, tmp_path: Path
) -> None:
    settings = Settings.from_env(environ={}, corpus_dir=ROOT / "corpus", data_dir=tmp_path)
    baseline = Baseline.build(settings, embeddings)
    assert len(baseline.store.get(include=[])["ids"]) >= 10  # ~4,700 raw characters
    reply = baseline.ask("南臺灣創新園區聚焦哪些領域？")
    assert len(reply.citations) == ANSWER_K and not reply.refused
    assert all(len(c.quote) <= CHUNK_SIZE for c in reply.citations)
    assert len(baseline.retrieve("科專", k=10)) == 10

    from ingest.clean import clean_text

    raw = (ROOT / "corpus" / "moea-doit-tech-programs-overview.txt").read_text(encoding="utf-8")
    texts = SourceTexts({"moea-doit-tech-programs-overview.txt": clean_text(raw).text})
    for citation in reply.citations:
        assert citation.section, citation.passage_id
        where = texts.locate(Span.of_citation(citation))
        assert where is not None
        # Raw chunks keep page numbers and call-out order; nearly all of a chunk aligns.
        assert len(where.positions) >= 0.9 * len(squash(citation.quote))


def test_rebuilding_replaces_the_collection(
    tiny_settings: Settings, embeddings: DeterministicFakeEmbedding
) -> None:
    Baseline.build(tiny_settings, embeddings)
    again = Baseline.build(tiny_settings, embeddings)
    assert len(again.store.get(include=[])["ids"]) == 1


def test_empty_corpus_says_how_to_fix(tmp_path: Path, embeddings: DeterministicFakeEmbedding) -> None:
    (tmp_path / "corpus").mkdir()
    settings = Settings.from_env(environ={}, corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    with pytest.raises(DocumentReadError, match="No readable document"):
        Baseline.build(settings, embeddings)


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be greater than 0"):
        Baseline(store=None, sources={}, k=0)
