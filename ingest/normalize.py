"""Search-side text normalisation and tokenisation for Chinese (Traditional or Simplified).

Documents keep their own characters; only the text used for *matching* is normalised:
full-width forms folded (NFKC), case folded, and every character mapped to one script
(Simplified, via OpenCC ``t2s``), which also folds variants such as 臺/台 and 奬/獎.
Both the BM25 index and the answer-support scoring use these functions, so a question
typed in either script, or with either variant, meets the same tokens.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
import rjieba

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2twp")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(f"[{_CJK}]+|[a-z0-9]+(?:[.+][a-z0-9]+)*\\+?")

#: Words that carry no topic: question words, particles, generic verbs of asking.
#: Kept in Simplified, since matching happens after ``t2s``.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 并 等 之 其 这 那 这个 那个 这些 那些 有 有没有 没有 吗 呢 吧 啊 呀 嘛 哦
    什么 甚么 哪些 哪个 哪里 哪 谁 几 多少 怎么 怎样 如何 为什么 为何 是否 是不是 请问 请 想 想知道 知道 告诉 我 你 我们
    你们 他们 它 他 她 可以 能 能否 会 要 需要 一下 一些 所以 因为 还 又 再 对 给 被 把 从 向 到 于 以 为 中 上 下
    个 些 么 时候 什么时候 哪一年 哪年 何时 问 一个 the a an of to in on for and is are what which who how when where
    does do did was were it its about me tell please
    """.split()
)


@lru_cache(maxsize=4096)
def to_search_form(text: str) -> str:
    """Fold width and case, and map to Simplified so variants and scripts meet."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _T2S.convert(folded)


def to_traditional(text: str) -> str:
    """Convert to Traditional Chinese with Taiwan wording (OpenCC ``s2twp``)."""
    return _S2T.convert(text)


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
    traditional = _S2T.convert(text)
    changes_to_s = sum(a != b for a, b in zip(text, simplified, strict=False))
    changes_to_t = sum(a != b for a, b in zip(text, traditional, strict=False))
    return "hans" if changes_to_t > changes_to_s else "hant"


def words(text: str) -> list[str]:
    """Segmented words of ``text`` in search form (jieba segmentation, stopwords kept)."""
    norm = to_search_form(text)
    out: list[str] = []
    for run in _TOKEN_RE.findall(norm):
        if _CJK_RE.match(run):
            out.extend(w for w in rjieba.cut(run) if w.strip())
        else:
            out.append(run)
    return out


def content_terms(text: str) -> list[str]:
    """Words that carry meaning: segmented words minus stopwords and single characters.

    Single CJK characters are kept when they are not stopwords and the text has few
    other terms (short follow-ups such as ``那生醫呢`` still yield ``生医``).
    """
    terms = [w for w in words(text) if w not in STOPWORDS]
    long_terms = [w for w in terms if len(w) > 1]
    return long_terms if long_terms else terms


def bigrams(text: str) -> set[str]:
    """Character bigrams of the CJK runs (and whole Latin/digit tokens) in search form."""
    norm = to_search_form(text)
    grams: set[str] = set()
    for run in _TOKEN_RE.findall(norm):
        if _CJK_RE.match(run):
            if len(run) == 1:
                grams.add(run)
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            grams.add(run)
    return grams


def index_tokens(text: str) -> list[str]:
    """Tokens for the BM25 index: content words plus CJK character bigrams.

    Bigrams make matching robust to segmentation differences between question and
    passage (``淬鍊計畫`` vs ``淬鍊`` + ``計畫``).
    """
    tokens = [w for w in words(text) if w not in STOPWORDS]
    tokens.extend(sorted(bigrams(text)))
    return tokens
