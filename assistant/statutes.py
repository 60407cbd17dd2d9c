"""What the fixed formulas of a law text answer: its enacting clause and its definitions.

Laws and regulations state three things in set phrases that no question repeats word for word:

* the **enacting clause**, where a regulation names the law it is made under (「本辦法依科學技術
  基本法第六條第三項規定訂定之。」, 「根據憲法，制定本法。」): it answers a question about the
  legal basis (「是根據哪個法訂的」, 「法源依據為何」), though it shares little with its words;
* a **statutory definition** (「本辦法所稱研發成果，指…」, 「職務科技成果，是指…」): it answers a
  question about what the defined term covers (「研發成果包含哪些」, 「什麼是職務科技成果」),
  rather than the many provisions that merely use the term;
* the **legislative history** above the first article (「修正日期：民國111年1月25日」, 「1996年5月15日
  第八屆…會議通過」, 「2015年8月29日…修正」): it answers when the law was passed or amended
  (「哪年修過的」, 「什麼時候通過」), rather than the article that says when it takes effect;
* the **commencement article**, usually the last (「本辦法自發布日施行。」, 「本辦法自中華民國一百
  零六年十一月二十四日施行至一百十八年十二月三十一日止。」): it answers when the law takes effect
  and until when (「施行到哪時候」, 「何時施行」), where the history records only each amendment's
  own commencement, often since replaced.

All patterns read the search form (Simplified, lower case) of the text; none names a word of
any one document beyond the formulas themselves.
"""

from __future__ import annotations

import re

from core.text import to_search_form

#: The instruments a law text calls itself (search form): 本辦法, 本法, 本條例, 本規則…
_INSTRUMENT = r"本(?:办法|法|条例|规则|细则|要点|准则|规程|规定|通则|章程)"
#: An enacting clause (search form): 本辦法依…規定訂定之, 依…訂定本辦法, 根據憲法，制定本法.
_ENACTING = re.compile(
    rf"^{_INSTRUMENT}(?:系|是)?(?:依|依据|根据|依照)[^。；;]{{2,60}}?(?:订定|制定|订之|定之)"
    rf"|(?:依|依据|根据|依照)[^。；;]{{2,60}}?[，,]?\s*(?:订定|制定){_INSTRUMENT}"
)
#: A question about the legal basis of a text (search form): 根據哪個法訂的, 依據哪一條, 法源依據.
_ASKS_BASIS = re.compile(
    r"(?:根据|依据|依照|按照|依)(?:的是)?(?:哪|什么|何)(?:一|个|部|项|种|条)?"
    r"(?:条|法|规定|法律|法规|条例|订|制定|定)"
    r"|法源|法律依据|法规依据|授权依据|法律基础|legal basis|(?:under|based on) (?:which|what) (?:law|act|statute)"
)
#: A statutory definition (search form): 本辦法所稱研發成果，指…; 職務科技成果，是指….
_DEFINES = re.compile(
    r"所称之?\s*[「『]?([^，,。；;：:「」『』]{2,20}?)[」』]?\s*[，,]?\s*(?:系|是)?指"
    r"|^[「『]?([^，,。；;：:「」『』所]{2,16}?)[」』]?[，,]\s*是指"
)
#: After the term, the question asks what it covers (search form): 包含哪些, 是指什麼, 的定義.
_ASKS_SCOPE_AFTER = re.compile(
    r"^[」』]?(?:的|之)?(?:具体|到底|究竟)?(?:包含|包括|涵盖|范围|定义|意思|是指|指的|是什么|指什么|是啥|"
    r"算是|有哪些东西|有哪些|哪些东西|什么东西)"
)
#: Before the term, the question asks what it is (search form): 什麼是, 何謂, 什麼算.
_ASKS_SCOPE_BEFORE = re.compile(
    r"(?:什么是|何谓|什么叫|什么算|哪些算|怎样算|哪些|what (?:is|are|counts as))\s*[「『]?$"
)

