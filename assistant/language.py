"""Answers in the question's language where the cited text allows it.

The documents are Chinese and every answer quotes them, so an English question gets the
cited Chinese answer after a one-line English lead: what the sources say when that can be
read off the quote without translating it (the years, for "when" questions), else a plain
statement that the sources are in Chinese. A refusal says in English that the documents do
not answer. When the sources are English themselves (:func:`sources_are_english`) the lead
says nothing of their language. :func:`in_question_language` is called from one place, where every reply is
finished (``Assistant._finished``), so any answerer keeps it.

The rules are data (:data:`LEADS`): each is named, has a question pattern, and builds the
lead from the answer or declines; they are tried in order, then :data:`DEFAULT_LEAD`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.reply import Reply
from core.settings import Settings
from core.text import to_search_form
from core.years import ROC_OFFSET, calendar_years

_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

DEFAULT_LEAD = "The sources are in Chinese; this is what they say, quoted with their references:"
REFUSAL_LEAD = "The documents do not answer this question (they are in Chinese):"
#: The leads when the sources are themselves English (an English programme page, a law's
#: English translation): the quotes need no word about their language.
ENGLISH_SOURCES_LEAD = "This is what the sources say, quoted with their references:"
ENGLISH_SOURCES_REFUSAL_LEAD = "The documents do not answer this question:"


#: English words that frame a sentence (articles, auxiliaries, prepositions, pronouns, question
#: words): a question that has none of them is Chinese that names English terms
#: (``SBIR Phase 2 的 approval rate 大概多少？``), however many of those it names.
ENGLISH_FRAME_WORDS = frozenset(
    """
    the a an of to in on for at by with from about into than as this that these those it its they them
    their there is are was were be been being do does did can could would should will shall may might
    must has have had what what's which who whom whose when where why how and or not any
    """.split()
)


def is_english(question: str, settings: Settings | None = None) -> bool:
    """True when ``question`` is written in English.

    A question with no Chinese character is English when it has ``min_english_words`` (2)
    English words. One that has Chinese characters is English only when its frame is: it has
    an English frame word (:data:`ENGLISH_FRAME_WORDS`) and ``english_sentence_words`` (3)
    English words or more, or more English letters than CJK characters (``settings``, default:
    the defaults). Chinese names inside an English question (``What is the A+企業創新研發淬鍊計畫?``)
    do not make it Chinese; English terms inside a Chinese one (``園區 park 在做什麼？``,
    ``OK了解，中央型SBIR的Phase 2最多補多少？``) do not make it English.
    """
    sentence_words = settings.english_sentence_words if settings else Settings.english_sentence_words
    min_words = settings.min_english_words if settings else Settings.min_english_words
    words = _ENGLISH_WORD.findall(question)
    cjk = len(_CJK.findall(question))
    if not cjk:
        return len(words) >= min_words
    if not any(w.lower() in ENGLISH_FRAME_WORDS for w in words):
        return False
    if len(words) >= sentence_words:
        return True
    letters = sum(len(w) for w in words)
    return len(words) >= min_words and letters > cjk


@dataclass(frozen=True)
class LeadRule:
    """One way to write the English lead.

    Attributes:
        name: What the rule is for.
        question: Pattern the (English) question must match.
        lead: Builds the lead from the Chinese answer, or returns ``None`` when it cannot.
    """

    name: str
    question: re.Pattern[str]
    lead: Callable[[str], str | None]


def _years_lead(answer: str) -> str | None:
    # 民國 years are given in the western calendar too: 「民國103年」 → 2014 (ROC 103).
    years = list(
        dict.fromkeys(
            f"{y.western} (ROC {y.western - ROC_OFFSET})" if y.roc else str(y.western)
            for y in calendar_years(to_search_form(answer))
        )
    )
    if not years:
        return None
    if len(years) == 1:
        return f"According to the Chinese sources, the year is {years[0]}:"
    return f"According to the Chinese sources, the years are {', '.join(years)}:"


#: A computed lead of :mod:`assistant.parts`: 相差17年（2014−1997）, 合計7項（3項＋4項）.
_COMPUTED = re.compile(r"^(相差|合計)([\d,.]+)([^（]*)（([^）]+)）")
_UNIT_EN = {"年": "years", "萬元": "× 10,000 NTD", "億元": "× 100 million NTD"}


def _computed_lead(answer: str) -> str | None:
    match = _COMPUTED.match(answer)
    if not match:
        return None
    what = "difference" if match.group(1) == "相差" else "total"
    unit = _UNIT_EN.get(match.group(3), match.group(3))
    return f"According to the Chinese sources, the {what} is {match.group(2)} {unit} ({match.group(4)}):"


#: The lead rules, in the order they are tried.
LEADS: tuple[LeadRule, ...] = (
    LeadRule(
        name="computed",
        question=re.compile(r"\b(how many|how long|how much|difference|total|in total|sum)\b", re.I),
        lead=_computed_lead,
    ),
    LeadRule(
        name="year",
        question=re.compile(r"\b(when|what year|which year|since when|in what year)\b", re.I),
        lead=_years_lead,
    ),
)


def english_lead(question: str, answer: str) -> str:
    """The English line put before the cited Chinese answer to ``question``."""
    for rule in LEADS:
        if rule.question.search(question):
            lead = rule.lead(answer)
            if lead:
                return lead
    return DEFAULT_LEAD


_TITLE = re.compile(r"《([^》]+)》")


def english_refusal(chinese_refusal: str) -> str:
    """The refusal in English, naming the documents (《…》) the Chinese one lists, if any."""
    titles = _TITLE.findall(chinese_refusal)
    answer = f"{ENGLISH_SOURCES_REFUSAL_LEAD[:-1]}, so I will not guess. I answer only from the documents collected"
    if titles:
        answer += ", such as " + "; ".join(f"“{t}”" for t in titles)
    return answer + "."


def sources_are_english(reply: Reply) -> bool:
    """True when the text the reply stands on has no Chinese: its quotes, or for a refusal
    (which quotes nothing) the candidate sentences its trace read. False when there is none."""
    texts = [q.quote for c in reply.citations for q in c.quotes] + [c.quote for c in reply.citations]
    if not texts:
        trace = reply.notes.get("trace", {})
        texts = [str(c.get("sentence", "")) for c in trace.get("candidates", [])]
    texts = [t for t in texts if _ENGLISH_WORD.search(t) or _CJK.search(t)]
    return bool(texts) and not any(_CJK.search(t) for t in texts)


def in_question_language(reply: Reply, settings: Settings | None = None) -> Reply:
    """``reply`` with an English lead line when its question is English; else unchanged.

    The lead is a separate first line; the Chinese answer, its ``[n]`` markers and citations
    are kept as they are. ``notes["answer_language"]`` records ``en`` and the rule used.
    ``settings``: see :func:`is_english`.
    """
    if not is_english(reply.question, settings) or not reply.answer:
        return reply
    if reply.notes.get("query", {}).get("kind") == "not_a_question":
        # Letters that ask nothing (asdf qwer, ../../etc/passwd) are in no language we can tell:
        # the short Chinese reply that it is not a question stands alone.
        return reply
    if sources_are_english(reply):
        if reply.refused:
            # The Chinese refusal is replaced, not led: an English reader of English documents
            # gets it all in English, with the documents it names (《…》) kept.
            answer = english_refusal(reply.answer)
            notes = {**reply.notes, "answer_language": "en", "english_lead": ENGLISH_SOURCES_REFUSAL_LEAD}
            return replace(reply, answer=answer, notes=notes)
        lead = ENGLISH_SOURCES_LEAD
    else:
        lead = REFUSAL_LEAD if reply.refused else english_lead(reply.question, reply.answer)
    notes = {**reply.notes, "answer_language": "en", "english_lead": lead}
    return replace(reply, answer=f"{lead}\n{reply.answer}", notes=notes)
