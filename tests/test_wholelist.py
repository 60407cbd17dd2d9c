"""A list read to its end (:mod:`assistant.wholelist`), on hand-made evidence (no models)."""

from __future__ import annotations

import numpy as np

from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term, question_numbers
from assistant.reply import Passage
from assistant.rules import list_noun
from assistant.wholelist import named_count, reads_whole_section, tally, whole_list
from core.text import to_search_form

# A section that lists its offices one sentence each, under two regions; a map call-out repeats one.
_SECTION = [
    ("本署設有三處辦公室，服務在地企業。", "text"),
    ("北區部分，在基隆市設立「基隆海洋服務中心」，協助漁業與農產升級。", "text"),
    ("此外，本署於宜蘭縣推動「宜蘭農業服務中心」，著重農產加工。", "text"),
    ("南區為工業據點，在屏東縣設立「屏東機械服務中心」，協助機械業轉型。", "text"),
    ("在屏東縣設立「屏東機械服務中心」，協助機械業轉型。", "center"),
    ("本節所述計畫由本部統籌管考。", "text"),
]


def _evidence(support: float = 0.6) -> list[Evidence]:
    out, at = [], 0
    for i, (text, kind) in enumerate(_SECTION):
        passage = Passage(
            id=f"p{i}",
            source="doc.txt",
            section="區域服務",
            text=text,
            start=at,
            end=at + len(text),
            kind=kind,
        )
        sent = SentenceRecord(f"s{i}", text, at, at + len(text), np.zeros(2))
        out.append(Evidence(sent, passage, i, 0.8, 0.5, 0.5, score=1.0 - 0.1 * i, support=support))
        at += len(text) + 1
    return out


def _query(question: str, words: list[str]) -> QueryTerms:
    return QueryTerms(
        terms=tuple(Term((to_search_form(w),), 1.0) for w in words),
        numbers=question_numbers(question),
        cjk=True,
        question=to_search_form(question),
    )


def test_a_list_of_places_is_read_to_the_section_end_in_text_order() -> None:
    evidence = _evidence()
    chosen = [evidence[3]]  # the best sentence is the last region's
    query = _query("服務中心分布在哪些縣市？", ["服務", "中心"])
    items, note = whole_list(query, "县市", chosen, evidence, most=8, floor=0.4)
    assert [ev.sentence.text[:6] for ev in items] == [
        t[:6] for t, _ in (_SECTION[1], _SECTION[2], _SECTION[3])
    ]
    assert "3 sentences" in note and "區域服務" in note


def test_a_list_restricted_to_a_place_or_too_short_is_left_as_chosen() -> None:
    evidence = _evidence()
    chosen = [evidence[3]]
    restricted = _query("屏東有哪些中心？", ["屏东", "中心"])
    assert whole_list(restricted, "中心", chosen, evidence, most=8, floor=0.4) == (chosen, "")
    anything = _query("服務中心分布在哪些縣市？", ["服務", "中心"])
    assert whole_list(anything, "县市", chosen, evidence, most=2, floor=0.4) == (
        chosen,
        "",
    )  # longer than most
    assert whole_list(anything, "县市", chosen, _evidence(0.3), most=8, floor=0.4) == (
        chosen,
        "",
    )  # weak items
    assert whole_list(anything, "趋势", chosen, evidence, most=8, floor=0.4) == (
        chosen,
        "",
    )  # not a list of things


def test_a_count_of_named_things_is_the_number_the_quoted_sentences_introduce() -> None:
    evidence = _evidence()
    two = [evidence[1], evidence[2]]
    assert named_count(to_search_form("北區有幾個中心？"), two) == "文件共列出2個中心："
    assert named_count(to_search_form("北區有哪些中心？"), two) == ""  # no count asked
    assert named_count(to_search_form("北區有幾個中心？"), two[:1]) == ""  # one is no list
    counted = _evidence()[0]
    assert named_count(to_search_form("北區有幾個辦公室？"), [counted, *two]) == ""  # not the kind asked


def test_a_tally_reads_the_whole_section_when_the_list_does_not_go_on() -> None:
    evidence = _evidence()
    query = _query("服務中心總共有幾個？", ["服務", "中心"])
    lead, items = tally(query, evidence[0], evidence, lambda first, ev, head, query: [], most=8, floor=0.4)
    assert lead == "文件共列出3個中心："
    assert [ev.sentence.id for ev in items] == ["s1", "s2", "s3"]


def test_a_word_some_items_hold_picks_them_unless_the_lead_in_says_it_of_all() -> None:
    evidence = _evidence()
    chosen = [evidence[3]]
    farming = _query("跟農產有關的服務中心有哪幾個？", ["農產", "中心"])
    items, note = whole_list(farming, "中心", chosen, evidence, most=8, floor=0.4)
    assert [ev.sentence.id for ev in items] == ["s1", "s2"]
    assert "those that hold 農產" in note
    # 本署 is said of all items by the list's lead-in: it picks none of them
    agency = _query("本署的服務中心有哪幾個？", ["本署", "中心"])
    items, note = whole_list(agency, "中心", chosen, evidence, most=8, floor=0.4)
    assert [ev.sentence.id for ev in items] == ["s1", "s2", "s3"] and "hold" not in note


def test_a_list_noun_named_before_which_ones() -> None:
    assert list_noun(to_search_form("區域中心有哪幾個？")) == "中心"
    assert list_noun(to_search_form("重點領域有哪些？")) == "领域"


def test_the_noun_the_question_names_the_items_by_picks_none_of_them() -> None:
    evidence = _evidence()
    chosen = [evidence[3]]
    # 據點 is the question's name for the items (right before 在哪些), though one item words it so
    by_name = _query("服務據點在哪些縣市？", ["服務", "據點"])
    items, note = whole_list(by_name, "县市", chosen, evidence, most=8, floor=0.4)
    assert [ev.sentence.id for ev in items] == ["s1", "s2", "s3"] and "hold" not in note
    # a word before it is a pick: one item holds it, which is no list to read whole
    picked = _query("機械相關的服務單位在哪些縣市？", ["機械", "單位"])
    assert whole_list(picked, "县市", chosen, evidence, most=8, floor=0.4) == (chosen, "")


def test_a_question_of_which_ones_reads_the_whole_section_and_one_of_how_many_does_not() -> None:
    assert reads_whole_section(to_search_form("縣內的服務據點有哪幾個？"))
    assert reads_whole_section(to_search_form("補助的對象有哪些？"))
    assert not reads_whole_section(to_search_form("服務據點總共有幾個？"))
    assert not reads_whole_section(to_search_form("服務據點設在什麼地方？"))
