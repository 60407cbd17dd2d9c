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
    is_commencement,
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
        ("中小企業促進法裡面中小企業的定義是什麼", "中小企业", True),  # where to look, then the term
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
        ("研發抵減辦法施行到哪時候", ("force",)),
        ("這個辦法的施行期間到哪天", ("force",)),
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


DATA = Path(__file__).resolve().parent / "data"
#: Regulations in three layouts, each with its commencement article last: 「本辦法自發布日施行。」 (two
#: 全國法規資料庫 texts, a PRC law) and 「本辦法施行期間，自…起十年。」 followed by an amendment's own
#: commencement (the SME tax-credit regulation).
COMMENCING = (
    (MULTI / LAWS[0], "本办法自发布日施行"),
    (MULTI / LAWS[1], "本办法自发布日施行"),
    (MULTI / LAWS[2], "本法自1996年10月1日起施行"),
    (DATA / "sme-rd-tax-credit-regulation.txt", "本办法施行期间,自中华民国一百零三年五月二十日起十年"),
)


@pytest.mark.parametrize(("path", "article"), COMMENCING)
def test_each_law_states_its_own_commencement_once_in_its_last_article(path: Path, article: str) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        to_search_form(text[a:b])
        for a, b in sentence_spans(text)
        if is_commencement(to_search_form(text[a:b]), dated=True)
    ]
    assert len(found) == 1 and article in found[0], found
    last = max(
        i for i, line in enumerate(_lines_of(path)) if line.lstrip("# ").startswith("第") and "条" in line[:8]
    )
    assert any(article in line for line in _lines_of(path)[last:])


def _lines_of(path: Path) -> list[str]:
    return [to_search_form(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_provisions_that_only_mention_commencement_are_not_the_law_s() -> None:
    for text in (
        "本條例施行前，依原獎勵投資條例編定之工業用地，適用本條例之規定。",
        "本條例施行細則，由中央主管機關定之。",
        "各級政府為本條例之施行，應設置或指定機構輔導之。",
    ):
        assert not is_commencement(to_search_form(text)), text
    # an amendment's own commencement, and one left to an authority, say no date of the law's
    amendment = to_search_form(
        "本辦法中華民國一百十二年十一月十六日修正發布條文，自發布日施行至一百十八年十二月三十一日止。"
    )
    delegated = to_search_form("本辦法施行日期，由中央主管機關定之。")
    assert is_commencement(amendment) and not is_commencement(amendment, dated=True)
    assert is_commencement(delegated) and not is_commencement(delegated, dated=True)
    # a plain-text law may run the article's label into its sentence
    assert is_commencement(
        to_search_form("第 19 條本辦法自中華民國一百零六年十一月二十四日施行至一百十八年十二月三十一日止。"),
        dated=True,
    )


def test_a_question_on_when_a_law_takes_effect_is_answered_by_its_commencement_article() -> None:
    question = to_search_form("研發抵減辦法施行到哪時候")
    own = to_search_form("本辦法自中華民國一百零六年十一月二十四日施行至一百十八年十二月三十一日止。")
    assert statutory_shape(question, own)
    assert not statutory_shape(question, to_search_form("本辦法施行日期，由中央主管機關定之。"))
    assert not statutory_shape(to_search_form("研發抵減辦法哪年修過的？"), own)


def test_history_lines_with_dates_in_chinese_numerals() -> None:
    # the 全國法規資料庫 沿革: numbered lines, 中華民國 dates in Chinese numerals
    line = to_search_form(
        "8.中華民國一百零七年四月二十三日經濟部經工字第 10704601840 號令、財政部台財稅字第 10704564360 號令"
        "會銜修正發布名稱及全文 19條；並自一百零六年十一月二十四日施行至一百零八年十二月三十一日"
    )
    assert is_history(line) and is_history(line, ("force",)) and is_history(line, ("amend",))
    assert not is_history(
        to_search_form("本辦法自中華民國一百零六年十一月二十四日施行至一百十八年十二月三十一日止。")
    )


def test_a_question_on_which_things_a_defined_term_covers_finds_its_definition() -> None:
    from assistant.statutes import defines_asked

    article = (DATA / "sme-rd-tax-credit-regulation.txt").read_text(encoding="utf-8")
    # 「研究發展支出」 is the defined 「研究發展之支出」 without its 之; 哪些 asks what it covers
    assert defines_asked(to_search_form("哪些研究發展支出可以抵減"), article)
    assert defines_asked(to_search_form("研究發展支出包括哪些？"), article)
    assert not defines_asked(to_search_form("研究發展支出要附哪些文件？"), article)
