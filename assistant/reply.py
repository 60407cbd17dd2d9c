"""What an answer carries: the reply, its citations and the passages it was built from.

These records are kezhuan's stable interface: the web page, the helpdesk API and the
evaluation runner all read ``Reply.to_dict()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
class Citation:
    """One numbered source of an answer.

    Attributes:
        n: The marker number used in the answer text (``[n]``).
        passage_id: Id of the cited passage.
        source: Source document file name.
        section: Section heading, then the table row or law article (``｜表1 第3列``, ``｜第24條``).
        text: The whole cited passage.
        quote: The exact supporting sentence(s), a substring of the cleaned source.
        start: Offset of ``quote`` in the cleaned source text.
        end: End offset (exclusive) of ``quote`` in the cleaned source text.
        score: How strongly the quote supports the answer (0-1).
        title: Document title.
        publisher: Who published the document ("" if unknown).
        text_start: Offset of ``text`` in the cleaned source text: ``quote`` is
            ``text[start - text_start : end - text_start]``. ``text`` is the cited passage, or
            overlapping passages of one section joined when the quote runs over them (a long
            law article); ``passage_id`` is then the first of them.
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
