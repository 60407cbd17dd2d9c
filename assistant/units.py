"""Evidence units: which stretch of the text a chosen sentence is quoted as.

Sentences are cut at ；, ： and line breaks as well as at 。 (:mod:`ingest.split`), which is
right for finding evidence but not always for quoting it. Once the answerer has chosen a
sentence, the stretch it quotes follows the document's structure, never its words:

* **clauses**: a clause cut at ； goes on to the 。 of its sentence (「…得發布讓與之公告；三個月內
  無人請求受讓時，…得終止繳納…。」): the whole sentence is quoted when it fits the budget, else
  the chosen clause and the neighbouring clauses that hold more of the question;
* **lead-in and items**: a sentence ending in ： (「…應符合下列各款條件：」) is quoted with the
  numbered items after it; a numbered item with its lead-in (and the items between them);
* **proviso**: a sentence followed in the same article or section by its proviso (但…) is
  quoted with it, and with the proviso's items;
* **elaboration**: a sentence followed by the provision that says what a name of it means
  (「…合於中小企業認定標準之事業。」, 「前項認定標準，由中央主管機關按資本額…定之。」) is quoted with it.

Every unit stays within one section (one law article, one heading) and within
``unit_chars`` characters; the quote is the exact cleaned text from its first sentence's
start to its last one's end, so citations keep their offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant import rules
from assistant.evidence import (
    Evidence,
    QueryTerms,
    SentenceRecord,
    Term,
    coverage,
    restates_heading,
    same_card,
    typed_best,
)
from assistant.reply import Passage
from core.settings import Settings
from core.text import ARTICLE_REF, ITEM, article_tokens, count_cjk, to_search_form

#: A clause that the sentence goes on after: it ends in ；.
_CLAUSE_END = re.compile(r"[；;]\s*$")
#: A lead-in of a list: it ends in ：.
_LEAD_IN = re.compile(r"[：:]\s*$")


def ends_lead_in(text: str) -> bool:
    """Whether ``text`` ends in the ：of a lead-in, whose content is the items after it
    (「2026年度鎖定三大核心領域：」)."""
    return bool(_LEAD_IN.search(text))


#: Where a lead-in ends inside a unit: at its ： before a line break or a numbered item.
_LEAD_IN_INSIDE = re.compile(r"[：:](?=\s*(?:\n|[一二三四五六七八九十]{1,3}、|[（(]|\d))")
#: A proviso: the sentence that limits the one before it (但書).
_PROVISO = re.compile(r"^\s*但")
#: Whitespace between two sentences that follow each other.
_GAP = re.compile(r"\s*")


#: A figure in a short sentence: a number with a Chinese word next to it (現場簡報15-20分鐘).
_FIGURE_BY_WORD = re.compile(r"\d[\d\-~～–.,]*\s*[\u4e00-\u9fff]|[\u4e00-\u9fff]\s*\d")
#: The end of a whole sentence: 。！？； (a name, label or heading ends without one).
_WHOLE_SENTENCE = re.compile(r"[。！？；!?;][」』）”’)]*\s*$")
#: A repealed law article's whole text: 「（刪除）」 says the article was struck out.
_REPEALED = re.compile(r"^[（(]\s*[刪删]除\s*[）)]$")
#: Fewest letters of a whole sentence that may be evidence however short: 「申復以一次為限。」.
_SHORTEST_SENTENCE = 4


def quotable(text: str, min_chars: int = Settings.min_evidence_chars) -> bool:
    """Whether a stored sentence can be evidence on its own: at least ``min_chars`` characters
    (``Settings.min_evidence_chars``: a call-out's name or place label is shorter); shorter, a
    whole sentence ending in 。！？； (a short rule 「申復以一次為限。」 states a fact; a label never
    ends so), or at least half that when it states a figure with its words (a list item
    「委員提問10-15分鐘」: a label names, a figure says something); a repealed article's whole
    text 「（刪除）」 says it was struck out. Lines of a table of contents
    never reach the index (``ingest.structure`` drops them)."""
    text = text.strip()
    if len(text) >= min_chars or _REPEALED.match(text):
        return True
    if _WHOLE_SENTENCE.search(text) and sum(ch.isalnum() for ch in text) >= _SHORTEST_SENTENCE:
        return True
    return 2 * len(text) >= min_chars and count_cjk(text) >= 2 and bool(_FIGURE_BY_WORD.search(text))


def items_of(siblings: Sequence[SentenceRecord], record: SentenceRecord) -> str:
    """The numbered items that follow ``record`` when it is a lead-in (…得為下列處理：), joined;
    "" otherwise. A lead-in says what its items are about, its items what it lists: together
    they are one unit, and a question about either is about the unit."""
    if not _LEAD_IN.search(record.text):
        return ""
    at = next((i for i, s in enumerate(siblings) if s.id == record.id), -1)
    items: list[str] = []
    for nxt in siblings[at + 1 :] if at >= 0 else ():
        if not ITEM.match(nxt.text) and not (items and _CLAUSE_END.search(items[-1])):
            break
        items.append(nxt.text)
    return "\n".join(items)


#: An item of the same article named by its number (「第二款補助金額之上限」, 「前項第一款」), not an
#: item of another article (「依第四條第二項第二款」: the 條 before it names where it is).
_OWN_ITEM = re.compile(r"(?<![條条項项])(?:前項|第[一二三四五六七八九十]+項)?第([一二三四五六七八九十]+)款")


def referenced_items(near: Sequence[SentenceRecord], record: SentenceRecord) -> str:
    """The items that ``record`` names by number (「第二款補助金額之上限，每案為新臺幣五萬元」 and the
    item 「二、補助街區店家營造低碳化…」 before it), joined; "" when it names none. ``near``: the
    sentences of its section (:func:`section_sentences`); the nearest item before ``record``
    with that number is the one meant. A provision about 第二款 is about what that item says."""
    found = []
    for match in _OWN_ITEM.finditer(record.text):
        numeral = match.group(1)
        before = [s for s in near if s.start < record.start and s.text.startswith(f"{numeral}、")]
        if before:
            found.append(max(before, key=lambda s: s.start).text)
    return "\n".join(found)


def answered_question(siblings: Sequence[SentenceRecord], record: SentenceRecord) -> str:
    """The question a document asks right before ``record`` (a FAQ's 「Q3：…的期間為何？」 before
    「A3：應於…前一個月一日至十五日內提出申請」), which ``record`` answers; "" when the sentence
    before it asks nothing. ``siblings``: the sentences of its passage, in order."""
    at = next((i for i, s in enumerate(siblings) if s.id == record.id), -1)
    before = siblings[at - 1].text.rstrip() if at > 0 else ""
    return before if before.endswith(("？", "?")) else ""


def section_sentences(
    passages: Sequence[Passage], sentences: Callable[[Passage], Sequence[SentenceRecord]]
) -> list[SentenceRecord]:
    """The sentences of ``passages`` (retrieved passages of one section), each once, in order."""
    return sorted({s.id: s for p in passages for s in sentences(p)}.values(), key=lambda s: s.start)


@dataclass(frozen=True)
class _Placed:
    """A sentence, the section it belongs to (a law article, a heading) and a passage holding it."""

    record: SentenceRecord
    section: str
    passage: Passage


class Document:
    """The sentences of the retrieved passages in document order, to read before and after a sentence.

    Args:
        evidence: Scored evidence; each piece carries the sentences of its passage (``siblings``).
        max_gap: Most characters between the end of one sentence and the start of the next for
            them to follow each other (``Settings.sentence_gap_chars``).
    """

    def __init__(self, evidence: Sequence[Evidence], max_gap: int = Settings.sentence_gap_chars) -> None:
        self.max_gap = max_gap
        placed: dict[tuple[str, int], _Placed] = {}
        self._texts: list[tuple[str, int, str]] = []
        for ev in evidence:
            source = ev.passage.source
            key = (source, ev.passage.start)
            if ev.siblings and key not in {(s, a) for s, a, _ in self._texts}:
                self._texts.append((source, ev.passage.start, ev.passage.text))
            for rec in ev.siblings or (ev.sentence,):
                placed.setdefault((source, rec.start), _Placed(rec, ev.passage.section, ev.passage))
        #: Every sentence by (source, start).
        self.by_start = placed
        self._by_end = {(source, p.record.end): p for (source, _), p in placed.items()}

    def gap(self, source: str, start: int, end: int) -> str | None:
        """The cleaned text in ``[start, end)`` if a retrieved passage holds it."""
        for src, at, text in self._texts:
            if src == source and at <= start and end <= at + len(text):
                return text[start - at : end - at]
        return None

    def after(self, source: str, rec: SentenceRecord, section: str) -> SentenceRecord | None:
        """The sentence right after ``rec`` in the same section, if a retrieved passage holds it."""
        for gap in range(self.max_gap + 1):
            nxt = self.by_start.get((source, rec.end + gap))
            if nxt is not None:
                return nxt.record if nxt.section == section else None
        return None

    def before(self, source: str, rec: SentenceRecord, section: str) -> SentenceRecord | None:
        """The sentence right before ``rec`` in the same section, if a retrieved passage holds it."""
        for gap in range(self.max_gap + 1):
            prev = self._by_end.get((source, rec.start - gap))
            if prev is not None:
                return prev.record if prev.section == section else None
        return None

    def join(self, source: str, records: Sequence[SentenceRecord]) -> SentenceRecord:
        """One record quoting ``records`` (consecutive sentences) and what lies between them."""
        if len(records) == 1:
            return records[0]
        parts = [records[0].text]
        for a, b in zip(records, records[1:], strict=False):
            between = self.gap(source, a.end, b.start)
            parts.append(between if between is not None and not between.strip() else "\n" * (b.start - a.end))
            parts.append(b.text)
        first = records[0]
        return SentenceRecord(
            id="+".join(r.id for r in records),
            text="".join(parts),
            start=first.start,
            end=records[-1].end,
            vector=first.vector,
            context=first.context,
            lead=first.lead,
        )


#: A numbered item at the start of a sentence of a unit.
_ITEM_START = re.compile(r"(?:^|[。；;\n])" + ITEM.pattern.removeprefix("^"))


def item_count(text: str) -> int:
    """How many numbered items follow the lead-in (…下列各款：) of a quoted unit; 0 without a lead-in."""
    lead = _LEAD_IN_INSIDE.search(text)
    return len(_ITEM_START.findall(text[lead.end() :])) if lead else 0


def list_of(doc: Document, ev: Evidence) -> str:
    """The list a numbered item belongs to (``source@start of its lead-in``), "" for a sentence
    that is no item of a lead-in's list in the retrieved text: 「二、執行關鍵類…」 and 「一、執行
    創新前瞻類…」 after 「…應依約定期提交下列工作報告…：」 are items of one list."""
    if not ITEM.match(ev.sentence.text):
        return ""
    source, section = ev.passage.source, ev.passage.section
    prev = doc.before(source, ev.sentence, section)
    while prev is not None:
        if _LEAD_IN.search(prev.text):
            return f"{source}@{prev.start}"
        before = doc.before(source, prev, section)
        # an earlier item, or a clause of one cut at ；
        if not ITEM.match(prev.text) and not (before is not None and _CLAUSE_END.search(before.text)):
            return ""
        prev = before
    return ""


#: How many of its last characters a lead-in is known by in an item's context.
LEAD_TAIL = 8


def lead_in(doc: Document, ev: Evidence) -> Evidence | None:
    """The lead-in of the list ``ev``'s numbered item belongs to, as evidence of its own passage,
    when the unit ``ev`` is quoted as does not hold it (item 8 of 「有下列情形之一者，不符申請資格：」
    is far from it, or in another passage); None when the item has no lead-in or no retrieved
    passage holds it.

    Ingest stores the lead-in's words with each item (``lead``, :class:`ingest.split._LeadIns`);
    the lead-in is the nearest sentence before the item, in a retrieved passage of its document,
    that holds the last :data:`LEAD_TAIL` of them (with the ： they end in).
    """
    text, context = ev.sentence.text, ev.sentence.lead.rstrip()
    if not ITEM.match(text) or _LEAD_IN_INSIDE.search(text) or not _LEAD_IN.search(context):
        return None
    tail = context[-LEAD_TAIL:]
    source = ev.passage.source
    found = [
        p
        for (src, start), p in doc.by_start.items()
        if src == source and start < ev.sentence.start and tail in p.record.text
    ]
    if not found:
        return None
    nearest = max(found, key=lambda p: p.record.start)
    return replace(ev, sentence=nearest.record, passage=nearest.passage)


def _length(records: Sequence[SentenceRecord]) -> int:
    return records[-1].end - records[0].start


def _clauses(doc: Document, ev: Evidence) -> list[SentenceRecord]:
    """The clauses of ``ev``'s sentence (cut at ；), in order: the chosen one among them."""
    source, section = ev.passage.source, ev.passage.section
    out = [ev.sentence]
    prev = doc.before(source, ev.sentence, section)
    while prev is not None and _CLAUSE_END.search(prev.text):
        out.insert(0, prev)
        prev = doc.before(source, prev, section)
    current = ev.sentence
    while _CLAUSE_END.search(current.text):
        nxt = doc.after(source, current, section)
        if nxt is None or ITEM.match(nxt.text):
            break
        out.append(nxt)
        current = nxt
    return out


def _within_sentence(
    clauses: list[SentenceRecord], chosen: SentenceRecord, terms: Sequence[Term], budget: int
) -> list[SentenceRecord]:
    """The whole sentence if it fits, else the chosen clause grown by the neighbours that hold more of the question."""
    if len(clauses) == 1 or _length(clauses) <= budget:
        return clauses
    i = j = clauses.index(chosen)
    while True:
        options = []
        if i > 0 and _length(clauses[i - 1 : j + 1]) <= budget:
            options.append((coverage(terms, clauses[i - 1].text), 0, i - 1, j))
        if j + 1 < len(clauses) and _length(clauses[i : j + 2]) <= budget:
            options.append((coverage(terms, clauses[j + 1].text), 1, i, j + 1))
        options = [o for o in options if o[0] > 0]
        if not options:
            return clauses[i : j + 1]
        _, _, i, j = max(options)


#: How many sentences before a lead-in the item that holds it is looked for (:func:`_enclosing_style`).
_ENCLOSING_REACH = 3


def _enclosing_style(doc: Document, source: str, lead: SentenceRecord, section: str) -> str:
    """The marker style (:func:`_item_style`) of the numbered item a lead-in is part of: 「、」 for
    「三、申請計畫內容應包含…。申請廠商符合下列項目者…：」; "" when it is part of none (within
    :data:`_ENCLOSING_REACH` sentences)."""
    current: SentenceRecord | None = lead
    for _ in range(_ENCLOSING_REACH + 1):
        if current is None:
            return ""
        if ITEM.match(current.text):
            return _item_style(current.text)
        current = doc.before(source, current, section)
    return ""


def _items_after(doc: Document, source: str, last: SentenceRecord, section: str) -> list[SentenceRecord]:
    """The numbered items right after a lead-in (the sentences of each item, cut at ；).

    The list ends at an item marked as the one the lead-in is part of: after 「三、…得酌予加分：」
    and its items （一）…（六）, 「四、…」 is the next item of the enclosing list, not a seventh.
    """
    out: list[SentenceRecord] = []
    current = last
    enclosing = _enclosing_style(doc, source, last, section)
    while True:
        nxt = doc.after(source, current, section)
        if nxt is None:
            return out
        if not ITEM.match(nxt.text) and not (out and _CLAUSE_END.search(current.text)):
            return out
        if out and enclosing and _item_style(nxt.text) == enclosing != _item_style(out[0].text):
            return out
        out.append(nxt)
        current = nxt


#: A provision that goes on from the paragraph before it: 前項…, 前二項…, 前條….
_GOES_ON = re.compile(r"^\s*前(?:[一二三四五六七八九十\d]{1,3})?[項项款]")
#: Fewest characters of the name a 前項 provision takes up from the unit before it.
_TAKEN_UP = 3


def _elaborates(unit: Sequence[SentenceRecord], nxt: SentenceRecord, terms: Sequence[Term]) -> bool:
    """Whether ``nxt`` says what a name the unit uses means (「…合於中小企業認定標準之事業。」 then
    「前項認定標準，由中央主管機關按資本額、經常僱用員工數等定之。」): it starts with 前項 and the
    name it takes up, which the unit holds, and it holds some of the question's words. A
    provision that only points elsewhere (:func:`assistant.rules.boilerplate`) says nothing."""
    match = _GOES_ON.match(nxt.text)
    if not match or coverage(terms, nxt.text) <= 0:
        return False
    said = to_search_form("".join(r.text for r in unit))
    rest = to_search_form(nxt.text[match.end() :])
    if rules.boilerplate("", rest):
        return False
    return any(rest[:n] in said for n in range(_TAKEN_UP, min(len(rest), 12) + 1))


#: The subject of a sentence that adds to the one before it with 亦/也 (「再次申請亦以一次為限。」):
#: the words before the first 亦/也 of its first clause.
_ALSO = re.compile(r"^([^，,；;。：:]{2,16}?)(?:亦|也)")
#: Fewest characters of the subject a carrying-on sentence takes up from the sentence before it.
_CARRIED = 3


def carries_on(prev: SentenceRecord, rec: SentenceRecord) -> bool:
    """Whether ``rec`` goes on from ``prev``: its subject, before an 亦/也 (also), is a name ``prev``
    holds (「…檢具證明文件再次申請本貸款。」 then 「再次申請亦以一次為限。」): it says what also holds
    for what ``prev`` allows, and means nothing without it."""
    match = _ALSO.match(rec.text.strip())
    if match is None:
        return False
    subject = to_search_form(match.group(1)).strip()
    return len(subject) >= _CARRIED and subject in to_search_form(prev.text)


def carries_on_at(doc: Document, ev: Evidence) -> bool:
    """Whether ``ev``'s sentence carries on from the sentence before it (:func:`carries_on`)."""
    prev = doc.before(ev.passage.source, ev.sentence, ev.passage.section)
    return prev is not None and carries_on(prev, ev.sentence)


def expand(ev: Evidence, doc: Document, terms: Sequence[Term], budget: int, list_budget: int = 0) -> Evidence:
    """``ev`` with the stretch of text it is quoted as (see the module docstring).

    Args:
        ev: A chosen piece of evidence.
        doc: The retrieved sentences in document order.
        terms: The question's terms (which neighbouring clauses hold more of the question).
        budget: Most characters of the unit, from its first sentence's start to its last one's end.
        list_budget: Most characters of the items of a lead-in (from the first item's start)
            when the question asks for the members of a list (「第15條要聲明哪些事項？」: the items
            are the answer, all five); 0 or less than ``budget``: ``budget`` for the lead-in
            with its items.

    Returns:
        ``ev`` itself when nothing is joined, else a copy whose sentence quotes the unit.
    """
    source, section = ev.passage.source, ev.passage.section
    unit = _within_sentence(_clauses(doc, ev), ev.sentence, terms, budget)
    prev = doc.before(source, unit[0], section)
    if prev is not None and carries_on(prev, unit[0]) and _length([prev, unit[-1]]) <= budget:
        unit = [prev, *unit]
        rule = doc.before(source, prev, section) if _PROVISO.match(prev.text) else None
        if rule is not None and _length([rule, unit[-1]]) <= budget:
            unit = [rule, *unit]  # the sentence carried on from is a proviso: with its rule
    if ITEM.match(unit[0].text):
        # An item is quoted with its lead-in and the items between them.
        back: list[SentenceRecord] = []
        prev = doc.before(source, unit[0], section)
        while prev is not None and _length([prev, unit[-1]]) <= budget:
            back.insert(0, prev)
            if _LEAD_IN.search(prev.text):
                unit = back + unit
                break
            prev = doc.before(source, prev, section)
    if not _LEAD_IN.search(unit[-1].text):
        nxt = doc.after(source, unit[-1], section)
        if nxt is not None and _PROVISO.match(nxt.text) and _length([unit[0], nxt]) <= budget:
            unit = [*unit, nxt]
    nxt = doc.after(source, unit[-1], section)
    if nxt is not None and _length([unit[0], nxt]) <= budget and _elaborates(unit, nxt, terms):
        unit = [*unit, nxt]
    if _LEAD_IN.search(unit[-1].text):
        # The items asked for are counted on their own: a long lead-in (「…應於…期間內，檢附…之下列
        # 文件，向…申請…：」) does not use up the room of the list it introduces.
        items = _items_after(doc, source, unit[-1], section)
        for item in items:
            if _length([unit[0], item]) > budget and (
                list_budget <= budget or _length([items[0], item]) > list_budget
            ):
                break
            unit = [*unit, item]
    if len(unit) == 1:
        return ev
    return replace(ev, sentence=doc.join(source, unit))


def expand_all(
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    terms: Sequence[Term],
    budget: int,
    max_gap: int = Settings.sentence_gap_chars,
    list_budget: int = 0,
    lead_ins: bool = True,
    notes: list[str] | None = None,
    items_budget: int = 0,
) -> list[Evidence]:
    """Every chosen piece of evidence as the unit it is quoted as; a unit another one holds is dropped.
    With ``lead_ins``, a numbered item quoted without its lead-in is quoted after it (:func:`lead_in`);
    a sentence that extends the time limit a unit sets is quoted after it (:func:`extension`), and
    ``notes`` (when given) gets a line for the trace saying so.

    ``max_gap``: see :class:`Document`; ``list_budget``: see :func:`expand`; ``items_budget``:
    see :func:`whole_items` (0: two items of one list are quoted as they are).
    """
    doc = Document(evidence, max_gap)
    out: list[Evidence] = []
    for ev in chosen:
        unit = expand(ev, doc, terms, budget, list_budget)
        if notes is not None and unit.sentence.start < ev.sentence.start and carries_on_at(doc, ev):
            notes.append(
                f"carries on: 「{ev.sentence.text[:20]}」 is quoted with the sentence it adds to (亦/也)"
            )
        lead = lead_in(doc, unit) if lead_ins else None
        longer = extension(doc, unit)
        if longer is not None and notes is not None:
            notes.append(
                f"extension: the limit is quoted with 「{longer.sentence.text[:30]}」 of its paragraph"
            )
        for piece in (p for p in (lead, unit, longer) if p is not None):
            span = (piece.passage.source, piece.sentence.start, piece.sentence.end)
            if any(
                o.passage.source == span[0] and o.sentence.start <= span[1] and span[2] <= o.sentence.end
                for o in out
            ):
                continue
            out = [
                o
                for o in out
                if not (
                    o.passage.source == span[0] and span[1] <= o.sentence.start and o.sentence.end <= span[2]
                )
            ]
            out.append(piece)
    return whole_items(out, doc, items_budget, notes) if items_budget > 0 else out


def _item_style(text: str) -> str:
    """How a numbered item is marked (「一、」 → 「、」, 「（一）」 → 「（」, 「1.」 → 「.」); "" for none."""
    match = ITEM.match(text)
    if not match:
        return ""
    mark = match.group(0).strip()
    return "（" if mark[0] in "（(" else mark[-1]


def whole_items(
    units: Sequence[Evidence], doc: Document, budget: int, notes: list[str] | None = None
) -> list[Evidence]:
    """``units`` with two of one list joined by what lies between them: 「…上限如下：一、從事製造業之
    事業：（一）…三千萬元；…」 and 「二、從事服務業之中小企業…」 quote item 一 whole, with its （二）,
    when the earlier one holds a lead-in and the first item, the later one is an item marked as
    that one is (一、…二、), every sentence between them was retrieved and is an item or goes on
    from one cut at ；, and the items (from the first one) fit ``budget`` characters. ``notes``
    gets a line for the trace for each join."""
    out = list(units)
    for later in list(out):
        source, section = later.passage.source, later.passage.section
        style = _item_style(later.sentence.text)
        earlier = next(
            (
                u
                for u in out
                if u.passage.source == source
                and u.passage.section == section
                and u.sentence.end <= later.sentence.start
                and (lead := _LEAD_IN_INSIDE.search(u.sentence.text))
                and _item_style(u.sentence.text[lead.end() :].lstrip()) == style
            ),
            None,
        )
        if not style or later not in out or earlier is None:
            continue
        between: list[SentenceRecord] = []
        current: SentenceRecord | None = earlier.sentence
        while current is not None and current.end < later.sentence.start:
            nxt = doc.after(source, current, section)
            if nxt is not None and not ITEM.match(nxt.text) and not _CLAUSE_END.search(current.text):
                nxt = None  # a sentence that is no item between them: not one list
            current = nxt
            if current is not None and current.start < later.sentence.start:
                between.append(current)
        lead = _LEAD_IN_INSIDE.search(earlier.sentence.text)
        items_from = earlier.sentence.start + (lead.end() if lead else 0)
        if current is None or not between or later.sentence.end - items_from > budget:
            continue
        joined = replace(earlier, sentence=doc.join(source, [earlier.sentence, *between, later.sentence]))
        out = [joined if u is earlier else u for u in out if u is not later]
        if notes is not None:
            notes.append(
                f"whole items: {len(between)} sentences between two items of one list quoted with them"
            )
    return out


#: A time limit a provision sets: 七個月內, 30日內, 二個月 (search form or not).
_TIME_LIMIT = re.compile(
    r"(?:\d+|[一二三四五六七八九十百兩两]+)\s*(?:個|个)?\s*(?:日|天|週|周|星期|月|年|小時|小时)"
)
#: A sentence that extends a limit set before it: 得延長…二個月, 展延, 延期.
_EXTENDS = re.compile(r"延長|延长|展延|延期")
#: How many sentences of its paragraph after a unit an extension of its limit may come (the
#: proviso 但… of the limit may stand between them).
_EXTENSION_REACH = 2


def extension(doc: Document, unit: Evidence) -> Evidence | None:
    """The sentence of ``unit``'s paragraph after it that extends the time limit it sets, as
    evidence of its own: 「…應於…截止日後七個月內，將前項審查意見函送…。但不符…。…如有特殊事由，
    得延長審查期間二個月…。」 quotes the limit and, beside it, how long it may grow; None when the
    unit sets no limit or no sentence within :data:`_EXTENSION_REACH` of the same paragraph (no
    line break between them) extends one by a figure."""
    if not _TIME_LIMIT.search(unit.sentence.text):
        return None
    source, section = unit.passage.source, unit.passage.section
    current = unit.sentence
    for _ in range(_EXTENSION_REACH):
        nxt = doc.after(source, current, section)
        between = doc.gap(source, current.end, nxt.start) if nxt is not None else None
        if nxt is None or between is None or "\n" in between:
            return None
        if _EXTENDS.search(nxt.text) and _TIME_LIMIT.search(nxt.text):
            return replace(unit, sentence=nxt, passage=doc.by_start[(source, nxt.start)].passage)
        current = nxt
    return None


#: A question about what a named article says: 第24條在規定什麼？ (search form).
_ASKS_CONTENT = re.compile(
    r"讲什么|说什么|规定什么|规定了什么|规范什么|在讲|在说|在规定|规定些什么|写什么|内容|是什么|"
    r"what does|what is .{0,30}about|say"
)
#: Most characters between a named article and the words that ask what it says (第24條的內容是什麼,
#: 「What does Article 24 say」): further away they ask about a thing the article names
#: (「10-1條講的AI產品，定義是什麼」), which a sentence of it answers.
_CONTENT_GAP = 4


def asks_article_content(question: str) -> bool:
    """Whether the question (search form) asks what a law article it names says: the asking
    words (:data:`_ASKS_CONTENT`) right after the reference, or (English) right before it."""
    asks = list(_ASKS_CONTENT.finditer(question))
    for ref in ARTICLE_REF.finditer(question):
        for match in asks:
            if (
                0 <= match.start() - ref.end() <= _CONTENT_GAP
                or 0 <= ref.start() - match.end() <= _CONTENT_GAP
            ):
                return True
    return False


def named_article(
    question: str, evidence: Sequence[Evidence], budget: int, max_gap: int = Settings.sentence_gap_chars
) -> list[Evidence]:
    """For 「…第24條在規定什麼？」, the article's sentences in order as one unit (within ``budget``
    characters); [] when the question names no article, asks something narrower, or no
    retrieved passage is that article.

    Args:
        question: The question, search form.
        evidence: Scored evidence, best first.
        budget: Most characters quoted from the article.
        max_gap: See :class:`Document`.
    """
    wanted = set(article_tokens(question))
    if not wanted or not asks_article_content(question):
        return []
    best = next((ev for ev in evidence if wanted & set(article_tokens(ev.passage.section))), None)
    if best is None:
        return []
    source, section = best.passage.source, best.passage.section
    doc = Document(
        [ev for ev in evidence if ev.passage.source == source and ev.passage.section == section], max_gap
    )
    records = sorted(
        {p.record.start: p.record for (src, _), p in doc.by_start.items() if src == source}.values(),
        key=lambda r: r.start,
    )
    runs: list[list[SentenceRecord]] = []
    for rec in records:
        if rec.end - records[0].start > budget:
            break
        if runs and rec.start - runs[-1][-1].end <= max_gap:
            runs[-1].append(rec)
        else:
            runs.append([rec])
    return [replace(best, sentence=doc.join(source, run)) for run in runs]


def article_scoped(question: str, evidence: Sequence[Evidence]) -> list[Evidence]:
    """Of ``evidence``, the sentences of the law articles the question (search form) names
    (「第5條裡製造業跟服務業的補助上限」 is answered from 第5條, not from 第3條's 「二、服務業。」 that
    a search for one part found); all of it when the question names no article or none is here."""
    wanted = set(article_tokens(question))
    if not wanted:
        return list(evidence)
    inside = [ev for ev in evidence if wanted & set(article_tokens(ev.passage.section))]
    return inside or list(evidence)


#: A provision that exempts a case from the rule around it (search form): 不受前三項規定之限制, 不適用, 除外.
_EXCEPTION = re.compile(r"不受.{0,12}(?:规定|限制)|不适用|不在此限|除外|无须|得免")


def exception_first(
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    terms: Sequence[Term],
    notes: list[str] | None = None,
) -> list[Evidence]:
    """``chosen`` led by the provision of the same article or section that exempts a case the
    question names and the chosen sentences do not (「執行單位如為公、私立學校者，不受前三項規定之
    限制。」 for a question about schools): for that case it is the rule that applies; the rule it
    exempts from follows it (:func:`_exempted_rule`, said in ``notes``)."""
    if not chosen:
        return list(chosen)
    first = chosen[0]
    said = "\n".join(ev.sentence.text for ev in chosen)
    missing = [t for t in terms if t.weight > 0 and coverage([t], said) == 0]
    for ev in evidence:
        if (
            ev in chosen
            or ev.passage.source != first.passage.source
            or ev.passage.section != first.passage.section
        ):
            continue
        text = ev.sentence.text
        if _EXCEPTION.search(to_search_form(text)) and any(coverage([t], text) > 0 for t in missing):
            rule = _exempted_rule(ev, chosen, evidence, terms)
            if rule is not None and notes is not None:
                notes.append(
                    f"exception: quoted with the rule it exempts from, 「{rule.sentence.text[:20]}」 (a duty: 應/須)"
                )
            return [ev, rule, *(c for c in chosen if c is not rule)] if rule is not None else [ev, *chosen]
    return list(chosen)


#: A provision that imposes a duty (search form): 應…, 須…, 必須… (not 應用, 相應, 供應, 因應).
_OBLIGES = re.compile(r"(?<![相供因回适反对感])应(?![用])|必须|(?<![无毋不])须")


def _exempted_rule(
    exception: Evidence, chosen: Sequence[Evidence], evidence: Sequence[Evidence], terms: Sequence[Term]
) -> Evidence | None:
    """The rule an exception exempts from, to quote after it: the first chosen sentence when it
    imposes a duty (應, 須), else the best-scored sentence before the exception in its article or
    section that imposes one and holds some of the question (「執行單位應通過前項各款制度評鑑」
    before 「…如為公、私立學校者，不受前三項規定之限制」), not a consequence of the rule
    (「未通過制度評鑑者，本部得限制…」). None when there is none."""
    first = chosen[0]
    if _OBLIGES.search(to_search_form(first.sentence.text)):
        return None
    return next(
        (
            ev
            for ev in evidence
            if ev.passage.source == exception.passage.source
            and ev.passage.section == exception.passage.section
            and ev.sentence.start < exception.sentence.start
            and _OBLIGES.search(to_search_form(ev.sentence.text))
            and coverage(terms, ev.sentence.text) > 0
        ),
        None,
    )


#: Where a provision's last clause starts (its predicate: 其繳交收入之比率為百分之二十).
_LAST_CLAUSE = re.compile(r"[，,；;]")


def _predicate(text: str) -> str:
    return _LAST_CLAUSE.split(to_search_form(text).rstrip("。；;：:"))[-1]


def _alike(a: str, b: str, share: float) -> bool:
    """Two clauses that differ only in a figure or a name: ``share`` of the bigrams of the longer one shared."""
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) >= share * max(len(grams_a), len(grams_b), 1)


