"""Evidence units and table rows: what an extractive answer quotes once it has chosen a sentence (no models)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term
from assistant.lists import about, question_facets
from assistant.reply import Passage
from assistant.shapes import yes_no
from assistant.tables import label_match, labels, parallel_rows
from assistant.units import expand, expand_all, named_article
from core.text import sentence_spans, to_search_form

_VEC = np.ones(4, np.float32) / 2.0


def _unit(pid: str, text: str, section: str, kind: str, source: str, start: int = 0) -> Passage:
    """One stored unit of ``text`` from ``start``."""
    return Passage(
        id=pid, source=source, section=section, text=text, start=start, end=start + len(text), kind=kind
    )


def _passage_evidence(
    text: str,
    section: str = "第一章｜第19條",
    kind: str = "article",
    source: str = "law.txt",
    offset: int = 0,
) -> list[Evidence]:
    """Evidence for every sentence of one passage, cut as ingest cuts them (。；： and line breaks)."""
    passage = _unit(f"p{offset}", text, section, kind, source, offset)
    spans = sentence_spans(text, pattern=re.compile(r"[。！？；：!?;:][」』）”’)]*|\n"))
    records = [SentenceRecord(f"s{offset + a}", text[a:b], offset + a, offset + b, _VEC) for a, b in spans]
    return [Evidence(r, passage, 0, 0.9, 0.5, 0.5, score=0.5, support=0.7, siblings=records) for r in records]


def _titled(text: str, section: str, title: str = "某某條例") -> Evidence:
    """The evidence of a one-sentence passage of a document titled ``title``."""
    (ev,) = _passage_evidence(text, section=section)
    return dataclasses.replace(ev, passage=dataclasses.replace(ev.passage, title=title))


def _at(evidence: list[Evidence], start: str) -> Evidence:
    return next(ev for ev in evidence if ev.sentence.text.startswith(start))


def _terms(*words: str) -> tuple[Term, ...]:
    return tuple(Term((to_search_form(w),), 1.0) for w in words)


LAW = (
    "研發成果公告後達三年以上，經執行單位認定不具有運用價值者，執行單位得發布讓與之公告；"
    "三個月內無人請求受讓時，經本部核准後，得終止繳納維護費用。"
    "執行單位不得自行將研發成果商品化。但符合下列各款規定之一者，不在此限：一、經本部事先同意。\n"
    "二、無國內企業表示願予商品化之意思，並經本部核准。"
    "研發成果商品化所獲得總收入之應繳交本部比率，由本部訂定之。"
)


def test_a_clause_cut_at_a_semicolon_is_quoted_to_the_end_of_its_sentence() -> None:
    evidence = _passage_evidence(LAW)
    unit = expand_all([_at(evidence, "研發成果公告後")], evidence, _terms("維護費"), 150)[0]
    assert unit.sentence.text.endswith("得終止繳納維護費用。")
    assert unit.sentence.text == LAW[unit.sentence.start : unit.sentence.end]  # exact offsets
    # the later clause is quoted with the clause it continues
    later = expand_all([_at(evidence, "三個月內")], evidence, _terms("維護費"), 150)[0]
    assert later.sentence.start == unit.sentence.start and later.sentence.end == unit.sentence.end


def test_a_sentence_longer_than_the_budget_keeps_only_the_clauses_that_hold_the_question() -> None:
    evidence = _passage_evidence(LAW)
    first = _at(evidence, "研發成果公告後")
    assert expand_all([first], evidence, _terms("商品化"), 60)[0].sentence.text == first.sentence.text
    grown = expand_all([first], evidence, _terms("維護費"), 90)[0].sentence.text
    assert grown.endswith("維護費用。")


def test_a_rule_is_quoted_with_its_proviso_and_the_proviso_with_its_items() -> None:
    evidence = _passage_evidence(LAW)
    unit = expand_all([_at(evidence, "執行單位不得")], evidence, _terms("商品化"), 150)[0]
    assert unit.sentence.text.startswith("執行單位不得自行將研發成果商品化。但符合")
    assert "一、經本部事先同意。\n二、無國內企業" in unit.sentence.text
    assert "研發成果商品化所獲得" not in unit.sentence.text  # the next rule is not part of it
    # without room for the items, the sentence stays as it is
    alone = expand_all([_at(evidence, "執行單位不得")], evidence, _terms("商品化"), 20)[0]
    assert alone.sentence.text == "執行單位不得自行將研發成果商品化。"


def test_an_item_is_quoted_with_its_lead_in() -> None:
    evidence = _passage_evidence(LAW)
    unit = expand_all([_at(evidence, "二、無國內企業")], evidence, _terms("企業"), 150)[0]
    assert unit.sentence.text.startswith("但符合下列各款規定之一者")
    assert unit.sentence.text.endswith("並經本部核准。")


def test_units_stay_within_their_article_and_one_unit_holding_another_is_quoted_once() -> None:
    first = _passage_evidence("執行單位應自行負擔下列各款費用：", section="｜第27條")
    second = _passage_evidence(
        "一、研發成果之維護費用。", section="｜第28條", offset=len(first[0].sentence.text)
    )
    evidence = first + second
    assert expand(first[0], _document(evidence), (), 150) is first[0]  # the item is another article's
    law = _passage_evidence(LAW)
    both = expand_all([_at(law, "研發成果公告後"), _at(law, "三個月內")], law, (), 150)
    assert len(both) == 1


def _document(evidence: list[Evidence]):
    from assistant.units import Document

    return Document(evidence)


ARTICLE = (
    "執行單位運用研發成果所獲得總收入之一定比率，應交由本部繳交國庫。"
    "執行單位如為學校者，其繳交收入之比率為百分之二十。"
    "前項以外之執行單位，其繳交收入之比率為百分之四十。"
)


def test_a_question_about_what_an_article_says_quotes_the_article_in_order() -> None:
    other = _passage_evidence("本辦法依科學技術基本法訂定之。", section="第一章｜第1條", offset=500)
    article = _passage_evidence(ARTICLE, section="第四章｜第24條")
    evidence = other + list(reversed(article))
    for question in ("成果運用辦法第24條在規定什麼？", "第二十四條的內容是什麼"):
        quoted = named_article(to_search_form(question), evidence, 240)
        assert [q.sentence.text for q in quoted] == [ARTICLE]
    assert named_article(to_search_form("第24條在規定什麼？"), evidence, 40)[0].sentence.text.endswith(
        "國庫。"
    )
    # a narrower question, or one naming no article, is answered sentence by sentence
    assert named_article(to_search_form("第24條學校要繳幾成？"), evidence, 240) == []
    assert named_article(to_search_form("繳交比率在規定什麼？"), evidence, 240) == []
    assert named_article(to_search_form("第30條在規定什麼？"), evidence, 240) == []
    # the asking words go with another thing the question names, not with the article
    assert named_article(to_search_form("第24條講的學校，繳交比率是什麼？"), evidence, 240) == []
    assert named_article(to_search_form("What does Article 24 say?"), evidence, 240)


def test_labels_of_a_series_tell_rows_apart() -> None:
    assert labels("中央型SBIR的Phase 2最多補多少？") == {("phase", "2")}
    assert labels("Phase 2+加值應用") == {("phase", "2+")}
    assert labels("2026年度") == set()
    # a label followed by a comma or stop is still read; 2+ is never read as 2; a figure is no label
    assert labels("R&D / Detailed Planning, Phase 2, NT $10,000,000") == {("phase", "2")}
    assert labels("Value-Added Applications, Phase 2+, NT $5,000,000") == {("phase", "2+")}
    assert labels("Category 3. Others") == {("category", "3")}
    assert labels("phase 2,000 units or phase 2.5") == set()
    asked = labels("Phase 2 最多補多少")
    assert label_match(asked, "項目：Phase 2上限；中央型SBIR：1,200萬") == 1
    assert label_match(asked, "項目：Phase 1上限；中央型SBIR：150萬") == -1
    assert label_match(asked, "補助比例：最高50%") == 0
    assert label_match(set(), "Phase 1") == 0
    # a Chinese ordinal stage is the English label of its series, in either script
    assert labels("SBIR第二階段的補助上限是多少？") == {("phase", "2"), ("stage", "2")}
    assert labels("第 1 阶段") == {("phase", "1"), ("stage", "1")}
    second = labels("第二階段的補助上限")
    assert label_match(second, "階段：Phase 2；補助上限：1,200萬元") == 1
    assert label_match(second, "階段：Phase 2+；補助上限：600萬元") == -1
    assert label_match(second, "Stage 2 grants up to 1 million") == 1  # another document's labels
    assert labels("第一、二階段總期程") == set()  # no ordinal of one stage


def test_labelled_things_are_the_parts_of_a_comparison() -> None:
    question = to_search_form("SBIR Phase 1 和 Phase 2 的審查方式跟簡報時間有什麼不同？")
    query = QueryTerms(terms=_terms("SBIR", "Phase", "審查", "簡報"), numbers=(), cjk=True, question=question)
    assert question_facets(query) == [("phase 1", "phase1"), ("phase 2", "phase2")]


def _row(text: str, n: int, score: float) -> Evidence:
    """One table row: a single unit, as ingest stores it."""
    passage = _unit(f"r{n}", text, f"快速比較｜表1 第{n}列", "row", "t.md")
    record = SentenceRecord(f"r{n}", text, 100 * n, 100 * n + len(text), _VEC)
    return Evidence(record, passage, 0, 0.9, 0.5, 0.5, score=score, support=0.7, siblings=[record])


def test_a_comparison_answered_by_a_row_quotes_the_rows_that_hold_what_it_lacks() -> None:
    cycle = _row("項目：審查週期；中央型：較長；地方型：較短", 5, 0.84)
    cap = _row("項目：Phase 1上限；中央型：150萬；地方型：100萬", 2, 0.54)
    other_cap = _row("項目：Phase 2上限；中央型：1,200萬；地方型：100-200萬", 3, 0.52)
    unrelated = _row("項目：競爭程度；中央型：高；地方型：中", 4, 0.53)
    elsewhere = _passage_evidence("上限依各縣市公告。", section="地方型", kind="text", offset=900)[0]
    elsewhere.score = 0.8
    evidence = [cycle, elsewhere, cap, unrelated, other_cap]
    terms = _terms("上限", "審查", "週期")
    rows = parallel_rows([cycle], evidence, terms, 3, 0.5, 0.5)
    assert rows == [cycle, cap]  # the Phase 2 row adds nothing the Phase 1 row does not hold
    assert parallel_rows([elsewhere], evidence, terms, 3, 0.5, 0.5) == [elsewhere]  # not a row
    assert parallel_rows([cycle], evidence, terms, 3, 0.6, 0.5) == [cycle]  # below the score floor


def test_a_rule_that_forbids_or_exempts_answers_a_yes_no_question_with_no() -> None:
    q = to_search_form
    verdict = yes_no(
        q("執行單位可以自己把研發成果商品化嗎？"), [], (), "執行單位不得自行將研發成果商品化。但…"
    )
    assert verdict is not None and verdict.lead == "否，不可以。"
    verdict = yes_no(q("學校也一定要通過評鑑嗎？"), [], (), "執行單位如為學校者，不受前三項規定之限制。")
    assert verdict is not None and verdict.lead == "否，不用。"
    # a proviso that forbids something else does not decide
    verdict = yes_no(q("可以申請嗎？"), [((q("申請"),), 1.0)], (), "符合資格者得申請。但不得重複申請。")
    assert verdict is not None and verdict.lead == "是，可以。"


def test_a_rule_forbidding_something_else_in_the_same_sentence_gives_no_no() -> None:
    # 「一經擇定不得變更」 forbids changing a choice, not what the question asks to do.
    q = to_search_form
    terms = [((q("有限合夥"),), 1.0), ((q("抵減"),), 1.0)]
    rule = "公司或有限合夥事業投資於智慧機械，得選擇抵減營利事業所得稅額，一經擇定不得變更。"
    verdict = yes_no(q("有限合夥可以適用智慧機械抵減嗎？"), terms, (), rule)
    assert verdict is not None and not verdict.lead.startswith("否")
    forbids = "計畫書經受理後，不得更替抽換。"
    verdict = yes_no(q("計畫書可以中途抽換嗎？"), [((q("抽換"),), 1.0)], (), forbids)
    assert verdict is not None and verdict.lead.startswith("否")


def test_a_count_over_the_most_a_rule_allows_is_a_no_and_one_within_it_is_not() -> None:
    q = to_search_form
    rule = "公司申請適用投資抵減，於同一課稅年度以申請一次為限。"
    terms = [((q("申請"),), 1.0)]
    verdict = yes_no(q("同一年可以申請兩次嗎？"), terms, (), rule)
    assert verdict is not None and verdict.lead == "否，不可以。" and "at most 1次" in verdict.rule
    verdict = yes_no(q("同一年可以申請一次嗎？"), terms, (), rule)
    assert verdict is not None and verdict.lead == "是，可以。"
    verdict = yes_no(q("展延會超過三個月嗎？"), [], (), "必要時得展延，展延期間不得逾二個月。")
    assert verdict is not None and verdict.lead == "否。"


def test_a_have_question_echoes_its_verb() -> None:
    # 「有包含…嗎」 is answered 有，包含 / 否，沒有包含, as a Chinese reply repeats the verb.
    q = to_search_form
    terms = [((q("人文社會科學"),), 1.0)]
    verdict = yes_no(q("適用範圍有包含人文社會科學嗎？"), terms, (), "本法適用於含人文社會科學之科學技術。")
    assert verdict is not None and verdict.lead == "有，包含。"
    verdict = yes_no(q("適用範圍有包含人文社會科學嗎？"), terms, (), "本法適用於自然科學。")
    assert verdict is not None and verdict.lead == "否，沒有包含。"
    verdict = yes_no(q("技術司在花蓮有中心嗎？"), [((q("花蓮"),), 1.0)], (), "於花蓮設有東部中心。")
    assert verdict is not None and verdict.lead == "有。"  # 中心 is no verb


def test_a_yes_no_verdict_reads_the_cited_sentence_under_its_title_and_chapter() -> None:
    # 「產業創新條例有罰則嗎」 cites an article of the chapter 罰則, which names neither.
    from assistant.answer import ExtractiveAnswerer

    question = to_search_form("產業創新條例有罰則嗎？")
    penalty = _titled("違反前項規定者，處新臺幣十萬元以上罰鍰。", "第十二章 罰則｜第66條", "產業創新條例")
    query = QueryTerms(terms=_terms("產業創新條例", "罰則"), numbers=(), cjk=True, question=question)
    verdict, _ = ExtractiveAnswerer()._yes_no(query, [penalty], [penalty])
    assert verdict is not None and verdict.lead.startswith("有")
    bare = dataclasses.replace(
        penalty, passage=dataclasses.replace(penalty.passage, title="", section="附則")
    )
    verdict, _ = ExtractiveAnswerer()._yes_no(query, [bare], [bare])
    assert verdict is not None and verdict.lead.startswith("否")


def test_a_rule_cited_under_its_title_still_rules_the_verdict() -> None:
    # The verdict reads the cited sentence under its title and section; what the question may do
    # is still ruled by the cited sentence itself, not by the title line before it.
    from assistant.answer import ExtractiveAnswerer

    rule = _titled("已享有補助者，不得就同一事項重覆申請補助。", "第一章｜第8條")
    query = QueryTerms(
        terms=_terms("補助"), numbers=(), cjk=True, question=to_search_form("補助可以重覆申請嗎？")
    )
    verdict, _ = ExtractiveAnswerer()._yes_no(query, [rule], [rule])
    assert verdict is not None and verdict.lead == "否，不可以。"
    once = _titled("申請抵減者，於同一課稅年度以申請一次為限。", "第一章｜第9條")
    query = QueryTerms(
        terms=_terms("抵減"), numbers=(), cjk=True, question=to_search_form("抵減同一年可以申請兩次嗎？")
    )
    verdict, _ = ExtractiveAnswerer()._yes_no(query, [once], [once])
    assert verdict is not None and verdict.lead == "否，不可以。"


def test_a_count_question_answered_by_a_lead_in_and_its_items_leads_with_their_count() -> None:
    from assistant.lists import enumeration_count
    from assistant.units import item_count

    unit = "申請者應符合下列各款條件：\n一、依法設立。\n二、淨值為正。\n三、非銀行拒絕往來戶。"
    assert item_count(unit) == 3
    assert enumeration_count(to_search_form("申請條件有幾項？"), unit) == "共3項："
    assert item_count("項目：Phase 1上限；中央型SBIR：150萬") == 0  # a row's cells are no items
    assert enumeration_count(to_search_form("申請條件有幾項？"), "申請者應依法設立。") == ""
    # an item that ends in the noun counted (四、其他適當之方式) is one item, not an enumeration
    # of two (its number's 、 is no enumeration comma); in both laws' numbering styles
    uses = (
        "執行單位運用研發成果，得依下列方式為之：\n一、授權。\n二、讓與。\n三、信託。\n四、其他適當之方式。"
    )
    assert enumeration_count(to_search_form("第13條有哪幾種運用方式？"), uses) == "共4種："
    prc = "可以采用下列方式进行科技成果转化：\n（一）自行投资实施转化；\n（二）向他人转让该科技成果；\n（三）以该科技成果作价投资，折算股份或者出资比例；\n（四）其他协商确定的方式。"
    assert enumeration_count(to_search_form("可以用哪幾種方式轉化？"), prc) == "共4種："


def test_a_longest_time_question_answered_by_a_limit_and_its_extension_leads_with_their_sum() -> None:
    from assistant.sums import extended_limit

    text = "自收件之日起至審查完竣通知申請者之日止，其期間不得逾四個月；必要時，得延長一個月。"
    assert (
        extended_limit(to_search_form("審查最久可能拖幾個月？"), text)
        == "最長共5個月（4個月，必要時延長1個月）："
    )
    assert extended_limit(to_search_form("審查要幾個月？"), text) == ""  # not the longest
    assert extended_limit(to_search_form("最長幾個月？"), "期間不得逾四個月。") == ""  # no extension
    assert extended_limit(to_search_form("最長幾天？"), "期間為30日，得延長一個月。") == ""  # other units
    # 展延 is an extension too, its span a few characters on (展延一次最長30日)
    signing = "簽約：核定後20日內完成簽約，經申請可展延一次最長30日。"
    assert (
        extended_limit(to_search_form("展延的話最晚第幾天要簽完？"), signing)
        == "最長共50日（20日，延長30日）："
    )


def test_a_sentence_too_short_to_stand_alone_is_no_evidence() -> None:
    from assistant.units import quotable

    assert not quotable("二、審查")
    assert not quotable("嘉義產業創新研發中心")  # a name, however long its label
    assert quotable("審查：分為計畫審查及企業審查兩部分；")
    # a short list item that states a figure with its words says something; a label does not
    assert quotable("委員提問10-15分鐘") and quotable("現場簡報15-20分鐘")
    assert not quotable("臺南（沙崙）") and not quotable("第3條") and not quotable("2023")
    assert quotable("申復以一次為限。")  # a whole sentence, however short
    assert not quotable("見下。")  # too few letters to state anything
    # a repealed article's whole text says it was struck out (全國法規資料庫: 第 6 條 （刪除）)
    assert quotable("（刪除）") and quotable("(删除)") and not quotable("（略）")


def test_the_exception_for_the_case_asked_about_leads_the_answer() -> None:
    from assistant.units import exception_first

    article = _passage_evidence(
        "執行單位應通過前項各款制度評鑑；執行單位未通過制度評鑑者，本部得限制其執行科技計畫。"
        "執行單位如為公、私立學校者，不受前三項規定之限制。",
        section="第五章｜第28條",
    )
    rule = _at(article, "執行單位未通過")
    exception = _at(article, "執行單位如為")
    terms = _terms("學校", "評鑑")
    duty = _at(article, "執行單位應通過")
    assert exception_first([rule], article, terms) == [exception, duty, rule]  # with the duty it exempts from
    # a question that names no exempted case keeps the rule alone
    assert exception_first([rule], article, _terms("評鑑")) == [rule]
    # an exception of another article does not apply
    other = _passage_evidence("執行單位如為學校者，不適用之。", section="第五章｜第29條", offset=300)
    assert exception_first([rule], [*article[:2], *other], terms) == [rule]


def test_a_total_of_the_counts_the_text_gives_for_the_things_asked_about() -> None:
    from assistant.sums import arithmetic_lead

    text = "2022年共培育52組團隊，分別促成16組完成公司設立、5組與國內大型企業合作進行場域驗證、5組與美商簽署合作協議、5組取得國際新創奬項。"
    terms = [((to_search_form(w),), 1.0) for w in ("場域驗證", "美商", "國際獎")]
    question = to_search_form("做場域驗證、跟美商簽約、拿到國際獎的加總是幾組？")
    assert arithmetic_lead(question, terms, text) == "合計15組（5＋5＋5）："
    assert arithmetic_lead(to_search_form("跟美商簽約的有幾組？"), terms, text) == ""  # no total asked
    assert arithmetic_lead(question, terms[:1], text) == ""  # one figure is no sum


def test_a_comparison_quotes_the_parallel_provision_next_to_the_one_chosen() -> None:
    from assistant.units import parallel_provisions

    article = _passage_evidence(
        ARTICLE + "本部提供金額占總經費百分之五十以下者，其比率由雙方約定之。", section="第四章｜第24條"
    )
    school = _at(article, "執行單位如為學校者")
    others = _at(article, "前項以外之執行單位")
    quoted = parallel_provisions([school], article, 3)
    assert [q.sentence.text for q in quoted] == [school.sentence.text, others.sentence.text]
    # a neighbour that says something else (國庫, 雙方約定) is no parallel provision
    assert [q.sentence.text for q in parallel_provisions([_at(article, "執行單位運用")], article, 3)] == [
        _at(article, "執行單位運用").sentence.text
    ]
    assert parallel_provisions([school], article, 1) == [school]  # no room


def test_each_compared_article_gets_its_parallel_item_and_parallel_sentences_are_found() -> None:
    from assistant.units import parallel, parallel_provisions

    ten = _passage_evidence(
        "一、於支出金額百分之十五限度內，抵減當年度應納營利事業所得稅額。\n"
        "二、於支出金額百分之十限度內，自當年度起三年內抵減各年度應納營利事業所得稅額。",
        section="｜第10條",
    )
    ten_one = _passage_evidence(
        "一、於支出金額百分之五限度內，抵減當年度應納營利事業所得稅額。\n"
        "二、於支出金額百分之三限度內，自當年度起三年內抵減各年度應納營利事業所得稅額。",
        section="｜第10-1條",
        offset=200,
    )
    picked = [ten[1], ten_one[0]]
    quoted = parallel_provisions(picked, ten + ten_one, 4)
    assert [q.sentence.text for q in quoted] == [ten[1].sentence.text, ten[0].sentence.text] + [
        e.sentence.text for e in ten_one
    ]
    assert parallel_provisions(picked, ten + ten_one, 3)[-1].sentence is ten_one[0].sentence  # no room
    assert parallel(ten[1].sentence.text, ten_one[1].sentence.text)
    assert not parallel(ten[1].sentence.text, ten[1].sentence.text)  # the same sentence is no parallel
    assert not parallel(
        ten[1].sentence.text, "其各年度投資抵減金額以不超過當年度應納營利事業所得稅額百分之三十為限："
    )


# Two laws of different styles with numbered lists after a lead-in: a Taiwanese regulation
# (經濟部推動研究機構進行產業創新及研究發展補助辦法 第4條 and 第18條, items 一、二、) and the PRC law on
# promoting the transformation of scientific and technological achievements (2015), 第四十条
# (items （一）（二）（三）, each cut at ；), as the multi corpus holds them.
REPORTS = (
    "依前條規定與本部或所屬機關簽約執行科技專案者（以下簡稱執行單位），應依約定期提交下列工作報告送本部或所屬機關進行審查：\n"
    "一、執行創新前瞻類科技專案者，應提交半年工作報告及年度執行報告。\n"
    "二、執行關鍵類及環境建構類科技專案者，應提交工作季報、年度執行報告及全程執行總報告。\n"
    "科技專案執行期間，本部或所屬機關於必要時得依約進行查證。"
)
CATEGORIES = (
    "創新前瞻類指規劃開發符合下列規定之科技專案：\n"
    "一、國內外尚未商業化之產品、服務或技術。\n"
    "二、具潛力可促使我國產生領導型技術。\n"
    "環境建構類指下列規定之科技專案：\n"
    "一、建置或維持檢測與認驗證設施、實驗室及試量產工廠。\n"
    "二、推動或開發產業發展創新服務。"
)
PRC_ARTICLE_40 = (
    "科技成果完成单位与其他单位合作进行科技成果转化的，应当依法由合同约定该科技成果有关权益的归属。"
    "合同未作约定的，按照下列原则办理：\n"
    "（一）在合作转化中无新的发明创造的，该科技成果的权益，归该科技成果完成单位；\n"
    "（二）在合作转化中产生新的发明创造的，该新发明创造的权益归合作各方共有；\n"
    "（三）对合作转化中产生的科技成果，各方都有实施该项科技成果的权利，转让该科技成果应经合作各方同意。"
)


def test_items_after_one_lead_in_are_one_list_and_a_second_lead_in_starts_another() -> None:
    from assistant.units import Document, list_of

    reports = _passage_evidence(REPORTS, section="第四章｜第18條")
    doc = Document(reports)
    first, second = _at(reports, "一、執行創新"), _at(reports, "二、執行關鍵類")
    assert list_of(doc, first) == list_of(doc, second) != ""
    assert list_of(doc, _at(reports, "科技專案執行期間")) == ""  # no item
    assert list_of(doc, _at(reports, "依前條規定")) == ""  # the lead-in itself
    categories = _passage_evidence(CATEGORIES, section="第一章｜第4條", offset=1000)
    doc = Document(categories)
    assert list_of(doc, _at(categories, "一、國內外")) == list_of(doc, _at(categories, "二、具潛力"))
    assert list_of(doc, _at(categories, "一、建置")) != list_of(doc, _at(categories, "一、國內外"))
    prc = _passage_evidence(PRC_ARTICLE_40, section="第四章 技术权益｜第40條", offset=2000)
    doc = Document(prc)
    keys = {list_of(doc, _at(prc, start)) for start in ("（一）", "（二）", "（三）")}
    assert len(keys) == 1 and "" not in keys


def test_a_comparison_answered_by_an_item_quotes_the_items_of_its_list_that_hold_what_it_lacks() -> None:
    reports = _passage_evidence(REPORTS, section="第四章｜第18條")
    first, second = _at(reports, "一、執行創新"), _at(reports, "二、執行關鍵類")
    terms = _terms("創新前瞻類", "關鍵類", "工作報告")
    chosen = parallel_rows([first], reports, terms, 3, 0.4, 0.5)
    assert chosen == [first, second]
    quoted = expand_all(chosen, reports, terms, 150)
    assert len(quoted) == 1 and quoted[0].sentence.text.startswith("依前條規定")
    assert quoted[0].sentence.text.endswith("全程執行總報告。")  # lead-in and both items, one quote
    # an item of another list in the same article is not a part of this one
    categories = _passage_evidence(CATEGORIES, section="第一章｜第4條")
    terms = _terms("創新前瞻類", "試量產")
    assert parallel_rows([_at(categories, "一、國內外")], categories, terms, 3, 0.4, 0.5) == [
        _at(categories, "一、國內外")
    ]
    # the second law: the case asked about that the chosen item lacks
    prc = _passage_evidence(PRC_ARTICLE_40, section="第四章 技术权益｜第40條")
    terms = _terms("无新的发明创造", "产生新的发明创造")
    one = _at(prc, "（一）")
    assert parallel_rows([one], prc, terms, 3, 0.4, 0.5) == [one, _at(prc, "（二）")]


def _table_row(
    table: str, text: str, n: int, score: float, coverage: float, source: str = "local.md"
) -> Evidence:
    passage = _unit(f"{table}{n}", text, f"{table}｜表7 第{n}列", "row", source)
    record = SentenceRecord(f"{table}{n}", text, 1000 * n, 1000 * n + len(text), _VEC)
    return Evidence(record, passage, 0, 0.9, coverage, 0.5, score=score, support=0.7, siblings=[record])


def test_a_question_for_the_members_of_a_table_quotes_every_row_that_holds_what_the_first_does() -> None:
    # 各縣市重點領域對照 of the local SBIR guide: which cities have 半導體?
    hsinchu = _table_row(
        "對照", "縣市：新竹市；重點領域1：ICT；重點領域2：生技；重點領域3：半導體", 7, 0.9, 1.0
    )
    kaohsiung = _table_row(
        "對照", "縣市：高雄市；重點領域1：鋼鐵金屬；重點領域2：石化；重點領域3：半導體", 4, 0.7, 1.0
    )
    taipei = _table_row(
        "對照", "縣市：台北市；重點領域1：資通訊；重點領域2：生技醫療；重點領域3：文創", 1, 0.7, 0.5
    )
    prose = _passage_evidence("半導體領域投入新世代半導體研發。", section="領域", kind="text", offset=9000)[0]
    prose.score = 0.8
    evidence = [hsinchu, prose, taipei, kaohsiung]
    terms = _terms("重點領域", "半導體")
    assert parallel_rows([hsinchu], evidence, terms, 8, 0.5, 0.5, members=True) == [hsinchu, kaohsiung]
    # not asked for members: a row that adds nothing to what is held is not quoted
    assert parallel_rows([hsinchu], evidence, terms, 8, 0.5, 0.5) == [hsinchu]
    # the same rule on another document's table (an HTML table of rates)
    rows = [
        _table_row("附表", f"類別：第{n}類；補助比率：{rate}", n, 0.8, cov, source="rates.html")
        for n, rate, cov in ((1, "百分之五十", 1.0), (2, "百分之四十", 0.5), (3, "百分之五十", 1.0))
    ]
    assert parallel_rows([rows[0]], rows, _terms("補助比率", "百分之五十"), 8, 0.5, 0.5, members=True) == [
        rows[0],
        rows[2],
    ]


def test_a_comparison_of_two_rows_quotes_the_other_row_instead_of_a_sentence_elsewhere() -> None:
    taoyuan = _table_row(
        "對照", "縣市：桃園市；重點領域1：物流；重點領域2：航太；重點領域3：電子", 5, 0.9, 0.7
    )
    taichung = _table_row(
        "對照", "縣市：台中市；重點領域1：精密機械；重點領域2：航太；重點領域3：光電", 3, 0.6, 0.7
    )
    elsewhere = _passage_evidence("公司登記或商業登記於台中市。", section="台中市", kind="text", offset=9000)[
        0
    ]
    elsewhere.score = 0.7
    terms = _terms("桃園", "台中", "重點領域")
    chosen = parallel_rows([taoyuan, elsewhere], [taoyuan, elsewhere, taichung], terms, 3, 0.5, 0.5)
    assert chosen == [taoyuan, taichung]  # the sentence elsewhere only named 台中, which the row holds


# 第15條 of the research-institute regulation: five items after the lead-in, longer together than
# one evidence unit.
DECLARATIONS = (
    "依本辦法申請科技專案者，於提出計畫申請時，應向本部或所屬機關聲明下列事項：\n"
    "一、三年內未曾有執行政府計畫之重大違約紀錄。\n"
    "二、未有因執行政府計畫受停權處分而其期間尚未屆滿情事。\n"
    "三、於三年內未有違反勞工、環境保護、食品安全衛生相關法規或身心障礙者權益保障法相關規定之重大情節。\n"
    "四、三年內無欠繳應納稅捐情事。\n"
    "五、同一計畫未獲得其他機關經費之補助。"
)


def test_a_question_for_the_members_of_a_list_quotes_all_its_items_within_the_list_budget() -> None:
    evidence = _passage_evidence(DECLARATIONS, section="第三章｜第15條")
    lead = _at(evidence, "依本辦法申請")
    unit = expand_all([lead], evidence, _terms("聲明"), 150)[0].sentence.text
    assert "一、" in unit and "五、" not in unit  # one unit's budget stops early
    whole = expand_all([lead], evidence, _terms("聲明"), 150, list_budget=240)[0].sentence.text
    assert whole == DECLARATIONS  # the lead-in and every item, exact text
    # the second law (PRC, items （一）…（三）): the list budget never cuts an item in half
    prc = _passage_evidence(PRC_ARTICLE_40, section="第四章 技术权益｜第40條")
    lead = _at(prc, "合同未作约定的")
    short = expand_all([lead], prc, _terms("原则"), 60, list_budget=120)[0].sentence.text
    assert short.endswith("；") and "（三）" not in short and "（一）" in short


DEFINES = (
    "本條例所稱中小企業，指依法辦理公司、有限合夥或商業登記，合於中小企業認定標準之事業。"
    "前項認定標準，由中央主管機關按資本額、經常僱用員工數等定之。"
    "前項事業之輔導，由中央主管機關定之。"
)


def test_a_provision_that_says_what_a_name_of_the_unit_means_is_quoted_with_it() -> None:
    evidence = _passage_evidence(DEFINES, section="第一章 總則｜第2條")
    unit = expand_all([_at(evidence, "本條例所稱")], evidence, _terms("中小企業", "認定"), 150)[0]
    assert unit.sentence.text.endswith("經常僱用員工數等定之。")  # 前項認定標準 takes up 認定標準
    # a delegation that only points elsewhere is not joined
    pointer = _passage_evidence(DEFINES.replace("按資本額、經常僱用員工數等", ""), section="｜第2條")
    kept = expand_all([_at(pointer, "本條例所稱")], pointer, _terms("中小企業", "認定"), 150)[0]
    assert kept.sentence.text.endswith("之事業。")
    # a 前項 provision holding none of the question's words is not joined either
    alone = expand_all([_at(evidence, "本條例所稱")], evidence, _terms("有限合夥"), 150)[0]
    assert alone.sentence.text.endswith("之事業。")


def test_each_law_article_a_comparison_names_is_a_part_found_by_its_section() -> None:
    question = to_search_form("第10條跟第10-1條的抵減比例差在哪？")
    query = QueryTerms(terms=(Term(("抵减",), 1.0),), numbers=("10",), cjk=True, question=question)
    assert question_facets(query) == [("第10条",), ("第10-1条",)]
    ten = _passage_evidence(
        "一、於支出金額百分之十五限度內，抵減當年度應納營利事業所得稅額。", section="第三章｜第10條"
    )
    ten_one = _passage_evidence(
        "一、於支出金額百分之五限度內，抵減當年度應納營利事業所得稅額。",
        section="第三章｜第10-1條",
        offset=100,
    )
    assert about(ten[0], ("第10条",)) and not about(ten[0], ("第10-1条",))
    assert about(ten_one[0], ("第10-1条",)) and not about(ten_one[0], ("第10条",))
    # one article named is no comparison of articles
    single = dataclasses.replace(query, question=to_search_form("第10條的抵減比例跟抵減上限差在哪？"))
    assert ("第10条",) not in question_facets(single)


def test_a_question_naming_an_article_is_answered_from_that_article_only() -> None:
    from assistant.units import article_scoped

    fifth = _passage_evidence(
        "二、從事服務業之中小企業，每案為新臺幣一百五十萬元。", section="法規內容｜第5條"
    )
    third = _passage_evidence("二、服務業。", section="法規內容｜第3條", offset=300)
    evidence = third + fifth
    question = to_search_form("第5條裡製造業跟服務業的補助上限怎麼比？")
    assert article_scoped(question, evidence) == fifth
    assert article_scoped(to_search_form("第9條規定什麼？"), evidence) == evidence  # no such article here
    assert article_scoped(to_search_form("服務業的補助上限？"), evidence) == evidence  # no article named


def test_a_provision_about_an_item_by_number_holds_that_items_words() -> None:
    """「第二款補助金額之上限」 is about item 二 of its own article, which may sit in another
    retrieved passage of the section; 「依第四條第二項第二款」 names another article's item."""
    from assistant.units import referenced_items, section_sentences

    items = _passage_evidence(
        "本部拓展商圈之優化措施如下：\n一、補助商圈提升美學。\n二、補助街區店家營造低碳化商業環境。",
        section="法規內容｜第6條",
    )
    limits = _passage_evidence(
        "第一項第一款補助金額之上限，每案為新臺幣五十萬元；第二款補助金額之上限，每案為新臺幣五萬元。",
        section="法規內容｜第6條",
        offset=100,
    )
    near = section_sentences(
        [items[0].passage, limits[0].passage],
        lambda p: [e.sentence for e in items + limits if e.passage is p],
    )
    second = _at(limits, "第二款")
    assert referenced_items(near, second.sentence) == "二、補助街區店家營造低碳化商業環境。"
    assert referenced_items(near, _at(limits, "第一項第一款").sentence) == "一、補助商圈提升美學。"
    assert referenced_items(near, items[0].sentence) == ""  # names no item
    other = _passage_evidence("本部依第四條第二項第二款規定辦理。", section="法規內容｜第6條", offset=300)
    assert referenced_items(near + [other[0].sentence], other[0].sentence) == ""


