"""Hybrid retrieval: dense vectors in Chroma plus Chinese BM25, fused by reciprocal rank.

BM25 runs over tokens computed at ingest (character bigrams of the text
normalised to one script, see :mod:`core.text`), so a question in Simplified
Chinese, or with 台/臺 and similar variants, matches the Traditional passages. The BM25
side is rebuilt from the store's live passages whenever the index changes, so several
workers sharing one Chroma server stay consistent.

A running server sees an ingest finished by another process within
``Settings.index_check_seconds``: the commit records are read again that often, and when they
changed the new version's passages are loaded beside the old. An embedded Chroma keeps the
vector index it opened in memory, so the new version gets a fresh client (Chroma reads the
index from disk again). One request reads one version: :meth:`Retriever.pinned` holds the
snapshot and the store it came from until the request ends, while the next request gets the
new one.

Reading every passage from Chroma and building BM25 and the glossary takes about 30 s at 100k
passages, so the result (a *snapshot*) is also saved to a file in the data folder, tagged with
what it was built from: the commit records' fingerprint, the pipeline settings, the collection,
the code that builds it and the file format. A process that starts on an unchanged index loads
that file instead (0.6 s at 100k passages); any mismatch, or a file that cannot be read whole,
means a rebuild from the store.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import functools
import hashlib
import io
import json
import logging
import math
import os
import pickle
import re
import sys
import threading
import time
import zipfile
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr, SkipValidation
from scipy import sparse

from assistant import statutes
from assistant.bilingual import Bridged, ChineseBridge, EnglishBridge, EnglishText
from assistant.glossary import GLOSSARY_NAME, Glossary
from assistant.lexicon import content_terms, general_tag, general_words, register_words, verb_stem
from assistant.reply import Passage
from assistant.synonyms import Synonyms
from assistant.tables import row_heading, table_section
from assistant.titles import NamedDocuments, heading_share, named_documents
from core.errors import IndexMissingError
from core.settings import RETRIEVAL_MODES, Settings
from core.text import article_tokens, bigram_list, count_cjk, index_tokens, to_search_form
from ingest.clean import SECTION_PATH_SEPARATOR
from ingest.index import IndexStore, open_index, pipeline_key
from ingest.records import snapshot_path

log = logging.getLogger(__name__)

#: A Latin word of two or more letters: the text may hold English to bridge.
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def named_articles(question: str) -> list[str]:
    """The law articles a question names, as index tokens (``第24条``, ``第4-1条``), in order,
    each once: every form :data:`core.text.ARTICLE_REF` reads (``第24條``, ``第二十四條``,
    ``10-1條``, ``10條之1``, ``產創條例10條``, ``Article 24``)."""
    return list(dict.fromkeys(article_tokens(question)))


#: Passages read from the store per request when loading them all.
_READ_PAGE = 5000

#: Version of the snapshot file: bump when its layout, or how a snapshot is built, changes.
SNAPSHOT_FORMAT = 1

#: The snapshot a request reads (see :meth:`Retriever.pinned`), with the retriever it belongs to.
_pinned: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "kezhuan_pinned", default=None
)

#: Threads that embed questions while BM25 scores them (see :meth:`Retriever.search`).
_EMBED_THREADS = 4
_embed_pool: ThreadPoolExecutor | None = None
_embed_pool_lock = threading.Lock()


def _embed_in_background(embeddings: Embeddings, query: str) -> Future[list[float]]:
    """Embed ``query`` on a pool thread; the model's native code runs without the GIL meanwhile."""
    global _embed_pool
    if _embed_pool is None:
        with _embed_pool_lock:
            if _embed_pool is None:
                _embed_pool = ThreadPoolExecutor(_EMBED_THREADS, thread_name_prefix="kezhuan-embed")
    return _embed_pool.submit(embeddings.embed_query, query)


#: Most terms whose spelled-out phrases (:meth:`Retriever.spelled_out`) are kept in memory.
_ABBREVIATIONS_KEPT = 10_000


