"""Loading source documents (``.txt``, ``.md``, ``.html``, ``.pdf``, ``.docx``, ``.odt``) and the corpus manifest.

A document is read, folded and parsed into its structure (:mod:`ingest.structure`) here, so
its title and publisher are known: from ``corpus/manifest.json`` first, else from the document
itself (Markdown front matter or first heading, an HTML ``<title>``, a law's or a text's title
line), else the file name. PDFs are read with pdfplumber by :mod:`ingest.pdf`: paragraphs from the
layout (written as blank lines), each table as rows of cells (``| a | b |`` lines, which the text
reader turns into one unit per row). Word and OpenDocument files are converted to HTML by pandoc
(bundled by ``pypandoc-binary``) and read as HTML: headings, paragraphs, lists, tables.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DocumentReadError
from core.settings import Settings
from core.text import count_cjk
from ingest.clean import CleanedText
from ingest.pdf import read_pages
from ingest.sources import (
    MANIFEST_NAME,
    OFFICE_SUFFIXES,
    SUPPORTED_SUFFIXES,
    entry_hash,
    file_sha256,
    list_sources,
    read_manifest,
)
from ingest.structure import SENTENCE_PUNCT, parse_document

__all__ = [
    "MANIFEST_NAME",
    "SUPPORTED_SUFFIXES",
    "SourceDocument",
    "entry_hash",
    "file_sha256",
    "list_sources",
    "load_document",
    "read_manifest",
]

log = logging.getLogger(__name__)

_KINDS = {"markdown": "md", "htm": "html"}


@dataclass(frozen=True)
class SourceDocument:
    """A document read from the corpus folder.

    Attributes:
        source: Path relative to the corpus folder, with ``/`` separators (the document's key).
        raw: The text as extracted (PDF pages joined by a blank line and a form feed).
        sha256: Hash of the file's bytes: a changed hash means a changed document.
        title: Title from the manifest, else the document's own title line, else the file stem.
        kind: ``txt``, ``md``, ``html`` or ``pdf`` (a ``.docx``/``.odt`` file is read as the HTML
            pandoc makes of it: ``html``).
        meta: The manifest entry (publisher, language, original file name, ...).
        publisher: Publisher from the manifest or the document's front matter ("" if unknown).
        cleaned: The document's cleaned text and structure (None when built by hand).
    """

    source: str
    raw: str
    sha256: str
    title: str
    kind: str
    meta: dict[str, str] = field(default_factory=dict)
    publisher: str = ""
    cleaned: CleanedText | None = None
    #: Hash of the manifest entry (:func:`entry_hash`): a changed entry (title) means re-ingest too.
    entry_sha: str = ""


def _read_pdf(path: Path, settings: Settings) -> str:
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect
    except ImportError as e:  # pragma: no cover - pdfplumber is a core dependency
        raise DocumentReadError(f"{path}: reading PDFs needs pdfplumber: pip install pdfplumber") from e
    try:
        with pdfplumber.open(str(path)) as pdf:
            pages = read_pages(pdf, settings)
    except PDFPasswordIncorrect as e:
        raise DocumentReadError(
            f"{path}: the PDF is encrypted; save an unencrypted copy into the corpus."
        ) from e
    if not any(p.strip() for p in pages):
        raise DocumentReadError(
            f"{path}: the PDF has no extractable text (a scan?). OCR it first, or add a .txt version."
        )
    return "\n\n\f".join(pages)  # a blank line: a page ends its paragraph unless joined again


def read_office(path: Path) -> str:
    """A Word (``.docx``) or OpenDocument (``.odt``) file as HTML, converted by pandoc.

    The HTML is the document's raw text: offsets of passages and citations point into it, as a
    PDF's point into its extracted text.

    Raises:
        DocumentReadError: pypandoc is missing, or pandoc cannot read the file (the message names
            the file and says how to fix it).
    """
    try:
        import pypandoc
    except ImportError as e:  # pragma: no cover - pypandoc-binary is a core dependency
        raise DocumentReadError(
            f"{path}: reading {path.suffix} files needs pandoc: pip install pypandoc-binary"
        ) from e
    kind = path.suffix.lower().lstrip(".")
    try:
        return str(pypandoc.convert_file(str(path), "html", format=kind, extra_args=["--wrap=none"]))
    except (RuntimeError, OSError) as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise DocumentReadError(
            f"{path}: cannot be read as a {kind} file ({reason}). Open it in Word or LibreOffice and save it "
            "again, or save it as PDF."
        ) from e


#: Characters a text document does not hold: C0 controls other than tab, line breaks and form
#: feed, and the private-use area (where CP950 puts its user-defined characters).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ue000-\uf8ff]")
#: The legacy encoding of Taiwanese government files, tried when a file is not UTF-8: Big5 as
#: Windows writes it (CP950, a superset of Big5).
LEGACY_ENCODING = "cp950"


def decode_text(data: bytes, path: Path) -> str:
    """The text of a ``.txt``/``.md``/``.html`` file: UTF-8 (with or without a BOM), else Big5.

    A file that is not UTF-8 is read as Big5/CP950 when its bytes decode as such without an
    error and the result is text (no control characters, no private-use characters, at least
    one Han character); that is logged, so the operator knows which encoding was read.

    Raises:
        DocumentReadError: neither reading works; the message names the byte and how to fix it.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        utf8_error = e
    try:
        text = data.decode(LEGACY_ENCODING)
    except UnicodeDecodeError:
        text = ""
    if text and not _NOT_TEXT.search(text) and count_cjk(text):
        log.warning("%s: not UTF-8; read as Big5 (CP950), which decodes it without an error.", path)
        return text
    raise DocumentReadError(
        f"{path}: not UTF-8 text ({utf8_error.reason} at byte {utf8_error.start}), nor Big5 (CP950) "
        "text. Save it as UTF-8."
    ) from utf8_error


#: A field label before a title on a header line: 「法規名稱：」, 「計畫名稱：」, 「標題：」, "Title:".
_TITLE_LABEL = re.compile(
    r"^[^\s：:，。；]{0,8}(?:名稱|標題|題名|title|name)\s*[：:]\s*(?=\S)", re.IGNORECASE
)
#: A site's name after a page's title: 「產業創新條例-全國法規資料庫」, 「… | 全國法規資料庫」, 「… – Site」.
_SITE_SUFFIX = re.compile(r"(?:\s+[-–—|｜]\s+|\s*[-–—|｜_]\s*)[^-–—|｜_]+$")


def document_title(found: str, body: str, kind: str, settings: Settings | None = None) -> str:
    """The title a document gives itself, without a field label or a site's name; "" if none.

    * a leading field label of a header line goes (「法規名稱：科學技術基本法」 → 科學技術基本法);
    * a site's name after a separator goes when the page's own text (its heading, its body)
      repeats the title without it and never with it (「產業創新條例-全國法規資料庫」 →
      產業創新條例, as the page's heading and body call the law);
    * a PDF without a title of its own is titled by its first line when that line is a title:
      at most ``Settings.title_chars`` characters without sentence punctuation.

    Args:
        found: The title the parser found (front matter, ``<title>``, a heading, a title line).
        body: The cleaned text.
        kind: ``txt``, ``md``, ``html`` or ``pdf`` (a ``.docx``/``.odt`` file is read as the HTML
            pandoc makes of it: ``html``).
        settings: ``title_chars`` (None: the default).
    """
    title = " ".join(found.split())
    if not title and kind == "pdf":
        line = next((line.strip() for line in body.splitlines() if line.strip()), "")
        most = (settings or Settings()).title_chars
        if (
            len(line) <= most
            and not SENTENCE_PUNCT.search(line)
            and count_cjk(line) + sum(c.isalpha() for c in line)
        ):
            title = line
    title = _TITLE_LABEL.sub("", title, count=1)
    suffix = _SITE_SUFFIX.search(title)
    if suffix is not None:
        head = title[: suffix.start()].strip()
        if head and head in body and title not in body:
            title = head
    return title


def load_document(
    path: Path,
    corpus_dir: Path,
    manifest: dict[str, dict[str, str]] | None = None,
    settings: Settings | None = None,
) -> SourceDocument:
    """Read and parse one document (``settings``: the parser's figures, see
    :func:`ingest.structure.parse_document`; None: the defaults).

    Raises:
        DocumentReadError: the file cannot be read, decoded or parsed; the message names the file.
    """
    rel = path.relative_to(corpus_dir).as_posix()
    kind = path.suffix.lower().lstrip(".")
    kind = _KINDS.get(kind, kind)
    try:
        if kind == "pdf":
            raw = _read_pdf(path, settings or Settings())
        elif path.suffix.lower() in OFFICE_SUFFIXES:
            raw, kind = read_office(path), "html"
        else:
            raw = decode_text(path.read_bytes(), path)
    except DocumentReadError:
        raise
    except Exception as e:  # pypdf raises many types for broken files
        raise DocumentReadError(f"{path}: cannot be read ({type(e).__name__}: {e}).") from e
    if not raw.strip():
        raise DocumentReadError(f"{path}: the document is empty.")
    entry = (manifest or {}).get(rel, {})
    try:
        cleaned, found = parse_document(raw, kind, entry.get("format", ""), settings)
    except Exception as e:  # a parser bug must not stop the other documents
        raise DocumentReadError(f"{path}: cannot be parsed ({type(e).__name__}: {e}).") from e
    return SourceDocument(
        source=rel,
        raw=raw,
        sha256=file_sha256(path),
        title=entry.get("title")
        or document_title(found.get("title", ""), cleaned.text, kind, settings)
        or path.stem,
        kind=kind,
        meta=entry,
        publisher=entry.get("publisher") or found.get("publisher", ""),
        cleaned=cleaned,
        entry_sha=entry_hash(entry),
    )
