"""Structure-aware reading of documents: Markdown, HTML, law texts, plain text and PDFs.

Each reader turns one document's text into a :class:`~ingest.clean.CleanedText`: the text
that passages and quotes are cut from, its blocks (headings, paragraphs, list items, table
rows, law articles) and, for every character, its offset in the raw text. What a reader
leaves out on purpose (markup, front matter, page furniture) is listed in
``CleanedText.dropped`` with the reason; :func:`unaccounted` finds any letter or digit of the
raw text that is in no block and no such list.

* Markdown is parsed by markdown-it-py (CommonMark + tables, front matter by
  mdit-py-plugins): headings become sections, list items and paragraphs blocks, emphasis
  and link syntax disappear from the text while every character still maps to the raw file.
* HTML is parsed by the standard library's ``html.parser``: headings, paragraphs, list items,
  table rows; ``script``/``style`` are dropped with that reason.
* A table, wherever it comes from, becomes one block per row that carries its header cells
  (``年度：2021；培育團隊：44組``), labelled ``表1 第2列`` for the citation.
* A law text (``第 N 章``, ``第 N 條``) becomes one block per article, labelled with the article
  (``第24條``); the label also holds its Chinese-numeral form (``第二十四條``) for search.
* Plain text keeps its line breaks where the text has no sentence punctuation or the lines
  are list items, and joins lines broken mid-sentence otherwise.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from core.settings import Settings
from core.text import chinese_number
from ingest.clean import PREFACE, SECTION_PATH_SEPARATOR, Block, CleanedText, clean_text
from ingest.fold import Dropped, fold_text, strip_page_furniture

log = logging.getLogger(__name__)

_Chars = list[tuple[str, int]]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_OR_PUNCT = re.compile(f"[{_CJK}\u3000-\u303f\uff00-\uffef]")
#: Sentence punctuation: a line that holds it is a sentence, not a title or heading.
SENTENCE_PUNCT = re.compile("[。！？；!?;]")
_CN_NUMBER = "〇零一二三四五六七八九十百千"
#: Closing quotes and brackets after a sentence's end (「…。」).
_CLOSERS = "」』）】》〉)"
_CHAPTER = re.compile(rf"^\s*第\s*([{_CN_NUMBER}\d]+)\s*([章編節])\s*(.*)$")
_ARTICLE = re.compile(
    rf"^\s*第\s*([{_CN_NUMBER}\d]+)\s*(?:-\s*(\d+)\s*)?[條条](?:\s*之\s*([{_CN_NUMBER}\d]+))?(?:\s+(\S.*))?\s*$"
)
#: An article label at the start of a paragraph whose spaces were squeezed out (``第二条本法…``).
_ARTICLE_START = re.compile(
    rf"^第\s*([{_CN_NUMBER}\d]+)\s*(?:-\s*(\d+)\s*)?[條条](?:\s*之\s*([{_CN_NUMBER}\d]+))?\s*"
)
#: A list item's marker at the start of a line: a bullet, 1. 1、 1) (1) (一) 一、.
LIST_MARKER = re.compile(
    rf"^\s*(?:[-*+•・●○■□◆▪‧]\s*|\d{{1,3}}(?:[、)）]|\.(?!\d))\s*|[（(][{_CN_NUMBER}\d]{{1,3}}[）)]\s*|[{_CN_NUMBER}]{{1,3}}、)"
)
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
#: A top-level heading of a Chinese official document on a line of its own, even inside a block of
#: lines (a PDF's text has no blank lines): 「壹、前言」, 「拾壹、附件」, 「附件伍、會計科目與編列原則」,
#: 「第三章 申請程序」. The 「一、」 level is not one: regulations and guides number list items so.
_OFFICIAL_HEADING = re.compile(
    r"^\s*(?:[壹貳參肆伍陸柒捌玖拾]{1,3}、|附件\s*[壹貳參肆伍陸柒捌玖拾\d]{1,3}\s*[、：:]|"
    rf"第[{_CN_NUMBER}\d]{{1,3}}[章篇])\s*[^。！？；，,.!?;]{{1,28}}$"
)
#: The leader of a table-of-contents entry: four or more dots or middle dots (spaces may come
#: between), or two or more ellipses (「……」, 「⋯⋯」; NFKC folding has already made 「…」 three dots).
_LEADER = r"(?:(?:[.．·‧・⋅∙•﹒]\s*){4,}|(?:[…⋯‥]\s*){2,})"
#: The page label of a contents entry: 「12」, 「3-2」, 「附件-48」, a form's 「○○」.
_PAGE = r"(?:附件\s*[-－]?\s*)?[\dＯ○O]{1,4}(?:\s*[-－–]\s*\d{1,4})?"
#: A table-of-contents entry at the end of a line: text, a leader, a page label (「貳、申請資格 ..... 1」,
#: 「附件伍、… ..... 附件-48」, 「第一章 總則 ······ 3」, a form's 「..... .○○」). Dropped with that
#: reason: a contents page repeats every heading in one block, which then matches any question
#: about the document.
_CONTENTS_LINE = re.compile(rf"{_LEADER}\s*{_PAGE}\s*$")
#: A leader and page label inside a block whose line breaks are gone (a Markdown paragraph of
#: contents lines, an HTML ``<p>`` with ``<br>``): the next entry, or the end, follows the page
#: label; a count (「……3個」, 「……2.5」) does not end an entry.
_CONTENTS_ENTRY = re.compile(rf"{_LEADER}\s*{_PAGE}(?![\d.．,，個人年月日次項件元萬億%％條款頁歲名家組位倍])")
#: What cannot be inside the text of a contents entry (it would be a sentence).
_NOT_IN_ENTRY = re.compile(r"[。！？；!?;\n]")


def _is_cjkish(ch: str) -> bool:
    return bool(_CJK_OR_PUNCT.match(ch))


def _strip(chars: _Chars) -> _Chars:
    a, b = 0, len(chars)
    while a < b and chars[a][0].isspace():
        a += 1
    while b > a and chars[b - 1][0].isspace():
        b -= 1
    return chars[a:b]


def _squeeze(chars: _Chars) -> _Chars:
    """Collapse runs of whitespace to one space (none between CJK characters or next to CJK punctuation)."""
    out: _Chars = []
    pending: tuple[str, int] | None = None
    for ch, off in chars:
        if ch.isspace():
            if out and pending is None:
                pending = (" ", off)
            continue
        if pending is not None:
            if not (_is_cjkish(out[-1][0]) or _is_cjkish(ch)):
                out.append(pending)
            pending = None
        out.append((ch, off))
    return out


def _collapse(chars: _Chars) -> _Chars:
    """Collapse runs of whitespace to one space (plain text: a space may separate fields)."""
    out: _Chars = []
    for ch, off in chars:
        if ch.isspace():
            if out and out[-1][0] == " ":
                continue
            out.append((" ", off))
        else:
            out.append((ch, off))
    return out


def _text(chars: _Chars) -> str:
    return "".join(c for c, _ in chars)


def _mapped(text: str, offsets: list[int], start: int = 0, end: int | None = None) -> _Chars:
    end = len(text) if end is None else end
    return [(text[i], offsets[i]) for i in range(start, end)]


@dataclass
class _Builder:
    """Collects blocks into a :class:`CleanedText`."""

    chars: _Chars = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    section: str = PREFACE
    tables: int = 0

    def emit(self, kind: str, chars: _Chars, meta: dict[str, Any] | None = None) -> None:
        chars = _strip(chars)
        if not chars:
            return
        if self.chars:
            self.chars.append(("\n", -1))
        start = len(self.chars)
        self.chars.extend(chars)
        self.blocks.append(Block(kind, start, len(self.chars), self.section, meta or {}))

    def heading(self, chars: _Chars, meta: dict[str, Any] | None = None, parent: str = "") -> None:
        """Start a section named by ``chars``; under ``parent`` (a section path) when given."""
        chars = _squeeze(_strip(_without_contents(chars, self.dropped)))  # never a section's name
        if not chars:
            return
        self.section = f"{parent}{SECTION_PATH_SEPARATOR}{_text(chars)}" if parent else _text(chars)
        self.emit("heading", chars, meta)

    def table(self, rows: list[list[_Chars]], header_rows: int = 1) -> None:
        """One ``row`` block per body row, each cell preceded by its header cell."""
        rows = [[_squeeze(_strip(c)) for c in row] for row in rows if any(_strip(c) for c in row)]
        if not rows:
            return
        self.tables += 1
        header = rows[0] if header_rows and len(rows) > 1 else []
        body = rows[1:] if header else rows
        used = {i for row in body for i, cell in enumerate(row) if cell}
        if any(cell and i not in used for i, cell in enumerate(header)):
            # A form's columns left blank: the header row is a unit of its own, or it is lost.
            names: _Chars = []
            for cell in (c for c in header if c):
                if names:
                    names.append(("；", -1))
                names.extend(cell)
            self.emit("row", names, {"table": self.tables, "row": 0, "label": f"表{self.tables} 表頭"})
        for r, row in enumerate(body, start=1):
            out: _Chars = []
            for i, cell in enumerate(row):
                if not cell:
                    continue
                if out:
                    out.append(("；", -1))
                name = header[i] if i < len(header) else []
                if name:
                    out.extend(name)
                    out.append(("：", -1))
                out.extend(cell)
            self.emit("row", out, {"table": self.tables, "row": r, "label": f"表{self.tables} 第{r}列"})

    def build(self) -> CleanedText:
        return CleanedText(
            text=_text(self.chars),
            raw_offsets=tuple(o for _, o in self.chars),
            blocks=tuple(self.blocks),
            dropped=tuple(self.dropped),
        )


# -- Markdown ---------------------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    starts.append(len(text) + 1)
    return starts


class _Locator:
    """Finds the raw offsets of parsed text pieces, reading forward through a region."""

    def __init__(self, text: str, offsets: list[int]) -> None:
        self.text = text
        self.offsets = offsets
        self.cursor = 0
        self.limit = len(text)

    def region(self, start: int, end: int) -> None:
        self.cursor, self.limit = start, min(end, len(self.text))

    def locate(self, piece: str) -> _Chars:
        at = self.text.find(piece, self.cursor, self.limit)
        if at >= 0:
            self.cursor = at + len(piece)
            return [(ch, self.offsets[at + i]) for i, ch in enumerate(piece)]
        out: _Chars = []
        for ch in piece:  # entities and escapes: find each character on its own
            at = self.text.find(ch, self.cursor, self.limit)
            if at >= 0:
                self.cursor = at + 1
                out.append((ch, self.offsets[at]))
            else:
                out.append((ch, -1))
        return out


def _inline_chars(token: Any, locator: _Locator) -> _Chars:
    """The text of an inline token, whitespace squeezed; a hard line break (two spaces or a
    backslash at the end of a line: 「**計畫全名**：…  」 then 「**主辦機關**：…」) stays a line
    break, so the lines it separates are sentences of their own."""
    lines: list[_Chars] = [[]]
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            lines[-1].extend(locator.locate(child.content))
        elif child.type == "softbreak":
            lines[-1].append((" ", -1))
        elif child.type == "hardbreak":
            lines.append([])
        elif child.type == "image":
            lines[-1].extend(_inline_chars(child, locator))
    out: _Chars = []
    for line in (_squeeze(_strip(line)) for line in lines):
        if line:
            if out:
                out.append(("\n", -1))
            out.extend(line)
    return out


_MD_LIST_MARKER = re.compile(r"^[ \t>]*(?:\d{1,9}[.)]|[-*+])(?=[ \t])", re.MULTILINE)
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_MD_LINK_TARGET = re.compile(r"\]\(([^)\n]*)\)|<(https?://[^>\s]+)>|^\s*\[[^\]]+\]:\s*\S.*$", re.MULTILINE)
_HTML_TAG = re.compile(r"<!--.*?-->|<[A-Za-z/!][^>]*>", re.DOTALL)
#: A static-site generator's template tag in Markdown (Hugo's 「{{< teaser >}}」 and 「{{% note %}}」,
#: Jekyll's Liquid 「{% include x.html %}」): markup for the page builder, never text to quote.
#: The text between an opening and a closing tag stays.
_TEMPLATE_TAG = re.compile(r"\{\{[<%].*?[%>]\}\}|\{%.*?%\}")


def parse_markdown(
    text: str, offsets: list[int], law_first_article_lines: int = Settings.law_first_article_lines
) -> tuple[CleanedText, dict[str, str]]:
    """Blocks of a Markdown document, and its front matter's ``title``/``publisher`` (if any).

    Args:
        text: The (folded) Markdown text.
        offsets: Raw offset of each character of ``text``.
    """
    import yaml
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)
    tokens = md.parse(text)
    starts = _line_starts(text)
    locator = _Locator(text, offsets)
    out = _Builder()
    meta: dict[str, str] = {}
    for match in _MD_LINK_TARGET.finditer(text):
        out.dropped.append(_dropped(offsets, match.start(), match.end(), "markup: link target"))
    for pattern, reason in ((_HTML_TAG, "markup: HTML tag"), (_MD_LIST_MARKER, "markup: list marker")):
        for match in pattern.finditer(text):
            out.dropped.append(_dropped(offsets, match.start(), match.end(), reason))
    template: set[int] = set()
    for match in _TEMPLATE_TAG.finditer(text):
        out.dropped.append(_dropped(offsets, match.start(), match.end(), "markup: template tag"))
        template.update(offsets[match.start() : match.end()])
    in_item = 0
    marker = ""  # the number of the ordered-list item whose first text is still to come
    law = looks_like_law(text, law_first_article_lines)  # a law written in Markdown: 第一条 … paragraphs
    article: dict[str, Any] | None = None
    row: list[_Chars] = []
    rows: list[list[_Chars]] = []
    region_line = -1
    for i, tok in enumerate(tokens):
        # A new region only where a new line starts: the cells of one table row share a line and
        # are read left to right (two cells may hold the same text).
        if tok.map and tok.map[0] != region_line:
            region_line = tok.map[0]
            locator.region(starts[tok.map[0]], starts[tok.map[1]] - 1)
        if tok.type == "front_matter" and tok.map:
            a, b = starts[tok.map[0]], starts[tok.map[1]] - 1
            out.dropped.append(_dropped(offsets, a, b, "front matter (document metadata)"))
            try:
                data = yaml.safe_load(tok.content) or {}
            except yaml.YAMLError as e:
                log.warning("Front matter is not valid YAML (%s); ignored as metadata", e)
                data = {}
            if isinstance(data, dict):
                meta = {k: str(v) for k, v in data.items() if k in ("title", "publisher") and v}
        elif tok.type == "list_item_open":
            in_item += 1
            # An ordered list's item holds the number a reader sees, as an HTML <ol>'s does
            # (:func:`_list_marker`): 「三大核心領域：」 then 「1. 無人載具應用」 reads as its items.
            number = tok.info.strip() if tok.markup in (".", ")") else ""
            marker = _list_marker("1", int(number)) if number.isdigit() else ""
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "inline":
            parent = tokens[i - 1].type if i else ""
            chars = _inline_chars(tok, locator)
            if template:
                chars = [c for c in chars if c[1] < 0 or c[1] not in template]
            if parent == "heading_open":
                article = None
                out.heading(chars, {"level": int(tokens[i - 1].tag[1:])})
                meta.setdefault("heading_title", _text(chars)) if tokens[i - 1].tag == "h1" else None
            elif parent in ("th_open", "td_open"):
                row.append(chars)
            elif law and not in_item:
                article = _markdown_article(out, chars, article)
            else:
                if in_item and marker:
                    chars = [(c, -1) for c in marker] + chars
                    marker = ""
                out.emit("item" if in_item else "paragraph", chars)
        elif tok.type in ("th_open", "td_open") and tokens[i + 1].type != "inline":
            row.append([])
        elif tok.type == "tr_close":
            rows.append(row)
            row = []
        elif tok.type == "table_close":
            out.table(rows)
            rows = []
        elif tok.type in ("fence", "code_block") and tok.map:
            body_start = starts[tok.map[0] + (1 if tok.type == "fence" else 0)]
            locator.region(body_start, starts[tok.map[1]] - 1)
            for line in tok.content.split("\n"):
                out.emit("paragraph", locator.locate(line))
        elif tok.type == "html_block" and tok.map:
            a = starts[tok.map[0]]
            sub = _html_blocks(text[a : a + len(tok.content)], offsets[a : a + len(tok.content)], out)
            out.dropped.extend(sub)
    if "title" not in meta and "heading_title" in meta:
        meta["title"] = meta["heading_title"]
    meta.pop("heading_title", None)
    return out.build(), meta


def _markdown_article(out: _Builder, chars: _Chars, article: dict[str, Any] | None) -> dict[str, Any] | None:
    """A paragraph of a law in Markdown: ``第二条 本法所称…`` starts an article, the paragraphs
    after it belong to it. Returns the article now open."""
    match = _ARTICLE_START.match(_text(chars))
    if match and match.end() < len(chars):
        arabic, chinese = article_label(match.group(1), match.group(2) or match.group(3))
        article = {"article": arabic, "article_zh": chinese, "label": arabic}
        out.emit("heading", chars[: match.end()], {"article": arabic})
        chars = chars[match.end() :]
    if article is None:
        out.emit("paragraph", chars)
    else:
        out.emit("article", chars, dict(article))
    return article


def _dropped(offsets: list[int], start: int, end: int, reason: str) -> Dropped:
    positions = [o for o in offsets[start:end] if o >= 0] or [0]
    return Dropped(min(positions), max(positions) + 1, reason)


# -- HTML ---------------------------------------------------------------------------------

_HEADING_TAGS = {f"h{i}" for i in range(1, 7)}
_BLOCK_TAGS = {
    "p", "div", "li", "dt", "dd", "blockquote", "pre", "section", "article", "main", "header", "footer",
    "caption", "figcaption", "address", "br", "ul", "ol", "dl", "table", "body", "nav", "aside", "form",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "template"}
#: A page's navigation, and its banner and footer (a ``<header>``/``<footer>`` outside any
#: ``<article>`` or ``<main>``): site menus, search boxes, copyright lines, the same on every page
#: of a site. Left out with that reason; an article's own ``<header>`` (its title) is kept.
_PAGE_CHROME_TAGS = {"nav", "header", "footer"}
_CONTENT_TAGS = {"article", "main"}
#: WAI-ARIA roles of a labelled part of a page (a tab's panel, an accordion's region): the part
#: is a section named by its label, under the section it sits in, until it closes
#: (https://www.w3.org/TR/wai-aria-1.2/#tabpanel, #region). A ``<details>`` element is the same,
#: named by its ``<summary>``.
_LABELLED_ROLES = {"tabpanel", "region"}
#: Elements that hold a card of a page's layout: a few short lines that are one record (a
#: programme's 「Phase 1 / NT $1,000,000 / 6 months」, a contact box's 「Website: … / Email: …」).
_CARD_TAGS = {"div", "p", "li", "dd", "section", "address"}
#: The end of a line that is a sentence of its own (it never joins a card).
_CARD_LINE_END = re.compile(r"[.。!?！？;；][\"'”’)）」』]*$")
_LABELLED_BY = re.compile(r"""aria-labelledby\s*=\s*["']([^"']+)["']""")


@dataclass
class _OpenList:
    """An open <ol>: its numbering type (``1``, ``a``, ``A``, ``i``, ``I``) and the number of its
    last item so far (its ``start`` less one before the first)."""

    kind: str
    last: int

    @classmethod
    def of(cls, attrs: dict[str, str | None]) -> _OpenList:
        """The list an <ol> tag with these attributes opens."""
        start = (attrs.get("start") or "").strip()
        kind = (attrs.get("type") or "1").strip()
        return cls(
            kind if kind in ("1", "a", "A", "i", "I") else "1",
            int(start) - 1 if start.lstrip("-").isdigit() else 0,
        )


_ROMAN = (
    ("m", 1000),
    ("cm", 900),
    ("d", 500),
    ("cd", 400),
    ("c", 100),
    ("xc", 90),
    ("l", 50),
    ("xl", 40),
    ("x", 10),
    ("ix", 9),
    ("v", 5),
    ("iv", 4),
    ("i", 1),
)


def _list_marker(kind: str, n: int) -> str:
    """The marker a browser shows before item ``n`` of an <ol> of numbering ``kind`` (``3. ``,
    ``c. ``, ``iii. ``): written into the text (with no raw offset), so that 「第3點」 and the
    answer's quote have the number the reader sees."""
    if kind in ("a", "A") and 1 <= n <= 26:
        label = chr(ord("a") + n - 1)
    elif kind in ("i", "I") and 1 <= n < 4000:
        label, rest = "", n
        for numeral, value in _ROMAN:
            while rest >= value:
                label, rest = label + numeral, rest - value
    else:
        label = str(n)
    return f"{label.upper() if kind in ('A', 'I') else label}. "


