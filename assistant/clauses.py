"""Questions that ask several things at once: each asking clause gets its own cited sentence.

「SBIR Phase 1 審查的簡報要講多久？委員提問又多久？」 and "How many SBIR projects can one company
run at the same time, and what score does the first one need before applying for a second?" ask
two things. The whole question is answered as usual (:meth:`Assistant._plan_once`); then each of
its asking clauses (:attr:`Query.focus`, cut at its commas; a clause asks when it has a question
word or mark of its own, :func:`assistant.rules.clause_role`) is scored on its own words (a clause
that names no thing takes the other clauses' words as context) and meaning over the passages of the whole question and those found for the clause alone
(``part_read_passages``), and its best sentence of the kind that clause asks for is added
when the answer does not cite it yet and it supports the clause (``refusal_threshold``). A
clause that names nothing to look for (「什麼時候轉的」) adds nothing. Every clause's decision is
in the trace (``clauses``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from assistant.evidence import Composition, Evidence, QueryTerms, SentenceRecord, write_answer
from assistant.lexicon import names_a_thing
from assistant.reply import Citation, Passage
from assistant.rules import ASKS_CONSEQUENCE, answer_type_ok, asked_types, clause_role
from core.settings import Settings
from core.text import to_search_form, to_traditional


class ClauseAnswers:
    """Answers to each asking clause of a question, mixed into the Assistant."""

    settings: Settings
    embeddings: Any
    answerer: Any
    retriever: Any
    query_terms: Callable[..., QueryTerms]
    _sentence_records: Callable[[Passage], list[SentenceRecord]]

    def _answer_each_clause(
        self,
        focus: str,
        composed: Composition,
        passages: Sequence[Passage],
        background: str,
        scope: Any,
        convert: Callable[[str], str],
    ) -> list[dict[str, object]]:
        """Add to ``composed`` the best sentence of each asking clause of ``focus`` it lacks.

        Args:
            focus: The question's asking clauses, joined by ``，`` (:attr:`Query.focus`).
            composed: The answer to the whole question (changed in place when a clause adds one).
            passages: The passages the answer was chosen from.
            background: Background and earlier turns, which weigh less (as for the whole question).
            scope: The documents the question is confined to (``QueryTerms.scope``).
            convert: Script conversion of the answer text.

        Returns:
            One record per clause for the trace: the clause, the sentence it found, its support,
            and what was decided. Empty for a question of one clause, a refused one, or one
            answered part by part (:mod:`assistant.parts`).
        """
        # Only clauses that ask count: keywords (苗栗 中心 推動主軸) are one question, not three.
        clauses = [
            c.strip()
            for c in _clauses(focus)
            if clause_role(to_search_form(c.strip())) == "focus" and not checks_value(c)
        ]
        if composed.refused or len(clauses) < 2 or "parts" in composed.diagnostics:
            return []  # a multi-part answer (assistant/parts.py) has decided each part already
        cited = {(c.passage_id, c.start) for c in composed.citations}
        added = []
        trace: list[dict[str, object]] = []
        asked = {c: self.query_terms(c, "") for c in clauses}
        for clause in clauses:
            # A clause that names no thing takes the others' topic: 「法人科技專案是什麼？主要補助誰？」
            # asks whom *it* funds.
            others = "" if names_a_thing(clause) else "，".join(c for c in clauses if c != clause)
            terms = replace(
                self.query_terms(clause, "，".join(filter(None, [background, others]))), scope=scope
            )
            theirs = other_clauses_words(clause, asked)
            record: dict[str, object] = {"clause": clause}
            trace.append(record)
            searched, leans = clause, False
            if not any(t.asked and t.known for t in terms.terms):
                if not others or not self._asks_beyond(clause, composed):
                    record["decision"] = "names nothing the documents use: adds nothing"
                    continue
                # 「要向誰交年度報告？不交的話會怎樣？」: a clause that asks, of no thing it names,
                # what follows from a condition, or a kind of answer the cited sentences lack,
                # asks it of the thing the other clauses name; its sentence is another than theirs.
                searched, leans = f"{others}，{clause}", True
                terms = replace(self.query_terms(searched, background), scope=scope)
                theirs = []
            vector = np.asarray(self.embeddings.embed_query(searched), np.float32)
            # The clause is searched on its own too: its sentence may rank low for the whole question.
            known = {p.id for p in passages}
            found = self.retriever.search(searched, k=self.settings.part_read_passages, vector=vector)
            read = [*passages, *(p for p in found if p.id not in known)]
            evidence = self.answerer.score(terms, vector, read, self._sentence_records)
            depth = evidence[: self.settings.type_search_depth]
            # The kind of answer is the clause's own (who for 向誰交, none for 不交會怎樣).
            kind = to_search_form(clause) if leans else terms.question
            typed = [e for e in depth if answer_type_ok(kind, e.sentence.text)]
            if leans:  # the other clauses' sentences answer them, not this one
                typed = [
                    e
                    for e in typed
                    if (e.passage.id, e.sentence.start) not in cited and not quoted(composed.citations, e)
                ]
            if not typed:
                record["decision"] = "no sentence of the kind it asks for"
                continue
            # 「申請轉調要準備哪些文件？接收的單位又要交哪些？」: each clause's sentence is the one
            # that says least of what only another clause asks about (接收, 單位), best first.
            best = typed[0]
            fewer = [
                e
                for e in typed
                if e.support >= self.settings.refusal_threshold
                and held(theirs, e.sentence.text) < held(theirs, best.sentence.text)
            ]
            if fewer:
                best = fewer[0]
                record["other_clauses"] = (
                    f"passed over sentences holding more of {to_traditional('、'.join(theirs[:4]))}, which only another clause asks about"
                )
            record.update(sentence=best.sentence.text[:80], support=round(best.support, 3))
            key = (best.passage.id, best.sentence.start)
            if key in cited or quoted(composed.citations, best):
                record["decision"] = "the answer cites its sentence already"
            elif best.support < self.settings.refusal_threshold:
                record["decision"] = f"support below refusal_threshold ({self.settings.refusal_threshold})"
            else:
                record["decision"] = f"added (asked of 「{to_traditional(others)}」)" if leans else "added"
                cited.add(key)
                added.append(best)
        if added:
            more = write_answer(added, composed.support, {}, convert, first=len(composed.citations) + 1)
            composed.answer += more.answer
            composed.citations = [*composed.citations, *more.citations]
        return trace

    @staticmethod
    def _asks_beyond(clause: str, composed: Composition) -> bool:
        """Whether a clause that names no thing asks beyond what the answer cites: the
        consequence of a condition it states (:data:`assistant.rules.ASKS_CONSEQUENCE`), or a
        kind of answer (a duration, a count, :func:`assistant.rules.asked_types`) no cited
        sentence holds. 「最多可以補幾個月」 beside a cited 「最長補助6個月」 asks nothing more."""
        asked = to_search_form(clause)
        if ASKS_CONSEQUENCE.search(asked):
            return True
        said = [q.quote for c in composed.citations for q in c.each_quote()]
        return bool(asked_types(asked)) and not any(answer_type_ok(asked, text) for text in said)


def _clauses(focus: str) -> list[str]:
    """The clauses of ``focus``: cut at its commas, and at an enumeration comma (、) when every
    piece it cuts asks on its own (「哪天發布、從哪天開始實施」 asks two things; 「年酬勞、獎金、加班費
    各有什麼上限」 one thing of three)."""
    out: list[str] = []
    for clause in focus.split("，"):
        pieces = [p for p in clause.split("、") if p.strip()]
        asking = len(pieces) > 1 and all(clause_role(to_search_form(p.strip())) == "focus" for p in pieces)
        out.extend(pieces if asking else [clause])
    return out


#: A clause that only checks the value the clause before asks for (search form): 「是2022年嗎」,
#: 「是不是1979年？」, 「應該是5組吧」: a figure with its unit and a checking ending, no thing of its own.
_CHECKS_VALUE = re.compile(
    r"^(?:是不是|应该是|应该|就是|大概是|是)?\s*[\d.,]+\s*[年月日号组个项家位名%％亿万元]{0,3}"
    r"\s*(?:吗|吧|对吗|对吧|没错吧|是吗|嘛)?\s*[?？]?$"
)


def checks_value(clause: str) -> bool:
    """Whether ``clause`` only checks the value another clause asks for (「…是哪天修正發布的？是2022年嗎」):
    it is no question of its own, so it neither adds a sentence nor makes the other clause pass
    over sentences that hold its figure (the year the answer is)."""
    return bool(_CHECKS_VALUE.match(to_search_form(clause.strip())))


def quoted(citations: Sequence[Citation], ev: Evidence) -> bool:
    """Whether a quote of ``citations`` holds the sentence of ``ev`` already: a quote that grew
    over it (a rule's lead-in quoted with its items 一、…二、…) cites it, though it starts elsewhere."""
    return any(
        q.source == ev.passage.source and q.start <= ev.sentence.start and ev.sentence.end <= q.end
        for c in citations
        for q in c.each_quote()
    )


def other_clauses_words(clause: str, asked: dict[str, QueryTerms]) -> list[str]:
    """The words (search form) the other clauses of ``asked`` ask about and ``clause`` does not
    say: 接收 and 單位 for 「申請轉調要準備哪些文件」 beside 「接收的單位又要交哪些」."""
    mine = to_search_form(clause)
    return list(
        dict.fromkeys(
            t.forms[0]
            for other, terms in asked.items()
            if other != clause
            for t in terms.terms
            if t.asked and t.known and not any(f in mine for f in t.forms)
        )
    )


def held(words: Sequence[str], text: str) -> int:
    """How many of ``words`` (search form) ``text`` holds."""
    said = to_search_form(text)
    return sum(w in said for w in words)
