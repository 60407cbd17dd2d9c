"""A law text's fixed formulas: the enacting clause answers a legal-basis question, a definition a question about a term's scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.rules import SHAPE_STRENGTH, answer_shape
from assistant.statutes import asks_basis, asks_scope_of, defined_term, is_enacting, statutory_shape
from core.text import sentence_spans, to_search_form

MULTI = Path(__file__).resolve().parents[1] / "evals" / "corpora" / "multi"
#: Two regulations of the 全國法規資料庫 layout and a PRC law in Markdown: three law texts of two styles.
LAWS = (
    "moea-rd-results-regulation.txt",
    "moea-research-institute-subsidy-regulation.txt",
    "prc-law-on-promoting-transformation-of-scientific-and-technological-achievements-2015.md",
)


def _sentences(name: str) -> list[str]:
    text = (MULTI / name).read_text(encoding="utf-8")
    return [to_search_form(text[a:b]) for a, b in sentence_spans(text)]


@pytest.mark.parametrize(
    ("name", "clause"),
    [
        (LAWS[0], "本办法依科学技术基本法第六条第三项规定订定之"),
        (LAWS[1], "本办法依产业创新条例第九条第二项规定订定之"),
    ],
)
def test_each_regulation_has_exactly_its_enacting_clause(name: str, clause: str) -> None:
    found = [s for s in _sentences(name) if is_enacting(s)]
    assert len(found) == 1 and clause in found[0]


def test_provisions_that_merely_mention_a_rule_are_no_enacting_clause() -> None:
    # 「…由本部訂定之」 delegates a figure; it does not say what the regulation is made under.
    assert not is_enacting(to_search_form("研發成果商品化所獲得總收入之應繳交本部比率，由本部訂定之。"))
    assert not any(is_enacting(s) for s in _sentences(LAWS[2]))  # 「為了…，制定本法」 gives a purpose
    assert is_enacting(to_search_form("根據憲法，制定本法。"))


@pytest.mark.parametrize(
    "question",
    [
        "研發成果歸屬運用辦法是根據哪個法訂的",
        "這個辦法的法源依據為何？",
        "它是依據哪一條訂定的",
        "What is the legal basis of it?",
    ],
)
def test_legal_basis_questions(question: str) -> None:
    assert asks_basis(to_search_form(question))


@pytest.mark.parametrize(
    "question", ["研發成果依什麼比率繳交？", "根據文件，科專幾年開始？", "補助款何時撥付"]
)
def test_other_questions_ask_no_legal_basis(question: str) -> None:
    assert not asks_basis(to_search_form(question))


def test_definitions_are_found_in_both_law_styles() -> None:
    terms = {defined_term(s) for name in LAWS for s in _sentences(name)} - {""}
    assert {"研发成果", "科技专案", "科技成果", "职务科技成果", "科技成果转化"} <= terms


@pytest.mark.parametrize(
    ("question", "term", "asked"),
    [
        ("辦法裡講的「研發成果」具體包含哪些東西？", "研发成果", True),
        ("什麼算職務科技成果？", "职务科技成果", True),
        ("科技專案是指什麼？", "科技专案", True),
        ("法人科技專案是什麼？", "科技专案", False),  # a longer name that ends in the term
        ("研發成果一般歸誰？", "研发成果", False),  # uses the term, asks something else
        ("研發成果包括哪些", "", False),
    ],
)
def test_a_scope_question_names_the_term_on_its_own(question: str, term: str, asked: bool) -> None:
    assert asks_scope_of(to_search_form(question), term) is asked


def test_the_formula_outranks_lead_ins_as_an_answer_shape() -> None:
    question = to_search_form("辦法裡講的「研發成果」具體包含哪些東西？")
    definition = to_search_form("本辦法所稱研發成果，指執行單位執行科技計畫所產生之技術、原型、著作等成果。")
    assert answer_shape(question, definition) == SHAPE_STRENGTH["statute"] > SHAPE_STRENGTH["list"]
    basis = to_search_form("研究機構補助辦法是依據哪一條訂定的？")
    assert statutory_shape(basis, to_search_form("本辦法依產業創新條例第九條第二項規定訂定之。"))
    assert not statutory_shape(basis, definition)