def test_an_item_far_from_its_lead_in_is_quoted_after_it() -> None:
    lead = "(二)有下列情形之一者，不符申請資格："
    first = f"{lead}\n1.於5年內曾有執行政府計畫或採購有重大違約紀錄者。\n"
    later = "8.本國設立及外國營利事業在臺設立之分公司。\n9.公司狀態為解散、撤銷、停業或歇業。"
    section = "二、申請資格 > (二)有下列情形之一者，不符申請資格"
    head = _passage_evidence(first, section=section, kind="text", source="guide.pdf")
    # the later passage starts 300 characters on: beyond any unit's budget from the lead-in
    tail = [
        dataclasses.replace(ev, sentence=dataclasses.replace(ev.sentence, lead=lead))
        for ev in _passage_evidence(later, section=section, kind="text", source="guide.pdf", offset=300)
    ]
    item = _at(tail, "8.")
    quoted = expand_all([item], head + tail, _terms("分公司"), 150)
    assert [q.sentence.text for q in quoted] == [lead, item.sentence.text]
    assert quoted[0].passage.start == 0  # cited in the passage that holds it
    # without the lead-in in any retrieved passage, the item is quoted alone
    assert [q.sentence.text for q in expand_all([item], tail, _terms("分公司"), 150)] == [item.sentence.text]
    # an item stored without a lead-in is quoted alone too
    plain = _at(_passage_evidence(later, kind="text", source="guide.pdf", offset=300), "8.")
    assert len(expand_all([plain], head + [plain], _terms("分公司"), 150)) == 1


