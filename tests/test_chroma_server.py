"""A real Chroma server (``chroma run``) behind kezhuan: ingest, outage, restart, two workers.

The server runs as a subprocess on a free 127.0.0.1 port. Every wait is bounded, so a
dead server makes the tests fail with a message, never hang.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from assistant.retrieve import Retriever
from core.errors import IndexMissingError, KezhuanError
from core.settings import Settings
from ingest.index import IndexStore, open_index, run_ingest

pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).with_name("chroma")
PARK = "南臺灣創新園區"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """``chroma run`` on 127.0.0.1 as a subprocess that can be killed and restarted.

    Args:
        path: The server's data folder.
        port: The TCP port (kept across restarts).
        log: File that receives the server's output.
    """

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path = path
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Start the server and wait for its heartbeat; returns the seconds it took."""
        t0 = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(CHROMA),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
                start_new_session=True,
            )
        while time.monotonic() - t0 < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chroma run exited with {self.process.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run gave no heartbeat on {self.url} within {timeout} s")

    def stop(self) -> None:
        """Kill the server (SIGKILL: an outage, not a clean shutdown) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None


def bounded(call: Callable[[], T], seconds: float = 30.0) -> T:
    """Run ``call`` in a thread and fail the test if it takes longer than ``seconds``."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"{call} did not return within {seconds} s (a hang)")
    finally:
        pool.shutdown(wait=False)


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.skip(f"no chroma executable at {CHROMA}")
    server = ChromaServer(tmp_path / "chroma-server", _free_port(), tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def server_settings(tmp_settings: Settings, chroma_server: ChromaServer) -> Settings:
    return tmp_settings.replace(chroma_host="127.0.0.1", chroma_port=chroma_server.port)


def _park_hits(retriever: Retriever) -> list[str]:
    return [p.text for p in retriever.search(PARK, k=3, mode="bm25")]


def test_ingest_outage_and_restart_on_a_real_server(
    server_settings: Settings, chroma_server: ChromaServer, fake_embeddings: Any
) -> None:
    report = bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))
    assert report.added and report.passages > 30
    assert not (server_settings.chroma_dir).exists(), "a server index must not write an embedded one"

    store = bounded(lambda: open_index(server_settings, fake_embeddings))
    retriever = Retriever(store, fake_embeddings, server_settings)
    assert retriever.size == report.passages
    hits = _park_hits(retriever)
    assert hits and PARK in hits[0]

    chroma_server.stop()
    with pytest.raises(IndexMissingError, match="chroma run") as opening:
        bounded(lambda: open_index(server_settings, fake_embeddings))
    assert f"127.0.0.1:{chroma_server.port}" in str(opening.value)
    with pytest.raises(KezhuanError):
        bounded(lambda: retriever.refresh(force=True))
    with pytest.raises(KezhuanError):
        bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))

    outage_ended = time.monotonic()
    chroma_server.start()
    store = bounded(lambda: open_index(server_settings, fake_embeddings))
    retriever = Retriever(store, fake_embeddings, server_settings)
    recovery = time.monotonic() - outage_ended
    assert retriever.size == report.passages, "the restarted server lost passages"
    assert PARK in _park_hits(retriever)[0]
    again = bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))
    assert not again.changed
    print(f"\nchroma server restart -> queries answered again after {recovery:.2f} s")


def test_two_workers_on_one_server_see_a_reingest_after_refresh(
    server_settings: Settings, fake_embeddings: Any
) -> None:
    bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))
    writer = Retriever(open_index(server_settings, fake_embeddings), fake_embeddings, server_settings)
    reader = Retriever(open_index(server_settings, fake_embeddings), fake_embeddings, server_settings)
    assert writer.store.client is not reader.store.client
    assert _park_hits(writer) == _park_hits(reader)

    seed = next(server_settings.corpus_dir.glob("*.txt"))
    text = seed.read_text(encoding="utf-8")
    assert PARK in text
    seed.write_text(text.replace(PARK, "北臺灣試驗園區"), encoding="utf-8")
    report = bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))
    assert report.updated == [seed.name]

    assert writer.refresh() and reader.refresh()
    for worker in (writer, reader):
        texts = [worker.passage(pid).text for pid in worker._current().ids]
        assert any("北臺灣試驗園區" in t for t in texts)
        assert not any(PARK in t for t in texts)
        assert len(texts) == len(set(worker._current().ids))
    assert IndexStore(server_settings, fake_embeddings).count() == writer.size  # old version swept


def test_an_empty_server_says_run_ingest(server_settings: Settings) -> None:
    with pytest.raises(IndexMissingError, match="kezhuan ingest"):
        bounded(lambda: open_index(server_settings))
    assert not server_settings.chroma_dir.exists(), "server settings must never fall back to a local folder"


def test_dense_search_during_an_outage_is_a_kezhuan_error(
    server_settings: Settings, chroma_server: ChromaServer, fake_embeddings: Any
) -> None:
    bounded(lambda: run_ingest(server_settings, embeddings=fake_embeddings, progress=False))
    retriever = Retriever(open_index(server_settings, fake_embeddings), fake_embeddings, server_settings)
    chroma_server.stop()
    with pytest.raises(KezhuanError):
        bounded(lambda: retriever.search(PARK, k=3, mode="dense"), seconds=20)
