"""Typo correction of a question against the documents' own vocabulary (:class:`Speller`).

Everything here works on the search form (Simplified, :func:`core.text.to_search_form`), one
character for one, so :func:`assistant.query.analyse` can map each correction back onto the
asker's characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.lexicon import common_characters, general_frequency, general_tag, general_words
from core.settings import Settings
from core.text import count_cjk

#: Characters that are function words of their own; never "corrected".
_FUNCTION_CHARS = frozenset(
    "的了是在和与及或也都就而并等之其为这那有吗呢吧啊呀嘛哦么个些几多少什哪谁怎如何我你他她它们要想会能可以把被给对从向到于"
    "以中上下里还又再很最更太没不别每各该此其啥咧喔耶嗯欸帮做跟同让给用去来说看问"
)


#: Characters of question words (search form).
_QUESTION_CHARS = frozenset("谁哪几啥吗呢么什多少怎")


class Speller:
    """Typo correction against the documents' vocabulary (character bigrams, search form).

    A character is a typo when neither bigram it forms with its Chinese neighbours occurs in
    the documents, and neither is a word of general Chinese. It is replaced by the character
    that sounds the same (pypinyin, tones ignored) and makes a bigram the documents use; else,
    by one edit (rapidfuzz Hamming distance 1), the one glossary name it then spells. Before
    that, whole words are read: a rare word that sounds like a frequent word of the documents
    (上線 → 上限), and a two-character word no dictionary has that sounds like a known one
    (幾念 → 幾年, 公作 → 工作).

    Given the documents' text, two more tests keep real words: a two-character word whose
    characters begin two adjacent words of the documents is their abbreviation, not a typo
    (產創 of 產業創新, 研替 of 研發替代役, 投抵 of 投資抵減); and a replacement must be a word of the
    documents, not a bigram that mostly straddles two of their words (技專 of 科技|專案 is no
    correction for 技轉).

    Args:
        bigrams: The documents' character bigrams (search form) and their document frequency.
        names: Names the documents define or the glossary lists (search form).
        rare_frequency: ``Settings.common_word_frequency``.
        min_corpus_frequency: ``Settings.typo_min_corpus_frequency``.
        common_char_frequency: ``Settings.common_char_frequency``.
        min_frequency_ratio: ``Settings.typo_min_frequency_ratio``.
        text: The documents' passages in search form, one per line
            (:meth:`assistant.retrieve.Retriever.searchable_text`); empty: the two tests above
            are skipped.
    """

    def __init__(
        self,
        bigrams: dict[str, int],
        names: Iterable[str] = (),
        rare_frequency: int = Settings.common_word_frequency,
        min_corpus_frequency: int = Settings.typo_min_corpus_frequency,
        common_char_frequency: int = Settings.common_char_frequency,
        min_frequency_ratio: float = Settings.typo_min_frequency_ratio,
        text: str = "",
    ) -> None:
        from pypinyin import lazy_pinyin

        self.bigrams = bigrams
        self.names = sorted({n for n in names if 2 <= len(n) <= 8 and count_cjk(n) == len(n)})
        self.rare_frequency = rare_frequency
        self.min_corpus_frequency = min_corpus_frequency
        self.common_char_frequency = common_char_frequency
        self.min_frequency_ratio = min_frequency_ratio
        self.text = text
        self._abbreviation: dict[str, bool] = {}
        self._straddles: dict[str, bool] = {}
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
    def from_settings(
        cls, bigrams: dict[str, int], names: Iterable[str], settings: Settings, text: str = ""
    ) -> Speller:
        """A speller with the thresholds of ``settings`` (see the class's arguments)."""
        return cls(
            bigrams,
            names,
            rare_frequency=settings.common_word_frequency,
            min_corpus_frequency=settings.typo_min_corpus_frequency,
            common_char_frequency=settings.common_char_frequency,
            min_frequency_ratio=settings.typo_min_frequency_ratio,
            text=text,
        )

    def abbreviates(self, word: str) -> bool:
        """Whether a two-character ``word`` (search form) is short for two adjacent words of the
        documents: in at least ``min_corpus_frequency`` places the documents write its first
        character opening a word of general Chinese of two or three characters and its second
        character opening the next such word (產創 ← 產業創新, 青創 ← 青年創業, 投抵 ← 投資抵減), the
        way Chinese abbreviates (科專 ← 科技專案)."""
        if not self.text or len(word) != 2:
            return False
        found = self._abbreviation.get(word)
        if found is None:
            words, text, seen = general_words(), self.text, 0
            at = text.find(word[0])
            while at >= 0 and seen < self.min_corpus_frequency:
                for n in (2, 3):
                    head, tail = text[at : at + n], text[at + n : at + n + 2]
                    if (
                        tail[:1] == word[1]
                        and head in words
                        and (tail in words or text[at + n : at + n + 3] in words)
                    ):
                        seen += 1
                        break
                at = text.find(word[0], at + 1)
            found = self._abbreviation[word] = seen >= self.min_corpus_frequency
        return found

    def straddles(self, word: str) -> bool:
        """Whether the documents write the two-character ``word`` mostly across two of their words:
        in at least half of its places (the first 200), the character before it and its first
        character form a word of general Chinese, and so do its second character and the one
        after (科技专案 holds 技专 only as 科技|专案)."""
        if not self.text or len(word) != 2:
            return False
        found = self._straddles.get(word)
        if found is None:
            words, text = general_words(), self.text
            places = split = 0
            at = text.find(word)
            while at >= 0 and places < 200:
                places += 1
                split += at > 0 and text[at - 1 : at + 1] in words and text[at + 1 : at + 3] in words
                at = text.find(word, at + 1)
            found = self._straddles[word] = places > 0 and 2 * split >= places
        return found

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
            if self.abbreviates(word):
                continue
            found = self._words_by_sound.get(tuple(self._pinyin(word)))
            if not found or found[0] == word or self.straddles(found[0]):
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
        Chinese at least ``rare_frequency`` times common: words of questions, which documents
        seldom write (幾年, 幾號), and words a law says otherwise (定意 → 定義, where the law
        writes 所稱…指); a question character is never replaced.
        """
        out: list[tuple[int, str, str]] = []
        for start, word in self._unseen_pairs(s):
            if general_frequency(word) or self.abbreviates(word):
                continue
            if all(c in _FUNCTION_CHARS for c in word):
                continue  # 這是, 也有: two grammatical words side by side, no misspelt one (not 這時)
            best, best_key = "", (0, 0)
            for j, c in enumerate(word):
                if c in _QUESTION_CHARS:
                    continue
                for x in self._sound.get(self._pinyin(c)[0], []):
                    candidate = word[:j] + x + word[j + 1 :]
                    if x == c or candidate not in general_words() or self.straddles(candidate):
                        continue
                    df = self.bigrams.get(candidate, 0)
                    key = (df if df >= self.min_corpus_frequency else 0, general_frequency(candidate))
                    if (key[0] or key[1] >= self.rare_frequency) and key > best_key:
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
        return not any(p in self.bigrams or p in words or self.abbreviates(p) for p in pairs) and not any(
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
                if self.bigrams.get(p, 0) >= self.min_corpus_frequency
                and p in general_words()
                and not self.straddles(p)
            )
            if df > best_df:
                best, best_df = x, df
        return best

    def _homophone_in_run(self, s: str, i: int) -> str:
        """The character that sounds like ``s[i]`` and makes, with both its neighbours, a run of
        three characters the documents write (好木人 → 好牧人 of 「好牧人的案件」), when the
        documents write neither bigram of ``s[i]`` with them; else "".

        The character pass spares a bigram of general Chinese (木人 is one), and a name the
        documents write once or twice is below ``min_corpus_frequency`` for it; three characters
        in a row, two of them the asker's own, are a stronger match than any bigram count. A run
        with a function or question character, a common character in the middle, a run of general
        Chinese, and one with a word of general Chinese that is not rare (``rare_frequency``:
        失業 of 的失業) stay.
        """
        if not (0 < i < len(s) - 1 and self.text) or count_cjk(s[i - 1 : i + 2]) != 3:
            return ""
        run = s[i - 1 : i + 2]
        if any(ch in _FUNCTION_CHARS or ch in _QUESTION_CHARS for ch in run):
            return ""  # 的失業: a function character makes no name with its neighbour
        if run[1] in common_characters(self.common_char_frequency) or run in general_words():
            return ""
        for pair in (run[:2], run[1:]):
            # A bigram the documents write, or a word of general Chinese that is not rare (失業),
            # is the asker's own.
            if pair in self.bigrams or general_frequency(pair) >= self.rare_frequency:
                return ""
        c = s[i]
        found = [
            x
            for x in self._sound.get(self._pinyin(c)[0], [])
            if x != c and f"{s[i - 1]}{x}{s[i + 1]}" in self.text
        ]
        return found[0] if len(found) == 1 else ""

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
                x = self._homophone_in_run(text, i)
                if x:
                    fixes.append((text[i - 1 : i + 2], text[i - 1] + x + text[i + 1]))
                    s[i] = x
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
