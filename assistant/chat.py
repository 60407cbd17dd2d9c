"""The assistant: a question (with its conversation) in, a cited Chinese answer out.

By default the answer is extractive (the documents' own sentences, cited). With
``generator`` set to ``openai`` or ``llamacpp`` a language model writes the answer from the
same retrieved passages, and :mod:`assistant.enforce` keeps only what they support. The
model writes only when the extractive answerer found evidence (so every refusal rule, such
as prompt injection or a question about things no document mentions, still holds), and any
model failure falls back to the extractive answer with a notice.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer import (
    QUOTED_NAME,
    ExtractiveAnswerer,
    QueryTerms,
    SentenceRecord,
    Term,
    asks_for_list,
    is_chinese,
    kinds_of,
    question_numbers,
    thing_names,
)
from assistant.language import in_question_language
from assistant.lexicon import ENGLISH_INTENT_WORDS, INTENT_WORDS, NOMINAL_TAGS, content_terms, part_of_speech
from assistant.reply import Passage, Reply
from assistant.scope import corpus_refusal
from assistant.validate import Message, validate_history, validate_request
from core.errors import GenerationError
from core.settings import Settings
from core.text import count_cjk, detect_script, to_search_form, to_simplified
from ingest.index import IndexStore, open_index

if TYPE_CHECKING:  # the language-model modules load only when a generator is configured
    from assistant.enforce import EnforcedAnswer
    from assistant.generate import GenerativeAnswerer
    from assistant.retrieve import Retriever

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
    r"|^([^\s，,。？?]{1,8}?)\s*(?:呢|咧)[？?。.!！]*$"
)
#: Words that point at a thing named earlier: 它, 該中心, 那個 (not 其中, "among them").
_POINTER = re.compile(r"它們|它们|它|該中心|该中心|該計畫|该计划|該園區|该园区|這個|这个|那個|那个")
#: 「第二個」 as a phrase to replace.
_ORDINAL_PHRASE = re.compile(
    r"第\s*(?:[一二三四五六七八九十]|\d{1,2})\s*[個个項项家間间所](?:中心|園區|园区|計畫|计划)?"
)
#: 「第二個的重點是什麼？」: the n-th thing the latest answer named.
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*[個个項项家間间所]")
_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
#: Weight (times the IDF) of a question word no document uses under any alias (a paraphrase).
PARAPHRASE_WEIGHT = 0.3
#: What comes right before a verb (search form): a modal or an adverb (要牽線, 怎麼形容).
_BEFORE_VERB = re.compile(
    r"(要|想|会|能|可以|怎么|怎样|如何|为何|为什么|该|应该|是否|不|没|曾|已经|都|也|还|就|才|来|去)$"
)
#: Passages searched (BM25) for the names of the kinds a 「有哪幾種」 question asks for.
KINDS_READ = 20
#: Passages read on after the best ones for a list question (seven centers span several).
LIST_READ_AHEAD = 4
#: Most names borrowed from the last answer for a follow-up's search.
MAX_NAMES_FROM_ANSWER = 2
#: Function characters the segmenter sometimes glues onto a neighbouring word (search form).
#: 「在台南」 right before a word: the word is what happens there (設點), not a topic.
_AT_PLACE = re.compile(r"在([\u4e00-\u9fff]{2,3})$")
#: Characters that make a word for people or kinds out of another: 觀光業, 業者, 學界.
_SUFFIXES = frozenset("业者界员们类型性化式")
#: The end of a clause, after optional particles (了, 啦): 卡關了，
_CLAUSE_END = r"[了啦啊呀喔嘛]?(?:[，,。？?！!；;]|$)"
_GLUE = frozenset("做想是有跟在帮的了要把被给对和与及或也都就还才会能可算让从向到")
_PIECE = re.compile(r"[^。！？]*[。！？]|[^。！？]+$")

#: What the reader is told when the language model failed and the extractive answer stands in.
FALLBACK_NOTICE_HANT = "（生成式模型暫時無法使用，以下改為直接摘錄文件原句的回答。）"


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


def _ordinal_number(text: str) -> int:
    """1 for 一 or 1, up to 十 (10) or two digits."""
    return int(text) if text.isdigit() else _CHINESE_DIGITS.get(text, 0)


#: Whether a question may be answered again when its version of the index is deleted under it.
_may_retry: contextvars.ContextVar[bool] = contextvars.ContextVar("kezhuan_may_retry", default=False)


class _VersionGone(Exception):
    """The version of the index a question reads was replaced and deleted by another process."""


class Assistant:
    """kezhuan's grounded question answering.

    Build it with :meth:`load`. It is safe to share between threads.

    Args:
        settings: The settings it was loaded with.
        store: The opened index.
        embeddings: The embedding model (the one the index was built with).
        retriever: Hybrid retrieval over the index (a langchain-core ``BaseRetriever``).
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
        answerer = ExtractiveAnswerer(
            max_sentences=settings.max_answer_sentences, refusal_threshold=settings.refusal_threshold
        )
        generative, generator_error = None, ""
        if settings.generator != "extractive":
            from assistant.generate import answerer_from_settings

            try:  # the model itself loads on the first question
                generative = answerer_from_settings(settings)
            except GenerationError as e:
                log.warning("Generative answers are off, answering extractively: %s", e)
                generator_error = str(e)
        return cls(settings, store, embeddings, retriever, answerer, generative, generator_error)

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

    def resolve_reference(self, question: str, history: Sequence[Message]) -> str:
        """The question with 它 / 那個 / 第二個 replaced by the one thing it points at, if known.

        The thing is one of the 「…中心」/「…計畫」 the latest answer that names any named: the
        n-th for 第n個, the one whose name holds a word of the question (嘉義那個), or the only
        one. ``它跟業界科專差在哪？`` after an answer about 「法人科技專案」 becomes
        ``法人科技專案跟業界科專差在哪？``, a question that stands on its own.
        """
        recent = list(history)[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        pointer = _POINTER.search(question) or _ORDINAL_PHRASE.search(question)
        if not pointer or not self.is_follow_up(question, recent):
            return question
        answers = [m["content"] for m in recent if m["role"] == "assistant"]
        things = next((found for found in map(thing_names, reversed(answers)) if found), [])
        things = list(dict.fromkeys(things))
        ordinal = _ORDINAL.search(question)
        n = _ordinal_number(ordinal.group(1)) if ordinal else 0
        words = [w for w in content_terms(question) if len(w) >= 2]
        matching = [t for t in things if any(w in to_search_form(t) for w in words)]
        if 0 < n <= len(things):
            referent = things[n - 1]
        elif len(matching) == 1:
            referent = matching[0]
        elif len(things) == 1 and not matching:
            referent = things[0]
        else:
            return question
        # 「嘉義那個」: the word that picked the thing is part of its name, so it goes too.
        head = question[: pointer.start()]
        named = to_search_form(referent)
        cut = next((k for k in range(len(head), 1, -1) if to_search_form(head[-k:]) in named), 0)
        return head[: len(head) - cut] + referent + question[pointer.end() :]

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
        # 「那機械呢？」 then 「運輸呢？」: each swap applies to the question the last one stood for.
        stood_for = previous[0]
        for earlier in previous[1:]:
            stood_for = self._swap_topic(earlier, stood_for) or earlier
        swapped = self._swap_topic(question, stood_for)
        if swapped:
            return swapped, ""
        # A follow-up of a follow-up ("重點是什麼？" then "它的任務呢？") needs the turn before too.
        two_back = len(previous) >= 2 and self.is_follow_up(previous[-1], recent[:-1])
        context = " ".join(previous[-2:]) if two_back else previous[-1]
        # 「它的任務是什麼？」: "it" is most often the thing the latest answer with a name named.
        answers = [m["content"] for m in recent if m["role"] == "assistant"]
        named = next((found for found in map(QUOTED_NAME.findall, reversed(answers)) if found), [])
        named = list(dict.fromkeys(named))
        ordinal = _ORDINAL.search(question)
        n = _ordinal_number(ordinal.group(1)) if ordinal else 0
        things = [name for name in named if thing_names(f"「{name}」")] or named
        named = things[n - 1 : n] if 0 < n <= len(things) else named[:MAX_NAMES_FROM_ANSWER]
        if named:
            context = f"{context} {' '.join(named)}"
        return f"{context} {question}".strip(), context

    def _swap_topic(self, question: str, previous: str) -> str:
        """``那X呢？``: the previous question asked again about X ("" when it does not apply)."""
        match = _SWAP.match(question.strip())
        if not match:
            return ""
        new_topic = to_search_form(match.group(1) or match.group(2)).rstrip("的")
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
        asked = to_search_form(question)
        for term, weight in weights.items():
            forms = (term, *retriever.glossary.aliases_of(term))
            if term in current and self._is_foreign(term, forms, asked):
                foreign.append(term)
                foreign_weight += weight
            elif count_cjk(term) and not any(retriever.knows(f) for f in forms):
                # A paraphrase word no document uses (搞, 卡關, 牽線) matches no sentence, so
                # it only dilutes the coverage of the words that do; meaning is left to the
                # dense similarity.
                weight = PARAPHRASE_WEIGHT * weight
            terms.append(Term(forms, weight))
        if not is_chinese(question):
            # English words match no Chinese passage: use the glossary's Chinese names instead.
            for alias in retriever.glossary.expand(question):
                if count_cjk(alias):
                    terms.append(Term((alias,), retriever.bm25.idf_of(alias)))
        total = sum(t.weight for t in terms if t.forms[0] in current) or 1.0
        return QueryTerms(
            terms=tuple(terms),
            numbers=question_numbers(question),
            cjk=is_chinese(question),
            foreign=tuple(foreign),
            foreign_share=foreign_weight / total,
            question=asked,
        )

    def _is_foreign(self, term: str, forms: Sequence[str], question: str = "") -> bool:
        """A named thing or help-desk intent that no document mentions, in any part or alias.

        Args:
            term: A question term (search form).
            forms: The term and its aliases.
            question: The whole question (search form), to see how the term is used.
        """
        if term in ENGLISH_INTENT_WORDS:
            return not self.retriever.knows(ENGLISH_INTENT_WORDS[term])
        if len(term) < 2 or not count_cjk(term):
            return False  # other English words are matched by meaning, not spelling
        if term not in INTENT_WORDS:
            if part_of_speech(term) not in NOMINAL_TAGS:
                return False  # verbs and colloquialisms are paraphrase, not topic
            if question and (
                self._used_as_verb(term, question)
                or self._straddles(term, question)
                or self._predicate_of(term, question)
            ):
                return False
            if self._composed(term):
                return False
        for form in forms:
            if self.retriever.knows(form):
                return False
            if self.retriever.knows_compound(form):
                return False
            # The segmenter glued a function character to a known word: 做+場域, 科專+想.
            if len(form) == 3 and (
                (form[0] in _GLUE and self.retriever.knows(form[1:]))
                or (form[-1] in _GLUE and self.retriever.knows(form[:-1]))
            ):
                return False
        return True

    def _used_as_verb(self, term: str, question: str) -> bool:
        """Whether every use of ``term`` follows a modal or adverb (要牽線, 怎麼形容), or a place
        it happens at (在台南設點): a predicate.

        The segmenter's dictionary tags many colloquial verbs as nouns; where they stand in
        the question says what they are.
        """
        positions = [m.start() for m in re.finditer(re.escape(term), question)]

        def predicate_at(pos: int) -> bool:
            before = question[:pos]
            if _BEFORE_VERB.search(before):
                return True
            place = _AT_PLACE.search(before)
            return place is not None and self.retriever.knows(place.group(1))

        return bool(positions) and all(predicate_at(pos) for pos in positions)

    def _composed(self, term: str) -> bool:
        """Whether a word is two words the documents know (研究+成果), or one plus a suffix (觀光+業).

        Such a word says nothing new about the topic; the question's other words decide.
        """
        knows = self.retriever.knows
        if len(term) == 4 and count_cjk(term) == 4:
            return knows(term[:2]) and knows(term[2:])
        if len(term) == 3 and count_cjk(term) == 3:
            return term[-1] in _SUFFIXES and knows(term[:2])
        return False

    def _predicate_of(self, term: str, question: str) -> bool:
        """Whether a "place name" ends a clause right after a known word: 研發卡關，→ a predicate.

        The segmenter's dictionary tags some colloquial verbs as place names (卡關); a place
        name does not end a clause straight after a noun (研發), a predicate does.
        """
        if part_of_speech(term) != "ns":
            return False
        for match in re.finditer(re.escape(term) + _CLAUSE_END, question):
            before = question[: match.start()]
            if any(len(before) >= k and self.retriever.knows(before[-k:]) for k in (2, 3, 4)):
                return True
        return False

    def _straddles(self, term: str, question: str) -> bool:
        """Whether ``term`` is a segmentation slip across a known word: 哪個中心想 → 中/心想."""
        knows = self.retriever.knows
        for match in re.finditer(re.escape(term), question):
            start, end = match.start(), match.end()
            for cut in range(1, len(term)):
                # A known word ends inside the term and the rest is function characters, or
                # the other way round.
                head, tail = term[:cut], term[cut:]
                if all(c in _GLUE for c in tail) and any(
                    knows(question[start - k : start + cut]) for k in (1, 2) if start - k >= 0
                ):
                    return True
                if all(c in _GLUE for c in head) and any(
                    knows(question[start + cut : end + k]) for k in (1, 2) if end + k <= len(question)
                ):
                    return True
        return False

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
        messages = validate_history(
            history, self.settings.max_history_messages, self.settings.max_history_chars
        )
        query, _ = self.search_query(self.resolve_reference(question, messages), messages)
        return self.retriever.search(query, k=k, mode=mode)

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
        resolved = self.resolve_reference(question, messages)
        query, context = self.search_query(resolved, messages)
        condensed = self._condense(question, messages)
        if condensed:
            query, context = condensed, condensed
        vector = self.embeddings.embed_query(query)
        passages = self.retriever.search(query, mode=mode, vector=vector)
        terms = self.query_terms(resolved, context)
        qvec = np.asarray(vector, np.float32)
        evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        kinds = kinds_of(terms)
        if evidence and kinds:
            # 「科專有哪幾種？」: the kinds are named where the full name is (「法人科技專案」).
            known = {p.id for p in passages}
            named = self.retriever.search(" ".join(kinds), k=KINDS_READ, mode="bm25")
            extra = [p for p in named if p.id not in known]
            if extra:
                passages = passages + extra
                evidence = self.answerer.score(terms, qvec, passages, self._sentence_records)
        if evidence and asks_for_list(terms.question):
            # A list often goes on past the passage that starts it (其次…, 另在…): read on.
            known = {p.id for p in passages}
            following: dict[str, Passage] = {}
            for e in evidence[:2]:
                current = e.passage
                for _ in range(LIST_READ_AHEAD):
                    nxt = self.retriever.next_passage(current)
                    if nxt is None:
                        break
                    following.setdefault(nxt.id, nxt)
                    current = nxt
            extra = [p for pid, p in following.items() if pid not in known]
            if extra:
                evidence = self.answerer.score(terms, qvec, passages + extra, self._sentence_records)
        script = "hans" if detect_script(question) == "hans" else "hant"
        convert = to_simplified if script == "hans" else (lambda s: s)
        composed = self.answerer.compose(terms, evidence, convert=convert, refusal=self._refusal_text(script))
        notes: dict[str, Any] = dict(composed.diagnostics)
        notes["generator"] = "extractive"
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
        text = corpus_refusal(self.settings.corpus_dir, self.retriever.document_titles())
        return to_simplified(text) if script == "hans" else text

    @staticmethod
    def _finished(reply: Reply, t0: float) -> Reply:
        reply = in_question_language(reply)  # assistant/language.py: English questions get an English lead
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
            yield from (piece for piece in _PIECE.findall(plan.reply.answer) if piece)
            yield self._finished(plan.reply, plan.t0)
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
