"""The retriever's snapshot file: a hit answers exactly as a fresh build; anything else rebuilds.

A real embedded Chroma with fake embeddings and the real seed document (plus a small second
document), so BM25, the glossary and passage order are the real ones.
"""

from __future__ import annotations

import io
import logging
import math
import os
import pickle
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant import retrieve
from assistant.reply import Passage
from assistant.retrieve import Retriever, snapshot_path
from core.settings import Settings
from core.text import index_tokens
from evals.dataset import DEFAULT_GOLD_PATH, load_gold
from ingest.index import open_index, run_ingest

NOTES = "notes.md"
#: A word that is in no document until a test adds it.
NEW_WORD = "量子蜂巢實驗場"
#: The one sentence of two documents: its passages tie in BM25 (the store's order breaks the tie).
TIED = "水五金產業聚落位於彰化鹿港。"


def _questions() -> list[str]:
    # The seed document's gold set: the other sets ask about documents this index lacks.
    gold = load_gold(DEFAULT_GOLD_PATH / "gold-v1.jsonl")
    cases = sorted((c for c in gold.values() if not c.history), key=lambda c: c.id)
    return [c.question for c in cases[::4]] + ["科專", "技術司", "新創", "智慧機械", "AI", "2024年", TIED]


@pytest.fixture()
def indexed(tmp_settings: Settings, fake_embeddings: Any) -> Settings:
    (tmp_settings.corpus_dir / NOTES).write_text(
        "# 補充說明\n\n產業技術司（簡稱技術司）推動「促新創」方案。內容提到水五金產業與智慧機械。\n\n"
        "## 第二節\n\n科專計畫協助中小企業導入AI，2024年起擴大辦理。\n",
        encoding="utf-8",
    )
    for name, title in (("copy-a.md", "甲"), ("copy-b.md", "乙")):
        (tmp_settings.corpus_dir / name).write_text(f"# {title}\n\n## 說明\n\n{TIED}\n", encoding="utf-8")
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    return tmp_settings


def _retriever(settings: Settings, embeddings: Any) -> Retriever:
    return Retriever(open_index(settings, embeddings), embeddings, settings)


def _fields(p: Passage) -> tuple[Any, ...]:
    return (p.id, p.score, p.source, p.section, p.text, p.start, p.end, p.title, p.kind)


def _answers(r: Retriever, embeddings: Any, questions: list[str] | None = None) -> dict[str, Any]:
    """Everything the assistant reads from a retriever, for a set of questions (default: all)."""
    out: dict[str, Any] = {
        "size": r.size,
        "glossary": [(t, r.glossary.aliases_of(t)) for t in r.glossary.terms()],
        "vocab": list(r.bm25.vocab),
        "idf": r.bm25.idf.tolist(),
        "matrix": (
            r.bm25.matrix.data.tolist(),
            r.bm25.matrix.indices.tolist(),
            r.bm25.matrix.indptr.tolist(),
        ),
    }
    for q in _questions() if questions is None else questions:
        vector = embeddings.embed_query(q)
        row: dict[str, Any] = {
            mode: [_fields(p) for p in r.search(q, k=10, mode=mode)] for mode in ("bm25", "dense")
        }
        row["hybrid"] = [_fields(p) for p in r.search(q, k=10, mode="hybrid", vector=vector)]
        row["hybrid, embedded here"] = [_fields(p) for p in r.search(q, k=10)]
        row["expand"] = r.glossary.expand(q)
        row["idf_of"] = r.bm25.idf_of(q[:3])
        row["knows"] = (r.knows(q[:2]), r.knows_compound(q[:3]))
        top = r.search(q, k=3, mode="bm25")
        row["next"] = [(n.id if (n := r.next_passage(p)) else None) for p in top]
        row["sentences"] = [r.sentence_ids(p.id) for p in top]
        out[q] = row
    return out


