"""Splitting cleaned text into passages (for retrieval) and sentences (for citation quotes).

Passages pack whole Chinese sentences (ending in 。！？；) of one section up to a target
length, repeating the last sentence(s) of a passage at the start of the next. Each
figure call-out (one regional center) becomes one passage of its own. Every passage and
sentence keeps its character offsets in the cleaned text, and its id is derived from its
content and place, so re-ingesting the same document yields the same ids.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ingest.clean import Block, CleanedText

_SENTENCE_END = re.compile(r"[。！？；!?;][」』）”’)]*|\n")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the cleaned text: the unit a citation quotes.

    Attributes:
        id: Stable id.
        source: Document key.
        section: Section heading.
        text: The sentence (exact substring of the cleaned text).
        start: Offset in the cleaned text.
        end: End offset (exclusive).
        context: Words that say what the sentence is about when it cannot say it itself
            (a call-out's focus line is about the center named above it); embedded and
            matched with the sentence, never quoted.
    """

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    context: str = ""


@dataclass(frozen=True)
class Chunk:
    """A passage: the unit retrieval returns.

    Attributes:
        id: Stable id, derived from source, offset and text.
        source: Document key.
        section: Section heading.
        text: The passage (exact substring of the cleaned text).
        start: Offset in the cleaned text.
        end: End offset (exclusive).
        kind: ``text`` or ``center`` (a figure call-out for one regional center).
        sentence_ids: Ids of the sentences the passage holds, in order.
        meta: Extra fields (``name``, ``city`` for centers).
    """

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    kind: str
    sentence_ids: tuple[str, ...]
    meta: dict[str, str] = field(default_factory=dict)


def stable_id(*parts: object) -> str:
    """A 20-hex-digit id derived from ``parts``."""
    digest = hashlib.sha1("\x00".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:20]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text[start:end]``, whitespace trimmed, empty ones dropped."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, match.end()))
        pos = match.end()
    if pos < end:
        spans.append((pos, end))
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


def _sentences_of(cleaned: CleanedText, source: str, block: Block) -> list[Sentence]:
    out = []
    name = str(block.meta.get("name", "")) if block.kind == "callout" else ""
    roles = {block.meta.get("focus"): "的重點領域：", block.meta.get("mission"): "的任務："}
    for a, b in sentence_spans(cleaned.text, block.start, block.end):
        text = cleaned.text[a:b]
        context = f"{name}{roles.get(text, '：')}" if name and not text.startswith(name) else ""
        out.append(Sentence(stable_id(source, a, text), source, block.section, text, a, b, context))
    return out


def _pack(
    cleaned: CleanedText, source: str, section: str, sentences: list[Sentence], chunk_chars: int, overlap: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= chunk_chars:
            j += 1
        group = sentences[i:j]
        start, end = group[0].start, group[-1].end
        text = cleaned.text[start:end]
        chunks.append(
            Chunk(
                id=stable_id(source, start, text),
                source=source,
                section=section,
                text=text,
                start=start,
                end=end,
                kind="text",
                sentence_ids=tuple(s.id for s in group),
            )
        )
        if j >= len(sentences):
            break
        nxt = max(i + 1, j - overlap)
        # Overlap only when the repeated sentences leave room for new ones.
        i = nxt if sentences[j].end - sentences[nxt].start <= chunk_chars else j
    return chunks


def split_document(
    cleaned: CleanedText, source: str, chunk_chars: int = 200, overlap_sentences: int = 1
) -> tuple[list[Chunk], list[Sentence]]:
    """Passages and sentences of one cleaned document.

    Args:
        cleaned: Output of :func:`ingest.clean.clean_text`.
        source: The document key stored on every passage.
        chunk_chars: Target passage length in characters (a longer single sentence stays whole).
        overlap_sentences: Sentences repeated at the start of the next passage of a section.

    Returns:
        The passages in text order, and every sentence once.
    """
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    section_sentences: list[Sentence] = []
    section = ""

    def flush() -> None:
        if section_sentences:
            chunks.extend(_pack(cleaned, source, section, section_sentences, chunk_chars, overlap_sentences))
            section_sentences.clear()

    for block in cleaned.blocks:
        if block.kind == "heading":
            continue
        if block.section != section:
            flush()
            section = block.section
        block_sentences = _sentences_of(cleaned, source, block)
        sentences.extend(block_sentences)
        if block.kind == "callout":
            text = cleaned.text[block.start : block.end]
            meta = {k: str(v) for k, v in block.meta.items() if k in ("name", "city")}
            chunks.append(
                Chunk(
                    id=stable_id(source, block.start, text),
                    source=source,
                    section=block.section,
                    text=text,
                    start=block.start,
                    end=block.end,
                    kind="center",
                    sentence_ids=tuple(s.id for s in block_sentences),
                    meta=meta,
                )
            )
        else:
            section_sentences.extend(block_sentences)
    flush()
    chunks.sort(key=lambda c: (c.start, c.end))
    return chunks, sentences
