"""What the extractive answerer works with: question terms, stored sentences, scored evidence,
and the matching primitives (coverage of terms in a text, citation markers, near duplicates)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.reply import Citation, Passage
from core.settings import Settings
from core.text import (
    article_tokens,
    chinese_number,
    count_cjk,
    figures_as_digits,
    to_search_form,
    without_articles,
)
from core.years import ROC_OFFSET

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


_NOT_LETTER = re.compile(r"[^\w]|_")


@dataclass(frozen=True)
class Term:
    """A question term: its forms (the term and its aliases, search form) and weight."""

    forms: tuple[str, ...]
    weight: float
    #: False for a word of the background or an earlier turn (it sets the topic, is not asked).
    asked: bool = True
    #: False for a paraphrase word no document uses under any form (搞, 卡關).
    known: bool = True


@dataclass(frozen=True)
class QueryTerms:
    """What the question asks about.

    Attributes:
        terms: Weighted terms; follow-up context terms carry a lower weight.
        numbers: Numbers written in the question (years, amounts), which evidence must hold.
        cjk: True when the question is Chinese, so word coverage is meaningful.
        foreign: Question terms that occur nowhere in the documents (under any alias).
        foreign_share: Their share of the question's term weight.
        question: The question in search form (for answer-type detection).
    """

    terms: tuple[Term, ...]
    numbers: tuple[str, ...]
    cjk: bool
    foreign: tuple[str, ...] = ()
    foreign_share: float = 0.0
    #: Foreign terms that are what the question asks for (中心的主任, 園區的電話): refused outright.
    foreign_heads: tuple[str, ...] = ()
    #: Everyday words of the question no document uses nor holds as a compound, abbreviation or
    #: variant (勞保, 失業): not foreign, but nothing of the documents either
    #: (:func:`assistant.refusal.unknown_subject`).
    strangers: tuple[str, ...] = ()
    question: str = ""
    #: Places and organisations the question's focus names (jieba tags ``ns``, ``nt``), with
    #: their aliases: the answer must be about them (「屏東有沒有中心？」 is not answered by a
    #: sentence about 台南, 「國科會的計畫」 not by one about the ministry's).
    places: tuple[tuple[str, ...], ...] = ()
    #: Documents the question names by their title, with the words of the title it uses
    #: (:mod:`assistant.titles`): every sentence of such a document holds those words.
    scope: tuple[tuple[str, str], ...] = ()
    #: The whole message, search form: figures it states outside the focus (「管理費是500萬，
    #: 績效獎勵最多多少？」) are operands of the answer's arithmetic (:func:`assistant.parts.figure_lead`).
    given: str = ""
    #: The clauses that set the topic without asking (search form, joined by ，): a figure they
    #: state is a premise of the question (「聽說2010年修正過，是哪次會議通過的？」,
    #: :mod:`assistant.premise`).
    background: str = ""
    #: The latest answer (search form) when the question asks what came after it (後來, 之後):
    #: a sentence that says it again is no answer (:mod:`assistant.novelty`); "" otherwise.
    said: str = ""


@dataclass(frozen=True)
class SentenceRecord:
    """A stored sentence with its embedding."""

    id: str
    text: str
    start: int
    end: int
    vector: np.ndarray
    context: str = ""
    #: The lead-in of the list the sentence is a numbered item of (:attr:`ingest.split.Sentence.lead`).
    lead: str = ""


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
    #: How much the sentence has the shape of the answer asked for (:func:`answer_shape`).
    shape: float = 0.0
    #: The kind of pointer sentence it is (a delegation 「…由中央主管機關定之」, a reference, a bare
    #: proviso; :func:`assistant.rules.boilerplate`), "" for one that states content.
    boilerplate: str = ""
    #: Score added for the English question's own words an English sentence holds
    #: (``Settings.english_coverage_weight``), shown in the trace; 0 for any other.
    english_words: float = 0.0
    #: The field (column) of a table row that the question names and the row states
    #: (:func:`assistant.tables.field_shape`), "" for none: why it has the ``field`` shape.
    field: str = ""
    #: 1 under the heading the question or conversation names (「科專類」), -1 under a same-typed
    #: sibling of it (「多元類」), 0 otherwise (:func:`assistant.siblings.sibling_match`).
    named_section: int = 0
    #: Share of its years and quoted names the latest answer already gave, when the question
    #: asks what came after that answer (:func:`assistant.novelty.said_share`).
    said: float = 0.0
    #: True for the sentence that comes right after one the latest answer said, when the
    #: question asks what came after it (:func:`assistant.novelty.after_said`).
    told_next: bool = False
    #: Every sentence of the passage, in order (short ones too): what the quote may grow into
    #: (:mod:`assistant.units`).
    siblings: Sequence[SentenceRecord] = ()
    #: The other retrieved passages of the same document and section: where a quote that grew
    #: past its own passage (a law article split over overlapping passages) goes on, so that its
    #: citation can show a text that holds it (:func:`cited_text`).
    neighbours: Sequence[Passage] = ()


@dataclass
class Composition:
    """The answerer's output."""

    answer: str
    citations: list[Citation]
    refused: bool
    support: float
    diagnostics: dict[str, float | str] = field(default_factory=dict)