#: What may come right before a term that stands on its own (search form): punctuation, a quote
#: mark, a space, 的 (辦法裡講的「研發成果」), 所謂, or where to look (促進法裡面中小企業的定義).
_TERM_BOUNDARY = re.compile(r"(?:[\s「『\"'“‘，,。？?！!：:；;（(]|的|所谓|所称|里面|里头|里|当中|之中)$")

#: The law-making acts a question may ask the time of (search form), by kind: amended, passed or
#: made, put in force. A history line answers only the act it records.
_ACTS = {
    "amend": re.compile(r"修"),
    "pass": re.compile(r"通过|制定|订定|公布|颁布|发布"),
    "force": re.compile(r"施行|生效|实施"),
}
_NUMERAL = "〇零一二两三四五六七八九十百"
#: A date in digits or Chinese numerals (search form): 111年1月25日, 一百零七年十月一日.
_DATE = rf"(?:\d{{2,4}}|[{_NUMERAL}]{{2,6}})\s*年\s*(?:\d{{1,2}}|[{_NUMERAL}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{_NUMERAL}]{{1,3}})\s*日"
#: A question that asks when (search form): a year, a date, a time, a gap between two dates.
_ASKS_WHEN = re.compile(
    r"哪一?年|几几?年|何年|什么时候|哪个?时候|何时|哪天|哪一天|几月|日期|时间|隔了|相差|多少年|到期|期间|"
    r"when|what year|which year|until"
)
#: A line of a law's history (search form): 修正日期：民國111年1月25日; 2015年8月29日…會議…修正.
_HISTORY = re.compile(
    r"^\s*(?:修正|发布|公布|施行|制定)日期\s*[:：]"
    rf"|^\s*(?:\d{{1,2}}\s*[.、．]\s*)?(?:中华)?(?:民国)?\s*{_DATE}[^。]{{0,80}}?(?:通过|修正|公布|施行|颁布|发布|制定)"
)
#: An article's label that a plain-text law may run into its first sentence (「第 19 條本辦法…」,
#: 「第五十二条 本法…」).
_LABEL = r"(?:第\s*(?:\d+|[〇零一二两三四五六七八九十百]+)(?:\s*-\s*\d+)?\s*条\s*)?"
#: A law's commencement article (search form): 本辦法自發布日施行; 本條例自公布日施行; 本法自1996年
#: 10月1日起施行; 本辦法施行期間，自…起十年; 本辦法自中華民國…施行至…止; 本辦法施行日期，由中央
#: 主管機關定之. Not 本條例施行前… nor 本條例施行細則….
_COMMENCES = re.compile(rf"^{_LABEL}{_INSTRUMENT}[^。；;]{{0,60}}?(?:施行|生效)(?!前|后|细则)")
#: The law's own commencement, not an amendment's (「本辦法中華民國…修正發布條文，自發布日施行」):
#: the instrument is followed at once by when (本辦法自…, 本辦法施行期間…, 本法於…).
_OWN_COMMENCEMENT = re.compile(rf"^{_LABEL}{_INSTRUMENT}\s*(?:自|施行|生效|于|应自)")
#: A commencement that leaves the date to an authority (「…施行日期，由中央主管機關定之」).
_DELEGATED = re.compile(r"由[^。；;]{0,24}?定之")


def asks_history(question: str) -> tuple[str, ...]:
    """The law-making acts (``amend``, ``pass``, ``force``) whose time the question (search form)
    asks (「哪年修過的」: ``("amend",)``; 「從通過到修正隔了幾年」: both), or ()."""
    if not _ASKS_WHEN.search(question):
        return ()
    return tuple(act for act, verb in _ACTS.items() if verb.search(question))


