"""Hybrid retrieval: dense vectors in Chroma plus Chinese BM25, fused by reciprocal rank.

BM25 runs over tokens computed at ingest (jieba words and character bigrams of the text
normalised to one script, see :mod:`ingest.normalize`), so a question in Simplified
Chinese, or with 台/臺 and similar variants, matches the Traditional passages. The BM25
side is rebuilt from the store's live passages whenever the index changes, so several
workers sharing one Chroma server stay consistent.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import threading
import time
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
from langchain_core.embeddings import Embeddings
from scipy import sparse

from assistant.cite import Passage
from assistant.glossary import GLOSSARY_NAME, Glossary
from ingest.errors import IndexMissingError
from ingest.index import IndexStore
from ingest.normalize import count_cjk, index_tokens, register_words, to_search_form
from ingest.settings import RETRIEVAL_MODES, Settings

log = logging.getLogger(__name__)

#: Passages read from the store per request when loading them all.
_READ_PAGE = 5000

#: Most passages :meth:`Retriever.knows_compound` reads for one term.
COMPOUND_SCAN_LIMIT = 200


class BM25:
    """Okapi BM25 over pre-tokenised documents (sparse matrix; fast for 100k passages).

    Args:
        documents: One token list per document (read once, in order; a lazy sequence keeps only
            one document's tokens in memory at a time).
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, documents: Sequence[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab: dict[str, int] = {}
        # Typed arrays, not lists of Python ints: 100k passages make some 25M entries.
        rows, cols, vals = array("i"), array("i"), array("f")
        lengths = np.zeros(len(documents), dtype=np.float32)
        for i, tokens in enumerate(documents):
            lengths[i] = len(tokens)
            for token, tf in Counter(tokens).items():
                j = self.vocab.setdefault(token, len(self.vocab))
                rows.append(i)
                cols.append(j)
                vals.append(tf)
        n = len(documents)
        tf_matrix = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, len(self.vocab))
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(self.vocab)).astype(np.float32)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n else 1.0
        norm = k1 * (1.0 - b + b * lengths / max(avg, 1e-6))
        coo = tf_matrix.tocoo()
        weights = coo.data * (k1 + 1.0) / (coo.data + norm[coo.row])
        self.matrix = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=tf_matrix.shape)
        self.size = n

    def idf_of(self, token: str) -> float:
        """IDF of a token; a longer Chinese word gets the mean IDF of its bigrams; unseen ones the largest."""
        j = self.vocab.get(token)
        if j is not None:
            return float(self.idf[j])
        if len(token) > 2 and count_cjk(token) == len(token):
            grams = [token[i : i + 2] for i in range(len(token) - 1)]
            return sum(self.idf_of(g) for g in grams) / len(grams)
        return math.log(1.0 + (self.size + 0.5) / 0.5)

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
    """The live passages held in memory for BM25 and for building results."""

    ids: list[str]
    texts: list[str]
    metas: list[dict]
    position: dict[str, int]
    bm25: BM25
    live: dict[str, str]
    fingerprint: str
    glossary: Glossary
    #: Per source, its text passages' (start, position) sorted: next_passage without a full scan.
    starts: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


class _TokenLists(Sequence[list[str]]):
    """The stored BM25 tokens of each passage, split when read (not all held at once)."""

    def __init__(self, metas: list[dict]) -> None:
        self.metas = metas

    def __len__(self) -> int:
        return len(self.metas)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [str(m.get("tokens", "")).split() for m in self.metas[i]]
        return str(self.metas[i].get("tokens", "")).split()