def parallel(a: str, b: str, share: float = Settings.parallel_share) -> bool:
    """Whether two different sentences say the same thing of two cases (two articles, two kinds
    of applicant): ``share`` of the character bigrams of the longer one (search form) shared."""
    a, b = to_search_form(a), to_search_form(b)
    return a != b and _alike(a, b, share)


def parallel_provisions(
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    most: int,
    share: float = Settings.parallel_share,
    max_gap: int = Settings.sentence_gap_chars,
) -> list[Evidence]:
    """For a comparison, ``chosen`` with the provisions next to the first one of each section that
    say the same of another case (「…如為學校者，其繳交收入之比率為百分之二十。」 and 「前項以外之執行
    單位，其繳交收入之比率為百分之四十。」; the items 一、 and 二、 of each of two compared articles):
    same section, adjacent, and a last clause that differs only in its figures or names (``share``
    of their character bigrams, ``Settings.parallel_share``), each put right after its own.
    At most ``most`` sentences in all."""
    out = list(chosen)
    if not out:
        return out
    doc = Document(evidence, max_gap)
    leaders: dict[tuple[str, str], Evidence] = {}
    for ev in out:
        leaders.setdefault((ev.passage.source, ev.passage.section), ev)
    for (source, section), first in leaders.items():
        mine = _predicate(first.sentence.text)
        for neighbour in (
            doc.before(source, first.sentence, section),
            doc.after(source, first.sentence, section),
        ):
            if (
                neighbour is None
                or len(out) >= most
                or any(e.passage.source == source and e.sentence.start == neighbour.start for e in out)
            ):
                continue
            theirs = _predicate(neighbour.text)
            if theirs != mine and len(mine) >= 4 and _alike(theirs, mine, share):
                out.insert(out.index(first) + 1, replace(first, sentence=neighbour))
    return out
    first = out[0]
    doc = Document(evidence, max_gap)
    source, section = first.passage.source, first.passage.section
    mine = _predicate(first.sentence.text)
    for neighbour in (
        doc.before(source, first.sentence, section),
        doc.after(source, first.sentence, section),
    ):
        if neighbour is None or len(out) >= most or any(e.sentence.start == neighbour.start for e in out):
            continue
        theirs = _predicate(neighbour.text)
        if theirs != mine and len(mine) >= 4 and _alike(theirs, mine, share):
            out.insert(1, replace(first, sentence=neighbour))
    return out


def typed_choice(
    query: QueryTerms, evidence: Sequence[Evidence], settings: Settings, diagnostics: dict[str, float | str]
) -> Evidence:
    """The sentence that answers (:func:`assistant.evidence.typed_best`): of the kind asked
    (:func:`assistant.rules.answer_type_ok`) and, among those close to the best score, holding most
    of the question in its own words, read with the question a FAQ's answer answers (Q3：…期間為何？
    A3：…, :func:`answered_question`). When it is not the best-scored one, ``diagnostics["chosen"]``
    says why."""
    best = typed_best(
        evidence,
        lambda e: rules.answer_type_ok(query.question, e.sentence.text),
        settings,
        lambda e: coverage(query.terms, answered_question(e.siblings, e.sentence) + e.sentence.text),
    )
    if best is not evidence[0]:
        card = same_card(best, evidence[0]) and restates_heading(evidence[0])
        diagnostics["chosen"] = (
            f"typed: candidate {list(evidence).index(best) + 1} holds the kind of answer asked"
            + (
                " (answer_types) on the card whose title line is candidate 1"
                if card
                else " (answer_types) and, of those close to the best score, most of the question in its own words"
            )
        )
    return best
