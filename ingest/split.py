"""Splitting cleaned text into passages (for retrieval) and sentences (for citation quotes).

Passages pack whole Chinese sentences (ending in 。！？； or a line break) of one section up
to a target length, repeating the last sentence(s) of a passage at the start of the next.
Each figure call-out (one regional center) and each table row becomes one passage of its
own (a row too long for one unit, its cells prose, gives one unit per sentence of a cell, with the
row's first cell as context); a law article is a section of its own (its passages never run into the next article).
No sentence is longer than ``max_unit_chars``: a longer run of text without punctuation is
cut at the last comma, enumeration comma or space before the limit (or at the limit). Every
passage and sentence keeps its character offsets in the cleaned text, and its id is derived
from its content and place, so re-ingesting the same document yields the same ids.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.settings import Settings
from core.text import sentence_spans
from ingest.clean import SECTION_PATH_SEPARATOR, Block, CleanedText


@dataclass(frozen=True)
class Sentence:
    """A sentence of the cleaned text: the unit a citation quotes.

    Attributes:
        id: Stable id.
        source: Document key.
        section: Section heading.
        text: The sentence (exact substring of the cleaned text).
        start: Offset in the cleaned text.
        end: End offset (exclusive).
        context: Words that say what the sentence is about when it cannot say it itself
            (a call-out's focus line is about the center named above it); embedded and
            matched with the sentence, never quoted.
        lead: The lead-in of the list the sentence is a numbered item of (「(二)有下列情形之一者，
            不符申請資格：」, at most ``Settings.lead_in_chars``), "" for none: the answer quotes
            the lead-in with the item however far apart they are; it is not embedded or matched.
    """

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    context: str = ""
    lead: str = ""


@dataclass(frozen=True)
class Chunk:
    """A passage: the unit retrieval returns.

    Attributes:
        id: Stable id, derived from source, offset and text.
        source: Document key.
        section: Section heading.
        text: The passage (exact substring of the cleaned text).
        start: Offset in the cleaned text.
        end: End offset (exclusive).
        kind: ``text``, ``center`` (a figure call-out for one regional center), ``row`` (one
            table row with its header cells) or ``article`` (part of one law article).
        sentence_ids: Ids of the sentences the passage holds, in order.
        meta: Extra fields (``name``, ``city`` for centers; ``label`` (``表1 第2列``,
            ``第24條``), ``article``, ``article_zh``, ``table``, ``row``).
    """

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    kind: str
    sentence_ids: tuple[str, ...]
    meta: dict[str, str] = field(default_factory=dict)


def stable_id(*parts: object) -> str:
    """A 20-hex-digit id derived from ``parts``."""
    digest = hashlib.sha1("\x00".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:20]


_ROW_END = re.compile(r"\n")
#: A run-in heading at the start of a sentence: a few words and a colon (「資格初審：」, 「名詞定義如下:」).
_RUN_IN = re.compile(r"([^，。；：:、,;\s]+)[：:]")
#: List markers by kind: a run-in heading followed by one is the lead-in of that list.
_MARKERS = (
    ("dot", re.compile(r"\s*\d{1,2}\s*[.．、](?!\d)")),
    ("paren", re.compile(r"\s*[(（]\s*\d{1,2}\s*[)）]")),
    ("han", re.compile(r"\s*[(（]?[一二三四五六七八九十]{1,3}[)）、]")),
)


def block_section(block: Block) -> str:
    """The section a citation shows: the heading, then the row or article label (``｜第24條``)."""
    label = str(block.meta.get("label", ""))
    return f"{block.section}｜{label}" if label else block.section


def _sentences_of(
    cleaned: CleanedText,
    source: str,
    block: Block,
    max_chars: int,
    title: str = "",
    label_chars: int = Settings.heading_chars,
) -> list[Sentence]:
    out = []
    name = str(block.meta.get("name", "")) if block.kind == "callout" else ""
    roles = {block.meta.get("focus"): "的重點領域：", block.meta.get("mission"): "的任務："}
    article = ""
    if block.kind == "article":
        # An article's sentences never say which law and article they are: the context does.
        article = f"{title}{block.meta['article']}（{block.meta['article_zh']}）："
    section = block_section(block)
    if block.kind == "row" and block.end - block.start > max_chars:
        for a, b, context in _long_row_spans(cleaned, block, max_chars, label_chars):
            text = cleaned.text[a:b]
            out.append(Sentence(stable_id(source, a, text), source, section, text, a, b, context))
        return out
    pattern = _ROW_END if block.kind == "row" else None  # a row is one unit, its cells stay together
    for a, b in sentence_spans(cleaned.text, block.start, block.end, max_chars, pattern):
        text = cleaned.text[a:b]
        context = f"{name}{roles.get(text, '：')}" if name and not text.startswith(name) else article
        out.append(Sentence(stable_id(source, a, text), source, section, text, a, b, context))
    return out


def _long_row_spans(
    cleaned: CleanedText, block: Block, max_chars: int, label_chars: int
) -> list[tuple[int, int, str]]:
    """(start, end, context) of the units of a table row too long to be one: the sentences of
    each cell (cells whose text is prose, as in a guide's table of rules), each with what the
    row is about as context: its first cell when that is a label (at most ``label_chars``
    characters; a long first cell says no one thing), the cell's column name where the
    sentence does not start with it, and the run-in heading of the list it is in
    (「資格初審：1.審查…。2.…」: 「資格初審：」 for the items after the first, until an item of
    another kind of list or the next run-in heading).

    Cells are told apart by the separators the table reader put between them (``；`` and the
    ``：`` after a column name, which stand for nothing in the source: no raw offset).
    """
    text, offsets = cleaned.text, cleaned.raw_offsets
    cuts = [i for i in range(block.start, block.end) if text[i] == "；" and offsets[i] < 0]
    bounds = list(zip([block.start, *(c + 1 for c in cuts)], [*cuts, block.end], strict=True))
    first = text[bounds[0][0] : bounds[0][1]]
    label = first if len(first) <= label_chars else ""
    out = []
    for n, (a, b) in enumerate(bounds):
        colon = next((i for i in range(a, b) if text[i] == "：" and offsets[i] < 0), -1)
        column = text[a : colon + 1] if colon >= 0 else ""
        lead, style = "", ""  # a run-in heading of the cell (「資格初審：1.…2.…」) and its list's marker
        for s, e in sentence_spans(text, a, b, max_chars):
            start = colon + 1 if s <= colon < e else s
            match = _RUN_IN.match(text, start, e)
            marker = _marker_style(text, start)
            if match and len(match.group(1)) <= label_chars and _marker_style(text, match.end()):
                lead, style = match.group(0), _marker_style(text, match.end())
                marker = ""
            elif (marker and marker != style) or (match and not marker):
                lead = style = ""  # an item of another list, or another run-in heading: it is over
            parts = [label] if n and label else []
            if column and s > colon:
                parts.append(column)
            if lead and not (match and match.group(0) == lead and match.start() == start):
                parts.append(lead)
            out.append((s, e, "；".join(parts)))
    return out


def _marker_style(text: str, at: int) -> str:
    """The kind of list marker at ``text[at]`` (``dot`` 1., ``paren`` (1), ``han`` 一、; "" none)."""
    for style, pattern in _MARKERS:
        if pattern.match(text, at):
            return style
    return ""


#: Numbered-item markers by kind, at the start of a sentence; each kind is one level of a list
#: (「一、」 holds 「(一)」, which holds 「1.」, which holds 「(1)」 in a guide; an article's 一、 items).
_ITEM_KINDS = (
    ("han", re.compile(r"\s*[一二三四五六七八九十]{1,3}\s*、")),
    ("paren_han", re.compile(r"\s*[(（]\s*[一二三四五六七八九十]{1,3}\s*[)）]")),
    ("dot", re.compile(r"\s*\d{1,2}\s*[.．、](?!\d)")),
    ("paren", re.compile(r"\s*[(（]\s*\d{1,2}\s*[)）]")),
)
#: A lead-in: a sentence that ends in ：, announcing the items after it (「有下列情形之一者，不符申請資格：」).
_LEAD_IN_END = re.compile(r"[：:]\s*(?:[（(][^（()）]*[)）])?\s*$")  # 「…下列資料：（影本請加蓋印章）」 too
#: A bracketed note after a lead-in's ：, left out of the words its items carry.
_LEAD_IN_NOTE = re.compile(r"(?<=[：:])\s*[（(][^（()）]*[)）]\s*$")
#: The end of a whole sentence: where a lead-in cut at line breaks starts.
_SENTENCE_END = re.compile(r"[。！？!?；;][」』）)]*\s*$")
#: A lead-in's ： inside a sentence, with the first item after it.
_LEAD_IN_INSIDE = re.compile(r"[：:]\s*(?=\S)")
#: The end of a whole sentence (not a clause cut at ；): a sentence after it without a marker
#: is no longer the item's (「前項…」, 「註：…」).
_WHOLE_END = re.compile(r"[。！？!?][」』）)]*\s*$")


def _item_kind(text: str) -> str:
    """The kind of numbered-item marker ``text`` starts with (see :data:`_ITEM_KINDS`), "" for none."""
    return next((kind for kind, pattern in _ITEM_KINDS if pattern.match(text)), "")


def lead_in_words(text: str, most: int = Settings.lead_in_chars) -> str:
    """What a lead-in says its items are, to go with each item: ``text`` when it has at most
    ``most`` characters, else its last clauses (from a comma) that fit, else its last ``most``
    characters. 「…另行訂定或發布，其撰寫說明如下：」 gives 「其撰寫說明如下：」."""
    text = _LEAD_IN_NOTE.sub("", text.strip())
    if len(text) <= most:
        return text
    cuts = [m.end() for m in re.finditer(r"[，,、]", text) if len(text) - m.end() <= most]
    return text[cuts[0] :] if cuts else text[-most:]


class _LeadIns:
    """Which lead-in each numbered item of a run of sentences belongs to (one section or article).

    A sentence ending in ： opens a list; the first numbered item after it fixes the list's
    marker kind, and later items of that kind belong to it however far down they are (item 8
    of a list whose lead-in is in an earlier passage). An item that is itself a lead-in
    (「(二)有下列情形之一者，不符申請資格：」) opens a list inside it; an item of an outer list's
    kind closes the inner ones; an item of no open list's kind closes them all. A sentence
    without a marker belongs to the item before it when it goes on from it (a wrapped line, a
    clause after ；); one after a whole sentence (「前項…」, a note 「註：…」) does not, but leaves
    the list open. A lead-in with its first item in one sentence (「…補助：一、促進…。」) opens
    a list of that item's kind.
    """

    def __init__(self, most: int) -> None:
        self.most = most
        self.lists: list[tuple[str, str]] = []  # (item kind, "" until the first item; lead-in text)
        self.last = ""  # the lead-in of the item the last sentence was in, "" when none
        self.opened = False  # whether the newest list was opened by the current block

    def lead_of(self, text: str, same_block: bool, after: str, whole: str = "") -> str:
        """The lead-in words of the item ``text`` belongs to ("" for none), reading one sentence.

        ``same_block``: the sentence is not the first of its block; ``after``: the sentence before;
        ``whole``: the sentence with the lines of its block it goes on from (a lead-in wrapped over
        lines 「申請廠商符合下列」「項目者，…得酌予加分：」), default ``text``.
        """
        if self.most <= 0:
            return ""  # lead-ins off
        whole = whole or text
        kind = _item_kind(text)
        lead = ""
        inside = _LEAD_IN_INSIDE.search(text)
        if inside and not kind and _item_kind(text[inside.end() :]):
            # a lead-in and its first item in one sentence (「…得提供下列補助：一、促進…。」)
            self.lists = [(_item_kind(text[inside.end() :]), lead_in_words(text[: inside.end()], self.most))]
            self.last, self.opened = "", True
            return ""
        if kind:
            at = next((n for n in range(len(self.lists) - 1, -1, -1) if self.lists[n][0] == kind), -1)
            if at >= 0:
                del self.lists[at + 1 :]
                lead = self.lists[at][1]
            elif self.lists and not self.lists[-1][0]:
                self.lists[-1] = (kind, self.lists[-1][1])  # the first item of the newest list
                lead = self.lists[-1][1]
            else:
                self.lists.clear()  # an item of no open list: the lists are over
        elif self.last and not _WHOLE_END.search(after):
            lead = self.last  # the item goes on (a line it wraps onto, a clause after ；)
        elif _LEAD_IN_END.search(text):
            self.lists.clear()  # a lead-in of its own (「申復案件處理原則如下：」)
        if _LEAD_IN_END.search(text):
            if not kind and same_block and self.opened and self.lists:
                # the item's lead-in goes on (「(三)申請對象：」「企業…應於本市管轄區域內：」)
                self.lists[-1] = ("", lead_in_words(f"{self.lists[-1][1]}{text}", self.most))
            elif kind or not lead:
                self.lists.append(("", lead_in_words(whole, self.most)))
            self.opened = True
        elif not same_block:
            self.opened = False
        self.last = lead
        return lead


def _pack(
    cleaned: CleanedText,
    source: str,
    section: str,
    sentences: list[Sentence],
    chunk_chars: int,
    overlap: int,
    kind: str = "text",
    meta: dict[str, str] | None = None,
    short: Callable[[str], bool] = lambda section: True,
) -> list[Chunk]:
    """Passages of ``sentences`` (one section, or the sections of one top-level point of a guide).

    A passage takes whole sentences while it stays within ``chunk_chars``, and repeats the last
    ``overlap`` of them at the start of the next when that leaves room for new ones. When the
    sentences come from several sections (a guide's numbered points under one heading or
    top-level point), a passage runs over them as over one section: short sibling sections
    share a passage, never a lone one-line passage each; its section is the path the sections
    it holds share (「肆、應備申請資料 > 一、應備資料」), else ``section``. A passage goes on into
    the next section only when that section is ``short`` (all of it fits in one passage): a
    longer one (a page's tab panel of ten steps) gets passages of its own, which keep its name.
    """
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= chunk_chars:
            if sentences[j].section != sentences[j - 1].section and not short(sentences[j].section):
                break
            j += 1
        group = sentences[i:j]
        start, end = group[0].start, group[-1].end
        text = cleaned.text[start:end]
        chunks.append(
            Chunk(
                id=stable_id(source, start, text),
                source=source,
                section=shared_path([s.section for s in group]) or section,
                text=text,
                start=start,
                end=end,
                kind=kind,
                sentence_ids=tuple(s.id for s in group),
                meta=dict(meta or {}),
            )
        )
        if j >= len(sentences):
            break
        nxt = max(i + 1, j - overlap)
        # Overlap only when the repeated sentences leave room for new ones.
        i = nxt if sentences[j].end - sentences[nxt].start <= chunk_chars else j
    return chunks


def shared_path(sections: Sequence[str]) -> str:
    """The section path (levels joined by :data:`SECTION_PATH_SEPARATOR`) all ``sections`` are in.

    ``["肆、應備 > 一、應備資料", "肆、應備 > 二、送件"]`` → ``"肆、應備"``; "" when they share no level.
    """
    paths = [s.split(SECTION_PATH_SEPARATOR) for s in dict.fromkeys(sections)]
    common: list[str] = []
    for levels in zip(*paths, strict=False):
        if any(level != levels[0] for level in levels):
            break
        common.append(levels[0])
    return SECTION_PATH_SEPARATOR.join(common)


def _unit_meta(block: Block) -> dict[str, str]:
    keys = ("label", "article", "article_zh", "table", "row")
    return {k: str(v) for k, v in block.meta.items() if k in keys}


def split_document(
    cleaned: CleanedText,
    source: str,
    chunk_chars: int = 200,
    overlap_sentences: int = 1,
    max_unit_chars: int = Settings.max_unit_chars,
    title: str = "",
    label_chars: int = Settings.heading_chars,
    lead_in_chars: int = Settings.lead_in_chars,
) -> tuple[list[Chunk], list[Sentence]]:
    """Passages and sentences of one cleaned document.

    The sections of a numbered guide under one top-level point or heading (「肆、應備申請資料 >
    一、…」 and 「肆、應備申請資料 > 二、…」) are packed together (:func:`_pack`).

    Args:
        cleaned: Output of :func:`ingest.clean.clean_text` or :func:`ingest.structure.parse_document`.
        source: The document key stored on every passage.
        chunk_chars: Target passage length in characters (a longer single sentence stays whole).
        overlap_sentences: Sentences repeated at the start of the next passage of a section.
        max_unit_chars: Longest sentence in characters (longer text is cut, see :func:`core.text.limit_span`),
            so no unit exceeds the embedding model's window.
        title: The document's title, put before a law article's label in its sentences' context
            (``經濟部…運用辦法第24條（第二十四條）：``).
        label_chars: Longest first cell of a long row that is its label, the context of the
            row's other units (``Settings.heading_chars``).
        lead_in_chars: Most characters of a list's lead-in stored with each of its numbered items
            (``Sentence.lead``; ``Settings.lead_in_chars``; see :class:`_LeadIns`): item 8 of
            「有下列情形之一者，不符申請資格：」 says nothing alone; the answer quotes the lead-in with it.

    Returns:
        The passages in text order, and every sentence once.
    """
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    section_sentences: list[Sentence] = []
    section = ""
    group_key: tuple[str, str] = ("", "")
    group_kind = "text"
    group_meta: dict[str, str] = {}
    leads = _LeadIns(lead_in_chars)  # the lead-in of each numbered item, within one group
    section_chars: Counter[str] = Counter()
    for block in cleaned.blocks:
        section_chars[block.section] += (block.end - block.start) * (block.kind != "heading")
    previous = "。"  # the text of the last sentence read, to see whether an item goes on
    tail = ""  # the last sentence read with the lines before it since a sentence end

    def flush() -> None:
        if section_sentences:
            chunks.extend(
                _pack(
                    cleaned,
                    source,
                    section,
                    section_sentences,
                    chunk_chars,
                    overlap_sentences,
                    group_kind,
                    group_meta,
                    lambda name: section_chars[name] <= chunk_chars,
                )
            )
            section_sentences.clear()

    for block in cleaned.blocks:
        if block.kind == "heading":
            continue
        # The sections of a guide's numbered points under one top level are packed together.
        key = (block.section.split(SECTION_PATH_SEPARATOR)[0], str(block.meta.get("article", "")))
        if key != group_key:
            flush()
            group_key = key
            section = block_section(block) if block.kind == "article" else block.section
            group_kind = "article" if block.kind == "article" else "text"
            group_meta = _unit_meta(block) if block.kind == "article" else {}
            leads, previous = _LeadIns(lead_in_chars), "。"
        block_sentences = _sentences_of(cleaned, source, block, max_unit_chars, title, label_chars)
        if block.kind in ("row", "callout"):
            leads = _LeadIns(lead_in_chars)
        else:
            read = []
            for n, sent in enumerate(block_sentences):
                # a sentence wrapped over lines starts after a sentence end (「申請廠商符合下列」「項目者，…：」)
                tail = (
                    sent.text if _SENTENCE_END.search(previous) or _item_kind(sent.text) else tail + sent.text
                )
                lead = leads.lead_of(sent.text, n > 0, previous, tail)
                read.append(dataclasses.replace(sent, lead=lead) if lead else sent)
                previous = sent.text
            block_sentences = read
        sentences.extend(block_sentences)
        if block.kind == "row":
            flush()  # text before and after a table never shares a passage with its rows
            chunks.extend(
                _pack(
                    cleaned,
                    source,
                    block_section(block),
                    block_sentences,
                    chunk_chars,
                    0,
                    "row",
                    _unit_meta(block),
                )
            )
        elif block.kind == "callout":
            text = cleaned.text[block.start : block.end]
            meta = {k: str(v) for k, v in block.meta.items() if k in ("name", "city")}
            chunks.append(
                Chunk(
                    id=stable_id(source, block.start, text),
                    source=source,
                    section=block.section,
                    text=text,
                    start=block.start,
                    end=block.end,
                    kind="center",
                    sentence_ids=tuple(s.id for s in block_sentences),
                    meta=meta,
                )
            )
        else:
            section_sentences.extend(block_sentences)
    flush()
    chunks.sort(key=lambda c: (c.start, c.end))
    return chunks, sentences