@dataclass
class _Part:
    """A labelled part of a page that is open: its tag, how deep that tag nests, the section it is in."""

    tag: str
    parent: str
    depth: int = 1


class _HtmlReader(HTMLParser):
    """Turns HTML into blocks; data positions come from the parser, so offsets stay exact."""

    def __init__(self, text: str, offsets: list[int], out: _Builder) -> None:
        super().__init__(convert_charrefs=False)
        self.src = text
        self.src_offsets = offsets
        self.starts = _line_starts(text)
        self.out = out
        self.current: _Chars = []
        self.kind = "paragraph"
        self.skip = 0
        self.skip_from = 0
        self.skip_tags: list[str] = []
        self.content_depth = 0
        self.in_title = False
        self.title: _Chars = []
        self.heading = False
        self.list_depth = 0
        # Per open list, innermost last: an <ol>'s numbering type and the number of its last item
        # (None for a <ul>). A browser shows the number; the text must hold it too (:func:`_list_marker`).
        self.numbering: list[_OpenList | None] = []
        self.rows: list[list[_Chars]] | None = None
        self.row: list[_Chars] | None = None
        self.cell: _Chars | None = None
        self.dropped: list[Dropped] = []
        # Elements other elements are labelled by (aria-labelledby): their text, read as it comes.
        self.wanted = {name for m in _LABELLED_BY.finditer(text) for name in m.group(1).split()}
        self.labels: dict[str, _Chars] = {}
        self.reading: list[tuple[str, str, list[int], _Chars]] = []  # (id, tag, [depth], chars)
        self.parts: list[_Part] = []
        self.summary: _Part | None = None
        # Cards (_CARD_TAGS elements) open now, by serial number, and the cards each emitted
        # paragraph is inside (block index → serials, outermost first).
        self.cards: list[tuple[str, int]] = []
        self.serial = 0
        self.inside: dict[int, tuple[int, ...]] = {}

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.starts[line - 1] + col

    def _flush(self) -> None:
        if self.heading:
            self.out.heading(self.current)
        else:
            before = len(self.out.blocks)
            self.out.emit(self.kind, _squeeze(self.current))
            for i in range(before, len(self.out.blocks)):
                self.inside[i] = tuple(n for _, n in self.cards)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CONTENT_TAGS:
            self.content_depth += 1
        if self._skipped(tag):
            if not self.skip:
                self.skip_from = self._pos()
            self.skip += 1
            self.skip_tags.append(tag)
            return
        if self.skip:
            return
        self._open_part(tag, dict(attrs))
        if tag == "title":
            self.in_title = True
        elif tag == "summary" and self.parts and self.parts[-1].tag == "details":
            self._flush()
            self.summary = self.parts[-1]
            self.heading = True
        elif tag in _HEADING_TAGS:
            self._flush()
            self.heading = True
        elif tag == "table":
            self._flush()
            self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag in _BLOCK_TAGS and self.cell is None:
            self._flush()
            if tag in ("ul", "ol"):
                self.list_depth += 1
                self.numbering.append(_OpenList.of(dict(attrs)) if tag == "ol" else None)
            self.kind = "item" if self.list_depth and tag == "li" else "paragraph"
            if tag == "li" and self.numbering and (open_list := self.numbering[-1]) is not None:
                value = dict(attrs).get("value")
                open_list.last = int(value) if value and value.strip().isdigit() else open_list.last + 1
                self.current.extend((c, -1) for c in _list_marker(open_list.kind, open_list.last))
        if tag in _CARD_TAGS and self.cell is None:
            self.serial += 1
            self.cards.append((tag, self.serial))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.skip:
            self._target().append(("\n", -1))

    def handle_endtag(self, tag: str) -> None:
        if tag in _CONTENT_TAGS:
            self.content_depth = max(0, self.content_depth - 1)
        if self.skip_tags and tag == self.skip_tags[-1]:
            self.skip_tags.pop()
            self.skip = max(0, self.skip - 1)
            if not self.skip:
                end = self.src.find(">", self._pos()) + 1
                what = "page navigation, banner or footer" if tag in _PAGE_CHROME_TAGS else "content"
                self.dropped.append(_dropped(self.src_offsets, self.skip_from, end, f"<{tag}> {what}"))
            return
        if self.skip:
            return
        self._close_part(tag)
        if tag == "title":
            self.in_title = False
        elif tag == "summary" and self.summary is not None:
            self.out.heading(self.current, parent=self.summary.parent)
            self.current, self.heading, self.summary = [], False, None
        elif tag in _HEADING_TAGS:
            self._flush()
            self.heading = False
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.rows is not None and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "table" and self.rows is not None:
            self.out.table(self.rows)
            self.rows = None
        elif tag in _BLOCK_TAGS and self.cell is None:
            self._flush()
            if tag in ("ul", "ol"):
                self.list_depth = max(0, self.list_depth - 1)
                if self.numbering:
                    self.numbering.pop()
            self.kind = "item" if self.list_depth else "paragraph"
        if tag in _CARD_TAGS and self.cell is None:
            at = next((i for i in range(len(self.cards) - 1, -1, -1) if self.cards[i][0] == tag), None)
            if at is not None:  # an end tag with no start tag closes nothing
                self._flush()
                del self.cards[at:]

    def _open_part(self, tag: str, attrs: dict[str, str | None]) -> None:
        """Count nesting of what is being read; a labelled part opens a section named by its label."""
        for _, name, depth, _chars in self.reading:
            depth[0] += tag == name
        for part in self.parts:
            part.depth += tag == part.tag
        if attrs.get("id") in self.wanted:
            self.reading.append((str(attrs["id"]), tag, [1], []))
        label: _Chars = []
        if attrs.get("role") in _LABELLED_ROLES:
            for name in (attrs.get("aria-labelledby") or "").split():
                label.extend(self.labels.get(name, []))
            if not label and attrs.get("aria-label"):
                label = [(ch, -1) for ch in str(attrs["aria-label"])]
        if label or tag == "details":
            self._flush()
            self.parts.append(_Part(tag, self.out.section))
            if label:
                self.out.heading(label, parent=self.out.section)

    def _close_part(self, tag: str) -> None:
        """End what closes with ``tag``: a label being read, a labelled part (its section ends)."""
        for entry in list(self.reading):
            name, element, depth, chars = entry
            depth[0] -= tag == element
            if depth[0] == 0:
                self.reading.remove(entry)
                self.labels[name] = chars
        for part in self.parts:
            part.depth -= tag == part.tag
        while self.parts and self.parts[-1].depth <= 0:
            self._flush()
            self.out.section = self.parts.pop().parent

    def _skipped(self, tag: str) -> bool:
        """Whether ``tag`` opens content left out: scripts and styles, or the page's chrome."""
        if tag in _SKIP_TAGS:
            return True
        return tag == "nav" or (tag in _PAGE_CHROME_TAGS and not self.content_depth)

    def _target(self) -> _Chars:
        if self.in_title:
            return self.title
        return self.cell if self.cell is not None else self.current

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        at = self._pos()
        chars = [(ch, self.src_offsets[at + i]) for i, ch in enumerate(data)]
        self._target().extend(chars)
        for *_, label in self.reading:
            label.extend(chars)

    def _reference(self, written: str) -> None:
        """A character reference as the page writes it (``&amp;``, ``&#8211;``, or an ampersand
        that starts none: ``R&D``). What a browser shows for it is kept, each character mapped to
        the reference's raw offset; an ampersand that is no reference (``html.unescape`` leaves it
        as written) stays text, each character at its own offset, so later offsets do not drift."""
        import html

        if self.skip:
            return
        at = self._pos()
        if self.src.startswith(written + ";", at):
            written += ";"  # the parser consumed the semicolon that ends the reference
        shown = html.unescape(written)
        if shown == written:
            chars = [(ch, self.src_offsets[at + i]) for i, ch in enumerate(written)]
        else:
            chars = [(ch, self.src_offsets[at]) for ch in shown]
            if not written.endswith(";"):  # ``&copy 2024``: _ENTITY finds only those with one
                self.dropped.append(
                    _dropped(self.src_offsets, at, at + len(written), "markup: character reference")
                )
        self._target().extend(chars)
        for *_, label in self.reading:
            label.extend(chars)

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name}")

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name}")

    def close(self) -> None:
        super().close()
        self._flush()


