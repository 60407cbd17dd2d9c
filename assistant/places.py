"""Places and organisations a question names, and the sentence that answers for them.

「可以同時申請台北市的地方型SBIR嗎？」 is answered by a passage about 台北市 (:func:`named_best`),
or by a rule for whatever place is concerned (「只能申請登記所在地的地方型SBIR」); a question
whose place no answering passage names is refused (:func:`unnamed_place`, the refusal's
``missing_place`` veto).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.evidence import Evidence, QueryTerms, coverage, restates_heading
from assistant.lexicon import general_tag, part_of_speech
from assistant.rules import COMPARES, GENERIC_PLACE, asked_types, asks_members
from core.text import count_cjk, to_search_form


def unnamed_place(query: QueryTerms, evidence: Sequence[Evidence], best: Evidence, depth: int) -> str:
    """The first place or organisation the question names that neither ``best``'s passage (with
    its card's title lines) mentions nor its rule for any place speaks of; for a comparison
    (嘉義跟台南), nor the passages of the ``depth`` best sentences (``Settings.place_search_depth``),
    since each place may be answered by a sentence of its own. "" when there is none."""
    answering = [best] if not COMPARES.search(query.question) else [best, *evidence[:depth]]
    where = "\n".join(_where(e) for e in [*answering, *_card_titles(best, evidence)])
    for forms in query.places:
        if not any(form in where for form in forms) and not _any_place_rule(query, best, forms):
            return forms[0]
    return ""


def named_best(
    query: QueryTerms,
    evidence: Sequence[Evidence],
    best: Evidence,
    depth: int,
    floor: float,
    diagnostics: dict[str, float | str] | None = None,
) -> Evidence:
    """The sentence that answers a question naming places or organisations: ``best`` when its
    passage mentions them all, else the first of the ``depth`` best sentences whose passage does
    and whose support is at least ``floor`` (``Settings.refusal_threshold``), else ``best``; a
    sentence other than ``best`` is said in ``diagnostics["chosen"]`` (the trace's rules).

    「可以同時申請台北市的地方型SBIR嗎？」 is answered by the row about 台北市, not by the one
    about 新北 that scored higher; when no such sentence exists the ``missing_place`` veto refuses.
    """
    if not query.places or COMPARES.search(query.question):
        return best

    def names_all(ev: Evidence) -> bool:
        where = "\n".join(_where(e) for e in [ev, *_card_titles(ev, evidence)])
        return all(
            any(form in where for form in forms) or _any_place_rule(query, ev, forms)
            for forms in query.places
        )

    if names_all(best):
        return best
    # As much of the rest of the question as the best covers: a row that only names the place
    # (縣市：屏東縣) does not answer 「南臺灣創新園區搬到屏東之後…」.
    rest = [t for t in query.terms if t.forms not in query.places]

    def others(ev: Evidence) -> float:
        return coverage(rest, ev.sentence.context + ev.sentence.text)

    named = next(
        (
            ev
            for ev in evidence[:depth]
            if ev.support >= floor and others(ev) >= others(best) and names_all(ev)
        ),
        best,
    )
    if named is not best and diagnostics is not None:
        diagnostics["chosen"] = (
            f"place: candidate {list(evidence).index(named) + 1} is the best supported whose passage names "
            f"{'、'.join(next((x for x in f if count_cjk(x)), f[0]) for f in query.places)}"
        )
    return named


def places_by_rule(query: QueryTerms, best: Evidence) -> str:
    """For the trace: the places the question names that ``best``'s passage does not, which its
    rule for whatever place is concerned speaks of (:func:`_any_place_rule`); "" for none."""
    where = _where(best)
    named = [f[0] for f in query.places if not any(x in where for x in f) and _any_place_rule(query, best, f)]
    return f"{'、'.join(named)}: the sentence states a rule for whatever place is concerned" if named else ""


def _any_place_rule(query: QueryTerms, ev: Evidence, forms: Sequence[str]) -> bool:
    """Whether ``ev`` states a rule for whatever place is concerned (「只能申請登記所在地的地方型
    SBIR」: :data:`assistant.rules.GENERIC_PLACE`), ``forms`` name a place, not an organisation
    (國科會 is named or not: no rule for any place speaks of it), and the question does not ask
    which or how many things that place has (台中有哪幾個園區: only that place's facts say)."""
    organisation = (general_tag(forms[0]) or part_of_speech(forms[0])) == "nt"
    which = asks_members(query.question) or any(t.name == "count" for t in asked_types(query.question))
    return not organisation and not which and states_any_place_rule(ev)


def states_any_place_rule(ev: Evidence) -> bool:
    """Whether ``ev``'s sentence (with its context) states a rule for whatever place is concerned
    (「只能申請登記所在地的地方型SBIR」, 「向當地政府申請」: :data:`assistant.rules.GENERIC_PLACE`)."""
    return bool(GENERIC_PLACE.search(to_search_form(ev.sentence.context + ev.sentence.text)))


def _card_titles(ev: Evidence, evidence: Sequence[Evidence]) -> list[Evidence]:
    """The retrieved title lines of ``ev``'s section (:func:`assistant.evidence.restates_heading`):
    a card's title line names its subject (「National Development Fund … (行政院國家發展基金…)」)
    for every line of the card (「Investment amount: Up to NT$20 million」)."""
    at = (ev.passage.source, ev.passage.section)
    return [e for e in evidence if (e.passage.source, e.passage.section) == at and restates_heading(e)]


def _where(ev: Evidence) -> str:
    """What an evidence unit is about (search form): its document's title, section, passage, context."""
    return to_search_form(
        f"{ev.passage.title}\n{ev.passage.section}\n{ev.passage.text}\n{ev.sentence.context}"
    )