class BM25:
    """Okapi BM25 over pre-tokenised documents (sparse matrix; fast for 100k passages).

    Args:
        documents: One token list per document, read once in order (an iterator keeps only one
            document's tokens in memory at a time).
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, documents: Iterable[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        vocab: dict[str, int] = {}
        # Typed arrays, not lists of Python ints: 100k passages make some 25M entries.
        rows, cols, vals, lengths = array("i"), array("i"), array("f"), array("f")
        for i, tokens in enumerate(documents):
            lengths.append(len(tokens))
            for token, tf in Counter(tokens).items():
                j = vocab.setdefault(token, len(vocab))
                rows.append(i)
                cols.append(j)
                vals.append(tf)
        n = len(lengths)
        tf_matrix = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, len(vocab))
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocab)).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc_lengths = np.asarray(lengths, dtype=np.float32)
        avg = float(doc_lengths.mean()) if n else 1.0
        norm = k1 * (1.0 - b + b * doc_lengths / max(avg, 1e-6))
        coo = tf_matrix.tocoo()
        weights = coo.data * (k1 + 1.0) / (coo.data + norm[coo.row])
        self.vocab = vocab
        self.idf = idf
        self.matrix = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=tf_matrix.shape)
        self.size = n

    @classmethod
    def from_arrays(
        cls,
        size: int,
        tokens: list[str],
        idf: np.ndarray,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
    ) -> BM25:
        """A BM25 index from its saved parts (:meth:`arrays`), without reading the documents again.

        Raises:
            ValueError: the parts do not fit together.
        """
        if (
            len(idf) != len(tokens)
            or len(indptr) != len(tokens) + 1
            or len(indices) != len(data)
            or (len(indptr) and (int(indptr[0]) != 0 or int(indptr[-1]) != len(data)))
            or np.any(np.diff(indptr) < 0)
            or (len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= size))
        ):
            raise ValueError(
                f"BM25 parts do not fit: {size} documents, {len(tokens)} tokens, {len(idf)} IDFs, "
                f"{len(indptr)} column pointers, {len(indices)} row indices, {len(data)} weights"
            )
        bm25 = cls.__new__(cls)
        bm25.vocab = {token: j for j, token in enumerate(tokens)}
        if len(bm25.vocab) != len(tokens):
            raise ValueError("BM25 parts do not fit: a token is listed twice")
        bm25.idf = idf
        bm25.matrix = sparse.csc_matrix((data, indices, indptr), shape=(size, len(tokens)), copy=False)
        bm25.size = size
        return bm25

    def arrays(self) -> tuple[int, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parts :meth:`from_arrays` takes: size, tokens in column order, IDF, CSC data/indices/indptr."""
        m = self.matrix
        return self.size, list(self.vocab), self.idf, m.data, m.indices, m.indptr

    def idf_of(self, token: str) -> float:
        """IDF of a token; a longer Chinese word gets the mean IDF of its bigrams; unseen ones the largest."""
        j = self.vocab.get(token)
        if j is not None:
            return float(self.idf[j])
        if len(token) > 2 and count_cjk(token) == len(token):
            grams = [token[i : i + 2] for i in range(len(token) - 1)]
            return sum(self.idf_of(g) for g in grams) / len(grams)
        return math.log(1.0 + (self.size + 0.5) / 0.5)

    def document_frequency(self, token: str) -> int:
        """How many documents (passages) hold the index token (a character bigram); 0 for none."""
        j = self.vocab.get(token)
        return 0 if j is None else int(self.matrix.indptr[j + 1] - self.matrix.indptr[j])

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens."""
        out = np.zeros(self.size, dtype=np.float32)
        matrix = self.matrix
        for token, count in Counter(tokens).items():
            j = self.vocab.get(token)
            if j is None:
                continue
            # The column's slice of the CSC arrays (getcol would copy it into a new matrix).
            lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
            out[matrix.indices[lo:hi]] += self.idf[j] * matrix.data[lo:hi] * count
        return out

    def top(self, scores: np.ndarray, k: int) -> np.ndarray:
        """Indices of the ``k`` best positive scores, best first (equal scores: lower index first).

        Partitions first, so 100k passages cost a linear pass instead of a full sort.
        """
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            kth = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
            positive = positive[scores[positive] >= kth]
        order = np.argsort(-scores[positive], kind="stable")
        return positive[order][:k]


@dataclass
class _Snapshot:
    """The live passages held in memory for BM25 and for building results (one column per field)."""

    ids: list[str]
    texts: list[str]
    sources: list[str]
    sections: list[str]
    titles: list[str]
    kinds: list[str]
    starts: list[int]
    ends: list[int]
    sentence_ids: list[str]
    bm25: BM25
    #: The glossary found in the texts, pickled before the corpus glossary file is merged into it.
    found_glossary: bytes
    glossary: Glossary
    live: dict[str, str]
    fingerprint: str
    position: dict[str, int] = field(init=False)
    #: Per source, its text passages' (start, position) sorted: next_passage without a full scan.
    by_source: dict[str, list[tuple[int, int]]] = field(init=False)
    #: Per source, its title.
    doc_titles: dict[str, str] = field(init=False)
    #: Per source, its publisher (from the commit records; not saved in the snapshot file).
    publishers: dict[str, str] = field(default_factory=dict)
    #: The store this version was read from (dense search and sentences of this version).
    store: Any = None
    #: Positions of the passages labelled with each law article (``第24条``), built on first use.
    articles: dict[str, list[int]] | None = None
    #: Unit passage vectors in snapshot order for exact dense search, read on first use.
    vectors: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        columns = (self.texts, self.sources, self.sections, self.titles, self.kinds)
        if any(len(c) != n for c in (*columns, self.starts, self.ends, self.sentence_ids)):
            raise ValueError("snapshot columns differ in length")
        if self.bm25.size != n:
            raise ValueError(f"BM25 covers {self.bm25.size} passages, the snapshot {n}")
        self.position = {pid: i for i, pid in enumerate(self.ids)}
        by_source: dict[str, list[tuple[int, int]]] = {}
        for i, kind in enumerate(self.kinds):
            if kind == "text":
                by_source.setdefault(self.sources[i], []).append((self.starts[i], i))
        for entries in by_source.values():
            entries.sort()
        self.by_source = by_source
        self.doc_titles = dict(zip(self.sources, self.titles, strict=True))


# -- the snapshot file ------------------------------------------------------------------
# An uncompressed .npz of plain arrays (no object dtypes), each member read whole with zip's
# CRC-32 checked, so a truncated or damaged file fails to load instead of loading wrong.
# Strings are one UTF-8 blob per column plus character offsets; columns with few distinct
# values (source, section, title, kind) are those values plus one code per passage. The
# glossary found in the texts is a pickle in a byte array, read back by an unpickler that
# builds nothing but a Glossary.


def _pack_strings(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values)), out=offsets[1:])
    blob = "".join(values).encode("utf-8", "surrogatepass")
    return np.frombuffer(blob, dtype=np.uint8), offsets


def _unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    joined = str(blob.data, "utf-8", "surrogatepass")  # decoded in place, no copy of the bytes
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(joined) or np.any(np.diff(offsets) < 0):
        raise ValueError("string offsets do not fit their text")
    bounds = offsets.tolist()
    return [joined[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _pack_codes(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes: dict[str, int] = {}
    column = np.fromiter((codes.setdefault(v, len(codes)) for v in values), dtype=np.int32, count=len(values))
    return (*_pack_strings(list(codes)), column)


def _unpack_codes(blob: np.ndarray, offsets: np.ndarray, column: np.ndarray) -> list[str]:
    distinct = _unpack_strings(blob, offsets)
    if len(column) and (int(column.min()) < 0 or int(column.max()) >= len(distinct)):
        raise ValueError("codes outside their column's values")
    return [distinct[c] for c in column.tolist()]


_STRING_COLUMNS = ("ids", "texts", "sentence_ids", "bm25_tokens")
_CODED_COLUMNS = ("sources", "sections", "titles", "kinds")


class _GlossaryUnpickler(pickle.Unpickler):
    """Unpickles a :class:`Glossary` and plain values only: a tampered file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (Glossary.__module__, Glossary.__qualname__):
            return Glossary
        raise pickle.UnpicklingError(f"a saved glossary holds only a Glossary, not {module}.{name}")


@functools.cache
def _code_version() -> str:
    """A hash of the code that builds a snapshot: a changed module makes saved snapshots stale."""
    digest = hashlib.sha256()
    for module in (__name__, Glossary.__module__, to_search_form.__module__):
        try:
            digest.update(Path(str(sys.modules[module].__file__)).read_bytes())
        except (OSError, KeyError, AttributeError):  # no source files (a frozen install): its version
            from importlib.metadata import version

            digest.update(f"{module} of kezhuan {version('kezhuan')}".encode())
    return digest.hexdigest()[:16]


class StaleSnapshotError(Exception):
    """The snapshot file was built from another version of the index (or another file format)."""


def save_snapshot(settings: Settings) -> Path | None:
    """Build the retrieval snapshot of the index as it is now and save it (``kezhuan ingest`` ends so).

    The first question after an ingest then loads the file instead of reading every passage
    from the store (about 30 s at 100k passages). Loads and keeps an up-to-date file.

    Returns:
        The snapshot file, or None when ``retrieval_cache`` is off.

    Raises:
        IndexMissingError: there is no index to take a snapshot of.
    """
    if not settings.retrieval_cache:
        return None
    store = open_index(settings)
    Retriever(store, store.embeddings, settings)
    return snapshot_path(settings)


