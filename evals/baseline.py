"""The baseline: the ten-line retrieval recipe a LangChain user would write first.

Split the raw document(s) with ``RecursiveCharacterTextSplitter(chunk_size=500,
chunk_overlap=50)``, embed the chunks with the same model kezhuan uses, keep them in an
in-memory Chroma collection, and answer a question with the four nearest chunks::

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    chunks = splitter.split_documents(documents)
    db = Chroma.from_documents(chunks, embeddings, collection_name="baseline")
    answer = db.similarity_search(question, k=4)

It never refuses and ignores the conversation history (the recipe concatenates nothing).
Each chunk is cited whole; its ``start``/``end`` are the chunk's raw-file span mapped to
the cleaned text, and the scorer aligns the raw chunk with the cleaned text (see
:mod:`evals.metrics`), since raw chunks keep page numbers and line breaks. The collection
uses Chroma's default L2 distance, as the recipe does; e5 vectors are unit length, so it
ranks exactly as cosine would.

Example:
    >>> baseline = Baseline.build(settings)  # doctest: +SKIP
    >>> reply = baseline.ask("科專是哪一年開始推的？")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.reply import Citation, Passage, Reply
from core.errors import DocumentReadError
from core.settings import Settings
from ingest.clean import CleanedText, clean_text
from ingest.load import list_sources, load_document, read_manifest

log = logging.getLogger(__name__)

#: The recipe's numbers: LangChain's documented example values.
CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
ANSWER_K = 4
COLLECTION = "baseline"


@dataclass(frozen=True)
class _Source:
    """A raw document with its cleaned version, to map raw spans to cleaned offsets."""

    source: str
    title: str
    cleaned: CleanedText
    raw_to_clean: tuple[int, ...]  # cleaned offset of each raw character, -1 when dropped

    def cleaned_span(self, raw_start: int, raw_end: int) -> tuple[int, int]:
        """The cleaned span covering raw ``[raw_start, raw_end)``; ``(-1, -1)`` when none survives."""
        inside = [p for p in self.raw_to_clean[raw_start:raw_end] if p >= 0]
        if not inside:
            return -1, -1
        return min(inside), max(inside) + 1

    def section_at(self, offset: int) -> str:
        """Section of the cleaned block holding ``offset`` (``""`` when unknown)."""
        for block in self.cleaned.blocks:
            if block.start <= offset < block.end:
                return block.section
        return ""


def _raw_to_clean(cleaned: CleanedText, raw_length: int) -> tuple[int, ...]:
    mapping = [-1] * raw_length
    for clean_offset, raw_offset in enumerate(cleaned.raw_offsets):
        if 0 <= raw_offset < raw_length:
            mapping[raw_offset] = clean_offset
    return tuple(mapping)


class Baseline:
    """Naive retrieval over raw 500-character chunks, answering with the four nearest.

    It has the same ``ask``/``retrieve`` shape as :class:`assistant.Assistant`, so the
    evaluation runner treats it as one more variant. Build it with :meth:`build`.

    Args:
        store: A langchain-chroma ``Chroma`` holding the chunks.
        sources: Raw-to-cleaned maps of the documents, keyed by source name.
        k: Chunks per answer.
    """

    def __init__(self, store: Any, sources: dict[str, _Source], k: int = ANSWER_K) -> None:
        if k <= 0:
            raise ValueError(f"k must be greater than 0. Currently, k is {k}.")
        self.store = store
        self.sources = sources
        self.k = k

    @classmethod
    def build(
        cls,
        settings: Settings,
        embeddings: Embeddings | None = None,
        client: Any = None,
        k: int = ANSWER_K,
    ) -> Baseline:
        """Split the raw corpus, embed it and index it in an in-memory Chroma collection.

        Args:
            settings: kezhuan settings (``corpus_dir``, and the embedding model when
                ``embeddings`` is not given).
            embeddings: An already loaded embedding model to share with the assistant.
            client: A Chroma client (default: an in-process ``EphemeralClient``; its
                ``baseline`` collection is replaced).
            k: Chunks per answer.

        Raises:
            DocumentReadError: the corpus folder is missing, empty or unreadable.
        """
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        documents, sources = _load_raw(settings)
        if embeddings is None:
            from ingest.embed import load_embeddings

            embeddings = load_embeddings(settings)
        if client is None:
            client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        if COLLECTION in {c.name for c in client.list_collections()}:
            client.delete_collection(COLLECTION)  # in-process clients share state: start fresh

        # The recipe itself.
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        chunks = splitter.split_documents(documents)
        for i, chunk in enumerate(chunks):
            chunk.metadata["chunk_id"] = f"baseline-{i:04d}"
        store = Chroma.from_documents(
            chunks,
            embeddings,
            ids=[c.metadata["chunk_id"] for c in chunks],
            collection_name=COLLECTION,
            client=client,
        )
        log.info("Baseline indexed %d chunks of %d document(s)", len(chunks), len(documents))
        return cls(store, sources, k=k)

    def retrieve(
        self, question: str, history: Sequence[dict[str, str]] | None = None, k: int | None = None
    ) -> list[Passage]:
        """The ``k`` nearest chunks as passages, best first (history ignored).

        Args:
            question: The question.
            history: Ignored, as in the recipe.
            k: How many chunks (default: the answer's four).
        """
        found = self.store.similarity_search(question, k=k or self.k)
        return [self._passage(doc) for doc in found]

    def ask(self, question: str, history: Sequence[dict[str, str]] | None = None) -> Reply:
        """Answer with the four nearest chunks, each cited whole; never refuses.

        Args:
            question: The question.
            history: Ignored, as in the recipe.

        Returns:
            A :class:`Reply` whose answer is the chunks, each followed by its ``[n]`` marker.
        """
        t0 = time.perf_counter()
        passages = self.retrieve(question, k=self.k)
        citations = [
            Citation(
                n=n,
                passage_id=p.id,
                source=p.source,
                section=p.section,
                text=p.text,
                quote=p.text,
                start=p.start,
                end=p.end,
                score=p.score,
                title=p.title,
                text_start=p.start,
            )
            for n, p in enumerate(passages, start=1)
        ]
        answer = "\n\n".join(f"{c.quote} [{c.n}]" for c in citations)
        return Reply(
            question=question,
            answer=answer,
            refused=False,
            citations=citations,
            search_query=question,
            retrieved=passages,
            latency_ms=round((time.perf_counter() - t0) * 1000, 2),
            notes={"generator": "baseline", "chunk_size": CHUNK_SIZE, "k": self.k},
        )

    def _passage(self, doc: Document) -> Passage:
        source_name = str(doc.metadata.get("source", ""))
        raw_start = int(doc.metadata.get("start_index", -1))
        source = self.sources.get(source_name)
        start, end = -1, -1
        section = ""
        if source is not None and raw_start >= 0:
            start, end = source.cleaned_span(raw_start, raw_start + len(doc.page_content))
            section = source.section_at(start) if start >= 0 else ""
        return Passage(
            id=str(doc.metadata.get("chunk_id", "")),
            source=source_name,
            section=section,
            text=doc.page_content,
            start=start,
            end=end,
            title=source.title if source else "",
            kind="baseline",
        )


def _load_raw(settings: Settings) -> tuple[list[Document], dict[str, _Source]]:
    """The raw documents of the corpus folder, and their raw-to-cleaned maps.

    Raises:
        DocumentReadError: no readable document.
    """
    paths = list_sources(settings.corpus_dir)
    manifest = read_manifest(settings.corpus_dir)
    documents: list[Document] = []
    sources: dict[str, _Source] = {}
    for path in paths:
        try:
            doc = load_document(path, settings.corpus_dir, manifest)
        except DocumentReadError as e:
            log.warning("Baseline skips %s: %s", path, e)
            continue
        cleaned = clean_text(doc.raw, markdown=doc.kind == "md")
        sources[doc.source] = _Source(doc.source, doc.title, cleaned, _raw_to_clean(cleaned, len(doc.raw)))
        documents.append(Document(page_content=doc.raw, metadata={"source": doc.source}))
    if not documents:
        raise DocumentReadError(
            f"No readable document in {settings.corpus_dir}: put .txt, .md or .pdf files there "
            "(or set KEZHUAN_CORPUS_DIR) before running the baseline."
        )
    return documents, sources
