"""Cleaning of PDF-extracted Chinese text into structured, searchable text.

A PDF extraction of a Chinese report breaks lines mid-sentence, leaves page numbers
inside sentences, pads full-width brackets with spaces and dumps the call-out boxes of
figures (a map of regional centers here) out of reading order. :func:`clean_text`
repairs all of that and returns the cleaned text, the structure it found (headings,
paragraphs, call-outs) and, for every cleaned character, its offset in the raw file.

Layout conventions recognised (from the seed document, common to such extractions):

* Text lines are separated by blank lines; a paragraph ends on a line that ends a
  sentence and is shorter than the usual line width.
* A page starts with a line indented by a space; a line holding only 1-3 digits is a
  page number.
* A figure is a run of line groups whose lines are *not* separated by blank lines
  (call-out boxes), running to the next page start. Its boxes read mission, focus
  areas, then the name of a center; 2-3 character lines are place labels.
* A heading is a short line without punctuation, usually two phrases separated by a
  space (``推動科技專案 引領創新能量``), standing after the end of a paragraph.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from ingest.fold import Dropped

#: Section name for text before the first heading.
PREFACE = "前言"
#: Separates the levels of a section path (「九、計畫期程及申請補助款編列原則 > (一)…」): a
#: guide's numbered points under their heading (:func:`ingest.structure.numbered_sections`).
SECTION_PATH_SEPARATOR = " > "

_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FULLWIDTH_PUNCT = "，。、；：？！「」『』（）【】《》〈〉—…・／～"
_OPENERS = "「『（【《〈"
_CLOSERS = "」』）】》〉"
_TERMINAL = "。！？"
_PUNCT_IN_HEADING = set("，。、；：？！「」『』（）,.;:?!()") | set(_OPENERS) | set(_CLOSERS)
_PAGE_NUMBER = re.compile(r"(?:\d{1,3}|-\s*\d{1,3}\s*-|第\s*\d{1,3}\s*頁)")
_TWO_PHRASE_HEADING = re.compile(f"[{_CJK_CLASS}]{{2,12}} [{_CJK_CLASS}]{{2,12}}")
_CENTER_NAME = re.compile(r"(中心|園區|基地|平台|平臺|研究院|研究所)$")
_PLACE_LABEL = re.compile(f"[{_CJK_CLASS}]{{2,3}}")


def _is_cjk_or_fullwidth(ch: str) -> bool:
    return bool(re.match(f"[{_CJK_CLASS}]", ch)) or ch in _FULLWIDTH_PUNCT


@dataclass(frozen=True)
class Block:
    """A structural unit of the cleaned text.

    Attributes:
        kind: ``heading``, ``paragraph`` or ``callout`` (one figure call-out box group).
        start: Offset of the block in the cleaned text.
        end: End offset (exclusive).
        section: The heading the block belongs to (:data:`PREFACE` before the first).
        meta: For call-outs: ``name``, ``city``, ``focus``, ``mission``.
    """

    kind: str
    start: int
    end: int
    section: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanedText:
    """Cleaned text with its structure and a map back to the raw file.

    Attributes:
        text: The cleaned text; blocks are separated by newlines.
        raw_offsets: For each character of ``text``, its offset in the raw text
            (``-1`` for separators the cleaner inserted).
        blocks: Headings, paragraphs and call-outs in cleaned-text order (other readers add
            ``item``, ``row`` and ``article`` blocks, see :mod:`ingest.structure`).
        dropped: Raw spans left out on purpose (page numbers, markup, ...), with the reason.
    """

    text: str
    raw_offsets: tuple[int, ...]
    blocks: tuple[Block, ...]
    dropped: tuple[Dropped, ...] = ()

    def with_dropped(self, dropped: list[Dropped] | tuple[Dropped, ...]) -> CleanedText:
        """The same text with more dropped spans listed."""
        if not dropped:
            return self
        return CleanedText(self.text, self.raw_offsets, self.blocks, (*dropped, *self.dropped))

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw-file span ``[first, last + 1)`` covered by cleaned ``text[start:end]``.

        Raises:
            ValueError: the range is empty or holds only inserted separators.
        """
        offsets = [o for o in self.raw_offsets[start:end] if o >= 0]
        if not offsets:
            raise ValueError(f"cleaned range [{start}, {end}) maps to no raw characters")
        return min(offsets), max(offsets) + 1

    @property
    def sections(self) -> list[str]:
        """Section headings in order (with :data:`PREFACE` first when text precedes them)."""
        seen: list[str] = []
        for block in self.blocks:
            if block.section not in seen:
                seen.append(block.section)
        return seen


_Chars = list[tuple[str, int]]