def test_a_lead_in_keeps_its_colon_before_the_item_quoted_after_it() -> None:
    from assistant.evidence import _with_marker

    assert _with_marker("有下列情形之一者，不符申請資格：", 1) == "有下列情形之一者，不符申請資格[1]："
    assert _with_marker("本國設立之分公司。", 2) == "本國設立之分公司[2]。"


def test_a_count_question_is_answered_by_a_table_quoted_whole() -> None:
    """「申請文件有幾項？」 quoting every row of one table: the rows are the count; a table quoted in
    part, or rows of two tables, are none."""
    from assistant.rules import asked_count
    from assistant.tables import whole_table

    rows = [_table_row("文件", f"文件：第{n}種；份數：{n}份", n, 0.9 - n / 10, 1.0) for n in (1, 2, 3)]
    other = _table_row("期程", "階段：審查；時間：2週", 1, 0.5, 0.5)
    assert asked_count(to_search_form("申請文件有幾項？")) == ("项", "文件")
    assert asked_count(to_search_form("要準備幾種文件")) == ("种", "文件")
    assert asked_count(to_search_form("申請文件有哪些？")) is None
    assert whole_table(rows, [*rows, other]) == 3
    assert whole_table(rows[:2], rows) == 0  # the third row is in the table, not in the answer
    assert whole_table(rows[1:], rows[1:]) == 0  # the first row was never read
    assert whole_table([*rows, other], [*rows, other]) == 0
    assert whole_table(rows[:1], rows[:1]) == 0


