"""Extractive answers: pick the sentences that answer the question, cite them, or refuse.

No language model is needed. Every sentence of the retrieved passages is scored by how
well it answers the question:

* meaning: cosine similarity of the question and sentence embeddings (e5);
* coverage: the share of the question's content words (IDF-weighted, matched after
  script normalisation, aliases allowed) that the sentence holds, and its passage holds;
* the retrieval rank of its passage.

The best sentences become the answer, each followed by its citation marker. The question
is refused when the best evidence does not support it well enough, when it asks about
things the documents never mention (words foreign to the whole corpus, such as 電話 or
預算), when it names a number the evidence lacks, or when the evidence is not of the kind
asked for (a year for "哪一年", a count for "幾組", a name for "叫什麼"). A confident
wrong answer is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.cite import Citation, Passage
from ingest.normalize import count_cjk, to_search_form

#: Shown when the documents do not hold the answer.
REFUSAL_HANT = (
    "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。"
    "我只能依據經濟部科技專案相關文件回答，例如科技專案的類型與沿革、重點研發領域、"
    "新創誘因與成果，以及各區域產業研發中心。"
)
#: Shorter sentences (a call-out's name or place label) are never evidence on their own.
MIN_EVIDENCE_CHARS = 12
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# Attempts to make the assistant drop its rules: refused outright.
_INJECTION = re.compile(
    r"(忽略|无视|不要理|别管|ignore|disregard|forget).{0,16}(指示|指令|规则|提示|设定|instruction|rule|prompt)"
    r"|system\s*prompt|系统提示|你现在是|现在开始你是|jailbreak|developer mode|开发者模式|管理员指令|假装你是|角色扮演"
    r"|不需要引用|不用引用|直接编|编一个",
    re.IGNORECASE,
)

# Answer types, matched on the question and on the evidence (both in search form).
_ASKS_TIME = re.compile(r"哪一?年|何年|何时|什么时候|几月|哪个月|哪一天|日期|\bwhen\b|what year|which year")
_ASKS_COUNT = re.compile(r"多少|(?<!哪)几[个组家项位种类大间所次名笔队]|how many|how much|总共|一共")
_ASKS_PLACE = re.compile(
    r"(?<![差归加推])在哪(?!个领域|些领域|一个领域)|哪个县|哪个市|哪个城市|哪些县市|位于|设在哪|\bwhere\b"
)
_HAS_PLACE = re.compile(r"县|(?<!城)市(?![场值])|[乡镇](?!定)|位于")
# What a call-out line is (see ingest.split): its role, and the words that ask for it.
_ROLE_ASKED = {
    "的任務：": re.compile(
        r"任务|使命|目的|目标|角色|功能|定位|为了|想要|希望|要做|在做|帮|协助|purpose|mission|role"
    ),
    "的重點領域：": re.compile(r"重点|领域|主轴|方向|聚焦|着重|专长|投入|focus|areas?"),
}
_ASKS_START = re.compile(r"开始|起步|开跑|启动|成立|创立|开办|最早|首次|推出|\bstart|\bbegin|\blaunch")
_HAS_START = re.compile(r"[自于从]\d{4}|\d{4}年[^，。]{0,3}(起|开始|启动|实施|推动|成立|设立|转型)")
_ASKS_EXAMPLE = re.compile(r"例子|例如|举例|比如|举个|for example|such as|examples?")
_HAS_EXAMPLE = re.compile(r"如：|例如|比如|诸如|像是|\(如|（如")
_ASKS_MONEY = re.compile(r"多少钱|多少元|金额|how much money")
_HAS_MONEY = re.compile(r"元|亿|万|\$|nt\$")
_ASKS_DURATION = re.compile(r"期间|多久|多长时间|(?<![这哪那近])几年|how long")
_HAS_DURATION = re.compile(r"(?<!\d)\d{1,2}年(?!\d)|[一二两三四五六七八九十]+年|个月|年内|年间|天内")
_ASKS_NAME = re.compile(
    r"名字|名称|全名|叫什么|叫做什么|哪几[队家位]|哪些(?:公司|团队|厂商|企业|人)|\bname\b|\bcalled\b"
)
_HAS_TIME = re.compile(r"\d{4}|\d+年|\d+月|民国")
_HAS_COUNT = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+[个组家项位年种类大方笔元亿万]")
_HAS_NAME = re.compile(r"「|」|中心|园区|计划|计画|方案|办法|技术司|经济部|机构|法人|学界|业界")
_CONTINUES = re.compile(r"^(其次|此外|另在|另外|另於|再者|同時|並於|又在|最後)")
_ASKS_LIST = re.compile(
    r"哪些|哪几|有什么|有几|分别|各[是自有]|列出|不同|差别|差在|比较|\bwhich\b|\bwhat are\b"
)


@dataclass(frozen=True)
class Term:
    """A question term: its forms (the term and its aliases, search form) and weight."""

    forms: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class QueryTerms:
    """What the question asks about.

    Attributes:
        terms: Weighted terms; follow-up context terms carry a lower weight.
        numbers: Numbers written in the question (years, amounts), which evidence must hold.
        cjk: True when the question is Chinese, so word coverage is meaningful.
        foreign: Question terms that occur nowhere in the documents (under any alias).
        foreign_share: Their share of the question's term weight.
        question: The question in search form (for answer-type detection).
    """

    terms: tuple[Term, ...]
    numbers: tuple[str, ...]
    cjk: bool
    foreign: tuple[str, ...] = ()
    foreign_share: float = 0.0
    question: str = ""


@dataclass(frozen=True)
class SentenceRecord:
    """A stored sentence with its embedding."""

    id: str
    text: str
    start: int
    end: int
    vector: np.ndarray
    context: str = ""


@dataclass
class Evidence:
    """A scored candidate sentence."""

    sentence: SentenceRecord
    passage: Passage
    rank: int
    dense: float
    coverage: float
    context_coverage: float
    score: float = 0.0
    support: float = 0.0


@dataclass
class Composition:
    """The answerer's output."""

    answer: str
    citations: list[Citation]
    refused: bool
    support: float
    diagnostics: dict[str, float | str] = field(default_factory=dict)


