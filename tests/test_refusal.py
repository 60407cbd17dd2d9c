"""The refusal vetoes (assistant.refusal.veto): each a fact about the question and the evidence."""

from __future__ import annotations

import numpy as np

from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term
from assistant.refusal import veto
from assistant.reply import Passage
from core.text import to_search_form


def _evidence(text: str, passage_text: str = "", section: str = "") -> Evidence:
    passage = Passage(
        id=text[:8], source="doc.txt", section=section, text=passage_text or text, start=0, end=1
    )
    sentence = SentenceRecord(id=text, text=text, start=0, end=len(text), vector=np.zeros(2, np.float32))
    return Evidence(sentence, passage, rank=0, dense=0.9, coverage=1.0, context_coverage=1.0)


def _query(question: str, places: tuple[tuple[str, ...], ...] = (), share: float = 0.0) -> QueryTerms:
    return QueryTerms(
        terms=(Term(("中心",), 1.0),),
        numbers=(),
        cjk=True,
        question=to_search_form(question),
        places=places,
        foreign_share=share,
    )


def test_a_specific_type_no_evidence_holds_is_refused() -> None:
    best = _evidence("嘉義產業創新研發中心以食品製程為研發重點")
    rule, reason = veto(_query("嘉義中心的電話幾號？"), [best], best, foreign_limit=0.25)
    assert rule == "missing_type" and "phone" in reason
    found = _evidence("嘉義中心聯絡電話：05-271-7000")
    assert veto(_query("嘉義中心的電話幾號？"), [found], found, foreign_limit=0.25) == ("", "")


def test_a_place_the_answering_passage_never_names_is_refused() -> None:
    best = _evidence("南臺灣創新園區投入智慧製造")
    rule, reason = veto(
        _query("南臺灣創新園區搬到屏東之後有什麼改變？", places=(("屏东",),)), [best], best, 0.25
    )
    assert rule == "missing_place" and "屏东" in reason
    # Named by the passage (its section or text), the place is no reason to refuse.
    near = _evidence("南臺灣創新園區投入智慧製造", passage_text="園區位於屏東。南臺灣創新園區投入智慧製造")
    assert veto(_query("屏東的園區做什麼？", places=(("屏东",),)), [near], near, 0.25) == ("", "")


def test_a_comparison_may_find_each_place_in_its_own_sentence() -> None:
    chiayi = _evidence("嘉義中心聚焦食品製程")
    tainan = _evidence("臺南園區發展食品生技")
    query = _query("嘉義跟台南的中心各自負責什麼", places=(("台南",),))
    assert veto(query, [chiayi, tainan], chiayi, 0.25) == ("", "")
    # Without the comparison, the best sentence's passage must name it.
    assert veto(_query("台南的中心負責什麼", places=(("台南",),)), [chiayi, tainan], chiayi, 0.25)[0]


def test_foreign_share_over_the_limit_is_refused() -> None:
    best = _evidence("科專推動產業創新")
    assert veto(_query("韓國政府的計畫有哪些？", share=0.6), [best], best, 0.25)[0] == "foreign_share"
    assert veto(_query("科專有哪些？", share=0.1), [best], best, 0.25) == ("", "")
