"""Follow-up questions: what an earlier turn lends a question that leans on it (它, 那X呢？,
第二個, 其中…的那個), or that it starts afresh."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant import rules, shapes
from assistant.evidence import QUOTED_NAME
from assistant.lexicon import (
    content_terms,
    general_tag,
    is_domain_word,
    names_a_thing,
    part_of_speech,
    words,
)
from assistant.lists import list_items, thing_names
from assistant.reply import Passage
from assistant.titles import NamedDocuments
from assistant.validate import Message, validate_history
from core.settings import Settings
from core.text import to_search_form

# A question that leans on what was said before: a pronoun or "that/its/among them", a
# connective that continues the story (後來, 之後, 接著: "and then"), or a bare "…呢？" ("and X?").
_FOLLOW_UP = re.compile(
    r"^(那|那麼|那么|其中|它|他們|他们|該|该|這|这|此|上述|前述|還有|还有|然後|然后|同樣|同样|那個|那个"
    r"|後來|后来|之後|之后|接著|接着|再來|再来|and\b|what about)"
    r"|(呢|咧)[？?。.!！]*$"
    r"|(它|其中|該中心|该中心|這個|这个|那個|那个|這些|这些|那些|他們|他们|上述|前面|剛才|刚才|\bit\b|\bthey\b|\bthat\b)",
    re.IGNORECASE,
)


_SPACE = re.compile(r"\s+")

#: Openers that may start a new topic (「那東部有哪些中心？」); 其中, 它, 該, 上述 always point back.
_OPENER = re.compile(
    r"那|那麼|那么|還有|还有|然後|然后|同樣|同样|後來|后来|之後|之后|接著|接着|再來|再来|and|what about",
    re.IGNORECASE,
)


_SWAP = re.compile(
    r"^(?:那麼|那么|那|還有|还有|至於|至于|换成|換成)\s*(.{1,16}?)\s*(?:呢|咧|又如何|又怎样|又怎樣)[？?。.!！]*$"
    r"|^([^\s，,。？?]{1,8}?)\s*(?:呢|咧)[？?。.!！]*$"
)


#: A trailing 呢 (and its punctuation): a softener, or the whole of 「X呢？」.
_TRAILING_NE = re.compile(r"\s*[呢咧]?\s*[？?。.!！]*\s*$")


#: Words that point at a thing named earlier: 它, 該中心, 那個 (not 其中, "among them").
_POINTER = re.compile(r"它們|它们|它|該中心|该中心|該計畫|该计划|該園區|该园区|這個|这个|那個|那个")


#: 「第二個」 as a phrase to replace.
_ORDINAL_PHRASE = re.compile(
    r"第\s*(?:[一二三四五六七八九十]|\d{1,2})\s*[個个項项家間间所類类種种](?:中心|園區|园区|計畫|计划)?"
)


#: 「第二個的重點是什麼？」: the n-th thing the latest answer named.
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*[個个項项家間间所類类種种]")


_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}


#: A follow-up that picks one item of a list: 其中, 哪一個, 哪個 (any script).
_ASKS_WHICH_ITEM = re.compile(r"其中|哪一?[個个項项]|哪些")


#: A demonstrative that may stand after the noun it points at (工業局這些業務, SBIR這個計畫).
_DEMONSTRATIVE = re.compile(r"這些|这些|那些|這個|这个|那個|那个")


def _appositive(question: str, match: re.Match[str]) -> bool:
    """Whether ``match`` (of :data:`_FOLLOW_UP`) is a demonstrative right after a noun or name of
    the question itself (jieba's tags n…, a word of the documents' domain, or a Latin word:
    「工業局這些業務」, 「SBIR這個計畫」): it
    points at that noun, not at an earlier turn, when a noun follows it too. 「申請這些計畫」 (after
    a verb) and 「嘉義那個的重點」 (那個 is the thing itself) point back."""
    if not _DEMONSTRATIVE.fullmatch(match.group(0)) or match.start() == 0:
        return False
    before = words(to_search_form(question[: match.start()]))
    after = words(to_search_form(question[match.end() :]))
    # 「嘉義那個的重點」: 那個 stands for a thing (the one of 嘉義) the turn before named.
    return bool(before and after) and _nominal(before[-1]) and _nominal(after[0])


def _nominal(word: str) -> bool:
    """A noun or a name: jieba's own tag n… (a word the documents taught it keeps its tag: 推動
    is a verb), a word the documents taught it, or a Latin word (SBIR)."""
    tag = general_tag(word) or ("n" if is_domain_word(word) else part_of_speech(word))
    return tag.startswith("n") or word.isascii()


def _ordinal_number(text: str) -> int:
    """1 for 一 or 1, up to 十 (10) or two digits."""
    return int(text) if text.isdigit() else _CHINESE_DIGITS.get(text, 0)


class FollowUps:
    """Follow-up handling, mixed into the Assistant (reads its settings and retriever)."""

    settings: Settings
    retriever: Any

    # -- understanding the question ------------------------------------------------------
    def is_follow_up(self, question: str, history: Sequence[Message]) -> bool:
        """Whether ``question`` needs the conversation to be understood."""
        return self.follow_up_verdict(question, history)[0]

    def follow_up_verdict(self, question: str, history: Sequence[Message]) -> tuple[bool, str]:
        """Whether ``question`` needs the conversation, and why (for the trace).

        Rules, in order: no earlier question, no follow-up; a pointer, connective or bare
        「…呢？」 leans on the turn before, unless a leading opener (那, 後來) or a trailing 呢
        wraps a question that asks on its own (a question word of its own) and names its own
        topic (two words the documents know): 「那東部有哪些中心呢？」 starts afresh; a
        question that names no thing (none of its words is a noun or name, in jieba's
        part-of-speech tags, or English: 「後來改成什麼？什麼時候轉的」) asks about the topic of
        the turn before; so does a short one with at most one word the documents use.
        """
        if not any(m["role"] == "user" for m in history):
            return False, "no earlier question"
        # Words the corpus knows (bigrams too: 东部, 中心).
        terms = content_terms(question)
        known = [t for t in terms if self.retriever.knows(t)]
        bare = question.strip()
        match = _FOLLOW_UP.search(bare)
        if match and all(_appositive(bare, m) for m in _FOLLOW_UP.finditer(bare)):
            match = None  # 「…接手工業局這些業務」: 這些 points at 工業局, which the question names
        if match:
            # 「那東部有哪些中心（呢）？」: a leading 那 and a trailing 呢 wrap a question that asks on
            # its own (a question word of its own) and names its own topic (two known words): it
            # starts afresh. 「那生醫呢？」 asks nothing of its own: it swaps the last topic.
            opener = re.match(_OPENER.pattern, bare, re.IGNORECASE)
            rest = _TRAILING_NE.sub("", bare[opener.end() :] if opener else bare)
            asks = rules.QUESTION_MARKS.search(to_search_form(rest)) is not None
            if not _FOLLOW_UP.search(rest) and asks and len(known) >= 2:
                return (
                    False,
                    f"「{match.group(0)}」 wraps a question that names its own topic: {'、'.join(known)}",
                )
            return True, f"「{match.group(0)}」 leans on the turn before"
        if not names_a_thing(question):
            return True, "it names no thing of its own (no noun or name): it asks about the turn before"
        # Few words the corpus knows: too little to search on alone.
        in_vocabulary = [t for t in terms if t in self.retriever.bm25.vocab]
        if len(in_vocabulary) <= 1 and len(_SPACE.sub("", question)) <= 10:
            return True, "a short question with at most one word the documents use"
        return False, "it names its own topic"

    def follow_up_trace(
        self, question: str, messages: Sequence[Message], resolved: str, query: str, item: str
    ) -> dict[str, object]:
        """What the conversation lent ``question``, for the trace (empty without an earlier turn).

        ``resolved``: the question with its pointer replaced; ``query``: what was searched;
        ``item``: the item of the last answer's list it asks about ("" if none).
        """
        if not messages:
            return {}
        recent = list(messages)[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        continues, why = self.follow_up_verdict(question, recent)
        return {
            "continues": continues,
            "why": why,
            "resolved": resolved,
            "searched": query,
            "list_item": item,
        }

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

    def search_query(self, question: str, history: Sequence[Message], asked_as: str = "") -> tuple[str, str]:
        """The text to search with, and the context it borrowed from earlier turns ("" if none).

        ``那生醫呢？`` after ``材化領域的研發重點是什麼？`` becomes ``生医领域的研发重点是什么？``
        (the earlier question with its topic swapped); other follow-ups search with the
        earlier question(s) prepended. ``asked_as``: the whole cleaned question when
        ``question`` is its focus (那募資的部分呢 continues a turn even as 募資的部分).
        """
        recent = list(history)[-self.settings.max_history_turns :] if self.settings.max_history_turns else []
        if not self.is_follow_up(asked_as or question, recent):
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
        named = things[n - 1 : n] if 0 < n <= len(things) else named[: self.settings.max_names_from_answer]
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

    def answer_document(self, messages: Sequence[Message]) -> NamedDocuments:
        """The document the latest answer came from, as the scope of a follow-up that names none.

        「衍生新創拿到的股權也是照40%繳嗎？」 after an answer quoted from a regulation asks about that
        regulation: the document is the one that holds every one of the passages that match the
        answer best (``settings.answer_scope_passages``, BM25); none when they disagree, when the
        corpus has one document, or when there is no earlier answer.
        """
        most = self.settings.answer_scope_passages
        answers = [m["content"] for m in messages if m["role"] == "assistant"]
        if not answers or most <= 0 or len(self.retriever.document_titles()) < 2:
            return NamedDocuments()
        found = self.retriever.search(answers[-1], k=most, mode="bm25")
        sources = {p.source for p in found}
        if len(found) < most or len(sources) != 1:
            return NamedDocuments()
        return NamedDocuments({sources.pop(): []})

    def _list_item(self, focus: str, messages: Sequence[Message]) -> str:
        """The item of the latest answer's list a follow-up asks about (第二個, 其中跟股票有關的), or "".

        The list is the clause with the most 、 of the latest answer that has one; the item is the n-th for
        第n個, else the one item that holds a word of the question.
        """
        answers = [m["content"] for m in messages if m["role"] == "assistant"]
        items = next((found for found in map(list_items, reversed(answers)) if len(found) >= 3), [])
        if not items:
            return ""
        ordinal = _ORDINAL.search(focus)
        if ordinal:
            n = _ordinal_number(ordinal.group(1))
            return items[n - 1] if 0 < n <= len(items) else ""
        if not _ASKS_WHICH_ITEM.search(focus):
            return ""
        words = [w for w in content_terms(focus) if len(w) >= 2]
        hits = [
            item
            for item in items
            if any(
                shapes.held_share([((w,), 1.0)], item, self.settings.shortened_term_gap) == 1.0 for w in words
            )
        ]
        return hits[0] if len(hits) == 1 else ""

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