#: Characters after which a word starts afresh (search form): an occurrence right after any
#: other Chinese character is part of a longer, more specific name (學界科技專案 ⊃ 科技專案).
_WORD_START = set("的与及和或称在对将把为以由从自于等各是、，。；：「『（(“ \n,;:!?") | set("0123456789")


def _form_match(form: str, text: str, figures: bool = False) -> float:
    """How well ``form`` occurs in ``text`` (both search form).

    1 for an occurrence that starts a word; 0.7 when it only occurs inside a longer name;
    else the share of its bigrams found (at least 3/4 of them), for segmentation mismatches. A
    form with a figure is also matched with figures in digits (一年 meets 每 1 年, 35歲 三十五歲);
    with ``figures`` (the question's numbers are measured figures, :func:`measured_figures`),
    never with an article's number (第15條), unless the form is an article reference itself.
    """
    digits = figures_as_digits(form)
    if figures and any(ch.isdigit() for ch in digits) and not article_tokens(form):
        # A figure asked for (15%, 十五年) is not an article's number: 「…辦法第15條」 holds no 15.
        text = without_articles(text)
    best = _written_match(form, text)
    digits = digits if best < 1.0 else ""
    if any(ch.isdigit() for ch in digits):
        figured = figures_as_digits(text)
        # a whole figure: 1年 is not inside 111年
        whole = re.search(rf"(?<![\d.]){re.escape(digits)}", figured) if digits in figured else None
        if whole:
            best = max(best, _written_match(digits, figured[whole.start() :]))
    return best


def _written_match(form: str, text: str) -> float:
    """:func:`_form_match` on the forms as written."""
    if form in text:
        pos = text.find(form)
        while pos >= 0:
            if pos == 0 or text[pos - 1] in _WORD_START or not count_cjk(text[pos - 1]):
                return 1.0
            pos = text.find(form, pos + 1)
        return 0.7 if count_cjk(form) >= 3 else 1.0
    if len(form) < 3 or not count_cjk(form):
        return 0.0
    grams = [form[i : i + 2] for i in range(len(form) - 1)]
    hit = sum(1 for g in grams if g in text) / len(grams)
    return hit if hit >= 0.75 else 0.0


