"""The answerer's yes/no verdicts over scored evidence (see :mod:`assistant.shapes`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant import shapes
from assistant.evidence import Evidence, QueryTerms
from assistant.lexicon import general_tag, part_of_speech
from assistant.places import states_any_place_rule
from assistant.rules import ASSERTED_TAGS, asking_part
from core.settings import Settings
from core.text import count_cjk, to_search_form


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
        # Only the clause that asks yes or no asserts: 「手上有幾件專利…，有沒有辦法停掉？流程大概是
        # 怎樣？」 asserts neither 專利 nor 流程.
        clauses = [c for c in re.split(r"(?<=[?？])", asking_part(query.question)) if c.strip()]
        asking = "".join(c for c in clauses if shapes.YES_NO.search(c)) or query.question
        asked = [
            (t.forms, t.weight)
            for t in query.terms
            if t.asked
            and t.known
            and any(f in asking for f in t.forms)
            and t.forms[0] not in query.numbers
            and (
                len(t.forms[0]) >= 3
                or not count_cjk(t.forms[0])
                or part_of_speech(t.forms[0]) in ASSERTED_TAGS
            )
        ]
        verdict = shapes.yes_no(
            query.question,
            asked,
            query.numbers,
            _under_document(chosen),
            self.settings.shortened_term_gap,
            rule=chosen[0].sentence.text if chosen else "",
            asking=shapes.asking_clause(query.question, query.given),
        )
        if verdict is not None and verdict.lead.startswith("是") and chosen:
            placed = _placed_elsewhere(query, chosen[0].sentence.text)
            if placed is not None:
                lead, verb, why = placed
                also = _rule_for_any_place(verb, chosen, evidence[: self.settings.yes_no_candidates])
                why += " (the rule for any place cited beside it)" if also else ""
                return shapes.Shaped(lead, f"yes_no: {why}"), [*chosen, *also]
        if verdict is None or verdict.lead.startswith(("是", "有")):
            return verdict, chosen
        if not query.numbers:
            return self._unless_held_elsewhere(query, asked, verdict, chosen, evidence)
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

    def _unless_held_elsewhere(
        self,
        query: QueryTerms,
        asked: list[tuple[tuple[str, ...], float]],
        verdict: shapes.Shaped,
        chosen: list[Evidence],
        evidence: Sequence[Evidence],
    ) -> tuple[shapes.Shaped, list[Evidence]]:
        """A "no" to 有…嗎 read off a cited sentence that merely lacks an asserted term, unless another holds it.

        The first cited sentence is the best match for the question's words, not always the one
        about what it asserts: 「科專有支持AI嗎」 ranks a sentence about 科專 over the one naming
        人工智慧. A "no" that rests only on a missing term is overturned by the best-scored
        retrieved sentence that holds every asserted term (under its document and section) and
        covers at least as much of the question's term weight as the first, which is then the
        one cited. Only a question of existence (有…嗎, :func:`shapes.asks_existence`): a 是…嗎
        or 可以…嗎 question asks about one relation or rule, which only its sentence settles.
        Rules that forbid, exempt or limit keep their "no".
        """
        if (
            not asked
            or not verdict.rule.endswith(shapes.LACKS_TERM)
            or not shapes.asks_existence(query.question)
        ):
            return verdict, chosen
        first = chosen[0]
        for ev in evidence[: self.settings.yes_no_candidates]:
            # It must also match the question at least as well as the first: a sentence that holds
            # the asserted nouns in passing, about something else, does not overturn a rule's "no".
            if ev is first or ev.coverage < first.coverage:
                continue
            again = shapes.yes_no(
                query.question,
                asked,
                query.numbers,
                _under_document([ev]),
                self.settings.shortened_term_gap,
                rule=ev.sentence.text,
                asking=shapes.asking_clause(query.question, query.given),
            )
            if again is not None and again.lead.startswith(("是", "有")):
                held = shapes.Shaped(
                    again.lead, f"{again.rule} (another retrieved sentence; the first lacked a term)"
                )
                return held, [ev]
        return verdict, chosen


#: Where the asker or a rule says something is: 登記在新北, 設在彰化, 登記於台中市 (search form):
#: one or two characters of verb, then 在/於, then the place.
_PLACED = re.compile(r"(?=([\u4e00-\u9fff]{2})(?:在|于|位于)([\u4e00-\u9fff]{2,3}))")


def _place(text: str) -> str:
    """The place name ``text`` (search form) begins with, without its 市/縣, or "".

    A place is tagged ``ns`` by jieba's own dictionary (words the documents taught the segmenter
    lose their tag), or by the segmenter when the dictionary lacks it (新北), with or without
    its 市/縣 (台中 is a place because 台中市 is).
    """
    for size in (3, 2):
        name = text[:size]
        if len(name) == size and any(
            (general_tag(form) or part_of_speech(form)) == "ns" for form in (name, name + "市", name + "县")
        ):
            return name.rstrip("市县")
    return ""


def _placed(text: str) -> list[tuple[str, str]]:
    """(verb, place) of each 「…登記在新北」 in ``text`` (search form): the verb is the two
    characters before 在/於 when jieba's dictionary has them as a verb (登記), else the one (設
    of 工廠設在)."""
    found = []
    for m in _PLACED.finditer(text):
        two, where = m.group(1), _place(m.group(2))
        verb = (
            two if general_tag(two).startswith("v") else two[1] if general_tag(two[1]).startswith("v") else ""
        )
        if verb and where:
            found.append((verb, where))
    return found


def _placed_elsewhere(query: QueryTerms, rule: str) -> tuple[str, str, str] | None:
    """A "yes" to 可以…嗎 overturned when the asker says where they are (「公司登記在新北」) and the
    cited rule requires the same thing elsewhere (「公司登記或商業登記於台中市」): the asker does not
    meet the rule. Only the asker's clauses before the question count; the place is read by
    jieba's place tag (``ns``, with 市/縣 added), the verb must be the same.

    Returns:
        The lead (否，不可以。), the verb, and why; None when the asker is not placed elsewhere.
    """
    asking = shapes.asking_clause(query.question, query.given)
    echo = shapes.echoed_verb(asking)
    if echo is None or echo[0] not in ("可以", "能"):
        return None
    before = query.given[: max(query.given.find(asking.rstrip("?？!！。 ")), 0)]
    norm = to_search_form(rule)
    for verb, mine in _placed(before):
        for at in (m.start() for m in re.finditer(re.escape(verb), norm)):
            ruled = re.match(r"[^，。；,;]{0,8}?(?:在|于|位于)(.{2,3})", norm[at + len(verb) :])
            theirs = _place(ruled.group(1)) if ruled else ""
            if theirs and not theirs.startswith(mine) and not mine.startswith(theirs):
                why = f"the asker's {verb}在{mine} is not the cited rule's {verb}於{theirs}"
                return f"否，{echo[1]}。", verb, why
    return None


def _rule_for_any_place(
    verb: str, chosen: Sequence[Evidence], evidence: Sequence[Evidence]
) -> list[Evidence]:
    """The retrieved sentence that states the rule for whatever place, with the verb the asker was
    placed by (「只能申請公司/商業/工廠登記所在地的地方型SBIR」 for 登記:
    :func:`assistant.places.states_any_place_rule`), cited beside the rule that names another
    place; [] when none of ``evidence`` does."""
    for ev in evidence:
        if ev not in chosen and verb in to_search_form(ev.sentence.context + ev.sentence.text):
            if states_any_place_rule(ev):
                return [ev]
    return []


def _under_document(chosen: Sequence[Evidence]) -> str:
    """The cited sentences with what they hold under: document title, publisher, section.

    What a cited sentence says holds under its document's title and its section (a law's chapter
    罰則, an article's label): 「產業創新條例有罰則嗎」 is answered by an article of the chapter
    罰則 of that law, which never repeats either name. A document speaks for its publisher: the
    本部 of a 技術司 report is 技術司 (「技術司在南投有設園區嗎」).
    """
    return "\n".join(
        f"{c.passage.title}\n{c.passage.publisher}\n{c.passage.section}\n{c.sentence.context}{c.sentence.text}"
        for c in chosen
    )
