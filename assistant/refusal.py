"""Refusal as one calibrated decision from a few measured signals.

The signals of a question (see :func:`signals`):

* ``support``: how well the best sentence supports the focus (0-1, see the answerer);
* ``coverage``: the share of the focus's term weight the best sentence holds;
* ``dense``: cosine similarity of the question and the best sentence;
* ``foreign``: the share of the focus's term weight in topical words no document uses;
* ``type_ok``: 1 when the best sentence is of the kind asked for (a year for 哪一年), else 0;
* ``margin``: how far the best sentence's score is ahead of the fifth best;
* ``head``: 1 when the best sentence, its context or section names the term the question asks
  about (:func:`asked_head`: 預算 in 「基金每年預算大概多少」), else 0.

A logistic regression over some of them (fitted on the dev split by ``scripts/fit_refusal.py``
with scikit-learn, stored in ``assistant/refusal_model.json`` with the signals it uses and the
hash of the data it was fitted on) gives the probability that the documents answer the
question; below ``Settings.answer_probability`` the assistant refuses. Without the file, the
fixed thresholds of the answerer decide. The trace names the signal that moved the decision
most; every other refusal names the veto or rule that decided it (``decided_by``).

``dense`` and ``margin`` are measured and shown but the stored model leaves them out: their
scale depends on the document (how many of its sentences say much the same thing), so a
weight fitted on the tuned documents does not carry over to new ones (session 10: the mean
margin of answerable questions is 0.44 on the seed corpus, 0.22 on the held-out ones).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.evidence import Evidence, QueryTerms, Term
from assistant.lexicon import FRAME_WORDS, INTENT_WORDS
from assistant.places import unnamed_place
from assistant.rules import (
    QUESTION_MARKS,
    VALUE_WORDS,
    asked_types,
    asks_members,
    missing_specific_type,
    title_asked,
)
from core.settings import Settings
from core.text import count_cjk, to_search_form

#: The signals measured for every question (:func:`signals`); a model uses some of them.
FEATURES: tuple[str, ...] = ("support", "coverage", "dense", "foreign", "type_ok", "margin", "head")
#: The signals a model fitted by ``scripts/fit_refusal.py`` uses unless told otherwise: those
#: whose scale does not depend on the document.
MODEL_FEATURES: tuple[str, ...] = ("support", "coverage", "foreign", "type_ok")
#: Where a question's clauses end (search form): each clause asking something is a part.
_CLAUSES = re.compile(r"[?？，,、；;。!！]+")
#: Answer kinds that pick one of several (哪一組最多): a question's other parts ask about the
#: one picked (:func:`types_held`).
_SELECTING = frozenset({"top"})
#: Where the fitted model lives.
MODEL_PATH = Path(__file__).with_name("refusal_model.json")


@dataclass(frozen=True)
class RefusalModel:
    """A fitted logistic regression over some of :data:`FEATURES`.

    Attributes:
        coef: One coefficient per feature of ``features``.
        intercept: The intercept.
        mean: Feature means used to standardise (from the fitting data).
        scale: Feature standard deviations used to standardise.
        data_hash: SHA-256 of the fitting data (case ids and labels).
        features: The signals the coefficients weigh, in order.
    """

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    data_hash: str = ""
    features: tuple[str, ...] = FEATURES

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> RefusalModel | None:
        """The stored model, or None when there is none (or it uses a signal not measured)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        features = tuple(data.get("features", ()))
        if not features or not set(features) <= set(FEATURES):
            return None
        return cls(
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            data_hash=str(data.get("data_hash", "")),
            features=features,
        )

    def decide(
        self, values: Mapping[str, float], threshold: float, clip_sd: float
    ) -> tuple[bool, float, str]:
        """Whether to answer, the probability, and the signal that weighed most against the other side.

        Args:
            values: The signals by name (:func:`signals`).
            threshold: Answer when the probability is at least this (``Settings.answer_probability``).
            clip_sd: Standardised signals are clipped to this many standard deviations of the
                fitting data (``Settings.refusal_clip_sd``).
        """
        x = (np.asarray([float(values[f]) for f in self.features]) - self.mean) / self.scale
        # A signal far outside the range the model was fitted on (another embedding model's
        # similarities) must not decide alone: the straight line was only fitted inside it.
        x = np.clip(x, -clip_sd, clip_sd)
        parts = self.coef * x
        z = float(parts.sum() + self.intercept)
        p = 1.0 / (1.0 + math.exp(-z))
        answer = p >= threshold
        # The signal that pushed hardest towards the decision taken.
        decisive = self.features[int(np.argmax(parts if answer else -parts))]
        return answer, p, decisive


