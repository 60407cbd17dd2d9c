"""Passages read beyond the first retrieval, for answers that need more than the best passages.

Mixed into :class:`assistant.chat.Assistant`. Each method returns the passages to add (none
already held), for one kind of question:

* a question of several parts (「A比B晚幾年？」, 「A跟B各做什麼？」): each part searched on its own;
* a kind of answer (a year, an amount) that none of the best sentences holds: the passages that
  name the question's terms most and hold it;
* a definition or an origin (「科專是什麼？」, 「一開始推科專是為了什麼？」): the sentence that
  defines the name (…（簡稱科技專案）) or starts it (自1979年起啟動…) may rank low;
* a list (其次…, 另在…, a table's rows, the lead-in before) and a card whose value asked sits on
  a line of its own further on (Contact: 0800…): the passages around the two best.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant import shapes
from assistant.evidence import Evidence, QueryTerms
from assistant.parts import part_searches
from assistant.reply import Passage
from assistant.rules import answer_type_ok, asked_types, asks_for_list, asks_origin
from assistant.units import ends_lead_in
from assistant.wholelist import reads_whole_section
from core.settings import Settings


def _new(found: Sequence[Passage], held: Sequence[Passage]) -> list[Passage]:
    """``found`` without the passages ``held`` and without repeats, in order."""
    known = {p.id for p in held}
    return list({p.id: p for p in found if p.id not in known}.values())


class FurtherPassages:
    """Passages to read beyond the retrieved ones (mixed into the Assistant)."""

    settings: Settings
    retriever: Any

    def _part_passages(self, terms: QueryTerms, held: Sequence[Passage]) -> list[Passage]:
        """Each part of a question of several parts searched for on its own, with the words the
        parts share (for arithmetic, only passages that give a figure of the kind)."""
        found = [
            p
            for sub, keep in part_searches(terms, self.settings)
            for p in self.retriever.search(sub, k=self.settings.part_read_passages)
            if keep(p.text)
        ]
        return _new(found, held)

    def _defining_passages(self, terms: QueryTerms, held: Sequence[Passage]) -> list[Passage]:
        """For 「X是什麼？」 and 「一開始…是為了什麼？」, the passages that name X most (BM25 on the
        asked terms, ``Settings.kinds_read_passages`` of them)."""
        if not (shapes.asks_definition(terms.question) or asks_origin(terms.question)):
            return []
        forms = [f for t in terms.terms if t.asked for f in t.forms]
        if not forms:
            return []
        return _new(
            self.retriever.search(" ".join(forms), k=self.settings.kinds_read_passages, mode="bm25"), held
        )

    def _typed_passages(
        self, terms: QueryTerms, evidence: Sequence[Evidence], held: Sequence[Passage]
    ) -> list[Passage]:
        """For a question that asks for a kind of answer (a year, a period, an amount:
        :func:`assistant.rules.asked_types`; not a count, which the listed things answer) that none of the ``Settings.type_search_depth`` best
        sentences holds, the passages that name its asked terms most (BM25,
        ``Settings.kinds_read_passages`` of them) and hold that kind: where many passages of one
        document name a programme (a form's rows), the one sentence that says when it began
        (自2014年起推動「A+…」) may rank below all of them."""
        asked = [t.name for t in asked_types(terms.question)]
        if not asked or "count" in asked or not evidence:
            return []  # 「總共有幾個中心？」 is answered by counting what the best passages list
        depth = self.settings.type_search_depth
        if any(answer_type_ok(terms.question, e.sentence.text) for e in evidence[:depth]):
            return []
        forms = [f for t in terms.terms if t.asked for f in t.forms]
        if not forms:
            return []
        found = self.retriever.search(" ".join(forms), k=self.settings.kinds_read_passages, mode="bm25")
        return _new([p for p in found if answer_type_ok(terms.question, p.text)], held)

    def _around_passages(
        self, terms: QueryTerms, evidence: Sequence[Evidence], held: Sequence[Passage], lacks: bool
    ) -> list[Passage]:
        """For a list question, one whose value asked no best sentence holds (``lacks``), or one
        whose best sentence is a lead-in (「…鎖定三大核心領域：」, whose items are what it says),
        the passages around the two best (:meth:`assistant.retrieve.Retriever.list_around`; a
        which-ones question reads their whole section when it is short)."""
        if not (
            asks_for_list(terms.question) or lacks or (evidence and ends_lead_in(evidence[0].sentence.text))
        ):
            return []
        s, whole = self.settings, reads_whole_section(terms.question)
        found = [
            p
            for e in evidence[:2]
            for p in self.retriever.list_around(
                e.passage, s.table_read_rows, s.list_read_ahead_passages, whole * s.list_section_passages
            )
        ]
        return _new(found, held)
