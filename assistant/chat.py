"""The assistant: a question (with its conversation) in, a cited Chinese answer out.

By default the answer is extractive (the documents' own sentences, cited). With
``generator`` set to ``openai`` or ``llamacpp`` a language model writes the answer from the
same retrieved passages, and :mod:`assistant.enforce` keeps only what they support. The
model writes only when the extractive answerer found evidence (so every refusal rule, such
as prompt injection or a question about things no document mentions, still holds), and any
model failure falls back to the extractive answer with a notice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant import shapes, units
from assistant.answer import ExtractiveAnswerer
from assistant.clauses import ClauseAnswers
from assistant.evidence import (
    SentenceRecord,
)
from assistant.flow import (
    FALLBACK_NOTICE_HANT,
    DirectReplies,
    GenerativeFlow,
    _may_retry,
    _Plan,
    _VersionGone,
)
from assistant.followup import FollowUps
from assistant.further import FurtherPassages
from assistant.headings import labelled_bare_quotes
from assistant.lists import kinds_of
from assistant.novelty import said_before
from assistant.query import Query, analyse
from assistant.reply import Passage, Reply
from assistant.rules import missing_specific_type, refers_back
from assistant.speller import Speller
from assistant.terms import TermJudge
from assistant.titles import scoped_passages
from assistant.validate import Message, validate_request
from core.errors import GenerationError
from core.settings import Settings
from core.text import detect_script, to_search_form, to_simplified, to_traditional
from ingest.index import IndexStore, open_index

if TYPE_CHECKING:  # the language-model modules load only when a generator is configured
    from assistant.generate import GenerativeAnswerer
    from assistant.retrieve import Retriever

__all__ = ["FALLBACK_NOTICE_HANT", "Assistant"]

log = logging.getLogger(__name__)


def to_question_script_hant(text: str) -> str:
    """Text for a Traditional question: Simplified text converted (OpenCC ``s2twp``), Traditional kept as written."""
    return to_traditional(text) if detect_script(text) == "hans" else text


class Assistant(FollowUps, TermJudge, ClauseAnswers, DirectReplies, FurtherPassages, GenerativeFlow):
    """kezhuan's grounded question answering.

    Build it with :meth:`load`. It is safe to share between threads.

    Args:
        settings: The settings it was loaded with.
        store: The opened index.
        embeddings: The embedding model (the one the index was built with).
        retriever: Hybrid retrieval over the index.
        answerer: The extractive answer writer.
        generative: The language-model answer writer (None: extractive answers only).
        generator_error: Why the configured language model is unavailable ("" if it is, or
            none is configured); every reply then carries the fallback notice.
    """

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        embeddings: Embeddings,
        retriever: Retriever,
        answerer: ExtractiveAnswerer,
        generative: GenerativeAnswerer | None = None,
        generator_error: str = "",
    ) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.retriever = retriever
        self.answerer = answerer
        self.generative = generative
        self.generator_error = generator_error
        self._sentences: OrderedDict[str, SentenceRecord] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._speller: tuple[int, Speller] | None = None

    def analyse(self, question: str) -> Query:
        """The question's :class:`~assistant.query.Query`, typos corrected against the live documents."""
        size = self.retriever.size
        if self._speller is None or self._speller[0] != size:
            bigrams, names = self.retriever.bigram_frequencies(), self.retriever.glossary.terms()
            speller = Speller.from_settings(bigrams, names, self.settings, self.retriever.searchable_text())
            self._speller = (size, speller)
        return analyse(question, self._speller[1].correct, self.settings)

    @classmethod
    def load(
        cls, settings: Settings | None = None, embeddings: Embeddings | None = None, client: Any = None
    ) -> Assistant:
        """Open the index and load the models.

        Args:
            settings: Settings (default: :meth:`Settings.from_env`).
            embeddings: An already loaded embedding model to share.
            client: An existing Chroma client.

        Raises:
            IndexMissingError: there is no index yet; run ``kezhuan ingest``.
        """
        from assistant.retrieve import Retriever
        from ingest.embed import load_query_embeddings

        settings = settings or Settings.from_env()
        open_index(settings, client=client)  # fail fast, before loading a model, if there is no index
        # Questions only: the fast-starting runtime (same vectors), see query_embedding_backend.
        embeddings = embeddings or load_query_embeddings(settings)
        store = IndexStore(settings, embeddings, client=client)
        retriever = Retriever(store, embeddings, settings)
        answerer = ExtractiveAnswerer(settings)
        generative, generator_error = None, ""
        if settings.generator != "extractive":
            from assistant.generate import answerer_from_settings

            try:  # the model itself loads on the first question
                generative = answerer_from_settings(settings)
            except GenerationError as e:
                log.warning("Generative answers are off, answering extractively: %s", e)
                generator_error = str(e)
        return cls(settings, store, embeddings, retriever, answerer, generative, generator_error)

    # -- evidence ------------------------------------------------------------------------
    def _sentence_records(self, passage: Passage) -> list[SentenceRecord]:
        ids = self.retriever.sentence_ids(passage.id)
        with self._cache_lock:
            missing = [i for i in ids if i not in self._sentences]
        if missing:
            store = self.retriever.version_store()  # the store of the version this question reads
            try:
                got = store.get_sentences(missing)
            except Exception as e:  # a version deleted under a reader ("Error finding id")
                if _may_retry.get() and self.retriever.newer_version():
                    raise _VersionGone from e
                raise
            if len(got) < len(missing) and _may_retry.get() and self.retriever.newer_version():
                raise _VersionGone
            fetched = {}
            for sid, (text, meta, vec) in got.items():
                prefix = int(meta.get("prefix_len", 0))
                fetched[sid] = SentenceRecord(
                    id=sid,
                    text=text[prefix:],
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", 0)),
                    vector=np.asarray(vec, np.float32),
                    context=text[:prefix],
                    lead=str(meta.get("lead", "")),
                )
            with self._cache_lock:
                self._sentences.update(fetched)
                while len(self._sentences) > 50_000:
                    self._sentences.popitem(last=False)
        with self._cache_lock:
            return [self._sentences[i] for i in ids if i in self._sentences]

    # -- answering -----------------------------------------------------------------------
    def ask(self, question: str, history: list[Message] | None = None, mode: str | None = None) -> Reply:
        """Answer a question from the documents, with citations, or refuse.

        With a language model configured, the model writes the answer from the passages and
        its citations are enforced; when the model fails, the extractive answer is returned
        with a :attr:`Reply.notice` saying so.

        Args:
            question: The question, in Traditional or Simplified Chinese (or English).
            history: Earlier messages of the conversation, oldest first.
            mode: Retrieval mode override (``hybrid``, ``dense``, ``bm25``).

        Raises:
            BadQuestionError: the question is empty, too long, or the history is malformed.
        """
        plan = self._plan(question, history, mode)
        if self.generative is None or not plan.passages:
            return self._finished(plan.reply, plan.t0)
        try:
            enforced = self.generative.answer(
                plan.reply.question, plan.passages, plan.history, **self._checks(plan)
            )
        except GenerationError as e:
            return self._fallback(plan, e)
        return self._generated(plan, enforced)

    def _plan(self, question: str, history: list[Message] | None, mode: str | None) -> _Plan:
        """Retrieval and the extractive answer from one version of the index.

        An ingest in another process may replace a document while the question is answered:
        the question reads the version it started with, and if that version's sentences are
        deleted under it, it is answered again from the new version (once).
        """
        for attempt in range(2):
            token = _may_retry.set(attempt == 0)
            try:
                with self.retriever.pinned():
                    return self._plan_once(question, history, mode)
            except _VersionGone:
                log.info("The index changed while answering; answering again from the new version")
            finally:
                _may_retry.reset(token)
        raise AssertionError("unreachable: the second attempt never raises _VersionGone")

    def _plan_once(self, question: str, history: list[Message] | None, mode: str | None) -> _Plan:
        """Retrieval and the extractive answer; the passages a language model may write from."""
        t0 = time.perf_counter()
        question, messages = validate_request(question, history, self.settings)
        analysed = self.analyse(question)
        if not analysed.is_question:
            return _Plan(self._not_a_question(question, analysed), messages, t0=t0)
        if analysed.switches_topic:
            messages = []  # 「換個問題，…」: the earlier turns are not this question's context
        # A focus that names nothing leans on the asker's own words (我們中小企業研發卡關了，有
        # 計畫能幫忙嗎？; 我們的青創貸核定通知書寄到了，還沒去銀行辦，要在多久之內去辦？): they are
        # searched, and weigh as background, beside any background clause.
        # The asker's own clauses count when the focus names too little, or points back at them
        # (「我們公司…欠稅，這樣還能申請嗎？」: rules.refers_back).
        points_back = refers_back(to_search_form(analysed.focus))
        own = list(analysed.context) if self._thin(analysed.focus) or points_back else []
        resolved = self.resolve_reference(analysed.text if own else analysed.search_text, messages)
        query, context = self.search_query(resolved, messages, asked_as=analysed.text)
        condensed = self._condense(question, messages)
        if condensed:
            query, context = condensed, condensed
        # 「第二個在做什麼？」, 「其中跟股票有關的是哪個？」: the item of the last answer's list.
        item = self._list_item(analysed.focus, messages) if context else ""
        if item:
            # The item stands for the earlier turns: 「材化在做什麼？」 asks on its own.
            query, context = f"{item} {analysed.search_text}", ""
        vector = self.embeddings.embed_query(query)
        passages = self.retriever.search(query, mode=mode, vector=vector)
        # 「AI應用躍昇計畫收件收到什麼時候」: a document named by its title is searched on its own.
        named = self.retriever.named_documents(query)
        if not named.runs and context:
            named = self.answer_document(messages)  # a follow-up stays with the last answer's document
        passages = scoped_passages(self.retriever, named, query, passages, mode, self.settings)
        # The focus is what the answer must support; the background and earlier turns weigh less.
        focus = self.resolve_reference(analysed.focus, messages)
        if item:
            focus = f"{item}，{focus}"
        background = [*own, *analysed.background]
        if analysed.background and self._thin(focus):
            # 「從A到B，中間隔了幾年？」: the clause that asks names nothing; the one before it does.
            focus = f"{background.pop()}，{focus}"
        lent = "，".join(filter(None, [*background, context]))
        terms = self.query_terms(focus, lent)
        said = said_before(analysed.text, messages)  # 「後來改成什麼？」: not what was just said
        terms = replace(
            terms,
            scope=named.scope,
            given=to_search_form(analysed.text),
            # The asker's own case (「我們是…公司，研發費用佔營收大概7%」) states no premise.
            background="" if analysed.context else to_search_form("，".join(analysed.background)),
            said=said,
        )
        qvec = np.asarray(vector, np.float32)
        evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        kinds = kinds_of(terms)
        if evidence and kinds:
            # 「科專有哪幾種？」: the kinds are named where the full name is (「法人科技專案」).
            known = {p.id for p in passages}
            named = self.retriever.search(" ".join(kinds), k=self.settings.kinds_read_passages, mode="bm25")
            extra = [p for p in named if p.id not in known]
            if extra:
                passages = passages + extra
                evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        if evidence and (extra := self._part_passages(terms, passages)):  # 「A比B晚幾年？」
            passages = passages + extra
            evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        if evidence and (extra := self._defining_passages(terms, passages)):  # 「科專是什麼？」
            passages = passages + extra
            evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        if evidence and (extra := self._typed_passages(terms, evidence, passages)):  # 「哪年開始推的？」
            passages = passages + extra
            evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        depth = self.settings.type_search_depth
        lacks = missing_specific_type(terms.question, [e.sentence.text for e in evidence[:depth]])
        if evidence and (extra := self._around_passages(terms, evidence, passages, bool(lacks))):
            evidence = self.answerer.score(terms, qvec, passages + extra, self._sentence_records)  # lists
        if evidence and (leads := self._lead_in_passages(evidence, passages)):  # items' lead-ins
            passages = passages + leads
            evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        scoped = units.article_scoped(terms.given, evidence)  # the named article's, not a neighbour's
        dropped, evidence = len(evidence) - len(scoped), scoped
        script = "hans" if detect_script(question) == "hans" else "hant"
        convert = to_simplified if script == "hans" else to_question_script_hant
        composed = None
        if passages and (shapes.asks_overview(terms.question) or shapes.asks_catalogue(terms.question)):
            composed = self._overview(terms.question, passages[0].source, qvec, convert)
        if composed is None:
            composed = self.answerer.compose(
                terms, evidence, convert=convert, refusal=self._refusal_text(script)
            )
        clauses = self._answer_each_clause(analysed.focus, composed, passages, lent, terms.scope, convert)
        if item and not composed.refused and item not in composed.answer[: len(item) + 2]:
            composed.answer = f"{convert(item)}：{composed.answer}"
            composed.diagnostics["shape"] = f"list_item: {item}"
        composed.citations, labelled = labelled_bare_quotes(composed.citations, self.settings)
        notes: dict[str, Any] = dict(composed.diagnostics)
        notes["generator"] = "extractive"
        notes["query"] = analysed.trace()
        notes["trace"] = self._trace(analysed, terms, evidence, composed)
        if lacks:  # a card's value line further on (Contact: 0800…)
            why = f"read on: none of the {depth} best sentences holds a {lacks} value; read past the best two"
            notes["trace"]["rules"].append(why)
        notes["trace"]["follow_up"] = self.follow_up_trace(analysed.text, messages, resolved, query, item)
        notes["trace"]["clauses"] = clauses
        notes["trace"]["rules"].extend(labelled)
        notes["trace"]["article_scope_dropped"] = dropped  # candidates of articles the question does not name
        if context:
            notes["follow_up_context"] = context
        if condensed:
            notes["condensed_question"] = condensed
        reply = Reply(
            question=question,
            answer=composed.answer,
            refused=composed.refused,
            citations=composed.citations,
            search_query=query,
            retrieved=passages,
            script=script,
            notes=notes,
        )
        plan = _Plan(reply, messages, t0=t0)
        if self.generative is None:
            if self.generator_error:
                reply.notice = convert(FALLBACK_NOTICE_HANT)
                notes["fallback"] = self.generator_error
        elif composed.refused:
            # The refusal rules (injection, foreign topics, numbers, kind of evidence) hold in
            # generative mode too: a model is never asked what the documents do not answer.
            notes["llm_skipped"] = "the extractive answerer refused"
        else:
            cited = {c.passage_id for c in composed.citations}
            candidates = passages + [e.passage for e in evidence if e.passage not in passages]
            ordered = [p for p in candidates if p.id in cited] + [p for p in candidates if p.id not in cited]
            unique = list({p.id: p for p in ordered}.values())
            plan.passages = unique[: self.settings.llm_context_passages]
        return plan

    def health(self) -> dict[str, Any]:
        """Index and model status for health checks."""
        from ingest.embed import embedding_model_label

        return {
            "ok": self.retriever.size > 0,
            "passages": self.retriever.size,
            "documents": len(self.retriever.store.committed()),
            "embedding_model": embedding_model_label(self.settings),
            "collection": self.settings.collection,
            "chroma": f"{self.settings.chroma_host}:{self.settings.chroma_port}"
            if self.settings.chroma_host
            else str(self.settings.chroma_dir),
            "retrieval_mode": self.settings.retrieval_mode,
            "generator": self.settings.generator,
            "generator_ready": self.generative is not None or self.settings.generator == "extractive",
        }
