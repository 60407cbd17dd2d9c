"""Scores of one reply against one gold case, and the metrics over a whole run.

Pure functions: no models, no index, no files. The runner (:mod:`evals.run`) feeds them
replies; the report (:mod:`evals.report`) prints :data:`METRIC_DEFINITIONS` verbatim, so
the rules written there are the rules implemented here.

Quotes are compared **without whitespace** (a PDF extraction breaks lines and pads
brackets; the meaning does not change). Where a quote sits is decided by character
offsets in the cleaned source text (:class:`SourceTexts`): ``Citation.start``/``end`` and
``Passage.start``/``end`` are offsets there. A quote whose offsets do not hold it is found
by substring search; one built from its range (a table row quoted as ``header：cell`` pairs)
is placed at its offsets when the range holds most of its characters; and a text that is not a
substring at all (the baseline's raw chunks, which keep page numbers) is aligned piece by piece (runs of at least
:data:`MIN_ALIGN_CHARS` characters). Without source texts, quotes are compared as strings.

Example:
    >>> from evals.metrics import SourceTexts, gold_coverage
    >>> texts = SourceTexts({"doc.txt": "自1979年起啟動科技專案。"})
    >>> gold_coverage("自1979年起啟動", [], texts)
    0.0
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from assistant.reply import Citation, Passage, Reply
from core.text import to_search_form
from evals.dataset import GoldCase

#: Ranks at which retrieval hits are counted.
HIT_KS: tuple[int, ...] = (1, 3, 5, 10)
#: A passage hits when it holds at least this share of a gold quote's characters.
HIT_OVERLAP = 0.5
#: A gold quote is covered when at least this share of its characters is cited.
COVERAGE_THRESHOLD = 0.6
#: A citation is precise when it shares at least this many characters with a gold quote ...
PRECISION_MIN_CHARS = 8
#: ... or at least this share of the shorter of the two.
PRECISION_SHARE = 0.5
#: A quote that is no substring of its source but whose offsets' range holds at least this share
#: of its characters (a table row quoted as header：cell pairs) is placed at its offsets.
BUILT_QUOTE_SHARE = 0.5
#: Shortest run of characters used to align a text that is not a substring of the source,
#: and to compare two quotes as plain strings.
MIN_ALIGN_CHARS = 8

#: A text states a gold quote's words elsewhere in the documents (a map call-out repeating a
#: body sentence as a list) when both are the same letters once punctuation, whitespace and
#: these list conjunctions are removed: 「A」、「B」及「C」 states 「A、B、C」, 群聚發展以及新創商機
#: states 群聚發展與新創商機. Any other difference (百分之四十 / 百分之二十, 南臺灣 / 中臺灣) is
#: another statement. 或 is kept: "A or B" is not "A and B".
SAME_WORDS_IGNORED = re.compile(r"以及|及|與|与|和|暨")
#: Only gold quotes of at least this many letters are matched so (short ones match by chance).
SAME_WORDS_MIN_CHARS = 8

#: Metrics where a larger value is better: the ones ``--fail-under`` accepts.
HIGHER_IS_BETTER: tuple[str, ...] = (
    *(f"hit@{k}" for k in HIT_KS),
    "mrr",
    "citation_recall",
    "citation_precision",
    "key_facts",
    "refusal",
    "answered",
    "pass_rate",
)

#: What each metric means, in words. Printed in the report.
METRIC_DEFINITIONS: dict[str, str] = {
    "hit@k": (
        "Share of answerable cases with a *hit* among the first k retrieved passages "
        f"(k = {', '.join(map(str, HIT_KS))}). A passage hits when, whitespace removed, it contains "
        f"a gold quote whole, or holds at least {HIT_OVERLAP:.0%} of a gold quote's characters "
        "(placed by offsets in the cleaned source text), or states a gold quote's words elsewhere "
        "(the rule of citation recall)."
    ),
    "mrr": (
        "Mean reciprocal rank of the first hitting passage over answerable cases "
        f"(0 when no passage in the top {max(HIT_KS)} hits)."
    ),
    "citation_recall": (
        "Share of answerable cases whose citations cover **every** gold quote. Coverage rule: "
        f"a gold quote is covered when at least {COVERAGE_THRESHOLD:.0%} of its characters "
        "(whitespace removed) fall inside the union of the cited quotes' spans in the cleaned "
        "source text. Spans come from the citations' start/end offsets; a quote those offsets do "
        "not hold is found by substring search, else placed at its offsets when their range holds "
        f"at least {BUILT_QUOTE_SHARE:.0%} of its characters (a table row quoted as header：cell "
        f"pairs), else aligned in runs of at least {MIN_ALIGN_CHARS} characters. A gold quote is "
        "also covered by a cited quote that states its words elsewhere in the documents: with "
        "punctuation, whitespace and the list conjunctions 以及/及/與/和/暨 removed from both, the gold "
        f"quote (at least {SAME_WORDS_MIN_CHARS} letters) is part of the cited quote (a call-out "
        "repeating a body sentence as a list). A refused answerable case scores 0."
    ),
    "citation_precision": (
        "Share of cited quotes (pooled over answerable, non-refused cases; a citation holding "
        "several quotes of one passage counts each) that overlap some "
        f"gold quote: they share at least {PRECISION_MIN_CHARS} characters, or at least "
        f"{PRECISION_SHARE:.0%} of the shorter of the two (ALCE-style), or it states a gold "
        "quote's words elsewhere (the rule of citation recall)."
    ),
    "evidence_chars_median": (
        "Median, over answered (non-refused) cases, of the characters quoted: the sum of the "
        "citations' quote lengths, whitespace removed. Shorter is more exact evidence."
    ),
    "key_facts": (
        "Share of answerable cases whose answer holds every key fact. A key fact is held when one "
        "of its `|`-separated alternatives occurs in the answer after both are normalised with "
        "`to_search_form` (Traditional/Simplified, width and case folded), whitespace and [n] "
        "markers removed. A verdict fact (alternatives that are only yes/no words: 有|是, 否|不行) "
        "is held only when the answer's first clause (or the clause after a lone verdict word) "
        "begins with it (「否，沒有。」 does not hold 有). A refused answerable case scores 0."
    ),
    "refusal": (
        "Share of unanswerable cases (kinds unanswerable, injection and nonquestion) that were refused."
    ),
    "wrong_refusal": "Share of answerable cases that were refused (lower is better).",
    "answered": "1 - wrong refusal: share of answerable cases answered (for `--fail-under`).",
    "pass_rate": (
        "Share of all cases with no failure: answerable cases answered with every key fact and "
        "every gold quote covered; unanswerable cases refused."
    ),
    "latency": (
        "Wall time of one `ask` as the runner measured it (p50 and p95, milliseconds), after one "
        "untimed warm-up question; the run time of a variant also includes the depth-"
        f"{max(HIT_KS)} retrieval call made for the retrieval metrics."
    ),
}

_WS = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """NFKC of one character when that is one character (Kangxi radicals, CJK compatibility
    ideographs and full-width forms of real PDFs), else the character itself: lengths, and so
    offsets, are kept."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def squash(text: str) -> str:
    """``text`` without any whitespace, each character folded by NFKC where that keeps its length."""
    return "".join(_fold_char(ch) for ch in _WS.sub("", text))


