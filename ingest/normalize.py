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
from collections.abc import Iterable
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
    的 了 是 在 和 与 及 或 也 都 就 而 并 等 之 其 为了 这 那 这个 那个 这些 那些 有 有没有 没有 吗 呢 吧 啊 呀 嘛 哦
    什么 甚么 哪些 哪个 哪里 哪 谁 几 多少 怎么 怎样 如何 为什么 为何 是否 是不是 请问 请 想 想知道 知道 告诉 我 你 我们
    你们 他们 它 他 她 可以 能 能否 会 要 需要 一下 一些 所以 因为 还 又 再 对 给 被 把 从 向 到 于 以 为 中 上 下
    个 些 么 其中 那边 这边 那里 这里 各类 各种 最后 当初 以前 现在 目前 最近 之前 之后 后来 常听到 听说 听到 大家 常 总之 到底 究竟 时候 什么时候 哪一年 哪年 何时 问 一个 the a an of to in on for and is are what which who how when where
    does do did was were it its about me tell please
    """.split()
)


#: Words that say what *kind* of answer is wanted (its frame), not what it is about:
#: "what is the full name / purpose / difference". They are matched against nothing, and a
#: question is not out of scope because the documents never use them. (Simplified.)
FRAME_WORDS = frozenset(
    """
    全名 全称 名称 名字 叫做 叫 简称 缩写 定义 意思 概念 介绍 说明 解释 内容 重点 主轴 方向 特色 特点 目的 目标 用意
    效果 作用 意义 原因 理由 为何 差别 差异 不同 区别 差在 异同 比较 一样 不一样 关系 关联 影响 好处 优点 方式 做法 方法 措施 手段
    任务 使命 功能 角色 定位 范围 项目 情况 状况 现况 结果 成效 表现 进展 时间 时候 年份 年度 日期 哪天 地点 位置
    地方 县市 城市 所在 总共 一共 总数 数量 分别 各自 各是 主要 具体 大概 大约 开始 起步 开跑 推出 做 干嘛 负责 帮忙
    属于 包括 包含 涵盖 有关 相关 提到 讲 说 列出 列举 整理 归纳 摘要 简单 一句话 哪几 几个 几项 几组 几家 几种 几类 哪类 几大 几年 哪年 哪一年 最早 最初 最晚 起初 例子 例如 举例 比如 多少钱 多少元 特性 特质 东西 程度 数字 力量 部分 方面 事情 情形 角色 种类 类型 型态 分成 哪种 什么样
    """.split()
)

for _word in FRAME_WORDS:
    rjieba.add_word(_word, 200_000, None)  # segment frame words out of their neighbours


#: Help-desk intents the documents may not cover: how to apply, budgets, deadlines,
#: contacts. Named in a question but absent from every document, they mean "out of scope".
INTENT_WORDS = frozenset(
    """
    申请 报名 申办 预算 经费 补助款 金额 费用 收费 截止 期限 截止日 资格 条件 门槛 流程 程序 手续 窗口 联络 联系 电话
    地址 网址 网站 邮件 信箱 email 表格 表单 附件 审查 评审 核定 薪资 薪水 待遇 录取 招募 职缺
    营收 营业额 获利 利润 股价 明年 今年 去年 下半年 上半年
    """.split()
)

#: The same intents asked in English, with the Chinese word the documents would use.
ENGLISH_INTENT_WORDS = {
    "budget": "预算",
    "apply": "申请",
    "application": "申请",
    "deadline": "截止",
    "fee": "费用",
    "fees": "费用",
    "cost": "费用",
    "phone": "电话",
    "address": "地址",
    "email": "邮件",
    "contact": "联络",
    "salary": "薪资",
    "requirements": "资格",
    "eligibility": "资格",
    "eligible": "资格",
    "weather": "天气",
}

#: Part-of-speech tags (jieba) of place names and of localities (中部, 東部).
PLACE_TAGS = frozenset({"ns", "f", "s"})

#: Part-of-speech tags (jieba) of nouns, names and abbreviations.
NOMINAL_TAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j"})


def register_words(new_words: Iterable[str]) -> None:
    """Teach the segmenter words of the documents' domain (search form), such as ``科专``."""
    for word in new_words:
        if word and count_cjk(word) == len(word):
            rjieba.add_word(word, 100_000, None)


def part_of_speech(word: str) -> str:
    """jieba's part-of-speech tag of a word (search form); ``x`` when unknown."""
    tags = rjieba.tag(word)
    return tags[0][1] if len(tags) == 1 else "x"


@lru_cache(maxsize=4096)
def to_search_form(text: str) -> str:
    """Fold width and case, and map to Simplified so variants and scripts meet."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _T2S.convert(folded)


def to_simplified(text: str) -> str:
    """Convert to Simplified Chinese (OpenCC ``t2s``)."""
    return _T2S.convert(text)


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


_LEADING_CONNECTIVE = re.compile(r"^\s*(那麼|那么|那|還有|还有|另外|然後|然后|所以|請問|请问)")


def _all_function(word: str) -> bool:
    """A word glued from function characters only: 是從, 就是, 對於 (each a stopword alone)."""
    return len(word) > 1 and all(c in STOPWORDS for c in word)


def content_terms(text: str) -> list[str]:
    """Words that carry meaning: segmented words minus stopwords and single characters.

    A leading connective (``那``, ``還有``) is dropped first, so that ``那生醫呢`` yields
    ``生医``. Single characters are kept only when the text has no longer terms.
    """
    cut = words(_LEADING_CONNECTIVE.sub("", text))
    terms = [w for w in cut if w not in STOPWORDS and w not in FRAME_WORDS and not _all_function(w)]
    long_terms = [w for w in terms if len(w) > 1]
    return long_terms if long_terms else terms


def bigram_list(text: str) -> list[str]:
    """Character bigrams of the CJK runs (and whole Latin/digit tokens), in order, in search form."""
    norm = to_search_form(text)
    grams: list[str] = []
    for run in _TOKEN_RE.findall(norm):
        if _CJK_RE.match(run):
            if len(run) == 1:
                grams.append(run)
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            grams.append(run)
    return grams


def bigrams(text: str) -> set[str]:
    """The distinct tokens of :func:`bigram_list`."""
    return set(bigram_list(text))


_ARTICLE_REF = re.compile(
    r"第\s*([0-9]+|[〇零一二三四五六七八九十百千]+)\s*(?:-\s*([0-9]+)\s*)?[條条](?:\s*之\s*([0-9一二三四五六七八九十]+))?"
)


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
    """One ``第24条`` / ``第4-1条`` token per article reference in ``text``."""
    out = []
    for match in _ARTICLE_REF.finditer(text):
        n = chinese_number(match.group(1))
        sub = match.group(2) or match.group(3)
        s = chinese_number(sub) if sub else None
        if n is not None:
            out.append(f"第{n}-{s}条" if s else f"第{n}条")
    return out


def index_tokens(text: str) -> list[str]:
    """Tokens for the BM25 index: CJK character bigrams and Latin/digit words.

    Bigrams (as Lucene's CJK analyser uses) make matching independent of word
    segmentation, which differs between a short question and a long passage and
    changes as domain words are taught to the segmenter. Article references (``第24條``,
    ``第 二十四 條``, ``第4條之1``) also give one token of their own in Arabic numerals
    (``第24条``), so a question in either numeral form meets the article.
    """
    return bigram_list(text) + article_tokens(text)
