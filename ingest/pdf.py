"""Reading a PDF's text layer with pdfplumber: paragraphs, tables and reading order from the layout.

A PDF has no paragraphs, only characters with boxes and fonts. Joining its lines with line breaks
(what ``extract_text`` gives) loses what a reader sees, and every later step pays for it: a page of
a guide became one run of text whose list items, wrapped lines, footnotes and page number were glued
together. Here the layout decides:

* **Visual lines.** Characters of two fonts on one visual line (a Latin ``A`` beside CJK in a 26-pt
  title) sit a few points apart in height and were read as two lines, in the wrong order; lines that
  overlap vertically by at least half their height are one line, read left to right.
* **Paragraphs** are written as blank lines between them. A new paragraph starts where the previous
  line stops short of the text's right edge (the next line's first word would have fitted there;
  not when it ends mid-sentence within ``Settings.pdf_wrap_share`` of that edge, as an indented
  level's lines do, and the next starts no list item), at
  a vertical gap wider than the page's usual line gap (``Settings.pdf_gap_ratio``), at a change of
  font size (``Settings.pdf_size_step``), and around a centred or right-aligned line (a title, a
  date, a page number: it starts more than ``Settings.pdf_centered_share`` of the text width right of
  the left edge). Wrapped lines of one paragraph stay lines of one paragraph.
* **Footnotes** are paragraphs of their own (a smaller font), without their number where a footnote
  reference mark gave it: a small raised digit right after CJK text (``公司¹``, ``淨值²``, at most
  ``Settings.pdf_superscript_ratio`` of the line's font size). The marks stay in the text as read
  (「淨值2（股東權益）」), which is how readers quote it.
* **Tables** become ``| a | b |`` lines where they stand. A header over two rows (a merged cell)
  gives each column both names (``查核準則／應注意事項``). A table continued on the next page (its
  header rows repeated, nothing but page furniture between) is one table: a first row whose first
  cell is empty continues the row before the page break.

The text of each page is returned separately; :mod:`ingest.load` joins pages with a blank line and a form feed.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

from core.settings import Settings
from ingest.structure import LIST_MARKER

_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_SENTENCE_END = re.compile("[。！？；.!?;]$")
_SENTENCE_PUNCT = re.compile("[。！？；!?;]")
#: How a line ends its sentence or clause (a lead-in's colon too).
_CLAUSE_END = re.compile("[。！？；：!?;:]$")


@dataclass
class _Line:
    """One visual line: its characters (left to right) and box."""

    chars: list[dict[str, Any]]
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    text: str = ""
    #: Footnote reference marks of the line (``("1",)``).
    marks: tuple[str, ...] = ()


@dataclass
class _Table:
    """A table found on a page: its rows of cells (None: covered by a merged cell)."""

    top: float
    bottom: float
    rows: list[list[str | None]]
    header_rows: int = 1
    #: Continues the table of an earlier page (its header rows are that table's).
    continued: bool = False
    #: The table's title when its first row is one cell across every column (「…常見問題」):
    #: a caption, shown as a line above the table, not a header naming the columns.
    caption: str = ""


def _take_caption(table: _Table) -> None:
    """Moves a first row that is one cell across all columns into ``table.caption`` when the next
    row names every column (a header row, every cell filled) and a body row follows. A form of
    labels and blanks under a title keeps its title as its header."""
    first = table.rows[0]
    named = len(table.rows) > 2 and all(table.rows[1])
    if len(first) > 1 and named and first[0] and all(c is None for c in first[1:]):
        table.caption = first[0]
        table.rows = table.rows[1:]


def _dominant_size(chars: list[dict[str, Any]]) -> float:
    sizes = [round(float(c.get("size", 0)), 1) for c in chars if str(c.get("text", "")).strip()]
    return statistics.mode(sizes) if sizes else 0.0


def _line(chars: list[dict[str, Any]]) -> _Line:
    chars = sorted(chars, key=lambda c: float(c["x0"]))
    return _Line(
        chars=chars,
        x0=min(float(c["x0"]) for c in chars),
        x1=max(float(c["x1"]) for c in chars),
        top=min(float(c["top"]) for c in chars),
        bottom=max(float(c["bottom"]) for c in chars),
        size=_dominant_size(chars),
    )


def _reference_marks(line: _Line, ratio: float) -> tuple[str, ...]:
    """The footnote reference marks of a line (``("1",)``): runs of small raised digits right
    after CJK text. They stay in the text as read (「淨值2（股東權益）」, how a reader quotes it)."""
    if not line.size:
        return ()
    full = [float(c["bottom"]) for c in line.chars if round(float(c.get("size", 0)), 1) >= line.size]
    base = statistics.median(full) if full else line.bottom

    def mark(c: dict[str, Any]) -> bool:
        small = float(c.get("size", 0)) <= ratio * line.size
        return str(c["text"]).isdigit() and small and float(c["bottom"]) < base - 0.2 * line.size

    marks: list[str] = []
    for i, c in enumerate(line.chars):
        if not mark(c):
            continue
        j = i - 1  # a run of marks counts from the character before the run
        while j >= 0 and mark(line.chars[j]):
            j -= 1
        if j >= 0 and _CJK.match(str(line.chars[j]["text"])):
            if j == i - 1:
                marks.append("")
            marks[-1] += str(c["text"])
    return tuple(marks)


def visual_lines(page: Any, settings: Settings) -> list[_Line]:
    """The page's text lines, top to bottom, with lines of one visual line merged.

    Args:
        page: A pdfplumber page (or a filtered or cropped one).
        settings: ``pdf_superscript_ratio``.
    """
    from pdfplumber.utils import extract_text

    found = page.extract_text_lines(return_chars=True)
    merged: list[list[dict[str, Any]]] = []
    boxes: list[tuple[float, float]] = []
    for raw in sorted(found, key=lambda ln: float(ln["top"])):
        chars = [c for c in raw["chars"] if str(c.get("text", "")).strip() or c.get("text") == " "]
        if not chars:
            continue
        top, bottom = float(raw["top"]), float(raw["bottom"])
        if boxes:
            a, b = boxes[-1]
            overlap = min(b, bottom) - max(a, top)
            if overlap >= 0.5 * min(b - a, bottom - top):
                merged[-1].extend(chars)
                boxes[-1] = (min(a, top), max(b, bottom))
                continue
        merged.append(list(chars))
        boxes.append((top, bottom))
    lines = []
    for chars in merged:
        line = _line(chars)
        line.marks = _reference_marks(line, settings.pdf_superscript_ratio)
        line.text = (
            extract_text(line.chars, y_tolerance=line.bottom - line.top + 1).replace("\n", " ").strip()
        )

        if line.text:
            lines.append(line)
    return lines


def _first_word_width(line: _Line) -> float:
    """Width of the line's first word: one CJK character, or Latin letters up to a space."""
    chars = [c for c in line.chars if str(c["text"]).strip()]
    if not chars:
        return 0.0
    if _CJK.match(str(chars[0]["text"])):
        return float(chars[0]["x1"]) - float(chars[0]["x0"])
    end = float(chars[0]["x1"])
    for prev, c in zip(chars, chars[1:], strict=False):
        if _CJK.match(str(c["text"])) or float(c["x0"]) - float(prev["x1"]) > 0.2 * line.size:
            break
        end = float(c["x1"])
    return end - float(chars[0]["x0"])


