"""Multi-part questions (assistant/parts.py) and false premises (assistant/premise.py), on hand-made evidence."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.answer import ExtractiveAnswerer
from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term, question_numbers
from assistant.parts import (
    Figure,
    QuestionParts,
    computation_lead,
    figure_of,
    gives_figure,
    percentages,
    remainder_lead,
    share_of_stated_lead,
    split_parts,
    sub_queries,
)
from assistant.premise import (
    asserted_figures,
    contradiction,
    reversed_bound,
    stated_figures,
    unstated_quantity,
)
from assistant.reply import Passage
from core.text import to_search_form as sf


def _fig(*args, **kw) -> Figure:
    found = figure_of(*args, **kw)
    assert found is not None
    return found


def _query(question: str, terms: list[tuple[str, float]]) -> QueryTerms:
    return QueryTerms(
        terms=tuple(Term((t,), w) for t, w in terms),
        numbers=question_numbers(question),
        cjk=True,
        question=sf(question),
    )


def _evidence(texts: list[str], score: float = 1.0) -> list[Evidence]:
    """One passage per sentence, each sentence a perfect semantic match (the refusal model answers)."""
    out = []
    for n, text in enumerate(texts):
        vector = np.asarray([1.0, 0.0], np.float32)
        record = SentenceRecord(f"s{n}", text, 0, len(text), vector)
        passage = Passage(id=f"p{n}", source=f"doc{n}.txt", section="節", text=text, start=0, end=len(text))
        out.append(Evidence(record, passage, n, 0.95, 1.0, 1.0, score=score - 0.01 * n, support=0.9))
    return out


@pytest.mark.parametrize(
    ("question", "parts", "operation", "kind"),
    [
        (
            "A+淬鍊計畫比業界開發產業技術計畫晚幾年開始？",
            ("A+淬鍊計畫", "業界開發產業技術計畫"),
            "difference",
            "year",
        ),
        (
            "從業界開發產業技術計畫到A+計畫中間隔了多久",
            ("業界開發產業技術計畫", "A+計畫"),
            "difference",
            "year",
        ),
        ("花蓮跟台東那兩個東部中心，研發主軸加起來總共幾項？", ("花蓮", "台東"), "sum", "count"),
        ("第一階段跟第二階段的補助加起來是多少？", ("第一階段", "第二階段的補助"), "sum", "amount"),
        # 從 after a subject, and a span that ends in a bare event: the subject is both parts'.
        ("成果轉化法從通過到2015年修正，中間隔了幾年？", ("通過", "2015年修正"), "difference", "year"),
        ("這部法從制定到修正隔了多少年？", ("制定", "修正"), "difference", "year"),
        # 高幾個百分點 is a difference of percentages; the clause before 比 is the first part
        ("甲類補助的比例比乙類高幾個百分點？", ("甲類補助的比例", "乙類"), "difference", "percentage"),
        (
            "甲類補助的比例，比乙類的比例低幾個百分點？",
            ("甲類補助的比例", "乙類的比例"),
            "difference",
            "percentage",
        ),
        (
            "研發支出的抵減率跟設備支出的抵減率差幾個百分點？",
            ("研發支出的抵減率", "設備支出的抵減率"),
            "difference",
            "percentage",
        ),
        (
            "How many years between the A+ program and the industry program?",
            ("the A+ program", "the industry program"),
            "difference",
            "year",
        ),
    ],
)
def test_split_parts_reads_the_parts_and_the_operation(question, parts, operation, kind) -> None:
    split = split_parts(sf(question))
    assert split is not None
    assert split.parts == tuple(sf(p) for p in parts)
    assert (split.operation, split.kind) == (operation, kind)


@pytest.mark.parametrize(
    "question",
    [
        "科專是哪一年開始的？",  # one thing, no operation
        "科專總共有幾個中心？",  # a total of one thing: a count of a list, not parts
        "法人科專跟學界科專有什麼不同？",  # two parts, no arithmetic
        "拿到補助後總共要繳幾年報告？",  # 拿到 is a verb: 到 joins nothing
        # 比 comes before its 多/少: after the difference asked, 出口占比 compares nothing
        "營業額最少多少，出口占比才算外銷型企業？",
        "審查最高幾個月？",  # 最高 is a bound, not a difference
    ],
)
def test_split_parts_leaves_other_questions_alone(question) -> None:
    assert split_parts(sf(question)) is None


def test_a_span_that_ends_in_a_named_thing_keeps_its_subject_in_the_first_part() -> None:
    split = split_parts(sf("科專從啟動到學界開發產業技術計畫，經過幾年？"))
    assert split is not None and split.parts == (sf("科專從啟動"), sf("學界開發產業技術計畫"))
    # 從事 is a word: no span starts there
    split = split_parts(sf("從事研發的計畫從開始到修正隔了幾年？"), event_chars=3)
    assert split is not None and split.parts[1] == sf("修正")


def test_a_total_less_the_counted_part_is_computed_from_the_cited_sentence() -> None:
    text = "2022年共培育52組新創團隊，分別促成16組團隊完成公司設立、24組募得資金"
    terms = [((sf("完成"),), 1.0), ((sf("公司"),), 1.0), ((sf("設立"),), 1.0)]
    assert remainder_lead(sf("有幾組還沒完成公司設立？"), terms, text, 2) == "36組（52−16）："
    assert remainder_lead(sf("有幾組完成公司設立？"), terms, text, 2) == ""  # no negation
    # no total in the text: nothing to subtract from
    assert remainder_lead(sf("有幾組還沒完成公司設立？"), terms, "16組團隊完成公司設立", 2) == ""


def test_a_stated_amount_times_the_cited_rate_of_the_clause_about_it() -> None:
    question = "某個科專的管理費是500萬，它的績效獎勵最多能拿多少？"
    query = QueryTerms(
        terms=(Term((sf("管理费"),), 1.0, asked=False), Term((sf("绩效"),), 2.0), Term((sf("个别"),), 1.0)),
        numbers=(),
        cjk=True,
        question=sf("它的績效獎勵最多能拿多少？"),
        given=sf(question),
    )
    text = "個別績效獎勵之上限，不得超過管理費之百分之二十；年度績效獎勵總額，不得超過管理費總額之百分之八。"
    assert share_of_stated_lead(query, text, 2) == "100萬元（500萬×百分之二十）："
    # the rate must be of the thing the amount is stated for
    assert share_of_stated_lead(query, "補助不得超過總經費之百分之五十。", 2) == ""
    # no amount stated outside the focus
    assert share_of_stated_lead(replace(query, given=query.question), text, 2) == ""


def test_a_stated_share_divided_by_the_cited_rate_is_the_whole_asked() -> None:
    question = "假如研發費用是30億，營收最多多少，研發占比才夠門檻？"
    query = QueryTerms(
        terms=(
            Term((sf("研发"), sf("研究发展")), 1.0),
            Term((sf("费用"),), 1.0),
            Term((sf("营收"), sf("营业收入")), 2.0),
        ),
        numbers=(),
        cjk=True,
        question=sf(question),
        given=sf(question),  # the whole message is the focus: its clause that asks nothing states 30億
    )
    text = "研究發展費用占營業收入淨額比率達百分之五。"
    assert share_of_stated_lead(query, text, 2) == "600億元（30億÷百分之五）："
    # the stated amount is the whole of which the text gives a share: multiplied, as before
    times = replace(query, question=sf("研發費用最多多少？"), given=sf("營收是30億，研發費用最多多少？"))
    assert share_of_stated_lead(times, text, 2) == "1.5億元（30億×百分之五）："


def test_count_classifier_and_sub_queries() -> None:
    split = split_parts(sf("花蓮跟台東那兩個東部中心，研發主軸加起來總共幾項？"))
    assert split is not None and split.classifier == "项"
    query = _query(
        "花蓮跟台東那兩個東部中心，研發主軸加起來總共幾項？", [("花莲", 2), ("台东", 2), ("研发主轴", 1)]
    )
    assert sub_queries(split, query) == ["花莲 研发主轴", "台东 研发主轴"]


def test_figure_of_reads_the_figure_next_to_the_part() -> None:
    text = "自1997年啟動「業界開發產業技術計畫」，並自2014年起推動「A+企業創新研發淬鍊計畫」"
    assert _fig("year", "", ["a+"], text).value == 2014
    assert _fig("year", "", ["业界开发"], text).value == 1997
    # a count: the quoted items of the enumeration, not the quoted name before it
    listed = "在花蓮縣推動「東部產業技術服務中心」，以「生活工藝」、「觀光休閒」、「科技農企」為研發主軸"
    assert _fig("count", "项", ["花莲"], listed).value == 3
    # a count written with its classifier, in Chinese numerals too
    assert _fig("count", "项", ["重点"], "研發重點共三項").value == 3
    amount = figure_of("amount", "", ["第二阶段"], "第一階段補助2,000萬元內；第二階段補助1,000萬元內")
    assert amount is not None and amount.value == 1e7 and amount.written == "1,000萬元"
    # the part's words only in the context (a call-out's name): the figure is still the sentence's
    assert _fig("year", "", ["本法"], "自1996年10月1日起施行", context="本法（2015年修正）").value == 1996
    assert figure_of("year", "", ["不在"], text) is None


def test_a_rate_asked_is_not_the_cap_stated_beside_it() -> None:
    text = "得按支出金額百分之十五，抵減應納稅額，並以不超過當年度應納稅額百分之三十為限。"
    assert _fig("percentage", "", ["应纳税额"], text, caps=False).value == 15
    assert _fig("percentage", "", ["为限"], text).value == 30  # a bound asked reads the cap


def test_a_part_named_by_its_article_is_read_from_that_articles_units() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    question = "第5條的抵減率，比第6條的抵減率高幾個百分點？"
    query = _query(question, [("第5条", 2.0), ("第6条", 2.0), ("减率", 2.0)])
    evidence = _evidence(
        ["一、於支出金額百分之十五限度內，抵減應納稅額。", "得按支出金額百分之五，抵減應納稅額。"]
    )
    evidence = [
        replace(ev, passage=replace(ev.passage, section=f"第二章｜第{n}條"))
        for ev, n in zip(evidence, (5, 6), strict=True)
    ]
    result = answerer.compose(query, evidence)
    assert result.answer.startswith("相差10個百分點（百分之十五−百分之五）：")
    assert "第5条" in str(result.diagnostics["operands"])


def test_gives_figure_keeps_passages_of_the_kind_asked() -> None:
    years = QuestionParts(("a", "b"), "difference", "year")
    assert gives_figure(years, "自2014年起推動") and not gives_figure(
        years, "計畫名稱：A+企業創新研發淬鍊計畫"
    )


def test_computation_leads() -> None:
    years = QuestionParts(("a", "b"), "difference", "year")
    assert (
        computation_lead(years, [_fig("year", "", ["a"], "a 2014"), _fig("year", "", ["b"], "b 1997")])[0]
        == "相差17年（2014−1997）："
    )
    counts = QuestionParts(("a", "b"), "sum", "count", "项")
    three, four = _fig("count", "项", ["a"], "a 3項"), _fig("count", "项", ["b"], "b 4項")
    assert computation_lead(counts, [three, four]) == ("合計7項（3項＋4項）：", "3項＋4項 = 7項")


@pytest.mark.parametrize(
    ("question", "terms", "texts"),
    [
        (
            "A+淬鍊計畫比業界開發產業技術計畫晚幾年開始？",
            [("a+淬炼计划", 2.0), ("业界开发产业技术计划", 2.0), ("开始", 0.5)],
            ["自1997年啟動「業界開發產業技術計畫」。", "自2014年起推動「A+淬鍊計畫」。"],
        ),
        # A 民國 year counts in the western calendar (core.years): 民國八十六年 is 1997.
        (
            "青年貸款比創業貸款晚幾年開辦？",
            [("青年贷款", 2.0), ("创业贷款", 2.0), ("开办", 0.5)],
            ["「創業貸款」自民國八十六年起開辦。", "自2014年起開辦「青年貸款」。"],
        ),
    ],
)
def test_a_difference_of_years_cites_both_operands(
    question: str, terms: list[tuple[str, float]], texts: list[str]
) -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None  # the fixed threshold decides: these fakes carry no calibrated signals
    query = _query(question, terms)
    evidence = _evidence(texts)
    result = answerer.compose(query, evidence)
    assert not result.refused
    assert result.answer.startswith("相差17年（2014−1997）：")
    assert sorted(c.quote for c in result.citations) == sorted(e.sentence.text for e in evidence)
    assert result.diagnostics["computation"] == "2014−1997 = 17年"
    assert f"{terms[0][0]}: 2014" in str(result.diagnostics["operands"])


def test_a_difference_of_percentages_is_in_percentage_points_from_a_law_and_from_a_table() -> None:
    # Both regulations' 百分之二十 / 百分之四十, and the SBIR guide's table of limits (60% / 30%).
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    question = "學校跟研究機構繳交收入的比率差多少？"
    assert (split := split_parts(sf(question))) is not None and split.kind == "percentage"
    query = _query(question, [("学校", 2.0), ("研究机构", 2.0), ("缴交", 1.0)])
    law = _evidence(
        [
            "執行單位如為學校者，其繳交收入之比率為百分之二十。",
            "本部提供金額占總經費百分之五十以下者，研究機構繳交收入之比率為百分之四十。",
        ]
    )
    result = answerer.compose(query, law)
    assert not result.refused
    # 「百分之五十以下者」 is the case the provision is for, not its figure
    assert result.answer.startswith("相差20個百分點（百分之四十−百分之二十）：")
    table = _query("人事費跟委託研究費的上限比率差多少？", [("人事费", 2.0), ("委托研究费", 2.0)])
    rows = _evidence(["項目：人事費；限制：不超過總經費60%", "項目：委託研究費；限制：不超過總經費30%"])
    assert answerer.compose(table, rows).answer.startswith("相差30個百分點（60%−30%）：")
    assert gives_figure(split, "比率為百分之二十") and not gives_figure(split, "比率由雙方約定之")


def test_a_missing_operand_is_named_not_guessed() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    question = "A+淬鍊計畫比業界開發產業技術計畫晚幾年開始？"
    query = _query(question, [("a+淬炼计划", 2.0), ("业界开发产业技术计划", 2.0)])
    evidence = _evidence(["自2014年起推動「A+淬鍊計畫」。", "「業界開發產業技術計畫」鼓勵企業投入研發。"])
    result = answerer.compose(query, evidence)
    assert not result.refused and "相差" not in result.answer
    assert result.answer.startswith("文件沒有寫出「業界開發產業技術計劃」的年份")
    assert [c.quote for c in result.citations] == ["自2014年起推動「A+淬鍊計畫」。"]


def test_no_operand_at_all_is_refused() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    query = _query(
        "A+淬鍊計畫比業界開發產業技術計畫晚幾年開始？", [("a+淬炼计划", 2.0), ("业界开发产业技术计划", 2.0)]
    )
    evidence = _evidence(["「A+淬鍊計畫」與「業界開發產業技術計畫」都鼓勵企業投入研發。"])
    result = answerer.compose(query, evidence)
    assert result.refused and result.citations == []
    assert "no evidence gives the year" in str(result.diagnostics["reason"])


def test_each_part_without_a_figure_is_answered_as_a_comparison_not_refused() -> None:
    # 「…上限跟審查週期各差在哪」 over a table whose 審查週期 row says 較長 / 較短: no amount to show
    # side by side, but the rows compare the parts all the same.
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    question = "中央型跟地方型，補助上限跟審查週期各差在哪"
    assert (split := split_parts(sf(question))) is not None and split.operation == "each"
    query = _query(question, [("上限", 2.0), ("审查周期", 2.0)])
    evidence = _evidence(["項目：審查週期；中央型：較長；地方型：較短"])
    result = answerer.compose(query, evidence)
    assert not result.refused and result.citations
    assert "parts" not in str(result.diagnostics.get("reason", ""))
    # one part with an amount and one whose cap is in months: nothing is computed, so no
    # "cannot compute" lead; each part's sentence is quoted as a comparison
    caps = _query("年酬勞跟獎金各有什麼編列上限？", [("年酬劳", 2.0), ("奖金", 2.0), ("上限", 1.0)])
    assert (split := split_parts(caps.question)) is not None and split.operation == "each"
    rules = _evidence(["年酬勞編列上限為新臺幣150萬元。", "獎金總計不得超過2個月月薪。"])
    result = answerer.compose(caps, rules)
    assert not result.refused and "無法計算" not in result.answer
    assert [c.quote for c in result.citations] == [e.sentence.text for e in rules]
    # a difference with no figure is still refused (there is nothing to compute)
    difference = _query("補助上限跟審查週期相差多少", [("上限", 2.0), ("审查周期", 2.0)])
    assert split_parts(difference.question) is not None
    assert answerer.compose(difference, evidence).refused


def test_stated_figures() -> None:
    assert [(w, k, v) for w, k, v, _ in stated_figures(sf("A+淬鍊計畫2018年停辦的原因？"))] == [
        ("2018年", "year", 2018.0)
    ]
    assert [(k, v) for _, k, v, _ in stated_figures(sf("募資超過100億元"))] == [("amount", 1e10)]


def test_a_contradicted_year_is_refused_with_what_the_documents_say() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    query = _query("A+淬鍊計畫2018年停辦的原因是什麼？", [("a+淬炼计划", 2.0), ("原因", 0.5)])
    evidence = _evidence(["本部技術司自2014年起推動「A+淬鍊計畫」。"])
    found = contradiction(query, evidence, depth=5, share=0.5)
    assert found is not None and (found.stated, found.found.value) == ("2018年", 2014)
    result = answerer.compose(query, evidence)
    assert result.refused
    assert result.answer.startswith("文件並未支持問題中的「2018年」；文件寫的是2014年：")
    assert [c.quote for c in result.citations] == [evidence[0].sentence.text]
    assert str(result.diagnostics["reason"]).startswith("false premise")


def test_a_premise_the_evidence_holds_or_a_yes_no_question_is_not_refused_for_it() -> None:
    evidence = _evidence(["本部技術司自2014年起推動「A+淬鍊計畫」。"])
    right = _query("A+淬鍊計畫2014年開始推動的目的是什麼？", [("a+淬炼计划", 2.0), ("目的", 0.5)])
    assert contradiction(right, evidence, depth=5, share=0.5) is None
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    # a yes/no question is answered, not refused: 否, with the year the documents give
    yes_no = _query("A+淬鍊計畫是2018年開始的嗎？", [("a+淬炼计划", 2.0), ("开始", 0.5)])
    result = answerer.compose(yes_no, evidence)
    assert not result.refused
    assert result.answer.startswith("否，文件寫的是2014年，不是2018年：")
    assert [c.quote for c in result.citations] == [evidence[0].sentence.text]


CAP = "「個別申請」補助款編列之上限為100萬元整，「聯合申請」補助款之補助上限為200萬元整。"


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # another figure next to the same word: corrected from the text, not refused
        ("補助上限是500萬嗎？", "否，文件寫的是100萬元，不是500萬："),
        # the figure itself, or a comparison the text bears out
        ("聯合申請的補助上限是200萬嗎？", None),
        ("個別申請的補助上限超過50萬嗎？", "是，文件寫的是100萬元："),
        ("個別申請的補助上限超過300萬嗎？", "否，文件寫的是100萬元："),
        ("個別申請的補助上限不到300萬嗎？", "是，文件寫的是100萬元："),
    ],
)
def test_a_yes_no_question_stating_an_amount_is_answered_from_the_amount_the_text_states(
    question: str, lead: str | None
) -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    words = [w for w in ("个别申请", "联合申请") if w in sf(question)]
    query = _query(question, [(w, 1.0) for w in [*words, "补助", "上限"]] + [("超过", 0.5), ("不到", 0.5)])
    result = answerer.compose(query, _evidence([CAP]))
    assert not result.refused
    if lead is None:
        assert "premise" not in result.diagnostics or "borne out" in str(result.diagnostics.get("shape"))
        assert not result.answer.startswith("否")
    else:
        assert result.answer.startswith(lead)
        assert [c.quote for c in result.citations] == [CAP]
        assert result.diagnostics["decided_by"] == "premise"


def test_a_yes_no_question_stating_a_figure_no_document_states_stays_refused() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(["中小企業之研究發展支出，得抵減應納營利事業所得稅額。"])
    for question in ("研發抵減的預算是500萬嗎？", "研發抵減是2030年開始的嗎？"):
        query = _query(question, [("研发", 1.0), ("抵减", 1.0), ("预算", 1.0), ("开始", 0.5)])
        result = answerer.compose(query, evidence)
        assert result.refused, question
        assert result.answer.startswith("文件沒有提到問題中的")
        assert result.citations == []


def test_stated_counts_and_comparisons() -> None:
    assert [(k, v) for _, k, v, _ in stated_figures(sf("申請類別有三種嗎？"))] == [("count:种", 3.0)]
    assert [(k, v) for _, k, v, _ in stated_figures(sf("區域中心有7個嗎"))] == [("count:个", 7.0)]
    # an ordinal, a count asked and "a" are not stated counts; a span is not a count
    for question in ("第3項規定什麼？", "有幾種類別？", "有一個中心嗎", "期程是2年嗎"):
        assert not [k for _, k, _, _ in stated_figures(sf(question)) if k.startswith("count")], question


def test_a_figure_of_something_else_does_not_answer_a_vetoed_yes_no_question() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    # 宜蘭 is a place the answering passage never names: the place veto refuses, and the cap of
    # another city neither refutes nor bears out the question's 500萬
    query = replace(
        _query("宜蘭的補助上限是500萬嗎？", [("宜兰", 1.0), ("补助", 1.0), ("上限", 1.0)]),
        places=(("宜兰",),),
    )
    result = answerer.compose(query, _evidence(["基隆市" + CAP]))
    assert result.refused
    assert result.diagnostics["decided_by"] == "veto: missing_place"
    foreign = replace(query, places=(), foreign=("宜兰",))
    assert "premise" not in answerer.compose(foreign, _evidence(["基隆市" + CAP])).diagnostics


def test_a_yes_no_question_asserts_only_the_figures_of_its_asking_clause() -> None:
    assert [w for w, *_ in asserted_figures(sf("補助上限是500萬嗎？"))] == ["500万"]
    assert asserted_figures(sf("兩家公司的負責人是父子，這樣會不會有問題？")) == []
    assert [w for w, *_ in asserted_figures(sf("我們有3家公司，聯合申請上限是200萬嗎？"))] == ["200万"]


def test_a_yes_no_question_stating_a_count_is_corrected_by_the_count_written() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(["東部共設有2個中心，分別在花蓮及臺東。"])
    query = _query("東部有三個中心嗎？", [("东部", 1.0), ("中心", 1.0)])
    result = answerer.compose(query, evidence)
    assert not result.refused
    assert result.answer.startswith("否，文件寫的是2個，不是三個：")


def test_a_quantity_no_evidence_states_is_a_false_premise() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(["轉任新創公司之人員得分配股權作為獎勵，並得限制其於一年至五年內不得處分。"])
    locked = _query(
        "轉任人員拿到股權後至少要鎖三年，為什麼要鎖這麼久？", [("股权", 2.0), ("转任", 1.0), ("锁", 0.5)]
    )
    assert unstated_quantity(locked.question, evidence, depth=5) == "三年"
    result = answerer.compose(locked, evidence)
    assert result.refused and result.answer.startswith("文件沒有提到問題中的「三年」。")
    assert result.citations == []
    # the same quantity in other notation is stated; a case the asker sets up is theirs
    assert unstated_quantity(sf("股權要鎖5年嗎，為什麼？"), evidence, depth=5) == ""
    assert unstated_quantity(sf("如果鎖三年，股權怎麼算？"), evidence, depth=5) == ""
    assert unstated_quantity(sf("有一天股權要怎麼處分？"), evidence, depth=5) == ""
    # a 民國 year dates the question, it asserts no span of 105 years
    assert unstated_quantity(sf("105年轉任的人員股權怎麼處分？"), evidence, depth=5) == ""
    assert unstated_quantity(sf("股權要鎖50年嗎？"), evidence, depth=5) == "50年"


def test_each_parts_figure_side_by_side() -> None:
    split = split_parts(sf("學界科專跟業界科專分別是哪一年開始的？"))
    assert split is not None and (split.operation, split.kind) == ("each", "year")
    figures = [_fig("year", "", ["学界"], "学界 2001"), _fig("year", "", ["业界"], "业界 1997")]
    assert computation_lead(split, figures)[0] == "學界科專2001年，業界科專1997年："
    assert split_parts(sf("半導體領域跟資通訊領域各做什麼？")) is None  # asks no figure
    assert split_parts(sf("各地中心有哪些？")) is None  # 各地: all places, not each part


def test_percentages_added_up_are_a_percentage_and_a_plus_joins_the_parts() -> None:
    # 「A加上B，合計…幾%」: 加上 joins the two parts; a sum of shares of one whole is a share
    # (80%), where a difference is in percentage points.
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    question = "園區的產業用地加上公共設施用地，合計至少要佔全區幾%？"
    split = split_parts(sf(question))
    assert split is not None and split.operation == "sum" and split.kind == "percentage"
    assert split.parts[-1] == sf("公共設施用地")
    query = _query(question, [("产业用地", 2.0), ("公共设施用地", 2.0), ("全区", 1.0)])
    law = _evidence(
        [
            "產業用地所占面積，不得低於全區土地總面積百分之六十。",
            "公共設施用地所占面積，不得低於全區土地總面積百分之二十。",
        ]
    )
    result = answerer.compose(query, law)
    assert result.answer.startswith("合計80%（百分之六十＋百分之二十）：")


def test_a_span_in_days_is_stated_whether_written_with_tian_or_ri() -> None:
    evidence = _evidence(["實習期間連續滿60日者，補助新臺幣一萬元；滿九十日者，補助一萬五千元。"])
    assert unstated_quantity(sf("實習滿60天可以拿多少補助？"), evidence, depth=5) == ""
    assert unstated_quantity(sf("實習滿90天可以拿多少補助？"), evidence, depth=5) == ""
    assert unstated_quantity(sf("實習滿45天可以拿多少補助？"), evidence, depth=5) == "45天"


def test_tenths_are_percentages() -> None:
    from assistant.parts import percentages

    assert [(v, w) for _, v, w in percentages(sf("保證成數為九成五，其餘兩成由銀行承擔"))] == [
        (95.0, "九成五"),
        (20.0, "兩成"),
    ]
    assert percentages(sf("計畫完成後一成不變的成員有三成員")) == []


def test_a_tag_question_is_a_yes_no_question_and_its_tag_no_topic() -> None:
    from assistant.lexicon import content_terms
    from assistant.shapes import YES_NO

    for question in ("補助上限是 300 萬對吧？", "申請期限是三個月是吧", "這筆錢要繳回沒錯吧？"):
        assert YES_NO.search(sf(question)), question
    assert content_terms(sf("補助上限是 300 萬對吧？")) == ["补助", "上限", "300"]


def test_a_wrong_figure_in_a_tag_question_is_answered_no_from_a_table_row_under_its_heading() -> None:
    # The row names neither 貸款 nor 上限; its heading names the program, the row its tier and an
    # amount after a currency sign (NT $): that is the figure of the question's tier.
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    query = _query("Youth Tier A 貸款上限是 300 萬對吧？", [("youth", 3.0), ("tier", 2.0), ("贷款", 3.0)])
    evidence = _evidence(["Tier A, NT $2,000,000, 3 years", "Tier B, NT $5,000,000, 5 years"])
    evidence = [
        Evidence(
            ev.sentence,
            replace(ev.passage, section="Youth Startup Program"),
            ev.rank,
            0.95,
            1.0,
            1.0,
            score=ev.score,
            support=0.9,
        )
        for ev in evidence
    ]
    result = answerer.compose(query, evidence)
    assert not result.refused
    assert result.answer.startswith("否，文件寫的是NT$2,000,000，不是300 萬：")
    assert [c.quote for c in result.citations] == [evidence[0].sentence.text]


def test_a_wrong_share_in_tenths_is_corrected_with_the_documents_figure() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    query = _query("研發人員的補助比例是七成，那其餘三成由誰出？", [("研发人员", 2.0), ("补助比例", 2.0)])
    evidence = _evidence(["研發人員費用之補助比例為百分之九十。"])
    found = contradiction(query, evidence, depth=5, share=0.5)
    assert found is not None and (found.stated, found.found.value) == ("七成", 90.0)
    result = answerer.compose(query, evidence)
    assert result.answer.startswith("文件並未支持問題中的「七成」；文件寫的是百分之九十：")
    assert [c.quote for c in result.citations] == [evidence[0].sentence.text]


def test_a_figure_belongs_to_its_own_part_of_a_span() -> None:
    # 從公告到2019年修正: 2019 is the year of 修正; 公告 (before 到) is the other part.
    query = _query("本辦法從公告到2019年修正，中間隔了幾年？", [("公告", 2.0), ("修正", 2.0), ("办法", 1.0)])
    evidence = _evidence(["本辦法於2010年公告。", "本辦法於2019年修正。"])
    assert contradiction(query, evidence, depth=5, share=0.5) is None
    wrong = _query("本辦法從公告到2017年修正，中間隔了幾年？", [("公告", 2.0), ("修正", 2.0), ("办法", 1.0)])
    found = contradiction(wrong, evidence, depth=5, share=0.5)
    assert found is not None and found.found.value == 2019


def test_a_yes_no_clause_asserts_only_its_own_words() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(
        [
            "研發成果公告後達三年以上，經執行單位認定不具有運用價值者，執行單位得發布讓與之公告，經本部核准後得終止繳納維護費。"
        ]
    )
    question = "手上有幾件專利公告好幾年了都沒人想用，有沒有辦法停掉？流程大概是怎樣？"
    query = _query(question, [("专利", 2.0), ("公告", 1.0), ("停掉", 1.0), ("流程", 2.0)])
    result = answerer.compose(query, evidence)
    # 專利 of the clause that states and 流程 of the clause that asks how are not asserted
    assert not result.refused and not result.answer.startswith("否"), result.answer


def test_a_figure_the_background_states_is_a_premise_checked_like_the_focus() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(["企業就每一專案之捐助金額，最低不得少於新臺幣二千萬元。"])
    terms = [("每一专案", 1.0), ("捐", 0.5), ("企业", 1.0), ("最低", 1.0)]
    wrong = replace(_query("是每一個專案都要捐這麼多嗎？", terms), background=sf("企業最低要捐一億元"))
    result = answerer.compose(wrong, evidence)
    assert result.refused and result.diagnostics["decided_by"] == "premise"
    assert result.answer.startswith("文件並未支持問題中的「一億元」；文件寫的是二千萬元")
    # The same background with the documents' figure, and a case of the asker's own, are no premise.
    right = replace(wrong, background=sf("企業最低要捐兩千萬元"))
    assert answerer.compose(right, evidence).diagnostics.get("decided_by") != "premise"
    for own in ("如果企業最低要捐一億元", "企業最低大概要捐一億元"):
        mine = replace(wrong, background=sf(own))
        assert answerer.compose(mine, evidence).diagnostics.get("decided_by") != "premise"


def test_shares_written_as_fractions_or_halves_are_percentages() -> None:
    assert [(v, w) for _, v, w in percentages(sf("租賃期間達經濟年限四分之三"))] == [(75.0, "四分之三")]
    assert [v for _, v, _ in percentages(sf("份額至少一半"))] == [50.0]
    assert [v for _, v, _ in percentages(sf("千分之五"))] == [0.5]
    assert percentages(sf("二分之一以下者")) == []  # the case a rule is for, not its figure
    assert [(k, v) for _, k, v, _ in stated_figures(sf("最低要捐一億元，兩千萬元"))] == [
        ("amount", 1e8),
        ("amount", 2e7),
    ]
    assert _fig("amount", "", ["最低"], "最低不得少於新臺幣二千萬元。").value == 2e7


def test_a_bound_stated_the_other_way_round_is_a_false_premise() -> None:
    answerer = ExtractiveAnswerer()
    answerer.refusal_model = None
    evidence = _evidence(["於本市完成公司登記未滿五年之公司，得申請補助。"])
    flipped = _query("為什麼規定公司要成立滿五年才可以申請？", [("公司", 1.0), ("申请", 1.0)])
    result = answerer.compose(flipped, evidence)
    assert result.refused and result.diagnostics["decided_by"] == "premise"
    assert result.answer.startswith("文件並未支持問題中的「滿五年」；文件寫的是「未滿五年」")
    # The bound the documents write, a quantity without a direction, and the asker's own case pass.
    for question in (
        "為什麼規定公司要未滿五年才可以申請？",
        "公司成立五年了，要準備什麼？",
        "如果公司滿五年，可以申請嗎？",
    ):
        asked = _query(question, [("公司", 1.0), ("申请", 1.0)])
        assert answerer.compose(asked, evidence).diagnostics.get("decided_by") != "premise", question
    assert reversed_bound(sf("至少要綁三年"), _evidence(["最長不得超過三年。"]), 5) is not None
    assert reversed_bound(sf("至少要綁三年"), _evidence(["最長不得超過二年。"]), 5) is None  # another figure


def test_how_often_asks_a_period_not_a_year() -> None:
    parts = split_parts(sf("政府提出遠景說明跟訂定發展計畫，各是幾年一次？"))
    assert parts is not None and parts.kind == "period" and parts.operation == "each"
    assert _fig("period", "", ["远景"], sf("政府應每二年提出遠景說明。")).written == "每二年"
    assert _fig("period", "", [sf("計畫")], sf("每隔三個月檢討計畫。")).value == 3
    assert split_parts(sf("A計畫跟B計畫各是哪一年開始的？")).kind == "year"  # type: ignore[union-attr]


def test_a_minguo_year_the_question_states_is_checked_as_its_western_year() -> None:
    assert [(k, v) for _, k, v, _ in stated_figures(sf("聽說是民國一一〇年開始的"))] == [("year", 2021.0)]
    query = _query("聽說投資抵減是民國一一〇年開始的，那到截止總共可以適用幾年？", [("投资抵减", 2.0)])
    found = contradiction(query, _evidence(["自中華民國一百十四年一月一日起投資抵減。"]), depth=5, share=0.5)
    assert found is not None and found.found.value == 2025
    # The year the question states, written in the other calendar next to another year, bears it out.
    right = _query("民國一〇三年核定的那個方案，期程到哪一年？", [("核定", 1.0), ("方案", 1.0)])
    held = _evidence(["本方案於103年10月13日核定，期程為103年至113年。"])
    assert contradiction(right, held, depth=5, share=0.5) is None


def test_a_stated_amount_may_come_before_the_word_it_is_of() -> None:
    # 「拿60萬現金投資」 is in the asker's own clause: 投資 is no query term, but it follows the amount.
    question = "我打算拿60萬現金投資新創，聽說要持有三年，最多可以從所得總額減掉多少？"
    query = QueryTerms(
        terms=(Term((sf("所得"),), 1.0), Term((sf("总额"),), 1.0), Term((sf("减掉"),), 0.5)),
        numbers=(),
        cjk=True,
        question=sf("最多可以從所得總額減掉多少？"),
        given=sf(question),
    )
    text = "持有期間達三年者，得就投資金額百分之五十限度內，自當年度個人綜合所得總額中減除。"
    assert share_of_stated_lead(query, text, 2) == "30萬元（60萬×百分之五十）："
    assert share_of_stated_lead(query, "補助不得超過總經費之百分之五十。", 2) == ""


def test_how_many_days_asks_a_length_of_time_read_next_to_any_word_of_the_part() -> None:
    parts = split_parts(sf("被核定不補助想申復，跟審查時被通知補正資料，各有幾天期限？"))
    assert parts is not None and parts.kind == "span"
    rule = sf("審查期限自受理申請日起二個月，如有通知補正申請資料者，自通知後七天內補正完成。")
    assert _fig("span", "", [sf("審查"), sf("補正")], rule).written == "七天"
    assert _fig("span", "", [sf("申復")], sf("得於接到核定通知後二十天內提出申復。")).written == "二十天"
