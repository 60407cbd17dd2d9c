"""The answerer's yes/no verdicts over scored evidence (see :mod:`assistant.shapes`)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant import shapes
from assistant.evidence import Evidence, QueryTerms
from assistant.lexicon import part_of_speech
from assistant.rules import ASSERTED_TAGS
from core.settings import Settings
from core.text import count_cjk


class ShapedAnswers:
    """The answerer's yes/no shape over scored evidence.

    Mixed into :class:`assistant.answer.ExtractiveAnswerer`, whose settings it reads.
    """

    settings: Settings
    refusal_threshold: float

    def _yes_no(
        self, query: QueryTerms, chosen: list[Evidence], evidence: Sequence[Evidence]
    ) -> tuple[shapes.Shaped | None, list[Evidence]]:
        """For a yes/no question, the verdict on the cited sentences (and the sentence that refutes a year)."""
        # What a yes/no question asserts is named by its nouns (企業, 南部, AI); its verbs (支持,
        # 做) are the asker's paraphrase of the document's.
        asked = [
            (t.forms, t.weight)
            for t in query.terms
            if t.asked
            and t.known
            and t.forms[0] not in query.numbers
            and (
                len(t.forms[0]) >= 3
                or not count_cjk(t.forms[0])
                or part_of_speech(t.forms[0]) in ASSERTED_TAGS
            )
        ]
        # What a cited sentence says holds under its document's title and its section (a law's
        # chapter 罰則, an article's label): 「產業創新條例有罰則嗎」 is answered by an article of
        # the chapter 罰則 of that law, which never repeats either name.
        joined = "\n".join(
            f"{c.passage.title}\n{c.passage.section}\n{c.sentence.context}{c.sentence.text}" for c in chosen
        )
        verdict = shapes.yes_no(
            query.question,
            asked,
            query.numbers,
            joined,
            self.settings.shortened_term_gap,
            rule=chosen[0].sentence.text if chosen else "",
        )
        if verdict is None or verdict.lead.startswith(("是", "有")) or not query.numbers:
            return verdict, chosen
        # 「…是2001年開始的嗎？」: the sentence about the thing itself shows the year it was.
        shares = [
            (
                shapes.held_share(
                    asked, ev.sentence.context + ev.sentence.text, self.settings.shortened_term_gap
                ),
                ev,
            )
            for ev in evidence
        ]
        about = max(shares, key=lambda item: item[0], default=(0.0, None))
        if about[1] is None or about[0] < self.settings.yes_share:
            return verdict, chosen
        return verdict, [about[1]]
