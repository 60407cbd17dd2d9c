"""Crash safety of ingest under SIGKILL, and clear errors for a broken data folder.

An ingest subprocess (fake embeddings) is killed at chosen points, round after round,
while documents are added, changed and deleted between rounds. The child counts its writes
to Chroma and, after the N-th, says so and waits; the test kills it then, so every round
dies at the same place on any machine. After every kill a fresh process reads the index and
the test checks the invariant of :mod:`ingest.index`: every committed document is served
from exactly the passages of its committed version, and nothing else is live; and that the
unchanged-ingest check (:func:`ingest.records.unchanged_ingest`, from the commit manifest)
never calls an index "unchanged" that is not exactly the corpus on disk with nothing to sweep.
A normal ingest then repairs everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.errors import DiskFullError, IndexMissingError, IndexUnreadableError, KezhuanError
from core.settings import PROJECT_ROOT, Settings
from ingest.index import IndexStore, open_index, prepare_document, record_id, run_ingest
from ingest.load import SourceDocument
from ingest.records import commit_manifest_path, unchanged_ingest

pytestmark = pytest.mark.integration


def forget_embedded_client(path: Path) -> None:
    """Drop chromadb's cached clients, so a folder is opened anew, as a new process would."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


SEED = 20240611
#: The write after which each round's ingest is killed. An ingest writes sentences, then
#: passages, then the commit records, then deletes what the commit replaced (a deleting
#: round first takes documents out of the commit records): 1, 2 and 3 kill it before the
#: passages, before the commit and before the sweep (3 also between the commit and the commit
#: manifest written right after it).
KILL_AFTER_WRITES = (1, 2, 3, 2, 3)
ROUNDS = len(KILL_AFTER_WRITES)
#: Extra generated documents, so the index holds many documents of several versions.
EXTRA_DOCS = 24

#: Ingest with every Chroma write counted (chromadb's public Collection methods): after write
#: number argv[3] the child says so and blocks until it is killed.
_INGEST = """
import sys
from pathlib import Path
from chromadb.api.models.Collection import Collection
from langchain_core.embeddings import DeterministicFakeEmbedding
from ingest.index import run_ingest
from core.settings import Settings
settings = Settings.from_env(environ={}, corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
kill_after = int(sys.argv[3])
writes = 0
def counted(method):
    def write(self, *args, **kwargs):
        global writes
        result = method(self, *args, **kwargs)
        writes += 1
        if writes == kill_after:
            print(f"wrote {writes}", flush=True)
            sys.stdin.readline()  # wait here for SIGKILL
        return result
    return write
for name in ("add", "upsert", "update", "delete"):
    setattr(Collection, name, counted(getattr(Collection, name)))
run_ingest(settings, embeddings=DeterministicFakeEmbedding(size=32), progress=False)
print(f"done after {writes} writes", flush=True)
"""

#: Reads the index as a new process would: commit records, then every stored record.
_INSPECT = """
import json, sys
from pathlib import Path
from langchain_core.embeddings import DeterministicFakeEmbedding
from assistant.retrieve import Retriever
from ingest.index import IndexStore
from core.settings import Settings
settings = Settings.from_env(environ={}, corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
fake = DeterministicFakeEmbedding(size=32)
store = IndexStore(settings, fake)
out = {"committed": {s: r.sha256 for s, r in store.committed().items()}}
for name in ("passages", "sentences"):
    got = getattr(store, name).get(include=["metadatas"])
    out[name] = [[i, m.get("source"), m.get("doc_sha")] for i, m in zip(got["ids"], got["metadatas"])]
out["retriever"] = Retriever(store, fake, settings)._current().ids if out["committed"] else []
print(json.dumps(out))
"""

_SUBJECTS = ["智慧機械", "半導體", "生醫材料", "綠能科技", "資訊安全", "精密農業", "航太零組件", "循環經濟"]
_UNITS = ["工研院", "資策會", "金屬中心", "紡織所", "食品所", "船舶中心", "自行車中心", "精密機械中心"]
_GOALS = ["提升產業附加價值", "協助中小企業轉型", "培育跨領域人才", "促成技術移轉", "建立國際合作"]


