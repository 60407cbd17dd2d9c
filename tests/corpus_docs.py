"""The evaluation corpora's documents, read once per test process.

Reading the multi corpus's 74-page PDF guide takes 10-40 s; several test files check what it
reads into (its layout, its contents page, that nothing is lost, the gold quotes). They share
one reading through :func:`corpus_document`. A test must not change what it returns.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings
from ingest.load import SourceDocument, load_document, read_manifest

#: The two real regulations of the multi corpus kept as test data (both have 第4條 and 第10條).
RESULTS = "moea-rd-results-regulation.txt"
SUBSIDY = "moea-research-institute-subsidy-regulation.txt"


@functools.cache
def corpus_document(path: Path) -> SourceDocument:
    """``load_document`` of a corpus file with its folder's manifest and the default settings."""
    folder = path.parent
    return load_document(path, folder, read_manifest(folder))


def laws_corpus(root: Path) -> Settings:
    """The seed and both regulations under ``root``, with the multi corpus's manifest entries
    (titles), ingested with fake vectors (``DeterministicFakeEmbedding(size=32)``)."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from ingest.index import run_ingest

    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    for name in (RESULTS, SUBSIDY):
        shutil.copy(Path(__file__).parent / "data" / name, corpus / name)
    multi = PROJECT_ROOT / "evals" / "corpora" / "multi" / "manifest.json"
    entries = json.loads(multi.read_text(encoding="utf-8"))["documents"]
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].update({name: entries[name] for name in (RESULTS, SUBSIDY)})
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data")
    assert not run_ingest(settings, embeddings=DeterministicFakeEmbedding(size=32), progress=False).failed
    return settings
