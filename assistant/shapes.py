"""Answer shapes beyond quoting: a yes/no verdict, a definition, an overview, the catalogue.

A limit with its extension and a sum within one unit are :mod:`assistant.sums`; differences and
sums over several cited units are :mod:`assistant.parts`.

Each shape reads the question (search form) and the cited evidence and returns a lead that
goes before the cited sentences, or "" when the shape does not apply. Every figure a lead
states comes from a cited sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.settings import Settings
from core.text import chinese_number, to_search_form, to_traditional

#: A question that asks yes or no (search form): …嗎, 是不是, 有沒有 (not 有沒有什麼…, which asks
#: what there is), 是否, and a statement with
#: a tag that asks to confirm it (…對吧？, …是吧, …沒錯吧).
YES_NO = re.compile(
    r"吗[\s?？。!！~～]*$|(?:对|是|没错)吧[\s?？。!！~～]*$|是不是|(?:有没有|有无)(?!\s*(?:什么|哪些|哪个|哪几|哪一|多少|几))"
    r"|是否|算不算|会不会|能不能|可不可以|对不对|\bis it\b|^(is|are|does|do|did|can|has|have)\b"
)
#: …有…嗎 / 有沒有: the verdict is 有 or 沒有 rather than 是 or 不是.
_ASKS_HAVE = re.compile(r"有没有|有无|有.{0,12}吗")
#: A yes/no question about whether something is allowed: 可以…嗎, 能不能, 可否 (search form).
_ASKS_MAY = re.compile(
    r"可以|可不可以|能不能|能否|可否|得否|允许|准许|(?:还|也|仍|都|就|才)能|能够|(?:^|[我你他她它们司])能(?![力源量])"
    r"|\bcan\b|\bmay\b|allowed"
)
#: A yes/no question about whether something is required: 一定要…嗎, 需不需要 (search form).
_ASKS_MUST = re.compile(
    r"一定要|必须|需不需要|需要|要不要|是否[须需应]|(?:也|还|都|仍|就)要|\bmust\b|required|have to|need to"
)
#: The verb a Chinese yes/no answer echoes (search form), with its yes and no words (traditional):
#: 可以…嗎 → 可以 / 不可以, 能…嗎 → 能 / 不能, 會不會 → 會 / 不會, 需要…嗎 → 需要 / 不需要, 一定要…嗎 →
#: 要 / 不用, 算不算 → 算 / 不算. The one the question writes first is the one it asks with
#: (「醫院可以算學術機構嗎」 asks 可以). A question with none of them is answered 是 / 不是 (有 / 沒有).
ECHOED_VERBS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"可不可以|可以|可否|得否|允许|准许|\bcan\b|\bmay\b|allowed"), "可以", "不可以"),
    (
        re.compile(r"能不能|能否|能够|(?:还|也|仍|都|就|才|再)能|(?:^|[我你他她它们司])能(?![力源量])"),
        "能",
        "不能",
    ),
    (re.compile(r"会不会|(?:也|还|都|就)?会被"), "會", "不會"),
    (re.compile(r"需不需要|需要|是否[须需]"), "需要", "不需要"),
    (re.compile(r"一定要|必须|要不要|(?:也|还|都|仍|就)要|\bmust\b|required|have to|need to"), "要", "不用"),
    (re.compile(r"算不算|算是"), "算", "不算"),
)


def echoed_verb(question: str) -> tuple[str, str] | None:
    """The yes and no words of the verb a yes/no question (search form) asks with, or None."""
    found = [(m.start(), yes, no) for pattern, yes, no in ECHOED_VERBS if (m := pattern.search(question))]
    return min(found)[1:] if found else None


#: Where a clause of a message ends (search form).
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]")


def asking_clause(focus: str, message: str) -> str:
    """The clause of ``message`` that holds the question ``focus`` (both search form), from its
    last clause break before the focus: 「可以同時也申請…嗎」 of 「公司在新北，可以同時也申請…嗎」,
    whose focus lost the opener 可以. The focus itself when the message does not hold it."""
    core = focus.strip().rstrip("?？!！。 ")
    at = message.find(core) if core else -1
    if at < 0:
        return focus
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(message, 0, at)]
    return message[breaks[-1] if breaks else 0 : at] + focus


#: A rule that forbids (search form): 不得, 不可, 禁止, 不符, and the outcomes an administrative
#: rule sets for what it does not allow: an application 駁回 (rejected) or 不受理, a grant 撤銷
#: (revoked), a right 喪失 (lost).
#: A rule that leaves something out of what counts (不包括, 不含, 不計入) forbids counting it in.
_FORBIDS = re.compile(r"不得|不可|不能|禁止|不予|不符|驳回|不受理|撤销|丧失|不包括|不包含|不含|不计入|不列入")
#: A rule that exempts (search form): 不受…限制, 無須, 免繳.
_EXEMPTS = re.compile(r"不受.{0,12}限制|无须|无需|不必|不需|免[予除缴]")
#: Where the first cited sentence ends.
_SENTENCE_END = re.compile(r"[。！？!?\n]")

#: Asks what a thing is (search form): 科專是什麼, 「法人執行單位」是指誰, what is X, also after where
#: to look (「促進法裡面中小企業的定義是什麼」).
DEFINITION = re.compile(
    r"^(?:请问)?(?:文件里?(?:常)?(?:讲|说|提到)的)?"
    # where to look, first: 「中小企業促進法裡面中小企業的定義是什麼」
    r"(?:[^，,。？?的]{2,16}?(?:里面|里头|里|当中|之中)(?:所说|讲|说)?的?[，,]?)?(?:[「『](.{2,20}?)[」』]|([^的「」『』]{2,10}?))(?:到底|究竟)?"
    r"(?:是什么|是啥|是指什么|是指谁|指的是什么|指什么|指谁|是什么意思|什么意思|的定义是什么|的意思)[?？。!！]*$"
    r"|^what (?:is|are|does) (.{2,40}?)(?: mean| stand for)?\??$"
)
#: What a document is called in a question (search form): 文件, 資料, and the kinds of document a
#: corpus holds (辦法, 條例, 要點, 須知, 簡報, 網頁...).
_DOCUMENT = (
    r"(?:文件|文档|资料|报告|文章|办法|法规|法律|条例|规定|规则|规范|规章|章程|要点|须知|简章|简报|手册|指南|计划书|说明书"
    r"|总览|概况|公告|逐字稿|会议记录|笔记|网页|页面|法)"
)
#: The words of a question that name a document or a part of one (search form): where to look,
#: not what is asked about (「輔導廠商表格裡有幾家…」, 「這份筆記整理的是什麼」), so not topical
#: words the documents lack (:meth:`assistant.terms.TermJudge._is_foreign`).
#: Words for a kind of document that is also a topic (期末報告, 申請手冊, 附件, 公告, 辦法) are left
#: out: a question may ask for one the documents lack.
DOCUMENT_WORDS = frozenset(
    "文件 文档 资料 文章 笔记 网页 页面 逐字稿 表格 条文 章节 段落 内文 原文 全文".split()
)
#: 這份, 此, 本篇, 整份: what points at the document.
_THIS = r"(?:这|此|本|整)(?:份|篇|个|本|则)?"
#: A document's name between 這份 and 文件 (「這份研發替代役的辦法」), within one clause.
_NAME = r"[^，。；？！,;?!]{0,16}?"
#: What is asked about it: 在講什麼, 整體是在介紹什麼, 規定了哪些, 整理的是什麼東西: a verb of
#: saying, writing or collecting (what a document does to its content).
_ABOUT = (
    r"(?:的)?(?:内容)?(?:主要|整体|大概|大致|到底|究竟|基本上)?(?:是)?(?:在)?"
    r"(?:讲|说|谈|介绍|写|关于|规定|规范|涵盖|整理|收录|记录|记载|描述|说明|提到|讨论|探讨|列出|汇整)(?:了)?(?:的是)?(?:些)?"
)
#: Asks what a document is about: 這份文件在講什麼, 這份文件整體是在介紹什麼, 這份研發替代役的辦法在講什麼,
#: 請簡單介紹這份文件, what is this document about. The question must end after the asked word
#: (「本辦法規定的補助上限是多少」 asks a fact of the document, not what it is about).
OVERVIEW = re.compile(
    rf"{_THIS}{_NAME}{_DOCUMENT}{_ABOUT}(?:(?:什么|啥|甚么|哪些)(?:内容|事情|事项|东西|主题)?)?(?:呢|啊|呀)?[?？。!！]*$"
    rf"|(?:介绍|摘要|总结|概述|概要|整理)(?:一下)?{_THIS}{_NAME}{_DOCUMENT}"
    rf"|(?:{_THIS}{_NAME}{_DOCUMENT}|文件|文档)(?:的)?(?:内容|重点|大纲|摘要|概要|主旨)(?:是什么|是啥|有哪些|为何)"
    r"|what (?:is|are) (?:this|the) (?:document|documents|file|report|page)s? about|summari[sz]e (?:this|the) (?:document|file|report|page)"
)


def asks_definition(question: str) -> bool:
    """Whether the question (search form) asks what a thing is."""
    return bool(DEFINITION.search(question.strip()))


#: Asks what the collection holds (search form): 你有哪些資料可以查, 資料庫裡有哪些文件, 這些文件在講什麼,
#: 你可以回答什麼, what documents do you have; read on the focus, whose opener (你, 你可以) may be
#: gone. The whole question is that ask: 「申請要準備哪些文件」, 「有哪些文件要繳交」 ask a fact of the
#: documents, not what they are.
CATALOGUE = re.compile(
    r"^(?:请问)?(?:(?:你|您|妳|你们|系统|这里|资料库|数据库|知识库|文件库|题库)(?:里面?|中|内|这边)?)?"
    r"(?:有|收录了?|收了|包含|涵盖|存了)(?:哪些|什么|几份|多少|那些)(?:文件|文档|资料|法规|档案|内容)"
    r"(?:可以(?:查|问|参考|看))?(?:呢|啊|呀)?[?？。!！]*$"
    rf"|^(?:请问)?(?:这些|所有|全部|各)(?:份|篇)?{_DOCUMENT}(?:分别|各自)?{_ABOUT}(?:什么|啥|哪些)?(?:呢|啊|呀)?[?？。!！]*$"
    r"|^(?:请问)?(?:(?:你|您|妳)(?:能|可以|会))?(?:回答|查|问答)(?:得)?(?:到)?(?:什么|哪些)(?:问题|资料|东西|内容)?(?:呢|啊|呀)?[?？。!！]*$"
    r"|^what (?:documents|sources|files|information) (?:do|can) you (?:have|use|search|answer from)\b"
    r"|^what can you answer\b"
)


#: The kind of document a question points at (search form): 這份條例 → 条例, 這個網頁 → 网页.
_ASKED_KIND = re.compile(rf"{_THIS}{_NAME}({_DOCUMENT})")
#: Kinds that are any document (文件, 資料): they narrow nothing.
_ANY_DOCUMENT = frozenset({"文件", "文档", "资料", "文章"})
#: Kinds that are laws or rules (a document of articles, whatever its title says).
LAW_KINDS = frozenset({"办法", "法规", "法律", "条例", "规定", "规则", "规范", "要点", "法"})


def asked_document_kind(question: str) -> str:
    """The kind of document a question (search form) points at with 這份/此/本 (条例, 须知, 网页,
    简报), "" when it names none or only a document (文件, 資料)."""
    found = _ASKED_KIND.search(question)
    kind = found.group(1) if found else ""
    return "" if kind in _ANY_DOCUMENT else kind


def asks_catalogue(question: str) -> bool:
    """Whether the question (search form) asks which documents the assistant answers from."""
    return bool(CATALOGUE.search(question.strip()))


def asks_overview(question: str) -> bool:
    """Whether the question (search form) asks what a document is about."""
    return bool(OVERVIEW.search(question))


def defined_subject(question: str) -> str:
    """The thing a definition question asks about (search form), or ""."""
    match = DEFINITION.search(question.strip())
    return next((g for g in match.groups() if g), "").strip() if match else ""


@dataclass(frozen=True)
class Shaped:
    """A lead for the answer, and why it was written."""

    lead: str
    rule: str


def _gapped(term: str, text: str, gap: int) -> bool:
    """Whether the characters of ``term`` occur in ``text`` in order, each within ``gap`` of the last."""
    pattern = "".join(
        re.escape(c) + (f".{{0,{gap}}}" if i < len(term) - 1 else "") for i, c in enumerate(term)
    )
    return re.search(pattern, text) is not None


def shortened_at(form: str, text: str, gap: int = Settings.shortened_term_gap) -> list[int]:
    """Where ``form`` occurs in ``text`` shortened (國際獎 in 國際新創獎項: its characters in order,
    at most ``gap`` apart): the offsets of its first character."""
    if len(form) < 2:
        return []
    pattern = "".join(
        re.escape(c) + (f".{{0,{gap}}}" if i < len(form) - 1 else "") for i, c in enumerate(form)
    )
    return [m.start() for m in re.finditer(pattern, text)]


def held_share(
    terms: Sequence[tuple[tuple[str, ...], float]], text: str, gap: int = Settings.shortened_term_gap
) -> float:
    """Weighted share of the question's terms that ``text`` holds (whole, or shortened: the
    characters of a term in order, at most ``gap`` apart, ``Settings.shortened_term_gap``)."""
    norm = to_search_form(text)
    total = sum(w for _, w in terms)
    if total <= 0:
        return 1.0
    held = sum(
        w for forms, w in terms if any(f in norm or (len(f) >= 2 and _gapped(f, norm, gap)) for f in forms)
    )
    return held / total


_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def asks_existence(question: str) -> bool:
    """Whether a yes/no question (search form) asks whether something exists or is held: 有…嗎, 有沒有.

    Its "yes" is shown by any sentence that holds what it asserts; a 是…嗎 or 可以…嗎 question
    asks about one relation or rule, which only the sentence stating it can settle.
    """
    return bool(_ASKS_HAVE.search(question)) and not _ASKS_MAY.search(question)


#: The reason of a "no" that rests only on a term or number the cited text lacks.
LACKS_TERM = "the cited text lacks an asserted term or number"


def yes_no(
    question: str,
    terms: Sequence[tuple[tuple[str, ...], float]],
    numbers: Sequence[str],
    evidence: str,
    gap: int = Settings.shortened_term_gap,
    rule: str = "",
    asking: str = "",
) -> Shaped | None:
    """是/有 when the cited evidence holds what the question asserts, else 否 (不是/沒有).

    Args:
        question: The question's focus, search form.
        terms: The question's terms as ``(forms, weight)``.
        numbers: Numbers the question names (a year it asserts must be the cited one).
        evidence: The cited sentences with their context, joined.
        gap: See :func:`held_share`.
        rule: The first cited sentence, which a question about what is allowed or required is
            ruled by; "" reads the first sentence of ``evidence``.
        asking: The clause of the message that holds the question (search form), whose verb
            it asks with (:data:`ECHOED_VERBS`) is echoed; "" reads ``question``.
    """
    if not YES_NO.search(question):
        return None
    if not _CJK_CHAR.search(rule or evidence):
        # The verdict reads Chinese (its modal verbs, what a rule forbids or exempts from, the
        # terms held); an English rule (a law's English translation) is left to its quote.
        return None
    # The verb it asks with may stand before the focus (「公司在新北，可以同時也申請…嗎」, whose
    # 可以 the query analysis strips as an opener): it is read on the whole clause.
    asked_with = asking or question
    have = bool(_ASKS_HAVE.search(question))
    # A Chinese yes/no answer echoes the question's verb: 可以…嗎 → 可以 / 不可以, 能…嗎 → 能 / 不能.
    may = bool(_ASKS_MAY.search(asked_with))
    echo = echoed_verb(asked_with) or (("可以", "不可以") if may else None)
    yes_word, no_word = echo or ("", "")
    # A rule answers a question about what is allowed or required by what it rules out or
    # exempts from, in the first cited sentence (the rule; a proviso after it limits it).
    first = to_search_form(rule) or _SENTENCE_END.split(to_search_form(evidence), maxsplit=1)[0]
    # What a rule forbids or exempts from is often the question's verb (重複享受 → 不得…重複享有):
    # every word of the question counts there, not only the nouns it asserts.
    from assistant.lexicon import content_terms

    # A question asserting no term leaves the rule's whole sentence to decide, as before.
    ruled_terms = [*terms, *(((w,), 1.0) for w in content_terms(question) if len(w) >= 2)] if terms else []
    if may and _ruled(_FORBIDS, first, ruled_terms, gap):
        return Shaped(f"否，{no_word}。", "yes_no: the cited rule forbids what the question asks to do")
    if _ASKS_MUST.search(asked_with) and _ruled(_EXEMPTS, first, ruled_terms, gap):
        exempt = no_word if no_word in ("不需要", "不用") else "不用"
        return Shaped(f"否，{exempt}。", "yes_no: the cited rule exempts from what the question asks about")
    over = _over_limit(question, first)
    if over:
        return Shaped(f"否，{no_word}。" if may else "否。", f"yes_no: {over}")
    terms = [(tuple(_with_modifier(f, question) for f in forms), w) for forms, w in terms]
    norm = to_search_form(evidence)
    # 1,500 is one number (1500), not 1 and 500 (「上限是500萬嗎」 is not held by 1,500千元).
    found = set(re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?<=\d),(?=\d{3})", "", norm)))
    # Every term the documents use must be held: the one left out is what the question asserts.
    holds = all(n in found for n in numbers) and held_share(terms, evidence, gap) >= 1.0
    # …有包含…嗎 echoes its verb too: 有，包含 / 否，沒有包含.
    verb = to_traditional(_had_verb(question)) if have and not may else ""
    if holds:
        if may or (echo and not have):
            lead = f"是，{yes_word}。"
        else:
            lead = (f"有，{verb}。" if verb else "有。") if have else "是。"
        return Shaped(lead, "yes_no: the cited text holds every asserted term")
    if may or (echo and not have):
        lead = f"否，{no_word}。"
    else:
        lead = f"否，沒有{verb}。" if have else "否，不是。"
    return Shaped(lead, f"yes_no: {LACKS_TERM}")


#: A count (search form) with its classifier: 兩次, 3件, 一年.
_COUNTED = r"([0-9一二两三四五六七八九十百]+)\s*个?([次件项年月天日家人名组])"
#: The most a rule allows (search form): 以一次為限, 最多2次, 不得超過三件.
_AT_MOST = re.compile(
    r"以[^，。；,;]{0,4}?" + _COUNTED + r"\s*为限|(?:最多|至多|不得超过|不超过|不得逾)\s*" + _COUNTED
)


def _over_limit(question: str, rule: str) -> str:
    """Why the count a yes/no question asks for exceeds the most the cited rule allows, or "".

    「同一年可以申請兩次嗎」 against 「於同一課稅年度以申請一次為限」: 2 > 1 of the same classifier.
    """
    limit = _AT_MOST.search(rule)
    if limit is None:
        return ""
    most, unit = (limit.group(1), limit.group(2)) if limit.group(1) else (limit.group(3), limit.group(4))
    allowed = chinese_number(most.replace("两", "二"))
    for m in re.finditer(_COUNTED, question):
        asked = chinese_number(m.group(1).replace("两", "二"))
        if m.group(2) == unit and asked is not None and allowed is not None and asked > allowed:
            return f"the question asks {asked}{unit}, the cited rule allows at most {allowed}{unit}"
    return ""


def _had_verb(question: str) -> str:
    """The verb a 有…嗎 question asks about (search form): 包含 of 「有包含人文社會科學嗎」, or ""."""
    from assistant.lexicon import part_of_speech, words

    said = words(question)
    for before, word in zip(said, said[1:], strict=False):
        if before in ("有", "有没有") and len(word) >= 2 and part_of_speech(word).startswith("v"):
            return word
    return ""


#: Where a clause of a rule ends (search form): 「…得選擇…抵減，一經擇定不得變更」 is two clauses.
_CLAUSE_END = re.compile(r"[，,；;：:]")


def _ruled(
    rule: re.Pattern[str], sentence: str, terms: Sequence[tuple[tuple[str, ...], float]], gap: int
) -> bool:
    """Whether a clause of ``sentence`` both states ``rule`` (forbids, exempts) and names something
    the question asks about: 「一經擇定不得變更」 forbids changing a choice, not what 「有限合夥可以
    適用…嗎」 asks."""
    return any(
        rule.search(clause) and held_share(terms, clause, gap) > 0 for clause in _CLAUSE_END.split(sentence)
    )


def _with_modifier(form: str, question: str) -> str:
    """The term with the one content character the question writes before it: 企業 → 大企業."""
    at = question.find(form)
    if at <= 0:
        return form
    before = question[at - 1]
    if not re.match(r"[\u4e00-\u9fff]", before) or before in MODIFIER_STOP:
        return form
    # Only a one-character word of its own (大 in 大企業), never the end of a longer word (械 of
    # 機械 in 智慧機械抵減, which would make 抵減 read 械抵減 and the verdict 否), and never a verb
    # (算 in 「醫院可以算學術機構嗎」 asks whether a hospital counts as one, it narrows nothing).
    from assistant.lexicon import part_of_speech, words

    if part_of_speech(before).startswith("v"):
        return form

    before_words = words(question[:at])
    return before + form if before_words and before_words[-1] == before else form


#: Characters before a term that do not narrow it (function words, verbs of asking).
MODIFIER_STOP = frozenset(
    "的了是在和与及或也都就而并等之其为这那有吗呢吧啊呀么个些几多少什哪谁怎如何我你他她它们要想会能可以把被给对从向到于以中上下里还又再很最更太没不别每各该此啥做跟同让给用去来说看问拿对针"
)
