"""Feedback votes land in data_dir/feedback.jsonl, one JSON object per line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import KezhuanError
from ui.feedback import FeedbackStore


def test_votes_are_appended_as_jsonl(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path / "data")
    citations = [{"n": 1, "quote": "引用。"}]
    store.record(question="問題？", answer="答案[1]。", citations=citations, rating="up")
    store.record(
        question="第二題？", answer="抱歉。", citations=[], rating="down", refused=True, surface="widget"
    )
    lines = (tmp_path / "data" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["question"] == "問題？" and first["rating"] == "up" and first["citations"] == citations
    assert first["timestamp"].endswith("+00:00") and first["surface"] == "web"
    assert second["refused"] is True and second["surface"] == "widget"
    assert "問題？" in lines[0]  # Chinese is stored readable, not \\u-escaped
    assert store.read_all() == [first, second]


def test_unknown_rating_is_rejected_with_the_allowed_values(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.jsonl")
    with pytest.raises(KezhuanError, match="up, down"):
        store.record(question="q", answer="a", citations=[], rating="meh")
    assert store.read_all() == []
