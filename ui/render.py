"""Turn a :class:`~assistant.reply.Reply` into safe HTML for the chat page.

Every piece of question, answer and document text goes through :func:`html.escape`
before it is placed in markup we build ourselves, and the chat page renders these
strings as HTML without a markdown pass, so a document holding ``<script>`` or
``[link](javascript:...)`` is shown as plain text.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Sequence
from typing import Any

from assistant.reply import ANSWER_MARKER, Citation, Reply

#: Marker pattern in answers: ``[1]``, ``[12]``.
MARKER = ANSWER_MARKER
#: Sentence ends used to find a quote that is not one contiguous substring of its passage.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")

REFUSAL_ICON = "ℹ️"
SOURCES_LABEL = "來源"
#: Shown at once while the documents are searched, before any text of the answer exists.
SEARCHING_LABEL = "正在搜尋文件…"
#: A sentence of an answer: up to a sentence end and the ``[n]`` markers right after it, or a line.
_SENTENCE = re.compile(r".*?(?:[。！？!?]+(?:\[\d{1,3}\])*|\n|$)", re.S)


def new_reply_id() -> str:
    """A short random id that keeps anchors of different answers apart on one page."""
    return secrets.token_hex(4)


def escape_text(text: str) -> str:
    """Escape text for HTML; line breaks are kept by the ``kz-text`` CSS (pre-wrap)."""
    return html.escape(text, quote=True)


def render_question(question: str) -> str:
    """The user's message bubble: the question as escaped text."""
    return f'<div class="kz-text">{escape_text(question)}</div>'


def render_pending(partial_answer: str) -> str:
    """An answer that is still streaming in: escaped text, no sources yet."""
    return f'<div class="kz-answer kz-text kz-streaming">{escape_text(partial_answer)}</div>'


def render_searching() -> str:
    """The answer bubble while the documents are searched: a Chinese status, announced politely."""
    return (
        f'<div class="kz-answer kz-streaming kz-searching" role="status" aria-live="polite">'
        f'<span class="kz-spinner" aria-hidden="true"></span>{SEARCHING_LABEL}</div>'
    )


def split_sentences(answer: str) -> list[str]:
    """``answer`` cut after each sentence end (with its ``[n]`` markers) and each line break.

    Joining the pieces gives ``answer`` back unchanged.
    """
    return [piece for piece in _SENTENCE.findall(answer) if piece]


def render_notice(message: str) -> str:
    """A calm, non-error notice (used for refusals)."""
    return _notice(escape_text(message))


def _notice(inner_html: str) -> str:
    """The notice box around already escaped (or rendered) text."""
    return (
        f'<div class="kz-refusal" role="note"><span class="kz-refusal-icon" aria-hidden="true">'
        f'{REFUSAL_ICON}</span> <span class="kz-text">{inner_html}</span></div>'
    )


def anchor_id(reply_id: str, n: int) -> str:
    """The element id of source ``n`` of the answer ``reply_id``."""
    return f"kz-src-{reply_id}-{n}"


def highlight_quote(passage: str, quote: str | Sequence[str]) -> str:
    """Escaped ``passage`` with the ``quote`` sentence(s) wrapped in ``<mark>``.

    ``quote`` is one quote or several (a citation's ``quotes``: cells of one table row); each
    is marked. A quote is normally one substring of the passage. When it is not (the quote
    joins sentences that the passage separates differently), each of its sentences found in
    the passage is marked on its own; text that cannot be found is simply not marked.
    """
    quotes = [quote] if isinstance(quote, str) else list(quote)
    spans = _merge([span for q in quotes for span in _quote_spans(passage, q.strip())])
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(escape_text(passage[last:start]))
        parts.append(f"<mark>{escape_text(passage[start:end])}</mark>")
        last = end
    parts.append(escape_text(passage[last:]))
    return "".join(parts)


