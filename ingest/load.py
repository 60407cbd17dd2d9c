"""Loading source documents (``.txt``, ``.md``, ``.pdf``) and the corpus manifest."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import DocumentReadError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class SourceDocument:
    """A document read from the corpus folder.

    Attributes:
        source: Path relative to the corpus folder, with ``/`` separators (the document's key).
        raw: The text as extracted (PDF pages joined by a form feed and newline).
        sha256: Hash of the file's bytes: a changed hash means a changed document.
        title: Title from the manifest, else the file stem.
        kind: ``txt``, ``md`` or ``pdf``.
        meta: The manifest entry (publisher, language, original file name, ...).
    """

    source: str
    raw: str
    sha256: str
    title: str
    kind: str
    meta: dict[str, str] = field(default_factory=dict)


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
            f"Corpus folder {corpus_dir} does not exist. Create it and put .txt, .md or .pdf files "
            "in it, or set KEZHUAN_CORPUS_DIR."
        )
    root = corpus_dir.resolve()
    paths = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
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


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as e:  # pragma: no cover - pypdf is a core dependency
        raise DocumentReadError(f"{path}: reading PDFs needs pypdf: pip install pypdf") from e
    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise DocumentReadError(f"{path}: the PDF is encrypted; save an unencrypted copy into the corpus.")
    pages = [page.extract_text() or "" for page in reader.pages]
    if not any(p.strip() for p in pages):
        raise DocumentReadError(
            f"{path}: the PDF has no extractable text (a scan?). OCR it first, or add a .txt version."
        )
    return "\n\f".join(pages)


def load_document(
    path: Path, corpus_dir: Path, manifest: dict[str, dict[str, str]] | None = None
) -> SourceDocument:
    """Read one document.

    Raises:
        DocumentReadError: the file cannot be read or decoded; the message names the file.
    """
    rel = path.relative_to(corpus_dir).as_posix()
    kind = path.suffix.lower().lstrip(".")
    try:
        if kind == "pdf":
            raw = _read_pdf(path)
        else:
            raw = path.read_bytes().decode("utf-8-sig")
    except DocumentReadError:
        raise
    except UnicodeDecodeError as e:
        raise DocumentReadError(
            f"{path}: not UTF-8 text ({e.reason} at byte {e.start}). Save it as UTF-8."
        ) from e
    except Exception as e:  # pypdf raises many types for broken files
        raise DocumentReadError(f"{path}: cannot be read ({type(e).__name__}: {e}).") from e
    if not raw.strip():
        raise DocumentReadError(f"{path}: the document is empty.")
    entry = (manifest or {}).get(rel, {})
    return SourceDocument(
        source=rel,
        raw=raw,
        sha256=file_sha256(path),
        title=entry.get("title", path.stem),
        kind=kind,
        meta=entry,
    )
