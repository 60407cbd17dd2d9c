"""A list read to its end: every item of a list that runs over a whole section.

「技術司的區域中心分布在哪些縣市？」 asks for all the places of a list whose items are
sentences of one section, one place (or one named 「…中心」) each, grouped under sub-headings the
continuation of :meth:`assistant.lists.ListAnswers._continuation` stops at (中部…, 南部地區…). When the
question restricts the list to none of them (it names no place and no thing the items name), the
answer is every item of the best sentence's section, in the text's order, up to
``Settings.max_list_sentences``; the trace says how many items and which section.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.evidence import Evidence, QueryTerms, _near_duplicate
from assistant.lists import _GENERIC_NAME_WORDS, _PLACE_HEADS, _THING_HEADS, _introduces, _is_place, _things
from core.text import to_search_form, to_traditional


def restricted(query: QueryTerms, items: Sequence[Evidence], head: str) -> bool:
    """Whether the question names a place or a thing some items name and others do not
    (中部, 苗栗, 東部深層海水): it asks for part of the list, not all of it."""
    said = [to_search_form(ev.sentence.context + ev.sentence.text) for ev in items]
    for term in query.terms:
        if any(f in _GENERIC_NAME_WORDS or f[-2:] == head for f in term.forms):
            continue  # 中心, 產業, 區域: words of every item's kind, not of one item
        held = sum(1 for s in said if any(f in s for f in term.forms))
        if 0 < held < len(said) and any(
            _is_place(f, s) or any(f in t for t in _things(s)) for f in term.forms for s in said
        ):
            return True
    return False


def whole_list(
    query: QueryTerms,
    head: str,
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    most: int,
    floor: float,
    least: int = 3,
) -> tuple[list[Evidence], str]:
    """Every sentence of the first chosen one's section that introduces a ``head`` item, in text
    order, and the trace's note; ``(list(chosen), "")`` when the list is not read whole.

    Args:
        query: The question's terms.
        head: The list noun asked for (search form, :func:`assistant.rules.list_noun`): a place
            (縣市) or a named thing (中心).
        chosen: The answer's sentences so far, best first.
        evidence: Scored evidence, best first.
        most: ``Settings.max_list_sentences``.
        floor: Least support of an item: ``Settings.facet_support`` of the refusal threshold, as
            for one part of a comparison (an item need not name what the question says of all).
        least: Fewest items a section's list has to be read whole (fewer: the chosen ones do).
    """
    if not chosen or (head not in _PLACE_HEADS and head not in _THING_HEADS):
        return list(chosen), ""
    first = chosen[0]
    items: list[Evidence] = []
    for ev in sorted(evidence, key=lambda e: e.sentence.start):
        if (ev.passage.source, ev.passage.section) != (first.passage.source, first.passage.section):
            continue
        if ev.passage.kind == "center" or ev.boilerplate or ev.support < floor:
            continue  # a map call-out repeats a body sentence
        if not _introduces(ev.sentence.text, head) or not _things(ev.sentence.text):
            continue
        if any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in items):
            continue
        items.append(ev)
    if len(items) < max(least, len(chosen) + 1) or len(items) > most or restricted(query, items, head):
        return list(chosen), ""
    note = (
        f"whole list: {len(items)} sentences that each introduce a {to_traditional(head)}"
        f" in section {first.passage.section}"
    )
    return items, note