def coverage(terms: Sequence[Term], text: str, figures: bool = False) -> float:
    """Weighted share of ``terms`` found in ``text`` (any form), 0-1; with ``figures``, an
    article's label (…辦法第15條) holds none of their numbers (:func:`measured_figures`)."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    norm = to_search_form(text)
    return sum(t.weight * max(_form_match(f, norm, figures) for f in t.forms) for t in terms) / total


#: A number written with its unit or a percent sign (search form): 15%, 十五年 → 15年, 200萬元.
_MEASURED = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|趴|成|倍|元|万|亿|个月|年|月|日|天|岁|人|家|件|次|小时|周)")


def measured_figures(question: str) -> bool:
    """Whether the question names numbers, each with a unit or a percent sign (「是抵支出的15％嗎」):
    figures, which an article's label never states. A bare number (「10-2 抵減率」) may name an
    article."""
    norm = figures_as_digits(without_articles(to_search_form(question)))
    numbers = _NUMBER.findall(norm)
    return bool(numbers) and len(_MEASURED.findall(norm)) >= len(numbers)


#: A figure written in Chinese numerals (search form): a percentage (百分之四十) or a number of
#: two or more characters with a place character (二十四, 三百, 十五); a lone 一 (一般, 統一),
#: 百 (百姓) or 十 (十分) is no figure.
_CHINESE_FIGURE = re.compile(
    r"(?<=百分之)[零一二两三四五六七八九十百千]+|[一二两三四五六七八九][十百千][零一二两三四五六七八九十]*|十[一二三四五六七八九]"
)


def _numbers_supported(numbers: Sequence[str], text: str, partial: bool = False) -> bool:
    """Whether ``text`` holds every number of the question (with ``partial``, at least one), in
    digits or Chinese numerals (「照40%繳」 is held by 「百分之四十」)."""
    norm = to_search_form(text)
    found = set(_NUMBER.findall(norm))
    if numbers and not all(n in found for n in numbers):
        values = (chinese_number(m) for m in _CHINESE_FIGURE.findall(norm))
        found |= {str(v) for v in values if v is not None}
    # A 民國 year and its western year (103 and 2014, both of the question: :func:`question_numbers`)
    # are one number: either form holds it.
    for n in numbers:
        other = str(int(n) + ROC_OFFSET) if n.isdigit() and len(n) <= 3 else ""
        if other in numbers and (n in found or other in found):
            found |= {n, other}
    if partial and numbers:
        return any(n in found for n in numbers)
    return all(n in found for n in numbers)


def _letters(text: str) -> str:
    """Only the letters and digits: 以「健康產業」、「海洋生態」 and 健康產業、海洋生態 compare alike."""
    return _NOT_LETTER.sub("", text)


_QUOTED = re.compile(r"「[^「」]+」")


#: A quoted name, captured: 「東部深層海水創新研發中心」, 「學界開發產業技術計畫」.
QUOTED_NAME = re.compile(r"「([^「」]{2,40})」")


#: A citation marker of an answer: [1], [1, 2], 【2】.
CITATION_MARKER = re.compile(r"\s*[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］]")


def _with_marker(text: str, n: int) -> str:
    """Put ``[n]`` before the sentence's closing punctuation: ``…轉型[1]。``; a lead-in keeps
    its colon, for the item quoted after it: ``…不符申請資格[1]：``."""
    body = text.rstrip()
    if body.endswith(("：", ":")):
        return f"{body[:-1]}[{n}]{body[-1]}"
    match = re.search(r"[。！？；;!?]+$", body)
    if match:
        return f"{body[: match.start()]}[{n}]。"
    return f"{body}[{n}]。"


def _near_duplicate(a: str, b: str) -> bool:
    """Whether two sentences say nearly the same thing (character-bigram overlap)."""
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return a == b
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) >= 0.6


def _mentions(ev: Evidence, forms: Sequence[str]) -> bool:
    """Whether the evidence sentence (with its call-out context) names one of ``forms`` as a word of its own."""
    return _mentions_text(ev.sentence.context + ev.sentence.text, forms)


def _mentions_text(text: str, forms: Sequence[str]) -> bool:
    """Whether ``text`` names one of ``forms`` (search form) as a word of its own."""
    norm = to_search_form(text)
    for form in forms:
        if count_cjk(form) >= 3 and form in norm:
            return True  # long enough to be itself inside a name: 經濟部南臺灣創新園區
        pos = norm.find(form)
        while pos >= 0:
            if pos == 0 or norm[pos - 1] in _WORD_START or not count_cjk(norm[pos - 1]):
                return True
            pos = norm.find(form, pos + 1)
    return False


def callout_labels(passage: Passage) -> set[str]:
    """The name and place lines of a call-out passage: labels, not statements."""
    if passage.kind != "center":
        return set()
    return set(passage.text.split("\n")[:2])


def question_numbers(question: str) -> tuple[str, ...]:
    """Numbers of two or more digits in the question (years, amounts, counts); an article's
    number (第10條, 第10-1條) names where to look, not a figure the evidence must state."""
    norm = without_articles(to_search_form(question))
    return tuple(n for n in _NUMBER.findall(norm) if len(n) >= 2 or "." in n)


def is_chinese(question: str) -> bool:
    """True when the question has enough Chinese to match words against."""
    return count_cjk(question) >= 2


def typed_best(
    evidence: Sequence[Evidence],
    of_kind: Callable[[Evidence], bool],
    settings: Settings,
    own: Callable[[Evidence], float] | None = None,
) -> Evidence:
    """The sentence that answers: the best one, or the best one of the kind asked for instead.

    The best sentence of the kind asked for (a year for 哪一年) answers when it scores at least
    ``settings.typed_candidate_ratio`` of the best, or when it is in the best sentence's section
    and names as much of the question (coverage) as the best does, which lacks that kind (a
    where-question whose best match is a centre's call-out without its county). Across sections
    a year of another event would answer a near-miss.

    When the best sentence is not of the kind asked, of the sentences of that kind within that
    share of its score, the one that holds
    most of the question in its own words (``own``) answers: the numbered items of one article
    all hold its lead-in's words, and 「三、租賃期間達…設備經濟年限四分之三」 holds a fraction, but
    「…設備之支出，得按該支出總金額百分之五，抵減…」 names 抵減 beside its figure for 「設備抵減是幾趴」.

    Args:
        evidence: Scored candidates, best first (not empty).
        of_kind: Whether a candidate holds the kind of answer asked for.
        settings: Read for ``typed_candidate_ratio``.
        own: The share of the question a candidate's own sentence holds (without its lead-in,
            heading or passage); None: the first one of the kind answers.
    """
    best = evidence[0]
    typed = next((e for e in evidence if of_kind(e)), None)
    if restates_heading(best):
        # A card's title line names its subject: the card's own line of the kind (Contact: 0800…)
        # answers, before one of another card that ranks above it.
        typed = next((e for e in evidence if of_kind(e) and same_card(e, best)), typed)
    if typed is not None and typed is not best and own is not None:
        close = [e for e in evidence if e.score >= settings.typed_candidate_ratio * best.score and of_kind(e)]
        held = max(close, key=own, default=typed)
        if own(held) > own(typed):
            return held
    if typed is None or typed is best:
        return best
    same_section = same_card(typed, best)
    if typed.score >= settings.typed_candidate_ratio * best.score or (
        same_section and (typed.coverage >= best.coverage or restates_heading(best))
    ):
        return typed
    return best


def same_card(ev: Evidence, other: Evidence) -> bool:
    """Whether two sentences sit in one section of one document (one card, one article)."""
    return (ev.passage.source, ev.passage.section) == (other.passage.source, other.passage.section)


def restates_heading(ev: Evidence) -> bool:
    """Whether the sentence opens with its own section's heading: the title line of a card
    (「National Development Fund Business Angel Investment Program (行政院國家發展基金…)」), which
    names the subject and states nothing of it. Its section's line of the kind asked for
    (「Investment amount: Up to NT$20 million」) answers instead (:func:`typed_best`)."""
    heading = to_search_form(ev.passage.section.split("｜")[-1]).strip()
    return len(heading) >= 4 and to_search_form(ev.sentence.text).strip().startswith(heading)


@dataclass(frozen=True)
class CitedText:
    """What a citation shows: ``quote`` is ``text[start - text_start : end - text_start]``.

    Attributes:
        passage_id: The passage ``text`` is (the first one, when passages are joined).
        text: A retrieved passage, or overlapping passages of one section joined as the one
            stretch of the cleaned source they cover.
        text_start: Offset of ``text`` in the cleaned source.
        quote: The quoted sentence(s), exactly as in the cleaned source.
        start: Offset of ``quote`` in the cleaned source.
        end: End offset (exclusive) of ``quote``.
    """

    passage_id: str
    text: str
    text_start: int
    quote: str
    start: int
    end: int


#: Where a quote may be cut when the retrieved passages do not hold all of it: after a
#: sentence's end (。！？；, a line break).
_QUOTE_CUT = re.compile(r"[。！？；!?;][」』）”’)]*|\n")


def cited_text(ev: Evidence) -> CitedText:
    """The passage text ``ev``'s quote is shown in, and the quote as it stands there.

    A quote grown into a unit (:mod:`assistant.units`) may start or end outside its own
    passage when an article or section is split over several overlapping passages. Then the
    passage of the section that holds the whole quote is shown, else the overlapping ones that
    cover it joined into one stretch of the cleaned source. Should no retrieved passages cover
    it, the quote is cut at the last sentence end they cover (never a text that does not hold
    its quote, which the reader could not find highlighted).
    """
    start, end = ev.sentence.start, ev.sentence.end
    own = ev.passage
    if ev.sentence.text in own.text:  # the usual case: a sentence (or unit) of its own passage
        return CitedText(own.id, own.text, own.start, ev.sentence.text, start, end)
    passages = sorted(
        {p.id: p for p in (ev.passage, *ev.neighbours) if p.source == ev.passage.source}.values(),
        key=lambda p: (p.start, -p.end),
    )
    holder = next((p for p in passages if p.start <= start and end <= p.start + len(p.text)), None)
    if holder is not None:
        at = start - holder.start
        quote = holder.text[at : at + end - start]
        return CitedText(holder.id, holder.text, holder.start, quote, start, end)
    first = next((p for p in passages if p.start <= start < p.start + len(p.text)), ev.passage)
    text, text_end = first.text, first.start + len(first.text)
    for p in passages:
        if text_end >= end:
            break
        if p.start <= text_end < p.start + len(p.text) and p.start >= first.start:
            text += p.text[text_end - p.start :]
            text_end = p.start + len(p.text)
    if not first.start <= start < text_end:  # the quote is not in the retrieved text at all
        return CitedText(ev.passage.id, ev.passage.text, ev.passage.start, ev.sentence.text, start, end)
    if text_end < end:
        covered = text[start - first.start :]
        cuts = [m.end() for m in _QUOTE_CUT.finditer(covered)]
        end = start + (cuts[-1] if cuts else len(covered))
    quote = text[start - first.start : end - first.start].rstrip()
    return CitedText(first.id, text, first.start, quote, start, start + len(quote))


def write_answer(
    chosen: Sequence[Evidence],
    support: float,
    diagnostics: dict[str, float | str],
    convert: Callable[[str], str],
    lead: str = "",
    labels: Sequence[str] = (),
    first: int = 1,
) -> Composition:
    """The answer text and citations for the chosen sentences, in order.

    ``labels``: a label written before each sentence (an overview's section names); ``first``:
    the number of the first marker (an answer that goes on after ``first - 1`` citations).
    """
    parts: list[str] = []
    citations: list[Citation] = []
    if lead:
        parts.append(convert(lead))
    for n, ev in enumerate(chosen, start=first):
        cited = cited_text(ev)
        text = cited.quote
        lead = ""
        if n - first < len(labels):
            lead = f"{labels[n - first]}："
        elif ev.passage.kind == "center":
            name = ev.passage.text.split("\n", 1)[0]
            if not text.startswith(name):
                lead = f"{name}："
        parts.append(convert(lead) + convert(_with_marker(text, n)))
        citations.append(
            Citation(
                n=n,
                passage_id=cited.passage_id,
                source=ev.passage.source,
                section=ev.passage.section,
                text=cited.text,
                quote=text,
                start=cited.start,
                end=cited.end,
                score=round(ev.support, 4),
                title=ev.passage.title,
                publisher=ev.passage.publisher,
                text_start=cited.text_start,
            )
        )
    return Composition("".join(parts), citations, False, support, diagnostics)