def _join_cards(out: _Builder, inside: dict[int, tuple[int, ...]], line_chars: int, card_chars: int) -> None:
    """Join each card of a page's layout into one paragraph: the lines of the outermost element
    whose lines are all short (at most ``line_chars``: ``Settings.card_line_chars``), none a
    sentence of its own, two or more and at most ``card_chars`` (``Settings.card_chars``) together (「Pilot Study / Preliminary Planning, Phase 1,
    NT $1,000,000, 6 months」: the amount is read with the phase it belongs to). Lines are joined
    by a comma (「，」 between Chinese), or a space after a label's colon or a slash."""
    blocks = out.blocks
    members: dict[int, list[int]] = {}
    for i, serials in inside.items():
        for serial in serials:
            members.setdefault(serial, []).append(i)

    def line_ok(i: int) -> bool:
        text = _text(out.chars[blocks[i].start : blocks[i].end])
        return (
            blocks[i].kind == "paragraph"
            and len(text) <= line_chars
            and not _CARD_LINE_END.search(text)
            and not LIST_MARKER.match(text)  # an item of a list
            and not _ARTICLE_START.match(text)  # a law's article label: the law reader's
        )

    groups: list[list[int]] = []
    taken: set[int] = set()
    for serial in sorted(members):  # opened first = outermost first
        run = sorted(members[serial])
        if (
            len(run) < 2
            or taken.intersection(run)
            or run[-1] - run[0] != len(run) - 1
            or not all(line_ok(i) for i in run)
            or sum(blocks[i].end - blocks[i].start for i in run) > card_chars
        ):
            continue
        groups.append(run)
        taken.update(run)
    if not groups:
        return
    first_of = {run[0]: run for run in groups}
    chars: _Chars = []
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        run = first_of.get(i, [i])
        joined: _Chars = []
        for j in run:
            line = out.chars[blocks[j].start : blocks[j].end]
            if joined:
                cjk = _is_cjkish(joined[-1][0]) or _is_cjkish(line[0][0])
                if joined[-1][0] in ":：/":
                    sep = "" if cjk else " "
                else:
                    sep = "，" if cjk else ", "
                joined.extend((ch, -1) for ch in sep)
            joined.extend(line)
        if chars:
            chars.append(("\n", -1))
        b = blocks[i]
        kept.append(Block(b.kind, len(chars), len(chars) + len(joined), b.section, b.meta))
        chars.extend(joined)
        i = run[-1] + 1
    out.chars, out.blocks = chars, kept


