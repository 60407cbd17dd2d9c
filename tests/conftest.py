"""Shared fixtures: the real seed document, fast fake embeddings, isolated settings."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import ScriptedServer

# pytest caches each test module with its assertions rewritten (in __pycache__, git-ignored) unless
# bytecode writing is off; with PYTHONDONTWRITEBYTECODE=1 every run (and every xdist worker)
# rewrote all ~90 test modules again: 7 of the quick tier's 60 s on this machine.
sys.dont_write_bytecode = False
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # prove nothing is fetched from a model hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from core.settings import PROJECT_ROOT, Settings  # noqa: E402

SEED = PROJECT_ROOT / "corpus" / "moea-doit-tech-programs-overview.txt"


@pytest.fixture(scope="session")
def seed_raw() -> str:
    """The raw seed document (a PDF extraction)."""
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cleaned(seed_raw: str) -> str:
    """The seed document's cleaned text (what quotes and offsets refer to)."""
    from ingest.clean import clean_text

    return clean_text(seed_raw).text


@pytest.fixture(scope="module")
def llm_server() -> Iterator[ScriptedServer]:
    """A real OpenAI-compatible chat server on 127.0.0.1 with scripted replies (tests/llm_server.py)."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture()
def server(llm_server: ScriptedServer) -> ScriptedServer:
    """The scripted LLM server, reset for this test (tests/ui has its own ``server``: the kezhuan app)."""
    return llm_server.reset()


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the real corpus folder that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target


@pytest.fixture()
def tmp_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    """Settings whose corpus and data folders live in the test's tmp dir."""
    return Settings.from_env(environ={}, corpus_dir=corpus_copy, data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def fake_embeddings():
    """Deterministic hash embeddings: fast, no model; for tests of mechanics, not meaning."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return DeterministicFakeEmbedding(size=32)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for an index of the real corpus built with the real bundled model."""
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    return Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings):
    """The assistant over the real seed document with the real model (built once per session)."""
    from assistant import Assistant
    from ingest.index import run_ingest

    run_ingest(real_settings, progress=False)
    return Assistant.load(real_settings)
