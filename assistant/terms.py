"""The question's weighted terms, and which of them are topical words the documents never use
(judged, not vetoed: verbs, paraphrase, compounds of known words and slips of the segmenter
are not)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.bilingual import acronyms
from assistant.evidence import QueryTerms, Term, is_chinese
from assistant.lexicon import (
    ENGLISH_INTENT_WORDS,
    INTENT_WORDS,
    NOMINAL_TAGS,
    content_terms,
    everyday_word,
    general_frequency,
    general_tag,
    part_of_speech,
    verb_stem,
)
from assistant.query import question_numbers
from assistant.shapes import DOCUMENT_WORDS
from core.settings import Settings
from core.text import count_cjk, to_search_form
from core.years import calendar_forms

#: What comes right before a verb (search form): a modal or an adverb (要牽線, 怎麼形容).
_BEFORE_VERB = re.compile(
    r"(要|想|会|能|可以|怎么|怎样|如何|为何|为什么|该|应该|是否|不|没|曾|已经|都|也|还|就|才|来|去)$"
)


#: What follows the attribute a question asks for (search form): 的電話「是幾號」, 的主任「是誰」.
_ASKED_RIGHT_AFTER = r"(?:是|有|为|叫)?(?:谁|几|多少|什么|哪|啥|吗|呢|[?？]|$)"
#: What follows a person's title asked for without 的 (search form): 經濟部長「是誰」.
_ASKED_WHO = r"(?:是谁|是哪位|叫什么名字)"
#: What follows an attribute asked for without 的 (search form): 通過率「多少」, 稅率「是多少」,
#: 承貸銀行「有哪幾家」 (which of them, or how many).
_ASKED_AMOUNT = r"(?:是|有|为|大概|大约|约)?(?:多少|哪?几|哪些)"

#: Characters of question words: a "word" holding one is a slip of the segmenter (歸+誰).
_QUESTION_CHARS = frozenset("谁哪几啥吗呢么")
#: Part-of-speech tags (jieba) of names of places and organisations: topical however common.
PROPER_TAGS = frozenset({"ns", "nt"})
#: Tags of the names the answering passage must mention (a place, an organisation): 「國科會的
#: 產學合作計畫」 is not answered by a passage about the ministry's own programmes.
NAMED_TAGS = PROPER_TAGS


#: Function characters the segmenter sometimes glues onto a neighbouring word (search form).
#: 「在台南」 right before a word: the word is what happens there (設點), not a topic.
_AT_PLACE = re.compile(r"在([\u4e00-\u9fff]{2,3})$")


#: Characters that make a word for people or kinds out of another: 觀光業, 業者, 學界.
_SUFFIXES = frozenset("业者界员们类型性化式")


#: The end of a clause, after optional particles (了, 啦): 卡關了，
_CLAUSE_END = r"[了啦啊呀喔嘛]?(?:[，,。？?！!；;]|$)"


#: Most characters of the question before or after a guessed word read as part of a word of the
#: documents it was cut from (:meth:`TermJudge._slip_across_word`): 青創 of 青創+貸裡.
_SLIP_REACH = 3

#: The last character of an agency's short name (search form): 環保局, 國稅局, 衛生署, 地政處.
_AGENCY_KINDS = frozenset("局署处部会所厅")
#: Characters of an agency's name that say its level or place, not its field (國稅局's 國).
_AGENCY_LEVELS = frozenset("国中央地方省市县区乡镇全")

#: Mandarin's aspect markers (search form): they close the verb before them.
_ASPECT = frozenset("过着了")

_GLUE = frozenset("做想是有跟在帮的了要把被给对和与及或也都就还才会能可算让从向到")


class TermJudge:
    """Question terms and their judgement, mixed into the Assistant (reads its retriever)."""

    settings: Settings
    retriever: Any

    def query_terms(self, question: str, context: str, sources: Sequence[str] = ()) -> QueryTerms:
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
            weights.setdefault(term, self.settings.context_term_weight * retriever.bm25.idf_of(term))
        asked_terms = set(current)
        terms = []
        foreign = []
        strangers: list[str] = []
        foreign_weight = 0.0
        asked = to_search_form(question)
        bridged = retriever.english_words(" ".join([question, context]))
        names: dict[str, tuple[str, ...]] = {}
        years = calendar_forms(asked)
        for term, weight in weights.items():
            forms = (term, *retriever.glossary.aliases_of(term), *self._agency_names(term))
            if term in years:
                # 民國86年 is 1997 and 2014 is 103年 (core.years): a document writes either; one
                # that writes only the other weighs the term as its form does.
                forms = (*forms, *years[term])
                if not retriever.knows(term) and any(retriever.knows(f) for f in years[term]):
                    weight = max(retriever.bm25.idf_of(f) for f in years[term] if retriever.knows(f))
            # An abbreviation of a phrase the documents write more often than it (青創貸, 研發,
            # 學界科專) is matched as that phrase too; one the documents never write also weighs
            # as the phrase (青年創業貸款, 研究發展).
            expanded = [p for p in retriever.spelled_out(term) if p not in forms]
            if expanded:
                if not any(retriever.knows(f) for f in forms):
                    weight = (weight / retriever.bm25.idf_of(term)) * max(
                        retriever.bm25.idf_of(e) for e in expanded
                    )
                forms = (*forms, *expanded)
            # A verb with a direction or phase complement (撥下來, 停掉) is met by the documents'
            # words of its verb (撥付, 停止): a guess at the act, weaker evidence than the asker's
            # own word, so it weighs a share of theirs, like a translation.
            # The documents' own phrase for the act (審完: 審查完竣) names it already: their
            # verbs of it (審議, 審核) are guesses that would hold as much of the question.
            spelled = [e for e in expanded if retriever.knows(e)]
            verbs = [] if spelled else [w for w in retriever.verb_words(verb_stem(term)) if w not in forms]
            if verbs and not any(retriever.knows(f) for f in forms):
                weight = self.settings.verb_word_weight * max(retriever.bm25.idf_of(v) for v in verbs)
            forms = (*forms, *verbs)
            if not count_cjk(term):
                # An English word weighs as the documents' Chinese words for it: the glossary's
                # names, else its dictionary translations (assistant/bilingual.py), which are
                # weaker evidence than the user's own word and weigh a share.
                named = [f for f in forms if count_cjk(f)]
                translated = [
                    b.chinese for b in bridged if term in b.english.split() and b.chinese not in forms
                ]
                forms = (*forms, *translated)
                chinese, share = (named, 1.0) if named else (translated, self.settings.english_word_weight)
                if not chinese and retriever.english_name(term):
                    # Japan (日本), Kaohsiung (高雄): a name the documents write in no form
                    # names a place or body they are not about (judged below, as a place).
                    names[term] = retriever.english_name(term)
                    forms = (*forms, *names[term])
                if chinese:
                    share *= 1.0 if term in current else 0.5
                    weight = share * max(retriever.bm25.idf_of(c) for c in chinese)
            else:
                # A Chinese word of a question about English passages is met there by their
                # English words for it (assistant/bilingual.ChineseBridge); one no Chinese passage
                # uses weighs as those words, a share, like a translation.
                english = retriever.english_for(term)
                if english and not any(retriever.knows(f) for f in forms):
                    weight = self.settings.english_word_weight * max(self._idf(e) for e in english)
                forms = (*forms, *english)
            topical = term in current and self._is_foreign(term, forms, asked, sources)
            # 罰款 where the law writes 罰鍰: a topical word no document uses for a thing they
            # name with a synonym (assistant/synonyms.py) is their word put another way; it
            # weighs a share of theirs, like a translation. An everyday word they lack (給付,
            # 調整) is paraphrase already and keeps no synonym: its sense is the asker's.
            synonyms = retriever.synonyms_of(term) if topical else []
            if synonyms:
                weight = self.settings.synonym_word_weight * max(self._idf(s) for s in synonyms)
                forms, topical = (*forms, *synonyms), False
            known = True
            if topical or (
                term in current
                and (
                    self._foreign_acronym(term, question, forms)
                    or (term in names and not any(self._knows(f) for f in forms))
                )
            ):
                foreign.append(term)
                foreign_weight += weight
            elif not any(self._knows(f) for f in forms):
                # A paraphrase word no document uses (搞, 卡關, 牽線), or an English word of a
                # mixed question (technology, first) in Chinese documents, matches no
                # sentence, so it only dilutes the coverage of the words that do; meaning is
                # left to the dense similarity.
                weight = self.settings.paraphrase_weight * weight
                known = False
                if term in current and self._is_foreign(term, forms, asked, sources, everyday=True):
                    strangers.append(term)
            terms.append(Term(forms, weight, asked=term in asked_terms, known=known))
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
            strangers=tuple(strangers),
            # 「X的電話是幾號？」: the attribute asked for, after 的 and right before the question.
            foreign_heads=tuple(t for t in foreign if self._asked_attribute(t, asked)),
            question=asked,
            places=tuple(
                t.forms
                for t in terms
                if t.asked
                and t.forms[0] in current
                and (self._named(t.forms[0], foreign) or t.forms[0] in names or self._english_place(t.forms))
            ),
        )

    def _idf(self, form: str) -> float:
        """IDF of a form; an English phrase (``revolving fund``) weighs as its rarest word."""
        return max(self.retriever.bm25.idf_of(w) for w in form.split()) if form.split() else 0.0

    def _knows(self, form: str, source: str = "") -> bool:
        """Whether the documents (one of them, with ``source``) hold a form; an English phrase
        when they hold each of its words."""
        retriever = self.retriever
        knows = (lambda f: retriever.knows_in(f, source)) if source else retriever.knows
        if " " in form and not count_cjk(form):
            return all(knows(w) for w in form.split())
        return bool(knows(form))

    def _foreign_acronym(self, term: str, question: str, forms: Sequence[str]) -> bool:
        """An acronym of the question (two or more capitals: SBIR) that no document writes, when
        some passages are in English: English documents write the names they use, so one they
        never write names something else (Chinese documents may spell it out in Chinese, so
        there it is left to the dictionary and to the meaning)."""
        english = self.retriever.english_text()
        if count_cjk(term) or term not in acronyms(question) or not english:
            return False
        # Written in any form (SMEs for SME), or spelled out (Ministry of Digital Affairs: MODA).
        return not (any(self._knows(f) for f in forms) or english.count(term) or english.spells(term))

    def _is_foreign(
        self,
        term: str,
        forms: Sequence[str],
        question: str = "",
        sources: Sequence[str] = (),
        everyday: bool = False,
    ) -> bool:
        """A named thing or help-desk intent that no document mentions, in any part or alias.

        Args:
            term: A question term (search form).
            forms: The term and its aliases.
            question: The whole question (search form), to see how the term is used.
            sources: The documents expected to answer (their words count); empty for all documents.
            everyday: Judge a word of everyday Chinese as any other (for :attr:`QueryTerms.strangers`).
        """

        def knows(form: str) -> bool:
            if not sources:
                return self._knows(form)
            return any(self._knows(form, source) for source in sources)

        if term in DOCUMENT_WORDS:
            return False  # 表格, 筆記: where to look, not what is asked about
        if term in ENGLISH_INTENT_WORDS:
            return not knows(ENGLISH_INTENT_WORDS[term])
        if len(term) < 2 or not count_cjk(term):
            return False  # other English words are matched by meaning, not spelling
        if any(c in _QUESTION_CHARS for c in term):
            return False  # 歸誰: a verb glued to a question word, not a topic
        if self._slip_before_question(term, question) or self._slip_across_word(term, question):
            return False
        if term not in INTENT_WORDS and not self._asked_attribute(term, question):
            # A word of everyday Chinese the documents lack (對象, 老闆, 大陸) is how the asker
            # puts it, not what is asked about; names of places and organisations stay topical.
            if (
                not everyday
                and everyday_word(term, self.settings.common_word_frequency)
                and part_of_speech(term) not in PROPER_TAGS
            ):
                return False
        if term not in INTENT_WORDS:
            # A word right after 的 heads a noun phrase (中心的主任), whatever its dictionary tag.
            after_de = (
                bool(question)
                and f"的{term}" in question
                and not re.match(r"[一二两三四五六七八九十百千几\d]", term)
            )
            if part_of_speech(term) not in NOMINAL_TAGS and not after_de:
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
            # A word of three or more characters counts as known only as written: its bigrams
            # scattered over the documents (勞動 … 推動部分) do not make 勞動部 a word of theirs.
            if knows(form) and (len(form) < 3 or not count_cjk(form) or self.retriever.occurs(form)):
                return False
            if self.retriever.knows_compound(form):
                return False
            # The segmenter glued a function character to a known word: 做+場域, 科專+想.
            if len(form) == 3 and (
                (form[0] in _GLUE and self.retriever.knows(form[1:]))
                or (form[-1] in _GLUE and self.retriever.knows(form[:-1]))
            ):
                return False
            if self.retriever.knows_abbreviation(form):
                return False  # 國安 for 國家安全: the first character of each word
        return not (question and self._variant_in_phrase(term, question))

    def _agency_names(self, term: str) -> tuple[str, ...]:
        """What the documents write for an agency the question names by a shortened field and its
        kind (環保局: 環境保護, the field 環保 shortens), or the agencies they name by a character
        of the same field (國稅局: 稅捐稽徵機關): how the asker puts what they write, matched as
        it (search form; empty for other terms)."""
        stem = term[:-1]
        if term[-1:] not in _AGENCY_KINDS or len(stem) < 2 or count_cjk(stem) != len(stem):
            return ()
        spelled = self.retriever.spelled_out(stem)
        if spelled:
            return tuple(spelled)
        if term[-1] not in "局署处":
            return ()  # a ministry or council (勞動部) has a name of its own
        # Not by its level or place (國稅局's 國).
        names = (
            name
            for c in stem
            if c not in _AGENCY_LEVELS
            for name in self.retriever.written(re.compile(rf"({c}[\u4e00-\u9fff]{{1,3}}(?:机关|局|署|处))"))
        )
        return tuple(dict.fromkeys(names))[:3]

    @staticmethod
    def _named(term: str, foreign: Sequence[str]) -> bool:
        """Whether the answering passage must mention ``term``: a place (tag ``ns``), or an
        organisation (``nt``) some document names (one no document names is judged as foreign).

        A city or county is often written without its 市 or 縣 (基隆, 台中, 嘉義), which the
        segmenter's dictionary tags as a name or not at all: it is a place when the word with
        the suffix is a place of that dictionary (基隆市 is tagged ``ns`` and counted; a guess of
        the segmenter's for a word it does not know, 幾念縣, is not).
        """
        # The dictionary's own tag first: words the documents taught the segmenter lose theirs.
        tag = general_tag(term) or part_of_speech(term)
        if tag not in ("ns", "f") and count_cjk(term) == len(term) == 2:  # not 南部 (f, a direction)
            cities = (term + suffix for suffix in "市县")
            tag = "ns" if any(general_tag(c) == "ns" for c in cities) else tag
        return tag == "ns" or (tag in NAMED_TAGS and term not in foreign)

    @staticmethod
    def _english_place(forms: Sequence[str]) -> bool:
        """Whether an English word names a city or county by the documents' Chinese word for it
        (Taipei: 台北, whose 台北市 is a place of jieba's dictionary): the answering passage must
        name it as it must a place a Chinese question names (:meth:`_named`). A country (Taiwan:
        台灣) is where every document's programme is, not one place among others."""
        return not count_cjk(forms[0]) and any(
            count_cjk(f) == len(f) == 2 and any(general_tag(f + suffix) == "ns" for suffix in "市县")
            for f in forms[1:]
        )

    @staticmethod
    def _asked_attribute(term: str, question: str) -> bool:
        """Whether ``term`` is the attribute the question asks for: 的電話是幾號, 稅率是多少."""
        if not question:
            return False
        t = re.escape(term)
        return bool(
            re.search(f"的{t}{_ASKED_RIGHT_AFTER}", question)
            or re.search(f"{t}{_ASKED_WHO}", question)
            or re.search(f"{t}{_ASKED_AMOUNT}", question)
        )

    def _slip_before_question(self, term: str, question: str) -> bool:
        """Whether a three-character term is a known word plus the first character of the
        question frame after it: 時間+差幾年, 經費+多多少 (the segmenter glued them)."""
        if len(term) != 3 or not question or not self.retriever.knows(term[:2]):
            return False
        after = question.find(term) + len(term)
        return part_of_speech(term[2]) in {"a", "v", "d", "ad"} and bool(
            re.match(r"(?:多少|几|什么|哪)", question[after:])
        )

    def _slip_across_word(self, term: str, question: str) -> bool:
        """Whether a word the segmenter guessed (its dictionary lacks it) is one character plus
        the start or end of a word of the documents written next to it: 抵+減率 for 抵減率, 辦青+創貸
        for 辦+青創貸, 青創+貸裡 for 青創貸+裡, or an aspect marker and the start of what the
        documents write (過+木竹 for 輔導過|木竹製品業, the documents' words at any frequency).

        The segmenter cuts strings its dictionary lacks by guess; a cut that splits a word the
        documents use says nothing about what the question is about. A word of the documents
        here is one they use as written whose every bigram at least
        ``Settings.typo_min_corpus_frequency`` passages hold (抵減), or an abbreviation of one of
        their phrases (青創貸 for 青年創業貸款, :meth:`Retriever.knows_abbreviation`).
        """
        if len(term) < 2 or general_frequency(term) or not question:
            return False
        for match in re.finditer(re.escape(term), question):
            # An aspect marker (過, 著, 了) the segmenter took from the verb before it: 輔導過+木竹
            # of 輔導過|木竹製品業; the rest begins what the documents write.
            rest = question[match.start() + 1 : match.start() + 1 + 4]
            after_verb = any(
                general_tag(question[match.start() - n : match.start()]).startswith("v")
                for n in (2, 1)
                if match.start() >= n
            )
            if (
                term[0] in _ASPECT
                and after_verb
                and any(count_cjk(rest[:n]) == n and self.retriever.occurs(rest[:n]) for n in (4, 3, 2))
            ):
                return True
            start, end = match.start(), match.end()
            for k in range(1, _SLIP_REACH + 1):
                # All but the term's last character end a word begun k characters before it, or
                # all but its first begin one that runs on k after it; the characters lent are
                # no function characters (的職 of 的+職訓 is no word).
                lent = (question[start - k : start], question[end : end + k])
                joined = (question[start - k : end - 1], question[start + 1 : end + k])
                if any(
                    len(extra) == k
                    and count_cjk(word) == len(word)
                    and not set(extra) & _GLUE
                    and self._documents_word(word)
                    for extra, word in zip(lent, joined, strict=True)
                ):
                    return True
        return False

    def _documents_word(self, form: str) -> bool:
        """Whether the documents use ``form`` (search form) as a word (:meth:`_slip_across_word`)."""
        retriever = self.retriever
        floor = self.settings.typo_min_corpus_frequency
        if retriever.knows_abbreviation(form):
            return True
        grams = [form[i : i + 2] for i in range(len(form) - 1)]
        return all(retriever.bm25.document_frequency(g) >= floor for g in grams) and retriever.occurs(form)

    def _variant_in_phrase(self, term: str, question: str) -> bool:
        """Whether ``term`` is another word for one the documents write in the same phrase: 租金
        of 「共享空間租金補助」 where they write 共享空間租賃 and 租賃補助.

        The question writes ``term`` right next to a word of the documents (the neighbour, of
        ``Settings.variant_neighbour_chars`` characters or more: 補助); the documents write, on
        the same side of that neighbour, a word of the same length that jieba's dictionary holds
        and that shares at least half of ``term``'s characters in the same places (租賃 for
        租金). Paraphrase keeps the phrase it sits in; a topic the documents lack (電話, 銀行)
        does not take the place of one of their words next to their own.
        """
        size = len(term)
        if count_cjk(term) != size or size > 4:
            return False
        least = self.settings.variant_neighbour_chars
        slot = f"([\u4e00-\u9fff]{{{size}}})"
        neighbours = {
            (side, after)
            for match in re.finditer(re.escape(term), question)
            for k in range(least, least + 3)
            for side, after in (
                (question[match.end() : match.end() + k], True),
                (question[max(0, match.start() - k) : match.start()], False),
            )
            if len(side) == k and count_cjk(side) == k
        }
        for neighbour, after in neighbours:
            if not self.retriever.occurs(neighbour):
                continue
            pattern = slot + re.escape(neighbour) if after else re.escape(neighbour) + slot
            written = set(self.retriever.written(re.compile(pattern)))
            if any(
                word != term
                and 2 * sum(a == b for a, b in zip(word, term, strict=True)) >= size
                and general_frequency(word) > 0
                for word in written
            ):
                return True
        return False

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

    def _thin(self, focus: str) -> bool:
        """Whether a focus clause names at most one thing the documents know (它主要做哪些領域？)."""
        return sum(1 for t in content_terms(focus) if self.retriever.knows(t)) <= 1
