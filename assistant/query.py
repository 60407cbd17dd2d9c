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
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from assistant import rules
from core.settings import Settings
from core.text import count_cjk, detect_script, to_search_form, without_articles

_TAG = re.compile(r"<[^<>]{0,200}>")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CJK_CHAR = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: A clause: up to a comma, stop, question mark, line break, or a space between Chinese words.
_CLAUSE = re.compile(f"(?:[^，,。；;！!？?\\n ]|(?<![{_CJK_CHAR}]) | (?![{_CJK_CHAR}]))+[？?]?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ROC_YEAR = re.compile(r"民國\s*(\d{2,3})\s*年|民国\s*(\d{2,3})\s*年")
#: Unicode categories dropped as stray symbols (emoji are So; private use Co; unassigned Cn).
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Co", "Cn", "Cs"})
#: Characters that are function words of their own; never "corrected".
_FUNCTION_CHARS = frozenset(
    "的了是在和与及或也都就而并等之其为这那有吗呢吧啊呀嘛哦么个些几多少什哪谁怎如何我你他她它们要想会能可以把被给对从向到于"
    "以中上下里还又再很最更太没不别每各该此其啥咧喔耶嗯欸帮做跟同让给用去来说看问"
)


#: Characters of question words (search form).
_QUESTION_CHARS = frozenset("谁哪几啥吗呢么什多少怎")


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


#: Chinese numerals the documents write in digits: a year (一九九六年), a legal reference (第二十四條).
_CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})(?=\s*年)")
_CHINESE_ORDINAL = re.compile(r"(?<=第)\s*([〇零一二两三四五六七八九十百]+)\s*(?=[條条項项款章節节])")


def digits_for_numerals(text: str) -> str:
    """Years and legal references in Chinese numerals written in digits (cn2an): 一九九六年 → 1996年."""
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


@lru_cache(maxsize=4)
def common_characters(min_frequency: int = Settings.common_char_frequency) -> frozenset[str]:
    """Single characters that are words of their own at least ``min_frequency`` times in jieba's
    dictionary (``Settings.common_char_frequency``): function or everyday words (比, 跟, 號)."""
    return frozenset(w for w, n in _jieba_dictionary().items() if len(w) == 1 and n >= min_frequency)


@lru_cache(maxsize=1)
def general_words() -> frozenset[str]:
    """Words of general Chinese (jieba's dictionary, Simplified), two to four characters.

    A string found here is a real word, never a typo, even if the documents lack it.
    Empty when jieba is not installed (typo correction then trusts the corpus alone).
    """
    return frozenset(w for w in _jieba_dictionary() if 2 <= len(w) <= 4)


def general_frequency(word: str) -> int:
    """How often ``word`` (search form) occurs in general Chinese: its count in jieba's
    dictionary (a corpus of some 60 million words), 0 when the dictionary lacks it."""
    return _jieba_dictionary().get(word, 0)


def general_tag(word: str) -> str:
    """The part-of-speech tag jieba's dictionary gives ``word`` (search form), "" when it lacks
    it. Unlike the segmenter's tag, words the documents taught it (:func:`register_words`) do not
    change it."""
    return _jieba_entries()[1].get(word, "")


def _jieba_dictionary() -> dict[str, int]:
    """Words of one to four characters of jieba's dictionary and their counts."""
    return _jieba_entries()[0]


@lru_cache(maxsize=1)
def _jieba_entries() -> tuple[dict[str, int], dict[str, str]]:
    """jieba's dictionary file (``word count tag`` per line), read once: the counts and the
    part-of-speech tags of its words of one to four characters."""
    try:
        import jieba  # the dictionary file only; the segmenter is not loaded
    except ImportError:
        return {}, {}
    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    counts: dict[str, int] = {}
    tags: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 1 and 1 <= len(parts[0]) <= 4:
                counts[parts[0]] = int(parts[1])
                if len(parts) > 2:
                    tags[parts[0]] = parts[2]
    return counts, tags


