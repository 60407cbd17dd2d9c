"""Lists, counts and the parts of a question: which sentences name the things a list asks
for, how many a sentence enumerates, and the parallel parts (分別, 各) of a question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from assistant.evidence import (
    _NUMBER,
    _QUOTED,
    CITATION_MARKER,
    QUOTED_NAME,
    Evidence,
    QueryTerms,
    _letters,
    _mentions,
    _mentions_text,
    _near_duplicate,
    _numbers_supported,
    coverage,
)
from assistant.lexicon import FRAME_WORDS, PLACE_TAGS, part_of_speech
from assistant.rules import (
    _ASKS_LIST,
    _ASKS_MISSION,
    _CONTINUES,
    _HAS_PLACE,
    _NEXT_ITEM,
    _ROLE_ASKED,
    ASKS_EACH,
    ASKS_MORE,
    JOINS_PARTS,
    SHAPE_STRENGTH,
    answer_type_ok,
    asked_count,
    asked_types,
    asks_members,
    list_noun,
)
from assistant.tables import label_forms, labels, parallel_rows
from assistant.units import exception_first, expand_all, item_count, parallel, parallel_provisions
from core.settings import Settings
from core.text import ITEM, article_tokens, count_cjk, figures_as_digits, to_search_form, to_traditional

#: A count of the parts themselves: 三年, 兩種, 三個 (search form).
_COUNTED = re.compile(r"^[两二三四五六七八九十几]+[个种年项类家大组]$")


def question_facets(query: QueryTerms, most: int = Settings.max_facets) -> list[tuple[str, ...]]:
    """The parallel parts of a question that asks about each (分別, 各, 差在哪), as forms to find.

    At most ``most`` parts are read (``Settings.max_facets``).

    「法人、業界、學界三種科專差在哪？」 has three parts, each known by its first word;
    「1979、1997、2001這三年分別發生什麼事？」 three numbers; 「第10條跟第10-1條的抵減比例差在哪？」
    two law articles (``第10条``, ``第10-1条``: a sentence is about one when its section is that
    article, :func:`about`). Empty for other questions.
    """
    question = query.question
    if not ASKS_EACH.search(question):
        return []
    articles = list(dict.fromkeys(article_tokens(f"{question} {query.given}")))  # the background too
    if len(articles) >= 2:
        return [(a,) for a in articles[:most]]  # 「第10條跟第10-1條差在哪？」: each article is a part
    for clause in re.split(r"[,，。;；?？!！]", question):
        pieces = [p for p in JOINS_PARTS.split(clause) if p.strip()]
        if len(pieces) < 2:
            continue
        facets: list[tuple[str, ...]] = []
        labelled = [sorted(labels(piece)) for piece in pieces[:most]]
        if sum(1 for named in labelled if named) >= 2:
            # Labelled things of a series (Phase 1 和 Phase 2 的審查方式跟簡報時間) are the parts;
            # the other pieces are what is asked of each.
            return [label_forms(named[0]) for named in labelled if named]
        for index, piece in enumerate(pieces[:most]):
            # Each part is known by its first word (學界 of 「學界三種科專」: what follows is asked of
            # each); a keyword set apart by a space before the first part qualifies every part
            # (SBIR of 「SBIR 違約跟欠稅各看幾年」): the first part starts after it.
            skip = piece.rstrip().rfind(" ") + 1 if index == 0 and count_cjk(piece) else 0
            found: list[tuple[int, tuple[str, ...]]] = [
                (piece.find(n, skip), (n,)) for n in query.numbers if n in piece[skip:]
            ]
            for term in query.terms:
                at = min((piece.find(f, skip) for f in term.forms if f in piece[skip:]), default=-1)
                if at >= 0 and term.weight > 0:
                    found.append((at, term.forms))
            if found:
                at, forms = min(found, key=lambda item: item[0])
                facets.append(forms)
                if len(facets) >= 2 and "的" in piece[at:]:
                    break  # 「A和B的X跟Y」: what follows B的 is asked of each part (:func:`question_aspects`)
        if len(facets) >= 2 and len(set(facets)) == len(facets):
            return facets
    return []


#: A part that is a law article (:func:`core.text.article_tokens`): 第10条, 第10-1条.
_ARTICLE_PART = re.compile(r"^第\d+(?:-\d+)?条$")


def about(ev: Evidence, forms: Sequence[str]) -> bool:
    """Whether ``ev`` is about the part ``forms`` (:func:`question_facets`): for a law article,
    its section is that article; else its sentence names the part as a word of its own."""
    if forms and _ARTICLE_PART.match(forms[0]):
        return _is_article(ev.passage.section, forms)
    return _mentions(ev, forms)


def _is_article(section: str, forms: Sequence[str]) -> bool:
    """Whether ``section`` is the law article the part ``forms`` names (第十條 and 第10條 alike)."""
    return bool(forms) and forms[0] in article_tokens(section)


def _heading_names(section: str, forms: Sequence[str]) -> bool:
    """Whether a section heading names the part: it is the article the part names, or it holds
    one of ``forms`` as a word of its own."""
    return _is_article(section, forms) or _mentions_text(section, forms)


def question_aspects(
    query: QueryTerms, facets: Sequence[tuple[str, ...]]
) -> list[tuple[tuple[str, ...], ...]]:
    """What a comparison asks of each of its parts when it asks two things or more of them.

    「SBIR Phase 1 和 Phase 2 的審查方式跟簡報時間有什麼不同？」: after the last part the clause
    names 審查方式 and 簡報時間, joined like the parts (:data:`assistant.rules.JOINS_PARTS`); each is an aspect,
    given as the forms of the question's terms it holds. Empty when fewer than two aspects are named.
    """
    facet_forms = [f for forms in facets for f in forms]
    for clause in re.split(r"[,，。;；?？!！]", query.question):
        ends = [clause.rfind(f) + len(f) for f in facet_forms if f in clause]
        if len(ends) < 2:
            continue
        aspects = []
        for piece in JOINS_PARTS.split(clause[max(ends) :]):
            own = tuple(
                t.forms
                for t in query.terms
                if t.weight > 0
                and any(f in piece for f in t.forms)
                and not any(f in g or g in f for f in t.forms for g in facet_forms)
            )
            if own:
                aspects.append(own)
        return aspects if len(aspects) >= 2 else []
    return []


def _holds(text: str, aspect: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``text`` holds a form of one of the aspect's terms (inside a word too: 現場簡報)."""
    norm = to_search_form(text)
    return any(f in norm for forms in aspect for f in forms)


