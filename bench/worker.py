"""One benchmark phase in a process of its own, so its peak memory is its own.

``python -m bench.worker PHASE CONFIG.json OUT.json``; :mod:`bench.run` starts these. Phases:

* ``clauses``: embed the seed clauses once (for :class:`bench.vectors.ComposedEmbeddings`).
* ``ingest``: bare ``encode`` of the corpus's passages and sentences, then kezhuan's real
  ``run_ingest`` into a fresh data folder, then unchanged re-ingests.
* ``query``: ``Assistant.load`` then warm retrieval and full ``ask`` latencies.
* ``baseline``: the ten-line LangChain recipe (split 500/50, embed, in-memory Chroma,
  ``similarity_search(k=4)``): its bare encode, build time and query latencies.
* ``baseline-cold``: the recipe from process start to the first answer (a cold start).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import peak_rss_mb
from core.settings import Settings

log = logging.getLogger(__name__)

#: Texts of a corpus embedded to estimate the encode time when it is not embedded whole.
ESTIMATE_SAMPLE = 256


def _settings(config: dict[str, Any]) -> Settings:
    # Defaults only (no KEZHUAN_* from the caller's shell): the figures are for the shipped settings.
    return Settings.from_env(
        environ={},
        corpus_dir=Path(config["corpus_dir"]),
        data_dir=Path(config.get("data_dir", "/tmp/unused")),
    )


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _composed(config: dict[str, Any], model: Any) -> Any:
    from bench.vectors import ComposedEmbeddings

    data = np.load(config["clause_vectors"], allow_pickle=False)
    return ComposedEmbeddings([str(c) for c in data["clauses"]], data["vectors"], model)


def phase_clauses(config: dict[str, Any]) -> dict[str, Any]:
    """Embed the seed clauses with the real model and save them (``clause_vectors``)."""
    from bench.synthetic import seed_clauses
    from ingest.embed import load_embeddings

    settings = _settings(config)
    clauses = seed_clauses(settings)
    model = load_embeddings(settings.replace(data_dir=Path(config["data_dir"])))
    seconds, vectors = _timed(lambda: model.encode_passages(clauses))
    np.savez(config["clause_vectors"], clauses=np.asarray(clauses), vectors=vectors)
    return {"clauses": len(clauses), "encode_s": seconds}


def _corpus_texts(settings: Settings) -> tuple[list[str], list[str], float]:
    """The passage and sentence texts ingest will embed, and the seconds it took to make them."""
    from ingest.index import prepare_document
    from ingest.load import list_sources, load_document, read_manifest

    t0 = time.perf_counter()
    corpus = settings.corpus_dir
    manifest = read_manifest(corpus)
    passages: list[str] = []
    sentences: list[str] = []
    for path in list_sources(corpus):
        chunks, sents = prepare_document(load_document(path, corpus, manifest), settings)
        passages += [c.text for c in chunks]
        sentences += [s.context + s.text for s in sents]
    return passages, sentences, time.perf_counter() - t0


def _encode_time(
    model: Any, texts: list[str], real: bool, sample_size: int = ESTIMATE_SAMPLE
) -> tuple[float, bool]:
    """Seconds to embed ``texts`` in one call; estimated from a spread sample unless ``real``."""
    if real or len(texts) <= sample_size:
        return _timed(lambda: model.encode_passages(texts))[0], False
    step = len(texts) / sample_size
    sample = [texts[int(i * step)] for i in range(sample_size)]
    seconds = _timed(lambda: model.encode_passages(sample))[0]
    return seconds * len(texts) / len(sample), True


def _import_store() -> None:
    import chromadb  # noqa: F401
    import langchain_chroma  # noqa: F401
    import tqdm  # noqa: F401


def phase_ingest(config: dict[str, Any]) -> dict[str, Any]:
    """Bare encode, then real ingest into an empty data folder, then unchanged re-ingests."""
    from ingest.embed import load_embeddings
    from ingest.index import run_ingest

    settings = _settings(config)
    real = bool(config["real_encode"])
    load_s, model = _timed(lambda: load_embeddings(settings))
    model.encode_passages(["暖機"])  # first call allocates; not part of either timing
    imports_s, _ = _timed(_import_store)  # one-off process start-up, like the model load
    passages, sentences, prepare_s = _corpus_texts(settings)
    encode_p, est_p = _encode_time(model, passages, real, int(config.get("estimate_sample", ESTIMATE_SAMPLE)))
    encode_s, est_s = _encode_time(
        model, sentences, real, int(config.get("estimate_sample", ESTIMATE_SAMPLE))
    )
    embeddings = model if real else _composed(config, model)
    ingest_s, report = _timed(lambda: run_ingest(settings, embeddings=embeddings, progress=False))
    encode_before = (encode_p, encode_s)
    if real:  # again after the ingest: on a shared machine the load drifts; the mean brackets the ingest
        after_p = _encode_time(model, passages, real)[0]
        after_s = _encode_time(model, sentences, real)[0]
        encode_p, encode_s = (encode_p + after_p) / 2, (encode_s + after_s) / 2
    compose_s = float(getattr(embeddings, "seconds", 0.0))
    reingests = []
    for _ in range(int(config.get("reingest_runs", 3))):
        seconds, again = _timed(lambda: run_ingest(settings, progress=False))
        if again.changed or again.passages:
            raise RuntimeError(f"re-ingest of an unchanged corpus changed the index: {again.summary()}")
        reingests.append(seconds)
    encode_total = encode_p + encode_s
    ingest_work = ingest_s - compose_s  # composing stands in for the model; it is not ingest work
    ingest_total = ingest_work + (0.0 if real else encode_total)
    return {
        "passages": report.passages,
        "sentences": report.sentences,
        "documents": len(report.added),
        "model_load_s": load_s,
        "imports_s": imports_s,
        "prepare_s": prepare_s,
        "encode_passages_s": encode_p,
        "encode_sentences_s": encode_s,
        "encode_s": encode_total,
        "encode_before_ingest_s": sum(encode_before),
        "encode_estimated": est_p or est_s,
        "encode_real": real,
        "ingest_measured_s": ingest_s,
        "ingest_excl_encode_s": ingest_work if not real else max(ingest_s - encode_total, 0.0),
        "ingest_s": ingest_total,
        "ingest_estimated": not real,
        "passages_per_s": report.passages / ingest_total if ingest_total else float("nan"),
        "ratio_ingest_to_encode": ingest_total / encode_total if encode_total else float("nan"),
        "ratio_ingest_to_encode_passages_only": ingest_total / encode_p if encode_p else float("nan"),
        "reingest_s": statistics.median(reingests),
        "reingest_runs_s": reingests,
        "peak_rss_mb": peak_rss_mb(),
    }


def _latencies(fn: Callable[[str], Any], questions: list[str]) -> list[float]:
    out = []
    for q in questions:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def phase_query(config: dict[str, Any]) -> dict[str, Any]:
    """Warm latencies of retrieval alone and of a full ``ask`` (kezhuan's shipped settings)."""
    from assistant import Assistant
    from bench.measure import percentiles
    from ingest.embed import query_backend

    settings = _settings(config)
    questions = list(config["questions"])
    load_s, bot = _timed(lambda: Assistant.load(settings))
    for q in questions[: int(config.get("warmup", 5))]:
        bot.ask(q)
    embed = _latencies(bot.embeddings.embed_query, questions)
    retrieval = _latencies(bot.retriever.search, questions)
    vectors = {q: bot.embeddings.embed_query(q) for q in questions}
    given_vector = _latencies(lambda q: bot.retriever.search(q, vector=vectors[q]), questions)
    ask = _latencies(bot.ask, questions)
    return {
        "load_s": load_s,
        "snapshot": getattr(bot.retriever, "loaded_from", ""),
        "query_backend": query_backend(settings),
        "live_passages": bot.retriever.size,
        "embed_query_ms": percentiles(embed),
        "retrieval_ms": percentiles(retrieval),
        "retrieval_given_vector_ms": percentiles(given_vector),
        "ask_ms": percentiles(ask),
        "peak_rss_mb": peak_rss_mb(),
    }


def _recipe_chunks(settings: Settings) -> list[Any]:
    """The recipe's documents split as it splits them: raw text, 500 characters, overlap 50."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from evals.baseline import CHUNK_OVERLAP, CHUNK_SIZE
    from ingest.load import list_sources, load_document, read_manifest

    corpus = settings.corpus_dir
    manifest = read_manifest(corpus)
    documents = []
    for path in list_sources(corpus):
        doc = load_document(path, corpus, manifest)
        documents.append(Document(page_content=doc.raw, metadata={"source": doc.source}))
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.split_documents(documents)


def _recipe_store(chunks: list[Any], embeddings: Any) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from evals.baseline import COLLECTION

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    if COLLECTION in {c.name for c in client.list_collections()}:
        client.delete_collection(COLLECTION)
    return Chroma.from_documents(chunks, embeddings, collection_name=COLLECTION, client=client)


def phase_baseline(config: dict[str, Any]) -> dict[str, Any]:
    """The ten-line recipe: bare encode of its chunks, build (split + embed + index), queries."""
    from bench.measure import percentiles
    from evals.baseline import ANSWER_K
    from ingest.embed import load_embeddings

    settings = _settings(config)
    real = bool(config["real_encode"])
    model = load_embeddings(settings)
    model.encode_passages(["暖機"])
    _import_store()
    import langchain_text_splitters  # noqa: F401

    questions = list(config["questions"])
    split_s, chunks = _timed(lambda: _recipe_chunks(settings))
    texts = [c.page_content for c in chunks]
    encode_s, estimated = _encode_time(
        model, texts, real, int(config.get("estimate_sample", ESTIMATE_SAMPLE))
    )
    embeddings = model if real else _composed(config, model)
    store_s, store = _timed(lambda: _recipe_store(chunks, embeddings))
    if real:  # again after the build, as for kezhuan's ingest
        encode_s = (encode_s + _encode_time(model, texts, real)[0]) / 2
    compose_s = float(getattr(embeddings, "seconds", 0.0))
    build_work = split_s + store_s - compose_s
    build_total = build_work + (0.0 if real else encode_s)

    def answer(q: str) -> str:
        return "\n\n".join(d.page_content for d in store.similarity_search(q, k=ANSWER_K))

    for q in questions[: int(config.get("warmup", 5))]:
        answer(q)
    retrieval = _latencies(lambda q: store.similarity_search(q, k=ANSWER_K), questions)
    ask = _latencies(answer, questions)
    return {
        "chunks": len(chunks),
        "encode_s": encode_s,
        "encode_estimated": estimated,
        "encode_real": real,
        "ingest_s": build_total,
        "ingest_excl_encode_s": build_work if not real else max(build_work - encode_s, 0.0),
        "ingest_estimated": not real,
        "ratio_ingest_to_encode": build_total / encode_s if encode_s else float("nan"),
        "retrieval_ms": percentiles(retrieval),
        "ask_ms": percentiles(ask),
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_baseline_cold(config: dict[str, Any]) -> dict[str, Any]:
    """The recipe as a script: start, load the model, split, embed, index, answer one question."""
    from ingest.embed import load_embeddings

    settings = _settings(config)
    chunks = _recipe_chunks(settings)
    store = _recipe_store(chunks, load_embeddings(settings))
    found = store.similarity_search(config["questions"][0], k=4)
    return {"chunks": len(chunks), "answer_chars": sum(len(d.page_content) for d in found)}


PHASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "clauses": phase_clauses,
    "ingest": phase_ingest,
    "query": phase_query,
    "baseline": phase_baseline,
    "baseline-cold": phase_baseline_cold,
}


def main(argv: list[str] | None = None) -> int:
    """Run one phase: ``PHASE CONFIG.json OUT.json``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] not in PHASES:
        print(f"usage: python -m bench.worker {{{','.join(PHASES)}}} CONFIG.json OUT.json", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    result = PHASES[args[0]](config)
    Path(args[2]).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
