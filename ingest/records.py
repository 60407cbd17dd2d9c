"""The index's commit records and what an ingest depends on, readable without Chroma or a model.

``kezhuan ingest`` on an unchanged corpus has nothing to do, but finding that out through
chromadb (and the model stack it sits beside) costs seconds of imports before the first file
is looked at. :func:`unchanged_ingest` decides it with the standard library alone, from the
*commit manifest*: a JSON file of kezhuan's own beside the index folder
(``<data_dir>/commits-<collection>.json``) that holds the live commit records, the pipeline
they were made with and the numbers of stored passages and sentences.

:class:`ingest.index.IndexStore` deletes the manifest before it writes to the index and writes
it again (atomically) right after each commit and at the end of every ingest, reading back
what it describes through chromadb's public API. So a manifest that exists describes the index
as stored: a kill between a write to Chroma and the manifest's leaves none. Any doubt (no
manifest, another format, another collection or index folder, another database file in the
folder, passages left for a sweep, a file that cannot be read) means "not known to be
unchanged", and the caller runs the full ingest, which sees and handles the case and writes the
manifest again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.errors import DocumentReadError, KezhuanError
from core.settings import Settings
from ingest.sources import entry_hash, file_sha256, list_sources, read_manifest

log = logging.getLogger(__name__)

#: Bump when cleaning or splitting changes in a way that needs every document re-ingested.
#: 6: passages embedded under their title and section; 7: official headings and contents lines in
#: plain text and PDFs; 8: contents lines dropped by every reader (Markdown, HTML, the seed's layout;
#: ellipsis and middle-dot leaders; entries run together in one block); 9: a Markdown hard line
#: break stays a line break (key-value lines of one paragraph are sentences of their own); 10: PDFs read by their layout
#: (paragraphs, visual lines, footnotes, tables over pages), page numbers found by counting up,
#: wrapped lines of list items and paragraphs over a page break joined; 11: a law laid out in blocks
#: (an HTML law page, Markdown ``### 第 N 條`` headings) read as articles, a web page's navigation,
#: banner and footer left out; 12: single CJK strokes folded (㇐ → 一), a PDF table's caption row
#: (one cell across the table) no longer makes every row a header; article references in BM25
#: tokens read by the one pattern of questions and documents (core.text.ARTICLE_REF: 「第 35-1、
#: 36-2、36-3 條」 gives 第36-3条 too).
#: 13: a guide's numbered points (一、 with (一) sub-points) as sections of plain text and PDFs
#: (``Settings.numbered_sections``), a line starting an article (「第 21 條：…」) after a finished
#: sentence starts a block, the sections under one top-level point packed into passages, and
#: each numbered item stores its list's lead-in (``Sentence.lead``).
#: 14: a law's line that ends no sentence or clause is joined with the next line of its article
#: (a law printed or in a PDF wraps at the page width, mid-sentence: ``structure.wraps_into``).
#: 15: HTML parts labelled by WAI-ARIA (a tab panel, a region) and ``<details>`` are sections
#: named by their label, under the section they sit in; a passage runs into the next section only
#: when that section is short.
#: 16: a figure not written in plain digits gives its value in digits as a BM25 token too
#: (core.text.figure_tokens: 三十五歲 → 35, 二百萬元 and 200萬 → 2000000); a PDF title printed over
#: several lines is one line; a line that dates the document (中華民國114年12月17日修正) is text,
#: never a heading; a PDF line of an indented level that ends mid-sentence near the right edge
#: wraps into the next (``Settings.pdf_wrap_share``).
#: 17: an HTML ampersand that starts no character reference (``R&D``) stays text as written
#: (it was read as ``R&D;``, and every offset after it drifted: holdout4's English page lost
#: 113 characters at unit boundaries); a card of an HTML page's layout (an element of a few short
#: lines: a phase, its amount, its length) is one paragraph (``Settings.card_line_chars``,
#: ``card_chars``); an English full stop before a capital ends a sentence, not after an
#: abbreviation (``core.text.ENGLISH_ABBREVIATIONS``).
#: 18: an item of an HTML ``<ol>`` holds the number a browser shows (``1.``, ``b.``, ``iii.``,
#: from ``type``, ``start`` and ``value``), so a list read from a page, a .docx or an .odt keeps its
#: numbers; a sentence that is only an item's number so far (``1. Applicants…``) does not end there.
#: 19: a static-site generator's template tag in Markdown (Hugo's ``{{< teaser >}}``, Liquid's
#: ``{% … %}``) is dropped as markup, the text between tags kept.
#: 20: an item of a Markdown ordered list holds its number (``1. ``), as an HTML ``<ol>``'s does
#: since 18, so a lead-in's items read as its items.
PIPELINE_VERSION = 20


def pipeline_key(settings: Settings) -> str:
    """What an index depends on besides the documents: a change means re-ingest."""
    return json.dumps(
        {
            "v": PIPELINE_VERSION,
            "backend": settings.embedding_backend,
            "model": settings.embedding_model,
            "passage_prompt": settings.passage_prompt,
            "chunk_chars": settings.chunk_chars,
            "overlap": settings.chunk_overlap_sentences,
            "lead_in_chars": settings.lead_in_chars,
            "numbered_sections": settings.numbered_sections,
            "max_unit_chars": settings.max_unit_chars,
            "label_repeats": settings.label_repeats,
            "furniture": [settings.furniture_min_pages, settings.furniture_lines],
            "pdf_layout": [
                settings.pdf_gap_ratio,
                settings.pdf_size_step,
                settings.pdf_centered_share,
                settings.pdf_superscript_ratio,
            ],
            "heading_chars": settings.heading_chars,
            "cards": [settings.card_line_chars, settings.card_chars],
            "title_chars": settings.title_chars,
            "contents_entry_chars": settings.contents_entry_chars,
            "law_lines": settings.law_first_article_lines,
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class DocRecord:
    """The committed version of one document."""

    source: str
    sha256: str
    pipeline: str
    title: str
    passages: int
    sentences: int
    publisher: str = ""
    #: Hash of the manifest entry the version was ingested with (see ``ingest.sources.entry_hash``).
    entry_sha: str = ""

    @classmethod
    def from_metadata(cls, source: str, meta: Mapping[str, object]) -> DocRecord:
        """The record as stored in the documents collection's metadata (missing fields empty)."""
        return cls(
            source=source,
            sha256=str(meta.get("sha256", "")),
            pipeline=str(meta.get("pipeline", "")),
            title=str(meta.get("title", "")),
            passages=count_value(meta.get("passages")),
            sentences=count_value(meta.get("sentences")),
            publisher=str(meta.get("publisher", "")),
            entry_sha=str(meta.get("entry_sha", "")),
        )


