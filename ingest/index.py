"""The Chroma index and incremental, crash-safe ingest.

Three collections hold the index:

* ``<collection>``: passages (the retrieval unit), embedded, cosine space.
* ``<collection>_sentences``: sentences (the citation unit), embedded, cosine space.
* ``<collection>_documents``: one commit record per document: which version of the
  document (content hash) is live, and with which pipeline (model, chunking).

A passage or sentence is *live* only while its ``doc_sha`` equals the committed hash of
its document. Ingest writes a changed document's new passages first, then commits the
new hash in one write, then deletes the old passages. Killed at any point, the index
answers from exactly one whole version of every document, and the next run finishes or
sweeps up what was left.

A rebuild (``kezhuan ingest --rebuild``, or a changed model or chunking) works the same way
one level up: it writes a whole new *generation* of the three collections
(``<collection>-g<time>``, ``..._sentences``, ``..._documents``) beside the live one, then
switches the pointer ``<collection>_live`` (one metadata write) to it, and only then drops the
old generation and sweeps the folders Chroma leaves behind for dropped collections. Killed
before the switch, the old generation still answers; the next run drops the unfinished one.
An index without a pointer is generation ``""`` (the plain names, as before generations).

A full disk is reported as such (:class:`~core.errors.DiskFullError`), never as a damaged
index, and nothing is deleted to make room: a failed rebuild drops only its own unfinished
generation.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from core.errors import (
    DiskFullError,
    DocumentReadError,
    IndexMissingError,
    IndexUnreadableError,
    KezhuanError,
)
from core.settings import Settings
from core.text import index_tokens
from ingest.load import SourceDocument, load_document
from ingest.records import (
    PIPELINE_VERSION,
    DocRecord,
    IngestReport,
    collection_pattern,
    discard_commit_manifest,
    generation_names,
    ingest_lock,
    pipeline_key,
    pointer_name,
    write_commit_manifest,
)
from ingest.sources import entry_hash, file_sha256, list_sources, read_manifest
from ingest.split import Chunk, Sentence, split_document
from ingest.structure import parse_document, unaccounted

if TYPE_CHECKING:
    from chromadb import Collection, Metadata

__all__ = [  # the commit records' names live in ingest.records (read without Chroma); kept here too
    "PIPELINE_VERSION",
    "DocRecord",
    "IndexStore",
    "IngestReport",
    "generation_names",
    "open_index",
    "pipeline_key",
    "pointer_name",
    "prepare_document",
    "record_id",
    "run_ingest",
]

log = logging.getLogger(__name__)

#: Texts embedded per model call: large enough for the model to batch texts of like length.
_EMBED_BATCH = 512
#: Texts of consecutive documents embedded, written and committed together.
_GROUP_TEXTS = 2048
#: Records per Chroma write (below the embedded store's maximum batch of 5,461).
_WRITE_BATCH = 2000


def make_client(settings: Settings) -> Any:
    """A Chroma client: a server when ``chroma_host`` is set, else embedded in ``data_dir``.

    Raises:
        IndexMissingError: the server cannot be reached.
        IndexUnreadableError: the embedded folder cannot be opened (a damaged database).
        DiskFullError: the disk holding the embedded folder is full.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
            return client
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        _check_database(settings.chroma_dir / "chroma.sqlite3")
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as e:
        if settings.chroma_host:
            raise IndexMissingError(
                f"Cannot open the Chroma server at {settings.chroma_host}:{settings.chroma_port} (is "
                f"`chroma run` up? check KEZHUAN_CHROMA_HOST/PORT): {type(e).__name__}: {e}"
            ) from e
        raise unreadable_index_error(settings.chroma_dir, e) from e


def unreadable_index_error(path: Path, error: BaseException) -> KezhuanError:
    """The error for an embedded index folder that cannot be opened or read: a full disk, or damage."""
    if is_disk_full(error, path):
        return disk_full_error(path, error)
    return IndexUnreadableError(
        f"Cannot read the index folder {path}: {type(error).__name__}: {error}. Run `kezhuan ingest "
        "--rebuild`: it builds a new index beside this one and only then sets the unreadable folder "
        f"aside as {path.name}.unreadable-<time> (delete that once the new index answers)."
    )


#: Error texts of a full disk: the OS's, SQLite's (SQLITE_FULL, code 13) and Chroma's.
_DISK_FULL_SIGNS = ("no space left on device", "disk is full", "(code: 13)", "enospc", "quota exceeded")
#: Below this many free bytes, any write error on the index's disk is taken for a full disk.
_NEARLY_FULL_BYTES = 1_000_000


def free_bytes(path: Path) -> int:
    """Free bytes on the disk holding ``path`` (or its nearest existing parent); -1 if unknown."""
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            if candidate.exists():
                return int(shutil.disk_usage(candidate).free)
    return -1


