"""One analysis of a question, made once at the start of ``ask`` and read by every later step.

:func:`analyse` turns the raw text into a :class:`Query`:

* the cleaned text: HTML entities and tags removed, NFKC, zero-width characters, emoji and
  stray symbols dropped, spaces between Chinese characters removed (``科 專 是`` → ``科專是``);
* whether it is a question at all (``asdf qwer``, ``{{7*7}}``, ``../../etc/passwd`` are not)
  and whether it tries to make the assistant drop its rules (:mod:`assistant.rules`);
* its script (``hant``, ``hans`` or ``latin``);
* typos corrected against the documents' own vocabulary (:class:`Speller`);
* its clauses sorted into the focus (what is asked), background (what the asker heard) and
  the asker's own context (我是研究生, 我們公司在台南…) with pleasantries dropped;
* the numbers it names, with 民國 years also given as western years.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant import rules
from assistant.lexicon import content_terms
from assistant.parts import figure_kind
from core.settings import Settings
from core.text import count_cjk, detect_script, to_search_form, to_traditional_characters, without_articles

_TAG = re.compile(r"<[^<>]{0,200}>")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CJK_CHAR = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: A clause: up to a comma, stop, question mark, line break, or a space between Chinese words.
_CLAUSE = re.compile(f"(?:[^，,。；;！!？?\\n ]|(?<![{_CJK_CHAR}]) | (?![{_CJK_CHAR}]))+[？?]?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ROC_YEAR = re.compile(r"民國\s*(\d{2,3})\s*年|民国\s*(\d{2,3})\s*年")
#: Unicode categories dropped as stray symbols (emoji are So; private use Co; unassigned Cn).
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Co", "Cn", "Cs"})


@dataclass(frozen=True)
class Query:
    """A question, analysed once.

    Attributes:
        raw: The text as received.
        text: Cleaned text with typos corrected (what is searched).
        script: ``hant``, ``hans`` (Chinese) or ``latin`` (no Chinese).
        kind: ``question``, ``not_a_question``, ``injection`` or ``off_topic`` (small talk:
            answered with the refusal, as questions the documents do not answer are).
        reason: Why it is not a question ("" for a question).
        focus: The clauses that ask, without their openers (想請問…), joined.
        background: Clauses that set the topic without asking (聽說技術司在花蓮有中心).
        context: The asker's own clauses and pleasantries (我是研究生), kept apart.
        corrections: ``(typo, correction)`` pairs applied (search form).
        numbers: Numbers named in the focus (two or more digits), 民國 years also as western.
        rules: The input rules that ran and what they decided, for the trace.
    """

    raw: str
    text: str
    script: str
    kind: str = "question"
    reason: str = ""
    focus: str = ""
    background: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    numbers: tuple[str, ...] = ()
    rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_question(self) -> bool:
        return self.kind == "question"

    @property
    def switches_topic(self) -> bool:
        """Whether the asker says the question starts afresh (換個問題, 另外問一下)."""
        return any(rules.TOPIC_SWITCH.search(to_search_form(c)) for c in self.context)

    @property
    def search_text(self) -> str:
        """Background and focus, what retrieval reads (the asker's own context left out)."""
        return "，".join([*self.background, self.focus]) if self.focus else self.text

    def trace(self) -> dict[str, object]:
        """The analysis as a JSON-able dict."""
        return {
            "cleaned": self.text,
            "script": self.script,
            "kind": self.kind,
            "reason": self.reason,
            "focus": self.focus,
            "background": list(self.background),
            "context": list(self.context),
            "corrections": [f"{a}→{b}" for a, b in self.corrections],
            "numbers": list(self.numbers),
            "answer_types": [t.name for t in rules.asked_types(to_search_form(self.focus or self.text))]
            + (["bound"] if rules.asks_bound(to_search_form(self.focus or self.text)) else [])
            # what else (除了…還): the answer goes on past the sentence about what it names
            + (["more"] if rules.ASKS_MORE.search(to_search_form(self.focus or self.text)) else []),
        }


#: A clause that opens with a comparative 比 (not 比較, 比如, 比方): its subject is the clause before it.
_GOES_ON = re.compile(r"^\s*比(?![较如方起])")


def clean(text: str) -> str:
    """Markup, entities, zero-width characters, emoji and stray symbols removed; NFKC.

    ``科技專案是從哪一年開始的&nbsp;？`` → ``科技專案是從哪一年開始的？``;
    ``苗😀栗中心`` → ``苗栗中心``; ``科 專 是 哪 一 年`` → ``科專是哪一年``.
    """
    text = html.unescape(html.unescape(text))
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    text = _join_spaced_out(text)
    text = digits_for_numerals(text)
    return re.sub(r"\s+", " ", text).strip()


#: Chinese numerals the documents write in digits: a year read digit by digit, western (一九九六年)
#: or 民國 (一〇三年, 一一三年), and a legal reference (第二十四條). Two digits (三四年: three or
#: four years) are a count, not a year.
_CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九]{3,4})(?=\s*年)")
_CHINESE_ORDINAL = re.compile(r"(?<=第)\s*([〇零一二两三四五六七八九十百]+)\s*(?=[條条項项款章節节])")


def digits_for_numerals(text: str) -> str:
    """Years and legal references in Chinese numerals written in digits (cn2an): 一九九六年 → 1996年,
    民國一〇三年 → 民國103年, 第二十四條 → 第24條."""
    import cn2an

    def convert(match: re.Match[str]) -> str:
        try:
            return str(cn2an.cn2an(match.group(1), "smart"))
        except ValueError:
            return match.group(0)

    return _CHINESE_ORDINAL.sub(convert, _CHINESE_YEAR.sub(convert, text))


