"""Table rows and labelled things as evidence: which row answers, and which rows a comparison quotes.

A table row is one passage (``項目：Phase 1上限；中央型SBIR：150萬；…``, section ``…｜表1 第2列``,
see :mod:`ingest.structure`). Two things decide which rows an answer quotes, both from the
structure of the text:

* **labels**: a Latin word with a number (``Phase 2``, ``Category 3``, ``Stage 1``) names one
  thing of a series; a sentence that names the same word with another number is about another
  thing of the series, however many of the question's words it holds;
* **parallel rows**: a question that compares or lists (各, 差在哪, 哪些) and is answered by a
  row is answered by the rows of that table that hold what the others lack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant import units
from assistant.evidence import Evidence, Term, coverage
from assistant.reply import Passage
from core.settings import Settings
from core.text import chinese_number, to_search_form, to_traditional

#: A labelled thing of a series (search form): phase 2, category 3, phase 2+. Its number ends at
#: anything but a digit, a plus or a separator inside a figure (2,000, 2.5): a row written
#: ``Phase 2, NT $10,000,000`` is Phase 2, and ``Phase 2+,`` is Phase 2+, not Phase 2.
_LABEL = re.compile(r"(?<![a-z])([a-z]{2,})\s*(\d{1,3})(\+?)(?![\d+]|[.,]\d)")
#: Where a row's table label ends in its section: ``快速比較｜表1 第2列`` → ``快速比較｜表1``.
_ROW_LABEL = re.compile(r"\s*第\s*\d+\s*列$")


#: A Chinese ordinal of a series (search form): 第二階段 is Phase 2 (or Stage 2) of a text that
#: labels its series in English.
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十\d]{1,3})\s*阶段")
#: The English words a series of 階段 is labelled with.
_ORDINAL_WORDS = ("phase", "stage")


def labels(text: str) -> set[tuple[str, str]]:
    """The labelled things ``text`` names: ``{("phase", "2"), ("phase", "2+")}``; a Chinese
    ordinal stage names its English labels too (第二階段: ``("phase", "2")``, ``("stage", "2")``)."""
    form = to_search_form(text)
    found = {(m.group(1), m.group(2) + m.group(3)) for m in _LABEL.finditer(form)}
    for m in _ORDINAL.finditer(form):
        number = chinese_number(m.group(1))
        if number is not None:
            found |= {(word, str(number)) for word in _ORDINAL_WORDS}
    return found


def label_match(asked: set[tuple[str, str]], text: str) -> int:
    """1 when ``text`` names a labelled thing the question names; -1 when it names only others of
    the same series (Phase 1 for a question about Phase 2); 0 when it names none of the series."""
    if not asked:
        return 0
    held = labels(text)
    if asked & held:
        return 1
    words = {w for w, _ in asked}
    return -1 if any(w in words for w, _ in held) else 0


#: Header cells that name no field, only the role of a column: a table of 項目 and 內容 names its
#: fields in its first column (search form).
GENERIC_HEADERS = frozenset(
    {"项目", "内容", "说明", "备注", "类别", "名称", "其他", "item", "content", "description"}
)
#: A cell of a row as ingest writes it: its header, a colon, its text, cells apart at ；.
_CELL = re.compile(r"(?:^|[;；])\s*([^;；:：]{1,24})[:：]([^;；]*)")


def row_fields(text: str) -> list[str]:
    """The fields a table row states (search form): the header of each cell, and, in a table
    whose headers name no field (項目, 內容), its first cell's text: ``項目：補助上限；內容：最高
    100萬`` → ``["补助上限"]``; ``縣市：台南市；補助上限：100萬`` → ``["县市", "补助上限"]``."""
    cells = _CELL.findall(to_search_form(text))
    fields = [h.strip() for h, _ in cells if h.strip() not in GENERIC_HEADERS]
    if cells and cells[0][0].strip() in GENERIC_HEADERS:
        fields.insert(0, cells[0][1].strip())
    return [f for f in fields if len(f) >= 2 and f not in GENERIC_HEADERS]


def field_shape(question: str, passage: Passage, text: str) -> str:
    """The field of table row ``text`` that ``question`` (search form) names (``补助对象`` of
    ``補助對象：海洋科技業者`` for 「科專類的補助對象有哪些」), or "": the row states what is asked
    of it, where prose that shares the question's words need not. Only a row quoted whole: a long
    row's units are the sentences of its prose cells, whose run-in labels (資格初審：) are no
    columns."""
    if passage.kind != "row" or text.strip() != passage.text.strip():
        return ""
    return next((f for f in row_fields(text) if f in question), "")


def label_forms(label: tuple[str, str]) -> tuple[str, ...]:
    """The ways a text writes a label (search form): ``phase 2``, ``phase2``."""
    word, number = label
    return (f"{word} {number}", f"{word}{number}")


def table_section(section: str) -> str:
    """A row's section without its row number: ``快速比較｜表1 第2列`` → ``快速比較｜表1``."""
    return _ROW_LABEL.sub("", section)


