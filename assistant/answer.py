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

from assistant.lexicon import PLACE_TAGS, part_of_speech
from assistant.reply import Citation, Passage
from core.text import count_cjk, to_search_form, to_traditional

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
_ASKS_COUNT = re.compile(r"多少|(?<!哪)几[个组家项位种类大间所次名笔队件]|how many|how much|总共|一共")
#: 「幾件」, 「幾家」: counts of things a text states with that very classifier (12件, 3家).
_ASKS_COUNTED = re.compile(r"(?<!哪)几([件家位名笔次所间])")
_ASKS_PLACE = re.compile(
    r"(?<![差归加推])在哪(?!个领域|些领域|一个领域)|哪个县|哪个市|哪个城市|哪些县市|哪个地方|什么地方|位于|设在哪|\bwhere\b"
)
_HAS_PLACE = re.compile(r"县|(?<!城)市(?![场值])|[乡镇](?!定)|位于")
# What a call-out line is (see ingest.split): its role, and the words that ask for it.
_ROLE_ASKED = {
    "的任務：": re.compile(
        r"任务|使命|目的|目标|角色|功能|定位|为了|想要|希望|要做|在做|帮|协助|purpose|mission|role"
    ),
    "的重點領域：": re.compile(r"重点|领域|主轴|方向|聚焦|着重|专长|投入|focus|areas?"),
}
#: Words that ask for a center's mission itself (its call-out line says it; the body paraphrases).
_ASKS_MISSION = re.compile(r"任务|使命|角色|定位|mission|role")
_NOT_LETTER = re.compile(r"[^\w]|_")
_ASKS_START = re.compile(r"开始|起步|开跑|启动|成立|创立|开办|最早|首次|推出|\bstart|\bbegin|\blaunch")
_HAS_START = re.compile(r"[自于从]\d{4}|\d{4}年[^，。]{0,3}(起|开始|启动|实施|推动|成立|设立|转型)")
_ASKS_EXAMPLE = re.compile(r"例子|例如|举例|比如|举个|for example|such as|examples?")
_HAS_EXAMPLE = re.compile(r"如[:：]|例如|比如|诸如|像是|[(（]如")
_ASKS_MONEY = re.compile(r"多少钱|多少元|金额|多少(?:投资|资金|经费)|募[^，。？?]{0,4}多少|how much money")
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
    r"哪些|哪几|有什么|有几|分别|各[是自有]|列出|不同|不一样|差别|差在|比较|\bwhich\b|\bwhat are\b"
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
    #: How much the sentence has the shape of the answer asked for (:func:`answer_shape`).
    shape: float = 0.0


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
_WORD_START = set("的与及和或称在对将把为以由从自于等各是、，。；：「『（(“ \n,;:!?") | set("0123456789")


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


def _numbers_supported(numbers: Sequence[str], text: str, partial: bool = False) -> bool:
    """Whether ``text`` holds every number of the question (with ``partial``, at least one)."""
    found = set(_NUMBER.findall(to_search_form(text)))
    if partial and numbers:
        return any(n in found for n in numbers)
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
    counted = _ASKS_COUNTED.search(question)
    if counted and not re.search(rf"(?:\d|[一二两三四五六七八九十百千])\s*{counted.group(1)}", text):
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


def _letters(text: str) -> str:
    """Only the letters and digits: 以「健康產業」、「海洋生態」 and 健康產業、海洋生態 compare alike."""
    return _NOT_LETTER.sub("", text)


#: The noun a list question asks for: 哪些趨勢 → 趨勢 (search form; the head is the last two characters).
_LIST_NOUN = re.compile(r"(?:哪些|哪?几[个项类种大]?|有什么|什么样的)([\u4e00-\u9fff]{2,6})")
#: The same noun named first: 七大誘因是哪些？, 重點領域有哪些？
_LIST_NOUN_BEFORE = re.compile(r"([\u4e00-\u9fff]{2})(?:是|有|包括|包含)哪些")


