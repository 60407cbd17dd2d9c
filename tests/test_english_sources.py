"""Documents written in English: answer types, the English lead and refusal, and the Chinese
yes/no verdict kept off English rules (assistant/rules.py, language.py, shapes.py).

``tests/data/biotech-commercialization-regulations-en.html`` is the English translation of
生物技術研發成果產業化推動輔導辦法 (Regulations for Promoting the Commercialization of
Biotechnology, Ministry of Economic Affairs), from the Laws & Regulations Database of the
Republic of China (Taiwan) (law.moj.gov.tw/Eng, pcode J0030077) as mirrored in the public
repository kong0107/mojLawSplitJSON (Eng_FalVMingLing/J0030077.json, commit 0d26e6c7c7), laid
out as that database's English article page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.language import (
    ENGLISH_SOURCES_LEAD,
    ENGLISH_SOURCES_REFUSAL_LEAD,
    REFUSAL_LEAD,
    in_question_language,
    sources_are_english,
)
from assistant.reply import Citation, Reply
from assistant.rules import answer_type_ok
from assistant.shapes import yes_no
from core.settings import Settings
from core.text import to_search_form
from ingest.split import split_document
from ingest.structure import parse_document

DATA = Path(__file__).parent / "data"


def _ok(question: str, evidence: str) -> bool:
    return answer_type_ok(to_search_form(question), evidence)


@pytest.mark.parametrize(
    ("question", "evidence", "held"),
    [
        ("How long does the review take?", "The review period shall not exceed three months.", True),
        ("How long does the review take?", "The applicant shall sign a contract.", False),
        ("How long can the project last?", "The project can not exceed 3 years in length.", True),
        ("For how many years can applications be rejected?", "for a period of one to five years.", True),
        ("Who may form the committee?", "The Executive Yuan may form a committee.", True),
        ("Who may form the committee?", "It shall be formed as needed.", False),
        ("Who is eligible?", "It shall be a sole proprietorship, partnership, or corporation.", True),
        ("When does Article 35 expire?", "in force for 10 years from May 20, 2014.", True),
        ("When does Article 35 expire?", "It applies to small enterprises.", False),
        ("What is the percentage of the subsidy?", "can not exceed one-half of the total expense", True),
        # Chinese questions and evidence read as before
        ("補助案審查期間多久？", "審查期間不得超過三個月", True),
        ("補助案審查期間多久？", "申請人應檢附計畫書", False),
    ],
)
def test_english_evidence_holds_the_answer_type_an_english_question_asks(
    question: str, evidence: str, held: bool
) -> None:
    assert _ok(question, evidence) is held


def _citation(quote: str) -> Citation:
    return Citation(1, "p1", "doc.html", "Article 8", quote, quote, 0, len(quote), 0.9)


def test_english_sources_get_a_lead_that_does_not_call_them_chinese() -> None:
    quote = "The subsidized project can not exceed three years in length"
    reply = Reply(question="How long can a project last?", answer=f"{quote}[1]。", refused=False)
    reply.citations = [_citation(quote)]
    assert sources_are_english(reply)
    out = in_question_language(reply)
    assert out.answer == f"{ENGLISH_SOURCES_LEAD}\n{quote}[1]。"
    chinese = Reply(question="How long can a project last?", answer="計畫期程以三年為限[1]。", refused=False)
    chinese.citations = [_citation("計畫期程以三年為限")]
    assert not sources_are_english(chinese)
    assert "in Chinese" in in_question_language(chinese).answer


def test_a_refusal_over_english_documents_is_english_and_names_them() -> None:
    body = "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。我只能依據收錄的文件回答，例如《Act A》、《Rules B》。"
    english = {"trace": {"candidates": [{"sentence": "The subsidy amount can not exceed one-half."}]}}
    reply = Reply(question="What is the startup visa fee?", answer=body, refused=True, notes=english)
    out = in_question_language(reply)
    assert out.answer.startswith(ENGLISH_SOURCES_REFUSAL_LEAD[:-1])
    assert "“Act A”" in out.answer and "“Rules B”" in out.answer
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in out.answer)
    chinese = {"trace": {"candidates": [{"sentence": "補助金額不得超過二分之一。"}]}}
    reply = Reply(question="What is the startup visa fee?", answer=body, refused=True, notes=chinese)
    assert in_question_language(reply).answer == f"{REFUSAL_LEAD}\n{body}"


def test_the_chinese_yes_no_verdict_is_not_read_off_an_english_rule() -> None:
    terms = [(("donation",), 1.0), (("deductible",), 1.0)]
    english = "The donation may, when certified by the competent authority, be deductible from income."
    assert yes_no("can donations be deducted?", terms, [], english, rule=english) is None
    chinese = "捐贈經主管機關證明者，得列為當年度費用。"
    assert yes_no("捐赠可以列为费用吗", [(("捐赠",), 1.0)], [], chinese, rule=chinese) is not None


def test_a_real_english_law_page_holds_the_answer_types_its_questions_ask() -> None:
    raw = (DATA / "biotech-commercialization-regulations-en.html").read_text(encoding="utf-8")
    cleaned, _ = parse_document(raw, "html", settings=Settings())
    _, sentences = split_document(cleaned, "biotech.html")
    texts = [s.text for s in sentences]

    def first(words: str) -> str:
        return next(t for t in texts if words in t)

    assert _ok("How long can a subsidized project last?", first("can not exceed three years"))
    assert _ok("How long does the examination take?", first("within five months"))
    assert _ok("Who owns the intellectual property?", first("belong to the applicant"))
    assert _ok("How much is the subsidy per applicant per year?", first("NTD5,000,000"))
    assert not _ok("How long does the examination take?", first("belong to the applicant"))
    reply = Reply(question="Who owns the intellectual property?", answer="", refused=False)
    reply.citations = [_citation(first("belong to the applicant"))]
    assert sources_are_english(reply)