def pointer_name(collection: str) -> str:
    """The collection whose metadata names the live generation of ``collection``."""
    return f"{collection}_live"


def generation_names(collection: str, generation: str) -> tuple[str, str, str]:
    """The passages, sentences and documents collections of one generation of the index."""
    stem = f"{collection}-{generation}" if generation else collection
    return stem, f"{stem}_sentences", f"{stem}_documents"


def collection_pattern(collection: str) -> re.Pattern[str]:
    """Names of every generation's collections of ``collection`` (not the pointer)."""
    return re.compile(rf"^{re.escape(collection)}(-g\d+)?(_sentences|_documents)?$")


def snapshot_path(settings: Settings) -> Path:
    """Where the retriever saves its snapshot of the settings' index (``assistant.retrieve``).

    A worker of a Chroma server keeps its own copy, named after the server and collection.
    """
    where = f"{settings.chroma_host}-{settings.chroma_port}-" if settings.chroma_host else ""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{where}{settings.collection}")
    return settings.data_dir / f"retrieval-{name}.npz"


def count_value(value: object) -> int:
    """A count stored in Chroma metadata (0 when missing)."""
    return int(value) if isinstance(value, int | float | str) else 0


@dataclass
class IngestReport:
    """What an ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: Failed documents whose previously ingested version is still in the index and still
    #: answers (an indexed file overwritten by one that cannot be read): kept, not dropped, so a
    #: half-copied or broken file loses nothing; fixing the file, or deleting it, updates the index.
    kept: list[str] = field(default_factory=list)
    passages: int = 0
    sentences: int = 0
    swept: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the live index changed."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for people."""
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.failed:
            kept = f" ({len(self.kept)} of them still served in their previous version)" if self.kept else ""
            parts.append(f"{len(self.failed)} failed{kept}")
        return (
            f"Ingest: {', '.join(parts)}; {self.passages} passages, {self.sentences} sentences written "
            f"in {self.seconds:.1f} s."
        )


