"""Every citation shows a text that holds its quote, at the offsets it states.

The chat page and the widget open a citation's ``text`` and highlight its ``quote`` in it; a
quote grown over an article split into several overlapping passages used to be shown in one of
the other passages, with nothing highlighted.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from assistant.evidence import Evidence, SentenceRecord, cited_text, write_answer
from assistant.reply import Passage, Reply, one_citation_per_passage
from core.settings import PROJECT_ROOT, Settings
from ingest.load import list_sources, load_document, read_manifest

DATA = Path(__file__).parent / "data"
SETS = PROJECT_ROOT / "evals" / "sets"
REGULATIONS = ("moea-rd-results-regulation.txt", "moea-research-institute-subsidy-regulation.txt")

#: A cleaned article of three sentences, split into two passages that share the middle one.
ARTICLE = "第一句說補助的對象。第二句說補助的比率。第三句說補助的期限。"


def _passage(pid: str, start: int, end: int) -> Passage:
    return Passage(pid, "law.txt", "第三章｜第5條", ARTICLE[start:end], start, end, kind="article")


def _evidence(passage: Passage, start: int, end: int, neighbours: Iterable[Passage] = ()) -> Evidence:
    record = SentenceRecord("s", ARTICLE[start:end], start, end, np.zeros(2))
    return Evidence(record, passage, 0, 0.5, 0.5, 0.5, support=0.9, neighbours=tuple(neighbours))


def _shown_exactly(reply_citations: Iterable, cleaned: dict[str, str] | None = None) -> None:
    """Every quote of every citation sits in its text at its offsets; one citation per passage text."""
    reply_citations = list(reply_citations)
    shown = [(c.source, c.passage_id, c.text) for c in reply_citations]
    assert len(shown) == len(set(shown)), "a passage is cited once, with all its quotes"
    for c in reply_citations:
        assert (c.quote, c.start, c.end) == (c.quotes[0].quote, c.quotes[0].start, c.quotes[0].end)
        for q in c.quotes:
            at = q.start - c.text_start
            assert c.text[at : at + q.end - q.start] == q.quote, (c.n, c.section, q.quote[:30], c.text[:30])
            if cleaned is not None:
                source = cleaned[c.source]
                assert source[c.text_start : c.text_start + len(c.text)] == c.text, (c.section, c.text[:30])
                assert source[q.start : q.end] == q.quote, (c.section, q.quote[:30])


def test_a_quote_over_two_overlapping_passages_is_shown_in_both_joined() -> None:
    first, second = _passage("p1", 0, 20), _passage("p2", 10, 30)
    ev = _evidence(second, 0, 30, neighbours=[first, second])  # the unit grew back into p1
    composed = write_answer([ev], 0.9, {}, str)
    (citation,) = composed.citations
    assert citation.text == ARTICLE and citation.text_start == 0 and citation.passage_id == "p1"
    assert citation.quote == ARTICLE and composed.answer.startswith(ARTICLE[:-1])
    _shown_exactly(composed.citations, {"law.txt": ARTICLE})


def test_quotes_of_one_passage_are_one_citation_and_the_markers_follow() -> None:
    """Three sentences of one article cited by three markers, and one of another passage: two
    citations, the article's holding its three quotes in answer order; [1][1] is written once."""
    article = _passage("p1", 0, 30)
    other = Passage("p9", "law.txt", "第三章｜第6條", "另一條說申請的方式。", 40, 50, kind="article")
    evidence = [_evidence(article, 0, 10), _evidence(article, 20, 30)]
    composed = write_answer(
        [
            *evidence,
            Evidence(
                SentenceRecord("t", other.text, 40, 50, np.zeros(2)), other, 0, 0.5, 0.5, 0.5, support=0.4
            ),
            _evidence(article, 10, 20),
        ],
        0.9,
        {},
        str,
    )
    assert [c.n for c in composed.citations] == [1, 2, 3, 4]
    answer, citations = one_citation_per_passage(composed.answer, composed.citations)
    assert [c.n for c in citations] == [1, 2] and [c.passage_id for c in citations] == ["p1", "p9"]
    assert [q.quote for q in citations[0].quotes] == [
        "第一句說補助的對象。",
        "第三句說補助的期限。",
        "第二句說補助的比率。",
    ]
    assert citations[0].score == 0.9 and citations[1].quotes[0].quote == other.text
    assert re.findall(r"\[\d+\]", answer) == ["[1]", "[1]", "[2]", "[1]"], answer
    assert one_citation_per_passage("甲[1][2]乙[3]丙[4]。", composed.citations)[0] == "甲[1]乙[2]丙[1]。"
    _shown_exactly(citations, {"law.txt": ARTICLE.ljust(40) + other.text})