#: Characters after which a word starts afresh (search form): an occurrence right after any
#: other Chinese character is part of a longer, more specific name (學界科技專案 ⊃ 科技專案).
_WORD_START = set("的与及和或称在对将把为以由从自于等各是、，。；：「『（(“ \n") | set("0123456789")


def _form_match(form: str, text: str) -> float:
    """How well ``form`` occurs in ``text`` (both search form).

    1 for an occurrence that starts a word; 0.7 when it only occurs inside a longer name;
    else the share of its bigrams found (at least 3/4 of them), for segmentation mismatches.
    """
    if form in text:
        pos = text.find(form)
        while pos >= 0:
            if pos == 0 or text[pos - 1] in _WORD_START or not count_cjk(text[pos - 1]):
                return 1.0
            pos = text.find(form, pos + 1)
        return 0.7 if count_cjk(form) >= 3 else 1.0
    if len(form) < 3 or not count_cjk(form):
        return 0.0
    grams = [form[i : i + 2] for i in range(len(form) - 1)]
    hit = sum(1 for g in grams if g in text) / len(grams)
    return hit if hit >= 0.75 else 0.0


def coverage(terms: Sequence[Term], text: str) -> float:
    """Weighted share of ``terms`` found in ``text`` (any form), 0-1."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    norm = to_search_form(text)
    return sum(t.weight * max(_form_match(f, norm) for f in t.forms) for t in terms) / total


def _numbers_supported(numbers: Sequence[str], text: str) -> bool:
    found = set(_NUMBER.findall(to_search_form(text)))
    return all(n in found for n in numbers)


def answer_type_ok(question: str, evidence_text: str) -> bool:
    """Whether the evidence holds the kind of thing the question asks for (search forms)."""
    text = to_search_form(evidence_text)
    if _ASKS_TIME.search(question) and not _HAS_TIME.search(text):
        return False
    if _ASKS_TIME.search(question) and _ASKS_START.search(question) and not _HAS_START.search(text):
        return False
    if _ASKS_COUNT.search(question) and not _HAS_COUNT.search(text):
        return False
    if _ASKS_DURATION.search(question) and not _HAS_DURATION.search(text):
        return False
    if _ASKS_MONEY.search(question) and not _HAS_MONEY.search(text):
        return False
    if _ASKS_PLACE.search(question) and not _HAS_PLACE.search(text):
        return False
    if _ASKS_EXAMPLE.search(question) and not _HAS_EXAMPLE.search(text):
        return False
    return not (_ASKS_NAME.search(question) and not _HAS_NAME.search(text))


def _with_marker(text: str, n: int) -> str:
    """Put ``[n]`` before the sentence's closing punctuation: ``…轉型[1]。``."""
    body = text.rstrip()
    match = re.search(r"[。！？；;!?]+$", body)
    if match:
        return f"{body[: match.start()]}[{n}]。"
    return f"{body}[{n}]。"


def _near_duplicate(a: str, b: str) -> bool:
    """Whether two sentences say nearly the same thing (character-bigram overlap)."""
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return a == b
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) >= 0.6


def _labels(passage: Passage) -> set[str]:
    """The name and place lines of a call-out passage: labels, not statements."""
    if passage.kind != "center":
        return set()
    return set(passage.text.split("\n")[:2])


