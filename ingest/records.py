"""The index's commit records and what an ingest depends on, readable without Chroma or a model.

``kezhuan ingest`` on an unchanged corpus has nothing to do, but finding that out through
chromadb (and the model stack it sits beside) costs seconds of imports before the first file
is looked at. :func:`unchanged_ingest` decides it with the standard library alone: it reads the
commit records (see :mod:`ingest.index`) straight from the embedded Chroma's SQLite file,
read-only, and compares them with the corpus folder's files and the settings. Any doubt (a
record, collection or schema not as :mod:`ingest.index` leaves it after a complete ingest, a
log entry Chroma has not applied yet, a file that cannot be read) means "not known to be
unchanged", and the caller runs the full ingest, which sees and handles the case.

Reading Chroma's SQLite tables is the one place kezhuan looks past chromadb's public API; it
only ever reads, and ``tests/test_chroma_contract.py`` pins that it reads exactly the records
:meth:`ingest.index.IndexStore.committed` returns (chromadb is pinned in ``pyproject.toml``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DocumentReadError, KezhuanError
from core.settings import Settings
from ingest.sources import entry_hash, file_sha256, list_sources, read_manifest

log = logging.getLogger(__name__)

#: Bump when cleaning or splitting changes in a way that needs every document re-ingested.
PIPELINE_VERSION = 7  # 6: passages embedded under their title and section; 7: official headings and contents lines in plain text and PDFs


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
            "max_unit_chars": settings.max_unit_chars,
            "label_repeats": settings.label_repeats,
            "furniture": [settings.furniture_min_pages, settings.furniture_lines],
            "heading_chars": settings.heading_chars,
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
            parts.append(f"{len(self.failed)} failed")
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


# -- the commit records, read from the embedded Chroma's SQLite file --------------------------

#: The tenant and database of chromadb's ``PersistentClient`` (kezhuan uses the defaults).
_TENANT, _DATABASE = "default_tenant", "default_database"


class _Distrust(Exception):
    """The stored index is not exactly as a complete ingest leaves it: do not decide from it."""


def read_committed(settings: Settings) -> dict[str, DocRecord] | None:
    """The live generation's commit records, read-only from the embedded index's SQLite file.

    Returns the records only when the index is as a complete ingest leaves it: the pointer's
    generation and exactly its three collections (no other generation to drop), every write
    applied by Chroma, and as many stored passages and sentences as the records count (nothing
    to sweep). ``None`` otherwise, for a Chroma server, or when the file cannot be read: the
    caller then opens the index through chromadb, which handles each case.
    """
    if settings.chroma_host:
        return None
    database = settings.chroma_dir / "chroma.sqlite3"
    if not database.is_file():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
            db.execute("BEGIN")  # one consistent read of every table below
            return _read_records(db, settings.collection)
    except (sqlite3.Error, _Distrust, ValueError, TypeError) as e:
        log.info("Not deciding from the stored commit records (%s: %s)", type(e).__name__, e)
        return None


def _read_records(db: sqlite3.Connection, collection: str) -> dict[str, DocRecord]:
    rows = db.execute(
        "SELECT c.id, c.name FROM collections c JOIN databases d ON c.database_id = d.id "
        "WHERE d.name = ? AND d.tenant_id = ?",
        (_DATABASE, _TENANT),
    ).fetchall()
    ids = {str(name): str(cid) for cid, name in rows}
    generation = ""
    if pointer_name(collection) in ids:
        found = db.execute(
            "SELECT str_value FROM collection_metadata WHERE collection_id = ? AND key = 'generation'",
            (ids[pointer_name(collection)],),
        ).fetchone()
        generation = str(found[0]) if found and found[0] is not None else ""
    names = generation_names(collection, generation)
    ours = collection_pattern(collection)
    others = sorted(n for n in ids if ours.match(n) and n not in names)
    if others:
        raise _Distrust(f"collections of another generation are stored: {', '.join(others)}")
    missing = [n for n in names if n not in ids]
    if missing:
        raise _Distrust(f"collection {missing[0]} is missing")
    passages, sentences, documents = (_metadata_segment(db, ids[n]) for n in names)
    records: dict[str, DocRecord] = {}
    metas: dict[str, dict[str, object]] = {}
    for embedding_id, key, text, number, real in db.execute(
        "SELECT e.embedding_id, m.key, m.string_value, m.int_value, m.float_value "
        "FROM embeddings e JOIN embedding_metadata m ON m.id = e.id WHERE e.segment_id = ?",
        (documents,),
    ):
        value = text if text is not None else number if number is not None else real
        metas.setdefault(str(embedding_id), {})[str(key)] = value
    for source, meta in metas.items():
        records[source] = DocRecord.from_metadata(source, meta)
    for segment, wanted, what in (
        (passages, sum(r.passages for r in records.values()), "passages"),
        (sentences, sum(r.sentences for r in records.values()), "sentences"),
    ):
        (stored,) = db.execute("SELECT COUNT(*) FROM embeddings WHERE segment_id = ?", (segment,)).fetchone()
        if stored != wanted:
            raise _Distrust(f"{stored} {what} stored, the commit records count {wanted}")
    return records


def _metadata_segment(db: sqlite3.Connection, collection_id: str) -> str:
    """The collection's metadata segment, checked to hold every write Chroma has logged for it."""
    segments = db.execute(
        "SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA'", (collection_id,)
    ).fetchall()
    if len(segments) != 1:
        raise _Distrust(f"collection {collection_id} has {len(segments)} metadata segments")
    segment = str(segments[0][0])
    (logged,) = db.execute(
        "SELECT MAX(seq_id) FROM embeddings_queue WHERE topic LIKE ?", (f"%/{collection_id}",)
    ).fetchone()
    applied = db.execute("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment,)).fetchone()
    if logged is not None and (applied is None or int(applied[0]) < int(logged)):
        raise _Distrust(f"collection {collection_id} has writes Chroma has not applied yet")
    return segment


def unchanged_ingest(settings: Settings, corpus_dir: Path | None = None) -> IngestReport | None:
    """The report of an ingest that finds nothing to do, decided without opening Chroma; else None.

    Nothing to do means: every supported file of the corpus folder has a commit record with the
    file's SHA-256, its manifest entry's hash and the current :func:`pipeline_key`; no record is
    left without its file; the stored index is consistent (:func:`read_committed`); and the
    retrieval snapshot an ingest leaves is there (when ``retrieval_cache`` is on). This is what
    :func:`ingest.index.run_ingest` checks before it skips a document, minus anything it would
    repair. ``None`` (the full ingest must run) on any difference or doubt, also while another
    ingest holds the lock. Every file is hashed, as the full ingest does: no trust in times.
    """
    t0 = time.perf_counter()
    corpus_dir = corpus_dir or settings.corpus_dir
    if settings.chroma_host or not (settings.chroma_dir / "chroma.sqlite3").is_file():
        return None
    try:
        with ingest_lock(settings):
            records = read_committed(settings)
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
