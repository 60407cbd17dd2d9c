"""The question side's lexicon: word lists and segmentation for reading a question.

Stopwords, frame words (what *kind* of answer is wanted), help-desk intents and jieba's
part-of-speech tags, with the word segmentation (rjieba) that uses them. Everything is in
search form (Simplified, see :func:`core.text.to_search_form`), since matching happens after
``t2s``. The document side never segments: its BM25 tokens are character bigrams
(:func:`core.text.index_tokens`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import rjieba

from core.settings import Settings
from core.text import (
    article_tokens,
    count_cjk,
    search_runs,
    to_mainland_wording,
    to_search_form,
    without_articles,
)

#: Words that carry no topic: question words, particles, generic verbs of asking.
#: Kept in Simplified, since matching happens after ``t2s``.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 并 等 之 其 为了 如果 假如 要是 若是 这 那 这个 那个 这些 那些 有 有没有 没有 吗 呢 吧 啊 呀 嘛 哦
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
    效果 后果 下场 作用 意义 原因 理由 为何 差别 差异 不同 区别 差在 异同 比较 一样 不一样 关系 关联 影响 好处 优点 方式 做法 方法 措施 手段
    民国 西元 公元 任务 使命 功能 角色 定位 范围 项目 情况 状况 现况 结果 成效 表现 进展 时间 时候 年份 年度 日期 哪天 地点 位置
    地方 县市 城市 所在 总共 一共 总数 数量 分别 各自 各是 主要 具体 大概 大约 开始 起步 开跑 推出 做 干嘛 负责 帮忙
    间隔 相隔 相差 中间 经过 多久 加起来 加总 合计 扣掉 还剩 文件 文档 资料 文中 本文 文章 内文 提到 常讲
    属于 包括 包含 涵盖 有关 相关 提到 讲 说 列出 列举 整理 归纳 摘要 简单 一句话 哪几 几个 几项 几组 几家 几种 几类 哪类 几大 几年 哪年 哪一年 最早 最初 最晚 起初 例子 例如 举例 比如 多少钱 多少元 特性 特质 东西 程度 数字 力量 部分 方面 事情 情形 角色 种类 类型 型态 分成 哪种 什么样
    """.split()
)

#: Tags that ask to confirm a statement (…200萬對吧？): a yes/no question's ending, no topic.
TAG_WORDS = frozenset("对吧 是吧 没错吧 对不对 是不是".split())

for _word in FRAME_WORDS | TAG_WORDS:
    rjieba.add_word(_word, 200_000, None)  # segment frame words out of their neighbours


