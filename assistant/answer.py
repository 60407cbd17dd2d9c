"""Extractive answers: pick the sentences that answer the question, cite them, or refuse.

No language model is needed. Every sentence of the retrieved passages is scored by how
well it answers the question:

* meaning: cosine similarity of the question and sentence embeddings (e5);
* coverage: the share of the question's content words (IDF-weighted, matched after
  script normalisation, aliases allowed) that the sentence holds, and its passage holds;
* the retrieval rank of its passage; a sentence that only points elsewhere (…由中央主管機關定之),
  or only repeats a section's heading the question names (a menu line), ranks lower
  (:func:`assistant.rules.boilerplate`, :func:`assistant.tables.echoed_heading`).

The best sentences become the answer, each followed by its citation marker. The question
is refused when the best evidence does not support it well enough, when it asks about
things the documents never mention (words foreign to the whole corpus, such as 電話 or
預算), when it names a number the evidence lacks, or when the evidence is not of the kind
asked for (a year for "哪一年", a count for "幾組", a name for "叫什麼"). A confident
wrong answer is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant import places, tables, titles, units
from assistant import refusal as calibration
from assistant.evidence import (
    Composition,
    Evidence,
    QueryTerms,
    SentenceRecord,
    _mentions_text,
    _numbers_supported,
    callout_labels,
    coverage,
    write_answer,
)
from assistant.lists import (
    _COUNTED,
    ListAnswers,
    _number_share,
    enumeration_count,
    question_facets,
)
from assistant.novelty import after_said, said_share
from assistant.parts import PartAnswers
from assistant.premise import PremiseChecks
from assistant.reply import Passage
from assistant.rules import (  # REFUSAL_HANT is imported from here by the generative answerer
    _ASKS_MISSION,
    _INJECTION,
    _ROLE_ASKED,
    ASKS_EACH,
    REFUSAL_HANT,
    SHAPE_STRENGTH,
    answer_shape,
    answer_type_ok,
    asked_count,
    asks_members,
    boilerplate,
    bound_bonus,
    list_noun,
)
from assistant.siblings import sibling_match
from assistant.verdicts import ShapedAnswers
from assistant.wholelist import answer_lead, whole_list
from assistant.wholelist import tally as tally_of
from core.settings import Settings
from core.text import count_cjk, to_search_form

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _english(text: str) -> bool:
    """Whether a sentence is written in English: more Latin words than Chinese characters."""
    return len(_LATIN_WORD.findall(text)) > count_cjk(text)


class ExtractiveAnswerer(PremiseChecks, ListAnswers, ShapedAnswers, PartAnswers):
    """Chooses evidence sentences and writes a cited answer, or refuses.

    Args:
        settings: Where every figure comes from (``max_answer_sentences``, ``refusal_threshold``,
            ``answer_weights_*``, ``similarity_band`` and the rest; see
            :class:`core.settings.Settings`). Default: the settings' defaults (not the environment).
        **changes: Settings fields to change (``refusal_threshold=0.3``), validated like them.

    Raises:
        SettingsError: a changed value is out of range.
    """

    def __init__(self, settings: Settings | None = None, **changes: Any) -> None:
        settings = settings or Settings()
        settings = settings.replace(**changes) if changes else settings
        self.settings = s = settings
        self.max_sentences, self.refusal_threshold = settings.max_answer_sentences, settings.refusal_threshold
        self.foreign_limit = settings.foreign_limit
        #: The calibrated refusal decision (None: the fixed thresholds above decide).
        self.refusal_model: calibration.RefusalModel | None = calibration.RefusalModel.load()
        self.answer_probability = settings.answer_probability
        #: The embedding model's band (no match, full match), as the citation enforcer reads it.
        self.dense_floor, dense_full = settings.similarity_band
        self.dense_span = dense_full - self.dense_floor
        self.cross_lingual_floor = settings.answer_cross_lingual_floor
        self.unit_chars, self.article_chars = settings.evidence_unit_chars, settings.article_quote_chars
        self.label_weight, self.row_score_ratio = settings.label_weight, settings.row_score_ratio
        #: Sentence score weights: Chinese questions, English ones (see Settings.answer_weights).
        self.weights, self.english_weights = s.answer_weights, s.english_weights
        #: A further sentence must score this share of the best one (list questions, others) and
        #: add this much coverage of the question's words (or be a parallel list item).
        self.list_score_ratio = settings.list_score_ratio
        self.extra_score_ratio = settings.extra_score_ratio
        self.min_gain = settings.min_coverage_gain
        #: A list item parallel to the best one: this share of its coverage and of its score.
        self.parallel_coverage = settings.parallel_coverage
        self.parallel_score = settings.parallel_score
        #: Bonus for a sentence shaped like the answer asked for (see :func:`answer_shape`).
        self.shape_weight = settings.shape_weight
        #: A list of 「…中心」 starts at, and takes only, sentences that introduce one.
        self.list_items_only = True
        #: A sentence enumerating the noun asked for (…等七大誘因) is the whole list.
        self.enumeration_complete = True
        #: A comparison's part is preferably found by its full name (學界 + 科專 → 學界科技專案).
        self.facet_compounds = True
        #: An enumeration earns its shape bonus only if it (or its passage) covers this share of
        #: what the best sentence covers of the question.
        self.subject_share = settings.subject_share

    def _dense_norm(self, sim: float, cjk: bool) -> float:
        floor = self.dense_floor if cjk else self.cross_lingual_floor
        return float(np.clip((sim - floor) / self.dense_span, 0.0, 1.0))

    def score(
        self,
        query: QueryTerms,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        sentences: Callable[[Passage], Sequence[SentenceRecord]],
    ) -> list[Evidence]:
        """Every sentence of ``passages`` scored against the question, best first."""
        seen: set[str] = set()
        out: list[Evidence] = []
        facets = question_facets(query, self.settings.max_facets)
        chinese_names = [t for t in query.terms if count_cjk(t.forms[0])] if not query.cjk else []
        names = [f for t in query.terms if t.asked for f in t.forms]
        asked_labels, sections = tables.labels(query.question), tables.headings(passages)
        # 「科專類」 named (here or in an earlier turn): its sibling 「多元類」's sentences are not it.
        named_kin = sibling_match(
            (f for t in query.terms for f in t.forms), passages, self.settings.sibling_heading_chars
        )
        by_section: dict[tuple[str, str], list[Passage]] = {}
        for passage in passages:
            by_section.setdefault((passage.source, passage.section), []).append(passage)
        for rank, passage in enumerate(passages):
            neighbours = by_section[(passage.source, passage.section)]
            context_cov = coverage(query.terms, f"{passage.section}\n{passage.text}")
            labels, siblings = callout_labels(passage), sentences(passage)
            near = units.section_sentences(neighbours, sentences)
            for sent in siblings:
                if (
                    sent.id in seen
                    or sent.text in labels
                    or not units.quotable(sent.text, self.settings.min_evidence_chars)
                ):
                    continue  # a bare name or place label proves nothing on its own
                if _INJECTION.search(to_search_form(sent.text)):
                    continue  # a document telling the assistant what to do is no evidence
                seen.add(sent.id)
                dense = float(np.dot(sent.vector, query_vector))
                terms = query.terms
                if facets:
                    # A sentence about one of the parts asked about need not name the others,
                    # nor the count of the parts (這三年, 三種).
                    named = [f for f in facets if _mentions_text(sent.context + sent.text, f)]
                    if named:
                        terms = tuple(
                            t
                            for t in terms
                            if (t.forms not in facets or t.forms in named) and not _COUNTED.match(t.forms[0])
                        )
                cov, scoped, listed = titles.structural_coverage(terms, query, passage, sent, siblings, near)
                ev = Evidence(
                    sent, passage, rank, dense, cov, context_cov, siblings=siblings, neighbours=neighbours
                )
                dn = self._dense_norm(dense, query.cjk)
                prior = 1.0 / (1.0 + rank)
                role = next((r for r in _ROLE_ASKED if sent.context.endswith(r)), "")
                role_bonus = 0.0
                if role == "的任務：" and _ROLE_ASKED[role].search(query.question):
                    # Asked by name (任務, 使命), the mission line is the answer itself.
                    role_bonus = (
                        self.settings.mission_named_bonus
                        if _ASKS_MISSION.search(query.question)
                        else self.settings.mission_bonus
                    )
                lex, ctx_share = self.settings.support_coverage_share, self.settings.support_context_share
                if query.cjk:
                    w_cov, w_ctx, w_dense, w_prior = self.weights
                    ev.score = w_cov * scoped + w_ctx * context_cov + w_dense * dn + w_prior * prior
                    ev.score += role_bonus
                    ev.support = lex * max(cov, ctx_share * context_cov) + (1 - lex) * dn
                    shape = ev.shape = answer_shape(query.question, sent.text, names) or listed
                    ev.field = "" if shape else tables.field_shape(query.question, passage, sent.text)
                    if ev.field:
                        # A row that states the field asked for (補助對象：…) answers for it.
                        shape = ev.shape = SHAPE_STRENGTH["field"]
                    ev.score += self.shape_weight * shape
                    if shape >= SHAPE_STRENGTH["full_name"]:
                        # The sentence that defines the very name asked about answers it.
                        ev.support = max(ev.support, lex + (1 - lex) * dn)
                elif chinese_names:
                    # An English question: the Chinese names its words stand for (Southern Taiwan
                    # Innovation Park → 南臺灣創新園區) pick the sentence; meaning does the rest.
                    by_name = coverage(chinese_names, sent.context + sent.text)
                    w_name, w_dense, w_prior = self.english_weights
                    ev.score = w_name * by_name + w_dense * dn + w_prior * prior + role_bonus
                    ev.support = lex * by_name + (1 - lex) * dn
                else:
                    w_prior = self.settings.meaning_only_rank_weight
                    ev.score = (1 - w_prior) * dn + w_prior * prior + role_bonus
                    ev.support = dn
                    if _english(sent.text):
                        # Its likeness to an English sentence saturates at the band's top, so the
                        # question's own words break the tie (「What does SIIR stand for?」 is not
                        # answered by the SBIR line beside the SIIR one).
                        ev.english_words = self.settings.english_coverage_weight * cov
                        ev.score += ev.english_words
                if not query.cjk:
                    # An English question asks for the same shapes (what categories…: a division
                    # into kinds; why…: a reason) as a Chinese one: the shape counts alike.
                    ev.shape = answer_shape(query.question, sent.text, names)
                    ev.score += self.shape_weight * ev.shape
                # Phase 1 is not the Phase 2 asked about, however many other words it shares; a
                # list item under 「Phase 2 審查」 is about Phase 2.
                labelled = f"{tables.heading_of(passage)}\n{sent.context}{sent.text}"
                ev.score += self.label_weight * tables.label_match(asked_labels, labelled)
                ev.named_section = named_kin.get(passage.section, 0)
                ev.score += self.label_weight * ev.named_section
                ev.said = said_share(sent.text, query.said)  # 後來: what the last answer said is not asked
                ev.score -= self.settings.said_penalty * (ev.said >= self.settings.said_share)
                # The section holds a law article's or table row's label (｜第24條): its number counts.
                located = f"{passage.section}\n{passage.text}"
                if not _numbers_supported(query.numbers, located, partial=len(query.numbers) > 1):
                    ev.support = 0.0
                ev.score += bound_bonus(query.question, to_search_form(sent.text), self.settings.bound_weight)
                ev.boilerplate = boilerplate(query.question, to_search_form(sent.text)) or (
                    tables.echoed_heading(query.question, sent.text, sections, cov)
                )
                ev.score -= self.settings.boilerplate_penalty * bool(ev.boilerplate)
                out.append(ev)
        if out and self.subject_share:
            # An enumeration of the noun asked for (…等領域) answers 「南臺灣創新園區投入哪些領域？」,
            # and a law's formula (修正日期：…) 「哪年修過的」, only if it is about what the question
            # names (see :func:`assistant.titles.off_subject`).
            for ev in titles.off_subject(out, query, self.subject_share):
                ev.score -= self.shape_weight * ev.shape
                ev.shape = 0.0
        for ev in after_said(out, self.settings.said_share) if query.said else []:
            ev.told_next = True  # 「後來…？」: what the document tells next after what was said
            ev.score += self.settings.said_penalty
        out.sort(key=lambda e: -e.score)
        return out

    def _refusal(
        self, refusal: str, support: float, diagnostics: dict[str, float | str], reason: str, by: str
    ) -> Composition:
        """A refusal saying why (``reason``) and which signal or rule decided it (``by``)."""
        diagnostics.update(reason=reason, decided_by=by)
        return Composition(refusal, [], True, support, diagnostics)

    def _compose(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        convert: Callable[[str], str] = lambda s: s,
        refusal: str = REFUSAL_HANT,
    ) -> Composition:
        """The cited answer from scored evidence, or a refusal (:meth:`compose` checks its premise).

        Args:
            query: The question's terms.
            evidence: Output of :meth:`score`.
            convert: Script conversion for the answer text (quotes stay exact).
            refusal: The refusal message.
        """
        diagnostics: dict[str, float | str] = {"foreign_share": round(query.foreign_share, 4)}
        if query.foreign:
            diagnostics["foreign_terms"] = " ".join(query.foreign)
        if not evidence:
            return self._refusal(refusal, 0.0, diagnostics, "no passages", "retrieval")
        if not query.terms and not query.numbers:
            # 「？？？」, 「你是誰？」: nothing to look for; meaning alone would pick any sentence.
            return self._refusal(refusal, 0.0, diagnostics, "the question names nothing to look for", "terms")
        best = units.typed_choice(query, evidence, self.settings, diagnostics)
        floor, s = self.refusal_threshold, self.settings
        best = places.named_best(query, evidence, best, s.place_search_depth, floor, diagnostics)
        support = best.support
        query = calibration.forgive_value_words(query, evidence, s.type_search_depth, floor, diagnostics)
        diagnostics.update(
            support=round(support, 4), best_dense=round(best.dense, 4), best_coverage=round(best.coverage, 4)
        )
        if _INJECTION.search(query.question):
            return self._refusal(
                refusal, support, diagnostics, "asks the assistant to drop its rules", "injection"
            )
        fifth = evidence[min(4, len(evidence) - 1)]
        signals = calibration.signals(
            support,
            best.coverage,
            best.dense,
            query.foreign_share,
            answer_type_ok(query.question, best.sentence.text),
            best.score - fifth.score,
            calibration.head_held(query, best),
        )
        diagnostics.update({f"signal_{k}": v for k, v in signals.items()})
        rule, vetoed = calibration.veto(query, evidence, best, self.foreign_limit, self.settings)
        if rule:
            return self._refusal(refusal, support, diagnostics, vetoed, f"veto: {rule}")
        if places.places_by_rule(query, best):
            diagnostics["place_rule"] = places.places_by_rule(query, best)
        computed = self._parts_answer(query, evidence, support, diagnostics, convert, refusal)
        if computed is not None:  # 「A比B晚幾年？」, 「A跟B加起來幾項？」: each part decided and cited
            return computed
        if self.refusal_model is not None:
            answer, p, decisive = self.refusal_model.decide(
                signals, self.answer_probability, self.settings.refusal_clip_sd
            )
            diagnostics["answer_probability"] = round(p, 4)
            diagnostics["decided_by"] = decisive
            if not answer:
                why = f"calibrated: p={p:.2f} < {self.answer_probability}, mostly {decisive}"
                return self._refusal(refusal, support, diagnostics, why, decisive)
        elif support < self.refusal_threshold:
            return self._refusal(refusal, support, diagnostics, "low support", "support")
        article = units.named_article(
            query.question, evidence, self.article_chars, self.settings.sentence_gap_chars
        )
        if article:
            diagnostics["shape"] = "named_article"
            return self._write(article, support, diagnostics, convert)
        kinds = self._kinds(query, evidence)
        if kinds:
            return self._write(kinds, support, diagnostics, convert)
        depth = self.settings.type_search_depth
        if not (
            answer_type_ok(query.question, best.sentence.text)
            or enumeration_count(query.question, best.sentence.text)
            or (asked_count(query.question) is not None and tables.read_whole(best, evidence) > 0)
            or calibration.types_held(query.question, evidence, depth, self.refusal_threshold)
        ):
            floor = s.facet_support * self.refusal_threshold
            tally, items = tally_of(query, best, evidence, self._continuation, s.max_list_sentences, floor)
            if not tally:
                why = "evidence is not of the kind asked for"
                return self._refusal(refusal, support, diagnostics, why, "type_ok")
            diagnostics["shape"] = (
                f"named count: {len(items)} sentences after the best introduce the things counted"
            )
            return self._write([best, *items], support, diagnostics, convert, lead=tally)

        chosen, wants_list = self._gather(query, best, evidence)
        if wants_list and asks_members(query.question) and chosen[0].shape < SHAPE_STRENGTH["list"]:
            # 「區域中心分布在哪些縣市？」: every item of a list that runs over its whole section
            head, floor = list_noun(query.question), s.facet_support * self.refusal_threshold
            chosen, note = whole_list(query, head, chosen, evidence, s.max_list_sentences, floor)
            diagnostics.update({"shape": note} if note else {})

        if wants_list and query.numbers and _number_share(query) >= self.settings.number_led_share:
            chosen = self._numbered_items(query, chosen, evidence)
        chosen = self._fill_facets(query, chosen, evidence)
        if len(query.numbers) > 1 and not _numbers_supported(
            query.numbers, "\n".join(c.passage.text for c in chosen)
        ):
            why = "a number asked about is in no evidence"
            return self._refusal(refusal, support, diagnostics, why, "numbers")

        chosen = self._rows_and_units(
            query, chosen, evidence, wants_list or bool(ASKS_EACH.search(query.question)), diagnostics
        )
        lead = answer_lead(query, chosen, evidence, diagnostics, self.settings.shortened_term_gap)
        verdict, chosen = self._yes_no(query, chosen, evidence)
        if verdict is not None and verdict.lead.startswith("否") and query.foreign:
            # 「宜蘭有沒有中心？」: "no" would rest on a word the answering document never uses;
            # it does not say, so neither do we.
            why = f"a 'no' would rest on {'、'.join(query.foreign)}, which the document never mentions"
            return self._refusal(refusal, support, diagnostics, why, "foreign")
        if verdict is not None:
            diagnostics["shape"] = verdict.rule
            lead = verdict.lead + lead
        return self._write(chosen, support, diagnostics, convert, lead=lead)

    _write = staticmethod(write_answer)