def test_citations_of_different_passages_are_left_as_they_are() -> None:
    first, second = _passage("p1", 0, 10), _passage("p2", 10, 20)
    composed = write_answer([_evidence(first, 0, 10), _evidence(second, 10, 20)], 0.9, {}, str)
    assert one_citation_per_passage(composed.answer, composed.citations) == (
        composed.answer,
        composed.citations,
    )


def test_the_passage_that_holds_the_whole_quote_is_the_one_shown() -> None:
    first, second = _passage("p1", 0, 20), _passage("p2", 10, 30)
    ev = _evidence(first, 10, 30, neighbours=[first, second])  # scored in p1, runs on in p2
    cited = cited_text(ev)
    assert (cited.passage_id, cited.text, cited.text_start) == ("p2", second.text, 10)
    assert cited.quote == ARTICLE[10:30]


def test_a_quote_the_retrieved_passages_do_not_cover_is_cut_at_a_sentence_end() -> None:
    first = _passage("p1", 0, 25)  # ends inside the third sentence; nothing retrieved after it
    composed = write_answer([_evidence(first, 0, 30)], 0.9, {}, str)
    (citation,) = composed.citations
    assert citation.quote == ARTICLE[:20] and citation.end == 20
    assert "期限" not in composed.answer  # the answer says only what the shown text holds
    _shown_exactly(composed.citations, {"law.txt": ARTICLE})


def _cleaned(settings: Settings) -> dict[str, str]:
    manifest = read_manifest(settings.corpus_dir)
    out = {}
    for path in list_sources(settings.corpus_dir):
        doc = load_document(path, settings.corpus_dir, manifest, settings)
        assert doc.cleaned is not None
        out[doc.source] = doc.cleaned.text
    return out


@pytest.fixture(scope="module")
def laws(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed and both regulations (articles longer than a passage), fake vectors."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from ingest.index import run_ingest

    root = tmp_path_factory.mktemp("laws")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    for name in REGULATIONS:
        shutil.copy(DATA / name, corpus / name)
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data")
    assert not run_ingest(settings, embeddings=DeterministicFakeEmbedding(size=32), progress=False).failed
    return settings


def test_every_article_asked_about_is_cited_with_its_quote_inside_its_text(laws: Settings) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from assistant import Assistant

    bot = Assistant.load(laws, embeddings=DeterministicFakeEmbedding(size=32))
    cleaned = _cleaned(laws)
    joined = 0
    for name in REGULATIONS:
        numbers = sorted(set(re.findall(r"^第\s*(\d+(?:-\d+)?)\s*條", cleaned[name], re.MULTILINE)))
        assert len(numbers) > 10
        title = bot.retriever.search(f"第{numbers[0]}條", mode="bm25", k=1)[0].title
        for number in numbers:
            for question in (f"{title}第{number}條在講什麼", f"第{number}條規定什麼？"):
                reply = bot.ask(question)
                _shown_exactly(reply.citations, cleaned)
                joined += sum(bot.retriever.passage(c.passage_id).text != c.text for c in reply.citations)
    assert joined > 0  # some quotes did run over two passages of an article


def _questions(corpus: str, most: int) -> list[dict]:
    cases = []
    for path in sorted(SETS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if corpus in case.get("corpora", []) and case.get("split") == "dev":
                cases.append(case)
    return cases[:most]


@pytest.mark.slow
def test_real_replies_on_the_seed_show_every_quote_inside_its_text(
    real_assistant, real_settings: Settings
) -> None:
    cleaned = _cleaned(real_settings)
    cited = 0
    for case in _questions("seed", 80):
        reply: Reply = real_assistant.ask(case["question"], history=case.get("history") or None)
        _shown_exactly(reply.citations, cleaned)
        cited += len(reply.citations)
    assert cited > 50
