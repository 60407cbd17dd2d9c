"""Document-side text folding for real files (above all PDFs), keeping a map to the raw text.

A PDF made with a common CJK font extracts Kangxi radicals (``⼩`` U+2F29) and CJK
compatibility ideographs where the text means the unified characters (``小``); a Word export
has full-width Latin letters and digits (``ＡＩ``, ``２０２１``). :func:`fold_text` applies
Unicode NFKC to such characters, one raw character at a time, so every folded character still
knows the raw offset it came from. Chinese full-width punctuation (``，：；！？（）``) is kept:
it is how the documents are written and how quotes must read.

:func:`strip_page_furniture` removes what a PDF repeats on every page (running headers and
footers, page numbers) found by repetition across pages, not by a fixed pattern: a line at the
top or bottom of a page whose digit-blind form recurs on at least half of the pages (and on at
least ``Settings.furniture_min_pages``) is page furniture, unless it ends a sentence. Every removed line is reported with its
reason, so nothing is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from core.settings import Settings

#: Full-width punctuation that stays as it is (NFKC would turn it into ASCII).
KEEP_FULL_WIDTH = frozenset("，：；！？（）［］｛｝｀～＂＇＜＞＝＋－／＼｜＿＠＃＄％＆＊．")
_DIGITS = re.compile(r"\d+")
#: CJK strokes (U+31C0-U+31EF) that some PDF fonts extract where the text means the one-stroke
#: ideograph (「㇐次」 for 一次). Unicode gives them no decomposition, so NFKC leaves them; the
#: map pairs each stroke with the ideograph of the same single stroke (Unicode 15, CJK Strokes
#: chart: 31D0 H, 31D1 S, 31D2 P, 31D4 D, 31E0 HXWG).
STROKE_IDEOGRAPHS = {"\u31d0": "一", "\u31d1": "丨", "\u31d2": "丿", "\u31d4": "丶", "\u31e0": "乙"}


@dataclass(frozen=True)
class Dropped:
    """A span of the raw text left out of the cleaned text on purpose.

    Attributes:
        start: Offset in the raw text.
        end: End offset (exclusive).
        reason: Why (``page furniture``, ``page number``, ``markup``, ...).
    """

    start: int
    end: int
    reason: str


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x80 or ch in KEEP_FULL_WIDTH:
        return ch
    if ch in STROKE_IDEOGRAPHS:
        return STROKE_IDEOGRAPHS[ch]
    if 0x3000 < code < 0x3400 and not 0x2E80 <= code <= 0x2FDF:
        return ch  # CJK punctuation, kana, bopomofo: as written (NFKC would change 〔〕 etc. little)
    return unicodedata.normalize("NFKC", ch)


def fold_text(raw: str) -> tuple[str, list[int]]:
    """NFKC-fold the characters that real documents misencode, keeping a raw offset per character.

    Folds Kangxi radicals and CJK radicals (``⼩`` → ``小``), single CJK strokes (``㇐`` → ``一``,
    :data:`STROKE_IDEOGRAPHS`), CJK compatibility ideographs,
    full-width Latin letters and digits (``２０２１`` → ``2021``) and other compatibility forms;
    keeps Chinese full-width punctuation.

    Args:
        raw: The text as extracted.

    Returns:
        The folded text, and for each of its characters the offset of the raw character it
        came from (a raw character that folds to several gives them all its offset).
    """
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(raw):
        folded = _fold_char(ch)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets


def _furniture_key(line: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", "", line))


def _edge_lines(page: str, edge: int) -> list[tuple[int, int, str]]:
    """(start, end, text) of the first and last ``edge`` non-blank lines of a page."""
    lines = []
    pos = 0
    for line in page.split("\n"):
        if line.strip():
            lines.append((pos, pos + len(line), line))
        pos += len(line) + 1
    if len(lines) <= 2 * edge:
        return lines
    return lines[:edge] + lines[-edge:]


def page_counters(pages: list[tuple[int, str]], edge_lines: int, min_pages: int) -> set[str]:
    """Digit-blind forms of edge lines that count the pages: page numbers of a part of a document.

    A page number need not recur on half of the pages (a guide's 8 numbered pages before 64 pages of
    annexes numbered 「附件-1」…); it counts up with the pages. A form with one number (``#``,
    ``- # -``, ``第#頁``, ``附件-#``) whose number minus the page's index is the same on at least
    ``min_pages`` pages is such a counter (its lines are furniture on every page).
    """
    seen: dict[str, dict[int, int]] = {}
    for index, (_, page) in enumerate(pages):
        for _, _, line in _edge_lines(page, edge_lines):
            key = _furniture_key(line)
            numbers = _DIGITS.findall(line)
            if len(numbers) == 1 and key.count("#") == 1:
                seen.setdefault(key, {}).setdefault(index, index - int(numbers[0]))
    return {key for key, offsets in seen.items() if max(Counter(offsets.values()).values()) >= min_pages}


def strip_page_furniture(
    text: str,
    offsets: list[int],
    page_break: str = "\f",
    min_pages: int = Settings.furniture_min_pages,
    edge_lines: int = Settings.furniture_lines,
) -> tuple[str, list[int], list[Dropped]]:
    """Remove running headers, footers and page numbers found by repetition across pages.

    Args:
        text: Folded text whose pages are separated by ``page_break``.
        offsets: Raw offset of each character of ``text`` (from :func:`fold_text`).
        page_break: The page separator.
        min_pages: Pages a line must recur on to be furniture (``Settings.furniture_min_pages``).
        edge_lines: Lines from the top and from the bottom of a page that may be furniture
            (``Settings.furniture_lines``).

    Returns:
        The text without the furniture lines, the raw offsets of what is left, and the removed
        lines as raw spans with their reason.
    """
    pages: list[tuple[int, str]] = []
    pos = 0
    for page in text.split(page_break):
        pages.append((pos, page))
        pos += len(page) + len(page_break)
    if len(pages) < min_pages:
        return text, offsets, []
    counts: Counter[str] = Counter()
    for _, page in pages:
        counts.update({_furniture_key(line) for _, _, line in _edge_lines(page, edge_lines)})
    needed = max(min_pages, (len(pages) + 1) // 2)
    # A line that ends a sentence is body text, however alike the pages are.
    furniture = {key for key, n in counts.items() if n >= needed and key and key[-1] not in "。！？；.!?;"}
    furniture |= page_counters(pages, edge_lines, min_pages)
    if not furniture:
        return text, offsets, []
    remove: list[tuple[int, int, str]] = []
    for base, page in pages:
        for a, b, line in _edge_lines(page, edge_lines):
            key = _furniture_key(line)
            if key in furniture:
                reason = "page number" if key.strip("#-–—第頁页Pp. /") == "" else "page furniture"
                remove.append((base + a, base + b, reason))
    keep_text: list[str] = []
    keep_offsets: list[int] = []
    dropped: list[Dropped] = []
    cursor = 0
    for a, b, reason in remove:
        keep_text.append(text[cursor:a])
        keep_offsets.extend(offsets[cursor:a])
        raw_positions = [o for o in offsets[a:b] if o >= 0]
        if raw_positions:
            dropped.append(Dropped(min(raw_positions), max(raw_positions) + 1, reason))
        cursor = b
    keep_text.append(text[cursor:])
    keep_offsets.extend(offsets[cursor:])
    return "".join(keep_text), keep_offsets, dropped