@contextlib.contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time per data folder.

    Raises:
        KezhuanError: another ingest holds the lock.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "ingest.lock"
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise KezhuanError(
                f"Another `kezhuan ingest` is running on {settings.data_dir}; wait for it to finish."
            ) from e
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- the commit manifest: the commit records as the last complete write left them -------------

#: Layout of the commit manifest; a file of another layout is not read (the full ingest rewrites it).
MANIFEST_FORMAT = 1
#: The first bytes of every SQLite database file (the file format's documented header string).
_SQLITE_HEADER = b"SQLite format 3\x00"


def commit_manifest_path(settings: Settings) -> Path:
    """Where the commit manifest of the settings' embedded index is kept (beside the index folder)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", settings.collection)
    return settings.data_dir / f"commits-{name}.json"


def _database_file(settings: Settings) -> Path:
    return settings.chroma_dir / "chroma.sqlite3"


def _database_identity(settings: Settings) -> dict[str, int] | None:
    """Which database file the index folder holds, and its size; ``None`` when it is missing or is
    no SQLite file. Reading the index leaves both as they are; replacing or damaging the file does not."""
    path = _database_file(settings)
    try:
        with path.open("rb") as handle:
            if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                return None
            stat = os.fstat(handle.fileno())
    except OSError:
        return None
    return {"device": stat.st_dev, "inode": stat.st_ino, "bytes": stat.st_size}


def _sync_folder(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def discard_commit_manifest(settings: Settings) -> None:
    """Delete the commit manifest (durably), before the index is written: while it is missing, an
    unchanged ingest is decided through chromadb. A kill at any later point leaves no manifest that
    describes another state of the index than the one stored."""
    path = commit_manifest_path(settings)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _sync_folder(path.parent)


def write_commit_manifest(
    settings: Settings, generation: str, records: Mapping[str, DocRecord], passages: int, sentences: int
) -> Path:
    """Write the commit manifest atomically: a temporary file, fsync, rename, fsync of the folder.

    Call right after a write to the index succeeded, with what the index now holds (read back
    through chromadb's public API): its live generation, the commit records, and the numbers of
    stored passages and sentences (live or not).

    Returns:
        The manifest's path.

    Raises:
        OSError: the file cannot be written (the caller may go on without it: the next
            unchanged ingest is then decided through chromadb).
    """
    path = commit_manifest_path(settings)
    body = {
        "format": MANIFEST_FORMAT,
        "collection": settings.collection,
        "chroma_dir": str(settings.chroma_dir.resolve()),
        "database": _database_identity(settings),
        "generation": generation,
        "passages": passages,
        "sentences": sentences,
        "records": {source: asdict(record) for source, record in sorted(records.items())},
        "written_at": time.time(),
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)
    return path


class _Distrust(Exception):
    """The manifest does not describe the settings' index as it is stored: do not decide from it."""


def read_commit_manifest(settings: Settings) -> dict[str, DocRecord] | None:
    """The live commit records as the commit manifest has them, when it can be trusted; else ``None``.

    Trusted means: the manifest is there, readable, of :data:`MANIFEST_FORMAT`, written for this
    collection and this index folder, for the database file the folder holds now (same file, same
    size), and it counts as many stored passages and sentences as its records do (nothing left for
    a sweep). ``None`` also for a Chroma server (no manifest is kept for one). The caller then
    opens the index through chromadb, which handles every case.
    """
    if settings.chroma_host:
        return None
    try:
        body = json.loads(commit_manifest_path(settings).read_text(encoding="utf-8"))
        if not isinstance(body, dict) or body.get("format") != MANIFEST_FORMAT:
            raise _Distrust(f"not a manifest of format {MANIFEST_FORMAT}")
        if body["collection"] != settings.collection:
            raise _Distrust(f"written for the collection {body['collection']!r}")
        if body["chroma_dir"] != str(settings.chroma_dir.resolve()):
            raise _Distrust(f"written for the index folder {body['chroma_dir']}")
        identity = _database_identity(settings)
        if identity is None or body["database"] != identity:
            raise _Distrust("the index folder's database is not the one it was written for")
        records = {
            str(source): DocRecord(**{f.name: fields[f.name] for f in dataclasses.fields(DocRecord)})
            for source, fields in body["records"].items()
        }
        if any(source != record.source for source, record in records.items()):
            raise _Distrust("a record is filed under another source")
        for what in ("passages", "sentences"):
            counted = sum(getattr(r, what) for r in records.values())
            if body[what] != counted:
                raise _Distrust(f"{body[what]} {what} stored, the commit records count {counted}")
    except FileNotFoundError:
        log.info("No commit manifest at %s", commit_manifest_path(settings))
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, _Distrust) as e:
        log.info("Not deciding from the commit manifest (%s: %s)", type(e).__name__, e)
        return None
    return records