def signals(
    support: float,
    coverage: float,
    dense: float,
    foreign: float,
    type_ok: bool,
    margin: float,
    head: bool = True,
) -> dict[str, float]:
    """The signals as a dict keyed by :data:`FEATURES`."""
    return {
        "head": 1.0 if head else 0.0,
        "support": round(support, 4),
        "coverage": round(coverage, 4),
        "dense": round(dense, 4),
        "foreign": round(foreign, 4),
        "type_ok": 1.0 if type_ok else 0.0,
        "margin": round(margin, 4),
    }


def asked_head(query: QueryTerms) -> Term | None:
    """The term the question asks about: of the question's own words (not an earlier turn's, nor
    a paraphrase no document uses), the one written nearest before the question word of its
    last asking clause (預算 in 「基金每年預算大概多少」, 碩士 in 「…那我只有碩士怎麼辦」); the
    nearest after it when none comes before (「哪一年開始推科專」); None for a question with no
    question word or no such term."""
    question = query.question
    marks = list(QUESTION_MARKS.finditer(question))
    # A question word, not the closing mark, unless the mark is all there is (「預算呢？」).
    asking = [m.start() for m in marks if m.group() not in "?？"] or [m.start() for m in marks]
    if not asking:
        return None
    at = asking[-1]
    placed = [
        (question.find(form), t)
        for t in query.terms
        if t.asked and t.known and count_cjk(t.forms[0])
        for form in t.forms[:1]
        if form in question
    ]
    before = [(pos, t) for pos, t in placed if pos < at]
    if before:
        return max(before, key=lambda pt: pt[0])[1]
    after = [(pos, t) for pos, t in placed if pos >= at]
    return min(after, key=lambda pt: pt[0])[1] if after else None


def head_held(query: QueryTerms, best: Evidence) -> bool:
    """Whether the best sentence (with its context and section) names the term the question asks
    about (:func:`asked_head`); True when the question has none."""
    head = asked_head(query)
    if head is None:
        return True
    text = to_search_form(f"{best.passage.section}\n{best.sentence.context}{best.sentence.text}")
    return any(form in text for form in head.forms)


def held_value_words(
    query: QueryTerms, evidence: Sequence[Evidence], depth: int, floor: float
) -> dict[str, str]:
    """The question's value words no document uses (門檻, 上限: :data:`assistant.rules.VALUE_WORDS`)
    whose kind of value one of the ``depth`` best sentences with support at least ``floor`` holds,
    each with that sentence (its first 30 characters, for the trace).

    「研發費用占營收的比例門檻是多少？」 asks for a threshold; the law states it as 「…比率達百分之六」
    and never writes 門檻. The word names what is asked (a value of a kind), and a sentence that
    holds such a value is what the refusal must weigh, not whether the word is written.
    """
    held: dict[str, str] = {}
    read = [e for e in evidence[:depth] if e.support >= floor]
    for word in query.foreign:
        kind = VALUE_WORDS.get(word)
        if kind is None:
            continue
        ev = next((e for e in read if kind.held_by(to_search_form(e.sentence.text))), None)
        if ev is not None:
            held[word] = f"{kind.name} held by 「{ev.sentence.text[:30]}」"
    return held


def without_foreign(query: QueryTerms, words: Sequence[str]) -> QueryTerms:
    """``query`` with ``words`` no longer counted as topics no document uses (:func:`held_value_words`)."""
    if not words:
        return query
    weight = {t.forms[0]: t.weight for t in query.terms}
    before = sum(weight.get(w, 0.0) for w in query.foreign)
    after = sum(weight.get(w, 0.0) for w in query.foreign if w not in words)
    return replace(
        query,
        foreign=tuple(w for w in query.foreign if w not in words),
        foreign_heads=tuple(w for w in query.foreign_heads if w not in words),
        foreign_share=query.foreign_share * after / before if before else 0.0,
    )


def forgive_value_words(
    query: QueryTerms,
    evidence: Sequence[Evidence],
    depth: int,
    floor: float,
    diagnostics: dict[str, float | str],
) -> QueryTerms:
    """``query`` without the value words the evidence answers (:func:`held_value_words`), each
    written into ``diagnostics`` (``value_words``, and the foreign terms and share left)."""
    held = held_value_words(query, evidence, depth, floor)
    if not held:
        return query
    query = without_foreign(query, list(held))
    diagnostics["value_words"] = "; ".join(f"{w}: {why}" for w, why in held.items())
    diagnostics["foreign_share"] = round(query.foreign_share, 4)
    diagnostics["foreign_terms"] = " ".join(query.foreign)
    return query


def veto(
    query: QueryTerms,
    evidence: Sequence[Evidence],
    best: Evidence,
    foreign_limit: float,
    settings: Settings | None = None,
) -> tuple[str, str]:
    """The veto that refuses the question whatever the calibrated signals say, and why; ``("", "")`` if none.

    The vetoes, in the order they are checked (each a fact about the question and the
    evidence, not a score):

    1. it asks who holds a title (主任是誰) and none of the ``title_search_depth`` best
       sentences names the title;
    2. the attribute it asks for (的電話, 稅率是多少) is a topical word no document uses;
    3. topical words no document uses weigh more than ``foreign_limit`` of the question;
    4. every noun it asks about is one no document uses, and its words the documents use only say
       how it asks (:func:`unknown_subject`);
    5. it asks for a specific value (a phone number, a rate, an amount) that neither the chosen
       sentence nor any evidence sentence of the ``type_search_depth`` best holds;
    6. it names a place that neither the best sentence nor its passage mentions (for several
       places: nor the passages of the ``place_search_depth`` best sentences), unless the best
       sentence states a rule for whatever place is concerned (所在地: :mod:`assistant.places`).
    7. it asks which ones (哪些, 哪幾個) and the best sentence delegates the list to another's
       rule or notice (「其適用領域由經濟部公告」: a ``delegation``, :func:`assistant.rules.boilerplate`).

    Args:
        query: The question's terms and judgements.
        evidence: Scored evidence, best first.
        best: The sentence chosen to answer.
        foreign_limit: ``Settings.foreign_limit`` (``scripts/fit_refusal.py`` raises it to record
            every question's signals).
        settings: ``title_search_depth``, ``type_search_depth`` and ``place_search_depth``
            (None: the defaults).
    """
    settings = settings or Settings()
    title = title_asked(query.question)
    if title and not any(
        title in to_search_form(e.sentence.text) for e in evidence[: settings.title_search_depth]
    ):
        return "title_not_named", f"asks who is {title}; the documents name no one"
    if query.foreign_heads:
        return (
            "foreign_attribute",
            f"asks for {'、'.join(query.foreign_heads)}, which the documents never mention",
        )
    if query.foreign_share > foreign_limit:
        return "foreign_share", "question is about things the documents never mention"
    unknown = unknown_subject(query)
    if unknown:
        return (
            "unknown_subject",
            f"asks about {'、'.join(unknown)}, which no document uses; it shares only how it asks with them",
        )
    missing = missing_specific_type(  # the chosen sentence may rank lower (a card's own line)
        query.question,
        [best.sentence.text, *(e.sentence.text for e in evidence[: settings.type_search_depth])],
    )
    if missing:
        return "missing_type", f"asks for a {missing} value; no evidence found holds one"
    unnamed = unnamed_place(query, evidence, best, settings.place_search_depth)
    if unnamed:
        return "missing_place", f"names {unnamed}, which the answering passage does not mention"
    if best.boilerplate == "delegation" and asks_members(query.question):
        # 「目前公告的適用領域有哪幾個？」 and 「其適用領域由經濟部公告」: the members are set
        # elsewhere; the sentence that says so lists none.
        return "delegated_list", "asks which ones; the documents leave the list to another's rule or notice"
    return "", ""


