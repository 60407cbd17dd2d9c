"""What an answer carries: the reply, its citations and the passages it was built from.

These records are kezhuan's stable interface: the web page, the helpdesk API and the
evaluation runner all read ``Reply.to_dict()``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: A citation marker in an answer, ``[n]``.
ANSWER_MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Passage:
    """A retrieved passage, ranked.

    Attributes:
        id: Stable, content-derived passage id.
        source: Source document file name (relative to the corpus folder).
        section: Section heading the passage belongs to.
        text: The passage text (cleaned).
        start: Character offset of the passage in the cleaned source text.
        end: End offset (exclusive) in the cleaned source text.
        score: Retrieval score; higher is better. Its scale depends on the retrieval mode
            (fused reciprocal-rank score for ``hybrid``), so compare by rank.
        title: Document title from the corpus manifest (or the document's own title line).
        kind: ``text`` for body passages, ``center`` for a regional-center call-out, ``row``
            for one table row, ``article`` for (part of) one law article.
        publisher: Who published the document ("" if unknown).
    """

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    score: float = 0.0
    title: str = ""
    kind: str = "text"
    publisher: str = ""


@dataclass(frozen=True)
class Quote:
    """One exact quote of a cited passage.

    Attributes:
        quote: The supporting sentence(s), a substring of the cleaned source.
        start: Offset of ``quote`` in the cleaned source text.
        end: End offset (exclusive) of ``quote`` in the cleaned source text.
    """

    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: one passage (a table row, a law article) and its quotes.

    Attributes:
        n: The marker number used in the answer text (``[n]``).
        passage_id: Id of the cited passage.
        source: Source document file name.
        section: Section heading, then the table row or law article (``｜表1 第3列``, ``｜第24條``).
        text: The whole cited passage.
        quote: The exact supporting sentence(s), a substring of the cleaned source (the first
            of ``quotes``).
        start: Offset of ``quote`` in the cleaned source text.
        end: End offset (exclusive) of ``quote`` in the cleaned source text.
        score: How strongly the quote supports the answer (0-1; the best of ``quotes``).
        title: Document title.
        publisher: Who published the document ("" if unknown).
        text_start: Offset of ``text`` in the cleaned source text: ``quote`` is
            ``text[start - text_start : end - text_start]``. ``text`` is the cited passage, or
            overlapping passages of one section joined when the quote runs over them (a long
            law article); ``passage_id`` is then the first of them.
        quotes: Every quote of this passage the answer cites, in answer order, each inside
            ``text`` (:func:`one_citation_per_passage` gathers them); ``[Quote(quote, start,
            end)]`` when the citation holds one quote (filled in when left empty).
    """

    n: int
    passage_id: str
    source: str
    section: str
    text: str
    quote: str
    start: int
    end: int
    score: float
    title: str = ""
    publisher: str = ""
    text_start: int = 0
    quotes: list[Quote] = field(default_factory=list, hash=False)

    def __post_init__(self) -> None:
        if not self.quotes:
            self.quotes.append(Quote(self.quote, self.start, self.end))

    def each_quote(self) -> list[Citation]:
        """One single-quote citation per quote, numbered ``n`` like this one (for the evaluation)."""
        if len(self.quotes) == 1:
            return [self]
        return [replace(self, quote=q.quote, start=q.start, end=q.end, quotes=[q]) for q in self.quotes]

    @property
    def where(self) -> str:
        """Where the quote comes from, for people: ``《title》（publisher）｜section``."""
        title = f"《{self.title or self.source}》"
        publisher = f"（{self.publisher}）" if self.publisher else ""
        section = f"｜{self.section}" if self.section else ""
        return f"{title}{publisher}{section}"


@dataclass
class Reply:
    """The assistant's reply to one question.

    Attributes:
        question: The question as asked.
        answer: The answer in Chinese, each factual sentence followed by ``[n]`` markers;
            the refusal message when ``refused``.
        refused: True when the documents do not hold the answer.
        citations: Numbered sources, in marker order; empty when refused.
        search_query: What was actually searched (the question with follow-up context).
        retrieved: The ranked passages retrieval returned, best first.
        script: ``hant`` or ``hans``: the script the answer is written in.
        latency_ms: Wall time of the whole ``ask`` in milliseconds.
        notes: Free-form diagnostics (support score, generator used, fallbacks).
        notice: A message for the reader about how the answer was made, such as the
            generative model failing and the extractive answer standing in; "" if none.
    """

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    search_query: str = ""
    retrieved: list[Passage] = field(default_factory=list)
    script: str = "hant"
    latency_ms: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    notice: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict with the same fields."""
        return asdict(self)


def one_citation_per_passage(answer: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """One citation per cited passage, holding all its quotes, and the answer renumbered to match.

    A reply quoting several cells of one table row (or several sentences of one passage)
    has one citation per quote; a reader needs the row once. Citations of one passage (same
    ``passage_id`` whose ``text`` covers every quote) become one, numbered in order of first
    appearance; its ``quotes`` keep every quote with its offsets, in answer order, and its
    ``score`` is the best of theirs (a quote cited twice is kept once). The answer's ``[n]`` markers are renumbered, and a marker
    repeated right after itself (``[2][2]``) is written once.

    Args:
        answer: The answer text with ``[n]`` markers numbering ``citations``.
        citations: The reply's citations in marker order.

    Returns:
        The renumbered answer and the merged citations (``n`` = 1, 2, … in order).
    """
    groups: dict[tuple[str, str], list[Citation]] = {}
    for c in citations:
        groups.setdefault((c.source, c.passage_id), []).append(c)
    if len(groups) == len(citations):
        return answer, citations
    renumber: dict[int, int] = {}
    merged: list[Citation] = []
    placed: dict[tuple[str, str, str], int] = {}
    for c in citations:
        members = groups[(c.source, c.passage_id)]
        text, text_start = max(((m.text, m.text_start) for m in members), key=lambda t: len(t[0]))
        covers = all(text_start <= m.start and m.end <= text_start + len(text) for m in members)
        key = (c.source, c.passage_id, text if covers else c.text)
        if key in placed:
            renumber[c.n] = placed[key]
            continue
        same = [m for m in members if covers or m.text == c.text]
        placed[key] = renumber[c.n] = len(merged) + 1
        merged.append(
            replace(
                c,
                n=len(merged) + 1,
                text=key[2],
                text_start=text_start if covers else c.text_start,
                score=max(m.score for m in same),
                quotes=list(dict.fromkeys(q for m in same for q in m.quotes)),
            )
        )

    def marker(match: re.Match[str]) -> str:
        return f"[{renumber.get(int(match.group(1)), int(match.group(1)))}]"

    renumbered = ANSWER_MARKER.sub(marker, answer)
    return re.sub(r"(\[\d{1,3}\])\1+", r"\1", renumbered), merged