def chinese_document(rng: random.Random, n: int, version: int) -> str:
    """A generated Traditional Chinese markdown document (about 1,500 characters)."""
    lines = [f"# 第{n}號示範計畫（第{version}版）", ""]
    for section in range(3):
        lines += [f"## 第{section + 1}節", ""]
        sentences = [
            f"第{n}號計畫第{section + 1}節第{k + 1}點由{rng.choice(_UNITS)}執行，聚焦{rng.choice(_SUBJECTS)}，"
            f"目標是{rng.choice(_GOALS)}，預計投入{rng.randint(1, 900)}人月。"
            for k in range(8)
        ]
        lines += ["".join(sentences), ""]
    return "\n".join(lines)


@dataclass
class Corpus:
    """The test corpus folder and every version of every document ever written to it."""

    root: Path
    rng: random.Random
    versions: dict[str, bytes] = field(default_factory=dict)  # sha256 -> file bytes
    counter: int = 0

    def write(self, name: str, text: str) -> None:
        data = text.encode("utf-8")
        (self.root / name).write_bytes(data)
        self.versions[hashlib.sha256(data).hexdigest()] = data

    def add(self) -> str:
        self.counter += 1
        name = f"extra-{self.counter:03d}.md"
        self.write(name, chinese_document(self.rng, self.counter, 1))
        return name

    def extras(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("extra-*.md"))

    def on_disk(self) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in self.root.iterdir()
            if p.suffix in (".md", ".txt")
        }

    def mutate(self, round_no: int) -> str:
        """Add, modify or delete documents, in turn."""
        kind = ("add", "modify", "delete")[round_no % 3]
        if kind == "add":
            for _ in range(3):
                self.add()
        elif kind == "modify":
            for name in self.rng.sample(self.extras(), 4):
                self.write(name, chinese_document(self.rng, int(name[6:9]), round_no + 2))
        else:
            for name in self.rng.sample(self.extras(), 3):
                (self.root / name).unlink()
        return kind


def expected_ids(source: str, sha256: str, data: bytes, settings: Settings) -> tuple[set[str], set[str]]:
    """Passage and sentence ids the committed version of ``source`` must have."""
    doc = SourceDocument(
        source=source,
        raw=data.decode("utf-8-sig"),
        sha256=sha256,
        title="",
        kind=Path(source).suffix.lstrip("."),
    )
    chunks, sentences = prepare_document(doc, settings)
    return {record_id(doc, c.id) for c in chunks}, {record_id(doc, s.id) for s in sentences}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ANONYMIZED_TELEMETRY": "False"}


