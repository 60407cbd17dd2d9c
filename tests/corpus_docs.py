"""The evaluation corpora's documents, read once per test process.

Reading the multi corpus's 74-page PDF guide takes 10-40 s; several test files check what it
reads into (its layout, its contents page, that nothing is lost, the gold quotes). They share
one reading through :func:`corpus_document`. A test must not change what it returns.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ingest.load import SourceDocument, load_document, read_manifest


@functools.cache
def corpus_document(path: Path) -> SourceDocument:
    """``load_document`` of a corpus file with its folder's manifest and the default settings."""
    folder = path.parent
    return load_document(path, folder, read_manifest(folder))