@dataclass(frozen=True)
class Span:
    """A quoted text and where its producer says it sits.

    Attributes:
        text: The quoted text.
        source: Source document it claims to come from (``""`` if unknown).
        start: Claimed offset in the cleaned source text (``-1`` if unknown).
        end: Claimed end offset (exclusive).
    """

    text: str
    source: str = ""
    start: int = -1
    end: int = -1

    @classmethod
    def of_citation(cls, citation: Citation) -> Span:
        """The span of a citation's quote."""
        return cls(citation.quote, citation.source, citation.start, citation.end)

    @classmethod
    def of_passage(cls, passage: Passage) -> Span:
        """The span of a whole retrieved passage."""
        return cls(passage.text, passage.source, passage.start, passage.end)


@dataclass(frozen=True)
class Located:
    """Characters of a source, as indices into its whitespace-free cleaned text."""

    source: str
    positions: frozenset[int]


class SourceTexts:
    """The cleaned source texts, to place quotes by position.

    Positions are indices into each source's cleaned text with whitespace removed, so quotes
    that differ only in line breaks or padding occupy the same positions.

    Args:
        texts: Cleaned text of each source document, keyed by source name (``Citation.source``).
        offset_maps: For a source whose citations' offsets refer to another cleaned text (the
            structured parse the index was built from: Markdown tables as rows, articles, ...),
            the offset in ``texts`` of each of that text's characters (-1 where it has none).
            Both texts map back to the raw file, which is how the map is built
            (:func:`evals.run.load_source_texts`).
    """

    def __init__(
        self, texts: Mapping[str, str], offset_maps: Mapping[str, Sequence[int]] | None = None
    ) -> None:
        self._texts = dict(texts)
        self._maps = dict(offset_maps or {})
        self._squashed: dict[str, str] = {}
        self._prefix: dict[str, list[int]] = {}
        for source, text in self._texts.items():
            prefix = [0] * (len(text) + 1)
            count = 0
            for i, ch in enumerate(text):
                prefix[i] = count
                if not ch.isspace():
                    count += 1
            prefix[len(text)] = count
            self._prefix[source] = prefix
            self._squashed[source] = squash(text)

    def __bool__(self) -> bool:
        return bool(self._texts)

    @property
    def sources(self) -> list[str]:
        """Source names."""
        return list(self._texts)

    def squashed(self, source: str) -> str:
        """The whitespace-free cleaned text of ``source``."""
        return self._squashed[source]

    def occurrences(self, quote: str) -> list[Located]:
        """Every exact (whitespace-free) occurrence of ``quote`` in every source."""
        needle = squash(quote)
        found: list[Located] = []
        if not needle:
            return found
        for source, hay in self._squashed.items():
            pos = hay.find(needle)
            while pos >= 0:
                found.append(Located(source, frozenset(range(pos, pos + len(needle)))))
                pos = hay.find(needle, pos + 1)
        return found

    def locate(self, span: Span) -> Located | None:
        """Where ``span.text`` sits: by its offsets, else by search, else by its offsets when
        their range holds most of its characters (:data:`BUILT_QUOTE_SHARE`), else by alignment.

        Args:
            span: The text with its claimed source and offsets.

        Returns:
            The positions it occupies, or None when no run of :data:`MIN_ALIGN_CHARS`
            characters of it is in any source.
        """
        needle = squash(span.text)
        if not needle:
            return None
        known = span.source in self._texts
        hint: int | None = None
        if known and span.source in self._maps:
            span = self._translated(span)
        if known:
            text = self._texts[span.source]
            prefix = self._prefix[span.source]
            if 0 <= span.start < span.end <= len(text):
                a, b = prefix[span.start], prefix[span.end]
                if self._squashed[span.source][a:b] == needle:
                    return Located(span.source, frozenset(range(a, b)))
                hint = a
        candidates = [span.source] if known else list(self._squashed)
        for source in candidates:
            pos = _nearest_find(self._squashed[source], needle, hint)
            if pos >= 0:
                return Located(source, frozenset(range(pos, pos + len(needle))))
        if hint is not None:
            # A quote built from its range (a table row quoted as header：cell pairs, the cells
            # from the row, the headers from the table's first line) sits where its offsets say
            # when the range holds most of its characters.
            a, b = hint, self._prefix[span.source][span.end]
            held = Counter(self._squashed[span.source][a:b])
            shared = sum(min(n, held[ch]) for ch, n in Counter(needle).items())
            if shared >= BUILT_QUOTE_SHARE * len(needle):
                return Located(span.source, frozenset(range(a, b)))
        best: Located | None = None
        for source in candidates:
            positions = _align(needle, self._squashed[source], hint)
            if positions and (best is None or len(positions) > len(best.positions)):
                best = Located(source, frozenset(positions))
        return best

    def _translated(self, span: Span) -> Span:
        """``span`` with its offsets moved from the index's cleaned text into this one's
        (unknown offsets when none of its characters has a place here)."""
        mapping = self._maps[span.source]
        inside = [
            mapping[i] for i in range(max(span.start, 0), min(span.end, len(mapping))) if mapping[i] >= 0
        ]
        if not inside:
            return Span(span.text, span.source)
        return Span(span.text, span.source, min(inside), max(inside) + 1)