def row_heading(passage: Passage) -> str:
    """The heading a table row sits under (``台北市（SITI產業發展補助）｜表2``): what its cells are
    about, which the row never says itself; "" for a passage that is not a row."""
    return _ROW_LABEL.sub("", passage.section) if passage.kind == "row" else ""


def heading_of(passage: Passage) -> str:
    """The heading a passage sits under, which its sentences need not repeat: a table row's
    table heading, a list item's or an FAQ answer's heading (``Phase 1 審查``,
    ``Q1：可以同時申請多個縣市嗎？``); the section without its row or article label."""
    if passage.kind == "row":
        return row_heading(passage)
    return passage.section.split("｜")[0]


def headings(passages: Sequence[Passage]) -> frozenset[str]:
    """Every heading the passages sit under (each part of their sections), search form."""
    return frozenset(to_search_form(part).strip() for p in passages for part in p.section.split("｜"))


#: A question that asks what a name stands for: a heading that spells it out answers it.
_ASKS_FULL_NAME = re.compile(
    r"全名|全称|完整名称|正式名称|简称|缩写|\bfull name\b|stands? for|short for|abbreviat|acronym|\bmeans?\b"
)


def echoed_heading(question: str, text: str, sections: frozenset[str], named: float) -> str:
    """``"heading"`` when ``text`` is no statement but the heading of a retrieved section, quoted
    where it is linked or listed (a menu line 「Small Business Innovation Research (SBIR)」),
    and holds some of the question's words (``named``: its coverage): it echoes what the
    question names and answers nothing, unless the question asks what the name stands for.
    "" otherwise (a heading the question does not name may be an item of a list it asks for)."""
    line = to_search_form(text).strip()
    if named <= 0 or line not in sections or _ASKS_FULL_NAME.search(to_search_form(question)):
        return ""
    return "heading"


#: A body row's number in its section: ``快速比較｜表1 第2列`` → 2 (a header row, ``表頭``, has none).
_ROW_NUMBER = re.compile(r"第\s*(\d+)\s*列$")


def whole_table(chosen: Sequence[Evidence], evidence: Sequence[Evidence]) -> int:
    """How many rows a table has when ``chosen`` quotes every one of them, else 0.

    ``chosen`` must be rows of one table only, at least two, and numbered 1 to n with no row of
    that table among ``evidence`` outside them (a list or count question reads its table whole,
    :meth:`~assistant.retrieve.Retriever.table_rows`): then 「排除條件有幾項」 is answered 「共7項」.
    """
    tables = {table_of(ev) for ev in chosen}
    if len(tables) != 1 or "" in tables:
        return 0
    table = tables.pop()

    def numbers(pieces: Sequence[Evidence]) -> set[int]:
        found = (_ROW_NUMBER.search(ev.passage.section) for ev in pieces if table_of(ev) == table)
        return {int(m.group(1)) for m in found if m}

    quoted = numbers(chosen)
    if len(quoted) < 2 or quoted != set(range(1, len(quoted) + 1)) or numbers(evidence) - quoted:
        return 0
    return len(quoted)


