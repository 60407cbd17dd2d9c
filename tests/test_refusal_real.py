"""The refusal decision's signals on the real seed document with the real model (slow).
Questions written for these tests."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_a_question_of_two_parts_is_answered_from_the_sentences_that_hold_one(real_assistant) -> None:
    # 幾個 (a count) and 在哪裡 (places): the best match is a call-out label holding neither;
    # the sentences naming each center's county answer the question.
    reply = real_assistant.ask("东部一共有几个中心？分别在哪里")
    assert not reply.refused, reply.notes.get("reason")
    assert "花莲县" in reply.answer and "台东县" in reply.answer
    assert len(reply.citations) >= 2


def test_a_place_no_answering_passage_names_is_still_refused(real_assistant) -> None:
    # The answering-passage choice (named_best) must not find a place the documents lack.
    reply = real_assistant.ask("技術司在澎湖縣有沒有設立區域中心？")
    assert reply.refused


def test_which_one_ranks_first_is_refused_when_the_documents_give_only_a_total(real_assistant) -> None:
    # The documents give how many teams raised how much in all, not which team raised most.
    reply = real_assistant.ask("哪一組科專新創團隊募到的資金最多？")
    assert reply.refused, reply.answer
    # The figure a thing is limited to (最多…多少) is no ranking: it is answered.
    assert not real_assistant.ask("2022年科專新創團隊一共募得多少資金？").refused