def _nearest_find(hay: str, needle: str, hint: int | None) -> int:
    """Offset of the occurrence of ``needle`` nearest ``hint`` (the first without one), or -1."""
    pos = hay.find(needle)
    if hint is None or pos < 0:
        return pos
    best = pos
    while pos >= 0:
        if abs(pos - hint) < abs(best - hint):
            best = pos
        pos = hay.find(needle, pos + 1)
    return best


def _longest_run(needle: str, i: int, hay: str) -> int:
    """Length of the longest prefix of ``needle[i:]`` that occurs in ``hay``.

    Occurrence is monotone in the prefix length, so binary search applies.
    """
    lo, hi = 0, len(needle) - i
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if needle[i : i + mid] in hay:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _align(needle: str, hay: str, hint: int | None) -> set[int]:
    """Positions of ``hay`` matched by greedy runs of at least :data:`MIN_ALIGN_CHARS` of ``needle``."""
    positions: set[int] = set()
    anchor = hint
    i = 0
    while i < len(needle):
        run = _longest_run(needle, i, hay)
        if run >= MIN_ALIGN_CHARS:
            pos = _nearest_find(hay, needle[i : i + run], anchor)
            positions.update(range(pos, pos + run))
            anchor = pos + run
            i += run
        else:
            i += 1
    return positions