@dataclass
class _Line:
    text: str
    offset: int  # raw offset of text[0]
    page_start: bool = False

    @property
    def stripped(self) -> str:
        return self.text.strip()

    def chars(self) -> _Chars:
        lead = len(self.text) - len(self.text.lstrip())
        body = self.text.strip()
        return [(ch, self.offset + lead + i) for i, ch in enumerate(body)]


def _read_lines(raw: str, dropped: list[Dropped] | None = None) -> list[_Line | None]:
    """Lines with raw offsets; ``None`` marks a blank line. Page numbers are dropped (and listed)."""
    out: list[_Line | None] = []
    pos = 0
    for text in raw.split("\n"):
        line = text.rstrip("\r")
        stripped = line.strip().replace("\f", "")
        if not stripped:
            out.append(None)
        elif _PAGE_NUMBER.fullmatch(stripped):
            # A page number: dropped, and not a paragraph break either.
            if dropped is not None:
                dropped.append(Dropped(pos, pos + len(line), "page number"))
        else:
            out.append(_Line(line, pos, page_start=line[:1].isspace() or line[:1] == "\f"))
        pos += len(text) + 1
    return out


def _groups(lines: list[_Line | None]) -> list[list[_Line]]:
    groups: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line is None:
            if current:
                groups.append(current)
                current = []
        else:
            if line.page_start and current:  # a new page always starts a new group
                groups.append(current)
                current = []
            current.append(line)
    if current:
        groups.append(current)
    return groups


def _join(parts: list[_Chars]) -> _Chars:
    """Join line fragments: no space between CJK text, one space between Latin words."""
    out: _Chars = []
    for part in parts:
        if not part:
            continue
        if out and not _is_cjk_or_fullwidth(out[-1][0]) and not _is_cjk_or_fullwidth(part[0][0]):
            out.append((" ", -1))
        out.extend(part)
    return _tidy_spaces(out)


def _tidy_spaces(chars: _Chars) -> _Chars:
    """Drop spaces next to CJK characters or full-width punctuation (bracket padding)."""
    out: _Chars = []
    n = len(chars)
    for i, (ch, off) in enumerate(chars):
        if ch.isspace():
            prev = out[-1][0] if out else ""
            nxt = next((c for c, _ in chars[i + 1 : n] if not c.isspace()), "")
            if not prev or not nxt or _is_cjk_or_fullwidth(prev) or _is_cjk_or_fullwidth(nxt):
                continue
            if out and out[-1][0] == " ":
                continue
            out.append((" ", off))
        else:
            out.append((ch, off))
    return out


def _text(chars: _Chars) -> str:
    return "".join(c for c, _ in chars)


def _is_heading(line: str, width: float) -> bool:
    if line.startswith("#"):
        return True
    if not 4 <= len(line) <= 24 or any(ch in _PUNCT_IN_HEADING for ch in line):
        return False
    if line.isdigit():
        return False
    return bool(_TWO_PHRASE_HEADING.fullmatch(line)) or len(line) <= 0.6 * width


def _ends_sentence(text: str) -> bool:
    return bool(re.search(f"[{_TERMINAL}][{_CLOSERS}]?$", text))


@dataclass
class _Callout:
    name: _Chars
    focus: _Chars
    mission: _Chars
    city: _Chars


def _parse_figure(groups: list[list[_Line]]) -> tuple[list[_Callout], list[_Chars], list[_Chars]]:
    """Call-outs, place labels and leftover text of a figure region."""
    labels: list[_Chars] = []
    callouts: list[_Callout] = []
    pending: list[_Chars] = []
    leftovers: list[_Chars] = []
    for group in groups:
        chars = _join([line.chars() for line in group])
        text = _text(chars)
        if _PLACE_LABEL.fullmatch(text):
            labels.append(chars)
        elif _CENTER_NAME.search(text) and not re.search("[，。、]", text):
            missions = [p for p in pending if _ends_sentence(_text(p))]
            others = [p for p in pending if not _ends_sentence(_text(p))]
            mission = missions[-1] if missions else []
            focus = others[-1] if others else []
            leftovers.extend(p for p in pending if p is not mission and p is not focus)
            callouts.append(_Callout(chars, focus, mission, []))
            pending = []
        else:
            pending.append(chars)
    leftovers.extend(pending)
    return callouts, labels, leftovers


def _assign_cities(callouts: list[_Callout], labels: list[_Chars], body: str) -> None:
    """Give each call-out the place label the body text puts next to its name."""
    names = {_text(label): label for label in labels}
    for callout in callouts:
        name = _text(callout.name)
        best: tuple[int, str] | None = None
        for match in re.finditer(re.escape(name), body):
            window = body[max(0, match.start() - 30) : match.start()]
            for label in names:
                pos = window.rfind(label)
                if pos >= 0:
                    distance = len(window) - pos
                    if best is None or distance < best[0]:
                        best = (distance, label)
        if best is None:
            inside = [label for label in names if label in name]
            if inside:
                best = (0, inside[0])
        if best is not None:
            callout.city = names[best[1]]