def _reference_bm25(
    tokens: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> np.ndarray:
    """Okapi BM25 the textbook way, in float32 as the index computes it (the order to keep)."""
    n = len(tokens)
    df = Counter(t for doc in tokens for t in set(doc))
    lengths = np.asarray([len(d) for d in tokens], dtype=np.float32)
    avg = float(lengths.mean())
    scores = np.zeros(n, dtype=np.float32)
    for term, count in Counter(query).items():
        if term not in df:
            continue
        idf = np.float32(math.log(1.0 + (n - df[term] + 0.5) / (df[term] + 0.5)))
        for i, doc in enumerate(tokens):
            tf = np.float32(doc.count(term))
            if tf:
                norm = np.float32(k1 * (1.0 - b + b * lengths[i] / avg))
                scores[i] += idf * (tf * np.float32(k1 + 1.0) / (tf + norm)) * count
    return scores


@pytest.mark.slow  # answers every question three ways through the whole answerer: 10 s
def test_a_snapshot_hit_answers_exactly_as_a_fresh_build(indexed: Settings, fake_embeddings: Any) -> None:
    built = _retriever(indexed, fake_embeddings)
    assert built.loaded_from == "built" and snapshot_path(indexed).is_file()
    loaded = _retriever(indexed, fake_embeddings)
    assert loaded.loaded_from == "loaded"
    uncached = _retriever(indexed.replace(retrieval_cache=False), fake_embeddings)
    assert uncached.loaded_from == "built"
    expected = _answers(uncached, fake_embeddings)
    assert _answers(built, fake_embeddings) == expected
    assert _answers(loaded, fake_embeddings) == expected
    assert {"促新创", "技术司"} <= set(loaded.glossary.terms())  # found in the texts, then loaded
    # Embedding the question while BM25 scores it (another thread) changes nothing.
    assert all(expected[q]["hybrid, embedded here"] == expected[q]["hybrid"] for q in _questions())


def test_bm25_ranks_as_textbook_bm25_in_the_stores_order(indexed: Settings, fake_embeddings: Any) -> None:
    r = _retriever(indexed, fake_embeddings)
    stored = r.store.passages.get(include=["metadatas"])  # the store's order, as the snapshot reads it
    assert list(stored["ids"]) == r._current().ids
    tokens = [str(m["tokens"]).split() for m in stored["metadatas"] or []]
    ties = 0
    for question in _questions():
        # glossary + English bridge, each token once
        query = list(dict.fromkeys(index_tokens(" ".join([question, *r.expansions(question)]))))
        reference = _reference_bm25(tokens, query)
        order = sorted(np.flatnonzero(reference > 0), key=lambda i: (-reference[i], i))[:20]
        got = r.lexical(question, 20)
        assert [pid for pid, _ in got] == [r._current().ids[i] for i in order], question
        assert [s for _, s in got] == pytest.approx([float(reference[i]) for i in order], rel=1e-5)
        ties += len(got) - len({s for _, s in got})
    assert ties, "no tied scores: the order of ties is not tested"


def test_passages_read_in_several_pages_give_the_same_snapshot(
    indexed: Settings, fake_embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _answers(_retriever(indexed.replace(retrieval_cache=False), fake_embeddings), fake_embeddings)
    monkeypatch.setattr(retrieve, "_READ_PAGE", 7)
    paged = _retriever(indexed.replace(retrieval_cache=False), fake_embeddings)
    assert _answers(paged, fake_embeddings) == expected


def test_a_reingest_makes_the_snapshot_stale(indexed: Settings, fake_embeddings: Any) -> None:
    worker = _retriever(indexed, fake_embeddings)
    assert (
        not worker.search(NEW_WORD, mode="bm25")
        or NEW_WORD not in worker.search(NEW_WORD, mode="bm25")[0].text
    )
    notes = indexed.corpus_dir / NOTES
    notes.write_text(notes.read_text(encoding="utf-8") + f"\n{NEW_WORD}今年開放申請。\n", encoding="utf-8")
    assert run_ingest(indexed, embeddings=fake_embeddings, progress=False).updated == [NOTES]

    fresh = _retriever(indexed, fake_embeddings)
    assert fresh.loaded_from == "built", "a snapshot of the old version was used"
    assert NEW_WORD in fresh.search(NEW_WORD, mode="bm25")[0].text
    # A running worker notices the commit and loads the snapshot the new process saved.
    assert worker.refresh() and worker.loaded_from == "loaded"
    assert NEW_WORD in worker.search(NEW_WORD, mode="bm25")[0].text
    assert _answers(worker, fake_embeddings) == _answers(fresh, fake_embeddings)


def test_a_snapshot_read_while_an_ingest_commits_is_not_saved(
    indexed: Settings, fake_embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_index(indexed, fake_embeddings)
    read_all = Retriever._stored_passages

    def read_during_an_ingest(self: Retriever) -> Iterator[tuple[str, str, dict | None]]:
        for n, passage in enumerate(read_all(self)):
            if n == 3:
                notes = indexed.corpus_dir / NOTES
                notes.write_text(notes.read_text(encoding="utf-8") + f"\n{NEW_WORD}。\n", encoding="utf-8")
                assert run_ingest(indexed, embeddings=fake_embeddings, progress=False).updated == [NOTES]
            yield passage

    monkeypatch.setattr(retrieve, "_READ_PAGE", 7)
    monkeypatch.setattr(Retriever, "_stored_passages", read_during_an_ingest)
    assert Retriever(store, fake_embeddings, indexed).loaded_from == "built"
    assert not snapshot_path(indexed).exists()
    monkeypatch.undo()
    fresh = _retriever(indexed, fake_embeddings)
    assert fresh.loaded_from == "built" and NEW_WORD in fresh.search(NEW_WORD, mode="bm25")[0].text


def test_a_rebuilt_index_makes_the_snapshot_stale(indexed: Settings, fake_embeddings: Any) -> None:
    _retriever(indexed, fake_embeddings)
    run_ingest(indexed, embeddings=fake_embeddings, progress=False, rebuild=True)  # same documents
    assert _retriever(indexed, fake_embeddings).loaded_from == "built"


def test_a_snapshot_of_another_format_is_not_used(
    indexed: Settings, fake_embeddings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _retriever(indexed, fake_embeddings)
    monkeypatch.setattr(retrieve, "SNAPSHOT_FORMAT", retrieve.SNAPSHOT_FORMAT + 1)
    with caplog.at_level(logging.INFO, logger="assistant.retrieve"):
        assert _retriever(indexed, fake_embeddings).loaded_from == "built"
    assert "out of date (built from another format)" in caplog.text
    assert _retriever(indexed, fake_embeddings).loaded_from == "loaded"


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip_in(member: str) -> Any:
    """Damage one byte in the middle of a member's stored bytes (what its CRC-32 covers)."""

    def damage(data: bytes, path: Path) -> bytes:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(member)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        i = start + info.compress_size // 2
        return data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1 :]

    return damage


def _drop_member(data: bytes, path: Path) -> bytes:
    path.write_bytes(data)
    with zipfile.ZipFile(path) as old:
        members = {name: old.read(name) for name in old.namelist() if name != "texts.blob.npy"}
    with zipfile.ZipFile(path, "w") as new:
        for name, content in members.items():
            new.writestr(name, content)
    return path.read_bytes()


def _ran_code_marker(snapshot: Path) -> Path:
    """The file the evil glossary pickle creates if loading the snapshot runs it (the test's own)."""
    return snapshot.with_name("snapshot-test-ran-code")


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _evil_glossary(data: bytes, path: Path) -> bytes:
    path.write_bytes(data)
    with zipfile.ZipFile(path) as old:
        members = {name: old.read(name) for name in old.namelist()}
    buffer = io.BytesIO()
    np.save(buffer, np.frombuffer(pickle.dumps(_Boom(_ran_code_marker(path)), protocol=5), dtype=np.uint8))
    members["found_glossary.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as new:
        for name, content in members.items():
            new.writestr(name, content)
    return path.read_bytes()


DAMAGE = {
    "empty": lambda data, path: b"",
    "truncated": lambda data, path: _truncate(data),
    "garbage": lambda data, path: b"not a snapshot" * 1000,
    **{
        f"a byte changed in {member}": _flip_in(member)
        for member in (
            "key.npy",
            "texts.blob.npy",
            "texts.offsets.npy",
            "sources.codes.npy",
            "bm25_data.npy",
            "bm25_indptr.npy",
            "found_glossary.npy",
        )
    },
    "the zip directory cut off": lambda data, path: data[:-10],
    "a member missing": _drop_member,
    "code in the glossary pickle": _evil_glossary,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_snapshot_is_ignored_with_a_warning_and_rebuilt(
    indexed: Settings, fake_embeddings: Any, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A rebuild is a fresh build, which the tests above compare on every question: a sample
    # of them shows the damaged file played no part (13 damages: the quick tier stays quick).
    sample = _questions()[::8]
    expected = _answers(_retriever(indexed, fake_embeddings), fake_embeddings, sample)
    path = snapshot_path(indexed)
    path.write_bytes(DAMAGE[damage](path.read_bytes(), path))
    marker = _ran_code_marker(path)
    with caplog.at_level(logging.WARNING, logger="assistant.retrieve"):
        again = _retriever(indexed, fake_embeddings)
    assert again.loaded_from == "built"
    assert "Ignoring the unreadable retrieval snapshot" in caplog.text and str(path) in caplog.text
    assert not marker.exists(), "loading the snapshot ran code"
    assert _answers(again, fake_embeddings, sample) == expected
    assert _retriever(indexed, fake_embeddings).loaded_from == "loaded", "the damaged file was not replaced"


def test_a_deleted_snapshot_is_rebuilt(indexed: Settings, fake_embeddings: Any) -> None:
    expected = _answers(_retriever(indexed, fake_embeddings), fake_embeddings)
    snapshot_path(indexed).unlink()
    again = _retriever(indexed, fake_embeddings)
    assert again.loaded_from == "built" and snapshot_path(indexed).is_file()
    assert _answers(again, fake_embeddings) == expected


def test_an_unwritable_snapshot_only_costs_a_warning(
    indexed: Settings, fake_embeddings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = snapshot_path(indexed)
    path.mkdir(parents=True)  # a folder where the file should be: it can be neither read nor replaced
    with caplog.at_level(logging.WARNING, logger="assistant.retrieve"):
        r = _retriever(indexed, fake_embeddings)
    assert r.loaded_from == "built" and r.size > 30
    assert "Could not save the retrieval snapshot" in caplog.text
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "a temporary file was left"


def test_a_temporary_file_of_a_killed_writer_is_removed(indexed: Settings, fake_embeddings: Any) -> None:
    path = snapshot_path(indexed)
    path.parent.mkdir(parents=True, exist_ok=True)
    dead = path.with_name(f".{path.name}.999999999-1.tmp")  # no such process
    alive = path.with_name(f".{path.name}.{os.getpid()}-1.tmp")  # a writer still at work
    for temporary in (dead, alive):
        temporary.write_bytes(b"half a snapshot")
    assert _retriever(indexed, fake_embeddings).loaded_from == "built"
    assert not dead.exists() and alive.exists()


def test_server_workers_keep_their_own_snapshot_file(tmp_settings: Settings) -> None:
    local = snapshot_path(tmp_settings)
    server = snapshot_path(tmp_settings.replace(chroma_host="10.0.0.5", chroma_port=8001))
    assert local.parent == server.parent == tmp_settings.data_dir
    assert local != server and "10.0.0.5" in server.name


def test_ingest_can_save_the_snapshot_so_the_next_start_loads_it(
    indexed: Settings, fake_embeddings: Any
) -> None:
    path = snapshot_path(indexed)
    path.unlink(missing_ok=True)
    assert retrieve.save_snapshot(indexed) == path and path.exists()
    assert _retriever(indexed, fake_embeddings).loaded_from == "loaded"
    off = indexed.replace(retrieval_cache=False)
    path.unlink()
    assert retrieve.save_snapshot(off) is None and not path.exists()


def test_exact_dense_search_is_brute_force_cosine_with_ties_by_id(
    indexed: Settings, fake_embeddings: Any
) -> None:
    """Exact dense search ranks every live passage by cosine; equal similarities go by passage id."""
    r = _retriever(indexed, fake_embeddings)
    snap = r._current()
    stored = snap.store.passage_vectors(snap.ids)
    assert set(stored) == set(snap.ids)
    for q in _questions()[:6]:
        vector = np.asarray(fake_embeddings.embed_query(q), dtype=np.float32)
        cosine = {
            pid: float(v @ vector / (np.linalg.norm(v) * np.linalg.norm(vector))) for pid, v in stored.items()
        }
        expected = sorted(cosine, key=lambda pid: (-round(cosine[pid], 6), pid))[:8]
        got = r.dense(vector.tolist(), 8)
        assert [pid for pid, _ in got] == expected
        assert [s for _, s in got] == pytest.approx([cosine[pid] for pid in expected], abs=1e-6)
    # Two passages with one vector tie: the smaller id comes first, whichever row holds it.
    assert snap.vectors is not None
    first, last = sorted(range(len(snap.ids)), key=lambda i: snap.ids[i])[:: len(snap.ids) - 1]
    snap.vectors[first] = snap.vectors[last]
    tied = r.dense(snap.vectors[last].tolist(), 2)
    assert [pid for pid, _ in tied] == [snap.ids[first], snap.ids[last]] and tied[0][1] == tied[1][1]


def test_exact_and_approximate_dense_search_agree_on_a_small_index(
    indexed: Settings, fake_embeddings: Any
) -> None:
    """Above ``exact_dense_max_passages`` Chroma's HNSW answers; on a small index both find the same passages."""
    exact = _retriever(indexed, fake_embeddings)
    approximate = _retriever(indexed.replace(exact_dense_max_passages=0), fake_embeddings)
    assert approximate._current().vectors is None
    for q in _questions()[:6]:
        vector = fake_embeddings.embed_query(q)
        a, b = exact.dense(vector, 5), approximate.dense(vector, 5)
        assert {pid for pid, _ in a[:3]} <= {pid for pid, _ in b}
        assert [s for _, s in a] == pytest.approx(sorted((s for _, s in b), reverse=True), abs=1e-5)
    assert approximate._current().vectors is None


def test_an_alias_does_not_weigh_its_word_over_the_question_s_other_words(
    indexed: Settings, fake_embeddings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Expansions add each token once: 技術司's aliases repeat its bigrams, which must not bury 南投."""
    r = _retriever(indexed, fake_embeddings)
    question = "技術司在南投有設園區嗎"
    aliases = ["本部產業技術司", "產業技術司", "本部技術司"]
    monkeypatch.setattr(Retriever, "expansions", lambda self, query: aliases)
    snap = r._current()
    best = snap.texts[snap.position[r.lexical(question, 1)[0][0]]]
    assert "南投" in best, best
    # Counting the repeats (the old scoring) ranks a passage without 南投 first.
    repeated = snap.bm25.scores(index_tokens(" ".join([question, *aliases])))
    assert "南投" not in snap.texts[int(np.argmax(repeated))]