class Speller:
    """Typo correction against the documents' vocabulary (character bigrams, search form).

    A character is a typo when neither bigram it forms with its Chinese neighbours occurs in
    the documents, and neither is a word of general Chinese. It is replaced by the character
    that sounds the same (pypinyin, tones ignored) and makes a bigram the documents use; else,
    by one edit (rapidfuzz Hamming distance 1), the one glossary name it then spells. Before
    that, whole words are read: a rare word that sounds like a frequent word of the documents
    (上線 → 上限), and a two-character word no dictionary has that sounds like a known one
    (幾念 → 幾年, 公作 → 工作).

    Args:
        bigrams: The documents' character bigrams (search form) and their document frequency.
        names: Names the documents define or the glossary lists (search form).
        rare_frequency: ``Settings.common_word_frequency``.
        min_corpus_frequency: ``Settings.typo_min_corpus_frequency``.
        common_char_frequency: ``Settings.common_char_frequency``.
        min_frequency_ratio: ``Settings.typo_min_frequency_ratio``.
    """

    def __init__(
        self,
        bigrams: dict[str, int],
        names: Iterable[str] = (),
        rare_frequency: int = Settings.common_word_frequency,
        min_corpus_frequency: int = Settings.typo_min_corpus_frequency,
        common_char_frequency: int = Settings.common_char_frequency,
        min_frequency_ratio: float = Settings.typo_min_frequency_ratio,
    ) -> None:
        from pypinyin import lazy_pinyin

        self.bigrams = bigrams
        self.names = sorted({n for n in names if 2 <= len(n) <= 8 and count_cjk(n) == len(n)})
        self.rare_frequency = rare_frequency
        self.min_corpus_frequency = min_corpus_frequency
        self.common_char_frequency = common_char_frequency
        self.min_frequency_ratio = min_frequency_ratio
        chars = {c for b in bigrams for c in b if count_cjk(c)}
        self._sound: dict[str, list[str]] = {}
        for c in sorted(chars):
            self._sound.setdefault(lazy_pinyin(c)[0], []).append(c)
        self._pinyin = lazy_pinyin
        #: The documents' frequent two-character words by their toneless pinyin.
        self._words_by_sound: dict[tuple[str, ...], tuple[str, int]] = {}
        for word, df in bigrams.items():
            if df < min_corpus_frequency:
                continue
            if word not in general_words():
                continue  # a bigram across two words (依公 of 依公司法) is no replacement
            key = tuple(lazy_pinyin(word))
            if df > self._words_by_sound.get(key, ("", 0))[1]:
                self._words_by_sound[key] = (word, df)

    @classmethod
    def from_settings(cls, bigrams: dict[str, int], names: Iterable[str], settings: Settings) -> Speller:
        """A speller with the thresholds of ``settings`` (see the class's arguments)."""
        return cls(
            bigrams,
            names,
            rare_frequency=settings.common_word_frequency,
            min_corpus_frequency=settings.typo_min_corpus_frequency,
            common_char_frequency=settings.common_char_frequency,
            min_frequency_ratio=settings.typo_min_frequency_ratio,
        )

    def _unseen_pairs(self, s: str) -> list[tuple[int, str]]:
        """``(start, word)`` of the two-character Chinese words of ``s`` (jieba's segmentation)
        that the documents never write: the words the word passes may correct. A word whose
        second character is a localizer (jieba's tag ``f``: 裡 上 中 前 後) is a noun with it."""
        out: list[tuple[int, str]] = []
        for start, word in _word_spans(s):
            if len(word) == 2 and general_tag(word[1]) == "f":
                continue  # a noun and its localizer (條裡, 會上, 文件中): grammar, no typo
            if len(word) == 2 and count_cjk(word) == 2 and word not in self.bigrams:
                out.append((start, word))
        return out

    def _rare_word(self, s: str) -> list[tuple[int, str, str]]:
        """Rare words of general Chinese the documents never use that sound like a frequent
        word of theirs: 上線 (657 in jieba's counts) for 上限 (228), the replacement at least
        ``min_frequency_ratio`` times as common in general Chinese as the word it replaces.
        ``(start, word, replacement)``."""
        out: list[tuple[int, str, str]] = []
        for start, word in self._unseen_pairs(s):
            if any(c in _QUESTION_CHARS for c in word):
                continue  # 幾項, 幾所: question words are never typos
            if not 0 < general_frequency(word) < self.rare_frequency:
                continue  # unknown strings are the character pass's; common words stay
            found = self._words_by_sound.get(tuple(self._pinyin(word)))
            if not found or found[0] == word:
                continue
            if general_frequency(found[0]) < self.min_frequency_ratio * general_frequency(word):
                continue  # 司長 (788) is no slip for 四章 (13), a bigram of 第四章 general Chinese hardly writes
            out.append((start, word, found[0]))
        return out

    def _unknown_word(self, s: str) -> list[tuple[int, str, str]]:
        """Two-character words that neither the documents nor general Chinese know, one of whose
        characters sounds like a character of the documents that makes a known word: 幾念 → 幾年,
        公作 → 工作. ``(start, word, replacement)``.

        The character pass leaves them alone when the mistyped character is common (念, 公) or
        the word holds a question character (幾); a word that no dictionary has is a slip
        whatever its characters. The replacement is a word the documents use often enough
        (``min_corpus_frequency`` passages) and general Chinese knows, else a word of general
        Chinese at least ``rare_frequency`` times common when the word holds a question
        character (幾年, 幾號: words of questions, which documents seldom write); a question
        character is never replaced.
        """
        out: list[tuple[int, str, str]] = []
        for start, word in self._unseen_pairs(s):
            if general_frequency(word):
                continue
            asks = any(c in _QUESTION_CHARS for c in word)
            best, best_key = "", (0, 0)
            for j, c in enumerate(word):
                if c in _QUESTION_CHARS:
                    continue
                for x in self._sound.get(self._pinyin(c)[0], []):
                    candidate = word[:j] + x + word[j + 1 :]
                    if x == c or candidate not in general_words():
                        continue
                    df = self.bigrams.get(candidate, 0)
                    key = (df if df >= self.min_corpus_frequency else 0, general_frequency(candidate))
                    if (key[0] or (asks and key[1] >= self.rare_frequency)) and key > best_key:
                        best, best_key = candidate, key
            if best:
                out.append((start, word, best))
        return out

    def _suspect(self, s: str, i: int) -> bool:
        c = s[i]
        if not count_cjk(c) or c in _FUNCTION_CHARS or c in common_characters(self.common_char_frequency):
            return False
        words = general_words()
        pairs = [
            s[i - 1 : i + 1] if i > 0 and count_cjk(s[i - 1]) else "",
            s[i : i + 2] if count_cjk(s[i + 1 : i + 2]) else "",
        ]
        pairs = [p for p in pairs if len(p) == 2]
        if not pairs:
            return False
        # A character of a longer word of general Chinese (工研院, 中研院) is spelled right.
        longer = (s[j : j + n] for n in (3, 4) for j in range(max(0, i - n + 1), i + 1))
        return not any(p in self.bigrams or p in words for p in pairs) and not any(
            len(w) > 2 and w in words for w in longer
        )

    def _homophone(self, s: str, i: int) -> str:
        best, best_df = "", 0
        left, right = _free_neighbours(s, i)
        for x in self._sound.get(self._pinyin(s[i])[0], []):
            if x == s[i]:
                continue
            # Only a word the documents use often enough, and that general Chinese knows too
            # (嘉義, 重點), counts: a bigram across two words (有具, 合上) is no correction, nor
            # one with a neighbour the segmenter already reads in a word of its own (研發|占比:
            # 發 is 研發's, so 占 does not become 展 for 發展).
            pairs = [s[i - 1] + x if left else "", x + s[i + 1] if right else ""]
            df = sum(
                self.bigrams.get(p, 0)
                for p in pairs
                if self.bigrams.get(p, 0) >= self.min_corpus_frequency and p in general_words()
            )
            if df > best_df:
                best, best_df = x, df
        return best

    def _one_edit(self, s: str, i: int) -> tuple[int, str]:
        from rapidfuzz.distance import Hamming

        found: set[tuple[int, str]] = set()
        for name in self.names:
            for start in range(max(0, i - len(name) + 1), min(i, len(s) - len(name)) + 1):
                window = s[start : start + len(name)]
                if window[i - start] != name[i - start] and Hamming.distance(window, name) == 1:
                    # A two-character name must stand as a word: its kept character forms no
                    # bigram the documents use with the characters outside it (幫中小企業 is no 台中).
                    end = start + len(name)
                    joined = (s[start - 1 : start + 1] if start > 0 else "", s[end - 1 : end + 1])
                    if len(name) > 2 or not any(len(b) == 2 and b in self.bigrams for b in joined):
                        found.add((start, name))
        return next(iter(found)) if len(found) == 1 else (-1, "")

    def correct(self, search_form: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The text with typos corrected, and the ``(span, corrected span)`` pairs."""
        s = list(search_form)
        fixes: list[tuple[str, str]] = []
        for start, word, replacement in self._rare_word(search_form) + self._unknown_word(search_form):
            s[start : start + 2] = list(replacement)
            fixes.append((word, replacement))
        for i in range(len(s)):
            text = "".join(s)
            if not self._suspect(text, i):
                continue
            x = self._homophone(text, i)
            if x:
                lo, hi = max(0, i - 1), min(len(s), i + 2)
                s[i] = x
                fixes.append((text[lo:hi], "".join(s[lo:hi])))
                continue
            start, name = self._one_edit(text, i)
            if name:
                fixes.append((text[start : start + len(name)], name))
                s[start : start + len(name)] = list(name)
        return "".join(s), tuple(fixes)


def _word_spans(s: str) -> list[tuple[int, str]]:
    """``(start, word)`` of jieba's segmentation of ``s``, in order."""
    from assistant.lexicon import words

    spans: list[tuple[int, str]] = []
    at = 0
    for word in words(s):
        start = s.find(word, at)
        if start < 0:
            continue
        at = start + len(word)
        spans.append((start, word))
    return spans


def _free_neighbours(s: str, i: int) -> tuple[bool, bool]:
    """Whether the characters left and right of ``s[i]`` are free to form a word with it: they
    exist and jieba's segmentation does not put them in a word of two or more characters without
    ``s[i]`` (in 研發占比, 發 is taken by 研發; 占 may only pair with 比)."""
    taken: set[int] = set()
    for start, word in _word_spans(s):
        if len(word) > 1 and not start <= i < start + len(word):
            taken.update(range(start, start + len(word)))
    return (i > 0 and i - 1 not in taken, i + 1 < len(s) and i + 1 not in taken)


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
        text = "".join(f if f != s else c for c, s, f in zip(cleaned, search, fixed, strict=True))
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
