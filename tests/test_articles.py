"""Questions that name a law article get that article (assistant/retrieve.py, named_articles).

Quick tier: two real regulations (both have 第4條 and 第10條) and the seed, with fake
embeddings: the mechanics of the filter. Slow tier: the real multi corpus of the evaluation with
the real model: the cited unit is the named article of the named law.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_docs import laws_corpus

from assistant import Assistant
from assistant.retrieve import Retriever, named_articles
from core.settings import PROJECT_ROOT, Settings
from ingest.index import open_index

DATA = Path(__file__).parent / "data"
MULTI = PROJECT_ROOT / "evals" / "corpora" / "multi"
RESULTS = "moea-rd-results-regulation.txt"
SUBSIDY = "moea-research-institute-subsidy-regulation.txt"
PRC = "prc-law-on-promoting-transformation-of-scientific-and-technological-achievements-2015.md"


@pytest.mark.parametrize(
    ("question", "tokens"),
    [
        ("第24條規定什麼？", ["第24条"]),
        ("第 24 條規定什麼？", ["第24条"]),
        ("第二十四條規定什麼？", ["第24条"]),
        ("第24条规定什么？", ["第24条"]),
        ("What does Article 24 say?", ["第24条"]),
        ("art. 4-1 and ARTICLE 10", ["第4-1条", "第10条"]),
        ("第4條之1與第十條", ["第4-1条", "第10条"]),
        ("第24條和第二十四條", ["第24条"]),  # one article named twice
        ("第10條之1規定什麼", ["第10-1条"]),
        ("第 10-1 條與第十條之一", ["第10-1条"]),
        ("10-1條的投資抵減", ["第10-1条"]),  # without 第, as people type it
        ("10條之一規定什麼", ["第10-1条"]),
        ("第十之一條", ["第10-1条"]),
        ("產創條例10條在講什麼", ["第10条"]),  # a number right after a law's name
        ("本法共有72條，其中3條已刪除", []),  # counts of articles, not references
        ("版本1.10-1條", []),
        ("民國24年的規定", []),
        ("the article says 24 things; start 24", []),
    ],
)
def test_article_references_are_parsed_in_every_form(question: str, tokens: list[str]) -> None:
    assert named_articles(question) == tokens


@pytest.fixture(scope="module")
def laws(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed and both regulations with the multi corpus's manifest entries (titles), fake vectors."""
    return laws_corpus(tmp_path_factory.mktemp("laws"))


@pytest.fixture(scope="module")
def retriever(laws: Settings) -> Retriever:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    embeddings = DeterministicFakeEmbedding(size=32)
    return Retriever(open_index(laws, embeddings), embeddings, laws)


def _found(retriever: Retriever, question: str, mode: str = "hybrid") -> set[tuple[str, str]]:
    return {(p.source, p.section.rsplit("｜", 1)[-1]) for p in retriever.search(question, k=8, mode=mode)}


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
@pytest.mark.parametrize(
    ("question", "source", "article"),
    [
        ("經濟部科學技術研究發展成果歸屬及運用辦法第4條規定什麼？", RESULTS, "第4條"),
        ("成果歸屬及運用辦法第十條的內容是什麼？", RESULTS, "第10條"),
        ("研究機構進行產業創新及研究發展補助辦法第4條規定什麼？", SUBSIDY, "第4條"),
        ("補助辦法第 10 條的內容是什麼？", SUBSIDY, "第10條"),
        ("补助办法第十条规定了什么？", SUBSIDY, "第10條"),
    ],
)
def test_a_named_article_of_a_named_law_is_all_that_is_retrieved(
    retriever: Retriever, question: str, source: str, article: str, mode: str
) -> None:
    assert _found(retriever, question, mode) == {(source, article)}


def test_without_a_title_every_law_with_the_article_is_retrieved(retriever: Retriever) -> None:
    assert _found(retriever, "第十條規定什麼？") == {(RESULTS, "第10條"), (SUBSIDY, "第10條")}
    assert _found(retriever, "What does Article 4 say?") == {(RESULTS, "第4條"), (SUBSIDY, "第4條")}
    # in the rankers' order (the search ranks 20 deep): ranked passages first, by rank
    question = "第十條 研發成果 歸屬"
    ranked = [pid for pid, _ in retriever.lexical(question, 20)]
    got = [p.id for p in retriever.search(question, k=8, mode="bm25")]
    positions = [ranked.index(pid) if pid in ranked else len(ranked) for pid in got]
    assert positions == sorted(positions) and positions[0] < len(ranked)


def test_an_article_no_document_has_leaves_the_ranking_alone(retriever: Retriever) -> None:
    question = "科技專案第999條的研發成果歸屬"
    ranked = retriever.search(question, k=5, mode="bm25")
    assert len(ranked) == 5 and [p.id for p in ranked] == [pid for pid, _ in retriever.lexical(question, 5)]


# -- the real multi corpus, real model --------------------------------------------------------


@pytest.fixture(scope="module")
def multi_assistant() -> Assistant:
    """The evaluation's multi corpus (seed, two regulations, a PRC law, guides, a PDF), real model.

    Its index is the evaluation's own (``.kezhuan/eval/multi``, brought up to date as `kezhuan
    eval` does): built once here or by the evaluation, whichever runs first.
    """
    from evals.run import corpus_settings, ensure_index

    settings = corpus_settings(Settings.from_env(environ={}), "multi")
    ensure_index(settings, progress=False)
    return Assistant.load(settings)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "source", "article"),
    [
        ("經濟部科學技術研究發展成果歸屬及運用辦法第4條規定什麼？", RESULTS, "第4條"),
        ("成果歸屬及運用辦法第十條的內容是什麼？", RESULTS, "第10條"),
        ("研究機構進行產業創新及研究發展補助辦法第4條規定什麼？", SUBSIDY, "第4條"),
        ("補助辦法第十條的內容是什麼？", SUBSIDY, "第10條"),
        ("促进科技成果转化法第十条规定了什么？", PRC, "第10條"),
        ("促進科技成果轉化法第4條規定什麼？", PRC, "第4條"),
    ],
)
def test_real_answers_cite_the_named_article_of_the_named_law(
    multi_assistant: Assistant, question: str, source: str, article: str
) -> None:
    reply = multi_assistant.ask(question)
    assert not reply.refused, reply.notes
    assert {(c.source, c.section.rsplit("｜", 1)[-1]) for c in reply.citations} == {(source, article)}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "article"),
    [("第十條規定什麼？", "第10條"), ("第 24 條說了什麼？", "第24條"), ("第24条说了什么？", "第24條")],
)
def test_real_answer_without_a_title_cites_the_article_of_a_law_that_has_it(
    multi_assistant: Assistant, question: str, article: str
) -> None:
    reply = multi_assistant.ask(question)
    assert not reply.refused, reply.notes
    assert {c.section.rsplit("｜", 1)[-1] for c in reply.citations} == {article}


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("第 24 條說了什麼？", ["第24条"]),  # segmented, 條說 would be a word no document has
        ("第24条说了什么？", ["第24条"]),
        ("第二十四條規定什麼？", ["规定", "第24条"]),
        ("補助辦法第4條之1", ["补助", "办法", "第4-1条"]),
    ],
)
def test_a_named_article_is_one_question_term(question: str, terms: list[str]) -> None:
    from assistant.lexicon import content_terms

    assert content_terms(question) == terms
