"""Text primitives both sides use: script conversion, search form, index tokens, sentence spans.

Documents keep their own characters; only the text used for *matching* is normalised:
full-width forms folded (NFKC), case folded, and every character mapped to one script
(Simplified, via OpenCC ``t2s``), which also folds variants such as 臺/台 and 奬/獎.
Both the BM25 index (ingest) and the answer-support scoring (assistant) use these functions,
so a question typed in either script, or with either variant, meets the same tokens.
:func:`sentence_spans` cuts a text into the sentences citations quote, for the ingest's
splitter and the answerer's enforcer alike. Question-side word lists and segmentation live in
:mod:`assistant.lexicon`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2twp")
#: Character by character (no phrases): how many characters a text has that only Simplified writes.
_S2T_CHARS = opencc.OpenCC("s2t")
_TW2SP = opencc.OpenCC("tw2sp")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(f"[{_CJK}]+|[a-z0-9]+(?:[.+][a-z0-9]+)*\\+?")

#: The end of a sentence: Chinese and ASCII 。！？；!?; (with closing quotes or brackets), a line
#: break, or an English full stop: a period after a lower-case word, a figure or a closing
#: bracket, then a space and a capital (or an opening quote or bracket) — ``… the year. The``,
#: not ``1.5``, ``www.sme.gov.tw`` or ``R.O.C.`` (see :data:`ENGLISH_ABBREVIATIONS`).
_SENTENCE_END = re.compile(
    r"[。！？；!?;][」』）”’)]*|\n|(?<=[a-z0-9)\]%])\.[\"”’')]*(?=[ \t]+[\"“‘(\[]?[A-Z])"
)
#: Words written with a full stop that ends no sentence (``Art. 5``, ``No. 95``, ``Sec. 2``, ``e.g.
#: The``): general English abbreviations of legal, postal and bibliographic writing.
ENGLISH_ABBREVIATIONS = frozenset(
    "art arts no nos sec secs para paras subpara par ch chap cl vol p pp fig figs ed eds rd st ave "
    "blvd fl ln dist tel ext fax mr mrs ms dr prof jr sr inc co corp ltd llc dept govt approx est "
    "vs etc eg ie al cf jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?$")
#: A sentence that is only a list item's number so far (``1`` of ``1. Applicants…``).
_ITEM_NUMBER = re.compile(r"\s*\d{1,3}")
_SOFT_BREAK = re.compile(r"[，、,：:）)」』 \t]")


@lru_cache(maxsize=4096)
def to_search_form(text: str) -> str:
    """Fold width and case, and map to Simplified so variants and scripts meet."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _T2S.convert(folded)


#: A numbered item: 一、 (一) （1） 1. 1、 1) and the like at its start.
ITEM = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]{1,3}、|[（(][一二三四五六七八九十百\d]{1,3}[）)]|\d{1,3}\s*[.、．)）](?!\d))"
)


def to_simplified(text: str) -> str:
    """Convert to Simplified Chinese (OpenCC ``t2s``)."""
    return _T2S.convert(text)


def to_traditional(text: str) -> str:
    """Convert to Traditional Chinese with Taiwan wording (OpenCC ``s2twp``)."""
    return _S2T.convert(text)


def to_traditional_characters(text: str) -> str:
    """Convert to Traditional Chinese character by character (OpenCC ``s2t``, no Taiwan phrases),
    so each character keeps its place; ``text`` itself when a conversion would change the length."""
    converted = _S2T_CHARS.convert(text)
    return converted if len(converted) == len(text) else text


def to_mainland_wording(text: str) -> str:
    """A search-form (Simplified) text in mainland wording: Taiwan's words for things turned into
    the mainland's (网路 → 网络, 软体 → 软件; OpenCC ``s2t`` then ``tw2sp``), for looking words up
    in a dictionary of mainland usage (jieba's); never for matching documents."""
    return _TW2SP.convert(_S2T_CHARS.convert(text))


