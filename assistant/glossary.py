"""Aliases: the short or colloquial names people use for what the documents name in full.

Two sources, merged:

* definitions the documents make themselves, ``產業技術司（簡稱技術司）``, found by pattern;
* ``glossary.json`` in the corpus folder, for abbreviations the documents use without
  defining (``科專`` for ``科技專案``) and everyday synonyms.

Everything is kept in search form (see :func:`core.text.to_search_form`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

from core.errors import KezhuanError
from core.text import to_search_form

log = logging.getLogger(__name__)

GLOSSARY_NAME = "glossary.json"

# 「全名」（簡稱X） or 全名（以下稱X）: the full name is the quoted name or the run of text before.
_DEFINITION = re.compile(
    r"(?:「([^「」]{2,30})」|([^\s，。、；：「」（）]{2,12}))（(?:簡稱|简称|以下稱|以下简称|以下簡稱|以下称)([^（）]{2,16})）"
)

#: 全名（English name or acronym）: 「小型企業創新研發計畫」（SBIR）, 人工智慧（AI）. The documents
#: write the English next to their Chinese; an English question reaches the Chinese through it.
_ENGLISH_NAME = re.compile(
    r"(?:「([^「」]{2,30})」|([\u4e00-\u9fff]{2,12}))\s*[（(]\s*([A-Za-z][A-Za-z0-9&+\-]*(?: [A-Za-z0-9&+\-]+){0,5})\s*[）)]"
)

#: A short quoted name: 「促新創」, 「健康產業」 (longer ones are phrases the segmenter splits well).
_SHORT_NAME = re.compile(r"「([\u4e00-\u9fff]{2,6})」")


#: jieba's tags of words that start no name: verbs (not verbal nouns), prepositions,
#: conjunctions, particles, adverbs, pronouns (與人工智慧 → 人工智慧, 推動虛擬實境 → 虛擬實境).
_NOT_NAME_START = ("v", "p", "c", "u", "d", "r")


def _name_at_end(run: str) -> str:
    """The name a run of Chinese ends with: its words from the first that may start a name."""
    from assistant.lexicon import part_of_speech, words

    cut = words(run)
    while len(cut) > 1:
        tag = part_of_speech(to_search_form(cut[0]))
        if not tag.startswith(_NOT_NAME_START) or tag == "vn":
            break
        cut = cut[1:]
    return "".join(cut)


class Glossary:
    """Alias lookup in search form: ``aliases_of("科专") == ["科技专案", ...]``."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._aliases: dict[str, list[str]] = {}
        #: Short names the documents put in quotes (「促新創」), taught to the segmenter so a
        #: question's 促新創跟育新創 splits into them (search form).
        self.names: set[str] = set()
        for short, full in pairs:
            self.add(short, full)

    def add(self, short: str, full: str) -> None:
        """Make ``short`` and ``full`` aliases of each other."""
        self._link(short, full, both_ways=True)

    def refer(self, word: str, name: str) -> None:
        """Make ``name`` an alias of ``word`` one way only (政府 → 經濟部, not back)."""
        self._link(word, name, both_ways=False)

    def _link(self, short: str, full: str, both_ways: bool) -> None:
        a, b = to_search_form(short.strip()), to_search_form(full.strip())
        if not a or not b or a == b:
            return
        for x, y in ((a, b), (b, a)) if both_ways else ((a, b),):
            known = self._aliases.setdefault(x, [])
            if y not in known:
                known.append(y)

    def aliases_of(self, term: str) -> list[str]:
        """Other forms of ``term`` (search form), possibly empty."""
        return self._aliases.get(term, [])

    def expand(self, text: str) -> list[str]:
        """Aliases of every glossary entry that occurs in ``text`` (search form)."""
        norm = to_search_form(text)
        out: list[str] = []
        for key, values in self._aliases.items():
            if key in norm and (
                not key.isascii() or re.search(rf"(?<![a-z0-9]){re.escape(key)}(?:e?s)?(?![a-z0-9])", norm)
            ):
                # An English key is a word of its own: "ai" is not the ai of "taiwan"; its
                # plural is the same entry ("technology programs").
                out.extend(v for v in values if v not in norm and v not in out)
        return out

    def terms(self) -> list[str]:
        """Every form the glossary knows, aliases and quoted names (search form)."""
        return sorted(set(self._aliases) | self.names)

    def __len__(self) -> int:
        return len(self._aliases)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Glossary:
        """Definitions such as ``產業技術司（簡稱技術司）`` found in the documents, and English names
        written next to their Chinese (``「小型企業創新研發計畫」（SBIR）``, ``人工智慧（AI）``)."""
        glossary = cls()
        for text in texts:
            for match in _DEFINITION.finditer(text):
                full = match.group(1) or match.group(2)
                glossary.add(match.group(3), full)
            for match in _ENGLISH_NAME.finditer(text):
                name = match.group(1) or _name_at_end(match.group(2))
                if sum(c.isalpha() for c in match.group(3)) >= 2 and len(name) >= 2:  # 平均月薪（A）: a label
                    glossary.add(match.group(3), name)
            glossary.names.update(to_search_form(name) for name in _SHORT_NAME.findall(text))
        return glossary

    def merge_file(self, path: Path) -> None:
        """Add the aliases of a ``glossary.json`` (``{"aliases": {"short": ["full", ...]}}``).

        An optional ``"references"`` table holds everyday words that stand for the documents'
        names only one way: 政府 in a question means 經濟部, but 經濟部 does not mean 政府.

        Raises:
            KezhuanError: the file is not valid JSON of that shape.
        """
        if not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            for table, link in ((data["aliases"], self.add), (data.get("references", {}), self.refer)):
                for short, fulls in table.items():
                    for full in [fulls] if isinstance(fulls, str) else fulls:
                        link(str(short), str(full))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise KezhuanError(
                f'{path}: not a valid glossary ({e}). Expected {{"aliases": {{"科專": ["科技專案"]}}, "references": {{"政府": ["經濟部"]}}}}.'
            ) from e