def _shared_positions(gold: str, other: str) -> set[int]:
    """Positions of ``gold`` inside a run it shares with ``other`` (both whitespace-free).

    A run counts when it is at least :data:`MIN_ALIGN_CHARS` long, or is the whole of the
    shorter text (at least two characters).
    """
    if not gold or not other:
        return set()
    least = max(2, min(MIN_ALIGN_CHARS, len(gold), len(other)))
    positions: set[int] = set()
    for i in range(len(gold)):
        run = _longest_run(gold, i, other)
        if run >= least:
            positions.update(range(i, i + run))
    return positions


def gold_overlap(gold_quote: str, spans: Sequence[Span], texts: SourceTexts | None = None) -> int:
    """How many characters of a gold quote lie inside the union of ``spans``.

    With source texts, the gold quote's occurrences are placed in the cleaned text and the best
    occurrence counts; spans that cannot be placed, and everything when there are no source
    texts or the quote is not in them, are compared as plain strings.

    Args:
        gold_quote: An exact quote of the cleaned source.
        spans: Cited quotes or retrieved passages.
        texts: The cleaned source texts.

    Returns:
        The number of the quote's (whitespace-free) characters covered.
    """
    gold = squash(gold_quote)
    if not gold or not spans:
        return 0
    occurrences = texts.occurrences(gold) if texts else []
    if not occurrences:
        covered: set[int] = set()
        for span in spans:
            covered |= _shared_positions(gold, squash(span.text))
        return len(covered)
    assert texts is not None
    located: list[Located] = []
    unplaced: list[str] = []
    for span in spans:
        where = texts.locate(span)
        if where is None:
            unplaced.append(squash(span.text))
        else:
            located.append(where)
    best = 0
    for occ in occurrences:
        union: set[int] = set()
        for where in located:
            if where.source == occ.source:
                union |= where.positions
        start = min(occ.positions)
        for text in unplaced:
            union |= {start + i for i in _shared_positions(gold, text)}
        best = max(best, len(occ.positions & union))
    return best


_NOT_LETTERS = re.compile(r"[\W_]+")


def _letters(text: str) -> str:
    """``text`` folded as :func:`squash` does, without punctuation, symbols or whitespace."""
    return _NOT_LETTERS.sub("", squash(text))