def count_cjk(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    return len(_CJK_RE.findall(text))


def detect_script(text: str) -> str:
    """``hans`` when the text is written in Simplified Chinese, else ``hant``.

    A text counts as Simplified when converting it to Traditional changes characters
    and converting it to Simplified changes none.
    """
    if not _CJK_RE.search(text):
        return "hant"
    simplified = _T2S.convert(text)
    # Character conversion only: s2twp's phrases (优化 → 最佳化) change the length, and a
    # Traditional text with a Taiwan phrase (優化, 舞臺) would count as Simplified.
    traditional = _S2T_CHARS.convert(text)
    changes_to_s = sum(a != b for a, b in zip(text, simplified, strict=False))
    changes_to_t = sum(a != b for a, b in zip(text, traditional, strict=False))
    return "hans" if changes_to_t > changes_to_s else "hant"


def search_runs(text: str) -> list[tuple[str, bool]]:
    """``text`` in search form as runs, in order: ``(run, True)`` for a run of CJK ideographs,
    ``(word, False)`` for one Latin/digit word; everything else (punctuation, spaces) is dropped."""
    return [(run, bool(_CJK_RE.match(run))) for run in _TOKEN_RE.findall(to_search_form(text))]


def bigram_list(text: str) -> list[str]:
    """Character bigrams of the CJK runs (and whole Latin/digit tokens), in order, in search form."""
    grams: list[str] = []
    for run, is_cjk in search_runs(text):
        if is_cjk:
            if len(run) == 1:
                grams.append(run)
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            grams.append(run)
    return grams


def bigrams(text: str) -> set[str]:
    """The distinct tokens of :func:`bigram_list`."""
    return set(bigram_list(text))


_CN_DIGITS = "〇零一二三四五六七八九十百千"
#: A law article as people type it, one pattern for the documents and the questions alike:
#: with 第 (``第24條``, ``第 24 條``, ``第二十四條``, ``第4-1條``, ``第4條之1``, ``第十之一條``);
#: without it (``10-1條``, ``10條之1``); a number right after a law's name (``產創條例10條``, the
#: name kept out of the article); and in English (``Article 24``, ``Art. 4-1``). A bare
#: 「3條」 may be a count of articles (本法共有72條), so it is none. Named groups: ``n`` the
#: article's number, ``sub`` the number after its dash or 之, ``law`` the law's name before it.
ARTICLE_REF = re.compile(
    rf"第\s*(?P<n1>[0-9]+|[{_CN_DIGITS}]+)\s*(?:-\s*(?P<s1>[0-9]+)\s*)?[條条]"
    rf"(?:\s*之\s*(?P<s2>[0-9]+|[{_CN_DIGITS}]+))?"
    rf"|第\s*(?P<n2>[0-9]{{1,3}}|[{_CN_DIGITS}]{{1,5}})\s*之\s*(?P<s3>[0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*[條条]"
    r"|(?<![第\d.．-])(?P<n3>\d{1,3})\s*-\s*(?P<s4>\d{1,2})\s*[條条]"
    rf"|(?<![第\d.．-])(?P<n4>\d{{1,3}})\s*[條条]\s*之\s*(?P<s5>[0-9]{{1,2}}|[{_CN_DIGITS}]{{1,3}})"
    r"|(?P<law>條例|条例|辦法|办法|規則|规则|細則|细则|法)\s*(?P<n5>\d{1,3})\s*[條条](?!\s*之)"
    r"|\b(?i:article|art\.)\s*(?P<n6>\d+)(?:\s*-\s*(?P<s6>\d+))?\b"
)


def article_number(match: re.Match[str]) -> str | None:
    """The article an :data:`ARTICLE_REF` match names, as an index token (``第24条``,
    ``第4-1条``), or None when a numeral does not read as a number."""
    groups = match.groupdict()
    number = next((groups[g] for g in ("n1", "n2", "n3", "n4", "n5", "n6") if groups[g]), None)
    sub = next((groups[g] for g in ("s1", "s2", "s3", "s4", "s5", "s6") if groups[g]), None)
    n = chinese_number(number) if number else None
    s = chinese_number(sub) if sub else None
    if n is None or (sub and s is None):
        return None
    return f"第{n}-{s}条" if s else f"第{n}条"


def chinese_number(number: str) -> int | None:
    """``24`` or ``二十四`` as an int (cn2an); None when it is neither."""
    if number.isdigit():
        return int(number)
    import cn2an

    try:
        return int(cn2an.cn2an(number, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def article_tokens(text: str) -> list[str]:
    """One ``第24条`` / ``第4-1条`` token per article reference in ``text`` (:data:`ARTICLE_REF`), in order."""
    tokens = (article_number(match) for match in ARTICLE_REF.finditer(text))
    return [t for t in tokens if t]


def without_articles(text: str) -> str:
    """``text`` with each article reference :func:`article_tokens` reads replaced by a space
    (a law's name before the number stays: 產創條例10條 → 產創條例 )."""
    return ARTICLE_REF.sub(lambda m: f"{m.group('law') or ''} ", text)


#: Measure words (search form) that make a number a figure: the common classifiers of modern
#: Chinese (三家, 一次, 十八歲) and the units of the documents' figures (三年, 二百萬元, 九成).
MEASURE_WORDS = "小时|个月|[个组家项位年种类方笔元倍次字篇日天岁人件张份名间所周条款月季期场成点页案]"
_NUMERAL = "〇零一二两三四五六七八九十百千"
#: A figure in search form: a percentage in words (百分之二十五), or a number in digits or Chinese
#: numerals, maybe with 萬/億 and a measure word (三十五歲, 35 歲, 200萬, 二百萬元, 2,000,000元).
_FIGURE = re.compile(
    rf"百分之(?P<pct>[{_NUMERAL}]+)"
    rf"|(?P<n>(?<![-/\d.])(?:\d{{1,3}}(?:,\d{{3}})+(?![\d,])|\d+(?:\.\d+)?)|[{_NUMERAL}](?:[{_NUMERAL}万亿]*[{_NUMERAL}])?)"
    rf"\s*(?P<mult>[万亿](?!分之))?\s*(?P<unit>%|{MEASURE_WORDS})?"
)
#: Units written two ways for one measure: 60天 and 60日 are the same span (a lone 个 adds nothing).
SAME_UNIT = {"天": "日", "个": ""}


def _figure_token(match: re.Match[str]) -> str | None:
    """The one form of a :data:`_FIGURE` match (``35岁``, ``2000000元``, ``25%``), or None when it
    is no figure: a Chinese numeral without 萬/億 or a measure word (一般, 統一), a bare number."""
    if match.group("pct"):
        percent = chinese_number(match.group("pct").replace("两", "二"))
        return None if percent is None else f"{percent}%"
    number, mult, unit = match.group("n"), match.group("mult"), match.group("unit")
    if not (mult or unit or "," in number):
        return None
    if number[0].isdigit():
        value: float | None = float(number.replace(",", ""))
    else:
        value = chinese_number(number.replace("两", "二"))
    if value is None:
        return None
    value *= {"万": 10_000, "亿": 100_000_000}.get(mult or "", 1)
    unit = unit or ("元" if mult else "")
    unit = "".join(SAME_UNIT.get(ch, ch) for ch in unit) if unit != "个月" else unit
    return f"{value:.15g}{unit}" if value < 1e15 else None


@lru_cache(maxsize=8192)
def figures_as_digits(text: str) -> str:
    """``text`` in search form with every figure written one way: 三十五歲 and 35 歲 → 35岁,
    二百萬元 and 200萬 → 2000000元, 百分之二十五 → 25%, 三天 → 3日 (for matching only: quotes and
    offsets use the document's text)."""

    def rewrite(match: re.Match[str]) -> str:
        token = _figure_token(match)
        return match.group(0) if token is None else token

    return _FIGURE.sub(rewrite, to_search_form(text))


def figure_tokens(text: str) -> list[str]:
    """The value in digits of each figure of ``text`` not written in plain digits (三十五歲 → ``35``,
    二百萬元 and 200萬 → ``2000000``, 百分之二十五 → ``25``, 2,000,000元 → ``2000000``), in order:
    the token :func:`bigram_list` gives the same figure written in digits (``35`` of 35歲), so a
    question in digits meets a document in Chinese numerals and the other way round. Figures in
    plain digits give none (their digits are tokens already)."""
    tokens = []
    for match in _FIGURE.finditer(to_search_form(text)):
        written = match.group("n") or ""
        token = _figure_token(match)
        if token and not (written.isdigit() and not match.group("mult")):
            tokens.append(re.sub(r"\D+$", "", token))
    return tokens


def index_tokens(text: str) -> list[str]:
    """Tokens for the BM25 index: CJK character bigrams and Latin/digit words.

    Bigrams (as Lucene's CJK analyser uses) make matching independent of word
    segmentation, which differs between a short question and a long passage and
    changes as domain words are taught to the segmenter. Article references (``第24條``,
    ``第 二十四 條``, ``第4條之1``) also give one token of their own in Arabic numerals
    (``第24条``), so a question in either numeral form meets the article; a figure in Chinese
    numerals (``三十五歲``) gives its value in digits too (:func:`figure_tokens`: ``35``).
    """
    return bigram_list(text) + article_tokens(text) + figure_tokens(text)


def limit_span(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into pieces of at most ``max_chars``, at a soft break where there is one."""
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cuts = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() > max_chars // 3]
        cut = start + (cuts[-1] if cuts else max_chars)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _abbreviated(text: str, dot: int) -> bool:
    """Whether the full stop at ``text[dot]`` ends an abbreviation (``Art.``, ``e.g.``) or a
    single letter (an initial), not a sentence."""
    word = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if word is None:
        return False
    letters = word.group(1).lower()
    if len(letters) == 1:
        return not text[dot - 2 : dot - 1].isalnum() or text[dot - 2 : dot - 1] == "."
    return letters.replace(".", "") in ENGLISH_ABBREVIATIONS or (
        dot >= 3 and text[dot - 2] == "." and letters in ("g", "e")
    )


def sentence_spans(
    text: str,
    start: int = 0,
    end: int | None = None,
    max_chars: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text[start:end]``, whitespace trimmed, empty ones dropped.

    Args:
        text: The cleaned text.
        start: Where to start.
        end: Where to stop (default: the end).
        max_chars: Longest sentence; longer ones are cut (see :func:`limit_span`).
        pattern: What ends a sentence (default: 。！？；!?; with closing quotes or brackets, and
            line breaks).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for match in (pattern or _SENTENCE_END).finditer(text, start, end):
        if pattern is None and text[match.start()] == "." and _abbreviated(text, match.start()):
            continue
        if (
            pattern is None
            and text[match.start()] == "."
            and _ITEM_NUMBER.fullmatch(text, pos, match.start())
        ):
            continue  # 「1. Applicants must…」: the number of a list item, not a sentence
        spans.append((pos, match.end()))
        pos = match.end()
    if pos < end:
        spans.append((pos, end))
    if max_chars:
        spans = [piece for a, b in spans for piece in limit_span(text, a, b, max_chars)]
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed
