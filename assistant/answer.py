"""Extractive answers: pick the sentences that answer the question, cite them, or refuse.

No language model is needed. Every sentence of the retrieved passages is scored by how
well it answers the question:

* meaning: cosine similarity of the question and the sentence embeddings (e5);
* coverage: the share of the question's content words (IDF-weighted, matched after
  script normalisation) that the sentence holds, and that its passage holds;
* retrieval rank of its passage.

The best sentences become the answer, each followed by its citation marker. The
question is refused when even the best sentence does not support it well enough, or
when it names a number (a year, an amount) that the evidence does not contain: a
confident wrong answer is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.cite import Citation, Passage
from ingest.normalize import bigrams, count_cjk, to_search_form

#: Shown when the documents do not hold the answer.
REFUSAL_HANT = (
    "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。"
    "我只能依據經濟部科技專案相關文件回答，例如科技專案的類型與沿革、重點研發領域、"
    "新創誘因與成果，以及各區域產業研發中心。"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class SentenceRecord:
    """A stored sentence with its embedding."""

    id: str
    text: str
    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class QueryTerms:
    """What the question asks about, as weighted search-form terms.

    Attributes:
        terms: ``(term, weight)`` pairs; follow-up context terms carry a lower weight.
        numbers: Numbers written in the question (years, amounts), which evidence must hold.
        cjk: True when the question is (mostly) Chinese, so word coverage is meaningful.
    """

    terms: tuple[tuple[str, float], ...]
    numbers: tuple[str, ...]
    cjk: bool


@dataclass
class Evidence:
    """A scored candidate sentence."""

    sentence: SentenceRecord
    passage: Passage
    rank: int
    dense: float
    coverage: float
    context_coverage: float
    score: float = 0.0
    support: float = 0.0


@dataclass
class Composition:
    """The answerer's output."""

    answer: str
    citations: list[Citation]
    refused: bool
    support: float
    diagnostics: dict[str, float | str] = field(default_factory=dict)


def _term_match(term: str, text: str) -> float:
    """1 when ``term`` occurs in ``text`` (both search form); else the share of its bigrams that do."""
    if term in text:
        return 1.0
    if len(term) < 3 or not count_cjk(term):
        return 0.0
    grams = [term[i : i + 2] for i in range(len(term) - 1)]
    hit = sum(1 for g in grams if g in text) / len(grams)
    return hit if hit >= 0.5 else 0.0


def coverage(terms: Sequence[tuple[str, float]], text: str) -> float:
    """Weighted share of ``terms`` found in ``text`` (search form), 0-1."""
    total = sum(w for _, w in terms)
    if total <= 0:
        return 0.0
    norm = to_search_form(text)
    return sum(w * _term_match(t, norm) for t, w in terms) / total


def _numbers_supported(numbers: Sequence[str], text: str) -> bool:
    norm = to_search_form(text)
    found = set(_NUMBER.findall(norm))
    return all(n in found for n in numbers)


def _with_marker(text: str, n: int) -> str:
    """Put ``[n]`` before the sentence's closing punctuation: ``…轉型[1]。``."""
    body = text.rstrip()
    match = re.search(r"[。！？；;!?]+$", body)
    if match:
        return f"{body[: match.start()]}[{n}]。"
    return f"{body}[{n}]。"


class ExtractiveAnswerer:
    """Chooses evidence sentences and writes a cited answer, or refuses.

    Args:
        max_sentences: Most sentences in an answer.
        refusal_threshold: Minimum support (0-1) to answer.
        dense_floor: e5 cosine similarity that counts as no semantic match at all.
        dense_span: Similarity above the floor that counts as a full match.
    """

    def __init__(
        self,
        max_sentences: int = 3,
        refusal_threshold: float = 0.5,
        dense_floor: float = 0.78,
        dense_span: float = 0.12,
    ) -> None:
        self.max_sentences = max_sentences
        self.refusal_threshold = refusal_threshold
        self.dense_floor = dense_floor
        self.dense_span = dense_span

    def _dense_norm(self, sim: float) -> float:
        return float(np.clip((sim - self.dense_floor) / self.dense_span, 0.0, 1.0))

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
        for rank, passage in enumerate(passages):
            context = f"{passage.section}\n{passage.text}"
            context_cov = coverage(query.terms, context)
            for sent in sentences(passage):
                if sent.id in seen:
                    continue
                seen.add(sent.id)
                dense = float(np.dot(sent.vector, query_vector))
                cov = coverage(query.terms, sent.text)
                ev = Evidence(sent, passage, rank, dense, cov, context_cov)
                dn = self._dense_norm(dense)
                prior = 1.0 / (1.0 + rank)
                if query.cjk:
                    ev.score = 0.45 * cov + 0.15 * context_cov + 0.3 * dn + 0.1 * prior
                    ev.support = 0.5 * max(cov, 0.8 * context_cov) + 0.5 * dn
                else:
                    ev.score = 0.8 * dn + 0.2 * prior
                    ev.support = dn
                if not _numbers_supported(query.numbers, passage.text):
                    ev.support = 0.0
                out.append(ev)
        out.sort(key=lambda e: -e.score)
        return out

    def compose(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        convert: Callable[[str], str] = lambda s: s,
        refusal: str = REFUSAL_HANT,
    ) -> Composition:
        """The cited answer from scored evidence, or a refusal.

        Args:
            query: The question's terms.
            evidence: Output of :meth:`score`.
            convert: Script conversion for the answer text (quotes stay exact).
            refusal: The refusal message.
        """
        if not evidence:
            return Composition(refusal, [], True, 0.0, {"reason": "no passages"})
        best = evidence[0]
        support = max(e.support for e in evidence[:3])
        diagnostics: dict[str, float | str] = {
            "support": round(support, 4),
            "best_dense": round(best.dense, 4),
            "best_coverage": round(best.coverage, 4),
        }
        if support < self.refusal_threshold:
            diagnostics["reason"] = "low support"
            return Composition(refusal, [], True, support, diagnostics)
        if best.support <= 0.0 and query.numbers:
            diagnostics["reason"] = "numbers not in evidence"
            return Composition(refusal, [], True, support, diagnostics)

        chosen = [best]
        covered = best.coverage
        for ev in evidence[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if ev.score < 0.85 * best.score or ev.support < self.refusal_threshold:
                continue
            joined = "\n".join(c.sentence.text for c in chosen) + "\n" + ev.sentence.text
            gain = coverage(query.terms, joined) - covered
            if gain >= 0.15:
                chosen.append(ev)
                covered += gain

        parts: list[str] = []
        citations: list[Citation] = []
        for n, ev in enumerate(chosen, start=1):
            text = ev.sentence.text
            lead = ""
            if ev.passage.kind == "center":
                name = ev.passage.text.split("\n", 1)[0]
                if not text.startswith(name):
                    lead = f"{name}："
            parts.append(convert(lead) + convert(_with_marker(text, n)))
            citations.append(
                Citation(
                    n=n,
                    passage_id=ev.passage.id,
                    source=ev.passage.source,
                    section=ev.passage.section,
                    text=ev.passage.text,
                    quote=text,
                    start=ev.sentence.start,
                    end=ev.sentence.end,
                    score=round(ev.support, 4),
                    title=ev.passage.title,
                )
            )
        return Composition("".join(parts), citations, False, support, diagnostics)


def question_numbers(question: str) -> tuple[str, ...]:
    """Numbers of two or more digits in the question (years, amounts, counts)."""
    norm = to_search_form(question)
    return tuple(n for n in _NUMBER.findall(norm) if len(n) >= 2 or "." in n)


def has_cjk_terms(question: str) -> bool:
    """True when the question has enough Chinese to match words against."""
    return count_cjk(question) >= 2 and len(bigrams(question)) >= 1
