"""What kezhuan relies on in chromadb's public API, pinned (ingest/index.py's IndexStore).

chromadb and langchain-chroma are pinned in pyproject.toml; an upgrade that changes any of
these behaviours fails here, by name, before it can change answers silently.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexMissingError
from core.settings import Settings
from ingest.index import DocRecord, IndexStore


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(environ={}, corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def _unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, np.float32)
    return v / np.linalg.norm(v)


def _put(
    store: IndexStore, ids: list[str], vectors: list[np.ndarray], source: str = "a.md", sha: str = "s1"
) -> None:
    metas = [{"source": source, "doc_sha": sha, "start": i, "end": i + 1} for i in range(len(ids))]
    store.write_passages(ids, np.stack(vectors), [f"text {i}" for i in ids], metas)


def test_query_distance_is_one_minus_cosine_similarity(settings: Settings) -> None:
    store = IndexStore(settings)
    vectors = [_unit(1, 0, 0), _unit(1, 1, 0), _unit(0, 0, 1)]
    _put(store, ["x", "y", "z"], vectors)
    query = _unit(1, 0.2, 0)
    got = store.nearest_passages(query.tolist(), 3)
    assert [pid for pid, _ in got] == ["x", "y", "z"]  # nearest first
    for pid, distance in got:
        cosine = float(vectors["xyz".index(pid)] @ query)
        assert math.isclose(1.0 - distance, cosine, abs_tol=1e-5), pid


def test_paged_reads_cover_the_store_once_in_the_unpaged_order(settings: Settings) -> None:
    store = IndexStore(settings)
    ids = [f"p{i:03d}" for i in range(57)]
    rng = np.random.default_rng(0)
    _put(store, ids, [_unit(*rng.normal(size=4)) for _ in ids])
    whole, texts, metas = store.read_passages(limit=1000)
    paged: list[str] = []
    for offset in range(0, 57, 10):
        paged += store.read_passages(limit=10, offset=offset)[0]
    assert paged == whole and sorted(whole) == ids and len(texts) == len(metas) == 57
    assert whole == store.read_passages(limit=1000)[0]  # the order is stable between reads


def test_upsert_replaces_a_record_of_the_same_id(settings: Settings) -> None:
    store = IndexStore(settings)
    _put(store, ["x"], [_unit(1, 0)], sha="old")
    _put(store, ["x"], [_unit(0, 1)], sha="new")
    ids, _, metas = store.read_passages(limit=10)
    assert ids == ["x"] and metas[0]["doc_sha"] == "new" and store.count() == 1


def test_the_sweep_filters_delete_exactly_the_other_versions(settings: Settings) -> None:
    store = IndexStore(settings)
    _put(store, ["a1", "a2"], [_unit(1, 0), _unit(0, 1)], source="a.md", sha="new")
    _put(store, ["a0"], [_unit(1, 1)], source="a.md", sha="old")
    _put(store, ["b0"], [_unit(1, 2)], source="b.md", sha="b")  # not committed: swept
    store.commit(DocRecord("a.md", "new" + "0" * 61, "key", "A", 2, 0))
    # the commit stores the first 16 characters of the hash as doc_sha
    _put(store, ["a1", "a2"], [_unit(1, 0), _unit(0, 1)], source="a.md", sha=("new" + "0" * 61)[:16])
    assert store.sweep() == 2
    assert sorted(store.read_passages(limit=10)[0]) == ["a1", "a2"]
    assert store.is_clean()


def test_commit_records_round_trip(settings: Settings) -> None:
    store = IndexStore(settings)
    record = DocRecord("a.md", "f" * 64, "key", "標題", 3, 7)
    store.commit(record)
    assert store.committed() == {"a.md": record}
    store.uncommit("a.md")
    assert store.committed() == {}


def test_sentences_are_read_back_with_their_vectors(settings: Settings) -> None:
    store = IndexStore(settings)
    vector = _unit(3, 4)
    store.write_sentences(["s1"], np.stack([vector]), ["句子。"], [{"source": "a.md", "prefix_len": 0}])
    got = store.get_sentences(["s1", "missing"])
    assert list(got) == ["s1"]
    text, meta, stored = got["s1"]
    assert text == "句子。" and meta["prefix_len"] == 0 and np.allclose(stored, vector)


def test_a_rebuilt_collection_has_a_new_id(settings: Settings) -> None:
    store = IndexStore(settings)
    before = store.collection_id
    store.drop()
    store.reopen()
    assert store.collection_id != before and store.count() == 0


def test_a_closed_store_releases_its_folder_for_a_fresh_open(settings: Settings) -> None:
    store = IndexStore(settings)
    _put(store, ["x"], [_unit(1, 0)])
    store.close()
    (settings.chroma_dir / "chroma.sqlite3").write_bytes(b"this is not a database\x00" * 512)
    with pytest.raises(IndexMissingError, match="kezhuan ingest"):
        IndexStore(settings)


def test_the_client_names_the_folder_it_keeps_its_data_in(settings: Settings, tmp_path: Path) -> None:
    """The store keeps the commit manifest only for a client of the settings' own folder."""
    import chromadb

    store = IndexStore(settings)
    assert store.keeps_manifest
    chroma = store.client.get_settings()
    assert chroma.is_persistent and Path(chroma.persist_directory).resolve() == settings.chroma_dir.resolve()
    store.close()
    # One in-process ephemeral Chroma per settings: the baseline's (evals/baseline.py) settings,
    # or the test fails when the baseline's client was made first in this process.
    ephemeral = chromadb.EphemeralClient(settings=chromadb.config.Settings(anonymized_telemetry=False))
    assert not ephemeral.get_settings().is_persistent
    elsewhere = chromadb.PersistentClient(path=str(tmp_path / "elsewhere"))
    assert not IndexStore(settings, client=elsewhere).keeps_manifest


def test_counts_are_of_stored_records_committed_or_not(settings: Settings) -> None:
    """The commit manifest's passage and sentence counts come from count()."""
    store = IndexStore(settings)
    _put(store, ["a1", "a2"], [_unit(1, 0), _unit(0, 1)], source="a.md")
    store.write_sentences(["s1"], np.stack([_unit(1, 1)]), ["句子。"], [{"source": "a.md", "prefix_len": 0}])
    assert store.count() == 2 and store.sentences.count() == 1
    store.commit(DocRecord("a.md", "s1" + "0" * 62, "key", "甲", 2, 1))
    assert store.count() == 2 and store.is_clean()