def _html_blocks(
    text: str, offsets: list[int], out: _Builder, settings: Settings | None = None
) -> list[Dropped]:
    reader = _HtmlReader(text, offsets, out)
    reader.feed(text)
    reader.close()
    s = settings or Settings()
    _join_cards(out, reader.inside, s.card_line_chars, s.card_chars)
    for pattern, reason in ((_HTML_TAG, "markup: HTML tag"), (_ENTITY, "markup: character reference")):
        for match in pattern.finditer(text):
            reader.dropped.append(_dropped(offsets, match.start(), match.end(), reason))
    if reader.title:
        title = _text(_squeeze(_strip(reader.title)))
        out.dropped.append(Dropped(-1, -1, f"title:{title}"))
    return reader.dropped


def parse_html(
    text: str, offsets: list[int], settings: Settings | None = None
) -> tuple[CleanedText, dict[str, str]]:
    """Blocks of an HTML page, and its ``<title>`` (or first heading) as the document title
    (``settings``: ``card_line_chars``, ``card_chars``; None: the defaults)."""
    out = _Builder()
    dropped = _html_blocks(text, offsets, out, settings or Settings())
    meta: dict[str, str] = {}
    for d in list(out.dropped):
        if d.reason.startswith("title:"):
            meta["title"] = d.reason[len("title:") :]
            out.dropped.remove(d)
            dropped.append(_dropped(offsets, *_title_span(text), "the <title> (document title)"))
    out.dropped.extend(dropped)
    if "title" not in meta:
        first = next((b for b in out.blocks if b.kind == "heading"), None)
        if first is not None:
            meta["title"] = _text(out.chars[first.start : first.end])
    return out.build(), meta