def _save_snapshot(path: Path, key: dict[str, Any], snap: _Snapshot) -> None:
    """Write the snapshot to ``path`` atomically (a temporary file, then a rename)."""
    arrays: dict[str, np.ndarray] = {
        "key": np.frombuffer(json.dumps(key, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    }
    size, tokens, idf, data, indices, indptr = snap.bm25.arrays()
    strings = {"ids": snap.ids, "texts": snap.texts, "sentence_ids": snap.sentence_ids, "bm25_tokens": tokens}
    for name, values in strings.items():
        arrays[f"{name}.blob"], arrays[f"{name}.offsets"] = _pack_strings(values)
    coded = {"sources": snap.sources, "sections": snap.sections, "titles": snap.titles, "kinds": snap.kinds}
    for name, values in coded.items():
        arrays[f"{name}.blob"], arrays[f"{name}.offsets"], arrays[f"{name}.codes"] = _pack_codes(values)
    arrays["starts"] = np.asarray(snap.starts, dtype=np.int64)
    arrays["ends"] = np.asarray(snap.ends, dtype=np.int64)
    arrays["found_glossary"] = np.frombuffer(snap.found_glossary, dtype=np.uint8)
    arrays.update(
        bm25_size=np.asarray(size, dtype=np.int64),
        bm25_idf=idf,
        bm25_data=data,
        bm25_indices=indices,
        bm25_indptr=indptr,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with temporary.open("wb") as handle:
            np.savez(handle, **cast(dict[str, Any], arrays))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _remove_abandoned(path: Path) -> None:
    """Delete temporary files of ``path`` left by processes that died while writing it."""
    for temporary in path.parent.glob(f".{path.name}.*-*.tmp"):
        try:
            os.kill(int(temporary.name[len(path.name) + 2 :].split("-")[0]), 0)
        except ProcessLookupError:  # its writer is gone
            with contextlib.suppress(OSError):
                temporary.unlink()
        except (ValueError, OSError):  # not ours, or a live process of another user
            continue


def _load_snapshot(path: Path, key: dict[str, Any], live: dict[str, str], fingerprint: str) -> _Snapshot:
    """The snapshot saved in ``path`` if it was built from exactly ``key``.

    Raises:
        FileNotFoundError: there is no snapshot file.
        StaleSnapshotError: the file holds a snapshot of another index version or format.
        Exception: anything else: the file is damaged (truncated, bad CRC, inconsistent columns).
    """
    with zipfile.ZipFile(path) as archive:
        saved = _SavedArrays(archive)
        stored = json.loads(saved["key"].tobytes().decode("utf-8"))
        if stored != key:
            raise StaleSnapshotError(_key_difference(stored, key))
        strings = {
            name: _unpack_strings(saved[f"{name}.blob"], saved[f"{name}.offsets"]) for name in _STRING_COLUMNS
        }
        coded = {
            name: _unpack_codes(saved[f"{name}.blob"], saved[f"{name}.offsets"], saved[f"{name}.codes"])
            for name in _CODED_COLUMNS
        }
        starts, ends = saved["starts"].tolist(), saved["ends"].tolist()
        found_glossary = saved["found_glossary"].tobytes()
        bm25 = BM25.from_arrays(
            int(saved["bm25_size"]),
            strings["bm25_tokens"],
            saved["bm25_idf"],
            saved["bm25_data"],
            saved["bm25_indices"],
            saved["bm25_indptr"],
        )
    glossary = _GlossaryUnpickler(io.BytesIO(found_glossary)).load()
    if not isinstance(glossary, Glossary):
        raise TypeError(f"the saved glossary is a {type(glossary).__name__}")
    return _Snapshot(
        strings["ids"],
        strings["texts"],
        coded["sources"],
        coded["sections"],
        coded["titles"],
        coded["kinds"],
        starts,
        ends,
        strings["sentence_ids"],
        bm25,
        found_glossary,
        glossary,
        live,
        fingerprint,
    )


class _SavedArrays:
    """The arrays of an uncompressed ``.npz``, each member read whole (zip checks its CRC-32).

    Faster than ``np.load`` for large members: the array is a view of the bytes read, not a copy
    assembled in chunks. Only plain dtypes are accepted (never pickled objects).
    """

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def __getitem__(self, name: str) -> np.ndarray:
        raw = self.archive.read(f"{name}.npy")
        stream = io.BytesIO(raw)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        if dtype.hasobject or fortran_order:
            raise ValueError(f"{name}: unexpected array layout ({dtype}, Fortran order {fortran_order})")
        count = math.prod(shape)
        return np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell()).reshape(shape)


def _key_difference(stored: Any, key: dict[str, Any]) -> str:
    if not isinstance(stored, dict):
        return "no key"
    changed = sorted(k for k in set(stored) | set(key) if stored.get(k) != key.get(k))
    return f"built from another {', '.join(changed) or 'index'}"


class Retriever(BaseRetriever):
    """Finds the passages that best match a question; a langchain-core ``BaseRetriever``.

    ``invoke(question)`` returns ``Document``s (the passage text, and in ``metadata``: ``id``,
    ``source``, ``section``, ``start``/``end`` character offsets in the cleaned source text,
    ``title``, ``kind``, ``score`` (the fused score, higher is better), ``dense_score``
    (cosine similarity) and ``bm25_score`` (None where that ranker did not return the
    passage), and ``rank`` from 1), so it fits any LangChain chain. kezhuan's own code calls
    :meth:`search`, which returns :class:`~assistant.reply.Passage` records.

    Args:
        store: The opened index.
        embeddings: The same embedding model the index was built with.
        settings: ``top_k``, ``retrieval_mode``, fusion weights; ``retrieval_cache`` and
            ``data_dir`` for the snapshot file.
        k: Documents per ``invoke`` (default ``settings.top_k``).
        mode: ``hybrid``, ``dense`` or ``bm25`` for ``invoke`` (default ``settings.retrieval_mode``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: SkipValidation[IndexStore]
    embeddings: SkipValidation[Embeddings]
    settings: SkipValidation[Settings]
    k: int | None = None
    mode: str | None = None
    #: How the last (re)load got its snapshot: ``built`` from the store or ``loaded`` from the file.
    loaded_from: str = ""
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _snapshot: _Snapshot | None = PrivateAttr(default=None)
    _checked_at: float = PrivateAttr(default=0.0)
    _publishers: dict[str, str] = PrivateAttr(default_factory=dict)
    #: What is derived from the live snapshot and kept until it changes (see :meth:`_derived`):
    #: per document its bigrams, the joined text, headings, titles, English bridges.
    _derived_cache: dict[str, set[str] | str | list[Bridged] | dict[str, str] | EnglishText] = PrivateAttr(
        default_factory=dict
    )
    #: The phrases each term abbreviates (:meth:`spelled_out`), by snapshot fingerprint and term.
    _abbreviations: dict[tuple[str, str], tuple[str, ...]] = PrivateAttr(default_factory=dict)
    #: The rows of each table (``source\x00table section``: positions in document order), and the
    #: fingerprint of the snapshot they were read from.
    _tables: tuple[str, dict[str, list[int]]] = PrivateAttr(default=("", {}))

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings, **kwargs: Any) -> None:
        # pydantic fields, passed by name (mypy sees BaseRetriever's own signature only)
        super().__init__(store=store, embeddings=embeddings, settings=settings, **kwargs)  # type: ignore[call-arg]
        if self.mode is not None and self.mode not in RETRIEVAL_MODES:
            raise ValueError(f"mode must be one of {', '.join(RETRIEVAL_MODES)}, not {self.mode!r}")
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")
        self.refresh()

    @classmethod
    def load(
        cls, settings: Settings | None = None, embeddings: Embeddings | None = None, **kwargs: Any
    ) -> Retriever:
        """Open the index ``kezhuan ingest`` built and load the question embedding model.

        Args:
            settings: Settings (default: :meth:`Settings.from_env`, so ``KEZHUAN_*`` apply).
            embeddings: An already loaded embedding model (the index's) to share.
            **kwargs: ``k`` and ``mode`` for ``invoke``.

        Raises:
            IndexMissingError: there is no index yet; run ``kezhuan ingest``.
        """
        from ingest.embed import load_query_embeddings

        settings = settings or Settings.from_env()
        store = open_index(settings)
        return cls(store, embeddings or load_query_embeddings(settings), settings, **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        ranked = self.search_with_scores(query, k=self.k, mode=self.mode)
        return [
            Document(
                page_content=p.text,
                id=p.id,
                metadata={
                    "id": p.id,
                    "source": p.source,
                    "section": p.section,
                    "start": p.start,
                    "end": p.end,
                    "title": p.title,
                    "kind": p.kind,
                    "score": p.score,
                    "dense_score": scores.get("dense"),
                    "bm25_score": scores.get("bm25"),
                    "rank": rank,
                },
            )
            for rank, (p, scores) in enumerate(ranked, start=1)
        ]

    # -- keeping in step with the store ---------------------------------------------------
    def version_store(self) -> IndexStore:
        """The store of the version this request reads (the newest one outside a request)."""
        snap = self._pinned_snapshot()
        if snap is not None and snap.store is not None:
            return cast(IndexStore, snap.store)
        return self.store

    def _pinned_snapshot(self) -> _Snapshot | None:
        pinned = _pinned.get()
        return cast(_Snapshot, pinned[1]) if pinned is not None and pinned[0] is self else None

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Read one version of the index until the block ends, whatever another process ingests.

        Nested blocks keep the outer block's version.
        """
        if self._pinned_snapshot() is not None:
            yield
            return
        token = _pinned.set((self, self._current()))
        try:
            yield
        finally:
            _pinned.reset(token)

    def newer_version(self) -> bool:
        """True when the index holds a newer version than the one this request reads (checks now)."""
        pinned = self._pinned_snapshot()
        self.refresh()
        return pinned is not None and self._snapshot is not pinned

    def _fingerprint(self) -> tuple[str, dict[str, str]]:
        try:
            if self.store.is_stale():  # a rebuild switched to a new generation of the index
                self.store.reopen()
            committed = self.store.committed()
        except Exception:  # the collections were dropped and rebuilt by another process
            self.store.reopen()
            committed = self.store.committed()
        self._publishers = {s: r.publisher for s, r in committed.items()}
        live = {s: r.sha256[:16] for s, r in committed.items()}
        return "|".join(f"{s}@{h}" for s, h in sorted(live.items())), live

    def _snapshot_key(self, fingerprint: str) -> dict[str, Any]:
        """What a snapshot depends on: file format, index settings, collection, committed versions."""
        return {
            "format": SNAPSHOT_FORMAT,
            "code": _code_version(),
            "pipeline": pipeline_key(self.settings),
            # A new id after `ingest --rebuild`: the passages' stored order (BM25's tie order) is new.
            "collection": self.store.collection_id,
            "fingerprint": hashlib.sha256(fingerprint.encode("utf-8")).hexdigest(),
        }

    def refresh(self, force: bool = False) -> bool:
        """Reload the live passages if the index changed since the last load.

        The snapshot file is used when it matches the index; ``force`` reads the store again
        (and rewrites the file).

        Returns:
            True when a reload happened.
        """
        fingerprint, live = self._fingerprint()
        with self._lock:
            if not force and self._snapshot and self._snapshot.fingerprint == fingerprint:
                self._checked_at = time.monotonic()
                return False
            if self._snapshot is not None and not self.settings.chroma_host:
                # An embedded Chroma holds the vector index it opened in memory: read the new
                # version through a fresh client. Requests still reading the old one keep theirs.
                self.store = self.store.fresh()
            key = self._snapshot_key(fingerprint) if self.settings.retrieval_cache else None
            path = snapshot_path(self.settings)
            snap = None if force or key is None else self._read_snapshot(path, key, live, fingerprint)
            if snap is None:
                snap = self._build(live, fingerprint)
                self.loaded_from = "built"
                if key is not None:
                    self._save(path, key, snap)
            else:
                self.loaded_from = "loaded"
                snap.glossary.merge_file(self.settings.corpus_dir / GLOSSARY_NAME)
            register_words(snap.glossary.terms())
            snap.publishers = dict(self._publishers)
            snap.store = self.store
            self._snapshot = snap
            self._checked_at = time.monotonic()
            log.info("Loaded %d live passages for retrieval (%s)", len(snap.ids), self.loaded_from)
            return True

    def _save(self, path: Path, key: dict[str, Any], snap: _Snapshot) -> None:
        """Save a snapshot just built, unless the index changed while its passages were read."""
        if self._fingerprint()[0] != snap.fingerprint:
            log.info("The index changed while it was read; the retrieval snapshot is not saved")
            return
        try:
            _save_snapshot(path, key, snap)
        except OSError as e:
            log.warning("Could not save the retrieval snapshot %s (%s); next start rebuilds it", path, e)

    def _read_snapshot(
        self, path: Path, key: dict[str, Any], live: dict[str, str], fingerprint: str
    ) -> _Snapshot | None:
        """The saved snapshot if it is of this index version; None (logged) otherwise."""
        try:
            return _load_snapshot(path, key, live, fingerprint)
        except FileNotFoundError:
            return None
        except StaleSnapshotError as e:  # an older version of the index: expected after an ingest
            log.info("The retrieval snapshot %s is out of date (%s); rebuilding it", path, e)
        except Exception as e:  # any damage means: do not use it
            log.warning(
                "Ignoring the unreadable retrieval snapshot %s (%s: %s); rebuilding it",
                path,
                type(e).__name__,
                e,
            )
        return None

    def _build(self, live: dict[str, str], fingerprint: str) -> _Snapshot:
        """Read the committed passages from the store and index them."""
        ids, texts, sources, sections, titles, kinds = [], [], [], [], [], []
        starts, ends, sentence_ids = [], [], []

        def token_lists() -> Iterator[list[str]]:
            for pid, text, meta in self._stored_passages():
                meta = meta or {}
                if live.get(str(meta.get("source"))) != meta.get("doc_sha"):
                    continue  # not the committed version of its document
                ids.append(pid)
                texts.append(text)
                sources.append(str(meta.get("source", "")))
                sections.append(str(meta.get("section", "")))
                titles.append(str(meta.get("title", "")))
                kinds.append(str(meta.get("kind", "text")))
                starts.append(int(meta.get("start", 0)))
                ends.append(int(meta.get("end", 0)))
                sentence_ids.append(str(meta.get("sentence_ids", "")))
                yield str(meta.get("tokens", "")).split()

        bm25 = BM25(token_lists())  # the tokens are dropped as BM25 counts them
        glossary = Glossary.from_texts(texts)
        found = pickle.dumps(glossary, protocol=5)  # before the corpus file, which is read on every load
        glossary.merge_file(self.settings.corpus_dir / GLOSSARY_NAME)
        return _Snapshot(
            ids, texts, sources, sections, titles, kinds, starts, ends, sentence_ids,
            bm25, found, glossary, live, fingerprint,
        )  # fmt: skip

    def _stored_passages(self) -> Iterator[tuple[str, str, dict | None]]:
        """Every stored passage (id, text, metadata), read in pages in the store's order.

        One unpaged read of 100k passages fails in Chroma ("too many SQL variables").
        """
        offset = 0
        while True:
            ids, texts, metas = self.store.read_passages(limit=_READ_PAGE, offset=offset)
            yield from zip(ids, texts, metas, strict=False)
            if len(ids) < _READ_PAGE:
                return
            offset += _READ_PAGE

    def _current(self) -> _Snapshot:
        pinned = self._pinned_snapshot()
        if pinned is not None:
            return pinned
        if time.monotonic() - self._checked_at > self.settings.index_check_seconds:
            self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    @property
    def size(self) -> int:
        """Number of live passages."""
        return len(self._current().ids)

    @property
    def bm25(self) -> BM25:
        """The BM25 index over live passages (also used for term weights)."""
        return self._current().bm25

    @property
    def glossary(self) -> Glossary:
        """Aliases defined in the documents and in the corpus glossary file."""
        return self._current().glossary

    def knows(self, form: str) -> bool:
        """Whether a term (search form) occurs anywhere in the live passages or their headings."""
        vocab = self._current().bm25.vocab
        if form in vocab:
            return True
        if count_cjk(form) == len(form) and len(form) >= 2:
            grams = [form[i : i + 2] for i in range(len(form) - 1)]
            if all(g in vocab for g in grams):
                return True
            return any(form in heading for heading in self._headings())
        return False

    def under_headings(self, question: str, min_share: float, most: int) -> list[Passage]:
        """Passages whose heading the question names (:func:`~assistant.titles.heading_share` at
        least ``min_share``), the best-named heading's first, each heading's in document order, at
        most ``most`` of them; [] for ``min_share`` 0.

        A table row or list item under 「創業海選」 never says 創業海選 itself, so neither BM25 nor
        the question's meaning finds it by that name. A nested heading (``系統介紹 > 科專類``) is
        named by its own words as well as by its whole path: its parents' words are every
        sibling's too.
        """
        if min_share <= 0:
            return []
        snap = self._current()
        min_run = self.settings.title_min_run or 3
        shares = {
            heading: max(
                heading_share(question, heading, min_run),
                heading_share(question, heading.split(SECTION_PATH_SEPARATOR)[-1], min_run),
            )
            for heading in dict.fromkeys(s.split("｜")[0] for s in snap.sections)
            if heading
        }
        # The heading named best first (「Phase 1 審查」 before every heading that shares SBIR).
        order = {
            h: n
            for n, h in enumerate(
                sorted((h for h, v in shares.items() if v >= min_share), key=lambda h: -shares[h])
            )
        }
        if not order:
            return []
        found = [i for i, section in enumerate(snap.sections) if section.split("｜")[0] in order]
        found.sort(key=lambda i: (order[snap.sections[i].split("｜")[0]], snap.sources[i], snap.starts[i]))
        return [self.passage(snap.ids[i]) for i in found[:most]]

    def formula_passages(self, sources: Collection[str], formula: str) -> list[Passage]:
        """The passages of ``sources`` that hold a line of a law text's fixed formula, in document
        order: ``enacting``, its enacting clause (「本辦法依…規定訂定之。」,
        :func:`~assistant.statutes.is_enacting`), or ``history``, its legislative history
        (「修正日期：…」, :func:`~assistant.statutes.is_history`), or ``commencement``, its
        commencement article (「本辦法自發布日施行。」, :func:`~assistant.statutes.is_commencement`),
        or ``definition``, its statutory definitions (「本辦法所稱…，指…」, :func:`~assistant.statutes.defined_term`).

        A question about a text's legal basis (「是根據哪個法訂的」) or about when it was amended
        (「哪年修過的」) shares few words with the line that answers it, and every article of the
        law shares the law's name.
        """
        test = {
            "enacting": statutes.is_enacting,
            "history": statutes.is_history,
            "commencement": statutes.is_commencement,
            "definition": lambda line: bool(statutes.defined_term(line)),
        }[formula]
        snap, cache = self._derived()
        found = cache.get(f"formula:{formula}")
        if not isinstance(found, set):
            found = {
                snap.ids[i]
                for i, text in enumerate(snap.texts)
                if any(test(line) for line in re.split(r"(?<=[。；;])|\n", to_search_form(text)))
            }
            cache[f"formula:{formula}"] = found
        picked = [self.passage(pid) for pid in sorted(found)]
        return sorted((p for p in picked if p.source in sources), key=lambda p: (p.source, p.start))

    def _derived(
        self,
    ) -> tuple[_Snapshot, dict[str, set[str] | str | list[Bridged] | dict[str, str] | EnglishText]]:
        """The live snapshot and the cache of what is derived from it, emptied when it changed
        (its ``""`` key holds the fingerprint it was filled for)."""
        snap = self._current()
        cache = self._derived_cache
        if cache.get("") != snap.fingerprint:
            cache.clear()
            cache[""] = snap.fingerprint
        return snap, cache

    def _headings(self) -> list[str]:
        """The live passages' distinct sections (headings, article and row labels), search form."""
        snap, cache = self._derived()
        found = cache.get("\x00headings")
        if not isinstance(found, dict):
            found = {to_search_form(section): "" for section in dict.fromkeys(snap.sections)}
            cache["\x00headings"] = found
        return list(found)

    def searchable_text(self) -> str:
        """The live passages' texts in search form, one passage per line (line breaks inside a
        passage become spaces): what the speller reads abbreviations and words from."""
        snap, cache = self._derived()
        found = cache.get("\x00searchable_text")
        if not isinstance(found, str):
            found = "\n".join(to_search_form(text).replace("\n", " ") for text in snap.texts)
            cache["\x00searchable_text"] = found
        return found

    def bigram_frequencies(self) -> dict[str, int]:
        """Document frequency of every Chinese character bigram of the live passages (search form).

        A passage's headings (its section: 創業海選, 第二章 研發成果之歸屬) are words of the documents
        too: a bigram counts the passages whose text, or whose section, holds it (the larger count).
        """
        snap = self._current()
        counts = np.diff(snap.bm25.matrix.indptr)
        found = {t: int(counts[j]) for t, j in snap.bm25.vocab.items() if len(t) == 2 and count_cjk(t) == 2}
        headed: Counter[str] = Counter()
        for section, n in Counter(snap.sections).items():
            for gram in set(bigram_list(to_search_form(section))):
                if count_cjk(gram) == 2:
                    headed[gram] += n
        for gram, n in headed.items():
            found[gram] = max(found.get(gram, 0), n)
        return found

    def knows_in(self, form: str, source: str) -> bool:
        """Whether a term (search form) occurs in the live passages of one document (bigrams, as :meth:`knows`)."""
        snap, cache = self._derived()
        found = cache.get(source)
        if not isinstance(found, set):
            found = {
                t for i, s in enumerate(snap.sources) if s == source for t in index_tokens(snap.texts[i])
            }
            cache[source] = found
        vocab = found
        if form in vocab:
            return True
        if count_cjk(form) == len(form) and len(form) >= 2:
            return all(form[i : i + 2] in vocab for i in range(len(form) - 1))
        return False

    def knows_compound(self, term: str) -> bool:
        """Whether a three-character term is a known word plus a head that follows it closely.

        Users shorten compounds: 國際獎 for 國際新創奬項 — the documents hold 國際 and, a few
        characters on, 獎. Only passages with the first bigram are read.
        """
        if len(term) != 3 or count_cjk(term) != 3:
            return False
        snap = self._current()
        j = snap.bm25.vocab.get(term[:2])
        if j is None:
            return False
        matrix = snap.bm25.matrix
        rows = matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]
        pattern = re.compile(re.escape(term[:2]) + r"[\u4e00-\u9fff]{0,4}" + re.escape(term[2]))
        return any(
            pattern.search(to_search_form(snap.texts[i])) for i in rows[: self.settings.compound_scan_limit]
        )

    def occurs(self, form: str) -> bool:
        """Whether ``form`` (search form) occurs as written, contiguously, in the live passages
        (stricter than :meth:`knows`, whose bigrams may come from different places)."""
        return form in self._joined_text()

    def written(self, pattern: re.Pattern[str]) -> list[str]:
        """Every match of ``pattern`` (its first group if it has one) in the live passages
        (search form), in document order."""
        return pattern.findall(self._joined_text())

    def _joined_text(self) -> str:
        """All live passages in search form, one per line (cached per snapshot)."""
        snap, cache = self._derived()
        joined = cache.get("\x00joined")
        if not isinstance(joined, str):
            joined = "\n".join(to_search_form(t) for t in snap.texts)
            cache["\x00joined"] = joined
        return joined

    def knows_abbreviation(self, term: str) -> bool:
        """Whether a term abbreviates a phrase of the documents (:meth:`spelled_out`)."""
        return bool(self.spelled_out(term))

    def verb_words(self, verb: str) -> list[str]:
        """The documents' verbs that begin with ``verb`` (one character, search form), most used
        first: 撥 → 撥付, 撥款. A question's verb with a direction or phase complement (撥下來, 審完:
        :func:`assistant.lexicon.verb_stem`) names the act those words name. Only two-character
        words jieba's dictionary tags verbal (v, vn), at most ``Settings.max_verb_words``."""
        if len(verb) != 1 or not count_cjk(verb):
            return []
        found = Counter(re.findall(f"{re.escape(verb)}[\u4e00-\u9fff]", self._joined_text()))
        verbal = [w for w, _ in found.most_common() if general_tag(w) in ("v", "vn")]
        return verbal[: self.settings.max_verb_words]

    def spelled_out(self, term: str) -> list[str]:
        """The phrases of the documents that ``term`` (search form) abbreviates, most used first.

        A Chinese abbreviation keeps the first character of each word of a phrase (研發 for
        研究發展, 投抵 for 投資抵減) or a whole word of it (學界科專 for 學界科技專案); a
        character may stand for a word of up to four (營所稅 for 營利事業所得稅: 營 of 營利事業). A phrase
        counts when each of the term's characters starts a two-character word of general Chinese
        (jieba's dictionary) or stands in a run of them that is such a word, at least two
        characters were left out, and the documents write the phrase more often than the term
        itself (a user's shorthand, not the documents' own word). At most
        ``Settings.max_spelled_out`` phrases; none for a term of other than 2-4 Chinese characters.
        """
        if not 2 <= len(term) <= 4 or count_cjk(term) != len(term):
            return []
        key = (self._current().fingerprint, term)
        if key in self._abbreviations:
            return list(self._abbreviations[key])
        joined = self._joined_text()
        words = general_words()
        # Each character but the last may stand for a word of up to four characters (營 of 營利事業
        # in 營所稅), the shortest first; the last for a word of up to two (研發: 研究發展).
        pattern = re.compile(
            "".join(f"{re.escape(c)}([\u4e00-\u9fff]{{0,{_WORD_SKIP}}}?)" for c in term[:-1])
            + f"{re.escape(term[-1])}([\u4e00-\u9fff])?"
        )
        counts: Counter[str] = Counter()
        for match in pattern.finditer(joined):
            pieces = [c + (g or "") for c, g in zip(term, match.groups(), strict=True)]
            if _abbreviates(pieces, words):
                counts["".join(pieces)] += 1
        own = joined.count(term)
        found = [p for p, n in counts.most_common() if n > own][: self.settings.max_spelled_out]
        if len(self._abbreviations) >= _ABBREVIATIONS_KEPT:
            self._abbreviations.clear()  # a long-running server meets new words without end
        self._abbreviations[key] = tuple(found)
        return found

    # -- search ------------------------------------------------------------------------
    def dense(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Passage ids and cosine similarities, best first (live passages only)."""
        snap = self._current()
        n = min(max(k * 2, k + 4), max(1, snap.bm25.size))
        try:
            if 0 < snap.bm25.size <= self.settings.exact_dense_max_passages:
                return self._exact_dense(snap, vector, k)
            # Ids and distances only: the texts and metadata are in the snapshot already. The
            # collection is in cosine space, so similarity = 1 - distance.
            nearest = snap.store.nearest_passages(vector, n)
        except Exception as e:  # a Chroma server that went away, a dropped collection
            raise IndexMissingError(
                f"Dense search failed ({type(e).__name__}: {e}). If a Chroma server is configured "
                f"({self.settings.chroma_host or 'none'}), check that `chroma run` is up; otherwise run "
                "`kezhuan ingest`."
            ) from e
        return [(pid, 1.0 - distance) for pid, distance in nearest if pid in snap.position][:k]

    def _exact_dense(self, snap: _Snapshot, vector: list[float], k: int) -> list[tuple[str, float]]:
        """The ``k`` live passages most similar to ``vector`` by cosine over every stored vector.

        Similarities are rounded to 6 decimals and equal ones ordered by passage id: vectors of
        two builds differ in the last float bits (batches padded differently), which must not
        reorder near-ties.
        """
        if snap.vectors is None:
            found = snap.store.passage_vectors(snap.ids)
            missing = [pid for pid in snap.ids if pid not in found]
            if missing:
                raise LookupError(f"{len(missing)} live passages have no stored vector (first: {missing[0]})")
            matrix = np.stack([found[pid] for pid in snap.ids]).astype(np.float32)
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            snap.vectors = matrix
        query = np.asarray(vector, dtype=np.float32)
        similarity = np.round(snap.vectors @ (query / max(float(np.linalg.norm(query)), 1e-12)), 6)
        candidates: Iterable[int] = range(len(similarity))
        if 0 < k < len(similarity):
            # Every passage at least as similar as the k-th best, ties with it included; then sort.
            cut = np.partition(similarity, -k)[-k]
            candidates = np.flatnonzero(similarity >= cut).tolist()
        ranked = sorted(candidates, key=lambda i: (-float(similarity[i]), snap.ids[i]))[:k]
        return [(snap.ids[i], float(similarity[i])) for i in ranked]

    def english_name(self, word: str) -> tuple[str, ...]:
        """The Chinese names of an English word that names a place, country or organisation in
        CC-CEDICT (Japan → 日本…: :meth:`assistant.bilingual.EnglishBridge.name_for`); () for
        another word, or with the English bridge off (``Settings.english_words_per_word`` 0)."""
        if not self.settings.english_words_per_word or count_cjk(word):
            return ()
        return EnglishBridge.bundled().name_for(word)

    def english_words(self, text: str) -> list[Bridged]:
        """Chinese words of the documents for the English words of ``text`` (empty without any).

        Read backwards from CC-CEDICT (:mod:`assistant.bilingual`); question words (what,
        which, did …) are not looked up. Cached per text and snapshot.
        """
        if not self.settings.english_words_per_word or not _LATIN_WORD.search(text):
            return []
        from assistant.rules import ENGLISH_ASKING, ENGLISH_INVERSION

        snap, cache = self._derived()
        key = "\x00english\x00" + text
        found = cache.get(key)
        if not isinstance(found, list):
            context = self._nearest_text(text, self.settings.english_context_passages)
            found = EnglishBridge.bundled().chinese_for(
                text,
                present=self.occurs,
                per_word=self.settings.english_words_per_word,
                skip=ENGLISH_ASKING | ENGLISH_INVERSION,
                # A word of the passages nearest in meaning first, then the word the documents use more.
                prefer=lambda word: (word in context, -snap.bm25.idf_of(word)),
                writes=lambda word: word in snap.bm25.vocab,
            )
            cache[key] = found
        return list(found)

    def english_text(self) -> EnglishText:
        """The words of the live passages written in English (empty when none is), cached per snapshot."""
        snap, cache = self._derived()
        text = cache.get("\x00english-text")
        if not isinstance(text, EnglishText):
            text = EnglishText(snap.texts)
            cache["\x00english-text"] = text
        return text

    def english_for(self, term: str) -> list[str]:
        """The English passages' words for a Chinese term (search form), read forwards from
        CC-CEDICT (:class:`assistant.bilingual.ChineseBridge`); empty when no passage is English,
        the term has Latin letters, or ``Settings.english_words_per_word`` is 0."""
        if not self.settings.english_words_per_word or count_cjk(term) != len(term):
            return []
        text = self.english_text()
        if not text:
            return []
        return ChineseBridge.bundled().english_for(term, text, self.settings.english_words_per_word)

    def synonyms_of(self, term: str) -> list[str]:
        """The documents' words that mean what a Chinese term (search form) means, by CC-CEDICT
        (:class:`assistant.synonyms.Synonyms`: 罰款 → 罰鍰, 薪水 → 薪資); empty for a term with
        other than Chinese characters or when ``Settings.synonym_word_weight`` is 0."""
        if not self.settings.synonym_word_weight or count_cjk(term) != len(term) or len(term) < 2:
            return []
        return [s for s in Synonyms.bundled().of(term) if self.written_as_word(s)]

    def written_as_word(self, form: str, most: int = 20) -> bool:
        """Whether the live passages write ``form`` (search form) as a word of its own in one of
        its first ``most`` occurrences: no word of general Chinese (jieba's dictionary) runs
        across either end of it. 來年 inside 未來年度 is none (未來 and 年度 run across its
        ends); 罰鍰 in 之罰鍰。 is one."""
        known = general_words()
        text = self._joined_text()
        for n, match in enumerate(re.finditer(re.escape(form), text)):
            if n >= most:
                break
            if not _crossed(text, match.start(), match.end(), known):
                return True
        return False

    def _nearest_text(self, text: str, k: int) -> str:
        """The ``k`` passages nearest to ``text`` by the embedding, joined in search form ("" for k 0)."""
        if k <= 0 or not self.size:
            return ""
        nearest = self.dense(self.embeddings.embed_query(text), k)
        return "\n".join(to_search_form(self.passage(pid).text) for pid, _ in nearest)

    def expansions(self, query: str) -> list[str]:
        """Other words for the query's words: glossary aliases, the documents' phrases its
        abbreviations stand for (:meth:`spelled_out`), the documents' words of its verbs with a
        direction complement (:meth:`verb_words`), then the documents' Chinese for its English words."""
        words = self._current().glossary.expand(query)
        for term in content_terms(query):
            words += [p for p in self.spelled_out(term) if p not in words]
            words += [w for w in self.verb_words(verb_stem(term)) if w not in words]
        words += [b.chinese for b in self.english_words(query) if b.chinese not in words]
        # A Chinese word of a question about English passages: their English words for it.
        return words + [e for t in content_terms(query) for e in self.english_for(t) if e not in words]

    def lexical(self, query: str, k: int) -> list[tuple[str, float]]:
        """Passage ids and BM25 scores, best first.

        Each token of the query and its expansions counts once: an alias repeats the bigrams of
        the word it stands for (技術司 → 本部產業技術司), which must not weigh that word over the
        question's other words.
        """
        snap = self._current()
        expanded = " ".join([query, *self.expansions(query)])
        scores = snap.bm25.scores(list(dict.fromkeys(index_tokens(expanded))))
        if not len(scores):
            return []
        return [(snap.ids[i], float(scores[i])) for i in snap.bm25.top(scores, k)]

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: str | None = None,
        vector: list[float] | None = None,
        sources: Collection[str] | None = None,
    ) -> list[Passage]:
        """The best passages for ``query``.

        Args:
            query: The search text.
            k: How many passages (default ``settings.top_k``).
            mode: ``hybrid``, ``dense`` or ``bm25`` (default ``settings.retrieval_mode``).
            vector: The query's embedding, if already computed.
            sources: Search only these documents (files); None: all of them.

        Returns:
            Passages, best first; ``score`` is the fused (or single-ranker) score.
        """
        return [p for p, _ in self.search_with_scores(query, k, mode, vector, sources)]

    def search_with_scores(
        self,
        query: str,
        k: int | None = None,
        mode: str | None = None,
        vector: list[float] | None = None,
        sources: Collection[str] | None = None,
    ) -> list[tuple[Passage, dict[str, float]]]:
        """:meth:`search`, each passage with its score from each ranker that returned it.

        Returns:
            ``(passage, {"dense": cosine similarity, "bm25": BM25 score})`` pairs, best first;
            a ranker that did not return the passage has no key.
        """
        if k is None:
            k = self.settings.top_k
        if mode is None:
            mode = self.settings.retrieval_mode
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"mode must be one of {', '.join(RETRIEVAL_MODES)}, not {mode!r}")
        with self.pinned():  # one version for the whole search
            return self._search(query, k, mode, vector, sources)

    def _search(
        self,
        query: str,
        k: int,
        mode: str,
        vector: list[float] | None,
        sources: Collection[str] | None = None,
    ) -> list[tuple[Passage, dict[str, float]]]:
        depth = max(k, 20)
        if sources is not None:
            # One document's passages among the corpus's: read deeper, keep only its own.
            snap = self._current()
            share = sum(1 for s in snap.sources if s in sources) / max(1, len(snap.sources))
            depth = min(max(1, len(snap.ids)), int(depth / max(share, 1e-3)) + 1)
        # The question is embedded while BM25 scores it: the two cores work at once.
        pending = (
            _embed_in_background(self.embeddings, query) if mode == "hybrid" and vector is None else None
        )
        lexical = self.lexical(query, depth) if mode in ("hybrid", "bm25") else []
        rankings: list[tuple[float, str, list[tuple[str, float]]]] = []
        if mode in ("hybrid", "dense"):
            if pending is not None:
                vector = pending.result()
            elif vector is None:
                vector = self.embeddings.embed_query(query)
            rankings.append((self.settings.dense_weight, "dense", self.dense(vector, depth)))
        if mode in ("hybrid", "bm25"):
            rankings.append((self.settings.bm25_weight, "bm25", lexical))
        if sources is not None:
            snap = self._current()
            rankings = [
                (
                    weight,
                    name,
                    [(pid, v) for pid, v in ranking if snap.sources[snap.position[pid]] in sources],
                )
                for weight, name, ranking in rankings
            ]
        if mode == "hybrid":
            fused: dict[str, float] = {}
            for weight, _, ranking in rankings:
                for rank, (pid, _) in enumerate(ranking):
                    fused[pid] = fused.get(pid, 0.0) + weight / (self.settings.rrf_k + rank + 1)
            ranked = sorted(fused.items(), key=lambda item: -item[1])
        else:
            ranked = rankings[0][2]
        ranked = self._named_articles_first(query, ranked)
        by_ranker = {name: dict(ranking) for _, name, ranking in rankings}
        return [
            (
                self.passage(pid, score),
                {name: scores[pid] for name, scores in by_ranker.items() if pid in scores},
            )
            for pid, score in ranked[:k]
        ]

    def _named_articles_first(self, query: str, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """A question that names a law article gets that article's passages, and only those.

        A named reference is a filter, not a likeness: the article's passages may be far from the
        question in meaning (it asks 「規定什麼」), while other articles that mention it, or that
        repeat the law's name, are close. When several documents have the article, those whose
        title the question names best are kept (「補助辦法第十條」); without a title, all of them,
        in the order the rankers put them. A question naming no article that any document has
        keeps its ranking.
        """
        wanted = named_articles(query)
        if not wanted:
            return ranked
        snap = self._current()
        if snap.articles is None:
            articles: dict[str, list[int]] = {}
            for i, section in enumerate(snap.sections):
                label = section.rsplit("｜", 1)[-1] if "｜" in section else ""
                for token in article_tokens(label):
                    articles.setdefault(token, []).append(i)
            snap.articles = articles
        named = [i for token in wanted for i in snap.articles.get(token, [])]
        if not named:
            return ranked
        sources = self._titled_sources(snap, query, {snap.sources[i] for i in named})
        order = {pid: rank for rank, (pid, _) in enumerate(ranked)}
        kept = sorted(
            dict.fromkeys(snap.ids[i] for i in named if snap.sources[i] in sources),
            key=lambda pid: order.get(pid, len(order)),  # ranked first; the others in stored order
        )
        score = (ranked[0][1] if ranked else 0.0) + 1e-6
        return [(pid, score) for pid in kept]

    def _titled_sources(self, snap: _Snapshot, query: str, sources: set[str]) -> set[str]:
        """Of ``sources``, those whose title shares the most character bigrams with the question
        (at least ``Settings.title_min_bigrams``); all of them when no title is named so."""
        asked = set(bigram_list(" ".join([query, *snap.glossary.expand(query)])))
        shared = {s: len(asked & set(bigram_list(snap.doc_titles.get(s, "")))) for s in sources}
        best = max(shared.values())
        if best < self.settings.title_min_bigrams:
            return sources
        return {s for s, n in shared.items() if n == best}

    def passage(self, pid: str, score: float = 0.0) -> Passage:
        """The live passage with id ``pid``."""
        snap = self._current()
        i = snap.position[pid]
        return Passage(
            id=pid,
            source=snap.sources[i],
            section=snap.sections[i],
            text=snap.texts[i],
            start=snap.starts[i],
            end=snap.ends[i],
            score=float(score),
            title=snap.titles[i],
            kind=snap.kinds[i],
            publisher=snap.publishers.get(snap.sources[i], ""),
        )

    def next_passage(self, passage: Passage) -> Passage | None:
        """The live passage of the same document that continues ``passage`` (None at the end)."""
        snap = self._current()
        starts = snap.by_source.get(passage.source, [])
        # The first text passage starting after this one's start (ties: the earliest stored).
        i = bisect.bisect_right(starts, (passage.start, len(snap.ids)))
        if i < len(starts) and starts[i][0] <= passage.end + 2:
            return self.passage(snap.ids[starts[i][1]])
        return None

    def passages_before(self, passage: Passage, most: int, same_section: bool = False) -> list[Passage]:
        """The live text passages of ``passage``'s document that start before it, nearest first,
        at most ``most`` (where a numbered item's lead-in is when no retrieved passage holds it);
        with ``same_section``, only those of its section (where a list that runs on starts)."""
        snap = self._current()
        starts = snap.by_source.get(passage.source, [])
        i = bisect.bisect_left(starts, (passage.start, -1))
        found = [self.passage(snap.ids[j]) for _, j in reversed(starts[max(0, i - most) : i])]
        return [p for p in found if p.section == passage.section] if same_section else found

    def list_around(self, passage: Passage, rows: int, around: int, section_most: int = 0) -> list[Passage]:
        """The passages a list that ``passage`` holds may run over: its table's rows (at most
        ``rows``: 哪些縣市…, A跟B差在哪), then every passage of its section when it has at most
        ``section_most`` (the seven centers' sentences and their map call-outs: a list read whole
        sees all its items), else up to ``around`` passages of its section before it (where the
        list starts: its lead-in) and ``around`` passages after it (其次…, 另在…), in that order."""
        if section_most > 0:
            section = [p for p in self.document_passages(passage.source) if p.section == passage.section]
            if len(section) <= section_most:
                return [*self.table_rows(passage, rows), *(p for p in section if p.id != passage.id)]
        found = [*self.table_rows(passage, rows), *self.passages_before(passage, around, same_section=True)]
        current: Passage | None = passage
        for _ in range(around):
            current = self.next_passage(current) if current else None
            if current is None:
                break
            found.append(current)
        return found

    def table_rows(self, passage: Passage, most: int) -> list[Passage]:
        """The live rows of the table ``passage`` is a row of (its section without the row label),
        in document order, at most ``most``; [] for a passage that is no row."""
        table = row_heading(passage)
        if not table or most <= 0:
            return []
        snap = self._current()
        if self._tables[0] != snap.fingerprint:
            tables: dict[str, list[int]] = {}
            for i, kind in enumerate(snap.kinds):
                if kind == "row":
                    tables.setdefault(f"{snap.sources[i]}\x00{table_section(snap.sections[i])}", []).append(i)
            for rows in tables.values():
                rows.sort(key=lambda i: snap.starts[i])
            self._tables = (snap.fingerprint, tables)
        tables = self._tables[1]
        found = tables.get(f"{passage.source}\x00{table}", [])
        return [self.passage(snap.ids[i]) for i in found[:most]]

    def document_titles(self) -> dict[str, str]:
        """Title of each live document, keyed by its file."""
        return self._current().doc_titles

    def document_publishers(self) -> dict[str, str]:
        """Publisher of each live document (``corpus/manifest.json``), keyed by its file; "" when unknown."""
        return dict(self._current().publishers)

    def named_documents(self, question: str) -> NamedDocuments:
        """The documents ``question`` names by part of their title (:mod:`assistant.titles`)."""
        snap, cache = self._derived()
        texts = cache.get("\x00texts")
        if not isinstance(texts, dict):
            joined: dict[str, list[str]] = {}
            for text, source in zip(snap.texts, snap.sources, strict=True):
                joined.setdefault(source, []).append(to_search_form(text))
            texts = {source: "\n".join(parts) for source, parts in joined.items()}
            cache["\x00texts"] = texts
        return named_documents(
            question,
            snap.doc_titles,
            texts,
            min_run=self.settings.title_min_run,
            min_share=self.settings.title_min_share,
            min_cover=self.settings.title_min_cover,
        )

    def document_passages(self, source: str) -> list[Passage]:
        """Every live passage of one document (text, rows, articles, call-outs), in document order."""
        snap = self._current()
        positions = [i for i, s in enumerate(snap.sources) if s == source]
        positions.sort(key=lambda i: (snap.starts[i], snap.ends[i]))
        return [self.passage(snap.ids[i]) for i in positions]

    def sources_with_kind(self, kind: str) -> set[str]:
        """The live documents holding a passage of ``kind`` (``article``, ``row``...)."""
        snap = self._current()
        return {source for source, k in zip(snap.sources, snap.kinds, strict=True) if k == kind}

    def named_source(self, question: str) -> str | None:
        """The document whose title the question names: the one title sharing the most character
        bigrams with it, at least ``Settings.title_min_bigrams`` (None when none or several tie)."""
        snap = self._current()
        asked = set(bigram_list(question))
        shared = {s: len(asked & set(bigram_list(t))) for s, t in snap.doc_titles.items()}
        best = max(shared.values(), default=0)
        named = [s for s, n in shared.items() if n == best]
        return named[0] if best >= self.settings.title_min_bigrams and len(named) == 1 else None

    def sentence_ids(self, pid: str) -> list[str]:
        """Ids of the sentences of a live passage, in order ([] for a passage of another version)."""
        snap = self._current()
        i = snap.position.get(pid)
        if i is None:
            return []
        raw = snap.sentence_ids[i]
        return [s for s in raw.split(",") if s]


def _crossed(text: str, start: int, end: int, words: Collection[str]) -> bool:
    """Whether a word of ``words`` of up to four characters runs across ``start`` or ``end`` of
    ``text`` (begins before and ends inside, or begins inside and ends after)."""
    for inside in range(start + 1, end):
        for outside in range(1, 4):
            if start - outside >= 0 and text[start - outside : inside] in words:
                return True
            if end + outside <= len(text) and text[inside : end + outside] in words:
                return True
    return False


#: Most characters after a character of an abbreviation in the phrase it stands for, but the
#: last one's (:meth:`Retriever.spelled_out`): 營 stands for 營利事業 in 營所稅.
_WORD_SKIP = 3


def _abbreviates(pieces: Sequence[str], words: Collection[str]) -> bool:
    """Whether a phrase cut into ``pieces`` (one per character of an abbreviation: the character
    and the one after it, or the character alone) spells the abbreviation out: two pieces at
    least were spelled out, each a word of ``words`` but the last one, which may be a term of the
    documents' field the general dictionary lacks (抵減 of 投資抵減: a Chinese compound puts its
    head last; 得按 of 得按支出 is no word and shortens nothing), and every run of single
    characters is a word of ``words``. A run may also end a word kept whole and be followed by a
    word left out whole (產業局 for 產業發展局: 產業, then 發展 left out, then 局), which shortens
    as two spelled-out pieces do when the pieces after it are words too, the last one or its
    first character a noun heading the whole (局)."""
    spelled: list[str] = []
    dropped = False
    run = ""
    for piece in [*pieces, ""]:
        if len(piece) == 1:
            run += piece
            continue
        if run and len(piece) > 2 and run + piece[0] in words and piece[1:] in words:
            # 產 + 業發展: the run and the piece's first character are a word (產業), and the rest
            # is a word of its own, left out.
            dropped, run = True, ""
            continue
        if run and run not in words:
            return False
        run = ""
        if piece:
            spelled.append(piece)
    if dropped:
        # What follows is a word too, or begins with a noun that heads the whole (局 of 產業發展局
        # 聯絡人); not 新材 of 開發綠色新材料 (新 describes, 新材 is cut from 新材料).
        last = spelled[-1] if spelled else ""
        return all(p in words for p in spelled[:-1]) and (
            not last or last in words or general_tag(last[0]) in ("n", "ng")
        )
    return len(spelled) >= 2 and all(p in words for p in spelled[:-1])