#: A limit, its proviso and a sentence that extends it (written for this test, not from a corpus).
DEADLINE = (
    "受理機關應於收件之日起三十日內完成審查並通知申請人。但文件不全者，自補正之日起算。"
    "受理機關因案情複雜者，得延長審查期間十五日，並通知申請人。"
    "\n申請人對審查結果不服者，得於十日內申復，申復期間不得延長。"
)


def test_a_time_limit_is_quoted_with_the_sentence_of_its_paragraph_that_extends_it() -> None:
    evidence = _passage_evidence(DEADLINE, section="｜第8條")
    notes: list[str] = []
    units = expand_all([_at(evidence, "受理機關應於")], evidence, _terms("審查"), 60, notes=notes)
    texts = [u.sentence.text for u in units]
    assert texts[0].startswith("受理機關應於收件之日起三十日內") and "但文件不全者" in texts[0]
    assert texts[1] == "受理機關因案情複雜者，得延長審查期間十五日，並通知申請人。"
    assert notes and "extension" in notes[0]
    # the next paragraph is another provision: a limit there is not extended by this one
    later = expand_all([_at(evidence, "申請人對審查")], evidence, _terms("申復"), 60)
    assert len(later) == 1
    # a sentence with no limit of time is quoted as it is
    plain = _passage_evidence("受理機關應通知申請人。受理機關得延長公告。", section="｜第9條")
    assert len(expand_all([plain[0]], plain, _terms("通知"), 60)) == 1


