"""Citation enforcement of generated answers (assistant/enforce.py), driven by scripted chat models."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer import REFUSAL_HANT
from assistant.enforce import CitationEnforcer, enforce_citations, split_draft
from assistant.evidence import SentenceRecord
from assistant.generate import GenerativeAnswerer
from assistant.reply import Passage
from core.text import to_simplified

SOURCE = "moea-doit-tech-programs-overview.txt"
TITLE = "經濟部科技研究發展專案（科技專案）推動概況"

#: Passages cut from the cleaned seed document: (first words, last words, section).
PASSAGE_SPANS = [
    ("在「業界科技專案」方面", "增進企業科技創新應用能力。", "推動科技專案 引領創新能量"),
    ("半導體及光電領域投入", "奠定產業技術升級的核心基礎。", "布局關鍵領域 創造產業價值"),
    ("此外，本部技術司透過推動「科專事業化生態系推動計畫」", "挹注產業新動能。", "推動新創事業 挹注成長動能"),
]


@pytest.fixture(scope="module")
def passages(cleaned: str) -> list[Passage]:
    out = []
    for i, (first, last, section) in enumerate(PASSAGE_SPANS, start=1):
        start = cleaned.index(first)
        end = cleaned.index(last, start) + len(last)
        out.append(Passage(f"p{i}", SOURCE, section, cleaned[start:end], start, end, title=TITLE))
    return out


def assert_exact(quote_holder, cleaned: str) -> None:
    for citation in quote_holder.citations:
        assert cleaned[citation.start : citation.end] == citation.quote
        assert citation.quote in citation.text


def answer_with(reply: str, passages: list[Passage], **kwargs):
    """Run a scripted model reply through the generative answerer (prompt, generation, enforcement)."""
    answerer = GenerativeAnswerer(FakeListChatModel(responses=[reply]), timeout=5)
    return answerer.answer("業界開發產業技術計畫是哪一年開始的？", passages, **kwargs)


def test_correct_citations_are_kept_with_exact_quotes(passages, cleaned):
    reply = "技術司自1997年起啟動業界開發產業技術計畫[1]。2022年共培育52組科專新創團隊[3]。"
    result = answer_with(reply, passages)
    assert not result.refused
    assert result.answer == "技術司自1997年起啟動業界開發產業技術計畫[1]。2022年共培育52組科專新創團隊[2]。"
    assert [c.passage_id for c in result.citations] == ["p1", "p3"]
    assert "自1997年啟動「業界開發產業技術計畫」" in result.citations[0].quote
    assert result.citations[1].quote.startswith("2022年共培育52組科專新創團隊")
    assert_exact(result, cleaned)
    assert result.notes["kept"] == 2 and result.dropped == []
    assert result.notes["draft"] == reply


def test_a_wrong_marker_is_moved_to_the_supporting_passage(passages, cleaned):
    result = answer_with("半導體及光電領域投入新世代半導體、人工智慧等前瞻技術研發[3]。", passages)
    assert not result.refused
    assert result.answer.endswith("[1]。")
    assert [c.passage_id for c in result.citations] == ["p2"]
    assert result.citations[0].quote.startswith("半導體及光電領域投入於新世代半導體")
    assert result.notes["fixed"] == 1
    assert_exact(result, cleaned)


def test_an_uncited_supported_sentence_gets_its_citation(passages, cleaned):
    result = answer_with("本部技術司自1997年啟動業界開發產業技術計畫，增進企業科技創新應用能力。", passages)
    assert result.answer.endswith("[1]。")
    assert result.citations[0].passage_id == "p1"
    assert result.notes["added"] == 1
    assert_exact(result, cleaned)


def test_an_invented_sentence_is_removed(passages):
    invented = "業界開發產業技術計畫每年補助金額上限為新臺幣一億元[1]。"
    result = answer_with(f"技術司自1997年起啟動業界開發產業技術計畫[1]。{invented}", passages)
    assert not result.refused
    assert result.dropped == [invented]
    assert "一億" not in result.answer
    assert len(result.citations) == 1


def test_a_wrong_number_is_not_supported(passages):
    result = enforce_citations("2022年共培育60組科專新創團隊[3]。", passages)
    assert result.refused and result.citations == []
    assert result.dropped == ["2022年共培育60組科專新創團隊[3]。"]


def test_a_program_the_passage_does_not_name_is_not_supported(passages):
    # Same year, same verbs, nearly the same name: but passage 1 is about 業界, not 學界.
    wrong = enforce_citations("自1997年啟動「學界開發產業技術計畫」[1]。", passages)
    assert wrong.refused and wrong.citations == []
    right = enforce_citations("自1997年啟動「業界開發產業技術計畫」[1]。", passages)
    assert not right.refused and right.citations[0].passage_id == "p1"


def test_a_refusal_reply_is_mapped_to_refused(passages):
    reply = "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。"
    result = answer_with(reply, passages, refusal_text=REFUSAL_HANT)
    assert result.refused
    assert result.answer == REFUSAL_HANT
    assert result.citations == []


def test_nothing_supported_means_refused(passages):
    result = answer_with("申請截止日期是每年三月底[2]。聯絡電話請洽技術司[1]。", passages)
    assert result.refused and result.citations == []
    assert len(result.dropped) == 2


def test_simplified_output_is_normalised_to_traditional(passages, cleaned):
    result = enforce_citations(
        "2022年共培育52组科专新创团队，其中16组完成公司设立[3]。", passages, script="hant"
    )
    assert result.answer == "2022年共培育52組科專新創團隊，其中16組完成公司設立[1]。"
    assert_exact(result, cleaned)  # quotes stay in the document's own characters


def test_traditional_output_follows_a_simplified_question(passages):
    result = enforce_citations("2022年共培育52組科專新創團隊[3]。", passages, script="hans")
    assert result.answer == "2022年共培育52组科专新创团队[1]。"
    assert "組" in result.citations[0].quote


def test_markers_are_renumbered_and_shared(passages):
    reply = "2022年共培育52組科專新創團隊[3]。\n技術司自1997年起啟動業界開發產業技術計畫[1]。\n共培育52組科專新創團隊[3]。"
    result = enforce_citations(reply, passages)
    assert result.answer.splitlines() == [
        "2022年共培育52組科專新創團隊[1]。",
        "技術司自1997年起啟動業界開發產業技術計畫[2]。",
        "共培育52組科專新創團隊[1]。",
    ]
    assert [c.n for c in result.citations] == [1, 2]


def test_markers_after_punctuation_and_in_other_forms_are_read():
    drafts = split_draft("甲乙丙丁。[1] 戊己庚辛【2】。壬癸子丑[1, 3]！")
    assert [d.cited for d in drafts] == [(1,), (2,), (1, 3)]
    assert [d.body for d in drafts] == ["甲乙丙丁。", "戊己庚辛。", "壬癸子丑！"]


def test_out_of_range_markers_are_fixed_or_dropped(passages):
    result = enforce_citations("2022年共培育52組科專新創團隊[9]。", passages)
    assert result.citations[0].passage_id == "p3" and result.notes["fixed"] == 1


def _topic_embed(texts: list[str]) -> list[list[float]]:
    """A fake embedding that knows one synonym pair: 晶片 means 半導體."""
    out = []
    for text in texts:
        norm = to_simplified(text)
        vec = [1.0 if ("半导体" in norm or "晶片" in norm) else 0.0, 0.1]
        digest = hashlib.sha1(norm.encode()).digest()
        vec += [b / 2550 for b in digest[:4]]  # a little noise so texts differ
        out.append(vec)
    return out


def test_embedding_support_rescues_a_paraphrase(passages):
    paraphrase = "晶片與光電領域聚焦次世代晶片與人工智慧的尖端研究[2]。"
    lexical_only = enforce_citations(paraphrase, passages)
    assert lexical_only.refused
    enforcer = CitationEnforcer(dense_floor=0.5, dense_span=0.4)
    with_meaning = enforce_citations(paraphrase, passages, embed=_topic_embed, enforcer=enforcer)
    assert not with_meaning.refused
    assert with_meaning.citations[0].passage_id == "p2"


def test_stored_sentence_vectors_are_used(passages):
    passage = passages[1]
    records = [
        SentenceRecord(
            "s1", passage.text, passage.start, passage.end, np.asarray(_topic_embed([passage.text])[0])
        )
    ]
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return _topic_embed(texts)

    result = enforce_citations(
        "晶片與光電領域聚焦次世代晶片與人工智慧的尖端研究[1]。",
        [passage],
        embed=embed,
        sentences=lambda p: records,
        enforcer=CitationEnforcer(dense_floor=0.5, dense_span=0.4),
    )
    assert not result.refused
    assert calls == [["晶片與光電領域聚焦次世代晶片與人工智慧的尖端研究。"]]  # passage vectors reused


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match="support_threshold must be between 0 and 1"):
        CitationEnforcer(support_threshold=1.5)
    with pytest.raises(ValueError, match="script"):
        enforce_citations("甲。", [], script="latin")


def test_taiwan_wording_keeps_the_documents_own_words(passages):
    from assistant.enforce import traditional_wording

    source = "\n".join(p.text for p in passages) + "材化領域以循環經濟為導向"
    assert (
        traditional_wording("材化领域以循环经济为导向，开发软件", source)
        == "材化領域以循環經濟為導向，開發軟體"
    )
    assert traditional_wording("材化領域以循環經濟為導向", source) == "材化領域以循環經濟為導向"


def test_a_short_answer_sharing_words_with_the_refusal_is_not_a_refusal(passages):
    # The refusal's second sentence names 經濟部科技專案; an answer naming it is still an answer.
    result = enforce_citations("經濟部科技專案。", passages, refusal_text=REFUSAL_HANT)
    assert result.notes.get("reason") != "the model refused" and not result.model_refused
    refused = enforce_citations("抱歉，目前的文件中找不到足以回答這個問題的資訊。", passages)
    assert refused.refused and refused.model_refused


def test_a_call_out_label_is_never_the_quote(cleaned):
    body_start = cleaned.index("南部地區為我國傳統產業重鎮")
    body_end = cleaned.index("。", body_start) + 1
    body = Passage(
        "b", SOURCE, "打造產業聚落 驅動區域創新", cleaned[body_start:body_end], body_start, body_end
    )
    callout = Passage(
        "c", SOURCE, "打造產業聚落 驅動區域創新", "嘉義產業創新研發中心\n嘉義市\n食品製程及設備整合、健康保健",
        900, 930, kind="center",
    )  # fmt: skip
    result = enforce_citations("嘉義產業創新研發中心[1]。", [callout, body])
    assert not result.refused
    assert [c.passage_id for c in result.citations] == ["b"]


@pytest.fixture(scope="module")
def deep_sea(cleaned: str) -> tuple[Passage, Passage]:
    """The 東部深層海水 center's map call-out and the body sentence saying the same."""
    section = "打造產業聚落 驅動區域創新"
    start = cleaned.index("東部深層海水創新研發中心\n臺東")
    end = cleaned.index("產業效益。", start) + len("產業效益。")
    callout = Passage("c", SOURCE, section, cleaned[start:end], start, end, kind="center")
    start = cleaned.index("此外，在臺東縣推動")
    end = cleaned.index("。", start) + 1
    return callout, Passage("b", SOURCE, section, cleaned[start:end], start, end)