def inspect_index(settings: Settings) -> dict[str, Any]:
    """The index as seen by a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _INSPECT, str(settings.corpus_dir), str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_invariant(
    index: dict[str, Any], corpus: Corpus, settings: Settings, allowed: dict[str, set[str]]
) -> int:
    """Assert that exactly the committed versions are live; return the live passage count."""
    live_expected: set[str] = set()
    for source, sha in index["committed"].items():
        assert sha in allowed.get(source, set()), f"{source} committed at an unexpected version {sha[:8]}"
        want_passages, want_sentences = expected_ids(source, sha, corpus.versions[sha], settings)
        for name, want in (("passages", want_passages), ("sentences", want_sentences)):
            live = [i for i, s, d in index[name] if s == source and d == sha[:16]]
            assert len(live) == len(set(live)), f"duplicate live {name} of {source}"
            assert set(live) == want, (
                f"{source}@{sha[:8]}: {len(want - set(live))} {name} missing, {len(set(live) - want)} foreign"
            )
        live_expected |= want_passages
    served = index["retriever"]
    assert len(served) == len(set(served)) and set(served) == live_expected, (
        "the retriever serves other passages"
    )
    return len(live_expected)


def check_unchanged_verdict(index: dict[str, Any], corpus: Corpus, settings: Settings, live: int) -> bool:
    """Assert that the unchanged-ingest check says "unchanged" only of an index that is: exactly
    the corpus on disk committed, and no stored passage or sentence left for a sweep. Returns its verdict."""
    unchanged = unchanged_ingest(settings.replace(retrieval_cache=False)) is not None  # no snapshot here
    if unchanged:
        assert index["committed"] == corpus.on_disk(), "called unchanged, but the index holds other versions"
        assert len(index["passages"]) == live, "called unchanged, but passages are left for a sweep"
    return unchanged


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The child's next stdout line, waiting at most ``timeout`` seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        pytest.fail(f"the ingest subprocess said nothing within {timeout} s")
    return process.stdout.readline().strip()


def _versions(sources: dict[str, str]) -> dict[str, set[str]]:
    return {s: {sha} for s, sha in sources.items()}


@pytest.mark.slow
def test_sigkill_at_chosen_writes_never_breaks_the_index(tmp_settings: Settings) -> None:
    rng = random.Random(SEED)
    corpus = Corpus(tmp_settings.corpus_dir, rng)
    seed_file = next(tmp_settings.corpus_dir.glob("*.txt"))
    corpus.versions[hashlib.sha256(seed_file.read_bytes()).hexdigest()] = seed_file.read_bytes()
    for _ in range(EXTRA_DOCS):
        corpus.add()

    killed = 0
    committed_before: dict[str, str] = {}
    for round_no, kill_after in enumerate(KILL_AFTER_WRITES):
        kind = corpus.mutate(round_no) if round_no else "first ingest"
        on_disk = corpus.on_disk()
        # A document may be committed at its previous version or at its version on disk.
        allowed = _versions(committed_before)
        for source, sha in on_disk.items():
            allowed.setdefault(source, set()).add(sha)

        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _INGEST,
                str(tmp_settings.corpus_dir),
                str(tmp_settings.data_dir),
                str(kill_after),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            cwd=PROJECT_ROOT,
        )
        said = _read_line(process, timeout=120)
        if said == f"wrote {kill_after}".encode():
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=60)
        if process.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"ingest failed on its own: {process.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]

        index = inspect_index(tmp_settings)
        live = check_invariant(index, corpus, tmp_settings, allowed)
        check_unchanged_verdict(index, corpus, tmp_settings, live)
        committed_before = dict(index["committed"])
        print(
            f"\nround {round_no + 1} ({kind}): "
            + (f"killed after write {kill_after}" if process.returncode else said.decode())
            + f"; {len(committed_before)} committed, {live} live passages, {len(index['passages'])} stored"
        )

    # Every round writes at least three times, so each is killed where it was meant to be.
    assert killed == ROUNDS, f"only {killed} of {ROUNDS} ingests reached their kill point"

    report = run_ingest(tmp_settings, progress=False, embeddings=_fake())
    index = inspect_index(tmp_settings)
    assert index["committed"] == corpus.on_disk()
    live = check_invariant(index, corpus, tmp_settings, _versions(corpus.on_disk()))
    want = sum(
        len(expected_ids(s, sha, corpus.versions[sha], tmp_settings)[0])
        for s, sha in corpus.on_disk().items()
    )
    assert live == want
    assert len(index["passages"]) == live, "stored passages left over after the sweep"
    assert len(index["sentences"]) == sum(
        len(expected_ids(s, sha, corpus.versions[sha], tmp_settings)[1])
        for s, sha in corpus.on_disk().items()
    )
    print(
        f"\n{killed} of {ROUNDS} rounds killed mid-ingest; repair: {report.summary()} ({live} live passages)"
    )


def _ingest_killed_after(settings: Settings, writes: int) -> bool:
    """Run an ingest subprocess killed after its ``writes``-th write to Chroma; True if it was."""
    process = subprocess.Popen(
        [sys.executable, "-c", _INGEST, str(settings.corpus_dir), str(settings.data_dir), str(writes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=PROJECT_ROOT,
    )
    killed = _read_line(process, timeout=120) == f"wrote {writes}".encode()
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    if process.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"ingest failed on its own: {process.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
    return killed


@pytest.mark.slow
def test_a_kill_between_the_commit_and_its_manifest_is_never_taken_for_unchanged(
    tmp_settings: Settings,
) -> None:
    """An edit is committed to Chroma, the ingest dies before the commit manifest is written, and
    the file is then put back as it was: the manifest of the ingest before matches the corpus
    again, but the index holds the edit. Only the full ingest may decide."""
    settings = tmp_settings.replace(retrieval_cache=False)
    corpus = Corpus(settings.corpus_dir, random.Random(SEED + 2))
    for seed_file in settings.corpus_dir.glob("*.txt"):
        corpus.versions[hashlib.sha256(seed_file.read_bytes()).hexdigest()] = seed_file.read_bytes()
    name = corpus.add()
    assert not _ingest_killed_after(settings, 1000)  # a whole ingest: the manifest is written
    assert unchanged_ingest(settings) is not None
    before = (settings.corpus_dir / name).read_bytes()
    corpus.write(name, chinese_document(corpus.rng, 1, 2))
    # Sentences, passages, then the commit (write 3): killed right after it.
    assert _ingest_killed_after(settings, 3)
    index = inspect_index(settings)
    assert index["committed"][name] == corpus.on_disk()[name], "the edit was not committed before the kill"
    assert not commit_manifest_path(settings).exists()
    assert not list(settings.data_dir.glob(".commits-*"))  # no half-written manifest either
    (settings.corpus_dir / name).write_bytes(before)
    assert unchanged_ingest(settings) is None
    report = run_ingest(settings, progress=False, embeddings=_fake())
    assert report.updated == [name] and report.swept > 0
    assert unchanged_ingest(settings) is not None
    index = inspect_index(settings)
    live = check_invariant(index, corpus, settings, _versions(corpus.on_disk()))
    assert check_unchanged_verdict(index, corpus, settings, live)


def _fake() -> Any:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return DeterministicFakeEmbedding(size=32)


def _corrupt_sqlite(settings: Settings) -> None:
    (settings.chroma_dir / "chroma.sqlite3").write_bytes(b"this is not a database\x00" * 512)


def test_corrupt_database_gives_a_clear_error_and_rebuild_repairs_it(
    tmp_settings: Settings, fake_embeddings: Any
) -> None:
    first = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    _corrupt_sqlite(tmp_settings)
    with pytest.raises(IndexMissingError, match="kezhuan ingest") as opening:
        open_index(tmp_settings, fake_embeddings)
    assert str(tmp_settings.chroma_dir) in str(opening.value)
    with pytest.raises(KezhuanError, match="kezhuan ingest"):
        run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)

    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False, rebuild=True)
    assert report.added == first.added and report.passages == first.passages
    store = open_index(tmp_settings, fake_embeddings)
    assert store.count() == first.passages


def test_deleted_data_folder_says_run_ingest_and_ingest_rebuilds(
    tmp_settings: Settings, fake_embeddings: Any
) -> None:
    import shutil

    first = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    shutil.rmtree(tmp_settings.data_dir)
    with pytest.raises(IndexMissingError, match="kezhuan ingest"):
        open_index(tmp_settings, fake_embeddings)
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.added == first.added
    assert IndexStore(tmp_settings, fake_embeddings).count() == first.passages


# --------------------------------------------------------------------------- rebuild beside, then switch

_REBUILD = """
import sys, time
from pathlib import Path
from langchain_core.embeddings import DeterministicFakeEmbedding
from ingest.index import run_ingest
from core.settings import Settings