def _wraps(prev: _Line, line: _Line, near_right: float) -> bool:
    """Whether ``prev`` wraps into ``line`` although it stops short of the page's widest line: it
    ends near the right edge (at ``near_right`` or beyond) in the middle of a sentence, and
    ``line`` starts no list item and at most four characters right of it (a list item's hanging
    indent); an indented level's lines end short of the page's widest."""
    return (
        prev.x1 >= near_right
        and line.x0 <= prev.x0 + 4 * max(line.size, 1.0)
        and not _CLAUSE_END.search(prev.text)
        and not LIST_MARKER.match(line.text)
    )


def paragraph_breaks(lines: list[_Line], settings: Settings) -> list[bool]:
    """For each line, whether a new paragraph starts with it (the first line: True).

    Args:
        lines: The page's lines, top to bottom (:func:`visual_lines`).
        settings: ``pdf_gap_ratio``, ``pdf_size_step``, ``pdf_centered_share``, ``pdf_wrap_share``.
    """
    if not lines:
        return []
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    width = max(right - left, 1.0)
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:], strict=False)]
    usual = statistics.median(gaps) if gaps else 0.0

    def aside(line: _Line) -> bool:  # centred or right-aligned: a title, a date, a page number
        return line.x0 - left > settings.pdf_centered_share * width

    out = [True]
    for prev, line in zip(lines, lines[1:], strict=False):
        gap = line.top - prev.bottom
        short = right - prev.x1 > _first_word_width(line) + 0.5 * max(prev.size, 1.0)
        if short and _wraps(prev, line, right - settings.pdf_wrap_share * width):
            short = False
        out.append(
            short
            or gap > settings.pdf_gap_ratio * max(usual, 0.0) + 0.25 * max(line.size, 1.0)
            or abs(line.size - prev.size) >= settings.pdf_size_step
            or aside(line)
            or aside(prev)
        )
    return out


