"""A clause of the question adds no sentence the answer quotes already."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.clauses import quoted
from assistant.evidence import Evidence, SentenceRecord
from assistant.reply import Citation, Passage
from tests.test_terms import _assistant

_RULE = "申請人應符合下列條件：一、設立滿二年。二、最近一年無欠稅。"


def _evidence(sentence: str) -> Evidence:
    start = _RULE.index(sentence)
    record = SentenceRecord("s", sentence, start, start + len(sentence), np.asarray([1.0, 0.0], np.float32))
    passage = Passage(id="p2", source="rule.txt", section="第3條", text=_RULE, start=0, end=len(_RULE))
    return Evidence(record, passage, 0, 0.9, 1.0, 1.0)


def test_a_sentence_inside_a_quote_that_grew_over_it_is_quoted_already() -> None:
    # The answer quotes the lead-in with its items; the item 二、 starts inside that quote, in
    # another passage of the same document.
    whole = Citation(1, "p1", "rule.txt", "第3條", _RULE, _RULE, 0, len(_RULE), 0.9)
    assert quoted([whole], _evidence("二、最近一年無欠稅。"))
    lead = Citation(1, "p1", "rule.txt", "第3條", _RULE, "申請人應符合下列條件：", 0, 11, 0.9)
    assert not quoted([lead], _evidence("二、最近一年無欠稅。"))
    other = Citation(1, "p1", "other.txt", "第3條", _RULE, _RULE, 0, len(_RULE), 0.9)
    assert not quoted([other], _evidence("二、最近一年無欠稅。"))


def test_each_clause_knows_the_words_only_the_other_clauses_ask_about() -> None:
    from assistant.clauses import held, other_clauses_words
    from assistant.evidence import QueryTerms, Term

    def terms(*words: str) -> QueryTerms:
        return QueryTerms(tuple(Term((w,), 1.0) for w in words), (), True)

    asked = {
        "延期要交什么资料": terms("延期", "资料"),
        "审查的机关多久回复": terms("审查", "机关", "回复", "资料"),
    }
    # a word the clause says itself (资料) is not the other clause's only
    assert other_clauses_words("延期要交什么资料", asked) == ["审查", "机关", "回复"]
    assert other_clauses_words("审查的机关多久回复", asked) == ["延期", "资料"]
    assert held(["审查", "机关"], "申請延期者，應檢附資料送審查機關。") == 2
    assert held(["审查", "机关"], "申請延期者，應檢附展延計畫書。") == 0


def test_a_clause_that_only_checks_a_value_asks_nothing_of_its_own() -> None:
    from assistant.clauses import checks_value

    for clause in ("是2022年嗎", "是不是1979年？", "應該是5組吧", "２０２２年嗎"):
        assert checks_value(clause), clause
    for clause in ("主要做哪些東西", "是哪一年", "2022年共培育幾組", "是新北嗎", "補助上限是多少"):
        assert not checks_value(clause), clause


def test_an_enumeration_comma_cuts_clauses_only_when_each_piece_asks() -> None:
    from assistant.clauses import _clauses

    assert _clauses("這個辦法是哪天發布、從哪天開始實施的？") == ["這個辦法是哪天發布", "從哪天開始實施的？"]
    # Items of one question (年酬勞、獎金、加班費) stay one clause.
    assert _clauses("年酬勞、獎金、加班費各有什麼上限？") == ["年酬勞、獎金、加班費各有什麼上限？"]
    assert _clauses("補助多少，要等多久？") == ["補助多少", "要等多久？"]


_REPORTS = (
    "第一條 研究機構應當向主管機關提交年度報告，說明成果轉化情況。\n"
    "第二條 研究機構未提交年度報告的，由主管機關責令改正；情節嚴重的，予以通報批評。\n"
    "第三條 研究機構得申請補助，補助比率以百分之五十為限。\n"
    "第四條 主管機關應公開補助結果。\n"
)


def test_a_clause_that_names_no_thing_asks_it_of_the_other_clauses_thing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # 「不交的話會怎樣？」 names nothing the documents use; it asks what follows if the report the
    # clause before names is not handed in: a sentence other than the one that answers that clause.
    bot = _assistant(Path(tmp_path_factory.mktemp("clauses")), (), {"rules.txt": _REPORTS})
    reply = bot.ask("研究機構每年要向誰提交年度報告？不交的話會怎樣？")
    leaning = [c for c in reply.notes["trace"]["clauses"] if c["clause"].startswith("不交")]
    assert leaning and str(leaning[0]["decision"]).startswith("added (asked of 「研究機構")
    assert any("責令改正" in c.quote or "通報批評" in c.quote for c in reply.citations)


def test_a_clause_naming_nothing_leans_only_when_it_asks_beyond_the_cited_answer() -> None:
    from assistant.clauses import ClauseAnswers
    from assistant.evidence import Composition

    rule = "補助空間租賃費用，每月最高補助1萬元，最長補助6個月。"
    cited = Composition(
        rule, [Citation(1, "p1", "qa.txt", "A4", rule, rule, 0, len(rule), 0.9)], False, 0.9, {}
    )
    assert not ClauseAnswers._asks_beyond("最多可以補幾個月？", cited)  # 6個月 is cited already
    assert ClauseAnswers._asks_beyond("不交的話會怎樣？", cited)  # the consequence of a condition
    papers = "申請人應檢附申請書及公司登記文件。"
    filed = Composition(
        papers, [Citation(1, "p2", "qa.txt", "A2", papers, papers, 0, len(papers), 0.9)], False, 0.9, {}
    )
    assert ClauseAnswers._asks_beyond("要等多久才知道結果？", filed)  # no duration is cited
    assert not ClauseAnswers._asks_beyond("要怎麼審？", cited)  # asks nothing the answer lacks