def clean_text(raw: str, markdown: bool = False) -> CleanedText:
    """Clean PDF-extracted (or plain / Markdown) Chinese text.

    Args:
        raw: The raw text as read from the file.
        markdown: Treat ``#`` lines as headings and never look for figures.

    Returns:
        The cleaned text, its blocks and the map back to ``raw``.
    """
    dropped: list[Dropped] = []
    lines = _read_lines(raw, dropped)
    groups = _groups(lines)
    body_lengths = [len(g[0].stripped) for g in groups if len(g) == 1]
    double_spaced = not markdown and len(body_lengths) > 0.6 * max(1, len(groups))
    all_lengths = [len(line.stripped) for g in groups for line in g]
    width = statistics.median(body_lengths or all_lengths or [20])

    # Separate body lines from figure regions (only in double-spaced extractions).
    body_lines: list[_Line | None] = []  # None = forced paragraph break
    figures: list[tuple[int, list[list[_Line]]]] = []  # (position in body_lines, groups)
    i = 0
    while i < len(groups):
        group = groups[i]
        if double_spaced and len(group) > 1:
            region = [group]
            i += 1
            while i < len(groups) and not groups[i][0].page_start:
                region.append(groups[i])
                i += 1
            figures.append((len(body_lines), region))
            continue
        if not double_spaced:
            body_lines.extend(group)
            body_lines.append(None)
        else:
            body_lines.extend(group)
        i += 1

    # Paragraphs and headings from the body lines.
    units: list[tuple[str, _Chars]] = []  # (kind, chars)
    figure_at: dict[int, list[list[list[_Line]]]] = {}
    for pos, region in figures:
        figure_at.setdefault(pos, []).append(region)
    pending_regions: list[list[list[_Line]]] = []
    current: list[_Chars] = []

    def flush_paragraph() -> None:
        if current:
            units.append(("paragraph", _join(current)))
            current.clear()

    prev_ended = True
    for idx, line in enumerate(body_lines + [None]):
        pending_regions.extend(figure_at.get(idx, []))
        if line is None:
            flush_paragraph()
            prev_ended = True
            continue
        text = line.stripped
        if (prev_ended or markdown) and _is_heading(text, width) and idx + 1 < len(body_lines):
            flush_paragraph()
            units.extend(("figure", [(str(id(region)), -1)]) for region in pending_regions)
            pending_regions.clear()
            units.append(("heading", line.chars()))  # headings keep their inner space
            prev_ended = True
            continue
        current.append(line.chars())
        prev_ended = _ends_sentence(text) and len(text) < width
        if prev_ended:
            flush_paragraph()
    units.extend(("figure", [(str(id(region)), -1)]) for region in pending_regions)

    # Figures are placed at the end of the section they interrupted (before the next heading).
    regions_by_id = {str(id(region)): region for _, region in figures}
    body_text = "".join(_text(chars) for kind, chars in units if kind == "paragraph")
    chars_out: _Chars = []
    blocks: list[Block] = []
    section = PREFACE

    def emit(kind: str, chars: _Chars, meta: dict[str, Any] | None = None) -> None:
        if not chars:
            return
        if chars_out:
            chars_out.append(("\n", -1))
        start = len(chars_out)
        chars_out.extend(chars)
        blocks.append(Block(kind, start, len(chars_out), section, meta or {}))

    for kind, chars in units:
        if kind == "heading":
            section = _text(chars).lstrip("#").strip()
            emit("heading", [(c, o) for c, o in chars if c != "#"] if chars[0][0] == "#" else chars)
        elif kind == "paragraph":
            emit("paragraph", chars)
        else:
            region_id = chars[0][0]
            callouts, labels, leftovers = _parse_figure(regions_by_id[region_id])
            _assign_cities(callouts, labels, body_text)
            cities = {id(c.city) for c in callouts}
            for label in labels:
                if id(label) not in cities:
                    offs = [o for _, o in label]
                    dropped.append(
                        Dropped(min(offs), max(offs) + 1, "map place label (no call-out of its own)")
                    )
            for callout in callouts:
                lines_ = [p for p in (callout.name, callout.city, callout.focus, callout.mission) if p]
                joined: _Chars = []
                for part in lines_:
                    if joined:
                        joined.append(("\n", -1))
                    joined.extend(part)
                meta = {
                    "name": _text(callout.name),
                    "city": _text(callout.city),
                    "focus": _text(callout.focus),
                    "mission": _text(callout.mission),
                }
                emit("callout", joined, meta)
            for leftover in leftovers:
                emit("paragraph", leftover)

    text = _text(chars_out)
    return CleanedText(
        text=text, raw_offsets=tuple(o for _, o in chars_out), blocks=tuple(blocks), dropped=tuple(dropped)
    )