def list_noun(question: str) -> str:
    """The head (two characters) of the noun a list question asks for: 趨勢, 誘因, 中心 (search form)."""
    match = _LIST_NOUN.search(question) or _LIST_NOUN_BEFORE.search(question)
    return match.group(1)[-2:] if match else ""


_ASKS_FULL_NAME = re.compile(r"全名|全称|完整名称|正式名称|简称|缩写|全衔|full name|stand for|abbreviat")
#: A short name defined in the text: （簡稱技術司）, （以下稱法人執行單位）.
_DEFINES = re.compile(r"(?:简称|以下简称|以下称)\s*[「『]?([^」』）)，。]{1,20})")
_ASKS_REASON = re.compile(r"为什么|为何|为啥|为了什么|为了啥|干嘛|原因|理由|why\b")
#: A reason or purpose stated at the start of a clause: 面對…, 為提升…, 由於…, 隨著….
_HAS_REASON = re.compile(
    r"(?:^|[,，。;；:：])(?:面对|由于|因为|鉴于|随着|为了?(?!主|重)|为因应|有鉴于)|亟需|亟须"
)


#: How sure each answer shape is that the sentence answers (see :func:`answer_shape`).
SHAPE_STRENGTH = {"full_name": 1.5, "list": 0.8, "reason": 0.4, "origin": 0.4}
#: A question about how something began: 當初, 一開始 (answered by 自1979年起…).
_ASKS_ORIGIN = re.compile(r"当初|一开始|刚开始|起初|最初|最早|起源|由来")


def answer_shape(question: str, text: str) -> float:
    """How much ``text`` has the shape of the answer asked for, 0-1 (both search form).

    Shapes, surest first: for a full name, the sentence that defines the short one
    (…（簡稱技術司）); for 「哪些趨勢」, an enumeration of that noun (美中科技戰、…等趨勢);
    for 為什麼, a clause that gives a reason or purpose; for 當初/一開始, a start (自1979年起).
    """
    norm = to_search_form(text)
    if _ASKS_FULL_NAME.search(question) and any(
        short and short in question for short in _DEFINES.findall(norm)
    ):
        return SHAPE_STRENGTH["full_name"]
    head = list_noun(question)
    if head:
        for clause in re.split(r"[,，。;；:：]", norm):
            at = clause.find(head)
            if at > 0 and "、" in clause[:at]:
                return SHAPE_STRENGTH["list"]
    shape = 0.0
    if _ASKS_REASON.search(question) and _HAS_REASON.search(norm):
        shape += SHAPE_STRENGTH["reason"]
    if _ASKS_ORIGIN.search(question) and _HAS_START.search(norm):
        shape += SHAPE_STRENGTH["origin"]
    return shape


#: What joins the parallel parts of a question: 法人、業界、學界 / A跟B (search form).
_FACET_JOIN = re.compile(r"、|跟|和|与|及|还是|或是|以及|\bvs\b")
#: Questions that want each part answered: 分別, 各, 差在哪, 有什麼不同.
_ASKS_EACH = re.compile(
    r"分别|各[是自有]|各个|差在|差别|差异|区别|不同|不一样|异同|比较|对比|differ|compare|each"
)
#: Share of the refusal threshold a sentence naming one part of the question must reach:
#: it names the part outright, and the answer as a whole already passed the threshold.
FACET_SUPPORT = 0.8
#: A count of the parts themselves: 三年, 兩種, 三個 (search form).
_COUNTED = re.compile(r"^[两二三四五六七八九十几]+[个种年项类家大组]$")
#: Most parts of a question answered one by one.
MAX_FACETS = 6


