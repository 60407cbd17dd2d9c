"""A follow-up asking what came next is not answered by what the last answer said (no models)."""

from __future__ import annotations

import numpy as np

from assistant.answer import ExtractiveAnswerer
from assistant.evidence import QueryTerms, SentenceRecord, Term
from assistant.novelty import said_before, said_share
from assistant.reply import Passage
from core.text import to_search_form

_HISTORY = [
    {"role": "user", "content": "這個獎勵以前叫什麼？"},
    {"role": "assistant", "content": "1998年設立「青年發明獎」，2010年更名為「創新發明獎」。"},
]


def test_only_a_question_about_what_came_next_sets_the_last_answer_aside() -> None:
    said = said_before("之後又改了嗎？", _HISTORY)
    assert said == to_search_form(_HISTORY[1]["content"])
    assert said_before("然后呢", _HISTORY)  # Simplified
    assert said_before("And what happened later?", _HISTORY)
    assert said_before("改名的原因是什麼？", _HISTORY) == ""  # asks about what was said
    assert said_before("之後又改了嗎？", _HISTORY[:1]) == ""  # no answer yet


def test_the_share_of_a_sentences_years_and_names_the_answer_gave() -> None:
    said = said_before("後來呢？", _HISTORY)
    assert said_share("本會於2010年將「青年發明獎」更名為「創新發明獎」。", said) == 1.0
    assert said_share("2019年起改辦「未來創新獎」，並增設「青年組」。", said) == 0.0
    assert said_share("獎勵名額每年檢討。", said) == 0.0  # no year, no name: nothing to tell
    assert said_share("本會於2010年將「青年發明獎」更名。", "") == 0.0


def test_the_sentence_that_tells_what_came_next_wins() -> None:
    # both name the prize and its renaming; the first says what the last answer said
    texts = [
        "本會於2010年將「青年發明獎」更名為「創新發明獎」。",
        "2019年起「創新發明獎」更名為「未來發明獎」。",
    ]
    passage = Passage("p", "prize.md", "沿革", "".join(texts), 0, 40)
    vector = np.asarray([1.0, 0.0], np.float32)
    records, pos = [], 0
    for n, text in enumerate(texts):
        records.append(SentenceRecord(f"s{n}", text, pos, pos + len(text), vector))
        pos += len(text)
    query = QueryTerms(
        terms=(Term(("发明奖",), 1.0, asked=False), Term(("更名",), 1.0)),
        numbers=(),
        cjk=True,
        question=to_search_form("後來又改成什麼？"),
        said=said_before("後來又改成什麼？", _HISTORY),
    )
    evidence = ExtractiveAnswerer(refusal_threshold=0.3).score(query, vector, [passage], lambda p: records)
    assert evidence[0].sentence.text == texts[1]
    assert evidence[-1].said == 1.0


def test_the_sentence_told_right_after_what_was_said_is_preferred() -> None:
    # the renaming the last answer gave, then (in the next passage) what came of it
    first = "本會於2010年將「青年發明獎」更名為「創新發明獎」。"
    second = "獎項自此改由民間基金會主辦。"
    other = "得獎者可獲頒獎金十萬元。"
    vector = np.asarray([1.0, 0.0], np.float32)
    passages = [
        Passage("p0", "prize.md", "沿革", first, 0, len(first)),
        Passage(
            "p1", "prize.md", "沿革", second + other, len(first) + 1, len(first) + 1 + len(second + other)
        ),
    ]
    records = {
        "p0": [SentenceRecord("s0", first, 0, len(first), vector)],
        "p1": [
            SentenceRecord("s1", second, len(first) + 1, len(first) + 1 + len(second), vector),
            SentenceRecord(
                "s2", other, len(first) + 1 + len(second), len(first) + 1 + len(second + other), vector
            ),
        ],
    }
    query = QueryTerms(
        terms=(Term(("发明奖",), 1.0, asked=False),),
        numbers=(),
        cjk=True,
        question=to_search_form("之後呢？"),
        said=said_before("之後呢？", _HISTORY),
    )
    answerer = ExtractiveAnswerer(refusal_threshold=0.3)
    evidence = answerer.score(query, vector, passages, lambda p: records[p.id])
    assert evidence[0].sentence.text == second
    assert evidence[0].told_next
    assert not any(e.told_next for e in evidence[1:])
