"""The corpus folder without reading documents: which files, their hashes, the manifest.

Kept apart from :mod:`ingest.load` (which parses documents and needs the text tools) so that
deciding whether anything changed (:mod:`ingest.records`) imports nothing but the standard library.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from core.errors import DocumentReadError

log = logging.getLogger(__name__)

#: Word processors' files, read through pandoc (:func:`ingest.load.read_office`): Word's .docx and
#: the OpenDocument .odt that Taiwan's government publishes in (國家發展委員會's ODF policy).
OFFICE_SUFFIXES = (".docx", ".odt")
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", *OFFICE_SUFFIXES)
#: Documents found in the corpus folder that are not read, and what to do instead: they are named
#: in the log, never skipped silently.
UNREAD_SUFFIXES = {
    ".doc": "save it as .docx, .odt or PDF",
    ".rtf": "save it as .docx, .odt or PDF",
    ".wpd": "save it as .docx, .odt or PDF",
    ".ppt": "save it as PDF",
    ".pptx": "save it as PDF",
    ".odp": "save it as PDF",
    ".xls": "save its tables as .html, .md or PDF",
    ".xlsx": "save its tables as .html, .md or PDF",
    ".ods": "save its tables as .html, .md or PDF",
    ".csv": "save it as a Markdown table (.md)",
}
MANIFEST_NAME = "manifest.json"


def read_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """The ``documents`` table of ``corpus/manifest.json`` (empty when there is none).

    Raises:
        DocumentReadError: the manifest exists but is not valid JSON of the right shape.
    """
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        documents = data.get("documents", {})
        if not isinstance(documents, dict):
            raise ValueError("'documents' must be an object keyed by file name")
        return {str(k): dict(v) for k, v in documents.items()}
    except (ValueError, AttributeError, TypeError) as e:
        raise DocumentReadError(
            f"{path}: the corpus manifest is not valid ({e}). Fix the JSON or delete the file."
        ) from e


def list_sources(corpus_dir: Path) -> list[Path]:
    """Supported files under ``corpus_dir`` (recursively, sorted; hidden files skipped)."""
    if not corpus_dir.is_dir():
        raise DocumentReadError(
            f"Corpus folder {corpus_dir} does not exist. Create it and put .txt, .md, .html, .pdf, .docx or .odt files "
            "in it, or set KEZHUAN_CORPUS_DIR."
        )
    root = corpus_dir.resolve()
    paths = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in UNREAD_SUFFIXES:
            log.warning(
                "Not read: %s (%s files are not read; %s).",
                path,
                path.suffix,
                UNREAD_SUFFIXES[path.suffix.lower()],
            )
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if not path.resolve().is_relative_to(root):
            log.warning("Skipping %s: it links outside the corpus folder %s", path, root)
            continue
        paths.append(path)
    return paths


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry_hash(entry: dict[str, str] | None) -> str:
    """Hex SHA-256 of a manifest entry ("" for none): a changed title or publisher means re-ingest."""
    if not entry:
        return ""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