def _title_span(text: str) -> tuple[int, int]:
    match = re.search(r"<title[^>]*>.*?</title>", text, re.IGNORECASE | re.DOTALL)
    return (match.start(), match.end()) if match else (0, 0)


# -- law texts ----------------------------------------------------------------------------------


def _arabic(number: str) -> int | None:
    return chinese_number(number)


def _chinese(n: int) -> str:
    import cn2an

    return str(cn2an.an2cn(str(n)))


def article_label(number: str, sub: str | None = None) -> tuple[str, str]:
    """The label of an article in Arabic and in Chinese numerals: ``("第4-1條", "第四條之一")``."""
    n = _arabic(number)
    if n is None:
        return f"第{number}條", f"第{number}條"
    s = _arabic(sub) if sub else None
    if s:
        return f"第{n}-{s}條", f"第{_chinese(n)}條之{_chinese(s)}"
    return f"第{n}條", f"第{_chinese(n)}條"


def looks_like_law(text: str, first_article_lines: int = Settings.law_first_article_lines) -> bool:
    """True when the text is a law: its first article label comes within the first
    ``first_article_lines`` non-blank lines (``Settings.law_first_article_lines``: title, dates,
    first chapter) (a guide quoting a regulation on page 9 is no law), and
    at least two lines are article labels (``第 3 條``) or three start with one followed by the
    article's text (``第一条 为了…``)."""
    alone = inline = 0
    lines = [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("<!--")]
    for n, line in enumerate(lines):
        match = _ARTICLE.match(line.lstrip("#> "))
        if not match and not (alone or inline) and n >= first_article_lines:
            return False
        if match:
            if match.group(4):
                inline += 1
            else:
                alone += 1
            if alone >= 2 or inline >= 3:
                return True
    return False


def parse_law(text: str, offsets: list[int]) -> tuple[CleanedText, dict[str, str]]:
    """One ``article`` block per article (its paragraphs one per line), chapters as sections.

    The document's first line is its title.
    """
    out = _Builder()
    meta: dict[str, str] = {}
    chapter = PREFACE
    article: dict[str, Any] | None = None
    body: _Chars = []
    previous = ""
    pos = 0

    def flush() -> None:
        nonlocal body
        if body and article is not None:
            out.section = chapter
            out.emit("article", body, dict(article))
        body = []

    for line in text.split("\n"):
        chars = _mapped(text, offsets, pos, pos + len(line))
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if "title" not in meta and not out.blocks and not SENTENCE_PUNCT.search(stripped):
            meta["title"] = stripped
            out.heading(chars)
            continue
        chapter_match = _CHAPTER.match(line)
        article_match = _ARTICLE.match(line) if not chapter_match else None
        if chapter_match and chapter_match.group(2) in "章編":
            flush()
            article = None
            heading = [(c, o) for c, o in chars if not c.isspace()]
            name = chapter_match.group(3).strip()
            label = _text(heading)[: len(_text(heading)) - len(name.replace(" ", ""))]
            out.section = f"{label} {name}".strip()
            chapter = out.section
            out.emit("heading", chars)
            continue
        if article_match:
            flush()
            arabic, chinese = article_label(
                article_match.group(1), article_match.group(2) or article_match.group(3)
            )
            article = {"article": arabic, "article_zh": chinese, "label": arabic}
            rest = article_match.group(4)
            out.section = chapter
            label_end = line.index(rest) if rest else len(line)
            out.emit("heading", chars[:label_end], {"article": arabic})
            if rest:
                body.extend(chars[label_end:])
            previous = rest or ""
            continue
        if article is None:
            out.emit("paragraph", chars)
            continue
        line_chars = _strip(chars)
        if body and not wraps_into(previous, stripped):
            body.append(("\n", -1))
        elif body and not (_is_cjkish(body[-1][0]) or _is_cjkish(line_chars[0][0])):
            body.append((" ", -1))  # a wrap between two Latin words or numbers
        body.extend(line_chars)
        previous = stripped
    flush()
    return out.build(), meta


def wraps_into(previous: str, line: str) -> bool:
    """Whether ``line`` continues ``previous`` broken mid-sentence (a hard line wrap of a law as
    printed, or a PDF's wrapped line): ``previous`` ends no sentence or clause (no 。；： at its end,
    closing quotes aside) and ``line`` starts no list item, article or table row.

    A law as 全國法規資料庫 gives it has one paragraph a line, each ending in 。 or ：; the same law
    printed (a PDF, a gazette copy) wraps at the page width, mid-sentence.
    """
    previous, line = previous.strip(), line.strip()
    if not previous or not line or previous.startswith("|") or line.startswith("|"):
        return False
    if _LINE_END.search(previous.rstrip(_CLOSERS)) or LIST_MARKER.match(line) or _ARTICLE_START.match(line):
        return False
    return True


def articles_from_blocks(cleaned: CleanedText) -> CleanedText:
    """A law laid out in blocks (an HTML page of 全國法規資料庫, a Markdown law with ``### 第 1 條``
    headings) read as :func:`parse_law` reads a law text: one ``article`` block per article.

    A block whose whole text is an article label (``第 1 條``, ``第 10-1 條``, ``第二條之一``) opens an
    article; the paragraphs and list items after it, up to the next label or heading, are its
    paragraphs (one per line). A block that is a chapter label (``第 一 章 總則``) is the section of
    the articles after it. Other blocks keep their kind, section and metadata. A document with
    fewer than two article labels is returned as it is.
    """
    text = cleaned.text
    labels = sum(
        1
        for b in cleaned.blocks
        if b.kind in ("heading", "paragraph")
        and (m := _ARTICLE.match(text[b.start : b.end]))
        and not m.group(4)
    )
    if labels < 2:
        return cleaned
    out = _Builder(dropped=list(cleaned.dropped))
    chapter = ""
    article: dict[str, Any] | None = None
    body: _Chars = []

    def flush() -> None:
        nonlocal body
        if body and article is not None:
            out.emit("article", body, dict(article))
        body = []

    for b in cleaned.blocks:
        chars = list(zip(text[b.start : b.end], cleaned.raw_offsets[b.start : b.end], strict=True))
        line = text[b.start : b.end]
        chapter_match = (
            _CHAPTER.match(line) if b.kind in ("heading", "paragraph") and "\n" not in line else None
        )
        article_match = (
            _ARTICLE.match(line) if b.kind in ("heading", "paragraph") and not chapter_match else None
        )
        if chapter_match and chapter_match.group(2) in "章編":
            flush()
            article = None
            name = chapter_match.group(3).strip()
            label = re.sub(r"\s+", "", line.strip()[: len(line.strip()) - len(name)])
            chapter = out.section = f"{label} {name}".strip()
            out.emit("heading", chars)
        elif article_match and not article_match.group(4):
            flush()
            arabic, chinese = article_label(
                article_match.group(1), article_match.group(2) or article_match.group(3)
            )
            article = {"article": arabic, "article_zh": chinese, "label": arabic}
            out.section = chapter or (b.section if b.kind != "heading" else out.section)
            out.emit("heading", chars, {"article": arabic})
        elif article is not None and b.kind in ("paragraph", "item"):
            if body:
                body.append(("\n", -1))
            body.extend(chars)
        else:
            flush()
            article = None
            out.section = b.section
            out.emit(b.kind, chars, dict(b.meta))
    flush()
    return out.build()


# -- plain text (and text extracted from PDFs) -------------------------------------------------


def _paragraphs(text: str) -> Iterable[list[tuple[int, int]]]:
    """Line spans grouped into paragraphs at blank lines (and page breaks)."""
    group: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.replace("\f", "").strip():
            if group:
                yield group
            group = []
            continue
        group.append((start, end))
    if group:
        yield group