def _aspect_key(
    ev: Evidence,
    n: int,
    aspects: Sequence[tuple[tuple[str, ...], ...]],
    picked: Sequence[Evidence],
    part: tuple[str, ...],
    question: str = "",
    share: float = Settings.parallel_share,
) -> tuple[bool, bool, bool, bool, bool, float]:
    """How well ``ev`` answers aspect ``n`` of a ``part`` (:func:`question_aspects`), as a sort
    key: it is no sentence picked already, names no other aspect, is under a heading that names
    the part, holds the kind of answer the question asks when it asks one thing of each part (a
    rate for 抵減比例差在哪), says of this part what the first part's sentence says of that one
    (「二、於支出金額百分之三限度內…」 beside 「二、於支出金額百分之十限度內…」: ``share`` of their
    character bigrams, :func:`assistant.units.parallel`), then scores best."""
    text = ev.sentence.context + ev.sentence.text
    return (
        ev not in picked and not any(ev.sentence.text == c.sentence.text for c in picked),
        not any(_holds(text, a) for m, a in enumerate(aspects) if m != n),
        _heading_names(ev.passage.section, part),
        # with two aspects or more, each aspect is its own ask (幾家、什麼時候), which the
        # question's answer types as a whole would not tell apart
        not aspects and bool(asked_types(question)) and answer_type_ok(question, ev.sentence.text),
        bool(picked) and not aspects and parallel(ev.sentence.text, picked[0].sentence.text, share),
        ev.score,
    )


#: The word that joins the last item of a list to the others: A、B及C, A、B和C, A、B或C.
_LAST_JOIN = re.compile(r"以及|及|和|與|与|跟|或")

#: A count or a 等 after the last item (…及環境建構類三類, …等四大加值): not part of the item.
_TRAILING_COUNT = re.compile(r"(?:等|共)?\s*[一二三四五六七八九十兩两\d]+\s*[大項项個个類类種种組组家所]$")


