"""Multi-part arithmetic and false premises on the real seed document with the real model (slow).

Questions written for these tests (not the evaluation set's), each a different structure.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("question", "lead", "quotes"),
    [
        ("學界科專比業界科專晚幾年開始？", "相差4年（2001−1997）", ("2001", "1997")),
        ("從科技專案啟動到A+淬鍊計畫推出，中間隔了幾年？", "相差35年（2014−1979）", ("2014", "1979")),
        (
            "南臺灣創新園區跟嘉義中心的研發重點加起來共有幾項？",
            "合計8項（5項＋3項）",
            ("軟體研發", "健康保健"),
        ),
    ],
)
def test_arithmetic_over_two_parts_cites_every_operand(real_assistant, question, lead, quotes) -> None:
    reply = real_assistant.ask(question)
    assert not reply.refused and reply.answer.startswith(lead), reply.answer
    assert len(reply.citations) == 2
    for fact in quotes:
        assert any(fact in c.quote for c in reply.citations), fact
    parts = reply.notes["trace"]["parts"]
    assert parts["computation"].endswith(lead[2 : lead.index("（")])


def test_a_contradicted_year_is_refused_with_the_documents_year(real_assistant) -> None:
    reply = real_assistant.ask("業界開發產業技術計畫2005年啟動的原因是什麼？")
    assert reply.refused
    assert "2005年" in reply.answer and "1997" in reply.answer
    assert reply.citations and "1997" in reply.citations[0].quote
    assert reply.notes["trace"]["premise"]
