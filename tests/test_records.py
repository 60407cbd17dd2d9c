"""`kezhuan ingest` decides "nothing changed" from the commit manifest, without Chroma (ingest/records.py).

Every change an ingest must act on (a file edited, added or deleted, a manifest entry, a setting
of the pipeline, a missing or damaged index, leftovers of an interrupted ingest) must make the
check answer None, so the full ingest runs; each case also checks that the full ingest then
indeed had work to do or an error to report. So must every commit manifest that does not describe
the index as stored (missing, unreadable, of another format, another collection's or folder's,
left by an ingest killed between its write to Chroma and the manifest's).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieve import save_snapshot
from core.errors import KezhuanError
from core.settings import PROJECT_ROOT, Settings
from ingest.index import IndexStore, run_ingest
from ingest.records import (
    MANIFEST_FORMAT,
    commit_manifest_path,
    ingest_lock,
    read_commit_manifest,
    snapshot_path,
    unchanged_ingest,
)
from ui import cli

SEED_NAME = "moea-doit-tech-programs-overview.txt"
NOTES = "# 補充說明\n\n這是一份測試用的補充文件。內容提到水五金產業。\n"


@pytest.fixture()
def ingested(tmp_settings: Settings, fake_embeddings) -> Settings:
    """An index of the seed and one more document, with its retrieval snapshot: as after `kezhuan ingest`."""
    (tmp_settings.corpus_dir / "notes.md").write_text(NOTES, encoding="utf-8")
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    save_snapshot(tmp_settings)
    return tmp_settings


def test_an_unchanged_corpus_is_reported_unchanged(ingested: Settings, fake_embeddings) -> None:
    report = unchanged_ingest(ingested)
    assert report is not None and report.unchanged == ["moea-doit-tech-programs-overview.txt", "notes.md"]
    assert not report.changed and report.passages == 0
    full = run_ingest(ingested, embeddings=fake_embeddings, progress=False)
    assert full.unchanged == report.unchanged and not full.changed  # the full ingest agrees
    assert unchanged_ingest(ingested) is not None  # and leaves the records as it found them


def _edit(s: Settings) -> None:
    path = s.corpus_dir / "notes.md"
    path.write_text(path.read_text(encoding="utf-8") + "新增一句。\n", encoding="utf-8")


def _edit_keeping_size_and_time(s: Settings) -> None:
    path = s.corpus_dir / "notes.md"
    before = path.stat()
    path.write_text(NOTES.replace("水五金", "石五金"), encoding="utf-8")  # same length in bytes
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def _add(s: Settings) -> None:
    (s.corpus_dir / "more.txt").write_text("另一份文件。內容不同。\n", encoding="utf-8")


def _delete(s: Settings) -> None:
    (s.corpus_dir / "notes.md").unlink()


def _manifest(s: Settings) -> None:
    path = s.corpus_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["documents"][SEED_NAME]["title"] = "另一個標題"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


CORPUS_CHANGES: dict[str, Callable[[Settings], None]] = {
    "edited": _edit,
    "edited, same size and time": _edit_keeping_size_and_time,
    "added": _add,
    "deleted": _delete,
    "manifest entry": _manifest,
}


@pytest.mark.parametrize("change", list(CORPUS_CHANGES))
def test_a_changed_corpus_runs_the_full_ingest(ingested: Settings, fake_embeddings, change: str) -> None:
    CORPUS_CHANGES[change](ingested)
    assert unchanged_ingest(ingested) is None
    assert run_ingest(ingested, embeddings=fake_embeddings, progress=False).changed


@pytest.mark.parametrize(
    "setting", [{"chunk_chars": 150}, {"embedding_model": "another-model"}, {"max_unit_chars": 300}]
)
def test_a_changed_pipeline_setting_runs_the_full_ingest(
    ingested: Settings, fake_embeddings, setting: dict[str, object]
) -> None:
    changed = ingested.replace(**setting)
    assert unchanged_ingest(changed) is None
    # a new generation of the index, every document embedded again
    assert len(run_ingest(changed, embeddings=fake_embeddings, progress=False).added) == 2


def test_another_collection_or_data_folder_is_not_this_index(ingested: Settings, tmp_path: Path) -> None:
    assert unchanged_ingest(ingested.replace(collection="other")) is None
    assert unchanged_ingest(ingested.replace(data_dir=tmp_path / "elsewhere")) is None
    assert not (tmp_path / "elsewhere").exists()  # the check creates nothing


def test_a_missing_snapshot_runs_the_full_ingest(ingested: Settings) -> None:
    snapshot_path(ingested).unlink()
    assert unchanged_ingest(ingested) is None
    assert unchanged_ingest(ingested.replace(retrieval_cache=False)) is not None


def test_a_missing_or_damaged_index_runs_the_full_ingest(ingested: Settings, fake_embeddings) -> None:
    database = ingested.chroma_dir / "chroma.sqlite3"
    database.write_bytes(b"not a database" * 100)
    assert unchanged_ingest(ingested) is None
    with pytest.raises(KezhuanError, match="--rebuild"):
        run_ingest(ingested, embeddings=fake_embeddings, progress=False)
    database.unlink()
    assert unchanged_ingest(ingested) is None


def test_leftovers_of_an_interrupted_ingest_run_the_full_ingest(ingested: Settings, fake_embeddings) -> None:
    store = IndexStore(ingested)
    # Written, killed before its commit: the full ingest sweeps it.
    meta = {"source": "notes.md", "doc_sha": "0" * 16, "start": 0, "end": 1}
    store.write_passages(["stray"], np.ones((1, 32), np.float32), ["殘留"], [meta])
    store.close()
    assert unchanged_ingest(ingested) is None
    assert run_ingest(ingested, embeddings=fake_embeddings, progress=False).swept == 1
    save_snapshot(ingested)
    assert unchanged_ingest(ingested) is not None


def test_an_unfinished_rebuild_generation_runs_the_full_ingest(ingested: Settings) -> None:
    store = IndexStore(ingested, generation="g1")  # a rebuild killed before its switch
    store.close()
    assert unchanged_ingest(ingested) is None


def test_the_manifest_holds_what_chroma_returns(ingested: Settings) -> None:
    store = IndexStore(ingested)
    try:
        assert read_commit_manifest(ingested) == store.committed()
        body = json.loads(commit_manifest_path(ingested).read_text(encoding="utf-8"))
        assert (body["passages"], body["sentences"]) == (store.count(), store.sentences.count())
    finally:
        store.close()


def test_reading_the_index_keeps_the_manifest_trusted(ingested: Settings, fake_embeddings) -> None:
    """A server or `kezhuan ask` opening the index between two ingests must not cost the fast path."""
    from assistant.retrieve import Retriever

    store = IndexStore(ingested, fake_embeddings)
    Retriever(store, fake_embeddings, ingested).search("水五金", 3)
    store.close()
    assert unchanged_ingest(ingested) is not None


def _garbage(s: Settings) -> None:
    commit_manifest_path(s).write_text("{not json", encoding="utf-8")


def _older_format(s: Settings) -> None:
    _rewrite(s, format=MANIFEST_FORMAT - 1)


def _another_collection(s: Settings) -> None:
    _rewrite(s, collection="other")


def _counts_that_disagree(s: Settings) -> None:
    body = json.loads(commit_manifest_path(s).read_text(encoding="utf-8"))
    _rewrite(s, passages=body["passages"] + 1)


def _a_missing_record(s: Settings) -> None:
    body = json.loads(commit_manifest_path(s).read_text(encoding="utf-8"))
    _rewrite(s, records={k: v for k, v in body["records"].items() if k != "notes.md"})


def _a_record_missing_a_field(s: Settings) -> None:
    body = json.loads(commit_manifest_path(s).read_text(encoding="utf-8"))
    del body["records"]["notes.md"]["sha256"]
    _rewrite(s, records=body["records"])


def _rewrite(s: Settings, **fields: object) -> None:
    path = commit_manifest_path(s)
    body = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**body, **fields}), encoding="utf-8")


UNTRUSTED_MANIFESTS: dict[str, Callable[[Settings], None]] = {
    "missing": lambda s: commit_manifest_path(s).unlink(),
    "not JSON": _garbage,
    "an older format": _older_format,
    "another collection's": _another_collection,
    "counts that disagree with its records": _counts_that_disagree,
    "a record missing": _a_missing_record,
    "a record missing a field": _a_record_missing_a_field,
}


@pytest.mark.parametrize("manifest", list(UNTRUSTED_MANIFESTS))
def test_a_manifest_not_to_trust_runs_the_full_ingest_which_writes_it_again(
    ingested: Settings, fake_embeddings, manifest: str
) -> None:
    UNTRUSTED_MANIFESTS[manifest](ingested)
    assert unchanged_ingest(ingested) is None
    report = run_ingest(ingested, embeddings=fake_embeddings, progress=False)
    assert not report.changed and len(report.unchanged) == 2  # the index itself was fine
    assert read_commit_manifest(ingested) == IndexStore(ingested).committed()
    assert unchanged_ingest(ingested) is not None


def test_a_copied_data_folder_is_checked_through_chroma_once(
    ingested: Settings, tmp_path: Path, fake_embeddings
) -> None:
    copy = ingested.replace(data_dir=tmp_path / "copy")
    shutil.copytree(ingested.data_dir, copy.data_dir, ignore=shutil.ignore_patterns("ingest.lock"))
    assert unchanged_ingest(copy) is None  # the manifest names the original folder
    assert not run_ingest(copy, embeddings=fake_embeddings, progress=False).changed
    assert unchanged_ingest(copy) is not None
    assert unchanged_ingest(ingested) is not None


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (tests/test_faults.py kills real processes)."""