#: Quoted names joined by 、 and a last conjunction: 「A」、「B」及「C」.
_QUOTED_LIST = re.compile(r"「[^「」]+」(?:\s*(?:、|以及|及|和|與|与|或)\s*「[^「」]+」)+")


def list_items(text: str) -> list[str]:
    """The items of the clause of ``text`` with the most 、 (without 等… and the clause's lead-in).

    The last item may be joined by a conjunction (``A、B及C``, ``A、B和C``): it is split off
    when both sides have two characters or more, so ``分為創新前瞻類、關鍵類及環境建構類三類``
    gives three items (a count after the last item, 三類, is no part of it).
    """
    clauses = re.split(r"[。；;！？?!\n]", CITATION_MARKER.sub("", text))
    best = max(clauses, key=lambda c: c.count("、"), default="")
    if best.count("、") < 1:
        return []
    quoted = _QUOTED_LIST.search(best)
    if quoted:  # 以「健康產業」、「海洋生態」及「教育觀光」為重點: the quoted names are the items
        names = re.findall(r"「([^「」]+)」", quoted.group(0))
        return names if len(names) >= 3 else []
    items = [i.strip(" 「」『』") for i in best.split("、")]
    # The first item follows the clause's lead-in (…布局半導體及光電 / 七大誘因是：成果運用免公告).
    lead = re.split(r"[：:，,]|是|為|为|有|包括|包含|布局|提供", items[0])
    items[0] = lead[-1].strip(" 「」『』") if lead else items[0]
    last = re.split(r"等|及其|，|,", items[-1])[0].strip(" 「」『』")
    last = _TRAILING_COUNT.sub("", last).strip(" 「」『』")
    join = _LAST_JOIN.search(last)
    if join and join.start() >= 2 and len(last) - join.end() >= 2:
        items[-1:] = [last[: join.start()].strip(" 「」『』"), last[join.end() :].strip(" 「」『』")]
    else:
        items[-1] = last
    items = [i for i in items if i]
    return items if len(items) >= 3 else []


def enumeration_count(question: str, text: str) -> str:
    """For 「幾個領域？」 answered by a sentence that lists them without a number, the count it lists.

    「…布局半導體及光電、材化、生醫、運輸、機械、資通訊等領域」 lists six 領域: the answer leads
    with 「共6個領域：」 before the cited sentence. Empty when the question asks no such count,
    the sentence states a number itself, or holds no enumeration of that noun.

    Args:
        question: The question, search form.
        text: The answer's first evidence sentence.
    """
    asked = asked_count(question)
    if asked is None:
        return ""
    classifier, noun = asked
    norm = to_search_form(text)
    if re.search(r"\d+\s*" + re.escape(classifier), norm):
        return ""  # the sentence gives the number itself (52組)
    for clause in re.split(r"[,，。;；:：]", norm):
        clause = ITEM.sub("", clause)  # 「四、其他適當之方式」: an item's number is no enumeration
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
    members = list_items(text)
    if noun in FRAME_WORDS and members:
        # 「投入的項目有幾個？」: 項目 (items) names no kind of thing; the sentence's list is what is counted.
        return f"共{len(members)}{to_traditional(classifier)}："
    items = item_count(text)
    return f"共{items}{to_traditional(classifier)}：" if items >= 2 else ""


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


def _figures(text: str) -> list[str]:
    """The figures of a sentence as digits, in order (Chinese numerals read too; an item's own
    number, 一、 or (二), is none): 「每年度以申請二項展覽為限」 → ``["2"]``."""
    return _NUMBER.findall(figures_as_digits(ITEM.sub("", to_search_form(text))))


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


def _number_share(query: QueryTerms) -> float:
    """Share of the question's term weight carried by numbers (years)."""
    total = sum(t.weight for t in query.terms)
    numeric = sum(t.weight for t in query.terms if t.forms[0] in query.numbers)
    return numeric / total if total > 0 else 0.0


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