def states_same_words(gold_quote: str, text: str) -> bool:
    """Whether ``text`` states the gold quote's words, wherever it sits (:data:`SAME_WORDS_IGNORED`).

    >>> states_same_words("食品製程及設備整合、健康保健", "以「食品製程及設備整合」、「健康保健」為重點")
    True
    >>> states_same_words("食品製程及設備整合、健康保健", "「食品製程」")
    False
    """
    gold = _letters(gold_quote)
    if len(gold) < SAME_WORDS_MIN_CHARS:
        return False
    return SAME_WORDS_IGNORED.sub("", gold) in SAME_WORDS_IGNORED.sub("", _letters(text))


def gold_coverage(gold_quote: str, citations: Sequence[Citation], texts: SourceTexts | None = None) -> float:
    """Share (0-1) of a gold quote's characters inside the union of the cited quotes.

    Args:
        gold_quote: An exact quote of the cleaned source.
        citations: The reply's citations.
        texts: The cleaned source texts (see :func:`gold_overlap`).

    Returns:
        The covered share; 1.0 for an empty gold quote.
    """
    gold = squash(gold_quote)
    if not gold:
        return 1.0
    if any(states_same_words(gold_quote, c.quote) for c in citations):
        return 1.0
    return gold_overlap(gold_quote, [Span.of_citation(c) for c in citations], texts) / len(gold)


def passage_hits(passage: Passage, gold_quotes: Sequence[str], texts: SourceTexts | None = None) -> bool:
    """Whether a retrieved passage holds gold evidence (the rule of :data:`METRIC_DEFINITIONS` ``hit@k``).

    Args:
        passage: A retrieved passage.
        gold_quotes: The case's gold quotes.
        texts: The cleaned source texts.
    """
    body = squash(passage.text)
    span = Span.of_passage(passage)
    for quote in gold_quotes:
        gold = squash(quote)
        if not gold:
            continue
        if gold in body or gold_overlap(quote, [span], texts) >= HIT_OVERLAP * len(gold):
            return True
        if states_same_words(quote, passage.text):
            return True
    return False


def first_hit_rank(
    ranking: Sequence[Passage], gold_quotes: Sequence[str], texts: SourceTexts | None = None
) -> int | None:
    """1-based rank of the first passage that hits, or None when none does."""
    for rank, passage in enumerate(ranking, start=1):
        if passage_hits(passage, gold_quotes, texts):
            return rank
    return None


def citation_is_precise(
    citation: Citation, gold_quotes: Sequence[str], texts: SourceTexts | None = None
) -> bool:
    """Whether a citation's quote overlaps some gold quote enough (ALCE-style precision).

    Args:
        citation: One citation.
        gold_quotes: The case's gold quotes.
        texts: The cleaned source texts.

    Returns:
        True when it shares at least :data:`PRECISION_MIN_CHARS` characters with a gold quote,
        or at least :data:`PRECISION_SHARE` of the shorter of the two.
    """
    quoted = len(squash(citation.quote))
    if not quoted:
        return False
    span = Span.of_citation(citation)
    for quote in gold_quotes:
        gold = len(squash(quote))
        if not gold:
            continue
        shared = gold_overlap(quote, [span], texts)
        if shared >= PRECISION_MIN_CHARS or (shared and shared >= PRECISION_SHARE * min(quoted, gold)):
            return True
        if states_same_words(quote, citation.quote):
            return True
    return False


def fact_form(text: str) -> str:
    """``text`` as key facts are matched: markers and whitespace removed, search-normalised."""
    return squash(to_search_form(_MARKER.sub("", text)))


#: Words that state a yes/no verdict (search form). A key fact made only of these (「有|是」,
#: 「不行|否」) is the case's verdict: it must be the answer's lead, not a word found anywhere in
#: it (「有」 is in 「否，沒有。」 and in almost every quote).
VERDICT_WORDS = frozenset(
    to_search_form(w)
    for w in (
        "是 有 否 對 會 能 要 可以 不是 沒有 不對 不會 不能 不行 不用 不要 不可以 需要 不需要 yes no"
    ).split()
)
#: Where a verdict lead's parts end: 「否，不行。」 → 否, 不行.
_LEAD_PARTS = re.compile(r"[，,、：:；;。.!！?？\s]+")


