"""What a page visitor sees when the assistant cannot answer: a short notice, never operator text."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr
import pytest
from conftest import FakeAssistant

from core.errors import IndexUnreadableError
from core.settings import Settings
from ui.feedback import FeedbackStore
from ui.web import UNAVAILABLE_NOTICE, ChatPage


class DamagedIndex(FakeAssistant):
    """Fails as the real assistant does on a damaged index."""

    def stream(self, question, history=None):  # type: ignore[no-untyped-def]
        raise IndexUnreadableError(
            "Cannot open the index collections 'kezhuan': InternalError. Delete the data folder and run "
            "`kezhuan ingest` to rebuild."
        )


def test_visitors_get_a_chinese_notice_and_the_log_gets_the_details(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: shown.append(str(message)))
    page = ChatPage(DamagedIndex(), settings, FeedbackStore(tmp_path / "feedback.jsonl"))
    with caplog.at_level(logging.ERROR, logger="ui.web"):
        outputs = list(page.respond("南臺灣創新園區在做什麼？", []))
    assert shown == [UNAVAILABLE_NOTICE]
    assert not any(c.isascii() and c.isalpha() for c in UNAVAILABLE_NOTICE), "no English operator text"
    assert "kezhuan ingest" in caplog.text and "IndexUnreadableError" in caplog.text
    messages, turns, textbox = outputs[-1]
    assert textbox == "南臺灣創新園區在做什麼？", "the question is kept for a retry"
    assert not any("ingest" in str(m.get("content", "")) for m in messages)