def _quote_spans(passage: str, quote: str) -> list[tuple[int, int]]:
    """Where ``quote`` sits in ``passage``: the whole of it, else each of its sentences found."""
    if not quote:
        return []
    at = passage.find(quote)
    if at >= 0:
        return [(at, at + len(quote))]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in (s.strip() for s in _SENTENCE_END.split(quote)):
        if not sentence:
            continue
        found = passage.find(sentence, cursor)
        if found < 0:
            found = passage.find(sentence)
        if found >= 0:
            spans.append((found, found + len(sentence)))
            cursor = found + len(sentence)
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render_answer_text(answer: str, reply_id: str, numbers: set[int]) -> str:
    """Escaped answer text; each known ``[n]`` marker becomes a link to source ``n``."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return f'<a class="kz-cite" href="#{anchor_id(reply_id, n)}" title="{SOURCES_LABEL} {n}">[{n}]</a>'

    return MARKER.sub(link, escape_text(answer))


def render_citation(citation: Citation, reply_id: str) -> str:
    """One numbered source: a ``<details>`` whose summary names the document and section.

    The passage shows every quote of the citation marked (a table row cited once for all
    its quoted cells); the summary previews them joined by ``…``.
    """
    title = citation.title or citation.source
    if citation.publisher:
        title = f"{title}（{citation.publisher}）"
    section = (
        f' <span class="kz-section">· {escape_text(citation.section)}</span>' if citation.section else ""
    )
    quotes = [q.quote for q in citation.quotes] or [citation.quote]
    passage = highlight_quote(citation.text, quotes)
    quote_preview = "…".join(q.strip() for q in quotes)
    if len(quote_preview) > 60:
        quote_preview = quote_preview[:60] + "…"
    return (
        f'<details class="kz-source" id="{anchor_id(reply_id, citation.n)}">'
        f'<summary><span class="kz-n">[{citation.n}]</span> '
        f'<span class="kz-title">{escape_text(title)}</span>{section}'
        f'<span class="kz-preview">{escape_text(quote_preview)}</span></summary>'
        f'<blockquote class="kz-passage kz-text">{passage}</blockquote>'
        f'<div class="kz-file">{escape_text(citation.source)}</div>'
        "</details>"
    )


def render_reply(reply: Reply, reply_id: str | None = None, sentences: int | None = None) -> str:
    """The HTML of an answer: the answer with linked markers, then its sources.

    A refusal renders as a calm notice: without sources, or, when it corrects the question
    with cited text (a false premise: 文件寫的是2014年[1]), with its markers linked to them.

    Args:
        reply: The assistant's reply.
        reply_id: Prefix for the anchors of this answer; a fresh random one when ``None``.
        sentences: Render only the first ``sentences`` sentences (see :func:`split_sentences`)
            and the sources their markers name, marked as still streaming; ``None`` renders all.
    """
    if reply.refused and not reply.citations:
        return render_notice(reply.answer)
    reply_id = reply_id or new_reply_id()
    if reply.refused:
        numbers = {c.n for c in reply.citations}
        sources = "".join(render_citation(c, reply_id) for c in reply.citations)
        notice = _notice(render_answer_text(reply.answer, reply_id, numbers))
        return f'{notice}<div class="kz-sources"><div class="kz-sources-label">{SOURCES_LABEL}</div>{sources}</div>'
    answer = reply.answer
    streaming = ""
    if sentences is not None and sentences < len(split_sentences(answer)):
        answer = "".join(split_sentences(answer)[:sentences])
        streaming = " kz-streaming"
    shown = {int(n) for n in MARKER.findall(answer)}
    citations = [c for c in reply.citations if not streaming or c.n in shown]
    numbers = {c.n for c in citations}
    body = f'<div class="kz-answer kz-text{streaming}">{render_answer_text(answer, reply_id, numbers)}</div>'
    if not citations:
        return body
    sources = "".join(render_citation(c, reply_id) for c in citations)
    return f'{body}<div class="kz-sources"><div class="kz-sources-label">{SOURCES_LABEL}</div>{sources}</div>'


def citations_as_dicts(reply: Reply) -> list[dict[str, Any]]:
    """The reply's citations as JSON-able dicts (the ``references`` of the APIs)."""
    return reply.to_dict()["citations"]