def is_disk_full(error: BaseException, path: Path | None = None) -> bool:
    """Whether ``error`` (or an error it came from) means the disk is full.

    An ``OSError`` with ``ENOSPC``/``EDQUOT``, or a message of SQLite or Chroma saying so; or any
    error while the disk holding ``path`` has less than 1 MB free (Chroma's own errors do not
    always carry the reason).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(sign in str(current).lower() for sign in _DISK_FULL_SIGNS):
            return True
        current = current.__cause__ or current.__context__
    return path is not None and 0 <= free_bytes(path) < _NEARLY_FULL_BYTES


def disk_full_error(path: Path, error: BaseException) -> DiskFullError:
    """The message for a full disk: what happened, that nothing was deleted, how to fix it."""
    free = free_bytes(path)
    shown = f"{free / 1e6:.1f} MB free" if free >= 0 else "free space unknown"
    return DiskFullError(
        f"The disk holding {path} is full ({shown}; {type(error).__name__}: {error}). Nothing was "
        "deleted: the index is as it was before this command. Free space on that disk (or set "
        "KEZHUAN_DATA_DIR to a folder on a larger one), then run the command again."
    )


def _check_database(path: Path) -> None:
    """Fail on a file that is not an SQLite database before chromadb opens it.

    chromadb keeps the client of a folder it failed to open cached for the rest of the
    process (and has no public way to drop one folder's), so a rebuild in the same process
    could not open the folder again.

    Raises:
        sqlite3.DatabaseError: ``path`` exists and is not a readable database.
    """
    if path.exists():
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA schema_version").fetchone()


class _NoEmbeddings(Embeddings):
    """Used when only reading stored vectors: refuses to embed instead of downloading a model."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise KezhuanError("This index store was opened without an embedding model.")

    def embed_query(self, text: str) -> list[float]:
        raise KezhuanError("This index store was opened without an embedding model.")


def live_generation(client: Any, collection: str) -> str:
    """The generation the pointer names (``""`` when there is no pointer: the plain names)."""
    from chromadb.errors import NotFoundError

    try:
        pointer = client.get_collection(pointer_name(collection))
    except NotFoundError:
        return ""
    except ValueError as e:  # older Chroma clients say "does not exist" with a ValueError
        if "does not exist" in str(e):
            return ""
        raise
    return str((pointer.metadata or {}).get("generation", ""))


def new_generation() -> str:
    """A name for a new generation, ordered by time (``g<nanoseconds>``)."""
    return f"g{time.time_ns()}"


class IndexStore:
    """kezhuan's index: three Chroma collections behind the few operations kezhuan needs.

    Only chromadb's public client and ``Collection`` API is used (``get_or_create_collection``,
    ``get``, ``query``, ``upsert``, ``delete``, ``count``, ``id``, ``close``, ``get_settings``);
    ``tests/test_chroma_contract.py`` pins the behaviour of it that kezhuan relies on.
    Vectors are computed by kezhuan (the collections have no embedding function).

    A store of an embedded index in the settings' own folder keeps the commit manifest that
    ``kezhuan ingest`` decides "nothing changed" from (:mod:`ingest.records`): every write deletes
    it first, and each commit writes it again for what the index then holds.

    Args:
        settings: Where the index lives (embedded folder or server) and its collection name.
        embeddings: The embedding model of the index (``store.embeddings`` for whoever embeds
            questions or passages for it); the store itself only stores vectors.
        client: An existing Chroma client (tests share one); made from settings otherwise,
            and then closed by :meth:`close`.
        generation: Open this generation (a rebuild writes a new one); ``None``: the live one.

    Raises:
        IndexMissingError: a Chroma server cannot be reached.
        IndexUnreadableError: the embedded index cannot be read (run ``kezhuan ingest --rebuild``).
        DiskFullError: the disk holding the embedded index is full.
    """

    #: Fixed metric: the query distance is 1 - cosine similarity (lower = more similar).
    SPACE = {"hnsw:space": "cosine"}

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        client: Any = None,
        generation: str | None = None,
    ) -> None:
        self.settings = settings
        self._owns_client = client is None
        self.client = client if client is not None else make_client(settings)
        self.embeddings = embeddings if embeddings is not None else _NoEmbeddings()
        self._fixed_generation = generation
        self.generation = generation or ""
        #: Whether this store keeps the commit manifest (``ingest.records``): an embedded index in
        #: the settings' own folder. Any write through the store deletes the manifest first.
        self.keeps_manifest = not settings.chroma_host and _persists_in(self.client, settings.chroma_dir)
        try:
            self._open()
        except IndexMissingError:
            self.close()
            raise

    def _open(self) -> None:
        if self._fixed_generation is not None:
            self._discard_manifest()  # a generation being written: the index is no longer as recorded
        try:
            if self._fixed_generation is None:
                self.generation = live_generation(self.client, self.settings.collection)
            passages, sentences, documents = generation_names(self.settings.collection, self.generation)
            self.passages: Collection = self._open_collection(passages)
            self.sentences: Collection = self._open_collection(sentences)
            self.documents: Collection = self._open_collection(documents)
        except Exception as e:
            if self.settings.chroma_host:
                raise IndexMissingError(
                    f"Cannot open the index collections '{self.settings.collection}' on the Chroma server "
                    f"{self.settings.chroma_host}:{self.settings.chroma_port}: {type(e).__name__}: {e}. "
                    "Check that `chroma run` is up, or run `kezhuan ingest --rebuild`."
                ) from e
            raise unreadable_index_error(self.settings.chroma_dir, e) from e

    def _open_collection(self, name: str) -> Collection:
        return self.client.get_or_create_collection(name, embedding_function=None, metadata=self.SPACE)

    def fresh(self) -> IndexStore:
        """The same index through a new client: an embedded Chroma's vector index read from disk again.

        The old store keeps working for whoever still holds it. With a Chroma server the client
        is shared (the server always serves the newest data).
        """
        if self.settings.chroma_host or not self._owns_client:
            return self
        from chromadb.api.shared_system_client import SharedSystemClient

        # Chroma hands out one cached client per folder; clearing the cache (its public reset)
        # makes the next client open the folder anew. Existing collections keep their own.
        SharedSystemClient.clear_system_cache()
        return IndexStore(self.settings, self.embeddings)

    def reopen(self) -> None:
        """Open the collections again (after another process rebuilt the index: the live generation)."""
        log.warning("Reopening the index collections '%s'", self.settings.collection)
        self._open()

    def close(self) -> None:
        """Release the Chroma client if this store made it (an embedded folder's files then close)."""
        if self._owns_client:
            with contextlib.suppress(Exception):
                self.client.close()

    @property
    def collection_id(self) -> str:
        """The passage collection's id: new after every ``ingest --rebuild``."""
        return str(self.passages.id)

    # -- passages and sentences -------------------------------------------------------
    def read_passages(self, limit: int, offset: int = 0) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Stored passages (live or not) in the store's own stable order: ids, texts, metadata.

        Args:
            limit: At most this many (one unpaged read of 100k fails in Chroma: "too many
                SQL variables").
            offset: How many to skip.
        """
        got = self.passages.get(include=["documents", "metadatas"], limit=limit, offset=offset)
        metas = [dict(m or {}) for m in got["metadatas"] or []]
        return list(got["ids"]), list(got["documents"] or []), metas

    def nearest_passages(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The ``n`` stored passages nearest to ``vector``: ``(id, cosine distance)``, nearest first.

        Ids and distances only: texts and metadata are read once, by :meth:`read_passages`.
        """
        query = np.asarray([vector], dtype=np.float32)
        got = self.passages.query(query_embeddings=query, n_results=n, include=["distances"])
        distances = (got["distances"] or [[]])[0]
        return [(str(i), float(d)) for i, d in zip(got["ids"][0], distances, strict=False)]

    def passage_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored passage vectors by id: ``{id: float32 vector}``; unknown ids are left out.

        Read in pages of 5,000 ids (one read of many more fails in Chroma: "too many SQL variables").
        """
        found: dict[str, np.ndarray] = {}
        for first in range(0, len(ids), 5000):
            got = self.passages.get(ids=list(ids[first : first + 5000]), include=["embeddings"])
            vectors = got["embeddings"] if got["embeddings"] is not None else []
            for pid, vec in zip(got["ids"], vectors, strict=False):
                found[str(pid)] = np.asarray(vec, np.float32)
        return found

    def get_sentences(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any], np.ndarray]]:
        """Stored sentences by id: ``{id: (text, metadata, vector)}``; unknown ids are left out."""
        got = self.sentences.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return {
            str(sid): (text, dict(meta or {}), np.asarray(vec, np.float32))
            for sid, text, meta, vec in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], vectors, strict=False
            )
        }

    def write_sentences(
        self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        """Store sentences with their vectors (replacing records of the same id)."""
        self._discard_manifest()
        _write_batches(self.sentences, ids, vectors, texts, metadatas)

    def write_passages(
        self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        """Store passages with their vectors (replacing records of the same id)."""
        self._discard_manifest()
        _write_batches(self.passages, ids, vectors, texts, metadatas)

    def is_stale(self) -> bool:
        """True when another generation went live since this store was opened (a rebuild finished)."""
        return self._fixed_generation is None and (
            live_generation(self.client, self.settings.collection) != self.generation
        )

    # -- commit records -------------------------------------------------------------
    def committed(self) -> dict[str, DocRecord]:
        """Committed document versions, keyed by source."""
        got = self.documents.get(include=["metadatas"])
        return {
            source: DocRecord.from_metadata(source, meta or {})
            for source, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
        }

    def commit(self, records: DocRecord | Sequence[DocRecord]) -> None:
        """Make one or several documents' versions live in one atomic write, then write the commit
        manifest (:meth:`write_manifest`).

        Args:
            records: The versions to commit; their passages and sentences must be written.
        """
        records = [records] if isinstance(records, DocRecord) else list(records)
        if not records:
            return
        self._discard_manifest()
        now = time.time()
        metas: list[Metadata] = [
            {
                "sha256": r.sha256,
                "pipeline": r.pipeline,
                "title": r.title,
                "publisher": r.publisher,
                "entry_sha": r.entry_sha,
                "passages": r.passages,
                "sentences": r.sentences,
                "committed_at": now,
            }
            for r in records
        ]
        self.documents.upsert(
            ids=[r.source for r in records],
            embeddings=np.ones((len(records), 1), dtype=np.float32),
            metadatas=metas,
            documents=[""] * len(records),
        )
        self.write_manifest()

    def _discard_manifest(self) -> None:
        if self.keeps_manifest:
            discard_commit_manifest(self.settings)

    def write_manifest(self) -> bool:
        """Write the commit manifest of the index as it is stored now (see :mod:`ingest.records`).

        Only a store of the live generation of an embedded index in the settings' folder writes
        one; its content is read back through the public API (the commit records, the passage and
        sentence counts). A manifest that cannot be written is logged and left missing: the next
        unchanged ``kezhuan ingest`` then takes the full path.

        Returns:
            Whether the manifest was written.
        """
        if (
            not self.keeps_manifest
            or live_generation(self.client, self.settings.collection) != self.generation
        ):
            return False
        try:
            write_commit_manifest(
                self.settings,
                self.generation,
                self.committed(),
                int(self.passages.count()),
                int(self.sentences.count()),
            )
        except OSError as e:
            log.warning(
                "Could not write the commit manifest (%s: %s); the next `kezhuan ingest` checks the "
                "index through Chroma instead",
                type(e).__name__,
                e,
            )
            return False
        return True

    def is_clean(self, committed: dict[str, DocRecord] | None = None) -> bool:
        """True when the stored records are exactly the committed versions' (nothing to sweep).

        Records are written before their document is committed and old versions deleted after,
        so a store whose counts equal the commit records' totals holds no leftovers: this check
        costs two counts instead of a scan per document.
        """
        committed = self.committed() if committed is None else committed
        passages = sum(r.passages for r in committed.values())
        sentences = sum(r.sentences for r in committed.values())
        return self.passages.count() == passages and self.sentences.count() == sentences

    def uncommit(self, source: str) -> None:
        """Take a document out of the live index (its passages become invisible at once)."""
        self._discard_manifest()
        self.documents.delete(ids=[source])

    def sweep(self) -> int:
        """Delete passages and sentences that belong to no committed document version."""
        committed = self.committed()
        if self.is_clean(committed):
            return 0
        self._discard_manifest()
        removed = 0
        for collection in (self.passages, self.sentences):
            before = collection.count()
            if committed:
                collection.delete(where={"source": {"$nin": sorted(committed)}})  # type: ignore[dict-item]
                for source, record in committed.items():
                    collection.delete(
                        where={"$and": [{"source": source}, {"doc_sha": {"$ne": record.sha256[:16]}}]}  # type: ignore[dict-item]
                    )
            elif before:
                ids = collection.get(include=[])["ids"]
                for i in range(0, len(ids), 1000):
                    collection.delete(ids=ids[i : i + 1000])
            removed += before - collection.count()
        return removed

    def count(self) -> int:
        """Number of stored passages (live or not)."""
        return int(self.passages.count())

    def drop(self) -> None:
        """Delete this generation's three collections."""
        self._discard_manifest()
        for name in generation_names(self.settings.collection, self.generation):
            with contextlib.suppress(Exception):
                self.client.delete_collection(name)

    def switch_to(self) -> None:
        """Make this store's generation the live one: one write of the pointer's metadata."""
        self._discard_manifest()
        name = pointer_name(self.settings.collection)
        pointer = self.client.get_or_create_collection(
            name, embedding_function=None, metadata={"generation": self.generation}
        )
        pointer.modify(metadata={"generation": self.generation, "switched_at": time.time()})
        log.info("Generation %r of the index is live", self.generation or "(plain names)")


def _persists_in(client: Any, folder: Path) -> bool:
    """Whether ``client`` is an embedded Chroma keeping its data in ``folder``."""
    try:
        chroma = client.get_settings()
        where = chroma.persist_directory if chroma.is_persistent else ""
        return bool(where) and Path(where).resolve() == folder.resolve()
    except Exception:  # a client of another kind: keep no manifest for it
        return False


def drop_other_generations(client: Any, collection: str) -> list[str]:
    """Delete every generation's collections but the live one (unfinished or replaced rebuilds).

    Call only while holding the ingest lock: a rebuild in progress is such a generation.

    Returns:
        The names of the collections deleted.
    """
    live = live_generation(client, collection)
    keep = set(generation_names(collection, live)) | {pointer_name(collection)}
    ours = collection_pattern(collection)
    dropped = []
    for found in client.list_collections():
        name = found if isinstance(found, str) else found.name
        if ours.match(name) and name not in keep:
            with contextlib.suppress(Exception):
                client.delete_collection(name)
                dropped.append(name)
    if dropped:
        log.info("Dropped the collections of replaced or unfinished generations: %s", ", ".join(dropped))
    return dropped


#: A Chroma segment folder's name: a UUID.
_SEGMENT_FOLDER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def segment_folders(chroma_dir: Path) -> set[str]:
    """Names of the vector-index folders in an embedded Chroma's folder (named by UUID)."""
    if not chroma_dir.is_dir():
        return set()
    return {p.name for p in chroma_dir.iterdir() if p.is_dir() and _SEGMENT_FOLDER.match(p.name)}


def sweep_segment_folders(
    chroma_dir: Path, folders: Iterable[str], client: Any, collection: str
) -> list[Path]:
    """Delete vector-index folders of collections this ingest has dropped (embedded Chroma only).

    Chroma 1.5 keeps a folder per collection's vector segment and leaves it on disk when the
    collection is deleted (every rebuild left three behind), and its public API does not say
    which folder belongs to which collection. So the caller names the folders: a finished
    rebuild, those that existed before it created its generation (all of them belong to the
    generations it has since dropped); a failed one, those that appeared since. Nothing is
    deleted when the Chroma folder also holds collections of another index (another
    ``collection`` setting), whose folders could not be told apart.

    Returns:
        The folders deleted.
    """
    ours = collection_pattern(collection)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    others = [n for n in names if not ours.match(n) and n != pointer_name(collection)]
    if others:
        log.info("Not sweeping old index folders: %s also holds %s", chroma_dir, ", ".join(sorted(others)))
        return []
    removed = []
    for name in sorted(set(folders) & segment_folders(chroma_dir)):
        shutil.rmtree(chroma_dir / name, ignore_errors=True)
        removed.append(chroma_dir / name)
    if removed:
        log.info("Removed %d folders of dropped collections from %s", len(removed), chroma_dir)
    return removed


def prepare_document(doc: SourceDocument, settings: Settings) -> tuple[list[Chunk], list[Sentence]]:
    """Split one document into passages and sentences, and log what was left out and why.

    Every letter or digit of the raw text ends up in a unit, a heading (the section shown in
    citations) or a dropped span with its reason; any other is logged as a warning.
    """
    cleaned = doc.cleaned
    if cleaned is None:  # a document built by hand: read it as loading would
        cleaned = parse_document(doc.raw, doc.kind, doc.meta.get("format", ""), settings)[0]
    chunks, sentences = split_document(
        cleaned,
        doc.source,
        settings.chunk_chars,
        settings.chunk_overlap_sentences,
        settings.max_unit_chars,
        doc.title,
        settings.heading_chars,
        settings.lead_in_chars,
    )
    reasons: dict[str, int] = {}
    for d in cleaned.dropped:
        reasons[d.reason] = reasons.get(d.reason, 0) + max(0, d.end - d.start)
    for reason, chars in sorted(reasons.items()):
        log.info("%s: left out %d characters: %s", doc.source, chars, reason)
    lost = unaccounted(doc.raw, cleaned, ((s.start, s.end) for s in sentences))
    if lost:
        sample = "".join(doc.raw[i] for i in lost[:40])
        log.warning("%s: %d characters are in no passage (%s...)", doc.source, len(lost), sample)
    return chunks, sentences


def record_id(doc: SourceDocument, item_id: str) -> str:
    """Id of a stored record: the version of its document, then its own content-derived id.

    The version prefix keeps two versions of a document apart while both are stored, so an
    interrupted update never alters the live version's records.
    """
    return f"{doc.sha256[:8]}-{item_id}"


def passage_heading(doc: SourceDocument, chunk: Chunk) -> str:
    """What a passage is part of, put before its text when it is embedded (never stored or quoted).

    A passage of a long document rarely names its document or section itself (an article of a
    regulation says 「本辦法」, a table row names no program); the heading gives the embedding that
    context, as contextual chunk headers do in retrieval practice. Format: ``《title》section：``.
    """
    parts = [f"《{doc.title}》" if doc.title else "", chunk.section]
    return "".join(parts) + "：" if any(parts) else ""


def label_tokens(chunk: Chunk, title: str = "", repeats: int = Settings.label_repeats) -> list[str]:
    """Search tokens of a labelled passage (a law article, a table row): its label in both forms
    (``第24條``, ``第二十四條``), ``repeats`` times (``Settings.label_repeats``: like a title
    field, it names the passage), and its document's title, which such a passage never says
    itself (``研發成果歸屬及運用辦法第24條``). Other passages get none.
    """
    forms = {chunk.meta.get(k, "") for k in ("label", "article", "article_zh")} - {""}
    if not forms:
        return []
    return index_tokens(" ".join(sorted(forms))) * repeats + index_tokens(title)


def _passage_metadata(chunk: Chunk, doc: SourceDocument, label_repeats: int) -> dict[str, Any]:
    return {
        "source": chunk.source,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "kind": chunk.kind,
        "doc_sha": doc.sha256[:16],
        "title": doc.title,
        "publisher": doc.publisher,
        "label": chunk.meta.get("label", ""),
        "tokens": " ".join(index_tokens(chunk.text) + label_tokens(chunk, doc.title, label_repeats)),
        "sentence_ids": ",".join(record_id(doc, sid) for sid in chunk.sentence_ids),
        "name": chunk.meta.get("name", ""),
        "city": chunk.meta.get("city", ""),
    }


def _sentence_metadata(sentence: Sentence, doc: SourceDocument) -> dict[str, Any]:
    return {
        "source": sentence.source,
        "section": sentence.section,
        "start": sentence.start,
        "end": sentence.end,
        "doc_sha": doc.sha256[:16],
        "prefix_len": len(sentence.context),
        "lead": sentence.lead,
    }


def _embed(embeddings: Embeddings, texts: list[str], tick: Callable[[int], None]) -> np.ndarray:
    """Embed texts as passages in model calls of :data:`_EMBED_BATCH`, as one float32 array."""
    encode = getattr(embeddings, "encode_passages", None)  # numpy straight from our models
    parts = []
    for i in range(0, len(texts), _EMBED_BATCH):
        batch = texts[i : i + _EMBED_BATCH]
        vectors = encode(batch) if callable(encode) else embeddings.embed_documents(batch)
        parts.append(np.asarray(vectors, dtype=np.float32))
        tick(len(batch))
    return np.concatenate(parts) if parts else np.empty((0, 0), dtype=np.float32)


def _write_batches(
    collection: Collection,
    ids: list[str],
    vectors: np.ndarray,
    texts: list[str],
    metadatas: list[dict[str, Any]],
) -> None:
    """Upsert records with their vectors into a Chroma collection, :data:`_WRITE_BATCH` at a time."""
    for i in range(0, len(ids), _WRITE_BATCH):
        j = i + _WRITE_BATCH
        collection.upsert(
            ids=ids[i:j],
            embeddings=vectors[i:j],
            documents=texts[i:j],
            metadatas=metadatas[i:j],  # type: ignore[arg-type]
        )


_Prepared = tuple[SourceDocument, list[Chunk], list[Sentence]]


def _groups(prepared: list[_Prepared]) -> Iterator[list[_Prepared]]:
    """Consecutive documents with about :data:`_GROUP_TEXTS` texts between them (a big one alone)."""
    group: list[_Prepared] = []
    size = 0
    for item in prepared:
        group.append(item)
        size += len(item[1]) + len(item[2])
        if size >= _GROUP_TEXTS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _ingest_group(
    store: IndexStore, group: list[_Prepared], key: str, embeddings: Embeddings, tick: Callable[[int], None]
) -> None:
    """Embed and write a group of documents' sentences and passages, then commit the documents.

    All texts of the group go to the model together, so it batches them well, and to Chroma in a
    few large writes. The commit records are written last: killed before that, the group's records
    are invisible leftovers that the next run sweeps.
    """
    sentences = [(doc, s) for doc, _, doc_sentences in group for s in doc_sentences]
    chunks = [(doc, c) for doc, doc_chunks, _ in group for c in doc_chunks]
    sentence_texts = [s.context + s.text for _, s in sentences]
    passage_texts = [c.text for _, c in chunks]
    sentence_vectors = _embed(embeddings, sentence_texts, tick)
    passage_vectors = _embed(embeddings, [passage_heading(doc, c) + c.text for doc, c in chunks], tick)
    store.write_sentences(
        [record_id(doc, s.id) for doc, s in sentences],
        sentence_vectors,
        sentence_texts,
        [_sentence_metadata(s, doc) for doc, s in sentences],
    )
    store.write_passages(
        [record_id(doc, c.id) for doc, c in chunks],
        passage_vectors,
        passage_texts,
        [_passage_metadata(c, doc, store.settings.label_repeats) for doc, c in chunks],
    )
    store.commit(
        [
            DocRecord(doc.source, doc.sha256, key, doc.title, len(c), len(s), doc.publisher, doc.entry_sha)
            for doc, c, s in group
        ]
    )


def run_ingest(
    settings: Settings,
    corpus_dir: Path | None = None,
    embeddings: Embeddings | None = None,
    progress: bool = True,
    rebuild: bool = False,
    client: Any = None,
) -> IngestReport:
    """Bring the index in line with the corpus folder: add, update, remove; skip the unchanged.

    A rebuild (``rebuild``, or a changed model or chunking) writes a new generation beside the
    live one and switches to it at the end (see the module docstring): killed at any point, the
    old index still answers. An embedded index folder that cannot be read at all is rebuilt in a
    folder beside it, which replaces it at the end; the unreadable one is set aside, not deleted.

    Args:
        settings: kezhuan settings.
        corpus_dir: Folder to ingest (default ``settings.corpus_dir``).
        embeddings: Embedding model (default: loaded from settings, only if something changed).
        progress: Show progress bars.
        rebuild: Embed every document again into a new generation of the index.
        client: An existing Chroma client.

    Returns:
        What changed. Documents that cannot be read are listed in ``failed`` (the rest are
        still ingested).

    Raises:
        DiskFullError: the disk filled up; the live index is as it was (the unfinished
            generation, if any, is dropped again).
        IndexUnreadableError: the index cannot be read and ``rebuild`` was not asked for.
    """
    t0 = time.perf_counter()
    corpus_dir = corpus_dir or settings.corpus_dir
    with ingest_lock(settings):
        try:
            store = IndexStore(settings, embeddings, client=client)
        except IndexUnreadableError:
            if not (rebuild and client is None and not settings.chroma_host):
                raise
            report = _rebuild_unreadable_folder(settings, corpus_dir, embeddings, progress)
        else:
            try:
                report = _ingest_into(store, settings, corpus_dir, embeddings, progress, rebuild)
            except KezhuanError:
                raise
            except Exception as e:
                if not settings.chroma_host and is_disk_full(e, settings.chroma_dir):
                    raise disk_full_error(settings.chroma_dir, e) from e
                raise
            finally:
                store.close()  # only a client this run made: the folder's files are released
    report.seconds = time.perf_counter() - t0
    return report


def _ingest_into(
    store: IndexStore,
    settings: Settings,
    corpus_dir: Path,
    embeddings: Embeddings | None,
    progress: bool,
    rebuild: bool,
) -> IngestReport:
    """Ingest into the opened index: in place, or into a new generation that then goes live."""
    report = IngestReport()
    key = pipeline_key(settings)
    committed = store.committed()
    live: IndexStore | None = None
    if rebuild or any(r.pipeline != key for r in committed.values()):
        if committed and not rebuild:
            log.info("The embedding model or chunking changed: rebuilding the whole index.")
        live = store
        drop_other_generations(store.client, settings.collection)  # an earlier unfinished one
        before = _folders(settings)  # the old generations' vector folders, swept after the switch
        store = IndexStore(settings, embeddings, client=store.client, generation=new_generation())
        log.info("Building generation %s beside the live one (%r)", store.generation, live.generation)
        committed = {}
    else:
        # Leftovers of a rebuild killed before its switch (their folders go at the next rebuild).
        drop_other_generations(store.client, settings.collection)
        before = set()
    try:
        _write_documents(store, settings, corpus_dir, embeddings, progress, committed, key, report)
        if live is not None:
            store.switch_to()
            live.drop()
            drop_other_generations(store.client, settings.collection)
            _sweep_folders(settings, store.client, before)
    except BaseException as e:
        if live is not None and not isinstance(e, KeyboardInterrupt):
            # The new generation is not live: give its space back (the disk may be full).
            with contextlib.suppress(Exception):
                store.drop()
                _sweep_folders(settings, store.client, _folders(settings) - before)
        raise
    report.swept = store.sweep()
    store.write_manifest()  # also after a run that found nothing to do: the manifest was missing
    return report


def _folders(settings: Settings) -> set[str]:
    """The embedded store's vector-index folders (none with a Chroma server)."""
    return set() if settings.chroma_host else segment_folders(settings.chroma_dir)


def _sweep_folders(settings: Settings, client: Any, folders: set[str]) -> None:
    if not settings.chroma_host and folders:
        sweep_segment_folders(settings.chroma_dir, folders, client, settings.collection)


def _write_documents(
    store: IndexStore,
    settings: Settings,
    corpus_dir: Path,
    embeddings: Embeddings | None,
    progress: bool,
    committed: dict[str, DocRecord],
    key: str,
    report: IngestReport,
) -> None:
    """Load the corpus; uncommit removed documents; embed, write and commit new and changed ones."""
    from tqdm import tqdm

    paths = list_sources(corpus_dir)
    manifest = read_manifest(corpus_dir)
    # An unchanged document (same bytes, same manifest entry) is not even read.
    todo: list[SourceDocument] = []
    present = set()
    for path in paths:
        source = path.relative_to(corpus_dir).as_posix()
        present.add(source)
        record = committed.get(source)
        try:
            if record and record.pipeline == key:
                same_entry = record.entry_sha == entry_hash(manifest.get(source))
                if same_entry and record.sha256 == file_sha256(path):
                    report.unchanged.append(source)
                    continue
            doc = load_document(path, corpus_dir, manifest, settings)
        except (DocumentReadError, OSError) as e:
            log.error("%s", e)
            report.failed[source] = str(e)
            if record and record.pipeline == key:
                report.kept.append(source)  # its committed version stays live (see IngestReport.kept)
            continue
        todo.append(doc)
        (report.updated if record else report.added).append(doc.source)
    for source in sorted(set(committed) - present):
        store.uncommit(source)
        report.removed.append(source)
    if not todo:
        return
    if embeddings is None:
        from ingest.embed import load_embeddings

        embeddings = load_embeddings(settings)
        store.embeddings = embeddings
    prepared = [(doc, *prepare_document(doc, settings)) for doc in todo]
    total = sum(len(c) + len(s) for _, c, s in prepared)
    with tqdm(total=total, desc="Embedding passages", unit="text", disable=not progress) as bar:
        for group in _groups(prepared):
            _ingest_group(store, group, key, embeddings, bar.update)
            for doc, chunks, sentences in group:
                report.passages += len(chunks)
                report.sentences += len(sentences)
                log.info("Ingested %s: %d passages, %d sentences", doc.source, len(chunks), len(sentences))


def _close(client: Any) -> None:
    """Release a Chroma client this module made (its folder's files close)."""
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


#: Suffix of the folder a rebuild of an unreadable embedded index is written to.
_REBUILD_SUFFIX = ".rebuild"


def _rebuild_unreadable_folder(
    settings: Settings, corpus_dir: Path, embeddings: Embeddings | None, progress: bool
) -> IngestReport:
    """Rebuild an embedded index that cannot be read: in a folder beside it, then swap folders.

    The unreadable folder stays where it is until the new one is complete, and is then renamed
    to ``chroma.unreadable-<time>`` (not deleted: the operator may want to inspect or recover it).
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    target = settings.chroma_dir
    beside = target.with_name(target.name + _REBUILD_SUFFIX)
    discard_commit_manifest(settings)  # the next full ingest writes the new folder's
    log.warning("The index folder %s cannot be read; rebuilding it in %s", target, beside)
    shutil.rmtree(beside, ignore_errors=True)  # an earlier unfinished rebuild, never the live index
    client = None
    try:
        beside.mkdir(parents=True)
        client = chromadb.PersistentClient(
            path=str(beside), settings=ChromaSettings(anonymized_telemetry=False)
        )
        store = IndexStore(settings, embeddings, client=client, generation="")
        report = IngestReport()
        _write_documents(
            store, settings, corpus_dir, embeddings, progress, {}, pipeline_key(settings), report
        )
        report.swept = store.sweep()
    except BaseException as e:
        _close(client)
        shutil.rmtree(beside, ignore_errors=True)
        if isinstance(e, Exception) and not isinstance(e, KezhuanError) and is_disk_full(e, beside):
            raise disk_full_error(target, e) from e
        raise
    _close(client)
    aside = target.with_name(f"{target.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    if target.exists():
        target.rename(aside)
        log.warning(
            "The unreadable index folder was set aside as %s; delete it once the new index answers", aside
        )
    beside.rename(target)
    return report


def open_index(settings: Settings, embeddings: Embeddings | None = None, client: Any = None) -> IndexStore:
    """Open an existing index for reading.

    Raises:
        IndexMissingError: there is no index, it is empty, or it was built with other settings.
    """
    if not settings.chroma_host and not settings.chroma_dir.exists():
        raise IndexMissingError(
            f"No index at {settings.chroma_dir}. Run `kezhuan ingest` to build it from {settings.corpus_dir}."
        )
    store = IndexStore(settings, embeddings, client=client)
    committed = store.committed()
    if not committed:
        raise IndexMissingError(
            f"The index '{settings.collection}' holds no documents. Run `kezhuan ingest` to build it."
        )
    key = pipeline_key(settings)
    stale = sorted(s for s, r in committed.items() if r.pipeline != key)
    if stale:
        raise IndexMissingError(
            f"The index was built with other model or chunking settings ({stale[0]}, ...). "
            "Run `kezhuan ingest` to rebuild it with the current settings."
        )
    return store