def unknown_subject(query: QueryTerms) -> tuple[str, ...]:
    """The nouns the question asks about when no document uses any of them (nor holds them as a
    compound, an abbreviation or a variant: :attr:`QueryTerms.strangers`) and every word of the
    question the documents do use says only how it asks (an intent or frame word: 申請, 多少).

    「勞保的失業給付要去哪裡申請？」: 勞保 and 失業 are everyday words (so not foreign, see
    :mod:`assistant.terms`), but no document writes them and 申請 alone matches a sentence about
    some other application. Also the thing whose count it asks for when no document writes of
    it (「每年開放多少名額？」). Empty for a question with a figure, or not in Chinese.
    """
    if not query.cjk or query.numbers:
        return ()
    # 「每年總共開放多少名額？」: the count asked for is of a thing no document writes of.
    counted = [
        w for w in query.strangers if re.search(f"(?:多少|几)(?:个|位|种)?{re.escape(w)}", query.question)
    ]
    if counted:
        return tuple(counted)
    asked = [t for t in query.terms if t.asked and count_cjk(t.forms[0])]
    if any(t.known and t.forms[0] not in INTENT_WORDS | FRAME_WORDS for t in asked):
        return ()
    return tuple(t.forms[0] for t in asked if t.forms[0] in query.strangers)


def types_held(question: str, evidence: Sequence[Evidence], depth: int, floor: float) -> bool:
    """Whether a question of several parts (clauses that each ask for a kind of answer) finds one
    of the kinds of answer it asks for.

    「東部一共有幾個中心？分別在哪裡？」 asks for a count and places, 「試導入要幾家、合作備忘錄
    什麼時候要交？」 for a count and a time: no one sentence need hold them all, and a part the
    documents answer is worth answering (the reply cites what they say). It is answerable when
    one of the ``depth`` best sentences (``Settings.type_search_depth``) with support at least
    ``floor`` holds one of the asked kinds. A question asking for one kind is judged on the best
    sentence alone (:func:`assistant.rules.answer_type_ok`), and so is the calibrated decision.
    A part that picks one of several (哪一組最多, :data:`_SELECTING`) must be held: the other
    parts ask about the one it picks.
    """
    # Parts are clauses: 「…超過多少金額？」 asking a count and an amount in one clause is one part.
    clauses = [c for c in _CLAUSES.split(question) if c]
    kinds = list({kind.name: kind for c in clauses for kind in asked_types(c)}.values())
    if sum(1 for c in clauses if asked_types(c)) < 2:
        return False
    read = [to_search_form(e.sentence.text) for e in evidence[:depth] if e.support >= floor]
    # 「哪一組募得最多？募了多少？」: the other parts ask about the one the ranking picks, so an
    # amount of anything else answers nothing; the ranking must be held.
    ranking = [kind for kind in kinds if kind.name in _SELECTING]
    if ranking and not any(kind.held_by(t) for kind in ranking for t in read):
        return False
    return any(kind.held_by(t) for kind in kinds for t in read)