class SlowFake(DeterministicFakeEmbedding):
    # About as slow per text as the real model on this machine, so a kill lands mid-embedding.
    def embed_documents(self, texts):
        print("embedding", flush=True)
        time.sleep(0.004 * len(texts))
        return super().embed_documents(texts)

settings = Settings.from_env(environ={}, corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
print("started", flush=True)
run_ingest(settings, embeddings=SlowFake(size=32), progress=False, rebuild=True)
print("done", flush=True)
"""


def segment_folders(settings: Settings) -> list[str]:
    """The vector-index folders Chroma keeps in the embedded store (one per live collection)."""
    return sorted(p.name for p in settings.chroma_dir.iterdir() if p.is_dir())


@pytest.mark.slow
def test_a_killed_rebuild_leaves_the_old_index_answering(tmp_settings: Settings) -> None:
    """The issue's probe: `ingest --rebuild` killed at 1.5 s or mid-embedding left 0 passages."""
    rng = random.Random(SEED + 1)
    corpus = Corpus(tmp_settings.corpus_dir, rng)
    for _ in range(EXTRA_DOCS):
        corpus.add()
    seed_file = next(tmp_settings.corpus_dir.glob("*.txt"))
    corpus.versions[hashlib.sha256(seed_file.read_bytes()).hexdigest()] = seed_file.read_bytes()
    run_ingest(tmp_settings, progress=False, embeddings=_fake())
    before = inspect_index(tmp_settings)
    live_before = check_invariant(before, corpus, tmp_settings, _versions(corpus.on_disk()))
    assert live_before > 200

    # Kill points: right at the start, 1.5 s in, and at random points of the embedding phase.
    plans = [("started", 0.0), ("started", 1.5)] + [("embedding", rng.uniform(0.0, 1.2)) for _ in range(3)]
    killed = []
    for wait_for, delay in plans:
        process = subprocess.Popen(
            [sys.executable, "-c", _REBUILD, str(tmp_settings.corpus_dir), str(tmp_settings.data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            cwd=PROJECT_ROOT,
        )
        line = _read_line(process, timeout=60)
        while line not in (wait_for.encode(), b"done"):
            line = _read_line(process, timeout=60)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed.append(f"{wait_for}+{delay:.2f}s")
        process.wait(timeout=60)
        after = inspect_index(tmp_settings)
        assert after["committed"] == before["committed"], "the old index is no longer the live one"
        assert check_invariant(after, corpus, tmp_settings, _versions(corpus.on_disk())) == live_before
        assert sorted(after["retriever"]) == sorted(before["retriever"]), "answers now come from elsewhere"
    assert len(killed) >= 4, f"only {len(killed)} rebuilds were killed before they finished: {killed}"
    print(f"\nrebuilds killed at {', '.join(killed)}: the old index answered after each")

    # A finished rebuild switches to its generation and drops every other (killed ones included).
    report = run_ingest(tmp_settings, progress=False, embeddings=_fake(), rebuild=True)
    assert report.passages == live_before
    after = inspect_index(tmp_settings)
    assert check_invariant(after, corpus, tmp_settings, _versions(corpus.on_disk())) == live_before
    assert len(after["passages"]) == live_before, "records of unfinished generations are left over"


@pytest.mark.slow
def test_rebuilds_sweep_the_folders_of_the_collections_they_replace(
    tmp_settings: Settings, fake_embeddings: Any
) -> None:
    """Chroma leaves a dropped collection's folder on disk: three more per rebuild, before the sweep."""
    run_ingest(tmp_settings, progress=False, embeddings=fake_embeddings)
    first = segment_folders(tmp_settings)
    assert len(first) == 3
    for _ in range(3):
        run_ingest(tmp_settings, progress=False, embeddings=fake_embeddings, rebuild=True)
        now = segment_folders(tmp_settings)
        assert len(now) == 3 and not set(now) & set(first), now
        first = now
    collections = sorted(c.name for c in IndexStore(tmp_settings, fake_embeddings).client.list_collections())
    assert len(collections) == 4 and "kezhuan_live" in collections, collections
    assert open_index(tmp_settings, fake_embeddings).count() > 0


def test_no_folder_is_swept_when_another_index_shares_the_chroma_folder(
    tmp_settings: Settings, fake_embeddings: Any
) -> None:
    """Folders cannot be told apart by the public API: with another index's collections beside
    ours, a rebuild keeps every folder rather than risk deleting the other index's."""
    other = tmp_settings.replace(collection="other")
    run_ingest(other, progress=False, embeddings=fake_embeddings)
    run_ingest(tmp_settings, progress=False, embeddings=fake_embeddings)
    first = set(segment_folders(tmp_settings))
    run_ingest(tmp_settings, progress=False, embeddings=fake_embeddings, rebuild=True)
    assert first <= set(segment_folders(tmp_settings))  # nothing deleted, the other index's included
    assert open_index(other, fake_embeddings).count() > 0


# --------------------------------------------------------------------------- a full disk


@pytest.fixture()
def small_disk(tmp_path: Path) -> Any:
    """A real 8 MB filesystem (tmpfs) that the test can fill up; needs root to mount it."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (a real full disk)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], check=False
    )
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount_point
    finally:
        forget_embedded_client(mount_point / "data" / "chroma")
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk with one file, then give back ``leave`` bytes."""
    filler = disk / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    for size in (1 << 16, 1 << 12, 1 << 9, 1):
        with contextlib.suppress(OSError):
            while True:
                os.write(handle, b"\0" * size)
    os.close(handle)
    if leave:
        os.truncate(filler, os.path.getsize(filler) - leave)
    return filler


@pytest.mark.slow
def test_a_full_disk_is_reported_as_such_and_nothing_is_deleted(
    small_disk: Path, fake_embeddings: Any
) -> None:
    """The issue's probe: a full disk was called a corrupt index, and `--rebuild` then deleted it."""
    shutil.copytree(PROJECT_ROOT / "corpus", small_disk / "corpus")
    settings = Settings.from_env(environ={}, corpus_dir=small_disk / "corpus", data_dir=small_disk / "data")
    passages = run_ingest(settings, embeddings=fake_embeddings, progress=False).passages
    folders = segment_folders(settings)

    # Nearly full: the rebuild runs out of space part-way and gives its own space back.
    filler = fill(small_disk, leave=300_000)
    forget_embedded_client(settings.chroma_dir)
    with pytest.raises(DiskFullError) as rebuilding:
        run_ingest(settings, embeddings=fake_embeddings, progress=False, rebuild=True)
    assert len(segment_folders(settings)) == len(folders), "the unfinished generation was left on disk"
    filler.unlink()
    # Read by a new process, as a restarted server would (this one's Chroma saw the full disk).
    index = inspect_index(settings)
    assert len(index["retriever"]) == passages, "the old index no longer answers"

    # Quite full: even opening the index fails, and says why.
    database = settings.chroma_dir / "chroma.sqlite3"
    stored = hashlib.sha256(database.read_bytes()).hexdigest()
    filler = fill(small_disk)
    forget_embedded_client(settings.chroma_dir)
    with pytest.raises(DiskFullError) as opening:
        open_index(settings, fake_embeddings)
    with pytest.raises(DiskFullError):
        run_ingest(settings, embeddings=fake_embeddings, progress=False, rebuild=True)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == stored, "the only copy was touched"
    for error in (rebuilding.value, opening.value):
        message = str(error)
        assert "is full" in message and "Nothing was deleted" in message and "KEZHUAN_DATA_DIR" in message
        assert "--rebuild" not in message and "delete it" not in message.lower()

    filler.unlink()
    assert len(inspect_index(settings)["retriever"]) == passages
    print(f"\nfull disk: {type(opening.value).__name__}: {opening.value}")


def test_a_garbage_database_is_named_as_such_on_every_attempt(
    tmp_settings: Settings, fake_embeddings: Any
) -> None:
    """The issue's probe: a restart on a garbage chroma.sqlite3 named a secondary AttributeError.

    ``kezhuan serve`` tried to build the index over it and Chroma, half-started by the first
    attempt, then failed with ``'RustBindingsAPI' object has no attribute 'bindings'``.
    """
    from ui.server import load_assistant

    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    _corrupt_sqlite(tmp_settings)
    for _ in range(3):
        with pytest.raises(IndexUnreadableError) as attempt:
            load_assistant(tmp_settings)
        message = str(attempt.value)
        assert "not a database" in message and "AttributeError" not in message
        assert "kezhuan ingest --rebuild" in message and "folder aside" in message


def test_rebuilding_an_unreadable_folder_sets_it_aside(tmp_settings: Settings, fake_embeddings: Any) -> None:
    first = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    _corrupt_sqlite(tmp_settings)
    garbage = (tmp_settings.chroma_dir / "chroma.sqlite3").read_bytes()
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False, rebuild=True)
    assert report.passages == first.passages
    assert open_index(tmp_settings, fake_embeddings).count() == first.passages
    aside = list(tmp_settings.data_dir.glob("chroma.unreadable-*"))
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").read_bytes() == garbage, (
        "the old copy was deleted"
    )
    assert not list(tmp_settings.data_dir.glob("chroma.rebuild*"))