def _cells(chars: _Chars) -> list[_Chars]:
    cells: list[_Chars] = [[]]
    for ch, off in _strip(chars):
        if ch == "|":
            cells.append([])
        else:
            cells[-1].append((ch, off))
    if cells and not _strip(cells[0]):
        cells = cells[1:]
    if cells and not _strip(cells[-1]):
        cells = cells[:-1]
    return cells


def _join_lines(lines: list[_Chars]) -> _Chars:
    out: _Chars = []
    for line in lines:
        line = _strip(line)
        if not line:
            continue
        if out and not (_is_cjkish(out[-1][0]) or _is_cjkish(line[0][0])):
            out.append((" ", -1))
        out.extend(line)
    return out


def _apart_at_headings(
    groups: Iterable[list[tuple[int, int]]], text: str, offsets: list[int], dropped: list[Dropped]
) -> Iterable[tuple[list[tuple[int, int]], bool]]:
    """Paragraph line groups cut at official headings (each its own group, flagged True), with
    table-of-contents lines dropped (``dropped`` gets them, reason ``table of contents``)."""
    for group in groups:
        part: list[tuple[int, int]] = []
        for a, b in group:
            line = text[a:b]
            if _CONTENTS_LINE.search(line):
                dropped.append(_dropped(offsets, a, b, "table of contents"))
            elif _OFFICIAL_HEADING.match(line):
                if part:
                    yield part, False
                    part = []
                yield [(a, b)], True
            else:
                part.append((a, b))
        if part:
            yield part, False


#: A line that dates the document, its metadata and never a heading: when it was issued or revised
#: (「中華民國114年12月17日修正」, 「中華民國一百十四年十二月三十日府青創字第1143000000號函修正」,
#: 「114年12月30日府青創字第…號函修正第三點」, 「修正日期：民國114年12月30日」, a form's
#: 「中華民國○年○月」): a date (年 and 月, maybe 日) and at most a word of issue after it.
_DATED_LINE = re.compile(
    rf"^\s*(?:中\s*華\s*民\s*國|民\s*國)?\s*[{_CN_NUMBER}○〇\d]{{1,6}}\s*年\s*[{_CN_NUMBER}○〇\d]{{1,3}}\s*月"
    rf"(?:\s*[{_CN_NUMBER}○〇\d]{{1,3}}\s*日)?(?:\s*\S*?(?:修正|修訂|增訂|訂定|公告|發布|發佈|頒布|頒行|核定|核備|"
    r"施行|實施|生效|廢止|函|令)\S{0,20})?\s*$"
    r"|^\s*(?:修正|修訂|訂定|發布|公告|施行|生效|核定)(?:日期|時間)\s*[：:]"
)
#: Punctuation a heading line has none of.
_CLAUSE_PUNCT = re.compile("[，。、；：？！,.;:?!]")
#: How a line ends a unit of its own: the next line is no wrap of it.
_LINE_END = re.compile("[。！？；：!?;:]$")


def _over_page_breaks(
    groups: list[tuple[list[tuple[int, int]], bool]], text: str, heading_chars: int
) -> list[tuple[list[tuple[int, int]], bool]]:
    """Paragraph groups with a paragraph that runs over a page break made one again.

    A group that starts on a new page continues the group before when that one does not end its
    sentence or clause (no 。：… at its end), is no heading (a single short line), and the new
    page's first line starts no list item, heading or table row.
    """
    out: list[tuple[list[tuple[int, int]], bool]] = []
    for group, heading in groups:
        if out and not heading and not out[-1][1]:
            before, _ = out[-1]
            last = text[before[-1][0] : before[-1][1]].strip()
            first = text[group[0][0] : group[0][1]].replace("\f", "").strip()
            if (
                "\f" in text[before[-1][1] : group[0][0] + 1]
                and not _LINE_END.search(last)
                and not (len(before) == 1 and len(last) <= heading_chars and not _CLAUSE_PUNCT.search(last))
                and not last.startswith("|")
                and not first.startswith("|")
                and not LIST_MARKER.match(first)
            ):
                out[-1] = (before + group, False)
                continue
        out.append((group, heading))
    return out


