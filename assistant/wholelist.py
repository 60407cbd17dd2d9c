"""A list read to its end: every item of a list that runs over a whole section.

「技術司的區域中心分布在哪些縣市？」 asks for all the places of a list whose items are
sentences of one section, one place (or one named 「…中心」) each, grouped under sub-headings the
continuation of :meth:`assistant.lists.ListAnswers._continuation` stops at (中部…, 南部地區…). When the
question restricts the list to none of them (it names no place and no thing the items name), the
answer is every item of the best sentence's section, in the text's order, up to
``Settings.max_list_sentences``; the trace says how many items and which section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant import tables
from assistant.evidence import Evidence, QueryTerms, Term, _near_duplicate
from assistant.lists import (
    _ASKS_HOW_MANY_THINGS,
    _FAMILY,
    _GENERIC_NAME_WORDS,
    _PLACE_HEADS,
    _THING,
    _THING_HEADS,
    _introduces,
    _is_place,
    _things,
    enumeration_count,
)
from assistant.parts import figure_lead
from assistant.rules import asked_count, asks_members
from core.text import to_search_form, to_traditional


def _subject(query: QueryTerms) -> Term | None:
    """The question's term written last before its asking word (哪, 幾): the noun it names the
    items by (「區域研發據點在哪些縣市」 → 據點); None without an asking word or a term before it."""
    asking = re.search(r"哪|几", query.question)
    if asking is None:
        return None
    before = query.question[: asking.start()]
    ends = [
        (max(before.rfind(f) + len(f) if f in before else -1 for f in t.forms), i)
        for i, t in enumerate(query.terms)
    ]
    end, i = max(ends, default=(-1, -1))
    return query.terms[i] if end >= 0 else None


def kept_items(
    query: QueryTerms, items: Sequence[Evidence], head: str, lead_in: str
) -> tuple[list[Evidence], str] | None:
    """The items the question asks for, and the word that picks them ("" for all of them); None
    when it names a place or a thing some items name and others do not (中部, 苗栗): that part
    of the list is read by :meth:`assistant.lists.ListAnswers._continuation`.

    A word some items hold and others do not picks those that hold it (「有做健康相關研發重點的
    中心有哪幾個？」: the two whose 研發重點 hold 健康), unless it is the noun right before the
    asking word and no place (:func:`_subject`: the items as the question names them) or the list's ``lead_in`` (its
    sentences before the first item) says it of all (本部技術司…設立區域產業研發園區或中心).
    """
    said = [to_search_form(ev.sentence.context + ev.sentence.text) for ev in items]
    lead = to_search_form(lead_in)
    subject = _subject(query)
    kept, picked = list(items), []
    for term in query.terms:
        if any(f in _GENERIC_NAME_WORDS or f[-2:] == head for f in term.forms):
            continue  # 中心, 產業, 區域: words of every item's kind, not of one item
        if term is subject and not any(_is_place(f, query.question) for f in term.forms):
            continue  # 「…研發據點在哪些縣市？」: the items as the question names them, not a pick
        holds = [any(f in s for f in term.forms) for s in said]
        if not 0 < sum(holds) < len(said) or any(f in lead for f in term.forms):
            continue
        if any(_is_place(f, s) or any(f in t for t in _things(s)) for f in term.forms for s in said):
            return None
        kept = [ev for ev, held in zip(items, holds, strict=True) if held and ev in kept]
        picked.append(term.forms[0])
    return kept, "、".join(picked)


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
    if len(items) < least or len(items) > most:
        return list(chosen), ""
    lead_in = "".join(
        ev.sentence.text
        for ev in evidence
        if ev.passage.source == first.passage.source
        and ev.passage.section == first.passage.section
        and ev.passage.kind != "center"
        and ev.sentence.start < items[0].sentence.start
    )
    kept = kept_items(query, items, head, lead_in)
    if kept is None or len(kept[0]) < 2 or (not kept[1] and len(items) <= len(chosen)):
        return list(chosen), ""
    note = (
        f"whole list: {len(kept[0])} of the {len(items)} sentences that each introduce a"
        f" {to_traditional(head)} in section {first.passage.section}"
        + (f", those that hold {to_traditional(kept[1])}" if kept[1] else "")
    )
    return kept[0], note


#: A question for a number only (not 哪幾個, which asks which ones; search form).
_ASKS_NUMBER = re.compile(r"(?<!哪)几[个家所间处座]|多少[个家所间处座]|how many")


def reads_whole_section(question: str) -> bool:
    """Whether a list question reads every passage of its best passage's section (search form;
    ``Settings.list_section_passages``): it asks which ones (「區域中心有哪幾個？」), not how many
    (「總共有幾個？」, answered by the count the text or :func:`tally` gives, which a figure of
    another thing read with the section, 「四大加值」, would pass for)."""
    return asks_members(question) and not _ASKS_NUMBER.search(question)


def named_count(question: str, items: Sequence[Evidence], number_only: bool = False) -> str:
    """For 「東部有幾個中心？」 answered by sentences that each introduce one 「…中心」 (or 「…園區」,
    counted with them), the lead 「文件共列出2個中心：」; "" unless the question asks how many of
    such things, at least two differently named ones are introduced, and no sentence states a
    number of them itself (search form question). ``number_only``: not for 「哪幾個」, which asks
    which ones (the answer quotes them; a count of what was retrieved need not be all)."""
    asked = [k for k in _THING_HEADS if k in question]
    if not (_ASKS_NUMBER if number_only else _ASKS_HOW_MANY_THINGS).search(question) or not asked:
        return ""
    names: dict[str, str] = {}
    for ev in items:
        norm = to_search_form(ev.sentence.text)
        if re.search(r"(?:\d+|[两二三四五六七八九十]+)\s*[个家所座](?:" + "|".join(asked) + ")", norm):
            return ""  # 「設立7個中心」: the text counts them itself
        for match in _THING.finditer(norm):
            names.setdefault(match.group(0), match.group(1))
    families = {_FAMILY.get(a, a) for a in asked}
    if len(names) < 2 or not any(_FAMILY.get(kind, kind) in families for kind in names.values()):
        return ""
    kinds = "或".join(dict.fromkeys(names.values()))
    return f"文件共列出{len(names)}個{to_traditional(kinds)}："


def tally(
    query: QueryTerms,
    first: Evidence,
    evidence: Sequence[Evidence],
    continuation: Callable[[Evidence, Sequence[Evidence], str, QueryTerms], list[Evidence]],
    most: int,
    floor: float,
) -> tuple[str, list[Evidence]]:
    """「總共有幾個中心？」 where the text names them one sentence each: the count and those sentences.

    The sentences are those after ``first`` that go on with its list (``continuation``,
    :meth:`assistant.lists.ListAnswers._continuation`) or, when they name fewer than two things,
    every item of ``first``'s section the question does not restrict (:func:`whole_list`, with
    ``most`` and ``floor``). Returns ("", []) unless the question asks how many and they introduce
    at least two differently named things (:func:`named_count`).
    """
    asked = [k for k in _THING_HEADS if k in query.question]
    if not _ASKS_HOW_MANY_THINGS.search(query.question) or not asked:
        return "", []
    # the query goes along: the place it names bounds the list (中部 in 「中部有幾個中心？」)
    items = continuation(first, evidence, asked[0], query)
    lead = named_count(query.question, [first, *items])
    if not lead:
        items = [
            ev for ev in whole_list(query, asked[0], [first], evidence, most, floor)[0] if ev is not first
        ]
        lead = named_count(query.question, [first, *items])
    return (lead, items) if lead else ("", [])


def answer_lead(
    query: QueryTerms,
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    diagnostics: dict[str, float | str],
    gap: int,
) -> str:
    """The lead written before the chosen sentences: the count a list states of itself (共3項),
    else the count of a table's rows (:func:`assistant.tables.count_lead`), else the count of the
    named things the sentences introduce (「東部有幾個中心？」, :func:`named_count`), else the figure
    asked (:func:`assistant.parts.figure_lead`; ``gap``: ``Settings.shortened_term_gap``); the
    rule that wrote it goes into ``diagnostics["shape"]``. "" when none applies."""
    opening = chosen[0].sentence.text
    counted, why = tables.count_lead(asked_count(query.question), list(chosen), list(evidence))
    diagnostics.update({"shape": why} if why else {})
    enumerated = enumeration_count(query.question, opening)
    named = "" if enumerated or counted else named_count(query.question, chosen, number_only=True)
    if named:
        said = str(diagnostics.get("shape", ""))
        diagnostics["shape"] = f"{said}; " * bool(said) + "named count: the answer's sentences introduce them"
    return enumerated or counted or named or figure_lead(query, opening, gap)
