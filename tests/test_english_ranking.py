"""Which sentence of an English page answers: the real Startup Portal page of the holdout4 corpus
(``evals/corpora/holdout4/startup-portal-government-incentive.html``), real model, questions
written for these tests (none of the evaluation's).

The page lists its programmes twice: a menu of their names, then a section for each, whose
table rows label the phases (``Phase 2, NT $10,000,000, 2 years``). e5 finds most sentences of
the section asked about equally like an English question, so its words and labels decide.
"""

from __future__ import annotations

import pytest

from assistant import Assistant
from core.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def portal() -> Assistant:
    """The holdout4 corpus's index (``.kezhuan/eval/holdout4``), built here or by the evaluation."""
    from evals.run import corpus_settings, ensure_index

    settings = corpus_settings(Settings.from_env(environ={}), "holdout4")
    ensure_index(settings, progress=False)
    return Assistant.load(settings)


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        # the SIIR menu line, not the SBIR line beside it that means as much to e5
        ("SIIR is short for what?", "Service Industry Innovation Research (SIIR)"),
        # the row labelled Phase 2, not the Phase 2+ row (its label read up to its comma)
        ("For SBIR Phase 2, what is the grant ceiling and the project length?", "Phase 2, NT $10,000,000"),
    ],
)
def test_an_english_questions_words_and_labels_pick_the_sentence(
    portal: Assistant, question: str, quoted: str
) -> None:
    reply = portal.ask(question)
    assert not reply.refused, reply.notes
    assert quoted in reply.citations[0].quote


def test_a_menu_line_naming_the_programme_asked_about_is_not_quoted(portal: Assistant) -> None:
    reply = portal.ask("SBIR第二階段最多補助多少錢，要做多久？")
    assert not reply.refused, reply.notes
    assert all(c.quote.strip() != "Small Business Innovation Research (SBIR)" for c in reply.citations)
    assert "10,000,000" in reply.answer
