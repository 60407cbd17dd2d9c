"""Lists read to their end and kinds named by a division, on the real seed document (slow).

Questions written for these tests (not the evaluation set's).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_an_unrestricted_list_of_places_is_read_over_its_section(real_assistant) -> None:
    reply = real_assistant.ask("產業技術司設的區域研發據點在哪些縣市？")
    assert not reply.refused
    for place in ("苗栗", "嘉義", "高雄", "花蓮", "臺東"):
        assert place in reply.answer, place
    assert any("whole list" in rule for rule in reply.notes["trace"]["rules"])


def test_a_list_picked_by_a_word_keeps_only_the_items_that_hold_it(real_assistant) -> None:
    reply = real_assistant.ask("研發重點跟食品有關的中心有哪些？")
    assert not reply.refused
    assert "嘉義產業創新研發中心" in reply.answer
    assert "苗栗產業創新推動中心" not in reply.answer and "東部產業技術服務中心" not in reply.answer