class ListAnswers:
    """The answerer's list shapes: the body sentence a call-out repeats, a list read on past its
    first sentence, counts of named things, one sentence per part or kind.

    Mixed into :class:`assistant.answer.ExtractiveAnswerer`, whose settings it reads.
    """

    settings: Settings
    refusal_threshold: float
    facet_compounds: bool
    max_sentences: int
    row_score_ratio: float
    unit_chars: int
    article_chars: int
    list_items_only: bool
    list_score_ratio: float
    extra_score_ratio: float
    enumeration_complete: bool
    min_gain: float
    parallel_coverage: float
    parallel_score: float

    def _gather(
        self, query: QueryTerms, best: Evidence, evidence: Sequence[Evidence]
    ) -> tuple[list[Evidence], bool]:
        """The answer's sentences, from the best one on, and whether the question asks for a list.

        A list (「哪些」) reads on past its first sentence (:meth:`_continuation`); each further
        sentence must score within ``list_score_ratio`` (``extra_score_ratio`` for other questions)
        of the best, add ``min_gain`` coverage (or, for a list, be its parallel), never be a
        delegation or a near duplicate, and, for a list of named things (…中心), introduce one.
        """
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
        complete = self.enumeration_complete and best.shape in (
            SHAPE_STRENGTH["list"],
            SHAPE_STRENGTH["division"],
        )
        more = bool(ASKS_MORE.search(query.question))
        if (wants_list or more) and not complete:
            # 「除了5G還做啥」: what else goes on after the sentence about what it names (另…).
            chosen += self._continuation(best, evidence, head, query, more=more)
        # 「東部有哪些中心？」 answered by sentences that each introduce a 「…中心」: a further
        # sentence must introduce one too (a call-out's mission line is not another center).
        items_only = self.list_items_only and head in _THING_HEADS and _introduces(best.sentence.text, head)
        for ev in evidence:
            if len(chosen) >= self.max_sentences or complete:
                break
            if ev in chosen or ev.boilerplate or ev.support < self.refusal_threshold:
                continue  # a delegation (…由中央主管機關定之) adds no content to an answer
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
        return chosen, wants_list

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
            if shared >= self.settings.callout_body_share:
                return ev
        return chosen

    def _continuation(
        self,
        first: Evidence,
        evidence: Sequence[Evidence],
        head: str = "",
        query: QueryTerms | None = None,
        more: bool = False,
    ) -> list[Evidence]:
        """Sentences right after ``first`` that go on with the same list.

        A sentence goes on with it when it says so (其次…, 另在…, 此外…; with ``more``, for what
        else there is, any 另…: :data:`assistant.rules._CONTINUES`) or, for a list of
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
        while len(out) < self.settings.max_list_sentences - 1:
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
            if not (_CONTINUES if more else _NEXT_ITEM).match(nxt.sentence.text):
                if not (head and _introduces(nxt.sentence.text, head)):
                    return out
                said = to_search_form(nxt.sentence.context + nxt.sentence.text)
                if anchors and not any(f in said for forms in anchors for f in forms):
                    return out
            out.append(nxt)
            current = nxt
        return out

    def _rows_and_units(
        self,
        query: QueryTerms,
        chosen: list[Evidence],
        evidence: Sequence[Evidence],
        compares: bool,
        diagnostics: dict[str, float | str] | None = None,
    ) -> list[Evidence]:
        """The chosen evidence as it is quoted: a comparison answered by a table row with the rows
        that hold what it lacks (上限 and 審查週期), then each piece as its unit (:mod:`assistant.units`);
        what the units joined that the trace should say goes into ``diagnostics["units"]``."""
        if compares and chosen:
            floor = self.row_score_ratio * chosen[0].score
            members = asks_members(query.question)
            chosen = parallel_rows(
                chosen,
                evidence,
                query.terms,
                self.settings.max_list_sentences if members else self.max_sentences,
                floor,
                self.refusal_threshold,
                self.settings.sentence_gap_chars,
                members,
            )
            if ASKS_EACH.search(query.question):
                sections = {(ev.passage.source, ev.passage.section) for ev in chosen}
                chosen = parallel_provisions(
                    chosen,
                    evidence,
                    # two sentences for each compared part (its case and the parallel one)
                    max(self.max_sentences, 2 * len(sections)),
                    self.settings.parallel_share,
                    self.settings.sentence_gap_chars,
                )
        notes: list[str] = []
        chosen = exception_first(chosen, evidence, query.terms, notes)[: max(self.max_sentences, len(chosen))]
        # the items of a lead-in are the answer to 「…哪些事項？」: all of them, up to an article's length
        items = self.article_chars if asks_members(query.question) else 0
        if not self.unit_chars:
            if notes and diagnostics is not None:
                diagnostics["units"] = "; ".join(notes)
            return chosen
        units = expand_all(
            chosen,
            evidence,
            query.terms,
            self.unit_chars,
            self.settings.sentence_gap_chars,
            items,
            self.settings.lead_in_items > 0,
            notes,
            self.article_chars,  # two items of one list chosen apart are quoted whole, with what lies between
        )
        if notes and diagnostics is not None:
            diagnostics["units"] = "; ".join(notes)
        return units

    def _numbered_items(
        self, query: QueryTerms, chosen: list[Evidence], evidence: Sequence[Evidence]
    ) -> list[Evidence]:
        """「2022年做了哪些事？」: every sentence that names the year is an item, after ``chosen``."""
        out = list(chosen)
        for ev in evidence:
            if len(out) >= self.settings.max_list_sentences:
                break
            if ev in out or ev.support < self.refusal_threshold:
                continue
            if not _numbers_supported(query.numbers, ev.sentence.text):
                continue
            if any(_near_duplicate(ev.sentence.text, c.sentence.text) for c in out):
                continue
            out.append(ev)
        return out

    def _fill_facets(
        self, query: QueryTerms, chosen: list[Evidence], evidence: Sequence[Evidence]
    ) -> list[Evidence]:
        """For a question about each of several things, the best sentence about each, in the question's order.

        A sentence is about a part when it names it as a word of its own (業界, not the 業界 in
        產業界); one that names only that part is preferred over one that names several.
        Parts no sentence is about are left out; without any, ``chosen`` stands.
        """
        facets = question_facets(query, self.settings.max_facets)
        if not facets:
            return chosen
        out: list[Evidence] = []
        aspects = question_aspects(query, facets)
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
                if ev.support >= self.settings.facet_support * self.refusal_threshold
                and about(ev, forms)
                and not any(
                    _near_duplicate(ev.sentence.text, c.sentence.text)
                    and labels(ev.sentence.text) == labels(c.sentence.text)  # Phase 1：… vs Phase 2：…
                    # the same wording with other figures is another provision (二項 / 一項為限)
                    and _figures(ev.sentence.text) == _figures(c.sentence.text)
                    # the same wording in two articles is two provisions (百分之十五 / 百分之五)
                    and article_tokens(ev.passage.section) == article_tokens(c.passage.section)
                    for c in out
                )
            ]
            if not usable:
                continue
            alone = [ev for ev in usable if not any(about(ev, f) for f in others)] or usable
            # The part joined to what the question says of all of them is its full name:
            # 學界 + 科專 → 「學界科技專案」, 生醫 + 領域 → 生醫領域.
            compounds = [f + g for f in forms for g in shared]
            named = [ev for ev in alone if _mentions_text(ev.sentence.text, compounds)]
            # Two things asked of each part (審查方式跟簡報時間): the best sentence for each, also
            # among those under a heading that names the part alone (### Phase 1 審查).
            headed = [
                ev
                for ev in evidence
                if ev.support >= self.settings.facet_support * self.refusal_threshold
                and _heading_names(ev.passage.section, forms)
                and not any(_heading_names(ev.passage.section, f) for f in others)
            ]
            asked = [
                [ev for ev in [*alone, *headed] if _holds(ev.sentence.context + ev.sentence.text, aspect)]
                for aspect in aspects
            ]
            for n, pool in enumerate([a for a in asked if a] or [named or alone]):
                pick = self._primary(
                    max(
                        pool,
                        key=partial(
                            _aspect_key,
                            n=n,
                            aspects=aspects,
                            picked=out,
                            part=forms,
                            question=query.question,
                            share=self.settings.parallel_share,
                        ),
                    ),
                    evidence,
                    query.question,
                )
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
            if ev.support < self.settings.facet_support * self.refusal_threshold:
                continue
            for name in _kind_names(ev.sentence.text, forms):
                if name not in first or ev.sentence.start < first[name].sentence.start:
                    first[name] = ev
        unique = {ev.sentence.id: ev for ev in first.values()}.values()
        chosen = sorted(unique, key=lambda e: (e.passage.source, e.sentence.start))
        return chosen[: self.settings.max_list_sentences] if len(first) >= 2 else []