def _join_spaced_out(text: str) -> str:
    """Spaces next to a lone Chinese character removed: 科 專 是 哪 一 年 → 科專是哪一年.

    Spaces between words of two or more characters (臺東 深層海水) stay: they part clauses.
    """
    tokens = text.split(" ")
    out = [tokens[0]] if tokens else []
    for token in tokens[1:]:
        prev = out[-1]
        lone = (len(prev) == 1 and count_cjk(prev)) or (
            count_cjk(token[:1]) and (len(token) == 1 or not count_cjk(token[1:2]))
        )
        if prev and token and count_cjk(prev[-1]) and count_cjk(token[0]) and lone:
            out[-1] = prev + token
        else:
            out.append(token)
    return " ".join(out)


def question_numbers(focus: str) -> tuple[str, ...]:
    """Numbers of two or more digits (years, amounts), with 民國 years as western years too; an
    article's number (第10條, 10-1條, :data:`core.text.ARTICLE_REF`) names where to look, not a figure."""
    norm = without_articles(to_search_form(focus))
    found = [n for n in _NUMBER.findall(norm) if len(n) >= 2 or "." in n]
    for match in _ROC_YEAR.finditer(focus):
        roc = int(match.group(1) or match.group(2))
        found.append(str(roc + 1911))
    return tuple(dict.fromkeys(found))


def _script(text: str) -> str:
    if count_cjk(text) == 0:
        return "latin"
    return detect_script(text)


def analyse(
    raw: str,
    correct: Callable[[str], tuple[str, tuple[tuple[str, str], ...]]] | None = None,
    settings: Settings | None = None,
) -> Query:
    """The :class:`Query` of a raw question.

    Args:
        raw: The question as received (validated for length elsewhere).
        correct: Typo correction of a search-form text (:meth:`Speller.correct`); None: none.
        settings: The figures of the input rules (:func:`assistant.rules.input_rules`); None: the defaults.
    """
    cleaned = clean(raw)
    script = _script(cleaned)
    fired = (
        rules.first_fired(cleaned, rules.input_rules(settings)) if settings else rules.first_fired(cleaned)
    )
    if fired is not None:
        # Small talk is a question, but not one the documents answer: it gets the refusal.
        kind = {"asks_to_drop_rules": "injection", "small_talk_only": "off_topic"}.get(
            fired.rule, "not_a_question"
        )
        return Query(
            raw=raw, text=cleaned, script=script, kind=kind, reason=fired.reason, rules=(fired.rule,)
        )
    # Corrections are made on the search form (one character for one); the text keeps the
    # asker's characters elsewhere.
    search = to_search_form(cleaned)
    fixes: tuple[tuple[str, str], ...] = ()
    text = cleaned
    if correct is not None and count_cjk(cleaned) and len(search) == len(cleaned):
        fixed, fixes = correct(search)
        # A correction is made in search form (Simplified); a Traditional question gets it in
        # Traditional characters (技术 → 技術), never a mix of scripts.
        shown = fixed if script == "hans" else to_traditional_characters(fixed)
        text = "".join(t if f != s else c for c, s, f, t in zip(cleaned, search, fixed, shown, strict=True))
    focus: list[str] = []
    background: list[str] = []
    context: list[str] = []
    for clause in _CLAUSE.findall(text):
        clause = clause.strip()
        role = rules.clause_role(to_search_form(clause))
        if role == "focus" and background and _GOES_ON.match(to_search_form(clause)):
            # 「10-2條的抵減率，比第10條的高幾個百分點？」: a clause opening with 比 compares the
            # subject of the clause before it, which is asked as much.
            focus.append(background.pop())
        elif (
            role == "focus"
            and background
            and rules.ASKS_EACH.search(to_search_form(clause))
            and figure_kind(to_search_form(clause))[0]
            and not rules.JOINS_PARTS.search(to_search_form(clause))
            and rules.JOINS_PARTS.search(to_search_form(background[-1]))
        ):
            # 「組團參展跟個別廠商參展，一年各可以申請幾項展覽？」: 各 asks a figure (幾項, 多少, 哪年:
            # :func:`assistant.parts.figure_kind`) of each of the parts the clause before it joins,
            # which are its operands (with the clause before that when the join opens it).
            joined = [background.pop()]
            while background and rules.JOINS_PARTS.match(to_search_form(joined[0]).strip()):
                joined.insert(0, background.pop())
            focus.extend(joined)
        elif role == "focus" and background and not content_terms(to_search_form(clause)):
            # 「老闆想再申請第二案，請問可以嗎？」: a tag that names nothing (可以嗎, 對吧) asks about
            # the statement right before it, which is the focus, not what the asker heard.
            focus.extend([background.pop(), clause])
            continue
        if role == "focus":
            bare = rules.strip_opener(to_search_form(clause))
            focus.append(clause[len(clause) - len(bare) :] if len(bare) <= len(clause) else clause)
        elif role == "background":
            background.append(clause)
        elif clause:
            context.append(clause)
    if not focus:  # nothing asks outright (科專 沿革, keywords): all of it is the focus
        focus, background = [*background], []
        if not focus:
            focus, context = [text], []
    focus_text = "，".join(focus)
    return Query(
        raw=raw,
        text=text,
        script=script,
        focus=focus_text,
        background=tuple(background),
        context=tuple(context),
        corrections=fixes,
        numbers=question_numbers(focus_text),
        rules=("question",),
    )