def _cell(text: str | None) -> str | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split("\n")]
    out = ""
    for part in parts:
        if (
            out
            and part
            and out[-1].isascii()
            and out[-1].isalnum()
            and part[0].isascii()
            and part[0].isalnum()
        ):
            out += " "
        out += part
    return out.replace("|", "｜")


def _spans(row: list[str | None]) -> list[int]:
    """For each column, the column where its cell starts (a merged cell covers the ones after it)."""
    starts: list[int] = []
    for c, cell in enumerate(row):
        starts.append(c if cell is not None or c == 0 else starts[-1])
    return starts


def _header_rows(rows: list[list[str | None]]) -> int:
    """Rows of the header: the first, and each next one that names the columns under a cell of the
    first spanning several columns (「查核準則」 over 「應注意事項」 and 「應備妥之支用單據」): all its
    text is under such cells, and some of it splits one (a form's label and value under two wide
    cells split none).
    """
    spans = _spans(rows[0])
    wide = {c for c in range(len(spans)) if spans.count(spans[c]) > 1}
    n = 1
    while n < len(rows) - 1:
        filled = [c for c, cell in enumerate(rows[n]) if cell]
        inside = [c for c in filled if c in wide and spans[c] != c]
        if not filled or not inside or any(c not in wide for c in filled):
            break
        n += 1
    return n


def _header_names(rows: list[list[str | None]], header_rows: int) -> list[str]:
    """One name per column from the header rows (``查核準則／應注意事項``)."""
    top = _spans(rows[0])
    names = []
    for c in range(len(rows[0])):
        parts: list[str] = []
        for r in range(header_rows):
            row = rows[r]
            k = c
            # A merged cell names the columns it covers: in the first row any, below it only those
            # under the same cell of the first row.
            while k > 0 and row[k] is None and (r == 0 or top[k - 1] == top[c]):
                k -= 1
            cell = row[k]
            if cell and cell not in parts:
                parts.append(cell)
        names.append("／".join(parts))
    return names


def _table_lines(names: list[str], body: list[list[str | None]]) -> str:
    out = ["| " + " | ".join(names) + " |"] if any(names) else []
    for row in body:
        cells = [c or "" for c in row]
        if any(cells):
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _page_items(page: Any, settings: Settings) -> list[tuple[float, str, Any]]:
    """(top, kind, content) of the page's lines and tables, top to bottom."""
    found = page.find_tables()
    tables = [
        _Table(float(t.bbox[1]), float(t.bbox[3]), [[_cell(c) for c in row] for row in t.extract()])
        for t in found
    ]
    tables = [t for t in tables if t.rows and t.rows[0]]
    for table in tables:
        _take_caption(table)
    boxes = [t.bbox for t in found]

    def outside(obj: dict[str, Any]) -> bool:
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    text_only = page.filter(outside) if boxes else page
    items: list[tuple[float, str, Any]] = [(ln.top, "line", ln) for ln in visual_lines(text_only, settings)]
    items += [(t.top, "table", t) for t in tables]
    items.sort(key=lambda item: item[0])
    return items


def _joined_text(texts: list[str]) -> str:
    """Lines of one wrapped title joined: nothing between CJK, a space between Latin words."""
    out = ""
    for text in texts:
        if out and out[-1].isascii() and out[-1].isalnum() and text[0].isascii() and text[0].isalnum():
            out += " "
        out += text
    return out


def _join_title(parts: list[tuple[str, Any]], settings: Settings) -> None:
    """Makes a title printed over several lines at the top of the first page one line (「臺北市政府
    青年局」 over 「青年實習津貼計畫」): the page's first lines while each is in the title's font size
    (at least ``pdf_size_step`` larger than the page's body text, within ``pdf_size_step`` of the
    first line), at most a line's height below the one before, without sentence punctuation, and
    together at most ``title_chars`` long. A one-line title, or a first line in the body's size,
    stays as it is."""
    lines = [item for kind, item in parts if kind == "line"]
    if len(lines) < 3 or parts[0][0] != "line":
        return
    body = statistics.mode(round(line.size) for line in lines)
    first = lines[0]
    if first.size < body + settings.pdf_size_step:
        return
    block = [first]
    for kind, line in parts[1:]:
        prev = block[-1]
        if (
            kind != "line"
            or abs(line.size - first.size) >= settings.pdf_size_step
            or line.top - prev.bottom > first.size
            or _SENTENCE_PUNCT.search(prev.text + line.text)
            or sum(len(b.text) for b in block) + len(line.text) > settings.title_chars
        ):
            break
        block.append(line)
    if len(block) < 2:
        return
    title = _Line(
        chars=[c for line in block for c in line.chars],
        x0=min(line.x0 for line in block),
        x1=max(line.x1 for line in block),
        top=first.top,
        bottom=block[-1].bottom,
        size=first.size,
        text=_joined_text([line.text for line in block]),
    )
    parts[: len(block)] = [("line", title)]