def test_a_call_out_statement_backs_a_sentence_naming_its_center(deep_sea, cleaned):
    # The mission line never names its center; the name line above it does.
    callout, _ = deep_sea
    draft = "「東部深層海水創新研發中心」的使命是帶動花東深層海水產業發展，提升商品化能量與產業效益[1]。"
    result = enforce_citations(draft, [callout])
    assert not result.refused and result.notes["kept"] == 1
    assert [c.quote for c in result.citations] == ["帶動花東深層海水產業發展，提升商品化能量與產業效益。"]
    assert_exact(result, cleaned)
    # The name alone is not backed by the center's statements (nor is the label ever a quote).
    assert enforce_citations("「東部深層海水創新研發中心」[1]。", [callout]).refused
    # Nor is a claim the statement does not make, however well the label matches.
    assert enforce_citations("「東部深層海水創新研發中心」位於臺東，專做半導體[1]。", [callout]).refused


def test_a_near_tie_goes_to_the_earlier_passage(deep_sea):
    # Passages come best first (the extractive answer's evidence first): when the enforcer picks
    # the citation itself, a passage within rank_margin of the best support wins by its rank.
    callout, body = deep_sea
    draft = "東部深層海水創新研發中心帶動花東深層海水產業發展，提升商品化能量。"
    by_rank = enforce_citations(draft, [body, callout])
    assert [c.passage_id for c in by_rank.citations] == ["b"] and by_rank.notes["added"] == 1
    assert [c.passage_id for c in enforce_citations(draft, [callout, body]).citations] == ["c"]
    best_only = CitationEnforcer(rank_margin=0.0)
    assert [
        c.passage_id for c in enforce_citations(draft, [body, callout], enforcer=best_only).citations
    ] == ["c"]
    # A passage the model cited and that supports the sentence keeps its citation.
    kept = enforce_citations(draft.replace("。", "[2]。"), [body, callout])
    assert [c.passage_id for c in kept.citations] == ["c"] and kept.notes["kept"] == 1
