"""Which documents a question names by their title, and what it asks once the name is set aside.

A question often names the document it is about by part of its title (「研發成果歸屬運用辦法是根據
哪個法訂的」, 「AI應用躍昇計畫收件收到什麼時候」). Two things follow, both from the corpus itself
(titles and where their words occur), never from the words of any one question:

* **scope**: the named document is searched on its own, so that its passages compete with each
  other rather than with passages of other documents that repeat its name;
* **title words are scope, not focus**: every sentence of a document is about its title, so
  the words the question borrows from the title count as held by each of its sentences.

A heading is named the same way (:func:`heading_share`): the passages under a heading the question
names are read too, since a table row or a list item never repeats its heading.

A stretch of the question names a document when it is a common run of the question and that
document's title (at least ``min_run`` characters of Chinese, or a Latin word such as SBIR) and
the document holds most of the corpus's uses of it (``min_share``): 「科技專案」 is in one title but
in several documents' text, so it names none of them; 「躍昇計畫」 is used by one document only.
Runs that together cover much of a title (``min_cover``: 「成果歸屬運用辦法」 of 「…研究發展成果歸屬及
運用辦法」) name it whoever else uses them: that is the title, shortened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from assistant import statutes, tables, units
from assistant.evidence import Evidence, QueryTerms, SentenceRecord, Term, coverage, measured_figures
from assistant.lexicon import FRAME_WORDS
from assistant.reply import Passage
from assistant.rules import SHAPE_STRENGTH, asks_members, list_noun
from core.settings import Settings
from core.text import count_cjk, to_search_form

#: A Latin word (search form) that may name a document on its own: SBIR (not AI, A+: too short).
_LATIN = re.compile(r"[a-z][a-z0-9]{2,}")


@dataclass(frozen=True)
class NamedDocuments:
    """The documents a question names and the title runs that name them.

    Attributes:
        runs: Per source file, the runs of the question (search form) found in its title.
    """

    runs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def scope(self) -> tuple[tuple[str, str], ...]:
        """``(file, the title's words the question uses)`` pairs, for :class:`~assistant.evidence.QueryTerms`."""
        return tuple((source, " ".join(runs)) for source, runs in sorted(self.runs.items()))

    @property
    def sources(self) -> set[str]:
        """The files named."""
        return set(self.runs)

    def remainder(self, question: str) -> str:
        """``question`` (search form) without the runs that name documents: what it asks of them."""
        text = to_search_form(question)
        for run in sorted({r for runs in self.runs.values() for r in runs}, key=len, reverse=True):
            text = text.replace(run, " ")
        return re.sub(r"\s+", " ", text).strip()


def _common_runs(question: str, title: str, min_run: int) -> list[str]:
    """Runs of ``question`` also in ``title`` (both search form): Chinese ones of ``min_run``
    characters or more, Latin words whole."""
    runs: list[str] = []
    matcher = SequenceMatcher(None, question, title, autojunk=False)
    for block in matcher.get_matching_blocks():
        run = question[block.a : block.a + block.size].strip()
        if count_cjk(run) >= min_run:
            runs.append(run)
    title_words = set(_LATIN.findall(title))
    runs += [w for w in _LATIN.findall(question) if w in title_words]
    return list(dict.fromkeys(runs))


#: Fewest Chinese characters of a title's abbreviation (產創條例, 中小條例, 科技基本法).
_ABBREVIATION_MIN = 4


def _abbreviation(question: str, title: str) -> str:
    """The run of ``question`` that abbreviates ``title`` the way Chinese shortens a name (both
    search form): the title's characters in order with some left out (產創條例 for 產業創新條例,
    科技基本法 for 科學技術基本法), from its first character to its last two (the kind of
    instrument: 條例, 辦法, 本法); "" when there is none."""
    tail = title[-2:]
    if len(title) < _ABBREVIATION_MIN + 1 or count_cjk(tail) < 2:
        return ""
    at = question.find(tail)
    while at >= 0:
        j, k = at - 1, len(title) - 3
        while j >= 0 and k >= 0:
            pos = title.rfind(question[j], 0, k + 1)
            if pos < 0:
                break
            j, k = j - 1, pos - 1
        run = question[j + 1 : at + 2]
        if run[:1] == title[:1] and count_cjk(run) >= _ABBREVIATION_MIN and run not in title:
            return run
        at = question.find(tail, at + 1)
    return ""


def named_documents(
    question: str,
    titles: Mapping[str, str],
    texts: Mapping[str, str],
    min_run: int = 3,
    min_share: float = 0.8,
    min_cover: float = 0.0,
) -> NamedDocuments:
    """The documents ``question`` names by (part of) their title.

    Args:
        question: The question (any script).
        titles: Title of each live document, keyed by its file.
        texts: Each document's text in search form (where its title's words are used).
        min_run: Fewest Chinese characters of a common run of question and title that can name it.
        min_share: Least share (0-1) of the corpus's uses of a run that must be in the named
            document; below it the run is a word several documents use, not a name.
        min_cover: Least share (0-1) of a title's characters that runs of the question must
            cover to name it whoever else uses them (0: only ``min_share`` names). ``min_run``
            0 turns naming off.

    Returns:
        The named documents with their runs; none when one document holds the whole corpus (a
        scope is then no restriction) or the question names no title.
    """
    if len(titles) < 2 or min_run <= 0:
        return NamedDocuments()
    asked = to_search_form(question)
    found: dict[str, list[str]] = {}
    for source, title in titles.items():
        runs = _common_runs(asked, to_search_form(title), min_run)
        short = _abbreviation(asked, to_search_form(title))
        if short:
            found[source] = [short]  # 產創條例: the title as people shorten it names it
            continue
        # Chinese runs only: a Latin word (SBIR) may be in several titles
        held = sum(count_cjk(r) for r in runs)
        if min_cover and held and held >= min_cover * count_cjk(to_search_form(title)):
            found[source] = runs  # most of the title, as a shortened name: 成果歸屬運用辦法
            continue
        for run in runs:
            # The title is the document's own first use of its words.
            uses = {s: text.count(run) + (s == source) for s, text in texts.items()}
            uses.setdefault(source, 1)
            total = sum(uses.values())
            mine = uses.get(source, 0)
            if total and mine == max(uses.values()) and mine >= min_share * total:
                found.setdefault(source, []).append(run)
    if not found:
        return NamedDocuments()
    # The document named at greatest length; others only if named as fully.
    length = {s: sum(len(r) for r in runs) for s, runs in found.items()}
    best = max(length.values())
    return NamedDocuments({s: runs for s, runs in found.items() if length[s] == best})


#: Whitespace next to a Chinese character (search form): 「Phase 1 審查」 and 「Phase 1審查」 are one name.
_SPACE_BY_CJK = re.compile(r"\s+(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])\s+")


def _name_size(text: str) -> int:
    """Characters of ``text`` (search form) that name something: Chinese ones, Latin words, and
    the numbers of labels (``phase 1``: 6)."""
    return (
        count_cjk(text)
        + sum(len(w) for w in _LATIN.findall(text))
        + sum(len(n) for _, n in tables.labels(text))
    )


def heading_share(question: str, heading: str, min_run: int = 3) -> float:
    """Share (0-1) of ``heading``'s characters (Chinese, Latin words, label numbers; search form)
    that ``question`` names in runs of ``min_run`` Chinese characters or more, in runs that hold
    a label (``Phase 1 審查``: the label and the words after it), or as whole Latin words: 1.0
    for 「SBIR的創業海選補助多少錢」 and the heading 「創業海選」."""
    wanted = _SPACE_BY_CJK.sub("", to_search_form(heading))
    size = _name_size(wanted)
    if not size:
        return 0.0
    asked = _SPACE_BY_CJK.sub("", to_search_form(question))
    runs: list[str] = []
    matcher = SequenceMatcher(None, asked, wanted, autojunk=False)
    for block in matcher.get_matching_blocks():
        run = asked[block.a : block.a + block.size].strip()
        if count_cjk(run) >= min_run or (count_cjk(run) and tables.labels(run)):
            runs.append(run)
    named = " ".join(runs)
    title_words = set(_LATIN.findall(wanted)) - set(_LATIN.findall(named))
    runs += [w for w in dict.fromkeys(_LATIN.findall(asked)) if w in title_words]
    return min(1.0, sum(_name_size(run) for run in runs) / size)


def scoped_passages(
    retriever: Any,
    named: NamedDocuments,
    query: str,
    passages: Sequence[Passage],
    mode: str | None = None,
    settings: Settings | None = None,
) -> list[Passage]:
    """``passages`` led by the best passages of the named documents for what the question asks
    of them (``query`` without the title's words), and followed by the passages under the
    headings it names; ``passages`` as they are when it names neither. A question about a legal
    basis, or about when a law was passed, amended or takes effect, is led by the enacting
    clauses, or the commencement articles and legislative history, of the named documents (or
    of the documents of the first ``basis_sources`` passages); one about the scope of a term a
    law defines (「哪些研究發展支出…」), by its definition.

    Args:
        retriever: A :class:`~assistant.retrieve.Retriever` (``search`` with ``sources``,
            ``under_headings``).
        named: The documents the question names.
        query: The search text.
        passages: The passages found in the whole corpus, best first.
        mode: Retrieval mode override.
        settings: ``heading_min_share``, ``heading_passages`` (None: no headings are read) and
            ``basis_sources`` (None: 3).
    """
    out = list(passages)
    if named.runs:
        asked = named.remainder(query) or query
        scoped = retriever.search(asked, mode=mode, sources=named.sources)
        known = {p.id for p in scoped}
        out = [*scoped, *(p for p in out if p.id not in known)]
    form = to_search_form(query)
    acts = statutes.asks_history(form)
    formulas = ["enacting"] if statutes.asks_basis(form) else ["history"] if acts else []
    if "force" in acts and not statutes.asks_basis(form):
        formulas.insert(0, "commencement")  # 「…施行到哪時候」: the law's own article first
    if formulas:
        # 「…是根據哪個法訂的」, 「…哪年修過的」: the enacting clause or the legislative history of
        # the named law (or of the laws found) answers, whatever words it shares with the question.
        sources = named.sources or {p.source for p in out[: settings.basis_sources if settings else 3]}
        # A law's commencement article is its last: read from the end (a history line above the
        # first article may repeat an older commencement).
        found = [
            p
            for f in formulas
            for p in (reversed if f == "commencement" else list)(retriever.formula_passages(sources, f))
        ]
        basis = list({p.id: p for p in found}.values())
        known = {p.id for p in basis}
        out = [*basis, *(p for p in out if p.id not in known)]
    # 「哪些研究發展支出可以抵減」: the definition of the term asked about (本辦法所稱研究發展之支出，指…
    # 下列費用) answers, though every article of the law uses the term and retrieval may miss it. It
    # is read after what retrieval found (its shape, not its place, ranks it).
    sources = named.sources or {p.source for p in out[: settings.basis_sources if settings else 3]}
    if statutes.may_ask_scope(form):
        known = {p.id for p in out}
        out += [
            p
            for p in retriever.formula_passages(sources, "definition")
            if p.id not in known and statutes.defines_asked(form, p.text)
        ]
    if settings is not None and settings.heading_passages > 0:
        known = {p.id for p in out}
        headed = retriever.under_headings(query, settings.heading_min_share, settings.heading_passages)
        out += [p for p in headed if p.id not in known]
    return out


def structural_coverage(
    terms: Sequence[Term],
    query: QueryTerms,
    passage: Passage,
    sentence: SentenceRecord,
    siblings: Sequence[SentenceRecord],
    near: Sequence[SentenceRecord] = (),
) -> tuple[float, float, float]:
    """What a sentence holds of the question with what its document's structure lends it.

    * a table row holds its table's heading (台北市（SITI…）for 「項目：補助上限；內容：…」);
    * for a question that asks for the members of a list (:func:`~assistant.rules.asks_members`),
      a lead-in (…得作下列決定：) holds its numbered items, and is the list asked for;
    * a provision that names an item of its own article by number (第二款補助金額之上限) holds
      that item's words (:func:`~assistant.units.referenced_items`; ``near``: the sentences of
      the retrieved passages of its section, where the item may be);
    * the answer of a FAQ holds the words of the question the document asks right before it
      (:func:`~assistant.units.answered_question`);
    * a document the question names by title holds the title's words in every sentence: that
      ranks its sentences before other documents' ones, but supports none of them.

    Returns:
        ``(coverage, ranking coverage, list shape)``: the weighted share of ``terms`` held (0-1),
        the same with the named title's words (0-1), and :data:`~assistant.rules.SHAPE_STRENGTH`
        ``["list"]`` for a lead-in with two or more items asked for as a list that announces a
        list or names the noun asked (:func:`announces_list`), else 0.
    """
    items = units.items_of(siblings, sentence) if asks_members(query.question) else ""
    named = units.referenced_items(near or siblings, sentence)
    # A FAQ's answer holds the words of the question it answers (Q3：…期間為何？ A3：應於…).
    asked = units.answered_question(siblings, sentence)
    held = f"{tables.heading_of(passage)}\n{sentence.context}{sentence.text}\n{items}\n{named}\n{asked}"
    # 「是抵支出的15％嗎」 asks a figure: the sentence's label (…辦法第15條) does not hold its 15.
    figures = measured_figures(query.question)
    held_coverage = coverage(terms, held, figures)
    title = dict(query.scope).get(passage.source, "")
    ranked = coverage(terms, f"{title}\n{held}", figures) if title else held_coverage
    listed = items.count("\n") > 0 and announces_list(query.question, sentence.text, held)
    return held_coverage, ranked, SHAPE_STRENGTH["list"] if listed else 0.0


#: A lead-in that announces a list (search form): 下列, 如下, 以下, the following.
_ANNOUNCES = re.compile(r"下列|如下|以下|下述|左列|following|as follows")


def announces_list(question: str, lead_in: str, held: str) -> bool:
    """Whether a lead-in followed by numbered items is the list a 「哪些」 question asks for: it
    announces a list (「應具備下列資格：」) or names the noun asked (``held``: with its items and
    heading). 「…從申請、審查到執行與結案之流程：」 lists steps, not the 補助對象 asked about."""
    noun = list_noun(question)
    if not noun or noun in FRAME_WORDS or _ANNOUNCES.search(to_search_form(lead_in)):
        return True
    return noun in to_search_form(held)


def off_subject(evidence: Sequence[Evidence], query: QueryTerms, share: float) -> list[Evidence]:
    """The shaped evidence whose shape bonus is to be taken back: it is not about what the
    question names, though it has the shape of the answer asked for.

    * an enumeration of the noun asked for (…等領域, :data:`~assistant.rules.SHAPE_STRENGTH`
      ``["list"]``) or a division into kinds (``["division"]``) whose sentence or passage covers less than ``share`` of what the best one
      covers of the question (「南臺灣創新園區投入哪些領域？」 is not answered by another park's list);
    * a line of a law's legislative history (:func:`~assistant.statutes.is_history`) that, with
      the title of the law the question names, covers less than ``share`` of it: 「新創專章是哪一天
      修正發布的？」 asks about one amendment, which the law's 修正日期 line does not name; nor,
      for a question that asks when a law takes effect, any history line of a law whose
      commencement article is among the evidence and states it (「本辦法自…施行至…止。」). (An
      enacting clause is the one statement of its law's basis, and a definition answers only a
      question that names its term: neither is taken back.)

    Args:
        evidence: Scored evidence (:meth:`~assistant.answer.ExtractiveAnswerer.score`).
        query: The question's terms, with the documents it names (``scope``).
        share: ``Settings.subject_share`` (0-1).
    """
    best = max((max(e.coverage, e.context_coverage) for e in evidence), default=0.0)
    # 「…施行到哪時候」 asked of a law whose commencement article states it: that article answers,
    # not a history line recording an amendment's own commencement (:func:`_commences`).
    commenced = {ev.passage.source for ev in evidence if _commences(query.question, ev)}
    # Only a history question gives a history line its shape: another shape of the same line (a
    # full name defined in a sentence that starts with a 沿革 date) stays.
    when = bool(statutes.asks_history(to_search_form(query.question)))
    out = []
    for ev in evidence:
        held = max(ev.coverage, ev.context_coverage)
        if ev.shape in (SHAPE_STRENGTH["list"], SHAPE_STRENGTH["division"]):
            if held < share * best:
                out.append(ev)
        elif (
            when
            and ev.shape >= SHAPE_STRENGTH["statute"]
            and statutes.is_history(to_search_form(ev.sentence.text))
        ):
            scoped = structural_coverage(query.terms, query, ev.passage, ev.sentence, ev.siblings)[1]
            if max(held, scoped) < share * best or ev.passage.source in commenced:
                out.append(ev)
    return out


def _commences(question: str, ev: Evidence) -> bool:
    """Whether ``ev`` is a commencement article that states when its law takes effect, for a
    question that asks only when a law takes effect (:func:`~assistant.statutes.asks_history`)."""
    return statutes.asks_history(to_search_form(question)) == ("force",) and statutes.is_commencement(
        to_search_form(ev.sentence.text), dated=True
    )
