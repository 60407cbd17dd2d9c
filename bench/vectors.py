"""Vectors without running the model: for benchmark sizes too large to embed twice here.

Embedding 100k passages and their sentences takes most of an hour on a 2-core CPU. Above the
``--real-encode-up-to`` size the benchmark still measures everything except the model itself:
:class:`ComposedEmbeddings` gives each text the normalised sum of the real e5 vectors of the seed
clauses it is made of (the synthetic corpus is built from those clauses, see
:mod:`bench.synthetic`). The vectors live in the real model's space, so Chroma's HNSW graph and
the dense rankings behave as with real vectors, while costing microseconds. Questions are always
embedded by the real model.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

_PIECES = re.compile(r"[，、。！？；\n#]+")


class ComposedEmbeddings(Embeddings):
    """Passage vectors composed from precomputed clause vectors; questions by the real model.

    Args:
        clauses: The clause texts.
        clause_vectors: Their real passage vectors (rows L2-normalised), same order.
        query_model: The real model, for questions.
    """

    def __init__(self, clauses: Sequence[str], clause_vectors: np.ndarray, query_model: Embeddings) -> None:
        if len(clauses) != len(clause_vectors):
            raise ValueError(f"{len(clauses)} clauses but {len(clause_vectors)} vectors")
        self.lookup = {c: i for i, c in enumerate(clauses)}
        self.vectors = np.asarray(clause_vectors, dtype=np.float32)
        self.query_model = query_model
        self.composed = 0  # texts composed so far
        self.seconds = 0.0  # time spent composing, to subtract from ingest timings

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised vector per text: the sum of its known clauses' vectors.

        A text with no known clause (a heading line, foreign text) gets a fixed pseudo-random
        unit vector derived from its hash.
        """
        t0 = time.perf_counter()
        dim = self.vectors.shape[1]
        out = np.empty((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            idx = [j for piece in _PIECES.split(text) if (j := self.lookup.get(piece.strip())) is not None]
            if idx:
                vec = self.vectors[idx].sum(axis=0)
            else:
                seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "little")
                vec = np.asarray(np.random.default_rng(seed).standard_normal(dim), dtype=np.float32)
            out[row] = vec / max(float(np.linalg.norm(vec)), 1e-12)
        self.composed += len(texts)
        self.seconds += time.perf_counter() - t0
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Composed vectors as lists (langchain-core ``Embeddings``)."""
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """A question, embedded by the real model."""
        return self.query_model.embed_query(text)