def question_facets(query: QueryTerms) -> list[tuple[str, ...]]:
    """The parallel parts of a question that asks about each (分別, 各, 差在哪), as forms to find.

    「法人、業界、學界三種科專差在哪？」 has three parts, each known by its first word;
    「1979、1997、2001這三年分別發生什麼事？」 three numbers. Empty for other questions.
    """
    question = query.question
    if not _ASKS_EACH.search(question):
        return []
    for clause in re.split(r"[,，。;；?？!！]", question):
        pieces = [p for p in _FACET_JOIN.split(clause) if p.strip()]
        if len(pieces) < 2:
            continue
        facets: list[tuple[str, ...]] = []
        for piece in pieces[:MAX_FACETS]:
            found: list[tuple[int, tuple[str, ...]]] = [
                (piece.find(n), (n,)) for n in query.numbers if n in piece
            ]
            for term in query.terms:
                at = min((piece.find(f) for f in term.forms if f in piece), default=-1)
                if at >= 0 and term.weight > 0:
                    found.append((at, term.forms))
            if found:
                facets.append(min(found, key=lambda item: item[0])[1])
        if len(facets) >= 2 and len(set(facets)) == len(facets):
            return facets
    return []


#: "How many X": the classifier and the noun counted (search form): 幾個領域 → 个, 领域.
_HOW_MANY = re.compile(r"几([个项种类组家所间位大])?([\u4e00-\u9fff]{1,4}?)(?:[?？呢吗啊,，]|$)")
_QUOTED = re.compile(r"「[^「」]+」")
#: A quoted name, captured: 「東部深層海水創新研發中心」, 「學界開發產業技術計畫」.
QUOTED_NAME = re.compile(r"「([^「」]{2,40})」")


def enumeration_count(question: str, text: str) -> str:
    """For 「幾個領域？」 answered by a sentence that lists them without a number, the count it lists.

    「…布局半導體及光電、材化、生醫、運輸、機械、資通訊等領域」 lists six 領域: the answer leads
    with 「共6個領域：」 before the cited sentence. Empty when the question asks no such count,
    the sentence states a number itself, or holds no enumeration of that noun.

    Args:
        question: The question, search form.
        text: The answer's first evidence sentence.
    """
    match = _HOW_MANY.search(question)
    if not match or not match.group(2):
        return ""
    classifier = match.group(1) or "个"
    noun = match.group(2)[-2:]
    norm = to_search_form(text)
    if re.search(r"\d+\s*" + re.escape(classifier), norm):
        return ""  # the sentence gives the number itself (52組)
    for clause in re.split(r"[,，。;；:：]", norm):
        at = clause.find(noun)
        if at <= 0 or "、" not in clause[:at]:
            continue
        listed = clause[:at]
        quoted = _QUOTED.findall(listed)
        count = len(quoted) if len(quoted) >= 2 else listed.count("、") + 1
        # the noun as the document writes it (領域, not the search form 领域)
        written = next(
            (text[i : i + 2] for i in range(len(text) - 1) if to_search_form(text[i : i + 2]) == noun), noun
        )
        return f"共{count}{to_traditional(classifier)}{written}："
    return ""


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


#: Most sentences in an answer that lists things one sentence each (the seven centers).
MAX_LIST_SENTENCES = 8
#: Things counted together: a park (園區) is one of the regional centers.
_FAMILY = {"园区": "中心", "计画": "计划"}
#: "How many" of countable things (not money): 幾個, 幾家, 多少個.
_ASKS_HOW_MANY_THINGS = re.compile(r"几[个家所间处座]|多少[个家所间处座]|how many")
#: A quoted name of a thing (search form): 「苗栗產業創新推動中心」, 「產學研價值創造計畫」.
_THING = re.compile(r"「[^「」]{2,40}?(中心|园区|计划|计画|办法|方案|专案)」")
#: List nouns that mean any such thing, and those that mean a place.
_THING_HEADS = frozenset({"中心", "园区", "计划", "计画", "办法", "方案", "专案", "单位", "机构"})
_PLACE_HEADS = frozenset({"县市", "城市", "地方", "地区", "县份", "地点", "区域"})


#: Words in many names that do not tell one thing from another.
_GENERIC_NAME_WORDS = _THING_HEADS | {
    "产业",
    "创新",
    "研发",
    "研究发展",
    "技术",
    "经济部",
    "推动",
    "区域",
    "服务",
}


def thing_names(text: str) -> list[str]:
    """The quoted names of things (「…中心」, 「…計畫」) in ``text``, as written, in order."""
    return [name for name in QUOTED_NAME.findall(text) if _THING.fullmatch(f"「{to_search_form(name)}」")]