def test_a_kill_between_the_commit_and_its_manifest_is_never_taken_for_unchanged(
    ingested: Settings, fake_embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest of an edited file dies after Chroma committed it, before the manifest was
    written; the file is then put back. The manifest of the first ingest would match the corpus,
    but the index holds the edited version: only the full ingest may decide."""
    path = ingested.corpus_dir / "notes.md"
    _edit(ingested)

    def killed(*args: object, **kwargs: object) -> None:
        raise _Killed

    monkeypatch.setattr("ingest.index.write_commit_manifest", killed)
    with pytest.raises(_Killed):
        run_ingest(ingested, embeddings=fake_embeddings, progress=False)
    monkeypatch.undo()
    store = IndexStore(ingested)
    edited = store.committed()["notes.md"].sha256
    store.close()
    path.write_text(NOTES, encoding="utf-8")  # back to the version the old manifest described
    assert edited != hashlib.sha256(NOTES.encode()).hexdigest()
    assert unchanged_ingest(ingested) is None
    report = run_ingest(ingested, embeddings=fake_embeddings, progress=False)
    assert report.updated == ["notes.md"] and report.swept > 0
    assert unchanged_ingest(ingested) is not None


def test_another_ingest_running_is_left_to_the_full_ingest(ingested: Settings) -> None:
    with ingest_lock(ingested):
        assert unchanged_ingest(ingested) is None


def test_the_command_prints_the_summary_without_the_full_ingest(
    ingested: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEZHUAN_CORPUS_DIR", str(ingested.corpus_dir))
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(ingested.data_dir))

    def full_ingest(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full ingest ran on an unchanged corpus")

    monkeypatch.setattr("ingest.index.run_ingest", full_ingest)
    assert cli.main(["ingest", "--no-progress"]) == 0
    assert "0 added, 0 updated, 0 removed, 2 unchanged" in capsys.readouterr().out
    _add(ingested)
    with pytest.raises(AssertionError, match="full ingest ran"):
        cli.main(["ingest", "--no-progress"])
    with pytest.raises(AssertionError, match="full ingest ran"):
        cli.main(["ingest", "--no-progress", "--rebuild"])


HEAVY = ("chromadb", "torch", "sentence_transformers", "langchain_core", "transformers", "numpy", "scipy")


@pytest.mark.integration
def test_unchanged_ingest_imports_no_heavy_module(ingested: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEZHUAN_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]),
        KEZHUAN_CORPUS_DIR=str(ingested.corpus_dir),
        KEZHUAN_DATA_DIR=str(ingested.data_dir),
    )
    script = (
        "import json, sys\nimport ui.cli\ntry:\n    rc = ui.cli.main(sys.argv[1:])\n"
        "except SystemExit as e:\n    rc = e.code or 0\n"
        "print(json.dumps([ui.cli.__file__, sorted({m.split('.')[0] for m in sys.modules})]))\n"
        "sys.exit(rc)"
    )
    for argv in (["ingest", "--no-progress"], ["--help"], ["ask", "--help"], ["feedback"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        where, imported = json.loads(done.stdout.strip().splitlines()[-1])
        assert Path(where).is_relative_to(PROJECT_ROOT)  # this checkout's code ran
        assert not set(imported) & set(HEAVY), (argv, sorted(set(imported) & set(HEAVY)))
        if argv[0] == "ingest":
            assert "2 unchanged" in done.stdout