#: A long lead-in and its items (written for this test).
FORMS = (
    "申請人應於每年度開始前二個月起至該年度開始之日止，檢附與申請事項有關之下列文件，"
    "向主管機關申請核發證明：\n一、申請書。\n二、營業登記證明文件。\n三、計畫書。\n四、財務報表。\n"
    "主管機關應於受理後三十日內核發。"
)


def test_a_list_asked_for_is_quoted_whole_however_long_its_lead_in() -> None:
    evidence = _passage_evidence(FORMS, section="｜第5條")
    lead = _at(evidence, "申請人應於")
    # the lead-in alone nearly fills the list's room; its items are counted on their own
    (unit,) = expand_all([lead], evidence, _terms("文件"), 40, list_budget=60)
    assert unit.sentence.text.endswith("四、財務報表。")
    # without a list asked for, the unit's room holds the lead-in and what fits of the items
    (short,) = expand_all([lead], evidence, _terms("文件"), 70)
    assert "三、計畫書" not in short.sentence.text
    # the items' own room still bounds them
    (few,) = expand_all([lead], evidence, _terms("文件"), 20, list_budget=21)
    assert few.sentence.text.endswith("二、營業登記證明文件。")


#: A list whose first item has items of its own (written for this test).
CAPS = (
    "補助金額之上限如下：\n一、從事農業之事業：\n（一）合作社推動者，每案為新臺幣一千萬元；"
    "其他推動者，每案為新臺幣八百萬元。\n（二）個人推動者，每案為新臺幣二百萬元。\n"
    "二、從事觀光業之事業，每案為新臺幣一百萬元。"
)


