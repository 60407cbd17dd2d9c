"""A document's headings as its cleaned text states them, so an overview can cite the parts it names.

A passage holds the text under a heading, not the heading line itself (「推動科技專案 引領創新能量」,
「第一章 總則」, a law page's 「法規名稱：…」): the heading is only its ``section``. An overview's lead
names a document's title and parts; the quote for each is the heading block of the cleaned text
(:class:`ingest.clean.Block` of kind ``heading``), read from the corpus file the way ingest reads it,
so its offsets are the passages' offsets.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.reply import Citation, Passage
from core.errors import DocumentReadError
from core.settings import Settings

log = logging.getLogger(__name__)

#: Documents whose headings are kept in memory (an overview reads one document at a time).
_CACHED_DOCUMENTS = 16
_cache: OrderedDict[tuple[str, int], tuple[str, tuple[Heading, ...]]] = OrderedDict()
_lock = threading.Lock()
#: A quote that says nothing on its own: a bracketed status standing for a provision's text
#: (「（刪除）」, 「(Repealed)」, 「（停止適用）」). Its heading line (the article's label) says whose it is.
BARE_QUOTE = re.compile(r"^[（(][^（）()]{1,12}[）)][。.]?$")
#: A field label before a heading's value (「法規名稱：」, 「Title:」).
_LABEL = re.compile(r"^[^，。；：:,]{1,10}[：:]")


@dataclass(frozen=True)
class Heading:
    """One heading line of a document: its text and offsets in the cleaned source text."""

    text: str
    start: int
    end: int


def squashed(text: str) -> str:
    """``text`` without whitespace (a heading 「第 6 條」 names the part 「第6條」)."""
    return re.sub(r"\s+", "", text)


def document_headings(settings: Settings, source: str) -> tuple[Heading, ...]:
    """The heading lines of one corpus document, in order (empty when it cannot be read)."""
    return _read(settings, source)[1]


def _read(settings: Settings, source: str) -> tuple[str, tuple[Heading, ...]]:
    """One corpus document's cleaned text and heading lines, read as ingest reads it (cached)."""
    path = Path(settings.corpus_dir) / source
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return "", ()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from ingest.load import load_document, read_manifest

    try:
        doc = load_document(
            path, Path(settings.corpus_dir), read_manifest(Path(settings.corpus_dir)), settings
        )
    except (DocumentReadError, OSError, ValueError) as e:
        log.warning("No headings of %s: %s", source, e)
        return "", ()
    found: tuple[str, tuple[Heading, ...]] = ("", ())
    if doc.cleaned is not None:
        text = doc.cleaned.text
        found = (
            text,
            tuple(
                Heading(text[b.start : b.end].strip(), b.start, b.end)
                for b in doc.cleaned.blocks
                if b.kind == "heading" and text[b.start : b.end].strip()
            ),
        )
    with _lock:
        _cache[key] = found
        while len(_cache) > _CACHED_DOCUMENTS:
            _cache.popitem(last=False)
    return found


def named_headings(names: Sequence[str], title: str, headings: Sequence[Heading]) -> dict[str, Heading]:
    """The heading that states each name an overview's lead shows, keyed by the name.

    A part (a section or chapter name) is the heading with the same text, whitespace aside; the
    title is the first heading that is the title, or a label and the title (a law page's
    「法規名稱：…」). A name with no heading (a part the splitter named, 「前言」) is left out.
    """
    found: dict[str, Heading] = {}
    bare_title = squashed(title)
    if bare_title:
        line = next(
            (h for h in headings if bare_title in (squashed(h.text), _LABEL.sub("", squashed(h.text)))), None
        )
        if line is not None:
            found[title] = line
    for name in names:
        bare = squashed(name)
        heading = next((h for h in headings if squashed(h.text) == bare), None)
        if bare and heading is not None and name not in found:
            found[name] = heading
    return found


def heading_citations(
    named: dict[str, Heading], order: Sequence[str], passages: Sequence[Passage]
) -> tuple[dict[str, int], list[Citation]]:
    """Citations of the headings that state an overview's names, numbered from 1 in ``order``.

    Each is filed under the passage that follows its heading (the text the heading opens).

    Returns:
        The marker number of each cited name, and the citations in marker order.
    """
    markers: dict[str, int] = {}
    cited: list[Citation] = []
    ordered = sorted(passages, key=lambda p: (p.start, p.end))
    for name in order:
        heading = named.get(name)
        after = next((p for p in ordered if p.start >= heading.end), None) if heading else None
        if heading is None or after is None or name in markers:
            continue
        markers[name] = len(cited) + 1
        cited.append(
            Citation(
                n=len(cited) + 1,
                passage_id=after.id,
                source=after.source,
                section=after.section,
                text=heading.text,
                quote=heading.text,
                start=heading.start,
                end=heading.end,
                score=1.0,
                title=after.title,
                publisher=after.publisher,
                text_start=heading.start,
            )
        )
    return markers, cited


def labelled_bare_quotes(
    citations: Sequence[Citation], settings: Settings
) -> tuple[list[Citation], list[str]]:
    """``citations`` with each bare quote (:data:`BARE_QUOTE`, 「（刪除）」) widened to start at the
    heading line right before it (「第 6 條\n（刪除）」): a status alone does not say which
    provision it is.

    Returns:
        The citations, and why each widened one was (for the trace).
    """
    out: list[Citation] = []
    why: list[str] = []
    for c in citations:
        if len(c.quotes) == 1 and BARE_QUOTE.match(c.quote.strip()):
            text, headings = _read(settings, c.source)
            label = next((h for h in reversed(headings) if h.end <= c.start), None)
            if (
                label is not None
                and text[c.start : c.end] == c.quote
                and not text[label.end : c.start].strip()
            ):
                end = max(c.end, c.text_start + len(c.text))
                c = replace(
                    c,
                    quote=text[label.start : c.end],
                    start=label.start,
                    text=text[label.start : end],
                    text_start=label.start,
                    quotes=[],
                )
                why.append(
                    f"bare quote: [{c.n}] quoted with the heading line before it ({label.text}): a status names no provision"
                )
        out.append(c)
    return out, why
