"""How a reply is finished: the plan ``ask`` settles first, a language model's answer checked
against it (or the extractive answer with a notice when the model fails), and streaming."""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant import shapes, units
from assistant.evidence import Composition, Evidence, QueryTerms, SentenceRecord
from assistant.headings import document_headings, heading_citations, named_headings
from assistant.language import in_question_language
from assistant.overview import outline, states_content
from assistant.query import Query
from assistant.reply import Passage, Reply, one_citation_per_passage
from assistant.scope import corpus_refusal
from assistant.validate import Message
from core.errors import GenerationError
from core.settings import Settings
from core.text import to_search_form, to_simplified

if TYPE_CHECKING:
    from assistant.enforce import EnforcedAnswer
    from assistant.generate import GenerativeAnswerer


_PIECE = re.compile(r"[^。！？]*[。！？]|[^。！？]+$")


#: What the reader is told when the language model failed and the extractive answer stands in.
FALLBACK_NOTICE_HANT = "（生成式模型暫時無法使用，以下改為直接摘錄文件原句的回答。）"


log = logging.getLogger(__name__)


#: Notes of a multi-part answer the trace shows (:mod:`assistant.parts`).
PART_NOTES = ("parts", "operation", "part_probabilities", "operands", "computation")


#: The reply to a text that is not a question (``asdf``, ``{{7*7}}``, a lone emoji).
NOT_A_QUESTION_HANT = "這看起來不是一個問題，我無法回答。請用一句完整的問題詢問文件裡的內容。"


#: Whether a question may be answered again when its version of the index is deleted under it.
_may_retry: contextvars.ContextVar[bool] = contextvars.ContextVar("kezhuan_may_retry", default=False)


class _VersionGone(Exception):
    """The version of the index a question reads was replaced and deleted by another process."""


@dataclass
class _Plan:
    """What :meth:`Assistant.ask` settles before a language model writes anything.

    Attributes:
        reply: The extractive reply (the answer unless the model writes a supported one).
        history: The validated conversation.
        passages: Passages to show the model; empty when the model is not asked.
        t0: When the question arrived (``time.perf_counter``).
    """

    reply: Reply
    history: list[Message]
    passages: list[Passage] = field(default_factory=list)
    t0: float = 0.0