def test_two_items_of_one_list_chosen_apart_are_quoted_with_the_items_between_them() -> None:
    evidence = _passage_evidence(CAPS, section="｜第6條")
    chosen = [_at(evidence, "補助金額之上限"), _at(evidence, "二、從事觀光業")]
    notes: list[str] = []
    units = expand_all(chosen, evidence, _terms("上限"), 40, notes=notes, items_budget=120)
    assert len(units) == 1 and notes
    assert "（二）個人推動者" in units[0].sentence.text
    assert units[0].sentence.text.endswith("每案為新臺幣一百萬元。")
    assert units[0].sentence.text == CAPS[units[0].sentence.start : units[0].sentence.end]
    # without room for the items, both are quoted as they are
    assert len(expand_all(chosen, evidence, _terms("上限"), 40, items_budget=30)) == 2


def test_a_yes_to_may_is_overturned_when_the_asker_is_placed_elsewhere_than_the_rule_requires() -> None:
    """「工廠設在彰化，可以申請雲林縣的補助嗎」 against 「工廠設立於雲林縣者得申請」: the rule's
    condition names another place for the same verb than the asker's own clause, so 否."""
    from assistant.answer import ExtractiveAnswerer

    rule = _titled("工廠設立於雲林縣者，得申請本補助。", "雲林縣")
    anywhere = _titled("只能申請工廠設立所在地的補助。", "常見問題")
    cited: list[Evidence] = []

    def ask(message: str, focus: str) -> str:
        query = QueryTerms(
            terms=_terms("雲林縣", "補助"),
            numbers=(),
            cjk=True,
            question=to_search_form(focus),
            given=to_search_form(message),
        )
        verdict, chosen = ExtractiveAnswerer()._yes_no(query, [rule], [rule, anywhere])
        assert verdict is not None
        cited[:] = chosen
        return verdict.lead

    assert ask("工廠設在彰化，可以申請雲林縣的補助嗎？", "申請雲林縣的補助嗎？") == "否，不可以。"
    assert cited == [rule, anywhere]  # the rule for whatever place is cited beside it
    assert ask("工廠設在雲林，可以申請雲林縣的補助嗎？", "申請雲林縣的補助嗎？") == "是，可以。"
    assert ask("我還能申請雲林縣的補助嗎？", "申請雲林縣的補助嗎？") == "是，能。"  # no place of the asker's
    # the asker's place for another verb says nothing of where the factory is
    assert ask("我住在彰化，可以申請雲林縣的補助嗎？", "申請雲林縣的補助嗎？") == "是，可以。"