def _text_starts(metas: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """Per source, (start, position) of its text passages, sorted."""
    starts: dict[str, list[tuple[int, int]]] = {}
    for i, meta in enumerate(metas):
        if meta.get("kind") == "text":
            starts.setdefault(str(meta.get("source")), []).append((int(meta.get("start", 0)), i))
    for entries in starts.values():
        entries.sort()
    return starts


class Retriever:
    """Finds the passages that best match a question.

    Args:
        store: The opened index.
        embeddings: The same embedding model the index was built with.
        settings: ``top_k``, ``retrieval_mode``, fusion weights.
    """

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._checked_at = 0.0
        self.refresh()

    # -- keeping in step with the store ---------------------------------------------------
    def _fingerprint(self) -> tuple[str, dict[str, str]]:
        try:
            committed = self.store.committed()
        except Exception:  # the collections were dropped and rebuilt by another process
            self.store.reopen()
            committed = self.store.committed()
        live = {s: r.sha256[:16] for s, r in committed.items()}
        return "|".join(f"{s}@{h}" for s, h in sorted(live.items())), live

    def refresh(self, force: bool = False) -> bool:
        """Reload the live passages if the index changed since the last load.

        Returns:
            True when a reload happened.
        """
        fingerprint, live = self._fingerprint()
        with self._lock:
            if not force and self._snapshot and self._snapshot.fingerprint == fingerprint:
                self._checked_at = time.monotonic()
                return False
            ids, texts, metas = [], [], []
            for pid, text, meta in self._stored_passages():
                meta = meta or {}
                if live.get(str(meta.get("source"))) != meta.get("doc_sha"):
                    continue  # not the committed version of its document
                ids.append(pid)
                texts.append(text)
                metas.append(meta)
            tokens = _TokenLists(metas)
            glossary = Glossary.from_texts(texts)
            glossary.merge_file(self.settings.corpus_dir / GLOSSARY_NAME)
            register_words(glossary.terms())
            self._snapshot = _Snapshot(
                ids,
                texts,
                metas,
                {pid: i for i, pid in enumerate(ids)},
                BM25(tokens),
                live,
                fingerprint,
                glossary,
                _text_starts(metas),
            )
            self._checked_at = time.monotonic()
            log.info("Loaded %d live passages for retrieval", len(ids))
            return True

    def _stored_passages(self) -> Iterator[tuple[str, str, dict | None]]:
        """Every stored passage (id, text, metadata), read in pages in the store's order.

        One unpaged read of 100k passages fails in Chroma ("too many SQL variables").
        """
        offset = 0
        while True:
            got = self.store.passages.get(include=["documents", "metadatas"], limit=_READ_PAGE, offset=offset)
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=False)
            if len(got["ids"]) < _READ_PAGE:
                return
            offset += _READ_PAGE

    def _current(self) -> _Snapshot:
        if time.monotonic() - self._checked_at > 2.0:
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
        """Whether a term (search form) occurs anywhere in the live passages."""
        vocab = self._current().bm25.vocab
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
        return any(pattern.search(to_search_form(snap.texts[i])) for i in rows[:COMPOUND_SCAN_LIMIT])

    # -- search ------------------------------------------------------------------------
    def dense(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Passage ids and cosine similarities, best first (live passages only)."""
        snap = self._current()
        n = min(max(k * 2, k + 4), max(1, snap.bm25.size))
        # langchain-chroma returns the raw distance here; the collection is in cosine space.
        try:
            hits = self.store.passages.similarity_search_by_vector_with_relevance_scores(vector, k=n)
        except Exception as e:  # a Chroma server that went away, a dropped collection
            raise IndexMissingError(
                f"Dense search failed ({type(e).__name__}: {e}). If a Chroma server is configured "
                f"({self.settings.chroma_host or 'none'}), check that `chroma run` is up; otherwise run "
                "`kezhuan ingest`."
            ) from e
        out = []
        for doc, distance in hits:
            if doc.id in snap.position:
                out.append((str(doc.id), 1.0 - float(distance)))
        return out[:k]

    def lexical(self, query: str, k: int) -> list[tuple[str, float]]:
        """Passage ids and BM25 scores, best first."""
        snap = self._current()
        expanded = " ".join([query, *snap.glossary.expand(query)])
        scores = snap.bm25.scores(index_tokens(expanded))
        if not len(scores):
            return []
        return [(snap.ids[i], float(scores[i])) for i in snap.bm25.top(scores, k)]

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: str | None = None,
        vector: list[float] | None = None,
    ) -> list[Passage]:
        """The best passages for ``query``.

        Args:
            query: The search text.
            k: How many passages (default ``settings.top_k``).
            mode: ``hybrid``, ``dense`` or ``bm25`` (default ``settings.retrieval_mode``).
            vector: The query's embedding, if already computed.

        Returns:
            Passages, best first; ``score`` is the fused (or single-ranker) score.
        """
        if k is None:
            k = self.settings.top_k
        if mode is None:
            mode = self.settings.retrieval_mode
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"mode must be one of {', '.join(RETRIEVAL_MODES)}, not {mode!r}")
        depth = max(k, 20)
        rankings: list[tuple[float, list[tuple[str, float]]]] = []
        if mode in ("hybrid", "dense"):
            if vector is None:
                vector = self.embeddings.embed_query(query)
            rankings.append((self.settings.dense_weight, self.dense(vector, depth)))
        if mode in ("hybrid", "bm25"):
            rankings.append((self.settings.bm25_weight, self.lexical(query, depth)))
        if mode == "hybrid":
            fused: dict[str, float] = {}
            for weight, ranking in rankings:
                for rank, (pid, _) in enumerate(ranking):
                    fused[pid] = fused.get(pid, 0.0) + weight / (self.settings.rrf_k + rank + 1)
            ranked = sorted(fused.items(), key=lambda item: -item[1])
        else:
            ranked = rankings[0][1]
        return [self.passage(pid, score) for pid, score in ranked[:k]]

    def passage(self, pid: str, score: float = 0.0) -> Passage:
        """The live passage with id ``pid``."""
        snap = self._current()
        i = snap.position[pid]
        meta = snap.metas[i]
        return Passage(
            id=pid,
            source=str(meta.get("source", "")),
            section=str(meta.get("section", "")),
            text=snap.texts[i],
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            score=float(score),
            title=str(meta.get("title", "")),
            kind=str(meta.get("kind", "text")),
        )

    def next_passage(self, passage: Passage) -> Passage | None:
        """The live passage of the same document that continues ``passage`` (None at the end)."""
        snap = self._current()
        starts = snap.starts.get(passage.source, [])
        # The first text passage starting after this one's start (ties: the earliest stored).
        i = bisect.bisect_right(starts, (passage.start, len(snap.ids)))
        if i < len(starts) and starts[i][0] <= passage.end + 2:
            return self.passage(snap.ids[starts[i][1]])
        return None

    def sentence_ids(self, pid: str) -> list[str]:
        """Ids of the sentences of a live passage, in order."""
        snap = self._current()
        raw = str(snap.metas[snap.position[pid]].get("sentence_ids", ""))
        return [s for s in raw.split(",") if s]