class ExtractiveAnswerer:
    """Chooses evidence sentences and writes a cited answer, or refuses.

    Args:
        max_sentences: Most sentences in an answer.
        refusal_threshold: Minimum support (0-1) to answer.
        foreign_limit: Largest share of question weight that may be foreign to the corpus.
        dense_floor: e5 cosine similarity that counts as no semantic match at all.
        dense_span: Similarity above the floor that counts as a full match.
        cross_lingual_floor: The floor for questions not written in Chinese (e5's
            cross-lingual similarities sit lower).
    """

    def __init__(
        self,
        max_sentences: int = 3,
        refusal_threshold: float = 0.5,
        foreign_limit: float = 0.25,
        dense_floor: float = 0.78,
        dense_span: float = 0.12,
        cross_lingual_floor: float = 0.70,
    ) -> None:
        self.max_sentences = max_sentences
        self.refusal_threshold = refusal_threshold
        self.foreign_limit = foreign_limit
        self.dense_floor = dense_floor
        self.dense_span = dense_span
        self.cross_lingual_floor = cross_lingual_floor
        #: Sentence score = coverage, passage coverage, meaning, retrieval rank (Chinese questions).
        self.weights = (0.45, 0.15, 0.3, 0.1)

    def _dense_norm(self, sim: float, cjk: bool) -> float:
        floor = self.dense_floor if cjk else self.cross_lingual_floor
        return float(np.clip((sim - floor) / self.dense_span, 0.0, 1.0))

    def score(
        self,
        query: QueryTerms,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        sentences: Callable[[Passage], Sequence[SentenceRecord]],
    ) -> list[Evidence]:
        """Every sentence of ``passages`` scored against the question, best first."""
        seen: set[str] = set()
        out: list[Evidence] = []
        for rank, passage in enumerate(passages):
            context_cov = coverage(query.terms, f"{passage.section}\n{passage.text}")
            labels = _labels(passage)
            for sent in sentences(passage):
                if sent.id in seen or sent.text in labels or len(sent.text) < MIN_EVIDENCE_CHARS:
                    continue  # a bare name or place label proves nothing on its own
                if _INJECTION.search(to_search_form(sent.text)):
                    continue  # a document telling the assistant what to do is no evidence
                seen.add(sent.id)
                dense = float(np.dot(sent.vector, query_vector))
                cov = coverage(query.terms, sent.context + sent.text)
                ev = Evidence(sent, passage, rank, dense, cov, context_cov)
                dn = self._dense_norm(dense, query.cjk)
                prior = 1.0 / (1.0 + rank)
                role = next((r for r in _ROLE_ASKED if sent.context.endswith(r)), "")
                role_bonus = 0.15 if role == "的任務：" and _ROLE_ASKED[role].search(query.question) else 0.0
                if query.cjk:
                    w_cov, w_ctx, w_dense, w_prior = self.weights
                    ev.score = w_cov * cov + w_ctx * context_cov + w_dense * dn + w_prior * prior + role_bonus
                    ev.support = 0.5 * max(cov, 0.8 * context_cov) + 0.5 * dn
                else:
                    ev.score = 0.8 * dn + 0.2 * prior + role_bonus
                    ev.support = dn
                if not _numbers_supported(query.numbers, passage.text):
                    ev.support = 0.0
                out.append(ev)
        out.sort(key=lambda e: -e.score)
        return out

    def _primary(self, chosen: Evidence, evidence: Sequence[Evidence]) -> Evidence:
        """The body sentence a figure call-out line repeats, if there is one: cite the text, not the figure.

        The map's call-out boxes summarise sentences of the body text; the body sentence also
        names the center and its city, so it stands on its own.
        """
        if chosen.passage.kind != "center":
            return chosen
        line = to_search_form(chosen.sentence.text)
        grams = {line[i : i + 2] for i in range(len(line) - 1)}
        name = chosen.sentence.context
        for role in (*_ROLE_ASKED, "："):
            name = name.removesuffix(role)
        name = to_search_form(name)
        for ev in evidence:
            if ev.passage.kind == "center" or ev.support < self.refusal_threshold:
                continue
            body = to_search_form(ev.sentence.text)
            if name and name not in body:
                continue
            shared = sum(1 for g in grams if g in body) / max(1, len(grams))
            if shared >= 0.8:
                return ev
        return chosen

    @staticmethod
    def _continuation(first: Evidence, evidence: Sequence[Evidence]) -> list[Evidence]:
        """Sentences right after ``first`` that go on with the same list (其次…, 另在…, 此外…)."""
        by_start = {(e.passage.source, e.sentence.start): e for e in evidence}
        out: list[Evidence] = []
        current = first
        while True:
            nxt = next(
                (
                    by_start[(current.passage.source, current.sentence.end + gap)]
                    for gap in (0, 1, 2)
                    if (current.passage.source, current.sentence.end + gap) in by_start
                ),
                None,
            )
            if nxt is None or not _CONTINUES.match(nxt.sentence.text):
                return out
            out.append(nxt)
            current = nxt

    def _refusal(
        self, refusal: str, support: float, diagnostics: dict[str, float | str], reason: str
    ) -> Composition:
        diagnostics["reason"] = reason
        return Composition(refusal, [], True, support, diagnostics)

    def compose(
        self,
        query: QueryTerms,
        evidence: Sequence[Evidence],
        convert: Callable[[str], str] = lambda s: s,
        refusal: str = REFUSAL_HANT,
    ) -> Composition:
        """The cited answer from scored evidence, or a refusal.

        Args:
            query: The question's terms.
            evidence: Output of :meth:`score`.
            convert: Script conversion for the answer text (quotes stay exact).
            refusal: The refusal message.
        """
        diagnostics: dict[str, float | str] = {"foreign_share": round(query.foreign_share, 4)}
        if query.foreign:
            diagnostics["foreign_terms"] = " ".join(query.foreign)
        if not evidence:
            return self._refusal(refusal, 0.0, diagnostics, "no passages")
        candidates = [e for e in evidence if answer_type_ok(query.question, e.sentence.text)]
        best = evidence[0]
        if candidates and candidates[0] is not best and candidates[0].score >= 0.75 * best.score:
            best = candidates[0]
        support = best.support
        diagnostics.update(
            support=round(support, 4), best_dense=round(best.dense, 4), best_coverage=round(best.coverage, 4)
        )
        if _INJECTION.search(query.question):
            return self._refusal(refusal, support, diagnostics, "asks the assistant to drop its rules")
        if query.foreign_share > self.foreign_limit:
            return self._refusal(
                refusal, support, diagnostics, "question is about things the documents never mention"
            )
        if support < self.refusal_threshold:
            return self._refusal(refusal, support, diagnostics, "low support")
        if not answer_type_ok(query.question, best.sentence.text):
            return self._refusal(refusal, support, diagnostics, "evidence is not of the kind asked for")

        best = self._primary(best, evidence)
        chosen = [best]
        covered = coverage(query.terms, best.sentence.context + best.sentence.text)
        wants_list = bool(_ASKS_LIST.search(query.question))
        if wants_list:
            chosen += self._continuation(best, evidence)[: self.max_sentences - 1]
        for ev in evidence:
            if len(chosen) >= self.max_sentences:
                break
            if ev in chosen or ev.support < self.refusal_threshold:
                continue
            if any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in chosen):
                continue  # the map call-out often repeats a body sentence
            if ev.score < (0.7 if wants_list else 0.8) * best.score:
                continue
            joined = "\n".join(c.sentence.context + c.sentence.text for c in chosen + [ev])
            gain = coverage(query.terms, joined) - covered
            parallel = wants_list and ev.coverage >= 0.7 * best.coverage and ev.score >= 0.85 * best.score
            if gain >= 0.15 or parallel:
                ev = self._primary(ev, evidence)
                if ev in chosen:
                    continue
                chosen.append(ev)
                covered += max(gain, 0.0)

        parts: list[str] = []
        citations: list[Citation] = []
        for n, ev in enumerate(chosen, start=1):
            text = ev.sentence.text
            lead = ""
            if ev.passage.kind == "center":
                name = ev.passage.text.split("\n", 1)[0]
                if not text.startswith(name):
                    lead = f"{name}："
            parts.append(convert(lead) + convert(_with_marker(text, n)))
            citations.append(
                Citation(
                    n=n,
                    passage_id=ev.passage.id,
                    source=ev.passage.source,
                    section=ev.passage.section,
                    text=ev.passage.text,
                    quote=text,
                    start=ev.sentence.start,
                    end=ev.sentence.end,
                    score=round(ev.support, 4),
                    title=ev.passage.title,
                )
            )
        return Composition("".join(parts), citations, False, support, diagnostics)


def asks_for_list(question: str) -> bool:
    """Whether the question (search form) asks for several things: 哪些, 哪幾個, 分別…"""
    return bool(_ASKS_LIST.search(question))


def question_numbers(question: str) -> tuple[str, ...]:
    """Numbers of two or more digits in the question (years, amounts, counts)."""
    norm = to_search_form(question)
    return tuple(n for n in _NUMBER.findall(norm) if len(n) >= 2 or "." in n)


def is_chinese(question: str) -> bool:
    """True when the question has enough Chinese to match words against."""
    return count_cjk(question) >= 2