def count_lead(
    asked: tuple[str, str] | None, chosen: Sequence[Evidence], evidence: Sequence[Evidence]
) -> tuple[str, str]:
    """The lead 「共7項：」 for a count question (``asked``: its classifier and noun,
    :func:`assistant.rules.asked_count`) that ``chosen`` answers with every row of one table, each
    row cited, and why; ("", "") otherwise."""
    rows = whole_table(chosen, evidence) if asked else 0
    if not (asked and rows):
        return "", ""
    return (
        f"共{rows}{to_traditional(asked[0])}：",
        f"table count: all {rows} rows of {table_of(chosen[0])} are quoted",
    )


def read_whole(row: Evidence, evidence: Sequence[Evidence]) -> int:
    """How many rows the table of ``row`` has when ``evidence`` holds every one of them (a count
    question over it can be answered by counting them, :func:`whole_table`), else 0."""
    table = table_of(row)
    return whole_table([ev for ev in evidence if table_of(ev) == table], evidence) if table else 0


def table_of(ev: Evidence) -> str:
    """The table a row belongs to (its section without the row number); "" for a non-row."""
    if ev.passage.kind != "row":
        return ""
    return _ROW_LABEL.sub("", ev.passage.section)


def parallel_rows(
    chosen: Sequence[Evidence],
    evidence: Sequence[Evidence],
    terms: Sequence[Term],
    most: int,
    min_score: float,
    min_support: float,
    max_gap: int = Settings.sentence_gap_chars,
    members: bool = False,
) -> list[Evidence]:
    """``chosen`` and the parts of its first piece's series that the question asks for, best first:
    the rows of its table, or the numbered items of its list (「一、執行創新前瞻類…」 and 「二、執行
    關鍵類…」 after one lead-in) when it is an item.

    A part is added when it holds question words the series' parts chosen so far lack (the other
    row of a comparison: 桃園市 and 台中市), or, for a question that asks for the members of a
    series (``members``: 哪些縣市…有半導體), when it holds as much of the question as the first
    part does (every row with 半導體). A chosen piece from outside the series whose question words
    the parts then hold is dropped: the table answers for it.

    Args:
        chosen: The evidence chosen so far; nothing is added unless its first piece is a row
            or a numbered item after a lead-in.
        evidence: All scored evidence, best first.
        terms: The question's terms.
        most: Most parts of the series (pieces from outside it that stay come on top).
        min_score: Lowest score a further part may have.
        min_support: Lowest support a further part may have.
        max_gap: Most characters between two sentences that follow each other
            (``Settings.sentence_gap_chars``; see :class:`~assistant.units.Document`).
        members: The question asks which members of a series hold something (哪些, 哪幾個).
    """
    out = list(chosen)
    if not chosen:
        return out
    doc = units.Document(evidence, max_gap)

    def series(ev: Evidence) -> str:
        return table_of(ev) or units.list_of(doc, ev)

    def held(pieces: Sequence[Evidence]) -> float:
        return coverage(terms, "\n".join(e.sentence.text for e in pieces if series(e) == group))

    group = series(chosen[0])
    if not group:
        return out
    first = chosen[0]
    added = False
    for ev in evidence:
        if sum(series(e) == group for e in out) >= most:
            break
        if ev in out or ev.score < min_score or ev.support < min_support or series(ev) != group:
            continue
        if held([*out, ev]) > held(out) or (members and ev.coverage >= first.coverage):
            out.append(ev)
            added = True
    if added:
        whole = coverage(terms, "\n".join(e.sentence.text for e in out))
        out = [
            e
            for e in out
            if series(e) == group
            or coverage(terms, "\n".join(o.sentence.text for o in out if o is not e)) < whole
        ]
    return out