def _things(text: str) -> list[str]:
    """The quoted names of things in a sentence (search form)."""
    return [m.group(0) for m in _THING.finditer(to_search_form(text))]


def _named_things(first: Evidence, query: QueryTerms | None) -> set[str]:
    """The question's distinctive words (苗栗, 東部) that name part of a thing ``first`` introduces."""
    if query is None:
        return set()
    things = _things(first.sentence.context + first.sentence.text)
    forms = {f for t in query.terms for f in t.forms if count_cjk(f) >= 2 and f not in _GENERIC_NAME_WORDS}
    # A word that is a whole name (學界科技專案) names a kind of program, not one of them.
    return {f for f in forms if any(f in thing and f != thing.strip("「」") for thing in things)}


def _same_kind(thing: str, head: str) -> bool:
    """Whether a quoted thing (「…園區」) is of the kind ``head`` (中心 and 園區 are one kind)."""
    kind = _THING.fullmatch(thing)
    if kind is None:
        return False
    return _FAMILY.get(kind.group(1), kind.group(1)) == _FAMILY.get(head, head)


def _is_place(word: str, text: str) -> bool:
    """Whether ``word`` names a place: a region (中部, 東部) or a county or city of ``text`` (苗栗縣)."""
    return part_of_speech(word) in PLACE_TAGS or bool(re.search(re.escape(word) + "[县市]", text))


def _introduces(text: str, head: str) -> bool:
    """Whether a sentence introduces another of the things a list question asks for (``head``, search form)."""
    norm = to_search_form(text)
    if head in _PLACE_HEADS:
        return bool(_HAS_PLACE.search(norm))
    if head in _THING_HEADS:
        return bool(_THING.search(norm))
    return False


#: Share of a question's term weight in its numbers above which the numbers are its topic.
NUMBER_LED = 0.6


def _number_share(query: QueryTerms) -> float:
    """Share of the question's term weight carried by numbers (years)."""
    total = sum(t.weight for t in query.terms)
    numeric = sum(t.weight for t in query.terms if t.forms[0] in query.numbers)
    return numeric / total if total > 0 else 0.0


def _mentions(ev: Evidence, forms: Sequence[str]) -> bool:
    """Whether the evidence sentence (with its call-out context) names one of ``forms`` as a word of its own."""
    return _mentions_text(ev.sentence.context + ev.sentence.text, forms)


def _mentions_text(text: str, forms: Sequence[str]) -> bool:
    """Whether ``text`` names one of ``forms`` (search form) as a word of its own."""
    norm = to_search_form(text)
    for form in forms:
        if count_cjk(form) >= 3 and form in norm:
            return True  # long enough to be itself inside a name: 經濟部南臺灣創新園區
        pos = norm.find(form)
        while pos >= 0:
            if pos == 0 or norm[pos - 1] in _WORD_START or not count_cjk(norm[pos - 1]):
                return True
            pos = norm.find(form, pos + 1)
    return False


