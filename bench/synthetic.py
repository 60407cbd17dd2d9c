"""A deterministic synthetic Chinese corpus of a chosen number of passages, made from the seed.

The seed document's cleaned sentences are cut into clauses at full-width commas; new sentences
join three to five distinct clauses drawn with a seeded RNG, so the text reads like the seed (same words,
same kinds of numbers and names) while almost every passage is new. Documents are Markdown
(``#`` title, ``##`` sections) of about :data:`PASSAGES_PER_DOC` passages each, so a large corpus
is spread over many files, as a real one would be.

The passage count is the real one: each document is split with kezhuan's own
:func:`ingest.index.prepare_document` as it is generated, and generation stops once the target is
reached (the last document may overshoot by a few passages).

Example:
    >>> info = write_corpus(Path("/tmp/kz-1k/corpus"), passages=1000)  # doctest: +SKIP
    >>> info.passages, info.documents  # doctest: +SKIP
    (1003, 50)
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from core.settings import Settings
from ingest.clean import clean_text
from ingest.index import prepare_document
from ingest.load import list_sources, load_document, read_manifest

#: Bump when the generator changes, so cached corpora are not reused.
GENERATOR_VERSION = 1
#: Passages aimed at per generated document.
PASSAGES_PER_DOC = 20
_CLAUSE_END = re.compile(r"[，、]")
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]")


@dataclass(frozen=True)
class CorpusInfo:
    """What was generated.

    Attributes:
        path: The corpus folder.
        documents: Number of documents written.
        passages: Passages kezhuan's splitter makes of them.
        sentences: Sentences (citation units) it makes of them.
        characters: Characters of text written.
        seed: RNG seed.
    """

    path: Path
    documents: int
    passages: int
    sentences: int
    characters: int
    seed: int

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        out = asdict(self)
        out["path"] = str(self.path)
        return out


def seed_sentences(settings: Settings) -> list[str]:
    """The cleaned sentences of the seed corpus (``settings.corpus_dir``), in order."""
    corpus = settings.corpus_dir
    manifest = read_manifest(corpus)
    sentences: list[str] = []
    for path in list_sources(corpus):
        doc = load_document(path, corpus, manifest)
        cleaned = clean_text(doc.raw, markdown=doc.kind == "md")
        for block in cleaned.blocks:
            if block.kind == "paragraph":
                sentences += [
                    m.group(0).strip() for m in _SENTENCE.finditer(cleaned.text[block.start : block.end])
                ]
    return [s for s in sentences if len(s) >= 8]


def seed_clauses(settings: Settings) -> list[str]:
    """Distinct clauses of the seed's sentences (the generator's vocabulary), in first-seen order."""
    clauses: dict[str, None] = {}
    for sentence in seed_sentences(settings):
        for part in _CLAUSE_END.split(sentence.rstrip("。！？；")):
            part = part.strip()
            if len(part) >= 4:
                clauses.setdefault(part, None)
    return list(clauses)


def seed_headings(settings: Settings) -> list[str]:
    """The seed's section headings (spaces removed), used as section names."""
    corpus = settings.corpus_dir
    manifest = read_manifest(corpus)
    headings: dict[str, None] = {}
    for path in list_sources(corpus):
        doc = load_document(path, corpus, manifest)
        cleaned = clean_text(doc.raw, markdown=doc.kind == "md")
        for block in cleaned.blocks:
            if block.kind == "heading":
                headings.setdefault(cleaned.text[block.start : block.end].replace(" ", ""), None)
    return list(headings) or ["推動概況"]


def _sentence(rng: random.Random, clauses: list[str]) -> str:
    return "，".join(rng.sample(clauses, rng.randint(3, 5))) + "。"


def _document(rng: random.Random, n: int, clauses: list[str], headings: list[str]) -> str:
    lines = [f"# 科技專案示範文件第{n}號", ""]
    for section in range(rng.randint(3, 5)):
        lines += [f"## {rng.choice(headings)}（{section + 1}）", ""]
        for _ in range(rng.randint(2, 4)):
            lines += ["".join(_sentence(rng, clauses) for _ in range(rng.randint(3, 7))), ""]
    return "\n".join(lines)


def write_corpus(dest: Path, passages: int, seed: int = 0, settings: Settings | None = None) -> CorpusInfo:
    """Write a corpus of about ``passages`` passages into ``dest`` (emptied first).

    Args:
        dest: The corpus folder to (re)create.
        passages: Passages wanted (the result has at least this many).
        seed: RNG seed; the same seed and size give byte-identical files.
        settings: Where the seed corpus is and how passages are cut (default: from the environment).

    Returns:
        What was written; also saved as ``dest/../corpus-info.json``.

    Raises:
        ValueError: ``passages`` is not positive.
    """
    if passages <= 0:
        raise ValueError(f"passages must be greater than 0. Currently, passages is {passages}")
    settings = settings or Settings.from_env()
    clauses = seed_clauses(settings)
    headings = seed_headings(settings)
    rng = random.Random(f"kezhuan-bench-{GENERATOR_VERSION}-{seed}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    split_settings = settings.replace(corpus_dir=dest)
    made = sentences = characters = documents = 0
    while made < passages:
        documents += 1
        name = f"doc-{documents:05d}.md"
        text = _document(rng, documents, clauses, headings)
        path = dest / name
        path.write_text(text, encoding="utf-8")
        chunks, sents = prepare_document(load_document(path, dest, {}), split_settings)
        made += len(chunks)
        sentences += len(sents)
        characters += len(text)
    info = CorpusInfo(dest, documents, made, sentences, characters, seed)
    (dest.parent / "corpus-info.json").write_text(json.dumps(info.to_dict(), indent=2), encoding="utf-8")
    return info