def _continues(previous: _Table | None, table: _Table, between: list[_Line], settings: Settings) -> bool:
    """Whether ``table`` continues ``previous`` over a page break: same header rows, and between
    them at most the page furniture (a few lines, none a sentence)."""
    if previous is None or len(previous.rows[0]) != len(table.rows[0]):
        return False
    if len(between) > 2 * settings.furniture_lines or any(_SENTENCE_END.search(ln.text) for ln in between):
        return False
    n = previous.header_rows
    same_caption = table.caption in ("", previous.caption)
    return same_caption and n <= len(table.rows) and table.rows[:n] == previous.rows[:n]


def read_pages(pdf: Any, settings: Settings) -> list[str]:
    """The text of each page of an open pdfplumber document, paragraphs apart, tables as rows.

    Args:
        pdf: A ``pdfplumber.PDF``.
        settings: The layout figures (``pdf_*``, ``furniture_lines``).

    Returns:
        One string per page: paragraphs separated by a blank line, each table as ``| a | b |``
        lines (the first its column names) between blank lines.
    """
    pages: list[list[tuple[str, Any]]] = []
    previous: _Table | None = None
    between: list[_Line] = []
    for page in pdf.pages:
        parts: list[tuple[str, Any]] = []
        for _, kind, item in _page_items(page, settings):
            if kind == "line":
                parts.append(("line", item))
                between.append(item)
                continue
            table: _Table = item
            table.header_rows = _header_rows(table.rows)
            if previous is not None and _continues(previous, table, between, settings):
                body = table.rows[previous.header_rows :]
                if body and body[0] and body[0][0] == "" and len(previous.rows) > previous.header_rows:
                    last = previous.rows[-1]
                    for c, cell in enumerate(body[0]):
                        if cell:
                            last[c] = (last[c] or "") + cell
                    body = body[1:]
                table.rows = previous.rows[: previous.header_rows] + body
                table.header_rows = previous.header_rows
                table.continued = True
                parts.append(("table", table))
                if body:  # else the earlier part still holds the last row
                    previous = table
                between = []
                continue
            parts.append(("table", table))
            previous, between = table, []
        if not pages:
            _join_title(parts, settings)
        pages.append(parts)
    return [_render(parts, settings) for parts in pages]


def _footnote_numbers(lines: list[_Line], starts: dict[int, bool]) -> None:
    """Takes the number off each footnote of the page: a paragraph in a smaller font than the
    page's body that starts with the number of a reference mark of the page."""
    marks = {m for line in lines for m in line.marks}
    if not marks:
        return
    body = statistics.mode(line.size for line in lines)
    for line in lines:
        if not starts[id(line)] or line.size >= body:
            continue
        match = re.match(r"(\d{1,3})\s*(?=\S)", line.text)
        if match and match.group(1) in marks:
            line.text = line.text[match.end() :]


def _render(parts: list[tuple[str, Any]], settings: Settings) -> str:
    """One page's text: paragraphs (breaks judged against the whole page's edges) and tables."""
    lines = [item for kind, item in parts if kind == "line"]
    breaks = paragraph_breaks(lines, settings)
    starts = dict(zip(map(id, lines), breaks, strict=True))
    _footnote_numbers(lines, starts)
    out: list[str] = []
    paragraph: list[str] = []
    for kind, item in parts:
        if kind == "line":
            if starts[id(item)] and paragraph:
                out.append("\n".join(paragraph))
                paragraph = []
            paragraph.append(item.text)
            continue
        if paragraph:
            out.append("\n".join(paragraph))
            paragraph = []
        table: _Table = item
        body = table.rows[table.header_rows :]
        if table.caption and not table.continued:
            out.append(table.caption)
        if body or not table.continued:
            out.append(_table_lines(_header_names(table.rows, table.header_rows), body))
    if paragraph:
        out.append("\n".join(paragraph))
    return "\n\n".join(p for p in out if p.strip())