class GenerativeFlow:
    """Finishing a reply, mixed into the Assistant: the model's checked answer or the extractive fallback, and streaming."""

    settings: Settings
    retriever: Any
    generative: GenerativeAnswerer | None
    is_follow_up: Callable[[str, Sequence[Message]], bool]
    ask: Callable[..., Reply]
    _plan: Callable[..., _Plan]
    embeddings: Any

    _sentence_records: Callable[[Passage], list[SentenceRecord]]

    def _condense(self, question: str, messages: Sequence[Message]) -> str:
        """With a language model, a follow-up rewritten as a standalone question ("" if none)."""
        if self.generative is None:
            return ""
        recent = list(messages)[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        if not self.is_follow_up(question, recent):
            return ""
        try:
            condensed = self.generative.condense(question, recent)
        except GenerationError as e:
            log.warning("Could not condense the follow-up, using the rule-based rewrite: %s", e)
            return ""
        return condensed if condensed != question else ""

    def _checks(self, plan: _Plan) -> dict[str, Any]:
        """The enforcement arguments: refusal text, the embedding model, stored sentences."""
        return {
            "refusal_text": self._refusal_text(plan.reply.script),
            "embed": self.embeddings,
            "sentences": self._sentence_records,
        }

    def _refusal_text(self, script: str) -> str:
        """The refusal, listing what the live documents can answer (from the corpus manifest)."""
        text = corpus_refusal(
            self.settings.corpus_dir, self.retriever.document_titles(), self.settings.max_listed_documents
        )
        return to_simplified(text) if script == "hans" else text

    def _finished(self, reply: Reply, t0: float) -> Reply:
        reply.answer, reply.citations = one_citation_per_passage(reply.answer, reply.citations)
        reply = in_question_language(
            reply, self.settings
        )  # assistant/language.py: English questions get an English lead
        reply.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
        return reply

    def _fallback(self, plan: _Plan, error: GenerationError) -> Reply:
        """The extractive reply, with a notice that the language model failed."""
        log.warning("Language model failed, answering extractively: %s", error)
        reply = plan.reply
        reply.notes["fallback"] = str(error)
        reply.notice = to_simplified(FALLBACK_NOTICE_HANT) if reply.script == "hans" else FALLBACK_NOTICE_HANT
        return self._finished(reply, plan.t0)

    def _generated(self, plan: _Plan, enforced: EnforcedAnswer) -> Reply:
        """The model's enforced answer; the extractive one when nothing of the draft held up."""
        notes = dict(plan.reply.notes)
        notes["llm_passages"] = [p.id for p in plan.passages]
        notes["draft"] = enforced.notes.get("draft", "")
        notes["enforcement"] = {k: enforced.notes.get(k, 0) for k in ("kept", "fixed", "added", "dropped")}
        if enforced.dropped:
            notes["dropped_sentences"] = list(enforced.dropped)
        notes["llm_outcome"] = str(enforced.notes.get("reason", "answered"))
        if enforced.refused and not enforced.model_refused:
            # The model wrote nothing the passages support: the extractive answer, which
            # quotes them, is the better one.
            plan.reply.notes = notes
            return self._finished(plan.reply, plan.t0)
        # A model that read the passages and refused is believed: refusing is the safe error.
        notes["generator"] = self.settings.generator
        reply = replace(
            plan.reply,
            answer=enforced.answer,
            citations=enforced.citations,
            refused=enforced.refused,
            notes=notes,
        )
        return self._finished(reply, plan.t0)

    def stream(self, question: str, history: list[Message] | None = None) -> Iterator[str | Reply]:
        """Yield the answer in pieces, then the whole :class:`Reply` (always last).

        Extractive answers come one sentence a piece. A language model's draft comes as it
        is written (unchecked); the final :class:`Reply` holds the enforced answer and its
        citations, or the extractive answer with a notice when the model failed.
        """
        if self.generative is None:
            reply = self.ask(question, history)
            yield from (piece for piece in _PIECE.findall(reply.answer) if piece)
            yield reply
            return
        plan = self._plan(question, history, None)
        if not plan.passages:
            finished = self._finished(plan.reply, plan.t0)  # the pieces carry its final markers
            yield from (piece for piece in _PIECE.findall(finished.answer) if piece)
            yield finished
            return
        from assistant.enforce import EnforcedAnswer

        enforced: EnforcedAnswer | None = None
        try:
            for event in self.generative.stream(
                plan.reply.question, plan.passages, plan.history, **self._checks(plan)
            ):
                if isinstance(event, EnforcedAnswer):
                    enforced = event
                else:
                    yield event
        except GenerationError as e:
            yield self._fallback(plan, e)
            return
        if enforced is None:  # a stream always ends with the enforced answer; be safe anyway
            yield self._fallback(plan, GenerationError("The language model's stream ended early."))
            return
        yield self._generated(plan, enforced)


class DirectReplies:
    """Replies made without the answerer's scoring, mixed into the Assistant: an overview of a document, the reply to a text that is no question, and the trace every reply carries."""

    _refusal_text: Callable[[str], str]
    settings: Settings
    retriever: Any
    answerer: Any

    _sentence_records: Callable[[Passage], list[SentenceRecord]]

    def _overview(self, question: str, top_source: str, qvec: np.ndarray, convert: Any) -> Composition | None:
        """「這份文件在講什麼？」: the document's parts (sections, or a law's articles and chapters)
        and its first sentence that states content, cited (:func:`assistant.overview.outline`).

        The document is the one whose title the question names (「這份研發替代役的辦法…」). With
        several documents and none named, or a question about the collection (「你有哪些資料」,
        :func:`assistant.shapes.asks_catalogue`), the reply is the catalogue (:meth:`_catalogue`);
        with one document, that document. Each section's own opening would be a citation the
        question does not need.
        """
        titles = self.retriever.document_titles()
        source = self.retriever.named_source(question)
        if source is None and len(titles) > 1:
            source = self._of_kind(shapes.asked_document_kind(question), titles)
        if source is None and len(titles) > 1:
            return self._catalogue(titles, qvec, convert)
        source = source or (next(iter(titles)) if len(titles) == 1 else top_source)
        passages = self.retriever.document_passages(source)
        title = next((p.title for p in passages if p.title), source)
        shape = outline(passages, title, self.settings.max_overview_sections)
        if shape is None:
            return None
        first = self._first_content(shape.openings, title)
        if first is None:
            return None
        record, passage = first
        similarity = float(np.dot(qvec, record.vector))
        chosen = [Evidence(record, passage, 0, similarity, 0.0, 0.0, support=similarity)]
        named = named_headings(shape.parts, title, document_headings(self.settings, source))
        markers, cited = heading_citations(named, [title, *shape.parts], passages)
        diagnostics: dict[str, float | str] = {
            "shape": f"overview: the {shape.rule} of {source} and its first sentence that states content"
            + (
                f"; cites the heading lines of {len(cited)} names the lead shows (title, parts)"
                if cited
                else ""
            )
        }
        composed = self.answerer._write(
            chosen, 1.0, diagnostics, convert, lead=shape.marked(markers), first=len(cited) + 1
        )
        composed.citations = cited + composed.citations
        return composed

    def _of_kind(self, kind: str, titles: dict[str, str]) -> str | None:
        """The one document of the kind a question points at (「這份條例在講什麼？」 with one law
        among guides): the one whose title names the kind, else whose publisher does (「這份筆記」:
        「g0v 社群（HackMD 筆記）」), else, for a law's kind (辦法, 法規,
        :data:`assistant.shapes.LAW_KINDS`), the one document of articles; None when none or
        several are."""
        if not kind:
            return None
        named = [s for s, t in titles.items() if kind in to_search_form(t)]
        if not named:
            publishers = self.retriever.document_publishers()
            named = [s for s in titles if kind in to_search_form(publishers.get(s, ""))]
        if not named and kind in shapes.LAW_KINDS:
            named = sorted(self.retriever.sources_with_kind("article"))
        return named[0] if len(named) == 1 else None

    def _catalogue(self, titles: dict[str, str], qvec: np.ndarray, convert: Any) -> Composition | None:
        """「你有哪些資料可以查？」: the documents the answers come from, each by its title and its
        first sentence that states content, cited; at most ``Settings.max_catalogue_documents``
        of them (the count says how many there are)."""
        chosen: list[Evidence] = []
        labels: list[str] = []
        for source, title in list(titles.items())[: self.settings.max_catalogue_documents]:
            passages = self.retriever.document_passages(source)
            shape = outline(passages, title or source, self.settings.max_overview_sections)
            openings = shape.openings if shape else sorted(passages, key=lambda p: (p.start, p.end))
            first = self._first_content(openings, title or source)
            if first is None:
                continue
            record, passage = first
            similarity = float(np.dot(qvec, record.vector))
            chosen.append(Evidence(record, passage, 0, similarity, 0.0, 0.0, support=similarity))
            labels.append(f"\n{len(labels) + 1}.《{title or source}》")
        if not chosen:
            return None
        more = len(titles) - len(chosen)
        lead = (
            f"我依據收錄的{len(titles)}份文件回答"
            + (f"（以下列出{len(chosen)}份）" if more > 0 else "")
            + "："
        )
        diagnostics: dict[str, float | str] = {
            "shape": f"catalogue: {len(chosen)} of {len(titles)} documents, each by its title and first sentence that states content"
        }
        return self.answerer._write(chosen, 1.0, diagnostics, convert, lead=lead, labels=labels)

    def _first_content(
        self, openings: Sequence[Passage], title: str
    ) -> tuple[SentenceRecord, Passage] | None:
        """The first sentence of ``openings`` (in order) that is evidence on its own and states
        content: not a header's field line, not the title line itself."""
        bare = re.sub(r"\s+", "", title)
        return next(
            (
                (record, passage)
                for passage in openings
                for record in self._sentence_records(passage)
                if len(record.text) >= self.settings.min_evidence_chars
                and states_content(record.text)
                and re.sub(r"\s+", "", record.text) not in bare
            ),
            None,
        )

    def _lead_in_passages(self, evidence: Sequence[Evidence], passages: Sequence[Passage]) -> list[Passage]:
        """Passages holding the lead-ins of the best numbered items that no retrieved passage holds.

        Item 8 of 「(二)有下列情形之一者，不符申請資格：」 says nothing alone, and its passage may be
        several after the lead-in's: the answer quotes the lead-in with it (:func:`assistant.units.lead_in`).
        Of the best ``Settings.lead_in_items`` pieces of evidence, each item whose context ends
        with a lead-in (ingest stores it with the item) gets the nearest passage before it, of up to
        ``Settings.lead_in_read_back_passages``, that holds those words.
        """
        held = {p.id for p in passages}
        found: dict[str, Passage] = {}
        for ev in evidence[: self.settings.lead_in_items]:
            context = ev.sentence.lead.rstrip()
            if not (units.ITEM.match(ev.sentence.text) and context.endswith(("：", ":"))):
                continue
            tail = context[-units.LEAD_TAIL :]
            for passage in [
                ev.passage,
                *self.retriever.passages_before(ev.passage, self.settings.lead_in_read_back_passages),
            ]:
                if tail in passage.text[: ev.sentence.start - passage.start]:
                    if passage.id not in held:
                        found.setdefault(passage.id, passage)
                    break
        return list(found.values())

    def _trace(
        self, analysed: Query, terms: QueryTerms, evidence: Sequence[Evidence], composed: Composition
    ) -> dict[str, Any]:
        """Why the reply is what it is: the analysis, the terms, the best candidates, the decision."""
        diagnostics = composed.diagnostics
        return {
            "query": analysed.trace(),
            # Up to six forms: a term's spelled-out phrases and the verbs that meet it (審完:
            # 審查完竣, or 審查 and 審核 when the documents spell out none) show what it matches.
            "terms": [
                {"forms": list(t.forms[:6]), "weight": round(t.weight, 3), "asked": t.asked, "known": t.known}
                for t in terms.terms
            ],
            "foreign_terms": diagnostics.get("foreign_terms", ""),
            # Value words no document writes whose kind of value a sentence holds (門檻: 達百分之六).
            "value_words": diagnostics.get("value_words", ""),
            # Places the best passage does not name that its rule for any place speaks of (所在地).
            "place_rule": diagnostics.get("place_rule", ""),
            "rules": [
                *analysed.rules,
                *(str(diagnostics[k]) for k in ("chosen", "shape", "units") if k in diagnostics),
            ],
            "candidates": [
                {
                    "sentence": ev.sentence.text[:80],
                    "section": ev.passage.section,
                    "score": round(ev.score, 3),
                    "support": round(ev.support, 3),
                    "coverage": round(ev.coverage, 3),
                    "dense": round(ev.dense, 3),
                    "shape": round(ev.shape, 3),
                    **({"boilerplate": ev.boilerplate} if ev.boilerplate else {}),
                    **({"english_words": round(ev.english_words, 3)} if ev.english_words else {}),
                    **({"field": ev.field} if ev.field else {}),
                    **({"named_section": ev.named_section} if ev.named_section else {}),
                    **({"said_before": round(ev.said, 3)} if ev.said else {}),
                    **({"told_next": True} if ev.told_next else {}),
                }
                for ev in evidence[: self.settings.trace_candidates]
            ],
            # A multi-part question: its parts, each part's evidence and figure, the computation.
            "parts": {k: diagnostics[k] for k in PART_NOTES if k in diagnostics},
            "premise": diagnostics.get("premise", ""),
            "signals": {k[len("signal_") :]: v for k, v in diagnostics.items() if k.startswith("signal_")},
            "decision": {
                "refused": composed.refused,
                "why": diagnostics.get("reason", "answered: the calibrated decision and every rule passed"),
                "answer_probability": diagnostics.get("answer_probability"),
                "decided_by": diagnostics.get("decided_by"),
            },
        }

    def _not_a_question(self, question: str, analysed: Query) -> Reply:
        """The short reply to a text that is no question (or asks to drop the rules): refused, uncited."""
        script = "hans" if analysed.script == "hans" else "hant"
        if analysed.kind in ("injection", "off_topic"):
            answer = self._refusal_text(script)
        else:
            answer = to_simplified(NOT_A_QUESTION_HANT) if script == "hans" else NOT_A_QUESTION_HANT
        decided_by = f"query: {analysed.kind}"  # not a question, an injection, off topic
        trace = {
            "query": analysed.trace(),
            "rules": list(analysed.rules),
            "candidates": [],
            "decision": {"refused": True, "why": analysed.reason, "decided_by": decided_by},
        }
        notes = {
            "generator": "extractive",
            "reason": analysed.reason,
            "decided_by": decided_by,
            "query": analysed.trace(),
            "trace": trace,
        }
        return Reply(question=question, answer=answer, refused=True, script=script, notes=notes)