def _verdict_lead(answer: str) -> list[str]:
    """The parts of the answer's first sentence, search form, lower case: 「否，不行。…」 → [否, 不行]."""
    first = re.split(r"[。.!！?？\n]", to_search_form(_MARKER.sub("", answer)).strip(), maxsplit=1)[0]
    return [part.lower() for part in _LEAD_PARTS.split(first) if part]


def key_fact_found(answer: str, key_fact: str) -> bool:
    """Whether one of the key fact's ``|``-separated alternatives is in the answer.

    A verdict fact (every alternative in :data:`VERDICT_WORDS`) is held only by the answer's
    lead: its first clause, or the clause after a lone verdict word, beginning with one of the
    alternatives (「有，包含。」 holds 「有」; 「否，沒有。」 holds 「否」 and 「沒有」 but not 「有」).
    """
    alternatives = [alt.strip() for alt in key_fact.split("|") if alt.strip()]
    if alternatives and all(to_search_form(alt).lower() in VERDICT_WORDS for alt in alternatives):
        parts = _verdict_lead(answer)
        # The verdict, then the echo of the question's verb after a verdict word: 否，不行。
        lead = parts[:2] if parts and parts[0] in VERDICT_WORDS else parts[:1]
        return any(part.startswith(to_search_form(alt).lower()) for alt in alternatives for part in lead)
    body = fact_form(answer)
    return any(fact_form(alt) and fact_form(alt) in body for alt in alternatives)


def missing_key_facts(answer: str, key_facts: Iterable[str]) -> list[str]:
    """The key facts the answer does not hold (all of them for an empty answer)."""
    return [fact for fact in key_facts if not key_fact_found(answer, fact)]


def evidence_chars(citations: Sequence[Citation]) -> int:
    """Characters quoted by the citations, whitespace removed."""
    return sum(len(squash(c.quote)) for c in citations)


@dataclass(frozen=True)
class CaseScore:
    """Everything measured on one case for one variant.

    Fields that do not apply to the case (retrieval on an unanswerable case, precision on a
    refusal) are None.

    Attributes:
        id: Gold case id.
        section: Gold section (``""`` when unanswerable).
        kind: Gold kind.
        lang: Gold language.
        answerable: Whether the documents answer the question.
        refused: Whether the reply refused.
        error: The exception the variant raised, ``""`` if none.
        first_hit_rank: Rank of the first hitting passage (None: no hit, or unanswerable).
        hit_at: Hit within the first k passages, for each k of :data:`HIT_KS`.
        reciprocal_rank: 1 / first_hit_rank (0 without a hit).
        gold_coverage: Covered share of each gold quote, in gold order.
        citation_recall: Every gold quote covered.
        citation_precise: For each citation, whether it overlaps a gold quote.
        evidence_chars: Characters quoted (answered cases).
        missing_key_facts: Key facts the answer lacks (all of them when refused).
        key_facts: Every key fact held.
        refusal_correct: Refused exactly when unanswerable.
        latency_ms: Wall time of the ``ask`` call.
        failures: What went wrong, in words; empty when the case passes.
        notes: Softer observations (retrieval misses, imprecise citations).
        style: Gold style (how the question is written).
        split: Gold split, ``"dev"`` or ``"test"``.
        source: Document the gold evidence is in (``""`` when unanswerable).
        wave: Gold writing wave (1: the first blind sets and the old gold set; a later wave was
            written after the rules before it were chosen).
    """

    id: str
    section: str
    kind: str
    lang: str
    answerable: bool
    refused: bool
    error: str = ""
    first_hit_rank: int | None = None
    hit_at: dict[int, bool] | None = None
    reciprocal_rank: float | None = None
    gold_coverage: tuple[float, ...] = ()
    citation_recall: bool | None = None
    citation_precise: tuple[bool, ...] | None = None
    evidence_chars: int | None = None
    missing_key_facts: tuple[str, ...] = ()
    key_facts: bool | None = None
    refusal_correct: bool = False
    latency_ms: float = 0.0
    failures: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    style: str = ""
    split: str = ""
    source: str = ""
    wave: int = 1

    @property
    def passed(self) -> bool:
        """No failure."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``hit_at`` keys as ``"hit@k"``)."""
        data = asdict(self)
        data["hit_at"] = None if self.hit_at is None else {f"hit@{k}": v for k, v in self.hit_at.items()}
        data["passed"] = self.passed
        return data


