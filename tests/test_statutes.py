"""A law text's fixed formulas: the enacting clause answers a legal-basis question, a definition a question about a term's scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.rules import SHAPE_STRENGTH, answer_shape
from assistant.statutes import (
    asks_basis,
    asks_history,
    asks_scope_of,
    defined_term,
    is_enacting,
    is_history,
    statutory_shape,
)
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


def _lines(name: str) -> list[str]:
    return [to_search_form(line) for line in (MULTI / name).read_text(encoding="utf-8").splitlines()]


def test_each_law_has_its_history_above_the_first_article_and_nowhere_else() -> None:
    for name, dated in zip(LAWS, (1, 1, 2), strict=True):
        lines = _lines(name)
        first = next(
            i for i, line in enumerate(lines) if line.lstrip("# ").startswith("第") and "条" in line[:8]
        )
        history = [i for i, line in enumerate(lines) if is_history(line)]
        assert len(history) == dated and all(i < first for i in history), name
    # a body sentence that reports an amendment, and the article on entry into force, are no history line
    assert not is_history(
        to_search_form("本部於2022年1月25日修正發布「經濟部科學技術研究發展成果歸屬及運用辦法」")
    )
    assert not is_history(to_search_form("本法自1996年10月1日起施行。"))


@pytest.mark.parametrize(
    ("question", "acts"),
    [
        ("大陸那個科技成果轉化法是哪年修過的", ("amend",)),
        ("研發成果辦法最近一次修正是什麼時候？", ("amend",)),
        ("這部法從通過到修正隔了幾年？", ("amend", "pass")),
        ("本法什麼時候施行？", ("force",)),
        ("科專幾年開始的？", ()),  # no law-making act
        ("研發成果要怎麼修改？", ()),  # asks no time
    ],
)
def test_history_questions_name_the_act_they_ask_the_time_of(question: str, acts: tuple[str, ...]) -> None:
    assert set(asks_history(to_search_form(question))) == set(acts)


def test_a_history_line_answers_only_the_act_it_records() -> None:
    amended = to_search_form(
        "2015年8月29日第十二届全国人民代表大会常务委员会第十六次会议《关于修改…的决定》修正"
    )
    passed = to_search_form("1996年5月15日第八届全国人民代表大会常务委员会第十九次会议通过")
    question = to_search_form("哪年修過的？")
    assert statutory_shape(question, amended) and not statutory_shape(question, passed)
