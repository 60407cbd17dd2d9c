"""kezhuan's retriever as a langchain-core ``BaseRetriever``, and the README's example chain."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.retrievers import BaseRetriever

import ingest.embed
from assistant.retrieve import Retriever
from core.settings import PROJECT_ROOT, Settings
from ingest.clean import clean_text
from ingest.index import IndexStore, run_ingest

QUESTION = "經濟部南臺灣創新園區位於哪個城市？"


def readme_example() -> str:
    """The Python block after the ``langchain-example`` marker in README.md."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- langchain-example -->\s*```python\n(.*?)```", readme, re.S)
    assert found, "README.md lost its LangChain example"
    return found.group(1)


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("lc")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    run_ingest(settings, embeddings=DeterministicFakeEmbedding(size=32), progress=False)
    return settings


@pytest.fixture()
def retriever(fake_index: Settings) -> Retriever:
    embeddings = DeterministicFakeEmbedding(size=32)
    return Retriever(IndexStore(fake_index, embeddings), embeddings, fake_index, k=4)


def test_invoke_returns_documents_with_provenance_and_scores(retriever: Retriever) -> None:
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    passages = retriever.search(QUESTION, k=4)
    assert len(docs) == 4 and all(isinstance(d, Document) for d in docs)
    assert [d.metadata["id"] for d in docs] == [p.id for p in passages]
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3, 4]
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True) == [p.score for p in passages]
    for doc in docs:
        assert doc.metadata["dense_score"] is not None or doc.metadata["bm25_score"] is not None
        assert doc.metadata["section"] and doc.metadata["end"] > doc.metadata["start"]


def test_offsets_point_into_the_cleaned_source(retriever: Retriever, fake_index: Settings) -> None:
    for doc in retriever.invoke("科專新創團隊募得多少資金？"):
        raw = (fake_index.corpus_dir / doc.metadata["source"]).read_text(encoding="utf-8")
        cleaned = clean_text(raw, markdown=doc.metadata["source"].endswith(".md")).text
        assert cleaned[doc.metadata["start"] : doc.metadata["end"]] == doc.page_content


def test_a_single_ranker_leaves_the_other_score_empty(fake_index: Settings) -> None:
    embeddings = DeterministicFakeEmbedding(size=32)
    bm25 = Retriever(IndexStore(fake_index, embeddings), embeddings, fake_index, mode="bm25", k=3)
    docs = bm25.invoke(QUESTION)
    assert docs and all(d.metadata["dense_score"] is None for d in docs)
    assert [d.metadata["bm25_score"] for d in docs] == [d.metadata["score"] for d in docs]


def test_batch_and_async_give_the_same_documents(retriever: Retriever) -> None:
    import asyncio

    one = retriever.invoke(QUESTION)
    assert retriever.batch([QUESTION, QUESTION]) == [one, one]
    assert asyncio.run(retriever.ainvoke(QUESTION)) == one


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"mode": "fuzzy"}, "mode must be one of"), ({"k": 0}, "k must")]
)
def test_bad_arguments_say_what_is_wrong(fake_index: Settings, kwargs: dict[str, Any], message: str) -> None:
    embeddings = DeterministicFakeEmbedding(size=32)
    with pytest.raises(ValueError, match=message):
        Retriever(IndexStore(fake_index, embeddings), embeddings, fake_index, **kwargs)


def test_the_readme_example_runs(fake_index: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEZHUAN_CORPUS_DIR", str(fake_index.corpus_dir))
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(fake_index.data_dir))
    # The index was built with fake embeddings; questions must be embedded the same way.
    monkeypatch.setattr(ingest.embed, "load_query_embeddings", lambda s: DeterministicFakeEmbedding(size=32))
    namespace: dict[str, Any] = {}
    exec(readme_example(), namespace)
    assert namespace["answer"] == "南臺灣創新園區在臺南市。"  # the scripted model's reply
    assert len(namespace["retriever"].invoke(QUESTION)) == 3


@pytest.mark.slow
def test_the_readme_example_retrieves_the_answer_with_the_real_model(
    real_assistant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = real_assistant.settings
    monkeypatch.setenv("KEZHUAN_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(settings.data_dir))
    namespace: dict[str, Any] = {}
    exec(readme_example(), namespace)
    context = namespace["context"].invoke(QUESTION)
    assert "臺南市" in context and "moea-doit-tech-programs-overview.txt" in context
