"""The assistant: a question (with its conversation) in, a cited Chinese answer out."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer import (
    REFUSAL_HANT,
    ExtractiveAnswerer,
    QueryTerms,
    SentenceRecord,
    Term,
    asks_for_list,
    is_chinese,
    question_numbers,
)
from assistant.cite import Passage, Reply
from assistant.validate import Message, validate_history, validate_question
from ingest.index import IndexStore, open_index
from ingest.normalize import (
    ENGLISH_INTENT_WORDS,
    INTENT_WORDS,
    NOMINAL_TAGS,
    content_terms,
    count_cjk,
    detect_script,
    part_of_speech,
    to_search_form,
    to_simplified,
)
from ingest.settings import Settings

log = logging.getLogger(__name__)


# A question that leans on what was said before: a pronoun or "that/its/among them",
# or a bare "…呢？" ("and X?").
_FOLLOW_UP = re.compile(
    r"^(那|那麼|那么|其中|它|他們|他们|該|该|這|这|此|上述|前述|還有|还有|然後|然后|同樣|同样|那個|那个|and\b|what about)"
    r"|(呢|咧)[？?。.!！]*$"
    r"|(它|其中|該中心|该中心|這個|这个|那個|那个|這些|这些|那些|他們|他们|上述|前面|剛才|刚才|\bit\b|\bthey\b|\bthat\b)",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_SWAP = re.compile(
    r"^(?:那麼|那么|那|還有|还有|至於|至于|换成|換成)\s*(.{1,16}?)\s*(?:呢|咧|又如何|又怎样|又怎樣)[？?。.!！]*$"
)
#: Function characters the segmenter sometimes glues onto a neighbouring word (search form).
_GLUE = frozenset("做想是有跟在帮的了要把被给对和与及或也都就还才会能可算让从向到")


class Assistant:
    """kezhuan's grounded question answering.

    Build it with :meth:`load`. It is safe to share between threads.

    Args:
        settings: The settings it was loaded with.
        store: The opened index.
        embeddings: The embedding model (the one the index was built with).
        retriever: Hybrid retrieval over the index.
        answerer: The extractive answer writer.
    """

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        embeddings: Embeddings,
        retriever: Any,
        answerer: ExtractiveAnswerer,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.retriever = retriever
        self.answerer = answerer
        self._sentences: OrderedDict[str, SentenceRecord] = OrderedDict()
        self._cache_lock = threading.Lock()

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
        from ingest.embed import load_embeddings

        settings = settings or Settings.from_env()
        open_index(settings, client=client)  # fail fast, before loading a model, if there is no index
        embeddings = embeddings or load_embeddings(settings)
        store = IndexStore(settings, embeddings, client=client)
        retriever = Retriever(store, embeddings, settings)
        answerer = ExtractiveAnswerer(
            max_sentences=settings.max_answer_sentences, refusal_threshold=settings.refusal_threshold
        )
        return cls(settings, store, embeddings, retriever, answerer)

    # -- understanding the question ------------------------------------------------------
    def is_follow_up(self, question: str, history: Sequence[Message]) -> bool:
        """Whether ``question`` needs the conversation to be understood."""
        if not any(m["role"] == "user" for m in history):
            return False
        if _FOLLOW_UP.search(question.strip()):
            return True
        # Few words the corpus knows: too little to search on alone.
        known = [t for t in content_terms(question) if t in self.retriever.bm25.vocab]
        return len(known) <= 1 and len(_SPACE.sub("", question)) <= 10

    def search_query(self, question: str, history: Sequence[Message]) -> tuple[str, str]:
        """The text to search with, and the context it borrowed from earlier turns ("" if none).

        ``那生醫呢？`` after ``材化領域的研發重點是什麼？`` becomes ``生医领域的研发重点是什么？``
        (the earlier question with its topic swapped); other follow-ups search with the
        earlier question(s) prepended.
        """
        recent = list(history)[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        if not self.is_follow_up(question, recent):
            return question, ""
        previous = [m["content"] for m in recent if m["role"] == "user"]
        if not previous:
            return question, ""
        swapped = self._swap_topic(question, previous[-1])
        if swapped:
            return swapped, ""
        # A follow-up of a follow-up ("重點是什麼？" then "它的任務呢？") needs the turn before too.
        two_back = len(previous) >= 2 and self.is_follow_up(previous[-1], recent[:-1])
        context = " ".join(previous[-2:]) if two_back else previous[-1]
        return f"{context} {question}".strip(), context

    def _swap_topic(self, question: str, previous: str) -> str:
        """``那X呢？``: the previous question asked again about X ("" when it does not apply)."""
        match = _SWAP.match(question.strip())
        if not match:
            return ""
        new_topic = to_search_form(match.group(1)).rstrip("的")
        new_terms = content_terms(new_topic)
        if not new_terms:
            return ""
        earlier = to_search_form(previous)
        candidates = [t for t in content_terms(previous) if t in earlier and t not in new_topic]
        if not candidates:
            return ""
        topic = max(candidates, key=self.retriever.bm25.idf_of)
        return earlier.replace(topic, new_topic, 1)

    def query_terms(self, question: str, context: str) -> QueryTerms:
        """Weighted terms of the question (and, lighter, of the follow-up context).

        Each term carries its aliases; terms found nowhere in the documents under any
        form are reported as foreign.
        """
        retriever = self.retriever
        weights: dict[str, float] = {}
        for term in content_terms(question):
            weights[term] = retriever.bm25.idf_of(term)
        current = set(weights)
        for term in content_terms(context) if context else []:
            weights.setdefault(term, 0.5 * retriever.bm25.idf_of(term))
        terms = []
        foreign = []
        foreign_weight = 0.0
        for term, weight in weights.items():
            forms = (term, *retriever.glossary.aliases_of(term))
            terms.append(Term(forms, weight))
            if term in current and self._is_foreign(term, forms):
                foreign.append(term)
                foreign_weight += weight
        if not is_chinese(question):
            # English words match no Chinese passage: use the glossary's Chinese names instead.
            for alias in retriever.glossary.expand(question):
                if count_cjk(alias):
                    terms.append(Term((alias,), retriever.bm25.idf_of(alias)))
        total = sum(weights[t] for t in current) or 1.0
        return QueryTerms(
            terms=tuple(terms),
            numbers=question_numbers(question),
            cjk=is_chinese(question),
            foreign=tuple(foreign),
            foreign_share=foreign_weight / total,
            question=to_search_form(question),
        )

    def _is_foreign(self, term: str, forms: Sequence[str]) -> bool:
        """A named thing or help-desk intent that no document mentions, in any part or alias."""
        if term in ENGLISH_INTENT_WORDS:
            return not self.retriever.knows(ENGLISH_INTENT_WORDS[term])
        if len(term) < 2 or not count_cjk(term):
            return False  # other English words are matched by meaning, not spelling
        if term not in INTENT_WORDS and part_of_speech(term) not in NOMINAL_TAGS:
            return False  # verbs and colloquialisms are paraphrase, not topic
        for form in forms:
            if self.retriever.knows(form):
                return False
            # The segmenter glued a function character to a known word: 做+場域, 科專+想.
            if len(form) == 3 and (
                (form[0] in _GLUE and self.retriever.knows(form[1:]))
                or (form[-1] in _GLUE and self.retriever.knows(form[:-1]))
            ):
                return False
        return True

    # -- evidence ------------------------------------------------------------------------
    def _sentence_records(self, passage: Passage) -> list[SentenceRecord]:
        ids = self.retriever.sentence_ids(passage.id)
        with self._cache_lock:
            missing = [i for i in ids if i not in self._sentences]
        if missing:
            got = self.store.sentences.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            fetched = {}
            for sid, text, meta, vec in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=False
            ):
                meta = meta or {}
                prefix = int(meta.get("prefix_len", 0))
                fetched[sid] = SentenceRecord(
                    id=sid,
                    text=text[prefix:],
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", 0)),
                    vector=np.asarray(vec, np.float32),
                    context=text[:prefix],
                )
            with self._cache_lock:
                self._sentences.update(fetched)
                while len(self._sentences) > 50_000:
                    self._sentences.popitem(last=False)
        with self._cache_lock:
            return [self._sentences[i] for i in ids if i in self._sentences]

    def retrieve(
        self,
        question: str,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> list[Passage]:
        """Passages for a question (with follow-up context), best first."""
        query, _ = self.search_query(question, validate_history(history))
        return self.retriever.search(query, k=k, mode=mode)

    # -- answering -----------------------------------------------------------------------
    def ask(self, question: str, history: list[Message] | None = None, mode: str | None = None) -> Reply:
        """Answer a question from the documents, with citations, or refuse.

        Args:
            question: The question, in Traditional or Simplified Chinese (or English).
            history: Earlier messages of the conversation, oldest first.
            mode: Retrieval mode override (``hybrid``, ``dense``, ``bm25``).

        Raises:
            BadQuestionError: the question is empty, too long, or the history is malformed.
        """
        t0 = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        messages = validate_history(history)
        query, context = self.search_query(question, messages)
        vector = self.embeddings.embed_query(query)
        passages = self.retriever.search(query, mode=mode, vector=vector)
        terms = self.query_terms(question, context)
        qvec = np.asarray(vector, np.float32)
        evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        if evidence and asks_for_list(terms.question):
            # A list often goes on past the passage that starts it (其次…, 另在…): read on.
            known = {p.id for p in passages}
            following = [self.retriever.next_passage(e.passage) for e in evidence[:2]]
            extra = [p for p in following if p is not None and p.id not in known]
            if extra:
                evidence = self.answerer.score(terms, qvec, passages + extra, self._sentence_records)
        script = "hans" if detect_script(question) == "hans" else "hant"
        convert = to_simplified if script == "hans" else (lambda s: s)
        composed = self.answerer.compose(terms, evidence, convert=convert, refusal=convert(REFUSAL_HANT))
        notes: dict[str, Any] = dict(composed.diagnostics)
        notes["generator"] = "extractive"
        if context:
            notes["follow_up_context"] = context
        return Reply(
            question=question,
            answer=composed.answer,
            refused=composed.refused,
            citations=composed.citations,
            search_query=query,
            retrieved=passages,
            script=script,
            latency_ms=round((time.perf_counter() - t0) * 1000, 2),
            notes=notes,
        )

    def stream(self, question: str, history: list[Message] | None = None) -> Iterator[str | Reply]:
        """Yield the answer in pieces (one per sentence), then the whole :class:`Reply`."""
        reply = self.ask(question, history)
        for piece in re.findall(r"[^。！？]*[。！？]|[^。！？]+$", reply.answer):
            if piece:
                yield piece
        yield reply

    def health(self) -> dict[str, Any]:
        """Index and model status for health checks."""
        from ingest.embed import embedding_model_label

        return {
            "ok": self.retriever.size > 0,
            "passages": self.retriever.size,
            "documents": len(self.store.committed()),
            "embedding_model": embedding_model_label(self.settings),
            "collection": self.settings.collection,
            "chroma": f"{self.settings.chroma_host}:{self.settings.chroma_port}"
            if self.settings.chroma_host
            else str(self.settings.chroma_dir),
            "retrieval_mode": self.settings.retrieval_mode,
            "generator": self.settings.generator,
        }
