"""`kezhuan ask --explain` prints the reply's trace for a reader."""

from __future__ import annotations

import pytest

from ui.cli import _print_trace, build_parser


def _printed(trace: dict[str, object], capsys: pytest.CaptureFixture[str]) -> str:
    """What `kezhuan ask --explain` prints for ``trace``."""
    _print_trace(trace)
    return capsys.readouterr().out


def test_explain_is_an_option_of_ask() -> None:
    args = build_parser().parse_args(["ask", "科專是什麼？", "--explain"])
    assert args.explain is True


def test_the_trace_says_what_decided(capsys: pytest.CaptureFixture[str]) -> None:
    out = _printed(
        {
            "query": {"cleaned": "東部中心的主任是誰?", "kind": "question", "focus": "東部中心的主任是誰?"},
            "terms": [{"forms": ["主任"], "weight": 4.3, "asked": True, "known": True}],
            "foreign_terms": "主任",
            "rules": ["question"],
            "candidates": [
                {
                    "sentence": "…",
                    "section": "S5",
                    "score": 0.6,
                    "support": 0.7,
                    "coverage": 0.4,
                    "dense": 0.9,
                    "shape": 0.0,
                }
            ],
            "signals": {"support": 0.7},
            "decision": {"refused": True, "why": "asks for 主任, which the documents never mention"},
        },
        capsys,
    )
    assert "query.focus: 東部中心的主任是誰?" in out
    assert "topical words no document uses: 主任" in out
    assert "decision: refused: asks for 主任" in out


def test_the_trace_shows_the_parts_their_evidence_and_the_computation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _printed(
        {
            "parts": {
                "parts": "a+淬炼计划 | 业界开发产业技术计划",
                "operands": "a+淬炼计划: 2014 [1]; 业界开发产业技术计划: 1997 [2]",
                "computation": "2014−1997 = 17年",
            },
            "premise": "",
            "decision": {"refused": False, "why": "answered"},
        },
        capsys,
    )
    assert "parts.operands: a+淬炼计划: 2014 [1]; 业界开发产业技术计划: 1997 [2]" in out
    assert "parts.computation: 2014−1997 = 17年" in out
    assert "premise:" not in out


def test_the_trace_shows_what_the_conversation_lent_and_each_clause(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _printed(
        {
            "follow_up": {
                "continues": True,
                "why": "「其中」 leans on the turn before",
                "searched": "環境建構類 第三類包含哪些事",
                "list_item": "環境建構類",
            },
            "clauses": [
                {"clause": "每家企業同時可以執行幾案?", "decision": "the answer cites its sentence already"},
                {
                    "clause": "第二案需要幾分?",
                    "sentence": "申請第2案，需前案審查評分達88分以上",
                    "decision": "added",
                },
            ],
            "decision": {"refused": False, "why": "answered"},
        },
        capsys,
    )
    assert "follow-up: continues the conversation: 「其中」 leans on the turn before" in out
    assert "asks about the item 環境建構類" in out
    assert "clause: 第二案需要幾分?: added 申請第2案" in out


def test_the_trace_names_a_candidate_that_only_points_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    candidate = {"sentence": "…之辦法，由財政部定之。", "section": "第10條", "score": 0.4, "support": 0.7}
    candidate |= {"coverage": 0.5, "dense": 0.9, "shape": 0.0}
    out = _printed({"candidates": [{**candidate, "boilerplate": "delegation"}, candidate]}, capsys)
    first, second = (line for line in out.splitlines() if line.startswith("candidate"))
    assert "boilerplate delegation [第10條]" in first
    assert "boilerplate" not in second
