"""Which of two same-typed sections the question or the conversation names (no models)."""

from __future__ import annotations

import numpy as np

from assistant.answer import ExtractiveAnswerer
from assistant.evidence import QueryTerms, SentenceRecord, Term
from assistant.reply import Passage
from assistant.siblings import sibling_match
from core.text import to_search_form


def _passage(pid: str, section: str, text: str = "內容。") -> Passage:
    return Passage(id=pid, source="guide.md", section=section, text=text, start=0, end=len(text))


def test_the_named_heading_and_its_same_typed_sibling() -> None:
    passages = [
        _passage("a", "獎勵計畫 > 研究類 > 結案"),
        _passage("b", "獎勵計畫 > 推廣類 > 結案"),
        _passage("c", "獎勵計畫 > 申請須知"),
    ]
    marks = sibling_match(["研究类", "结案"], passages, 8)
    # 研究類 is named; 推廣類 is of its type (…類) and not named; 申請須知 is of another type.
    assert marks == {"獎勵計畫 > 研究類 > 結案": 1, "獎勵計畫 > 推廣類 > 結案": -1}


def test_numbering_and_row_labels_are_no_part_of_a_heading() -> None:
    passages = [
        _passage("a", "補助要點 > 一、北部：｜表1 第2列"),
        _passage("b", "補助要點 > 二、南部：｜表1 第3列"),
    ]
    assert sibling_match(["南部"], passages, 8) == {
        "補助要點 > 一、北部：｜表1 第2列": -1,
        "補助要點 > 二、南部：｜表1 第3列": 1,
    }


def test_nothing_is_marked_when_no_heading_tells_the_siblings_apart() -> None:
    passages = [_passage("a", "手冊 > 研究類"), _passage("b", "手冊 > 推廣類")]
    assert sibling_match(["类"], passages, 8) == {}  # one character names nothing
    assert sibling_match(["经费"], passages, 8) == {}  # neither heading holds it
    both = [_passage("a", "手冊 > 研究計畫類"), _passage("b", "手冊 > 研究推廣類")]
    assert sibling_match(["研究"], both, 8) == {}  # both hold it
    # a sentence-long heading is no name of a thing
    long = [_passage("a", "手冊 > 本計畫之研究成果應如何歸屬類"), _passage("b", "手冊 > 推廣類")]
    assert sibling_match(["研究成果"], long, 8) == {}


def test_a_sentence_under_the_heading_an_earlier_turn_named_wins() -> None:
    # 「研究類結案要交什麼？」 then 「那第二期款什麼時候撥？」: both sections say 第二期款 alike; the
    # earlier turn's 研究類 (a context term) picks the one under it.
    sections = {
        "獎勵計畫 > 推廣類": "第二期款於成果發表後撥付。",
        "獎勵計畫 > 研究類": "第二期款於期末審查通過後撥付。",
    }
    passages = [_passage(f"p{n}", s, t) for n, (s, t) in enumerate(sections.items())]
    vector = np.asarray([1.0, 0.0], np.float32)
    records = {p.id: [SentenceRecord(f"{p.id}-0", p.text, 0, len(p.text), vector)] for p in passages}
    query = QueryTerms(
        terms=(Term(("第二期",), 2.0), Term(("研究类",), 1.0, asked=False)),
        numbers=(),
        cjk=True,
        question=to_search_form("那第二期款什麼時候撥？"),
    )
    evidence = ExtractiveAnswerer(refusal_threshold=0.3).score(
        query, vector, passages, lambda p: records[p.id]
    )
    assert evidence[0].sentence.text == "第二期款於期末審查通過後撥付。"
    assert [e.named_section for e in evidence] == [1, -1]