#: Help-desk intents the documents may not cover: how to apply, budgets, deadlines,
#: contacts. Named in a question but absent from every document, they mean "out of scope".
INTENT_WORDS = frozenset(
    """
    申请 报名 申办 预算 经费 补助款 金额 费用 收费 截止 期限 截止日 资格 条件 门槛 流程 程序 手续 窗口 联络 联系 电话
    地址 网址 网站 邮件 信箱 email 表格 表单 附件 审查 评审 核定 薪资 薪水 待遇 录取 招募 职缺
    营收 营业额 获利 利润 股价 明年 下半年
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


#: Words :func:`register_words` taught the segmenter in this process (jieba's dictionary is global).
_TAUGHT: set[str] = set()


def register_words(new_words: Iterable[str]) -> None:
    """Teach the segmenter words of the documents' domain (search form), such as ``科专``."""
    for word in new_words:
        if word and count_cjk(word) == len(word):
            rjieba.add_word(word, 100_000, None)
            _TAUGHT.add(word)


def is_domain_word(word: str) -> bool:
    """Whether :func:`register_words` taught the segmenter ``word`` (search form): a name or
    term of the documents' domain (技術司, 科專), which jieba tags ``x``."""
    return word in _TAUGHT


def forget_domain_words() -> int:
    """Undo :func:`register_words`: each word taught gets back its entry of jieba's own dictionary
    (count and tag), or none (count 0) when the dictionary lacks it.

    The segmenter's dictionary belongs to the process, so the words of one corpus's documents
    would stay taught when another corpus is loaded after it (the evaluation runs corpora one
    after another in one process): a corpus's figures would depend on which ran before it.

    Returns:
        How many words were forgotten.
    """
    counts, tags = _jieba_entries()
    longer = _long_jieba_entries() if any(len(w) > 4 for w in _TAUGHT) else {}
    for word in _TAUGHT:
        count, tag = longer.get(word, (counts.get(word, 0), tags.get(word)))
        rjieba.add_word(word, count, tag)
    forgotten = len(_TAUGHT)
    _TAUGHT.clear()
    return forgotten


def part_of_speech(word: str) -> str:
    """jieba's part-of-speech tag of a word (search form); ``x`` when unknown."""
    tags = rjieba.tag(word)
    return tags[0][1] if len(tags) == 1 else "x"


#: Characters that join two names (跟, 和, 與, 及, 或): the segmenter's guess at a name it does not
#: know may swallow one (「小額貸款跟安興專案」 → 跟安兴).
_JOINERS = frozenset("跟和与及或")


def words(text: str) -> list[str]:
    """Segmented words of ``text`` in search form (jieba segmentation, stopwords kept).

    A word neither jieba's dictionary nor the documents have that opens with a joining character
    (跟安兴) is that character and the name after it.
    """
    out: list[str] = []
    for run, is_cjk in search_runs(text):
        if is_cjk:
            for w in rjieba.cut(run):
                if not w.strip():
                    continue
                if len(w) >= 3 and w[0] in _JOINERS and w not in _jieba_dictionary() and w not in _TAUGHT:
                    out.extend((w[0], w[1:]))
                else:
                    out.append(w)
        else:
            out.append(run)
    return out


#: 「有沒有辦法停掉」, 「沒辦法申請」: 辦法 here is "a way", a modal before the verb (can), not the
#: regulation (辦法) the documents name (search form; a verb must follow).
_MODAL_WAY = re.compile(r"(?:有没有|没有|没|有)办法(?=[\u4e00-\u9fff])(?![规则])")

_LEADING_CONNECTIVE = re.compile(r"^\s*(那麼|那么|那|還有|还有|另外|然後|然后|所以|請問|请问)")


def _all_function(word: str) -> bool:
    """A word glued from function characters only: 是從, 就是, 對於 (each a stopword alone)."""
    return len(word) > 1 and all(c in STOPWORDS for c in word)


#: Direction complements (search form): 撥「下來」, 交「出去」, 寄「回去」. After a verb they say
#: which way the act goes, not what it is: the documents write the act by its verb's own words
#: (撥付, 撥款), so a question's verb and complement is one term, judged by its verb (:func:`verb_stem`).
DIRECTION_COMPLEMENTS = frozenset("下来 出来 回来 上来 过来 起来 进来 下去 出去 回去 上去 进去 过去".split())

#: Phase complements (search form): 審「完」, 停「掉」. After a verb they say the act is finished or
#: done away with; the documents write the act by its verb's own words (審查, 停止), so a
#: question's 審完 or 停掉 is one term judged by its verb too. Only these two: 到, 好, 成 also
#: close words of their own (收到, 完成) that the documents use as such.
PHASE_COMPLEMENTS = frozenset("完 掉".split())

#: Every complement that joins the verb before it (:func:`_with_complements`).
COMPLEMENTS = DIRECTION_COMPLEMENTS | PHASE_COMPLEMENTS


def verb_stem(word: str) -> str:
    """The verb of a one-character verb with a direction or phase complement (拨下来 → 拨,
    交出去 → 交, 审完 → 审, 停掉 → 停), else "" (search form)."""
    if (
        len(word) in (2, 3)
        and count_cjk(word) == len(word)
        and word[1:] in COMPLEMENTS
        and word[0] not in STOPWORDS
    ):
        return word[0]
    return ""


def _with_complements(cut: list[str]) -> list[str]:
    """``cut`` with each complement (:data:`COMPLEMENTS`) joined to the verb it follows: 拨 + 下来
    → 拨下来, and 会发 + 下来 → 会 + 发下来, 会审 + 完 → 会 + 审完 (the segmenter glued the verb to
    a modal). A complement after no verb (过去三年, 在过去), after a frame word (做完) or after a
    two-character word whose first character is no function word (审查完: 审查 is the documents'
    word already, not 审 + 查完) stays a word of its own."""
    out: list[str] = []
    for word in cut:
        prev = out[-1] if out else ""
        verb = prev[-1:] if prev else ""
        if (
            word in COMPLEMENTS
            and count_cjk(verb)
            and verb not in STOPWORDS
            and verb not in FRAME_WORDS
            and (len(prev) == 1 or prev[:-1] in STOPWORDS)
            and part_of_speech(verb) == "v"
        ):
            out[-1:] = [p for p in (prev[:-1],) if p]
            word = verb + word
        out.append(word)
    return out


def content_terms(text: str) -> list[str]:
    """Words that carry meaning: segmented words minus stopwords and single characters.

    A leading connective (``那``, ``還有``) is dropped first, so that ``那生醫呢`` yields
    ``生医``; 有沒有辦法 before a verb is a modal (can), not the word 辦法. Single characters are kept
    only when the text has no longer terms. A law article
    named in any form is one term, ``第24条`` (as the index has it): segmented, ``第 24 條說``
    would give ``条说``, a word no document has.
    """
    articles = article_tokens(text)
    bare = _MODAL_WAY.sub("能", to_search_form(_LEADING_CONNECTIVE.sub("", text)))
    cut = _with_complements(words(without_articles(bare)))
    terms = [
        w
        for w in cut
        if w not in STOPWORDS and w not in FRAME_WORDS and w not in TAG_WORDS and not _all_function(w)
    ]
    terms += [a for a in articles if a not in terms]
    long_terms = [w for w in terms if len(w) > 1]
    return long_terms if long_terms else terms


#: jieba's tags of words that name a thing: nouns and names, verbal nouns (合作), idioms and set
#: phrases, words jieba does not know as one (x), and the documents' own terms taught to it
#: without a tag (:func:`register_words`: 學界開發產業技術計畫, 科專).
THING_TAGS = NOMINAL_TAGS | {"vn", "i", "l", "x", "eng", ""}


def names_a_thing(text: str) -> bool:
    """Whether ``text`` names a thing of its own: one of its content words is a noun, a name or
    English (jieba's tags, :data:`THING_TAGS`). 「後來改成什麼？」 and 「主要補助誰？」 name none:
    they ask about a thing named elsewhere (the turn or clause before). A verb joined to its
    complement (撥下來, 審完: :func:`verb_stem`) names an act, though jieba knows no tag for it."""
    return any(
        not count_cjk(t) or (part_of_speech(t) in THING_TAGS and not verb_stem(t))
        for t in content_terms(text)
    )


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
    dictionary (a corpus of some 60 million words, mainland usage), 0 when the dictionary lacks it.
    A Taiwan word is counted as its mainland form too (网路 as 网络: :func:`core.text.to_mainland_wording`)."""
    counts = _jieba_dictionary()
    return max(counts.get(word, 0), counts.get(_mainland(word), 0))


@lru_cache(maxsize=65536)
def _mainland(word: str) -> str:
    """:func:`core.text.to_mainland_wording` of one word, kept: the speller asks of thousands of
    candidate words per question, and OpenCC takes some microseconds each."""
    return to_mainland_wording(word)


def everyday_word(word: str, min_frequency: int) -> bool:
    """Whether ``word`` (search form) is everyday Chinese: at least ``min_frequency`` in jieba's
    dictionary (:func:`general_frequency`), or a rare three-character entry that is such a word
    after a common verb or before a common localizer (打+广告, 网路+上: :func:`common_characters`),
    not one a suffix makes a noun of its own (外国+人, 创业+家)."""
    if general_frequency(word) >= min_frequency:
        return True
    if len(word) != 3:
        return False
    common = common_characters()
    # a verb before its object (打+广告) or a localizer after its noun (网路+上), not a noun's
    # suffix (外国+人, 创业+家: a new noun of its own)
    return (
        word[0] in common and general_tag(word[0]) == "v" and general_frequency(word[1:]) >= min_frequency
    ) or (
        word[-1] in common and general_tag(word[-1]) == "f" and general_frequency(word[:-1]) >= min_frequency
    )


def general_tag(word: str) -> str:
    """The part-of-speech tag jieba's dictionary gives ``word`` (search form), "" when it lacks
    it. Unlike the segmenter's tag, words the documents taught it (:func:`register_words`) do not
    change it."""
    return _jieba_entries()[1].get(word, "")


def _jieba_dictionary() -> dict[str, int]:
    """Words of one to four characters of jieba's dictionary and their counts."""
    return _jieba_entries()[0]


def _jieba_lines() -> Iterator[tuple[str, int, str | None]]:
    """Each entry of jieba's dictionary file (``word count tag`` per line): word, count, tag
    (None when the line has none); nothing when jieba is not installed."""
    try:
        import jieba  # the dictionary file only; the segmenter is not loaded
    except ImportError:
        return
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 1:
                yield parts[0], int(parts[1]), parts[2] if len(parts) > 2 else None


@lru_cache(maxsize=1)
def _long_jieba_entries() -> dict[str, tuple[int, str | None]]:
    """jieba's dictionary words of five characters or more, with their counts and tags
    (:func:`forget_domain_words`; :func:`_jieba_entries` keeps the shorter ones)."""
    return {word: (count, tag) for word, count, tag in _jieba_lines() if len(word) > 4}


@lru_cache(maxsize=1)
def _jieba_entries() -> tuple[dict[str, int], dict[str, str]]:
    """jieba's dictionary file, read once: the counts and the part-of-speech tags of its words
    of one to four characters."""
    counts: dict[str, int] = {}
    tags: dict[str, str] = {}
    for word, count, tag in _jieba_lines():
        if 1 <= len(word) <= 4:
            counts[word] = count
            if tag is not None:
                tags[word] = tag
    return counts, tags


#: Tags (jieba) a noun phrase is made of: nouns and names, verbal nouns (合作, 研發) and
#: distinguishing words (主任, 主要: ``b``).
_PHRASE_TAGS = NOMINAL_TAGS | {"vn", "b"}

#: Tags of a modifier that joins the noun right after it (補助+方案, 新+創業團隊): verbs and adjectives.
_MODIFIER_TAGS = frozenset({"v", "a", "an"})

#: Joiners of two nouns into one phrase (資格或條件, 中心的主任).
_NOUN_JOINERS = frozenset("的 或 和 及 与 或是".split())


def leading_noun(text: str) -> str:
    """The noun phrase that opens ``text`` (search form), "" when none does: 研发重点呢 → 研发重点,
    领域在做 → 领域, 补助方案有哪些 → 补助方案, 中心的主任是谁 → 中心的主任, 年开始 → "".

    By jieba's tags: a run of nouns, names, verbal nouns and distinguishing words (``b``), a verb
    or adjective only right before such a word (a modifier), across 的/或/和/及/與 only onto a
    noun of two characters or more (资格或条件, not 中心的人). It ends on a noun."""
    tagged = [(w, t) for w, t in rjieba.tag(text) if w.strip()]
    phrase: list[str] = []
    end = 0  # words in the phrase up to its last noun
    i = 0
    while i < len(tagged):
        word, tag = tagged[i]
        after = tagged[i + 1] if i + 1 < len(tagged) else ("", "")
        if tag in _PHRASE_TAGS and count_cjk(word) == len(word) and word not in STOPWORDS:
            phrase.append(word)
            end = len(phrase)
        elif tag in _MODIFIER_TAGS and after[1] in _PHRASE_TAGS and word not in STOPWORDS:
            phrase.append(word)
        elif word in _NOUN_JOINERS and end and after[1] in _PHRASE_TAGS and len(after[0]) >= 2:
            phrase.append(word)
        else:
            break
        i += 1
    return "".join(phrase[:end])