def _pieces(lines: list[_Chars], texts: list[str]) -> list[list[_Chars]]:
    """The blocks of one punctuated paragraph group: wrapped lines joined, a list item apart.

    A line that starts a list item or an article (「第 21 條：其他條款」) starts a block when the
    group is a list (half its lines are items) or the line before ends a clause (「如下：」); any other line continues the block before
    (a line broken mid-sentence), unless in a list the line before ends its sentence.
    """
    listy = sum(bool(LIST_MARKER.match(t)) for t in texts) >= max(1, len(texts) // 2)
    pieces: list[list[_Chars]] = []
    previous = ""
    for line, t in zip(lines, texts, strict=True):
        ended = bool(_LINE_END.search(previous))
        starts = LIST_MARKER.match(t) or _ARTICLE_START.match(t)  # an item, or an article (第 21 條：…)
        if not pieces or (starts and (listy or ended)) or (listy and ended):
            pieces.append([line])
        else:
            pieces[-1].append(line)
        previous = t
    return pieces


def parse_plain(
    text: str,
    offsets: list[int],
    heading_chars: int = Settings.heading_chars,
    numbered: bool = Settings.numbered_sections,
    title_chars: int = Settings.title_chars,
) -> tuple[CleanedText, dict[str, str]]:
    """Paragraphs, list items, headings and pipe tables of plain text (or a PDF's text).

    A paragraph which has no sentence or clause punctuation at all (a list of 120 items, a table
    pasted as lines) keeps each line as a block of its own; other paragraphs join lines broken mid-sentence
    and keep list items apart (:func:`_pieces`); a paragraph broken by a page break is joined again
    (:func:`_over_page_breaks`). A short line (at most ``heading_chars``,
    ``Settings.heading_chars``) without punctuation standing alone before more text is a
    heading; the first such line is the document's title (the first line of the text may be as
    long as ``title_chars``: a title joined from several printed lines). A line that dates the
    document (「中華民國114年12月17日修正」, :data:`_DATED_LINE`) is text, never a heading.
    """
    out = _Builder()
    meta: dict[str, str] = {}
    title_section = ""  # the title's heading as a section name (spaces squeezed)
    groups = _over_page_breaks(
        list(_apart_at_headings(_paragraphs(text), text, offsets, out.dropped)), text, heading_chars
    )
    for g, (group, official_heading) in enumerate(groups):
        lines = [_mapped(text, offsets, a, b) for a, b in group]
        texts = [text[a:b].replace("\f", "").strip() for a, b in group]
        if official_heading:
            out.heading(lines[0])
            continue
        if all(t.startswith("|") and t.endswith("|") for t in texts) and (
            len(texts) >= 2 or "|" in texts[0][1:-1]
        ):
            rows = []
            for (a, b), t in zip(group, texts, strict=True):
                if _PIPE_SEPARATOR.match(t):
                    out.dropped.append(_dropped(offsets, a, b, "markup: table rule"))
                else:
                    rows.append(_cells(_mapped(text, offsets, a, b)))
            out.table(rows)
            continue
        if len(texts) == 1 and texts[0].startswith("#"):
            out.heading([(c, o) for c, o in lines[0] if c != "#"])
            continue
        if (
            len(texts) == 1
            and len(texts[0]) <= (title_chars if not out.blocks else heading_chars)
            and not _CLAUSE_PUNCT.search(texts[0])
            and not LIST_MARKER.match(texts[0])
            and not _DATED_LINE.match(texts[0])
            and g + 1 < len(groups)
        ):
            titled = "title" not in meta and not out.blocks
            out.heading(lines[0])
            if titled:
                meta["title"], title_section = texts[0], out.section
            continue
        # No sentence or clause punctuation at all: a list of lines, not prose wrapped over lines.
        unpunctuated = not any(SENTENCE_PUNCT.search(t) or "，" in t or "：" in t for t in texts)
        if len(texts) > 1 and unpunctuated:
            for line, t in zip(lines, texts, strict=True):
                out.emit("item" if LIST_MARKER.match(t) else "paragraph", _collapse(line))
            continue
        for piece in _pieces(lines, texts):
            kind = "item" if LIST_MARKER.match(_text(_strip(piece[0]))) else "paragraph"
            out.emit(kind, _collapse(_join_lines(piece)))
    if not numbered:  # Settings.numbered_sections
        return out.build(), meta
    return numbered_sections(out.build(), heading_chars, title_section), meta


# -- numbered headings (guides, 須知, 要點) -------------------------------------------------------

#: Numbering markers by kind, at the start of a block: 「一、」, 「(一)」, 「1.」, 「(1)」. The kinds
#: nest in the order a document first uses them (a guide's 一、 holds (一), which holds 1.).
_NUMBERINGS = (
    ("han", re.compile(r"\s*([一二三四五六七八九十]{1,3})\s*、")),
    ("paren_han", re.compile(r"\s*[(（]\s*([一二三四五六七八九十]{1,3})\s*[)）]")),
    ("dot", re.compile(r"\s*(\d{1,2})\s*[.．、](?!\d)")),
    ("paren", re.compile(r"\s*[(（]\s*(\d{1,2})\s*[)）]")),
)
#: Kinds whose points are sections of a guide when their run holds sub-points; Arabic-numbered
#: items never are, since lists with sub-items are far commoner at that level.
_POINT_KINDS = ("han", "paren_han")
#: Where the lead of a numbered point ends: its run-in heading or first sentence.
_LEAD_END = re.compile("[：:。；;！？!?]")


@dataclass
class _Point:
    """One numbered point of a guide: its block, marker, level and what is under it."""

    block: int
    kind: str
    number: int
    parent: int  # index of the enclosing point in the point list, -1 at the top
    epoch: int  # which heading-delimited part of the document it is in
    name: str
    heading_line: bool
    has_children: bool = False


def _numbering(text: str) -> tuple[str, int, int] | None:
    """(kind, number, marker end) of the numbering at the start of ``text``, or None."""
    for kind, pattern in _NUMBERINGS:
        match = pattern.match(text)
        if match:
            number = chinese_number(match.group(1))
            if number is not None:
                return kind, number, match.end()
    return None


def _point_name(text: str, marker_end: int, heading_chars: int) -> tuple[str, bool]:
    """The section name of a numbered point and whether the point is a heading line of its own.

    A heading line (「一、應備資料」, 「六、其他」) is short (``heading_chars``), one line, and has no
    clause punctuation after its marker: its whole text is the name. Otherwise the name is the
    marker and the point's lead (up to its first ：。；), cut at its first comma when longer than
    ``heading_chars``, and at ``heading_chars`` (with 「…」) when still longer.
    """
    body = text[marker_end:].strip()
    label = text[:marker_end].strip()
    if "\n" not in text and len(text.strip()) <= heading_chars and not _CLAUSE_PUNCT.search(body):
        return text.strip(), True
    lead = body.split("\n", 1)[0]
    stop = _LEAD_END.search(lead)
    lead = lead[: stop.start()] if stop else lead
    if len(lead) > heading_chars:
        comma = lead.find("，")
        lead = lead[:comma] if 0 < comma <= heading_chars else lead[:heading_chars] + "…"
    depth, cut = 0, len(lead)
    for i, ch in enumerate(lead):  # a cut inside brackets (「報告書(1式1份」) goes back before them
        if ch in "(（「":
            cut, depth = (i if depth == 0 else cut), depth + 1
        elif ch in ")）」" and depth:
            depth -= 1
            cut = len(lead) if depth == 0 else cut
    return f"{label}{lead[:cut] if depth and cut else lead}", False


def numbered_sections(
    cleaned: CleanedText, heading_chars: int = Settings.heading_chars, title: str = ""
) -> CleanedText:
    """Sections of a guide numbered 一、 (一) 1. (1) with no heading lines of their own.

    Administrative rules and guides (須知, 要點) number their points 一、二、… with sub-points (一)(二)…
    and items 1. (1) below; a PDF of one has no other headings, so every passage was in 前言.
    A numbered block starts a point when its number continues its level's sequence (the first
    of a level is 1; another level's marker or a heading in between closes the deeper levels).
    A top-level run of 一、 or (一) points (the siblings before any deeper level) is a guide's
    structure when it has two or more points and one of them is a heading line or holds points
    of a deeper level; then each of its points that is a heading line or holds sub-points is a
    section, and a one-line point (nothing under it) stays in the section around it, so short
    points are not passages of their own. A list inside a paragraph (「下列各款：(一)…(二)…」, whose
    items have no sub-points) stays items. Arabic-numbered runs (1. (1)) are never sections: lists
    with sub-items are far commoner at that level. A sub-point with items of its own is a section
    inside its point. An article line (「第 7 條：…」) closes the points open before it; the
    points after it are the article's items (款: 「一、乙方有下列情形之一者：」), not sections.

    A block's section becomes its heading's section, then the names of its enclosing section
    points joined by :data:`SECTION_PATH_SEPARATOR` (the heading left out when it is 前言 or the
    document's ``title``); a point
    that is a heading line becomes a ``heading`` block. Text and offsets do not change.

    Args:
        cleaned: Blocks of a plain text or PDF (:func:`parse_plain`).
        heading_chars: Longest heading line (``Settings.heading_chars``), also the longest lead
            taken whole as a point's name.
        title: The document's title line, if it is a heading.
    """
    points: list[_Point] = []
    stacks: list[list[int]] = []  # per block: indices of the points enclosing it (itself included)
    stack: list[int] = []
    epoch = 0
    parts: dict[int, str] = {}  # the article line (「第 16 條：契約終止之事由」) an epoch starts with
    in_article: set[int] = set()  # the epochs an article line starts

    def read(line: str, block: int, whole: str) -> None:
        """Update the open points with one line (``block`` -1: not the first line of its block)."""
        nonlocal stack, epoch
        if _ARTICLE_START.match(line.strip()) or _CHAPTER.match(line):
            stack, epoch = [], epoch + 1  # articles (第 7 條：…) are the structure from here
            if _ARTICLE_START.match(line.strip()):
                in_article.add(epoch)
            lead = re.sub(
                r"[：:]\s*", " ", line.strip()
            ).strip()  # 「第 7 條：資料保存」 → 「第 7 條 資料保存」
            parts[epoch] = lead if len(lead) <= heading_chars and not SENTENCE_PUNCT.search(lead) else ""
            return
        found = _numbering(line)
        if not found:
            return
        kind, number, marker_end = found
        stack_before = stack
        level = next((i for i, p in enumerate(stack) if points[p].kind == kind), -1)
        if level >= 0:
            stack = stack[:level]  # its level's point is over, whether or not this one continues it
        if (level >= 0 and points[stack_before[level]].number + 1 != number) or (level < 0 and number != 1):
            return  # not the next of its level (nor a first): a reference or a wrapped line, not a point
        parent = stack[-1] if stack else -1
        if parent >= 0:
            points[parent].has_children = True
        name, heading_line = _point_name(whole, marker_end, heading_chars)
        points.append(_Point(block, kind, number, parent, epoch, name, heading_line))
        stack = [*stack, len(points) - 1]

    for b, block in enumerate(cleaned.blocks):
        text = cleaned.text[block.start : block.end]
        if block.kind == "heading":
            stack, epoch = [], epoch + 1
            if _ARTICLE_START.match(text.strip()):
                in_article.add(epoch)
        lines = text.split("\n") if block.kind in ("paragraph", "item") else []
        if lines:
            read(lines[0], b, text)  # a point that starts the block is the whole block
        stacks.append(list(stack))
        for line in lines[1:]:
            read(line, -1, line)
    runs: dict[tuple[int, int, str], list[_Point]] = {}
    for p in points:
        runs.setdefault((p.epoch, p.parent, p.kind), []).append(p)
    sectioning = {
        id(p)
        for run in runs.values()
        if len(run) >= 2
        and run[0].parent < 0
        and run[0].kind in _POINT_KINDS
        and any(p.heading_line or p.has_children for p in run)
        and run[0].epoch not in in_article  # an article's 一、二、 are its items (款), not sections
        for p in run
        if p.heading_line or p.has_children  # a one-line point of the run stays in its section
    }
    # A sub-point with items of its own (「(二)有下列情形之一者，不符申請資格：」 then 1. 2. …) is a
    # section inside its point; one without (a one-line 「(一)申請書一式1份。」) stays in its point.
    sectioning |= {
        id(p)
        for p in points
        if p.has_children and p.kind in _POINT_KINDS and p.parent >= 0 and id(points[p.parent]) in sectioning
    }
    if not sectioning:
        return cleaned
    blocks = []
    for block, enclosing in zip(cleaned.blocks, stacks, strict=True):
        names = [points[i].name for i in enclosing if id(points[i]) in sectioning]
        if names and parts.get(points[enclosing[0]].epoch):
            names.insert(0, parts[points[enclosing[0]].epoch])
        if not names or block.kind == "heading":
            blocks.append(block)
            continue
        path = SECTION_PATH_SEPARATOR.join(
            ([block.section] if block.section not in (PREFACE, title) else []) + names
        )
        last = points[enclosing[-1]]
        own = last.block == len(blocks) and last.heading_line and id(last) in sectioning
        kind = "heading" if own else block.kind
        blocks.append(dataclasses.replace(block, section=path, kind=kind))
    return dataclasses.replace(cleaned, blocks=tuple(blocks))


def _without_contents(
    chars: _Chars, dropped: list[Dropped], entry_chars: int = Settings.contents_entry_chars
) -> _Chars:
    """``chars`` without the table-of-contents entries in it, which go to ``dropped``.

    An entry is text of at most ``entry_chars`` characters without sentence punctuation,
    then a leader and a page label (:data:`_CONTENTS_ENTRY`). One that ends the text counts on its
    own; inside the text only two or more do (a block of contents lines whose line breaks are
    gone). What is left around them without a letter or digit goes with them.
    """
    text = _text(chars)
    found = list(_CONTENTS_ENTRY.finditer(text))
    if not found or (len(found) == 1 and text[found[0].end() :].strip()):
        return chars
    spans: list[tuple[int, int]] = []
    start = 0
    for match in found:
        stops = list(_NOT_IN_ENTRY.finditer(text, start, match.start()))
        begin = stops[-1].end() if stops else start
        if match.start() - begin <= entry_chars:
            spans.append((begin, match.end()))
        start = match.end()
    if not spans:
        return chars
    cut = [False] * len(chars)
    for a, b in spans:
        cut[a:b] = [True] * (b - a)
    kept = [c for c, gone in zip(chars, cut, strict=True) if not gone]
    if not any(unicodedata.category(ch)[0] in "LN" for ch, _ in kept):
        spans, kept = [(0, len(chars))], []  # separators and spaces between entries go too
    for a, b in spans:
        positions = [off for _, off in chars[a:b] if off >= 0]
        if positions:
            dropped.append(Dropped(min(positions), max(positions) + 1, "table of contents"))
    return kept


def drop_contents(cleaned: CleanedText, entry_chars: int = Settings.contents_entry_chars) -> CleanedText:
    """``cleaned`` without table-of-contents entries, whichever reader made it (listed in
    ``dropped`` with the reason ``table of contents``); the same object when it holds none.
    ``entry_chars``: ``Settings.contents_entry_chars``.

    A block that held only contents entries is removed; the text between blocks is kept.
    """
    text, offsets = cleaned.text, cleaned.raw_offsets
    if not _CONTENTS_ENTRY.search(text):
        return cleaned
    dropped: list[Dropped] = []
    chars: _Chars = []
    blocks: list[Block] = []
    pos = 0
    for block in cleaned.blocks:
        gap = [(text[i], offsets[i]) for i in range(pos, block.start)]
        own = [(text[i], offsets[i]) for i in range(block.start, block.end)]
        pos = block.end
        if not _CONTENTS_ENTRY.search(text, block.start, block.end):
            chars.extend(gap)
            start = len(chars)
            chars.extend(own)
            blocks.append(dataclasses.replace(block, start=start, end=len(chars)))
            continue
        kept = _strip(_without_contents(own, dropped, entry_chars))
        if not kept:
            if _text(gap).strip():
                chars.extend(gap)
            continue
        chars.extend(gap)
        start = len(chars)
        chars.extend(kept)
        blocks.append(dataclasses.replace(block, start=start, end=len(chars)))
    if not dropped:
        return cleaned
    chars.extend((text[i], offsets[i]) for i in range(pos, len(text)))
    return CleanedText(_text(chars), tuple(o for _, o in chars), tuple(blocks), (*cleaned.dropped, *dropped))


# -- choosing a reader ------------------------------------------------------------------------


def _compose(inner: CleanedText, offsets: list[int], dropped: list[Dropped]) -> CleanedText:
    """``inner`` computed on a folded text: map its offsets through the fold to the raw text."""
    raw_offsets = tuple(offsets[o] if o >= 0 else -1 for o in inner.raw_offsets)
    inner_dropped = tuple(
        Dropped(offsets[d.start], offsets[max(d.start, d.end - 1)] + 1, d.reason) for d in inner.dropped
    )
    return CleanedText(inner.text, raw_offsets, inner.blocks, (*dropped, *inner_dropped))


def is_pdf_layout_text(raw: str) -> bool:
    """True for a PDF extraction laid out like the seed: most text lines stand between blank lines."""
    lines = raw.split("\n")
    text_lines = [i for i, line in enumerate(lines) if line.strip()]
    if len(text_lines) < 20:
        return False
    spaced = sum(1 for i in text_lines if i + 1 < len(lines) and not lines[i + 1].strip())
    return spaced > 0.6 * len(text_lines)


def parse_document(
    raw: str, kind: str, layout: str = "", settings: Settings | None = None
) -> tuple[CleanedText, dict[str, str]]:
    """Fold, then read one document with the reader its kind and layout call for.

    Args:
        raw: The text as read (PDF pages separated by form feeds).
        kind: ``md``, ``html``, ``pdf`` or ``txt``.
        layout: The manifest's ``format`` (``pdf-extracted text`` selects the seed's cleaner).
        settings: ``furniture_min_pages``, ``furniture_lines``, ``law_first_article_lines`` and
            ``heading_chars`` (None: the defaults).

    Returns:
        The cleaned text (offsets into ``raw``) and what the document says about itself
        (``title``, ``publisher``).
    """
    s = settings or Settings()
    text, offsets = fold_text(raw)
    dropped: list[Dropped] = []
    if kind == "pdf" or "\f" in text:
        text, offsets, dropped = strip_page_furniture(
            text, offsets, min_pages=s.furniture_min_pages, edge_lines=s.furniture_lines
        )
    if kind == "md":
        cleaned, meta = parse_markdown(text, offsets, s.law_first_article_lines)
        cleaned = articles_from_blocks(cleaned)
    elif kind in ("html", "htm"):
        cleaned, meta = parse_html(text, offsets, s)
        cleaned = articles_from_blocks(cleaned)
    elif looks_like_law(text, s.law_first_article_lines):
        cleaned, meta = parse_law(text, offsets)
    elif kind == "txt" and ("pdf-extracted" in layout.lower() or is_pdf_layout_text(text)):
        cleaned, meta = _compose(clean_text(text), offsets, []), {}
    else:
        cleaned, meta = parse_plain(text, offsets, s.heading_chars, s.numbered_sections, s.title_chars)
    return drop_contents(cleaned, s.contents_entry_chars).with_dropped(dropped), meta


def unaccounted(raw: str, cleaned: CleanedText, covered: Iterable[tuple[int, int]]) -> list[int]:
    """Raw offsets of letters and digits found in no unit, no heading and no dropped span.

    Args:
        raw: The raw text.
        cleaned: Its cleaned text.
        covered: Spans ``[start, end)`` of the cleaned text that became units (sentences).

    Returns:
        Offsets into ``raw`` of content characters lost without a reason (empty when none).
    """
    seen = bytearray(len(raw))
    offsets = cleaned.raw_offsets
    spans = list(covered) + [(b.start, b.end) for b in cleaned.blocks if b.kind == "heading"]
    for a, b in spans:
        for o in offsets[a:b]:
            if o >= 0:
                seen[o] = 1
    for d in cleaned.dropped:
        if d.start >= 0:
            seen[d.start : d.end] = b"\x01" * (min(d.end, len(raw)) - d.start)
    out = []
    for i, ch in enumerate(raw):
        if not seen[i] and unicodedata.category(ch)[0] in "LN":
            out.append(i)
    return out
