"""The answerer's yes/no verdicts and year differences over scored evidence (see :mod:`assistant.shapes`)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant import shapes
from assistant.evidence import Evidence, QueryTerms
from assistant.lexicon import part_of_speech
from assistant.rules import ASSERTED_TAGS
from core.settings import Settings
from core.text import count_cjk


class ShapedAnswers:
    """The answerer's yes/no and year-difference shapes over scored evidence.

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
        joined = "\n".join(c.sentence.context + c.sentence.text for c in chosen)
        verdict = shapes.yes_no(
            query.question, asked, query.numbers, joined, self.settings.shortened_term_gap
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

    def _year_gap(
        self, query: QueryTerms, evidence: Sequence[Evidence]
    ) -> tuple[shapes.Shaped, list[Evidence]] | None:
        """「A比B晚幾年？」: the two cited years and their difference; None when not asked or not found."""
        parts = shapes.year_parts(query.question)
        if not parts:
            return None
        picked: list[tuple[Evidence, str]] = []
        for part in parts:
            named = [(t.forms, t.weight) for t in query.terms if any(g in part for g in t.forms)]
            forms = [f for fs, _ in named for f in fs]
            if not forms:
                return None
            best: tuple[float, float, Evidence, str] | None = None
            for ev in evidence:
                text = ev.sentence.context + ev.sentence.text
                year = shapes.year_of(forms, text)
                if not year:
                    continue
                share = shapes.held_share(named, text, self.settings.shortened_term_gap)
                if best is None or (share, ev.score) > (best[0], best[1]):
                    best = (share, ev.score, ev, year)
            if best is None or best[0] < self.settings.year_part_share:
                return None
            picked.append((best[2], best[3]))
        if picked[0][0] is picked[1][0] and picked[0][1] == picked[1][1]:
            return None
        chosen = [picked[0][0]] if picked[0][0] is picked[1][0] else [picked[0][0], picked[1][0]]
        return shapes.year_gap_lead(picked[0][1], picked[1][1]), chosen