def unchanged_ingest(settings: Settings, corpus_dir: Path | None = None) -> IngestReport | None:
    """The report of an ingest that finds nothing to do, decided without opening Chroma; else None.

    Nothing to do means: every supported file of the corpus folder has a commit record with the
    file's SHA-256, its manifest entry's hash and the current :func:`pipeline_key`; no record is
    left without its file; the commit manifest can be trusted (:func:`read_commit_manifest`); and the
    retrieval snapshot an ingest leaves is there (when ``retrieval_cache`` is on). This is what
    :func:`ingest.index.run_ingest` checks before it skips a document, minus anything it would
    repair. ``None`` (the full ingest must run) on any difference or doubt, also while another
    ingest holds the lock. Every file is hashed, as the full ingest does: no trust in times.
    """
    t0 = time.perf_counter()
    corpus_dir = corpus_dir or settings.corpus_dir
    if settings.chroma_host or not commit_manifest_path(settings).is_file():
        return None
    try:
        with ingest_lock(settings):
            records = read_commit_manifest(settings)
            if records is None:
                return None
            if settings.retrieval_cache and not snapshot_path(settings).is_file():
                return None
            paths = {p.relative_to(corpus_dir).as_posix(): p for p in list_sources(corpus_dir)}
            if set(paths) != set(records):
                return None
            manifest = read_manifest(corpus_dir)
            key = pipeline_key(settings)
            for source, path in paths.items():
                record = records[source]
                if record.pipeline != key or record.entry_sha != entry_hash(manifest.get(source)):
                    return None
                if record.sha256 != file_sha256(path):
                    return None
    except (KezhuanError, DocumentReadError, OSError) as e:  # the full ingest reports it properly
        log.info("Not deciding without Chroma (%s: %s)", type(e).__name__, e)
        return None
    report = IngestReport(unchanged=sorted(paths))
    report.seconds = time.perf_counter() - t0
    log.info("Nothing changed: %d documents checked against the commit records", len(paths))
    return report
