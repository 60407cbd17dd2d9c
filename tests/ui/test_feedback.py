"""Feedback events in data_dir/feedback.jsonl, keyed by reply id, and the `kezhuan feedback` report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer

from core.errors import KezhuanError
from ui.cli import main as kezhuan
from ui.feedback import FeedbackStore, summarize


def test_votes_are_appended_as_jsonl(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path / "data")
    citations = [{"n": 1, "quote": "引用。"}]
    store.record(question="問題？", answer="答案[1]。", citations=citations, rating="up", reply_id="r1")
    store.record(
        question="第二題？", answer="抱歉。", citations=[], rating="down", refused=True, surface="widget"
    )
    lines = (tmp_path / "data" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["question"] == "問題？" and first["rating"] == "up" and first["citations"] == citations
    assert first["timestamp"].endswith("+00:00") and first["surface"] == "web"
    assert first["reply_id"] == "r1" and first["event"] == "vote"
    assert second["refused"] is True and second["surface"] == "widget"
    assert "問題？" in lines[0]  # Chinese is stored readable, not \\u-escaped
    assert store.read_all() == [first, second]


def test_changes_and_withdrawals_are_recorded_against_the_reply_id(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    store = FeedbackStore(path)
    common: dict[str, Any] = {"question": "問題？", "answer": "答案。", "citations": [], "reply_id": "r1"}
    assert store.record(rating="up", **common)["event"] == "vote"
    changed = store.record(rating="down", **common)
    assert (changed["event"], changed["previous"]) == ("change", "up")
    withdrawn = store.record(rating=None, **common)
    assert (withdrawn["event"], withdrawn["rating"], withdrawn["previous"]) == ("withdraw", None, "down")
    # A new store (a restarted server) reads the latest vote back from the file.
    again = FeedbackStore(path).record(rating="up", **common)
    assert (again["event"], again["previous"]) == ("vote", None)
    assert FeedbackStore(path).record(rating="down", **common)["event"] == "change"


def test_unknown_rating_and_anonymous_withdrawal_are_rejected(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.jsonl")
    with pytest.raises(KezhuanError, match="up, down"):
        store.record(question="q", answer="a", citations=[], rating="meh")
    with pytest.raises(KezhuanError, match="reply_id"):
        store.record(question="q", answer="a", citations=[], rating=None)
    with pytest.raises(KezhuanError, match="empty"):
        store.record_reason(reply_id="r1", reason="  ")
    assert store.read_all() == []


def test_report_counts_latest_votes_and_lists_disliked_questions_with_reasons(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.jsonl")
    store.record(question="甲？", answer="甲。", citations=[], rating="up", reply_id="a")
    store.record(question="乙？", answer="乙。", citations=[], rating="up", reply_id="b")
    store.record(question="乙？", answer="乙。", citations=[], rating="down", reply_id="b", surface="widget")
    store.record_reason(reply_id="b", reason="引用的段落不對", question="乙？")
    store.record(question="丙？", answer="丙。", citations=[], rating="down", reply_id="c")
    store.record(question="丙？", answer="丙。", citations=[], rating=None, reply_id="c")
    report = summarize(store.read_all())
    assert (report.answers, report.up, report.down, report.withdrawn, report.changed) == (3, 1, 1, 1, 1)
    assert report.by_surface == {"web": {"up": 1}, "widget": {"down": 1}}
    assert [(d.question, d.reasons) for d in report.disliked] == [("乙？", ["引用的段落不對"])]


def test_kezhuan_feedback_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(tmp_path))
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record(question="南臺灣創新園區在哪？", answer="臺南。", citations=[], rating="down", reply_id="r9")
    store.record_reason(reply_id="r9", reason="沒回答到地址", question="南臺灣創新園區在哪？")
    assert kezhuan(["feedback"]) == 0
    text = capsys.readouterr().out
    assert "👎 1" in text and "南臺灣創新園區在哪？" in text and "理由：沒回答到地址" in text
    assert kezhuan(["feedback", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["down"] == 1 and data["disliked"][0]["reasons"] == ["沒回答到地址"]


def test_api_replies_carry_an_id_that_feedback_is_recorded_against(
    server: LiveServer, settings: object
) -> None:
    reply = httpx.post(
        server.url + "/api/ask", json={"question": "南臺灣創新園區在做什麼？"}, timeout=30
    ).json()
    reply_id = reply["id"]
    assert reply_id.startswith("reply-")
    vote = {"reply_id": reply_id, "question": reply["question"], "answer": reply["answer"], "surface": "api"}
    events = []
    for rating in ("up", "down", None):
        response = httpx.post(server.url + "/api/feedback", json={**vote, "rating": rating}, timeout=30)
        assert response.status_code == 200, response.text
        events.append(response.json()["event"])
    assert events == ["vote", "change", "withdraw"]
    reason = {"reply_id": reply_id, "reason": "太簡略", "surface": "api"}
    assert (
        httpx.post(server.url + "/api/feedback/reason", json=reason, timeout=30).json()["event"] == "reason"
    )
    anonymous = httpx.post(
        server.url + "/api/feedback", json={**vote, "reply_id": "", "rating": None}, timeout=30
    )
    assert anonymous.status_code == 400 and "reply_id" in anonymous.json()["error"]["message"]
    completion = httpx.post(
        server.url + "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "南臺灣創新園區在做什麼？"}]},
        timeout=30,
    ).json()
    assert completion["id"].startswith("chatcmpl-")  # the id to send as reply_id for /v1 answers
    vote_on_completion = {**vote, "reply_id": completion["id"], "rating": "up"}
    assert httpx.post(server.url + "/api/feedback", json=vote_on_completion, timeout=30).status_code == 200


def test_feedback_on_an_id_no_answer_had_is_refused_and_not_listed(
    server: LiveServer, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = {"question": "問題？", "answer": "答案。", "rating": "down", "surface": "api"}
    for reply_id in ("nonexistent", "reply-0123456789abcdef-00000000"):
        response = httpx.post(server.url + "/api/feedback", json={**forged, "reply_id": reply_id}, timeout=30)
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["code"] == "unknown_reply_id" and "/api/ask" in error["message"]
        reason = {"reply_id": reply_id, "reason": "不對", "surface": "api"}
        assert httpx.post(server.url + "/api/feedback/reason", json=reason, timeout=30).status_code == 404
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(settings.data_dir))
    assert kezhuan(["feedback", "--json"]) == 0
    assert "nonexistent" not in capsys.readouterr().out


def test_answer_ids_are_recognised_by_every_store_sharing_the_data_folder(tmp_path: Path) -> None:
    issued = FeedbackStore.in_data_dir(tmp_path).new_reply_id("web")
    assert FeedbackStore.in_data_dir(tmp_path).knows(issued)  # another worker, or after a restart
    assert not FeedbackStore.in_data_dir(tmp_path / "other").knows(issued)  # another key
    assert not FeedbackStore.in_data_dir(tmp_path).knows(issued[:-1] + ("0" if issued[-1] != "0" else "1"))
    assert (tmp_path / "reply-ids.key").stat().st_mode & 0o077 == 0