RENEWAL = (
    "本補助以核定一次為原則。但受補助者於結案滿二年後，得檢具成果報告再次申請本補助。"
    "再次申請亦以一次為限。受補助者應於每年底前提交執行報告。"
)


def test_a_sentence_that_adds_to_the_one_before_with_also_is_quoted_with_it() -> None:
    evidence = _passage_evidence(RENEWAL, section="補助原則", kind="text")
    notes: list[str] = []
    unit = expand_all([_at(evidence, "再次申請亦")], evidence, _terms("再次申請"), 150, notes=notes)[0]
    # the sentence it adds to is a proviso, quoted with its rule
    assert (
        unit.sentence.text
        == "本補助以核定一次為原則。但受補助者於結案滿二年後，得檢具成果報告再次申請本補助。再次申請亦以一次為限。"
    )
    assert notes and notes[0].startswith("carries on")
    # a sentence whose subject the one before does not hold stands alone
    last = expand_all([_at(evidence, "受補助者應")], evidence, _terms("執行報告"), 150)[0]
    assert last.sentence.text == "受補助者應於每年底前提交執行報告。"


def test_an_exception_is_quoted_with_the_duty_it_exempts_from_not_a_consequence() -> None:
    from assistant.units import exception_first

    article = _passage_evidence(
        "受補助廠商須於每季提交進度報告；逾期未提交者，主管機關得暫停撥款。"
        "受補助廠商如為新創公司者，不受第一項規定之限制。",
        section="第三章｜第12條",
    )
    consequence = _at(article, "逾期未提交")
    duty = _at(article, "受補助廠商須")
    exception = _at(article, "受補助廠商如為")
    notes: list[str] = []
    terms = _terms("新創公司", "進度報告")
    assert exception_first([consequence], article, terms, notes) == [exception, duty, consequence]
    assert notes and notes[0].startswith("exception: quoted with the rule")
    # a chosen sentence that already states the duty is the rule: nothing is added
    assert exception_first([duty], article, terms) == [exception, duty]