def callout_labels(passage: Passage) -> set[str]:
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
        #: A further sentence must score this share of the best one (list questions, others) and
        #: add this much coverage of the question's words (or be a parallel list item).
        self.list_score_ratio = 0.7
        self.extra_score_ratio = 0.8
        self.min_gain = 0.15
        #: A list item parallel to the best one: this share of its coverage and of its score.
        self.parallel_coverage = 0.7
        self.parallel_score = 0.85
        #: Bonus for a sentence shaped like the answer asked for (see :func:`answer_shape`).
        self.shape_weight = 0.5
        #: A list of 「…中心」 starts at, and takes only, sentences that introduce one.
        self.list_items_only = True
        #: A sentence enumerating the noun asked for (…等七大誘因) is the whole list.
        self.enumeration_complete = True
        #: A comparison's part is preferably found by its full name (學界 + 科專 → 學界科技專案).
        self.facet_compounds = True
        #: An enumeration earns its shape bonus only if it (or its passage) covers this share of
        #: what the best sentence covers of the question.
        self.subject_share = 0.7

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
        facets = question_facets(query)
        chinese_names = [t for t in query.terms if count_cjk(t.forms[0])] if not query.cjk else []
        for rank, passage in enumerate(passages):
            context_cov = coverage(query.terms, f"{passage.section}\n{passage.text}")
            labels = callout_labels(passage)
            for sent in sentences(passage):
                if sent.id in seen or sent.text in labels or len(sent.text) < MIN_EVIDENCE_CHARS:
                    continue  # a bare name or place label proves nothing on its own
                if _INJECTION.search(to_search_form(sent.text)):
                    continue  # a document telling the assistant what to do is no evidence
                seen.add(sent.id)
                dense = float(np.dot(sent.vector, query_vector))
                terms = query.terms
                if facets:
                    # A sentence about one of the parts asked about need not name the others,
                    # nor the count of the parts (這三年, 三種).
                    named = [f for f in facets if _mentions_text(sent.context + sent.text, f)]
                    if named:
                        terms = tuple(
                            t
                            for t in terms
                            if (t.forms not in facets or t.forms in named) and not _COUNTED.match(t.forms[0])
                        )
                cov = coverage(terms, sent.context + sent.text)
                ev = Evidence(sent, passage, rank, dense, cov, context_cov)
                dn = self._dense_norm(dense, query.cjk)
                prior = 1.0 / (1.0 + rank)
                role = next((r for r in _ROLE_ASKED if sent.context.endswith(r)), "")
                role_bonus = 0.0
                if role == "的任務：" and _ROLE_ASKED[role].search(query.question):
                    # Asked by name (任務, 使命), the mission line is the answer itself.
                    role_bonus = 0.3 if _ASKS_MISSION.search(query.question) else 0.15
                if query.cjk:
                    w_cov, w_ctx, w_dense, w_prior = self.weights
                    ev.score = w_cov * cov + w_ctx * context_cov + w_dense * dn + w_prior * prior + role_bonus
                    ev.support = 0.5 * max(cov, 0.8 * context_cov) + 0.5 * dn
                    shape = ev.shape = answer_shape(query.question, sent.text)
                    ev.score += self.shape_weight * shape
                    if shape >= SHAPE_STRENGTH["full_name"]:
                        # The sentence that defines the very name asked about answers it.
                        ev.support = max(ev.support, 0.5 + 0.5 * dn)
                elif chinese_names:
                    # An English question: the Chinese names its words stand for (Southern Taiwan
                    # Innovation Park → 南臺灣創新園區) pick the sentence; meaning does the rest.
                    by_name = coverage(chinese_names, sent.context + sent.text)
                    ev.score = 0.45 * by_name + 0.45 * dn + 0.1 * prior + role_bonus
                    ev.support = 0.5 * by_name + 0.5 * dn
                else:
                    ev.score = 0.8 * dn + 0.2 * prior + role_bonus
                    ev.support = dn
                # The section holds a law article's or table row's label (｜第24條): its number counts.
                located = f"{passage.section}\n{passage.text}"
                if not _numbers_supported(query.numbers, located, partial=len(query.numbers) > 1):
                    ev.support = 0.0
                out.append(ev)
        if out and self.subject_share:
            # An enumeration of the noun asked for (…等領域) answers 「南臺灣創新園區投入哪些領域？」
            # only if it is about what the question names: its sentence or passage covers
            # nearly as much of the question as the best one does.
            best_cov = max(max(e.coverage, e.context_coverage) for e in out)
            for ev in out:
                if (
                    ev.shape == SHAPE_STRENGTH["list"]
                    and max(ev.coverage, ev.context_coverage) < self.subject_share * best_cov
                ):
                    ev.score -= self.shape_weight * ev.shape
                    ev.shape = 0.0
        out.sort(key=lambda e: -e.score)
        return out

    def _primary(self, chosen: Evidence, evidence: Sequence[Evidence], question: str = "") -> Evidence:
        """The body sentence a figure call-out line repeats, if there is one: cite the text, not the figure.

        The map's call-out boxes summarise sentences of the body text; the body sentence also
        names the center and its city, so it stands on its own. A question about a center's
        mission keeps the call-out's mission line, which is the one place that states it.
        """
        if chosen.passage.kind != "center":
            return chosen
        if chosen.sentence.context.endswith("的任務：") and _ASKS_MISSION.search(question):
            return chosen
        line = _letters(to_search_form(chosen.sentence.text))
        grams = {line[i : i + 2] for i in range(len(line) - 1)}
        name = chosen.sentence.context
        for role in (*_ROLE_ASKED, "："):
            name = name.removesuffix(role)
        name = to_search_form(name)
        for ev in evidence:
            if ev.passage.kind == "center" or ev.support < self.refusal_threshold:
                continue
            body = _letters(to_search_form(ev.sentence.text))
            if name and _letters(name) not in body:
                continue
            shared = sum(1 for g in grams if g in body) / max(1, len(grams))
            if shared >= 0.8:
                return ev
        return chosen

    @staticmethod
    def _continuation(
        first: Evidence, evidence: Sequence[Evidence], head: str = "", query: QueryTerms | None = None
    ) -> list[Evidence]:
        """Sentences right after ``first`` that go on with the same list.

        A sentence goes on with it when it says so (其次…, 另在…, 此外…) or, for a list of
        ``head`` things (中心, 計畫, 縣市), when it introduces another one: 「…中心」, 在臺南市…
        (unless ``first`` enumerates the things itself). The list stays within ``first``'s section,
        and when the question names the thing ``first`` introduces (苗栗中心的推動主軸有哪些？), it
        stops at a sentence about a thing the question does not name.
        """
        named = _named_things(first, query)
        by_start = {(e.passage.source, e.sentence.start): e for e in evidence}
        out: list[Evidence] = []
        current = first
        if head in _PLACE_HEADS:
            if len(_HAS_PLACE.findall(to_search_form(first.sentence.text))) >= 2:
                head = ""  # the first sentence names the places itself
        elif len([t for t in _things(first.sentence.text) if _same_kind(t, head)]) >= 2:
            head = ""  # the first sentence names the things itself
        # The place the question asks about, as the first sentence names it too (中部 in
        # 「中部有哪些中心？」): a sentence that introduces a thing without going on (其次…)
        # must name it as well, or the text has moved on to another place (南部地區…).
        said_first = to_search_form(first.sentence.context + first.sentence.text)
        anchors = [
            t.forms
            for t in (query.terms if query else ())
            if any(f in said_first for f in t.forms) and _is_place(t.forms[0], said_first)
        ]
        while len(out) < MAX_LIST_SENTENCES - 1:
            nxt = next(
                (
                    by_start[(current.passage.source, current.sentence.end + gap)]
                    for gap in (0, 1, 2)
                    if (current.passage.source, current.sentence.end + gap) in by_start
                ),
                None,
            )
            if nxt is None or nxt.passage.section != first.passage.section:
                return out
            things = _things(nxt.sentence.text)
            if named and things and not any(f in t for f in named for t in things):
                return out
            if not _CONTINUES.match(nxt.sentence.text):
                if not (head and _introduces(nxt.sentence.text, head)):
                    return out
                said = to_search_form(nxt.sentence.context + nxt.sentence.text)
                if anchors and not any(f in said for forms in anchors for f in forms):
                    return out
            out.append(nxt)
            current = nxt
        return out

    def _tally(
        self, query: QueryTerms, first: Evidence, evidence: Sequence[Evidence]
    ) -> tuple[str, list[Evidence]]:
        """「總共有幾個中心？」 where the text names them one sentence each: the count and those sentences.

        Returns ("", []) unless the question asks how many and the sentences after ``first``
        introduce at least two differently named things (「…中心」, 「…園區」).
        """
        asked = [k for k in _THING_HEADS if k in query.question]
        if not _ASKS_HOW_MANY_THINGS.search(query.question) or not asked:
            return "", []
        items = self._continuation(first, evidence, asked[0])
        names: dict[str, str] = {}
        for ev in items:
            for match in _THING.finditer(to_search_form(ev.sentence.text)):
                names.setdefault(match.group(0), match.group(1))
        families = {_FAMILY.get(a, a) for a in asked}
        if len(names) < 2 or not any(_FAMILY.get(kind, kind) in families for kind in names.values()):
            return "", []
        kinds = "或".join(dict.fromkeys(names.values()))
        return f"文件共列出{len(names)}個{to_traditional(kinds)}：", items

    def _fill_facets(
        self, query: QueryTerms, chosen: list[Evidence], evidence: Sequence[Evidence]
    ) -> list[Evidence]:
        """For a question about each of several things, the best sentence about each, in the question's order.

        A sentence is about a part when it names it as a word of its own (業界, not the 業界 in
        產業界); one that names only that part is preferred over one that names several.
        Parts no sentence is about are left out; without any, ``chosen`` stands.
        """
        facets = question_facets(query)
        if not facets:
            return chosen
        out: list[Evidence] = []
        shared = (
            [
                g
                for t in query.terms
                if t.forms not in facets and not _COUNTED.match(t.forms[0])
                for g in t.forms
            ]
            if self.facet_compounds
            else []
        )
        for forms in facets:
            others = [f for f in facets if f != forms]
            usable = [
                ev
                for ev in (*chosen, *evidence)
                if ev.support >= FACET_SUPPORT * self.refusal_threshold
                and _mentions(ev, forms)
                and not any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in out)
            ]
            if not usable:
                continue
            alone = [ev for ev in usable if not any(_mentions(ev, f) for f in others)] or usable
            # The part joined to what the question says of all of them is its full name:
            # 學界 + 科專 → 「學界科技專案」, 生醫 + 領域 → 生醫領域.
            compounds = [f + g for f in forms for g in shared]
            named = [ev for ev in alone if _mentions_text(ev.sentence.text, compounds)]
            pick = self._primary((named or alone)[0], evidence, query.question)
            if pick not in out:
                out.append(pick)
        return out or chosen

    def _kinds(self, query: QueryTerms, evidence: Sequence[Evidence]) -> list[Evidence]:
        """For 「科專有哪幾種？」, one sentence per kind the text names (「法人科技專案」, …), in text order.

        Empty unless the question asks for kinds and at least two are named.
        """
        forms = kinds_of(query)
        if not forms:
            return []
        first: dict[str, Evidence] = {}
        for ev in evidence:
            if ev.support < FACET_SUPPORT * self.refusal_threshold:
                continue
            for name in _kind_names(ev.sentence.text, forms):
                if name not in first or ev.sentence.start < first[name].sentence.start:
                    first[name] = ev
        unique = {ev.sentence.id: ev for ev in first.values()}.values()
        chosen = sorted(unique, key=lambda e: (e.passage.source, e.sentence.start))
        return chosen[:MAX_LIST_SENTENCES] if len(first) >= 2 else []

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
        if not query.terms and not query.numbers:
            # 「？？？」, 「你是誰？」: nothing to look for; meaning alone would pick any sentence.
            return self._refusal(refusal, 0.0, diagnostics, "the question names nothing to look for")
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
        kinds = self._kinds(query, evidence)
        if kinds:
            return self._write(kinds, support, diagnostics, convert)
        tally = ""
        if not answer_type_ok(query.question, best.sentence.text):
            tally, items = self._tally(query, best, evidence)
            if not tally:
                return self._refusal(refusal, support, diagnostics, "evidence is not of the kind asked for")
            return self._write([best, *items], support, diagnostics, convert, lead=tally)

        best = self._primary(best, evidence, query.question)
        wants_list = bool(_ASKS_LIST.search(query.question))
        head = list_noun(query.question) if wants_list else ""
        if head in _THING_HEADS and self.list_items_only and not _introduces(best.sentence.text, head):
            # 「中部有哪些中心？」: the list starts at a sentence that introduces one, not at a
            # call-out's mission line.
            first = next(
                (
                    ev
                    for ev in evidence
                    if ev.support >= self.refusal_threshold and _introduces(ev.sentence.text, head)
                ),
                None,
            )
            if first is not None and first.score >= self.list_score_ratio * best.score:
                best = first
        chosen = [best]
        covered = coverage(query.terms, best.sentence.context + best.sentence.text)
        # 「七大誘因是哪些？」 answered by a sentence that enumerates them (…等七大誘因): it is the list.
        complete = self.enumeration_complete and best.shape == SHAPE_STRENGTH["list"]
        if wants_list and not complete:
            chosen += self._continuation(best, evidence, head, query)
        # 「東部有哪些中心？」 answered by sentences that each introduce a 「…中心」: a further
        # sentence must introduce one too (a call-out's mission line is not another center).
        items_only = self.list_items_only and head in _THING_HEADS and _introduces(best.sentence.text, head)
        for ev in evidence:
            if len(chosen) >= self.max_sentences or complete:
                break
            if ev in chosen or ev.support < self.refusal_threshold:
                continue
            if any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in chosen):
                continue  # the map call-out often repeats a body sentence
            if items_only and not _introduces(ev.sentence.text, head):
                continue
            if ev.score < (self.list_score_ratio if wants_list else self.extra_score_ratio) * best.score:
                continue
            joined = "\n".join(c.sentence.context + c.sentence.text for c in chosen + [ev])
            gain = coverage(query.terms, joined) - covered
            parallel = (
                wants_list
                and ev.coverage >= self.parallel_coverage * best.coverage
                and ev.score >= self.parallel_score * best.score
            )
            if gain >= self.min_gain or parallel:
                ev = self._primary(ev, evidence, query.question)
                if ev in chosen:
                    continue
                chosen.append(ev)
                covered += max(gain, 0.0)

        if wants_list and query.numbers and _number_share(query) >= NUMBER_LED:
            # 「2022年做了哪些事？」: every sentence that names the year is an item.
            for ev in evidence:
                if len(chosen) >= MAX_LIST_SENTENCES:
                    break
                if ev in chosen or ev.support < self.refusal_threshold:
                    continue
                if not _numbers_supported(query.numbers, ev.sentence.text):
                    continue
                if any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in chosen):
                    continue
                chosen.append(ev)
        chosen = self._fill_facets(query, chosen, evidence)
        if len(query.numbers) > 1 and not _numbers_supported(
            query.numbers, "\n".join(c.passage.text for c in chosen)
        ):
            return self._refusal(refusal, support, diagnostics, "a number asked about is in no evidence")

        lead = enumeration_count(query.question, chosen[0].sentence.text)
        return self._write(chosen, support, diagnostics, convert, lead=lead)

    @staticmethod
    def _write(
        chosen: Sequence[Evidence],
        support: float,
        diagnostics: dict[str, float | str],
        convert: Callable[[str], str],
        lead: str = "",
    ) -> Composition:
        """The answer text and citations for the chosen sentences, in order."""
        parts: list[str] = []
        citations: list[Citation] = []
        if lead:
            parts.append(convert(lead))
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
                    publisher=ev.passage.publisher,
                )
            )
        return Composition("".join(parts), citations, False, support, diagnostics)


#: 「科專有哪幾種？」, 「分成哪幾類」: the kinds of a thing.
_ASKS_KINDS = re.compile(r"(?:哪几|哪些|几)(?:种类|种|类型|类|型态)|\bkinds? of\b|\btypes? of\b")


def kinds_of(query: QueryTerms) -> tuple[str, ...]:
    """For 「科專有哪幾種？」, the forms of what the kinds are of (科專, 科技專案); else empty.

    It is the question's term written closest before the words that ask for kinds.
    """
    match = _ASKS_KINDS.search(query.question)
    if not match:
        return ()
    before = query.question[: match.start()]
    placed = [(max(before.rfind(f) for f in t.forms), t.forms) for t in query.terms]
    placed = [(at, forms) for at, forms in placed if at >= 0]
    return max(placed)[1] if placed else ()


def _kind_names(text: str, forms: Sequence[str]) -> list[str]:
    """The quoted names in ``text`` that are kinds of ``forms``: 「法人科技專案」 for 科技專案."""
    names = QUOTED_NAME.findall(to_search_form(text))
    return [n for n in names if any(n.endswith(f) and len(n) > len(f) for f in forms)]


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