def _short(text: str, limit: int = 40) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def score_case(
    case: GoldCase,
    reply: Reply | None,
    texts: SourceTexts | None = None,
    ranking: Sequence[Passage] | None = None,
    latency_ms: float | None = None,
    error: str = "",
) -> CaseScore:
    """Score one reply against its gold case.

    Args:
        case: The gold case.
        reply: The reply; None when the variant raised (``error`` says what).
        texts: The cleaned source texts, to place quotes by offsets.
        ranking: Passages for the retrieval metrics, best first (default ``reply.retrieved``).
        latency_ms: Measured wall time (default ``reply.latency_ms``).
        error: The error the variant raised, if any.

    Returns:
        The case's scores, failures and notes.
    """
    refused = bool(reply and reply.refused)
    answer = reply.answer if reply else ""
    # Scored per quote: a citation of one table row holding three quotes counts as three.
    citations = [q for c in reply.citations for q in c.each_quote()] if reply and not reply.refused else []
    if ranking is None:
        ranking = list(reply.retrieved) if reply else []
    latency = latency_ms if latency_ms is not None else (reply.latency_ms if reply else 0.0)
    failures: list[str] = []
    notes: list[str] = []
    if error:
        failures.append(f"raised an error: {error}")

    values: dict[str, Any] = {}
    if case.answerable:
        rank = first_hit_rank(list(ranking)[: max(HIT_KS)], case.evidence, texts)
        coverage = tuple(gold_coverage(q, citations, texts) for q in case.evidence)
        missing = tuple(case.key_facts) if refused else tuple(missing_key_facts(answer, case.key_facts))
        values.update(
            first_hit_rank=rank,
            hit_at={k: rank is not None and rank <= k for k in HIT_KS},
            reciprocal_rank=1.0 / rank if rank else 0.0,
            gold_coverage=coverage,
            citation_recall=not refused and all(c >= COVERAGE_THRESHOLD for c in coverage),
            missing_key_facts=missing,
            key_facts=not refused and not missing,
            refusal_correct=not refused and not error,
        )
        if refused:
            failures.append("wrongly refused an answerable question")
        else:
            failures.extend(f"missing key fact 「{fact}」" for fact in missing)
            if not citations:
                failures.append("no citations")
            failures.extend(
                f"gold quote not cited: 「{_short(q)}」 ({c:.0%} covered)"
                for q, c in zip(case.evidence, coverage, strict=True)
                if c < COVERAGE_THRESHOLD
            )
            precise = tuple(citation_is_precise(c, case.evidence, texts) for c in citations)
            values["citation_precise"] = precise
            notes.extend(
                f"citation [{c.n}] overlaps no gold quote"
                for c, ok in zip(citations, precise, strict=True)
                if not ok
            )
        if rank is None:
            notes.append(f"gold evidence not among the top {max(HIT_KS)} retrieved passages")
        elif rank > 1:
            notes.append(f"gold evidence first retrieved at rank {rank}")
    else:
        values["refusal_correct"] = refused
        if not refused and not error:
            failures.append("answered an unanswerable question")
    if not refused and reply is not None:
        values["evidence_chars"] = evidence_chars(citations)

    return CaseScore(
        id=case.id,
        section=case.section,
        kind=case.kind,
        lang=case.lang,
        answerable=case.answerable,
        refused=refused,
        error=error,
        latency_ms=float(latency),
        failures=tuple(failures),
        notes=tuple(notes),
        style=case.style,
        split=case.split,
        source=case.source,
        wave=case.wave,
        **values,
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _mean(values: Iterable[float | bool]) -> float | None:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None


def aggregate(scores: Sequence[CaseScore]) -> dict[str, Any]:
    """The run metrics over some scored cases (see :data:`METRIC_DEFINITIONS`).

    Args:
        scores: Scored cases of one variant.

    Returns:
        Metric name to value; a metric over no cases (e.g. refusal without unanswerable cases)
        is None. Also the counts each metric is over.
    """
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    answered = [s for s in scores if s.evidence_chars is not None]
    precise = [ok for s in answerable for ok in (s.citation_precise or ())]
    latencies = [s.latency_ms for s in scores if not s.error]
    out: dict[str, Any] = {}
    for k in HIT_KS:
        out[f"hit@{k}"] = _mean(bool(s.hit_at and s.hit_at[k]) for s in answerable)
    out["mrr"] = _mean(s.reciprocal_rank or 0.0 for s in answerable)
    out["citation_recall"] = _mean(bool(s.citation_recall) for s in answerable)
    out["citation_precision"] = _mean(precise)
    median_chars = float(statistics.median([s.evidence_chars or 0 for s in answered])) if answered else None
    out["evidence_chars_median"] = median_chars
    out["key_facts"] = _mean(bool(s.key_facts) for s in answerable)
    out["refusal"] = _mean(s.refused for s in unanswerable)
    out["wrong_refusal"] = _mean(s.refused for s in answerable)
    out["answered"] = _mean(not s.refused for s in answerable)
    out["pass_rate"] = _mean(s.passed for s in scores)
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["n_cases"] = len(scores)
    out["n_answerable"] = len(answerable)
    out["n_unanswerable"] = len(unanswerable)
    out["n_answered"] = len(answered)
    out["n_citations"] = len(precise)
    out["n_errors"] = sum(bool(s.error) for s in scores)
    return out


#: What went wrong with a case (:func:`failure_kind`), in the order reports list them.
FAILURE_KINDS: tuple[str, ...] = (
    "passed",
    "wrong sentence, gold passage retrieved",
    "wrong sentence, gold passage missed",
    "key facts missing",
    "wrong refusal, gold passage retrieved",
    "wrong refusal, gold passage missed",
    "answered an unanswerable case",
    "error",
)


def failure_kind(score: CaseScore, depth: int) -> str:
    """The one kind of failure of a case, for counting where the answerer fails.

    Args:
        score: A scored case.
        depth: How many passages the answer read (``Settings.top_k``): a gold passage ranked
            deeper counts as missed.

    Returns:
        One of :data:`FAILURE_KINDS`: an error first, then a pass; an unanswerable case that
        failed was answered; an answerable one was refused, or cited the wrong sentence (not every
        gold quote covered), or lacks a key fact; "retrieved" when a passage holding the gold
        evidence was among the first ``depth``.
    """
    if score.error:
        return "error"
    if score.passed:
        return "passed"
    if not score.answerable:
        return "answered an unanswerable case"
    found = "retrieved" if score.first_hit_rank is not None and score.first_hit_rank <= depth else "missed"
    if score.refused:
        return f"wrong refusal, gold passage {found}"
    if not score.citation_recall:
        return f"wrong sentence, gold passage {found}"
    return "key facts missing"


def failure_kinds(scores: Sequence[CaseScore], depth: int) -> dict[str, int]:
    """How many cases fall in each kind of :func:`failure_kind`, in :data:`FAILURE_KINDS` order
    (kinds with no case left out)."""
    counts = {kind: 0 for kind in FAILURE_KINDS}
    for score in scores:
        counts[failure_kind(score, depth)] += 1
    return {kind: n for kind, n in counts.items() if n}


def breakdown(scores: Sequence[CaseScore], key: Callable[[CaseScore], str]) -> dict[str, dict[str, Any]]:
    """:func:`aggregate` per group, groups in first-seen order.

    Args:
        scores: Scored cases.
        key: The group of a case, e.g. ``lambda s: s.section``.
    """
    groups: dict[str, list[CaseScore]] = {}
    for score in scores:
        groups.setdefault(key(score), []).append(score)
    return {name: aggregate(members) for name, members in groups.items()}
