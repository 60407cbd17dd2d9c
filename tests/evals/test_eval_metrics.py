"""Every metric of :mod:`evals.metrics` on hand-made cases, edge cases included. No models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GOLD_RECORDS, SOURCE, citation_of, cleaned_text, passages_of

from assistant.reply import Citation, Passage, Reply
from evals.dataset import GoldCase, _parse_case
from evals.metrics import (
    COVERAGE_THRESHOLD,
    HIGHER_IS_BETTER,
    HIT_KS,
    METRIC_DEFINITIONS,
    CaseScore,
    SourceTexts,
    Span,
    aggregate,
    breakdown,
    citation_is_precise,
    evidence_chars,
    first_hit_rank,
    gold_coverage,
    key_fact_found,
    missing_key_facts,
    passage_hits,
    percentile,
    score_case,
    squash,
)

TEXT = cleaned_text()
QUOTE = "科技專案自1979年起啟動"  # 13 characters, at offset 0


def _case(**changes: Any) -> GoldCase:
    record = {**GOLD_RECORDS[0], **changes}
    return _parse_case(json.loads(json.dumps(record)), "test")


def _cite(quote: str, start: int = -1, end: int = -1, n: int = 1, source: str = SOURCE) -> Citation:
    return Citation(n, f"p{n}", source, "", quote, quote, start, end, 1.0)


@pytest.fixture()
def texts() -> SourceTexts:
    return SourceTexts({SOURCE: TEXT})


# ------------------------------------------------------------------ locating quotes


def test_squash_removes_all_whitespace() -> None:
    assert squash(" 科技 專案\n\n自1979\t年 ") == "科技專案自1979年"


def test_locate_trusts_offsets_that_hold_the_quote(texts: SourceTexts) -> None:
    start = TEXT.index("業界科技專案")
    where = texts.locate(Span("業界科技專案", SOURCE, start, start + 6))
    assert where is not None and where.source == SOURCE
    assert sorted(where.positions) == list(range(start, start + 6))  # no whitespace before it


def test_locate_searches_when_offsets_are_wrong(texts: SourceTexts) -> None:
    where = texts.locate(Span("業界科技專案", SOURCE, 0, 6))
    assert where is not None
    assert min(where.positions) == squash(TEXT).index("業界科技專案")


def test_locate_ignores_whitespace_and_unknown_source(texts: SourceTexts) -> None:
    where = texts.locate(Span("南臺灣創新\n\n園區 位於臺南", "other.txt"))
    assert where is not None and where.source == SOURCE
    assert len(where.positions) == len("南臺灣創新園區位於臺南")


def test_locate_aligns_text_with_a_stray_page_number(texts: SourceTexts) -> None:
    # Like the baseline's raw chunks: a page number "01" inside the quoted text.
    raw_like = "業界科技專案自1997年啟動，\n01\n鼓勵企業投入創新研發，降低研發風險。"
    where = texts.locate(Span(raw_like, SOURCE))
    assert where is not None
    assert len(where.positions) == len(squash(raw_like)) - 2


def test_a_table_row_quoted_as_header_cell_pairs_sits_at_its_offsets() -> None:
    table = "| 階段 | 補助上限 |\n|---|---|\n| Phase 1 | 150萬 |\n| Phase 2 | 1,200萬 |\n"
    rows = SourceTexts({"t.md": table})
    start = table.index("| Phase 1")
    end = table.index("\n", start)
    built = "階段：Phase 1；補助上限：150萬"  # the headers come from the first line, not this row
    where = rows.locate(Span(built, "t.md", start, end))
    assert where is not None and where.source == "t.md"
    row = squash(table[start:end])
    assert min(where.positions) == squash(table).index(row) and len(where.positions) == len(row)
    cite = Citation(1, "p1", "t.md", "", built, built, start, end, 1.0)
    assert gold_coverage("150萬", [cite], rows) == 1.0  # the cell the gold quote names is cited
    assert gold_coverage("1,200萬", [cite], rows) == 0.0  # another row's cell is not
    head = table.index("| 階段")
    assert (
        rows.locate(Span("甲乙丙丁戊己庚辛壬癸子丑", "t.md", head, head + 12)) is None
    )  # a range holding few of its characters


def test_offsets_of_another_cleaning_are_translated_by_the_offset_map() -> None:
    plain = "| 項目 | 限制 |\n| 人事費 | 不超過總經費 60% |\n"  # where gold quotes are placed
    structured = "項目：人事費；限制：不超過總經費 60%"  # what the index quotes, offsets into this
    row = plain.index("| 人事費")
    # Each structured character's offset in the plain text (-1 for the built labels and marks).
    offset_map = [-1] * len(structured)
    for i, ch in enumerate(structured):
        j = plain.find(ch, row) if ch not in "項目限制：；" else -1
        offset_map[i] = j
    texts = SourceTexts({"t.md": plain}, {"t.md": offset_map})
    cite = Citation(1, "p1", "t.md", "", structured, structured, 0, len(structured), 1.0)
    assert gold_coverage("人事費", [cite], texts) == 1.0
    assert gold_coverage("項目", [cite], texts) == 0.0  # the header line is not the row cited
    unmapped = SourceTexts({"t.md": plain}, {"t.md": [-1] * len(structured)})
    assert gold_coverage("人事費", [cite], unmapped) == 0.0  # nothing placed: string comparison only


def test_locate_returns_none_for_text_not_in_the_corpus(texts: SourceTexts) -> None:
    assert texts.locate(Span("完全無關的一段文字內容在這裡", SOURCE)) is None
    assert texts.locate(Span("   ", SOURCE)) is None


def test_occurrences_finds_every_copy() -> None:
    texts = SourceTexts({"a.txt": "甲乙丙。甲乙丙。", "b.txt": "甲 乙 丙"})
    found = texts.occurrences("甲乙丙")
    assert [(o.source, min(o.positions)) for o in found] == [("a.txt", 0), ("a.txt", 4), ("b.txt", 0)]


# ------------------------------------------------------------------ citation coverage (recall)


def test_exact_citation_covers_the_gold_quote(texts: SourceTexts) -> None:
    assert gold_coverage(QUOTE, [citation_of(TEXT, QUOTE)], texts) == 1.0


def test_empty_citations_cover_nothing(texts: SourceTexts) -> None:
    assert gold_coverage(QUOTE, [], texts) == 0.0
    assert gold_coverage(QUOTE, [], None) == 0.0


def test_partial_coverage_below_and_above_the_threshold(texts: SourceTexts) -> None:
    half = _cite("科技專案自197", 0, 8)  # 8 of 13 characters: 62%
    assert gold_coverage(QUOTE, [half], texts) == pytest.approx(8 / 13)
    assert gold_coverage(QUOTE, [half], texts) >= COVERAGE_THRESHOLD
    third = _cite("科技專案自", 0, 5)  # 5 of 13: 38%
    assert gold_coverage(QUOTE, [third], texts) == pytest.approx(5 / 13)
    assert gold_coverage(QUOTE, [third], texts) < COVERAGE_THRESHOLD


def test_two_citations_cover_by_their_union(texts: SourceTexts) -> None:
    left = _cite("科技專案自", 0, 5, n=1)
    right = _cite("1979年起啟動，由經濟部", 5, 18, n=2)
    assert gold_coverage(QUOTE, [left, right], texts) == 1.0


def test_a_longer_citation_covers(texts: SourceTexts) -> None:
    sentence = passages_of(TEXT)[0].text
    assert gold_coverage(QUOTE, [citation_of(TEXT, sentence)], texts) == 1.0


def test_citation_of_another_place_does_not_cover(texts: SourceTexts) -> None:
    other = citation_of(TEXT, "業界科技專案自1997年啟動")
    # The same words 科技專案自 elsewhere in the text are not the gold quote's characters.
    assert gold_coverage(QUOTE, [other], texts) == 0.0


def test_coverage_without_source_texts_compares_strings() -> None:
    assert gold_coverage(QUOTE, [_cite("前文，科技專案自1979年起啟動，由經濟部")], None) == 1.0
    assert gold_coverage(QUOTE, [_cite("無關")], None) == 0.0


# ------------------------------------------------------------------ retrieval hits


def test_passage_containing_the_quote_hits(texts: SourceTexts) -> None:
    first, second, _ = passages_of(TEXT)
    assert passage_hits(first, [QUOTE], texts)
    assert not passage_hits(second, [QUOTE], texts)


def test_passage_overlapping_half_the_quote_hits(texts: SourceTexts) -> None:
    quote = "降低研發風險。區域創新南臺灣"  # 14 characters across two passages
    second = passages_of(TEXT)[1]  # holds 降低研發風險。 (7 = 50%)
    assert passage_hits(second, [quote], texts)
    short = Passage("x", SOURCE, "", "研發風險。", TEXT.index("研發風險。"), TEXT.index("研發風險。") + 5)
    assert not passage_hits(short, [quote], texts)  # 5 of 14


def test_first_hit_rank_and_none() -> None:
    passages = passages_of(TEXT)
    assert first_hit_rank(passages, ["聚焦智慧製造"]) == 3
    assert first_hit_rank(passages, ["不存在的句子內容"]) is None
    assert first_hit_rank([], [QUOTE]) is None


# ------------------------------------------------------------------ citation precision


def test_citation_precision_rules(texts: SourceTexts) -> None:
    gold = [QUOTE]
    assert citation_is_precise(citation_of(TEXT, passages_of(TEXT)[0].text), gold, texts)  # shares 13
    assert citation_is_precise(_cite("1979年", 5, 10), gold, texts)  # 5 chars, all of the shorter
    assert not citation_is_precise(citation_of(TEXT, "降低研發風險"), gold, texts)
    # Elsewhere in the text: shares no position with the gold quote.
    assert not citation_is_precise(citation_of(TEXT, "業界科技專案自1997年啟動"), gold, texts)
    # Without source texts, a shared run of 5 characters is under 8 and under half of 13.
    assert not citation_is_precise(_cite("業界科技專案自1997年啟動"), gold, None)
    assert citation_is_precise(_cite("由經濟部，科技專案自1979年"), gold, None)
    assert not citation_is_precise(_cite(""), gold, texts)


# ------------------------------------------------------------------ key facts


def test_key_fact_in_simplified_answer() -> None:
    assert key_fact_found("南台湾创新园区聚焦智慧制造与绿能科技。[1]", "智慧製造")
    assert key_fact_found("产业技术司", "產業技術司")


def test_key_fact_alternatives_and_variants() -> None:
    assert key_fact_found("位於台南。", "臺南|台南")
    assert key_fact_found("位於臺南。", "台南")
    assert key_fact_found("自１９７９年起", "1979")  # full-width digits fold
    assert key_fact_found("智慧\n製造", "智慧製造")  # whitespace ignored
    assert key_fact_found("智慧製[1]造", "智慧製造")  # markers ignored


def test_verdict_key_fact_is_read_from_the_lead_only() -> None:
    # 「有」 is inside 「沒有」 and inside the quote: neither states the verdict "yes".
    assert not key_fact_found("否，沒有。此外，於南投市推動「經濟部中臺灣創新園區」[1]。", "有|是")
    assert key_fact_found("否，沒有。此外，於南投市推動…[1]。", "否|沒有")
    assert key_fact_found("有，包含。本條例所稱…[1]。", "有|是")
    assert key_fact_found("是，可以。執行單位得…[1]", "可以")
    assert key_fact_found("否，不行。已依其他法規…[1]", "不行|不能")
    assert not key_fact_found("執行單位得申請，是以…[1]", "是")  # no verdict lead
    assert key_fact_found("Yes. Article 5 says…[1]", "yes")
    # A fact with a word that is not a verdict word is matched anywhere, as before.
    assert key_fact_found("否，不是。執行單位如為學校者，不受前三項規定之限制[1]。", "不用|不受")


def test_missing_key_facts() -> None:
    assert missing_key_facts("聚焦智慧製造。", ["智慧製造", "綠能科技|綠能"]) == ["綠能科技|綠能"]
    assert missing_key_facts("", ["1979"]) == ["1979"]


def test_evidence_chars_counts_quotes_without_whitespace() -> None:
    assert evidence_chars([_cite("科技 專案"), _cite("1979\n年")]) == 9
    assert evidence_chars([]) == 0


# ------------------------------------------------------------------ whole cases


def _reply(
    answer: str, citations: list[Citation], refused: bool = False, retrieved: list[Passage] | None = None
) -> Reply:
    return Reply("q", answer, refused, citations, retrieved=retrieved or [], latency_ms=12.0)


def test_perfect_answer_passes(texts: SourceTexts) -> None:
    case = _case()
    reply = _reply(f"{QUOTE}。[1]", [citation_of(TEXT, QUOTE)], retrieved=passages_of(TEXT))
    score = score_case(case, reply, texts)
    assert score.passed and score.key_facts and score.citation_recall
    assert score.first_hit_rank == 1 and score.reciprocal_rank == 1.0
    assert score.hit_at == {k: True for k in HIT_KS}
    assert score.citation_precise == (True,)
    assert score.evidence_chars == 13 and score.latency_ms == 12.0


def test_refusal_on_answerable_scores_zero(texts: SourceTexts) -> None:
    score = score_case(_case(), _reply("1979 沒有資料", [citation_of(TEXT, QUOTE)], refused=True), texts)
    assert score.refused and score.key_facts is False and score.citation_recall is False
    assert score.missing_key_facts == ("1979",)
    assert score.citation_precise is None and score.evidence_chars is None
    assert score.failures == ("wrongly refused an answerable question",)


def test_partial_coverage_fails_with_the_quote_named(texts: SourceTexts) -> None:
    case = _case(evidence=[QUOTE, "降低研發風險"], key_facts=["1979"])
    score = score_case(case, _reply("1979年起。[1]", [citation_of(TEXT, QUOTE)]), texts)
    assert score.gold_coverage == (1.0, 0.0)
    assert score.citation_recall is False and score.key_facts is True
    assert score.failures == ("gold quote not cited: 「降低研發風險」 (0% covered)",)


def test_empty_citations_fail(texts: SourceTexts) -> None:
    score = score_case(_case(), _reply("1979年。", []), texts)
    assert score.key_facts is True and score.citation_recall is False
    assert "no citations" in score.failures
    assert score.citation_precise == () and score.evidence_chars == 0


def test_simplified_answer_holds_traditional_key_facts(texts: SourceTexts) -> None:
    case = _case(
        question="科专是哪一年开始的？", lang="hans", kind="simplified", key_facts=["1979", "產業技術司"]
    )
    answer = "科技专案自1979年起启动，由经济部产业技术司推动。[1]"
    score = score_case(case, _reply(answer, [citation_of(TEXT, QUOTE)]), texts)
    assert score.key_facts is True and score.passed


def test_missing_key_fact_is_named(texts: SourceTexts) -> None:
    case = _case(key_facts=["1979", "業界科專"])
    score = score_case(case, _reply(f"{QUOTE}。[1]", [citation_of(TEXT, QUOTE)]), texts)
    assert score.missing_key_facts == ("業界科專",)
    assert score.failures == ("missing key fact 「業界科專」",)


def test_unanswerable_refused_passes_and_answered_fails(texts: SourceTexts) -> None:
    case = _case(**GOLD_RECORDS[3])
    ok = score_case(case, _reply("文件中沒有相關資訊。", [], refused=True), texts)
    assert ok.passed and ok.refusal_correct and ok.hit_at is None and ok.key_facts is None
    bad = score_case(case, _reply("預算是一百億。[1]", [citation_of(TEXT, QUOTE)]), texts)
    assert bad.failures == ("answered an unanswerable question",)
    assert bad.evidence_chars == 13  # answered: counted in evidence length


def test_error_is_a_failure(texts: SourceTexts) -> None:
    score = score_case(_case(), None, texts, error="RuntimeError: boom", latency_ms=3.0)
    assert score.failures[0] == "raised an error: RuntimeError: boom"
    assert score.key_facts is False and score.evidence_chars is None


def test_retrieval_miss_and_rank_are_notes(texts: SourceTexts) -> None:
    passages = passages_of(TEXT)
    reply = _reply(f"{QUOTE}。[1]", [citation_of(TEXT, QUOTE)], retrieved=passages[1:])
    assert "not among the top 10" in score_case(_case(), reply, texts).notes[0]
    ranking = [passages[1], passages[0]]
    score = score_case(_case(), reply, texts, ranking=ranking)
    assert score.first_hit_rank == 2 and score.hit_at == {1: False, 3: True, 5: True, 10: True}
    assert score.reciprocal_rank == 0.5 and score.passed


def test_to_dict_is_json_ready(texts: SourceTexts) -> None:
    score = score_case(_case(), _reply(f"{QUOTE}。[1]", [citation_of(TEXT, QUOTE)]), texts)
    data = json.loads(json.dumps(score.to_dict()))
    assert data["hit_at"]["hit@1"] is False and data["passed"] is True


# ------------------------------------------------------------------ aggregation


def _score(**values: Any) -> CaseScore:
    base: dict[str, Any] = {"id": "x", "section": "前言", "kind": "fact", "lang": "hant", "answerable": True}
    return CaseScore(**{**base, "refused": False, **values})


def test_aggregate_over_hand_made_scores() -> None:
    hits = {1: True, 3: True, 5: True, 10: True}
    misses = {k: False for k in HIT_KS}
    scores = [
        _score(hit_at=hits, reciprocal_rank=1.0, citation_recall=True, key_facts=True,
               citation_precise=(True, False), evidence_chars=20, latency_ms=10.0),
        _score(hit_at=misses, reciprocal_rank=0.0, citation_recall=False, key_facts=False,
               citation_precise=(True,), evidence_chars=40, latency_ms=30.0, failures=("x",)),
        _score(hit_at=misses, reciprocal_rank=0.0, refused=True, citation_recall=False,
               key_facts=False, latency_ms=20.0, failures=("wrongly refused",)),
        _score(id="u1", section="", kind="unanswerable", answerable=False, refused=True, latency_ms=40.0),
        _score(id="u2", section="", kind="injection", answerable=False, evidence_chars=5,
               latency_ms=50.0, failures=("answered",)),
    ]  # fmt: skip
    m = aggregate(scores)
    assert m["hit@1"] == pytest.approx(1 / 3) and m["mrr"] == pytest.approx(1 / 3)
    assert m["citation_recall"] == pytest.approx(1 / 3) and m["key_facts"] == pytest.approx(1 / 3)
    assert m["citation_precision"] == pytest.approx(2 / 3)
    assert m["evidence_chars_median"] == 20
    assert m["refusal"] == 0.5 and m["wrong_refusal"] == pytest.approx(1 / 3)
    assert m["pass_rate"] == pytest.approx(2 / 5)
    assert m["latency_p50_ms"] == 30.0 and m["latency_p95_ms"] == pytest.approx(48.0)
    assert (m["n_answerable"], m["n_unanswerable"], m["n_answered"], m["n_citations"]) == (3, 2, 3, 3)


def test_aggregate_of_nothing_is_none() -> None:
    m = aggregate([])
    assert all(m[name] is None for name in HIGHER_IS_BETTER)
    assert m["n_cases"] == 0
    only_unanswerable = aggregate([_score(answerable=False, refused=True, section="", kind="unanswerable")])
    assert only_unanswerable["key_facts"] is None and only_unanswerable["refusal"] == 1.0


def test_breakdown_groups_in_order() -> None:
    scores = [_score(section="b"), _score(section="a"), _score(section="b", answerable=False)]
    groups = breakdown(scores, lambda s: s.section)
    assert list(groups) == ["b", "a"] and groups["b"]["n_cases"] == 2


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


def test_every_bar_metric_is_defined() -> None:
    for name in HIGHER_IS_BETTER:
        assert name in METRIC_DEFINITIONS or name.startswith("hit@")


def test_a_quote_stating_the_gold_words_elsewhere_covers_it() -> None:
    """A body sentence that states a call-out's list (「A」、「B」及「C」 for A、B、C) covers it, hits and is precise."""
    call_out = "健康產業、海洋生態、潔淨能源、教育觀光"
    body = "此外，在臺東縣推動「東部深層海水創新研發中心」，以「健康產業」、「海洋生態」、「潔淨能源」及「教育觀光」為重點。"
    texts = SourceTexts({"a.md": f"{body}\n\n地圖：{call_out}\n"})
    start = texts.squashed("a.md").find(squash(body))
    cite = Citation(1, "p1", "a.md", "", body, body, start, start + len(body), 1.0)
    assert gold_coverage(call_out, [], texts) == 0.0
    assert gold_coverage(call_out, [cite], texts) == 1.0
    assert citation_is_precise(cite, [call_out], texts)
    assert passage_hits(
        Passage(id="p1", source="a.md", section="", text=body, start=0, end=0, score=0.5), [call_out], texts
    )


@pytest.mark.parametrize(
    ("gold", "cited"),
    [
        ("其繳交收入之比率為百分之四十", "其繳交收入之比率為百分之二十。"),  # another figure
        ("推動經濟部南臺灣創新園區", "推動「經濟部中臺灣創新園區」"),  # another place
        ("申請人或代理人均可提出", "申請人及代理人均可提出"),  # 或 is not 及
        ("技術司自1979年起啟動科技專案", "另有科技專案"),  # only part of it
    ],
)
def test_other_statements_do_not_cover_a_gold_quote(gold: str, cited: str) -> None:
    texts = SourceTexts({"a.md": f"{gold}\n\n{cited}\n"})
    start = texts.squashed("a.md").find(squash(cited))
    cite = Citation(1, "p1", "a.md", "", cited, cited, start, start + len(squash(cited)), 1.0)
    assert gold_coverage(gold, [cite], texts) < COVERAGE_THRESHOLD