def test_the_days_of_a_period_are_counted_with_both_ends() -> None:
    from assistant.sums import period_days

    asked = to_search_form("受理期間總共幾天？")
    assert (
        period_days(asked, "受理期間為本（105）年5月17日至6月21日止。")
        == "共36天（5月17日至6月21日，含首尾兩日）："
    )
    # 民國 years are read as such: 2024 (民國113年) has a 29 February
    assert period_days(asked, "自113年2月1日起至113年3月1日止") == "共30天（2月1日至3月1日，含首尾兩日）："
    assert period_days(to_search_form("受理期間是什麼時候？"), "5月17日至6月21日") == ""  # no days asked
    assert period_days(asked, "6月21日至5月17日") == ""  # an end before its start is no period


#: A guideline's point 三 with its sub-items, then point 四 (written for this test, in the layout of
#: a city's SBIR notice).
POINTS = (
    "三、計畫內容應包含創新技術。申請廠商符合下列項目者，得酌予加分：\n"
    "(一)以聯合形式提出申請。\n"
    "(二)首次提出申請。\n"
    "(三)文化創意。\n"
    "四、創新技術係指與技術相關之創新應用。"
)


def test_a_lead_ins_list_ends_at_the_next_item_of_the_list_the_lead_in_is_part_of() -> None:
    evidence = _passage_evidence(POINTS, section="申請須知")
    lead = _at(evidence, "申請廠商符合下列項目者")
    unit = expand_all([lead], evidence, _terms("加分"), 150, list_budget=240)[0].sentence.text
    assert unit.startswith("申請廠商符合下列項目者") and unit.endswith("(三)文化創意。")
    assert "四、" not in unit
    # A lead-in that is part of no numbered item goes on over items of any mark, as before.
    bare = _passage_evidence(POINTS.removeprefix("三、"), section="申請須知")
    whole = expand_all([_at(bare, "申請廠商符合下列項目者")], bare, _terms("加分"), 150, list_budget=240)
    assert whole[0].sentence.text.endswith("創新應用。")