def is_history(text: str, acts: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` (search form, one line) is a line of a law's legislative history, and
    records one of ``acts`` when they are given."""
    text = text.strip()
    return bool(_HISTORY.search(text)) and (not acts or any(_ACTS[a].search(text) for a in acts))


def is_commencement(text: str, dated: bool = False) -> bool:
    """Whether ``text`` (search form, one sentence) is a law's commencement article (「本辦法自發布日
    施行。」, 「本辦法施行期間，自…起十年。」, or an amendment's: 「本辦法中華民國…修正發布條文，自發布日
    施行。」); with ``dated``, only the law's own that states when itself (a date, or 自發布日), not
    one that leaves it to an authority (「…由中央主管機關定之」)."""
    text = text.strip()
    if dated:
        return (
            bool(_OWN_COMMENCEMENT.search(text))
            and bool(_COMMENCES.search(text))
            and not _DELEGATED.search(text)
        )
    return bool(_COMMENCES.search(text))


def asks_basis(question: str) -> bool:
    """Whether the question (search form) asks on what legal basis a text was made."""
    return bool(_ASKS_BASIS.search(question))


def is_enacting(text: str) -> bool:
    """Whether ``text`` (search form, one sentence) is an enacting clause (「本辦法依…訂定之。」)."""
    return bool(_ENACTING.search(text.strip()))


def defined_term(text: str) -> str:
    """The term ``text`` (search form, one sentence) defines (「本辦法所稱研發成果，指…」:
    ``研发成果``), or ""."""
    match = _DEFINES.search(text.strip())
    return next((g for g in match.groups() if g), "").strip() if match else ""


def asks_scope_of(question: str, term: str) -> bool:
    """Whether the question (search form) asks what ``term`` covers or means: the term, then
    包含/包括/是指/的定義…, or 什麼是/何謂/哪些 then the term (with or without its 之)."""
    if not term:
        return False
    if term not in question and "之" in term:
        term = term.replace("之", "")  # 「研究發展支出」 asks about 「研究發展之支出」
    at = question.find(term)
    while at >= 0:
        before = question[:at]
        if _ASKS_SCOPE_BEFORE.search(before):
            return True
        # The term on its own, not the end of a longer name (法人科技專案 is not 科技專案).
        alone = not before or _TERM_BOUNDARY.search(before)
        if alone and _ASKS_SCOPE_AFTER.search(question[at + len(term) :]):
            return True
        at = question.find(term, at + 1)
    return False


#: Words by which a question may ask a term's scope (search form), before or after the term.
_SCOPE_WORDS = re.compile(
    r"包含|包括|涵盖|范围|定义|意思|是指|指的|是什么|指什么|是啥|算是|哪些|什么东西|什么是|何谓|什么叫|什么算|"
    r"怎样算|what (?:is|are|counts as)"
)


def may_ask_scope(question: str) -> bool:
    """Whether the question (search form) has a word that asks what a term covers (包含, 是指,
    哪些, 何謂…): only such a question is checked against the law's definitions."""
    return bool(_SCOPE_WORDS.search(question))


def defines_asked(question: str, text: str) -> bool:
    """Whether a sentence of ``text`` (a passage, as written) defines a term whose scope the
    question (search form) asks (:func:`asks_scope_of`)."""
    lines = re.split(r"(?<=[。；;])|\n", to_search_form(text))
    return any(asks_scope_of(question, defined_term(line)) for line in lines)


def statutory_shape(question: str, text: str) -> bool:
    """Whether ``text`` is the fixed formula that answers the question: the enacting clause of a
    legal-basis question, the history line of the act whose time it asks, or the definition of
    the term whose scope it asks (both search form)."""
    if asks_basis(question) and is_enacting(text):
        return True
    acts = asks_history(question)
    if "force" in acts and is_commencement(text, dated=True):
        return True  # 「…施行到哪時候」: the law's own commencement article says so
    if acts and is_history(text, acts):
        return True
    return asks_scope_of(question, defined_term(text))
