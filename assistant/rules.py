"""The question-side language rules, as data: one table each, one small named function per rule.

Every rule reads a cleaned question (see :mod:`assistant.query`) and returns a
:class:`Verdict` (did it fire, and why). The rules that decide whether a text is a question
at all run in the order written in :data:`INPUT_RULES`; the first that fires decides. The
clause rules (:func:`clause_role`) sort the clauses of a question into the focus (what is
asked), background (what the asker heard or refers to) and the asker's own context (who is
asking, why; pleasantries).

The tables hold general Chinese and English usage only; words of one document collection
live in ``corpus/`` (glossary, manifest), never here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from assistant import shapes, statutes
from assistant.lexicon import leading_noun, names_a_thing
from core.settings import Settings
from core.text import ITEM, to_search_form
from core.years import CHINESE_NUMERAL_YEAR, DATE_RANGE, DOTTED_DATE, starts_at_year

#: Attempts to make the assistant drop its rules or show its instructions (search form:
#: Simplified, lower case).
INJECTION_PATTERNS: tuple[str, ...] = (
    r"(忽略|无视|不要理|别管|ignore|disregard|forget).{0,16}(指示|指令|规则|提示|设定|instruction|rule|prompt)",
    r"system\s*prompt|系统提示|你现在是|现在开始你是|jailbreak|developer mode|开发者模式|管理员指令|假装你是|角色扮演",
    r"不需要引用|不用引用|直接编|编一个|随便编|捏造|瞎掰|make (it|one|something|a \w+ \w+)? ?up|making up|fabricate|invent (a|an|some)",
    r"(print|show|reveal|repeat|output|display|dump|leak)\b.{0,40}\b(instructions?|prompts?|system message|rules|words above|text above)",
    r"(repeat|print)\b.{0,20}\b(above|verbatim)",
    r"(显示|输出|重复|打印|告诉我).{0,8}(你的)?(系统)?(提示词|指令|设定|规则)",
    r"(不管|不要管|别管|不用管|无视)(文件|资料|引用)|用你自己的(知识|想法)|answer from your own knowledge|ignore the documents",
    r"\b(pretend|act as|you are now|roleplay as|do anything now)\b|越狱",
)

#: Marks of code, paths and markup rather than language: an SQL comment, a template, a path.
CODE_MARKS = re.compile(
    r"--\s*$|;\s*--|\{\{|\}\}|\.\./|/etc/|<\s*/?\s*script|\$\{|\bdrop\s+table\b|\bunion\s+select\b"
    r"|\bor\s+1\s*=\s*1\b|=\s*['\"]|^\s*['\"]\s*;|\w+\(['\"].*['\"]\)",
    re.IGNORECASE,
)

#: English words that make a Latin-script text a question or a request.
ENGLISH_ASKING = frozenset(
    """
    what what's which who whom whose when where why how tell list explain describe give show name compare
    define summarize summarise find
    """.split()
)
#: Auxiliaries that ask when they open the sentence: "Is it…", "Can you…".
ENGLISH_INVERSION = frozenset(
    "is are was were do does did can could would should will may might has have".split()
)

#: Words that mark a Chinese clause as asking (search form). 幾 after 好 or 十 (好幾年, 十幾個
#:員工) says "several", as in :data:`_ASKS_COUNT`: a clause describing the asker, not asking.
QUESTION_MARKS = re.compile(
    r"什么|甚么|啥|哪|(?<![好十])几|多少|谁|如何|怎么|怎样|为什么|为何|吗|是否|有没有|是不是|有无|能不能|会不会|可不可以"
    r"|何时|何年|何种|何者|有何|为啥|干嘛|呢$|\?$|？$|请(问|介绍|说明|列出|简述|解释)|介绍|说明一下|列出|列举"
)

#: A clause that says the asker knows it already (search form): 「未滿幾年那個我知道了」, 「那段我
#:懂了～」, 「I've already read up on the phases」. Its asking words ask nothing.
KNOWN_ALREADY = re.compile(
    r"(?:知道|懂|了解|明白|清楚|看过|看懂|查过|读过)了\s*[~～!！。…]*\s*$"
    r"|\b(?:i(?:'ve| have)?|we(?:'ve| have)?)\s+(?:already\s+)?(?:read|know|knew|understand|checked|seen)\b"
)

#: The asker speaking of themselves: 我是研究生, 我們公司在台南做…, 本人, 敝公司.
SELF_MARKS = re.compile(r"^(我|我们|本人|敝|小弟|小妹|在下|我司|本公司|我这边|我们这边|我家)")

#: A clause that points back at the situation told before it (search form): 「這樣還能申請嗎」,
#: 「這種情況要怎麼辦」, 「in that case」. What the asker said of themselves is then what the
#: question asks about (:func:`refers_back`).
POINTS_BACK = re.compile(
    r"这样|这种情况|这种情形|这个情况|这个情形|这情况|那样的话|那这样|如此一来|像我这样|像我们这样"
    r"|\bin (?:this|that|such a) case\b|\blike (?:this|that|mine|ours)\b",
    re.IGNORECASE,
)


def refers_back(clause: str) -> bool:
    """Whether a clause that asks points back at the situation the asker told before it (:data:`POINTS_BACK`):
    「我們公司兩年前有一筆稅欠著沒繳，這樣還能申請嗎？」 asks whether a company with that tax debt may
    apply, so the asker's own clause is part of what is asked, not only who is asking.

    Args:
        clause: The focus, in search form (Simplified).
    """
    return bool(POINTS_BACK.search(clause))


#: Pleasantries and openers that carry no question: 你好, 謝謝, 想請問 (search form).
PLEASANTRY = re.compile(
    r"^(?:(?:你好|您好|哈啰|嗨|hi|hello|谢谢|感谢|多谢|麻烦了?|不好意思|抱歉|打扰了?|辛苦了?|thanks?|thank you"
    r"|ok|okay|好的?|嗯+|了解|懂了|原来如此|帮大忙了?|帮了大忙|你真棒|太棒了|换个问题|换个话题|再问一个|另一个问题|问个问题|我想问一下)"
    r"(?:你|您)?(?:啦|喔|哦|呀|啊|呢)?[\s,，]*)+$",
    re.IGNORECASE,
)

#: Small talk addressed to the assistant or about the day, not the documents (search form):
#: 你是AI嗎, 你會說中文嗎, 是誰做的, 今天會下雨嗎. A clause that matches asks nothing of the documents.
SMALL_TALK = re.compile(
    r"^(?:请问)?(?:你|您)(?:是(?:不是)?(?:谁|ai|人工智能|机器人|真人|人类?|什么)|会(?:不会)?(?:说|讲|写)|叫什么|几岁|多大"
    r"|喜欢|觉得|心情|今天|好吗|在吗|吃饭)"
    r"|^(?:你|您)?是谁(?:做|写|开发|训练|设计)的|^(?:今天|明天|现在|最近)?[^，,。？?]{0,6}(?:会不会)?(?:下雨|天气|气温|几度|几点)"
    r"|^(?:are|r) (?:you|u)\b|^can you (?:speak|talk)|^who (?:made|built|created|trained) you|^how are you|weather",
    re.IGNORECASE,
)

#: The asker starting afresh: the earlier turns are not this question's context (search form).
TOPIC_SWITCH = re.compile(
    r"换个问题|换个话题|换一个问题|另一个问题|问别的|问点别的|不同的问题|new question|another question"
)

#: Openers before the focus of a question clause: 想請問, 我想知道, 可以告訴我 (search form).
ASKING_OPENERS = re.compile(
    r"^(那|所以|然后|另外|还有)?\s*(我|我们)?\s*(想|想要|很想)?\s*(请问|问一下|问问|了解一下|了解|知道|确认一下|确认|请教)?\s*"
    r"(一下)?\s*(你|您)?\s*(可以|能不能|能否)?\s*(告诉我|帮我|说明)?"
)


@dataclass(frozen=True)
class Verdict:
    """What one rule decided.

    Attributes:
        rule: The rule's name.
        fired: Whether the rule applies.
        reason: Why, in words a newcomer can read.
    """

    rule: str
    fired: bool
    reason: str = ""


def _latin_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", text)


def _cjk(text: str) -> int:
    return len(re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", text))


def empty_after_cleaning(text: str) -> Verdict:
    """Nothing is left once markup, emoji and symbols are removed: `😀`, `<p></p>`."""
    fired = not re.search(r"[\w\u3400-\u9fff]", text)
    return Verdict("empty_after_cleaning", fired, "no words are left once markup and symbols are removed")


def asks_to_drop_rules(text: str) -> Verdict:
    """A prompt injection: asks to ignore the rules or to show the instructions."""
    norm = text.lower()
    for pattern in INJECTION_PATTERNS:
        if re.search(pattern, norm):
            return Verdict(
                "asks_to_drop_rules", True, f"asks the assistant to drop its rules ({pattern[:30]}…)"
            )
    return Verdict("asks_to_drop_rules", False)


def code_not_language(text: str) -> Verdict:
    """Code, a path or a query string with no Chinese: `{{7*7}}`, `../../etc/passwd`, `" OR 1=1 --`."""
    fired = _cjk(text) == 0 and bool(CODE_MARKS.search(text))
    return Verdict("code_not_language", fired, "reads as code, a path or markup, not a question")


def latin_not_asking(text: str) -> Verdict:
    """A Latin-script text that neither asks nor requests: `asdf qwer`, `abc`, `Thanks a lot!`."""
    if _cjk(text) >= 2:
        return Verdict("latin_not_asking", False)
    words = [w.lower() for w in _latin_words(text)]
    asking = (
        text.rstrip().endswith(("?", "？"))
        or any(w in ENGLISH_ASKING for w in words)
        or bool(words and words[0] in ENGLISH_INVERSION)
    )
    fired = not asking and _cjk(text) == 0
    return Verdict("latin_not_asking", fired, "no question word, request or question mark")


def pleasantry_only(text: str) -> Verdict:
    """Only greetings or thanks: 謝謝！, 你好."""
    clauses = [c for c in re.split(r"[，,。.！!？?~～\s]+", to_search_form(text)) if c]
    fired = bool(clauses) and all(PLEASANTRY.match(c) for c in clauses)
    return Verdict("pleasantry_only", fired, "a greeting or thanks, not a question")


def small_talk_only(text: str) -> Verdict:
    """Only small talk or pleasantries: 你是AI嗎？是誰做的, 你會說中文嗎, 今天台北會下雨嗎."""
    clauses = [c for c in re.split(r"[，,。.！!？?~～]+", to_search_form(text)) if c.strip()]
    fired = (
        bool(clauses)
        and all(SMALL_TALK.search(c.strip()) or PLEASANTRY.match(c.strip()) for c in clauses)
        and any(SMALL_TALK.search(c.strip()) for c in clauses)
    )
    return Verdict(
        "small_talk_only", fired, "small talk with the assistant, not a question about the documents"
    )


def repeated_characters(text: str, min_chars: int = Settings.repeated_min_chars) -> Verdict:
    """One or two characters over and over: 哈哈哈哈哈, ？？？？, 。。。。 (at least ``min_chars``,
    ``Settings.repeated_min_chars``)."""
    chars = [c for c in text if not c.isspace()]
    fired = len(chars) >= min_chars and len(set(chars)) <= 2
    return Verdict("repeated_characters", fired, "the same character over and over, not a question")


#: The rules that decide whether a text is a question at all, in the order they run.
INPUT_RULES: tuple[Callable[[str], Verdict], ...] = (
    empty_after_cleaning,
    repeated_characters,
    asks_to_drop_rules,
    code_not_language,
    pleasantry_only,
    small_talk_only,
    latin_not_asking,
)


def input_rules(settings: Settings) -> tuple[Callable[[str], Verdict], ...]:
    """:data:`INPUT_RULES` with the figures of ``settings`` (``repeated_min_chars``)."""
    repeated = partial(repeated_characters, min_chars=settings.repeated_min_chars)
    return tuple(repeated if rule is repeated_characters else rule for rule in INPUT_RULES)


def first_fired(text: str, rules: tuple[Callable[[str], Verdict], ...] = INPUT_RULES) -> Verdict | None:
    """The first rule of ``rules`` that fires on ``text`` (cleaned), or None."""
    for rule in rules:
        verdict = rule(text)
        if verdict.fired:
            return verdict
    return None


def clause_role(clause: str) -> str:
    """``focus`` (it asks), ``self`` (the asker about themselves), ``pleasantry`` or ``background``.

    Args:
        clause: One clause in search form (Simplified), without its closing punctuation
            unless it is a question mark.
    """
    bare = clause.strip()
    if not bare or PLEASANTRY.match(bare):
        return "pleasantry"
    if KNOWN_ALREADY.search(bare):
        return "background"  # 「設立未滿幾年那個我知道了」: what the asker knows is not asked
    if QUESTION_MARKS.search(bare) or _english_asks(bare):
        return "focus"
    if SELF_MARKS.match(bare):
        return "self"
    return "background"


def _english_asks(clause: str) -> bool:
    """An English clause that asks: it opens (after and/or/but) with a question word or an auxiliary
    (``How many SBIR projects can one company run at the same time``)."""
    words = [w.lower() for w in _latin_words(clause)]
    while words and words[0] in ("and", "or", "but", "also"):
        words = words[1:]
    return bool(words) and (words[0] in ENGLISH_ASKING or words[0] in ENGLISH_INVERSION)


def strip_opener(clause: str) -> str:
    """The clause without its asking opener: 想請問科專… → 科專… (search form)."""
    match = ASKING_OPENERS.match(clause)
    rest = clause[match.end() :] if match else clause
    return rest if len(rest) >= 2 else clause


#: What joins parallel parts of a question (search form): 、, 跟, 和, 與, 及, 還是, vs.
JOINS_PARTS = re.compile(r"、|跟|和|与|及|还是|或是|以及|\bvs\b")


#: Questions that want each part answered: 分別, 各 (各做什麼, 各自, 各是), 差在哪, 有什麼不同,
#: 怎麼比. 各 before a noun it classifies (各地, 各項, 各種, 各級, 各界, 各國, 各類) means "all kinds of".
ASKS_EACH = re.compile(
    r"分别|各(?![地项种级界国类部])|差在|差别|差异|区别|不同|不一样|异同|比较|对比|(?:怎么|如何|怎样)(?:相)?比"
    r"|differ|compare|each"
)


#: A clause that states a condition and asks what follows from it (search form): 「不交的話會怎樣」,
#: 「沒繳會怎麼樣」, 「逾期怎麼辦」: a consequence, which the rule for the condition states.
ASKS_CONSEQUENCE = re.compile(
    r"(?:的话|如果|若|万一|没有?|未|不|逾期|超过)[^，,。？?]{0,12}?"
    r"(?:会怎样|会怎么样|会如何|怎么办|如何处理|怎么处理|会被|有什么后果|后果|罚则|处罚)"
)


# -- Answer types --------------------------------------------------------------------------
# What a question asks for (_ASKS_*) and what evidence of that kind holds (_HAS_*), matched on
# the search form of the question's focus and of a candidate sentence. answer_type_ok runs
# them in the order written there; answer_shape says how much a sentence has the shape asked
# for (a definition, an enumeration, a reason, a start).


# Answer types, matched on the question and on the evidence (both in search form).
_ASKS_TIME = re.compile(r"哪一?年|何年|何时|什么时候|几月|哪个月|哪一?天|日期|\bwhen\b|what year|which year")


#: An English number as a law or a programme page writes it (search form: lower case): digits,
#: or a number word (three, one-half, double). Used by the evidence patterns below so that
#: English documents hold the answer types that English questions ask for.
_EN_NUMBER = (
    r"(?:\d+(?:[.,]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|twenty|thirty|forty|fifty|sixty|ninety|hundred|an?(?= additional| extra))"
)
#: A span of time in English: 「three months」, 「one to five years」, 「30 working days」, 「an
#: additional month」.
_EN_SPAN = rf"\b{_EN_NUMBER}(?:\s*(?:to|or|-)\s*{_EN_NUMBER})?(?:\s+(?:additional|extra|working|calendar|consecutive|full))?\s+(?:years?|months?|weeks?|days?|hours?|minutes?)\b"
#: An English date: a month's name with a day or a year (May 20, 2014; December 2022).
_EN_DATE = (
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r"\s+\d{1,4}"
)


#: 幾 after 好 or 十 (好幾年, 十幾家) says "several", not "how many": no question.
_ASKS_COUNT = re.compile(
    r"多少|(?<![哪好十])几[个组家项位种类大间所次名笔队件案]|how many|how much|总共|一共"
)


#: 「幾件」, 「幾家」, 「幾案」: counts of things a text states with that very classifier (12件, 3家,
#: 每縣市 1 案: 案 counts proposals in administrative Chinese).
_ASKS_COUNTED = re.compile(r"(?<![哪好十])几([件家位名笔次所间案])")


#: 在哪 asks for a place only as 在哪(裡): followed by 一/個/些/幾 or a time word it is the 哪X of
#: another question (在哪一年 asks for a year, 在哪個領域 for a field); a place noun after 哪 is
#: caught by the other forms (哪個城市, 哪一區).
_ASKS_PLACE = re.compile(
    r"(?<![差归加推])在哪(?![一个些几年天月日])|哪一?个?(?:县|市|城市|区|乡|镇|地方)|哪些县市|什么地方|位于|设在哪|\bwhere\b"
)


_HAS_PLACE = re.compile(
    r"县|(?<!城)市(?![场值])|[乡镇](?!定)|位于"
    # an English address (「ADD : 3rd Fl.No.95.Sec.2, Roosevelt Rd., Taipei」)
    r"|\b(?:add|address)\s*:|\bno\.\s*\d|\b(?:rd|road|street|ave|avenue|blvd|boulevard|lane|alley|dist|district)\b\.?"
    r"\s*,|\b(?:located|headquartered)\s+(?:in|at)\b"
)


# What a call-out line is (see ingest.split): its role, and the words that ask for it.
_ROLE_ASKED = {
    "的任務：": re.compile(
        r"任务|使命|目的|目标|角色|功能|定位|为了|想要|希望|要做|在做|帮|协助|purpose|mission|role"
    ),
    "的重點領域：": re.compile(r"重点|领域|主轴|方向|聚焦|着重|专长|投入|focus|areas?"),
}


#: Words that ask for a center's mission itself (its call-out line says it; the body paraphrases).
_ASKS_MISSION = re.compile(r"任务|使命|角色|定位|mission|role")


#: A start counted from the day of an act (search form): 自核定日起, 自簽約之日起, 核定日即為計畫開始日.
_STARTS_AT_DAY = re.compile(
    r"[自从](?:发布|公布|公告|核定|核准|签约|生效|受理)(?:之)?日"
    r"|(?:发布|公布|公告|核定|核准|签约|生效|受理)(?:之)?日即为[^，,。；;]{0,10}(?:开始|起始|起算)"
)


_ASKS_START = re.compile(r"开始|起步|开跑|启动|成立|创立|开办|最早|首次|推出|\bstart|\bbegin|\blaunch")


_ASKS_EXAMPLE = re.compile(r"例子|例如|举例|比如|举个|for example|such as|examples?")


_HAS_EXAMPLE = re.compile(r"如[:：]|例如|比如|诸如|像是|[(（]如")


#: An amount of money asked for: 多少錢, 金額, or a noun or verb of money (預算, 經費, 人事費, 月薪,
#: 資本額, 補助, 額度, 借, 貸) with 多少 later in its clause (預算大概多少, 月薪最高可以編多少,
#: 補助最多多少, 最多可以借多少), unless the clause asks for a share of it (經費的多少比例, 多少%)
#: or counts things (補助多少家, 多少案).
_ASKS_MONEY = re.compile(
    r"多少钱|多少元|金额|多少(?:投资|资金|经费)|募[^，。？?]{0,4}多少|how much money"
    r"|(?:预算|费|薪|资本额|奖金|租金|罚锾|罚款|价格|价钱|补助|补贴|津贴|额度|借|贷)"
    r"(?:(?!比例|比率|百分)[^，,。？?；;]){0,8}多少"
    r"(?![次个家项件位名年天月人倍案组队所间笔]|\s*%|[^，,。？?；;]{0,3}(?:比例|比率|百分|成|趴))"
)


#: An amount in money, or as a share of one (計畫總經費百分之五十, 收入之20%).
_HAS_MONEY = re.compile(
    r"元|亿|万|\$|nt\$|\bntd|\btwd|\bdollars?\b|(?:经费|金额|总额|收入|预算)[^，,。；;]{0,6}(?:百分之|\d+(?:\.\d+)?\s*%)"
    # a multiple of another amount (匡列二倍之協助經費)
    r"|(?:\d+|[一二两三四五六七八九十]+)\s*倍[^，,。；;]{0,4}(?:经费|金额|款|资金|预算)"
)


#: 「幾年」 before a verb of beginning, enacting or amending asks for the year it happened
#: (科專幾年開始的, 幾年修過 → a year), not for a length of time (要執行幾年, 幾年內).
_EVENT_VERB = (
    r"\s*(?:就|才|正式)?\s*(?:开始|起|成立|启动|推出|推动|设立|设置|上路|实施|施行|修正|修订|修法|修过|修的"
    r"|通过|发布|公布|创立|创办|开办|开跑|有的|出来|订的|定的|订定|制定|核定)"
)
#: A length of time asked for; 年限 (成立年限, 耐用年限) is a span of years too when it is what the
#: question asks (「公司成立年限」, 「耐用年限是幾年」), not a word of it (「經濟年限的幾分之幾」).
_ASKS_DURATION = re.compile(
    rf"期间|多久|多长时间|(?<![这哪那近好十])几年(?!{_EVENT_VERB}|\s*几月)|年限(?=\s*(?:是|为|有|要|多|几(?!分)|[?？]|$))|how long"
)


_HAS_DURATION = re.compile(
    r"(?<!\d)\d{1,2}\s*年(?!\d)|[一二两三四五六七八九十]+年|个月|年内|年间|天内|日内"
    # 為期一星期至四星期, 兩週: weeks
    r"|[\d一二两三四五六七八九十]\s*个?(?:星期|周)"
    # 簡報15-20分鐘, 半小時, 兩個小時: a length of minutes or hours (a meeting's, a talk's)
    r"|[\d一二两三四五六七八九十半]\s*个?(?:分钟|小时|钟头)"
    # 5月17日至6月21日: a period between two days (core.years.DATE_RANGE)
    rf"|{DATE_RANGE.pattern}"
    rf"|{_EN_SPAN}"
)


_ASKS_NAME = re.compile(
    r"名字|名称|全名|叫什么|叫做什么|哪几[队家位]|哪些(?:公司|团队|厂商|企业|人)|\bname\b|\bcalled\b"
)


#: A time: a year, a month, 民國, or a span in digits or Chinese numerals (於年度終了三個月內,
#: 次日起30日內), or the day of an act a text dates things by (本辦法自發布日施行, 計畫核定日即為
#: 計畫開始日, 簽約之日起).
_HAS_TIME = re.compile(
    r"\d{4}|\d+\s*(?:个月|年|月|日|天)|民国|[一二两三四五六七八九十百]+\s*个?(?:年|月|日|天)"
    r"|(?:发布|公布|公告|核定|核准|签约|生效|受理|收件|到职)(?:之)?日"
    # a time given by the step it follows (期末審查通過後辦理, 執行至規定比例後，方可…)
    r"|(?:通过|完成|核定|核准|审查|结案|届满|签约|到期|验收|执行至[^，,。；;]{0,8})(?:之)?后"
    rf"|{_EN_SPAN}|{_EN_DATE}"
)


#: A figure (search form): digits, but not a list item's or a label's number (「2.營利事業…」,
#: 「（二）」, 「第3列」, 「表7」), which counts nothing; or a Chinese numeral with a measure word
#: (三家, 二百五十字, 一次, 十八歲: the common classifiers of modern Chinese), but not an ordinal
#: (前項第三款, 第五條), which names an item or an article and counts nothing either.
_HAS_COUNT = re.compile(
    r"(?<![\d第表])\d+(?:\.\d+)?(?![\d.、．)）])"
    r"|(?<![第一二两三四五六七八九十百千万亿])[一二两三四五六七八九十百千万亿]+(?:小时|[个组家项位年种类大方笔元亿万倍次字篇日天岁人件张份名间所周条款月季期场])"
    r"|百分之[零一二两三四五六七八九十百]+"
    # English: a number word, a fraction or a multiple (three years, one-half, double the amount)
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty"
    r"|fifty|sixty|ninety|hundred|thousand|million|half|double|twice|triple)\b"
)


#: Which one of several is the most, or more (哪一組募最多, 哪個規模比較大): a ranking, not
#: the amount a thing is limited to (最多可以補助多少 asks a figure). Which is earlier or
#: later (哪個最早) is read from years, so it is not a ranking asked for.
_ASKS_TOP = re.compile(r"哪[一个些家组项位所种类]?[^，,。？?、]{0,16}?(?:最|比较|较)(?:多|大|高|少|低|好|强)")
#: Evidence that ranks: a superlative, a comparative or a first place (最多, 較大, 高於, 居冠).
_HAS_TOP = re.compile(
    r"最(?:多|大|高|少|低|好|佳|强)|较(?:多|大|高|少|低|好|强)|[高多大少低]于|居冠|之冠|第一名|首位"
)


_HAS_NAME = re.compile(r"「|」|中心|园区|计划|计画|方案|办法|技术司|经济部|机构|法人|学界|业界")


#: A sentence that says it goes on with the one before it: 其次, 此外, 另 (另外, 另在, 另運用…):
#: what else there is, for 「除了5G還做啥」 (:data:`ASKS_MORE`).
_CONTINUES = re.compile(r"^(其次|此外|另|再者|同時|並於|又在|最後)")
#: A sentence that goes on with the same list (其次, 另在…, 此外): a bare 另 (另運用…) adds to the
#: topic rather than naming the list's next item, so a list question stops before it (on dev
#: half 0 it added a sentence the gold answer leaves out to a list answer, in seed and multi).
_NEXT_ITEM = re.compile(r"^(其次|此外|另在|另外|另於|再者|同時|並於|又在|最後)")


#: A question for what else there is beside what it names (search form): 「除了5G還做啥」,
#: 「除了補助以外還有什麼」, 「還有哪些」: the sentences that go on from the one about what it names
#: (:data:`_CONTINUES`) answer it with that one.
ASKS_MORE = re.compile(
    r"除了?[^，,。？?]{1,16}?(?:以外|之外|外)?[，,]?(?:还|也|另)|除此之外|另外还|还有(?:什么|哪些|啥|别的)"
)


#: A place named by its relation to the one concerned, not by name (search form): a rule that
#: holds wherever the asker is (只能申請登記所在地的…, 向當地政府申請, 該縣市): it speaks of the
#: place a question names without naming it. Not 各縣市 (each county: what follows differs).
GENERIC_PLACE = re.compile(r"所在地|所在(?:县市|城市|地区)|登记地|户籍地|当地|该(?:县市|县|市|地区)")


#: A question that sets two things side by side (search form): 嘉義跟台南…各自, 差在哪.
COMPARES = re.compile(r"[跟和与及]|各自|分别|差[在别异]|不同|比较|相比|compare|versus|\bvs\b|difference")


_ASKS_LIST = re.compile(
    r"哪些|哪几|有什么|有几|分别|各[是自有]|列出|不同|不一样|差别|差在|比较|\bwhich\b|\bwhat are\b"
)


#: A question for the members of a list (哪些, 哪幾種, 有幾項), not a comparison (差在哪, 不同):
#: answered by a lead-in with its numbered items (…得作下列決定：一、…).
ASKS_MEMBERS = re.compile(
    r"^(?!.*(?:不同|不一样|差别|差在|差异|区别|比较)).*(?:哪些|哪几|有几|列出|有什么|有哪|\bwhich\b|\bwhat are\b)"
)


def asks_members(question: str) -> bool:
    """Whether the question (search form) asks for the members of a list (:data:`ASKS_MEMBERS`)
    in the part that asks (:func:`asking_part`): 「手上有幾件專利…，有沒有辦法停掉？」 asks none."""
    return bool(ASKS_MEMBERS.search(asking_part(question)))


#: A telephone number asked for; in English also the number to call (「what number do I call?」).
_ASKS_PHONE = re.compile(
    r"电话|手机|传真|分机|联络方式|联系方式|专线|热线|phone|telephone|\bfax\b|call them|hotline"
    r"|contact number|number[^?.,]{0,20}\bcall\b|\bcall\b[^?.,]{0,12}\bnumber"
)
#: A telephone number as Taiwan writes them: 02-2395-8567, (02)2395-8567, 02-23958567, 0800…,
#: +886…, and the 1999 city hotline; never digits inside a link (…/article-tw-2727-9323).
_HAS_PHONE = re.compile(
    r"(?<![\d\-/=a-z])(?:(?:\(0\d{1,2}\)\s?|0\d{1,2}-)?\d{3,4}-\d{3,4}|(?:\(0\d{1,2}\)\s?|0\d{1,2}-)\d{7,8})(?!\d)"
    r"|0800|\+886|(?<!\d)1999(?!\d)"
)
_ASKS_EMAIL = re.compile(r"e-?mail|电子邮件|电子信箱|邮箱|信箱|电邮")
_HAS_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
#: 連結 asks for a link as a noun (官網連結, 連結是什麼), not as the verb of 「跟哪些地方的產業連結」.
_ASKS_URL = re.compile(
    r"网址|网站|网页|website|\burl\b|\blink\b|web ?page"
    r"|^(?!.*(?:跟|与|和|同)[^，,。？?]{0,12}(?:链接|连结)).*(?:链接|连结)"
)
_HAS_URL = re.compile(r"https?://|www\.|[\w-]+\.(?:gov|org|com|edu|net)(?:\.\w{2})?\b")
#: A street address asked for (地址, 住址, 門牌, address): not which city (在哪個縣市), which a
#: county's name answers.
_ASKS_ADDRESS = re.compile(r"地址|住址|门牌|通讯处|\baddress\b")
#: A street address: a road, street or lane with a number (中正路1號, 三段, 巷), or in English.
_HAS_ADDRESS = re.compile(
    r"[路街道]\s*(?:[\d一二三四五六七八九十]+\s*段)?\s*(?:\d+\s*巷)?\s*(?:\d+\s*弄)?\s*\d+\s*号"
    r"|\d+\s*号\s*\d*\s*楼|\b(?:add|address)\s*:|\bno\.\s*\d+|\d+(?:st|nd|rd|th)?\s*f(?:l|loor)?\b"
    r"|\b(?:rd|road|street|ave|avenue|blvd|boulevard|lane|alley)\b"
)
#: A percentage asked for: 幾%, 百分之幾, or the noun 比例/比率/百分比 with a question word of its
#: clause (補助比例是多少, 多少比例) or a bound (補助比例 上限); the noun alone names a topic
#: (「銀行 融資比例」, 「提高融資比例嗎」).
_ASKS_PERCENT = re.compile(
    r"几\s*%|几趴|多少趴|百分之几|多少\s*%|几成|percent|percentage|\bratio\b|\bshare\b"
    r"|(?:百分比|比例|比率)(?=[^，,。；;!！]*(?:多少|几|为何|多高|多大|什么|怎么|如何|[?？]))"
    r"|(?:百分比|比例|比率)[\s，,]*(?:的)?(?:上限|下限|最高|最低)"
    r"|(?:多少|几|什么|多高)[^，,。；;]{0,4}(?:百分比|比例|比率)"
    # a rate named by its 率 (通過率, 核准率, 利率) or in English (approval rate) with a question
    # word of its clause; not a frequency, an efficiency, an exchange rate or a power (頻率, 效率,
    # 匯率, 功率, 速率), which are no shares
    r"|(?<![频效汇功速])率(?![先领])(?=[^，,。；;!！]*(?:多少|几|为何|多高|多大|什么|[?？]))"
    r"|(?<!exchange )\brates?\b(?=[^,.;!]*(?:多少|几|[?？]))"
)
_HAS_PERCENT = re.compile(
    r"\d\s*%|百分之|[一二三四五六七八九十]成(?![立员果本长功])|分之[一二三四五六七八九十]|\d\s*成"
    r"|\bpercent\b|\bper cent\b|\bhalf\b|\bquarter\b"
)
_ASKS_YEAR = re.compile(
    rf"哪一?年|哪个年份|年份\s*$|何年|几几年|几年(?={_EVENT_VERB})|what year|which year|in what year"
)
#: A year: digits, 民國, or Chinese numerals as laws date things (一百零八年十二月三十一日, 施行至
#: 一百十八年: :data:`core.years.CHINESE_NUMERAL_YEAR`; a bare 「二年」 is a length of time).
_HAS_YEAR = re.compile(rf"\d{{4}}|\d{{2,3}}\s*年|民国|{CHINESE_NUMERAL_YEAR.pattern}|{DOTTED_DATE.pattern}")
#: Chinese numerals of a month or a day (十二月三十一日).
_CN_NUMERAL = "〇零一二三四五六七八九十百"
_ASKS_DATE = re.compile(
    r"几月|哪个月|哪一?天|几月几[号日]|什么日期|日期|截止|期限|deadline|due date|what date"
)
_HAS_DATE = re.compile(
    rf"\d+\s*月|\d+\s*日|[{_CN_NUMERAL}]{{1,3}}月[{_CN_NUMERAL}]{{1,3}}[日号]|\d{{1,2}}/\d{{1,2}}|[日天月年]内|之前|以前|届满|截止|期限|\d+\s*[个個]?月"
    rf"|{_EN_DATE}|{_EN_SPAN}|\b(?:within|before|no later than|deadline|expir(?:e|es|y|ation))\b|{DOTTED_DATE.pattern}"
)
#: Until when something lasts (search form): 收到什麼時候, 到哪一天, 截止到: the day it ends.
_ASKS_UNTIL = re.compile(r"到什么时候|到何时|到哪[一个]?天|到几月|到几号|截止到|until when|\buntil what\b")
#: The day something ends: a day of a month (12月31日), a span's end (至…止, 為止), 截止, 屆滿, or
#: the span it must be done within (年度終了三個月內).
_HAS_UNTIL = re.compile(
    r"\d+\s*月\s*\d+\s*日|[一二三四五六七八九十]+月[一二三四五六七八九十]+日|(?:至|到|迄)[^，,。；;]{0,16}(?:止|为止)"
    r"|截止|届满|[日天月年]内|\buntil\b|\bwithin\b|\bno later than\b|\bdeadline\b|\b(?:january|february|march|april|may|june|july"
    r"|august|september|october|november|december)\s+\d{1,2}\b"
)
_ASKS_PERSON = re.compile(r"(?<![问])谁|哪位|何人|\bwho\b|\bwhom\b")
_HAS_PERSON = re.compile(
    r"[部院局署司处会厅府]|单位|机构|机关|法人|公司|企业|学校|大学|中心|团体|人员|者|人|主任|部长|委员|政府"
    # English: the bodies and persons a law or programme page names (the Executive Yuan, the
    # competent authority, a sole proprietorship, the applicant)
    r"|\b(?:ministry|ministries|yuan|authority|authorities|agency|agencies|council|committee|commission"
    r"|government|bureau|administration|office|department|institut(?:e|es|ion|ions)|organi[sz]ations?"
    r"|compan(?:y|ies)|enterprises?|corporations?|proprietorships?|partnerships?|applicants?|persons?"
    r"|individuals?|universit(?:y|ies)|cent(?:er|re)s?|banks?|foundations?|associations?|recipients?)\b"
)


@dataclass(frozen=True)
class AnswerType:
    """A kind of answer a question asks for, and what evidence of that kind holds.

    Attributes:
        name: The type's name (shown in the trace).
        asks: Matched on the question's search form: the question asks for this type.
        evidence: Matched on a sentence's search form: the sentence holds a value of the type.
        specific: A value only the evidence can give (a phone number, a rate): when no
            evidence holds one the question is refused, whatever the other signals say.
    """

    name: str
    asks: re.Pattern[str]
    evidence: re.Pattern[str]
    specific: bool = False

    def held_by(self, text: str) -> bool:
        """Whether ``text`` (search form) holds a value of this type."""
        return bool(self.evidence.search(text))


#: The answer types, in the order they are checked. A question may ask for several; evidence
#: must hold every one asked (an answer to 「幾年開始」 needs a year, not a count).
ANSWER_TYPES: tuple[AnswerType, ...] = (
    AnswerType("phone", _ASKS_PHONE, _HAS_PHONE, specific=True),
    AnswerType("email", _ASKS_EMAIL, _HAS_EMAIL, specific=True),
    AnswerType("url", _ASKS_URL, _HAS_URL, specific=True),
    AnswerType("address", _ASKS_ADDRESS, _HAS_ADDRESS, specific=True),
    AnswerType("percentage", _ASKS_PERCENT, _HAS_PERCENT, specific=True),
    AnswerType("money", _ASKS_MONEY, _HAS_MONEY, specific=True),
    AnswerType("year", _ASKS_YEAR, _HAS_YEAR),
    AnswerType("date", _ASKS_DATE, _HAS_DATE),
    AnswerType("time", _ASKS_TIME, _HAS_TIME),
    AnswerType("until", _ASKS_UNTIL, _HAS_UNTIL),
    AnswerType("count", _ASKS_COUNT, _HAS_COUNT),
    AnswerType("duration", _ASKS_DURATION, _HAS_DURATION),
    AnswerType("place", _ASKS_PLACE, _HAS_PLACE),
    AnswerType("person", _ASKS_PERSON, _HAS_PERSON),
    AnswerType("example", _ASKS_EXAMPLE, _HAS_EXAMPLE),
    AnswerType("name", _ASKS_NAME, _HAS_NAME),
    AnswerType("top", _ASKS_TOP, _HAS_TOP),
)


#: A bound asked for (search form): the most or least allowed, however it is asked (上限, 最高,
#: 最多, 至多, 不得超過多少, 以下, 為限) — one answer type with the bound stated (:data:`_HAS_BOUND`),
#: whichever words the text uses: 「補助上限是多少」 is answered by 「…在新臺幣一億元以下」 and
#: 「最多不超過多少」 by 「…補助金額之上限，每案為新臺幣五萬元」. Which of several is the most
#: (哪一組最多, :data:`_ASKS_TOP`) is a ranking, not a bound.
_ASKS_BOUND = re.compile(
    r"上限|下限|门槛|最高|最低|(?<!哪)最多|最少|至多|至少|顶多|最长|最久|最短|不得?超过|不能超过|可以超过|超过多少"
    r"|以下|以内|以上|为限|限额|额度|封顶|maximum|minimum|\bcap\b|at most|at least|up to|no more than"
    # How many may be done (可以申請幾項, 能報幾次): a count allowed is a limit (以申請二項為限).
    r"|(?:可以|能|可)[^，,。？?]{0,8}?(?:几|多少)\s*[项个次件家案种场档]"
)
#: A bound stated (search form): 上限, 最高, 不得超過, 以下, 以…為限, 限度內, 未滿, 不低於; not 以下簡稱
#: (a defined name) nor 如下 / 以下各款 (a list's lead-in).
_HAS_BOUND = re.compile(
    r"上限|下限|最高|最低|最多|最少|至多|至少|最长|最短|不得?超过|不得?逾|以下(?![简称列各])|以内|以上(?![简称列各])"
    r"|为限|限度|未满|未达|不得?低于|不得?少于|不得?高于"
    # a figure to reach (比率達百分之六, 達新臺幣六十億元): the threshold itself
    r"|达到?[^，,。；;]{0,10}?(?:\d|百分之|[一二两三四五六七八九十百千]+\s*(?:[亿万元人家年]|个月))"
    # English cards and laws: 「Up to NT$20 million」, 「not exceeding」
    r"|\bup to\b|\bmaximum\b|\bminimum\b|\bat most\b|\bat least\b|\bno more than\b|\bnot exceed"
)

#: The bound as an answer type: preferred, never required (an amount without a bound word may
#: still answer 「最多補助多少」), so it is not in :data:`ANSWER_TYPES` and never refuses.
BOUND = AnswerType("bound", _ASKS_BOUND, _HAS_BOUND)


#: Words that name the kind of value asked for, not a thing (search form): 門檻 is answered by
#: 「比率達百分之六」, 上限 by 「…以新臺幣五萬元為限」 or 「Up to NT$20 million」, 期限 by 「三個月內」.
#: The documents state such a value without the word, so a question's value word that no document
#: uses is not a topic they lack when a retrieved sentence holds a value of its kind
#: (:func:`assistant.refusal.held_value_words`).
VALUE_WORDS: dict[str, AnswerType] = {
    **dict.fromkeys(("门槛", "上限", "下限", "限额", "额度", "最高额", "最高额度"), BOUND),
    **dict.fromkeys(("期限", "截止日", "时限"), AnswerType("deadline", _ASKS_DATE, _HAS_DATE)),
    **dict.fromkeys(("金额", "款项"), AnswerType("amount", _ASKS_MONEY, _HAS_MONEY)),
    **dict.fromkeys(("比例", "比率", "百分比", "成数"), AnswerType("share", _ASKS_PERCENT, _HAS_PERCENT)),
}


def asks_bound(question: str) -> bool:
    """Whether the question (search form) asks for a bound (:data:`BOUND`), not a ranking."""
    return bool(_ASKS_BOUND.search(question)) and not _ASKS_TOP.search(question)


def bound_bonus(question: str, text: str, weight: float = Settings.bound_weight) -> float:
    """``weight`` (``Settings.bound_weight``) for a sentence that states a bound when the question
    asks for one (「最多補助多少」 and 「…以新臺幣五萬元為限」), else 0 (both search form)."""
    return weight if asks_bound(question) and BOUND.held_by(text) else 0.0


#: An English clause that sets a condition before the question proper (search form): 「when a
#: counterpart guarantee program ends, who takes over its assets?」 asks who, not when.
_EN_CONDITION = re.compile(
    r"^(?:when|whenever|if|once|after|before|while|in case)\b[^,，?？]{3,}?[,，]\s*"
    r"(?=(?:who|whom|whose|what|which|where|when|how|is|are|can|could|does|do|did|will|would|should|must)\b)"
)


#: 幾 as "a few" after 有, 了 or 過 with a classifier (有幾件專利, 看了幾次): a statement's words.
_SEVERAL = re.compile(r"(?:有|了|过)几[个件次家位项种条份年天]")


#: Words of a total asked for (總共有幾件): the 幾 after them asks.
_TOTAL = re.compile(r"总共|一共|合计|总计|到底|究竟")


def _indefinite(clause: str) -> bool:
    """Whether a clause (search form) without a question mark asks only by a 幾 of "a few"
    (「手上有幾件專利公告好幾年了」): with another clause of the message marked as the question,
    it states, it does not ask."""
    if clause.rstrip().endswith(("?", "？")) or not _SEVERAL.search(clause) or _TOTAL.search(clause):
        return False
    return not QUESTION_MARKS.search(re.sub(r"[好十]几", "", _SEVERAL.sub("", clause)))


@lru_cache(maxsize=512)
def asking_part(question: str) -> str:
    """The part of a question (search form) that asks: without an English conditional clause that
    opens it (:data:`_EN_CONDITION`), and without the clauses that ask nothing (no asking word,
    :func:`clause_role`) when another clause asks about a thing or for a kind of answer itself: in
    「聽說補助期間很長，要準備哪些文件？」 the 期間 of what the asker heard asks for no period. When
    the asking clauses do neither (「補助期間多長，可以說嗎」 asks 嗎 only), all are kept. Where a
    clause ends in a question mark, one whose only asking word is a 幾 of "a few" (有幾件, 看了幾次:
    :func:`_indefinite`) asks nothing either."""
    rest = _EN_CONDITION.sub("", question, count=1)
    clauses = [c for c in re.split(r"[，,。；;！!]", rest) if c.strip()]
    marked = any(c.rstrip().endswith(("?", "？")) for c in clauses)
    if marked:  # 「手上有幾件專利…，有沒有辦法停掉？」: the 幾 of "a few" states
        clauses = [c for c in clauses if not _indefinite(c)] or clauses
        rest = "，".join(clauses)
    asking = [c for c in clauses if clause_role(c) == "focus"]
    if not asking or len(asking) == len(clauses):
        return rest
    kept = "，".join(asking)
    asks_itself = names_a_thing(kept) or asked_noun(kept) or any(t.asks.search(kept) for t in ANSWER_TYPES)
    return kept if asks_itself else rest


def asked_types(question: str, types: Sequence[AnswerType] = ANSWER_TYPES) -> tuple[AnswerType, ...]:
    """The answer types a question (search form) asks for, in table order; an English clause of
    condition that opens it asks nothing (:func:`asking_part`)."""
    asked = asking_part(question)
    return tuple(t for t in types if t.asks.search(asked))


def answer_type_ok(question: str, evidence_text: str) -> bool:
    """Whether the evidence holds the kind of thing the question asks for (search forms); a count
    is held by a figure, or by a lead-in of the counted noun's items (:func:`is_lead_in`)."""
    text = to_search_form(evidence_text)
    for answer_type in asked_types(question):
        # 「申請資格有幾項？」 is held by 「申請資格如下：」 too: its items are what is counted.
        counted_ahead = answer_type.name == "count" and is_lead_in(asked_noun(question), text)
        if not answer_type.held_by(text) and not counted_ahead:
            return False
    # When something began (哪一年開始, 幾年開始的: a year before a verb of beginning) is answered by
    # a start (自1979年起), not by any year of the topic (2022年共培育…).
    asked = asking_part(question)
    asks_when = _ASKS_TIME.search(asked) or _ASKS_YEAR.search(asked)
    if asks_when and _ASKS_START.search(question) and not starts_at_year(text):
        # 「什麼時候開始」 without a year asked is answered by the day a start is counted from
        # (計畫核定日即為計畫開始日, 自簽約之日起) as well.
        return not _ASKS_YEAR.search(asked) and bool(_STARTS_AT_DAY.search(text))
    counted = _ASKS_COUNTED.search(asked)
    return not (counted and not re.search(rf"(?:\d|[一二两三四五六七八九十百千])\s*{counted.group(1)}", text))


def missing_specific_type(question: str, evidence_texts: Sequence[str]) -> str:
    """The specific answer type (phone, rate, amount…) the question asks for that no evidence
    text holds, or "" (search form question; evidence as written)."""
    texts = [to_search_form(t) for t in evidence_texts]
    for answer_type in asked_types(question):
        if answer_type.specific and not any(answer_type.held_by(t) for t in texts):
            return answer_type.name
    return ""


#: What asks for a list, surest first (search form): 哪些/哪幾 name the list asked for; a bare 幾
#: (幾個領域), 有什麼 or 什麼樣的 may count it or ask something else (幾年, 有什麼好處).
_LIST_ASKS = (
    re.compile(r"哪些|哪几[个项类种大家所位组]?"),
    re.compile(r"(?<![第好十])几[个项类种大家所位组]?|有什么|什么样的"),
)


#: The same noun named first: 七大誘因是哪些？, 重點領域有哪些？, 區域中心有哪幾個？
_LIST_NOUN_BEFORE = re.compile(r"([\u4e00-\u9fff]{2})(?:是|有|包括|包含)(?:哪些|哪几[个项种类家所位])")


def list_noun(question: str) -> str:
    """The head (two characters) of the noun a list question asks for: 趨勢, 誘因, 中心 (search form).

    The noun is the one right after the asking word (:data:`_LIST_ASKS`, 哪些 before a bare 幾),
    read by :func:`assistant.lexicon.leading_noun` so that it ends where the noun does (哪些趨勢呢
    → 趋势, not 势呢); else the noun before 是/有 哪些 (重點領域有哪些 → 领域); else ""."""
    for asks in _LIST_ASKS:
        for match in asks.finditer(question):
            noun = leading_noun(question[match.end() :])
            if len(noun) >= 2:
                return noun[-2:]
    before = _LIST_NOUN_BEFORE.search(question)
    return before.group(1) if before else ""


#: "How many X" (search form): 幾個領域, 幾項; the noun counted is read after it.
_HOW_MANY = re.compile(r"(?<![第好十])几([个项种类组家所间位大])?")


#: The same count with the noun first (search form): 研發重點有幾項 → 重点, 项.
_HOW_MANY_BEFORE = re.compile(
    r"([\u4e00-\u9fff]{2})(?:有|是|共有|总共有|一共有|总共|一共)?(?<![第好十])几([个项种类组家所间位大])"
)


def asked_count(question: str) -> tuple[str, str] | None:
    """The classifier and the head (two characters) of the noun a 「幾個…」 question counts
    (search form): 幾個領域在做 → ``("个", "领域")``, 研發重點有幾項 → ``("项", "重点")``; None for
    a question that asks no count of a named thing (幾年開始, 第幾天). The noun after 幾 is read
    by :func:`assistant.lexicon.leading_noun`, so words after it (在做, 呢) are not taken in."""
    for match in _HOW_MANY.finditer(question):
        noun = leading_noun(question[match.end() :])
        if len(noun) >= 2:
            return match.group(1) or "个", noun[-2:]
    before = _HOW_MANY_BEFORE.search(question)
    return (before.group(2), before.group(1)) if before else None


def asked_noun(question: str) -> str:
    """The head of the noun a question counts or lists (search form), "" when it asks neither:
    :func:`asked_count`'s noun, else :func:`list_noun`."""
    counted = asked_count(question)
    return counted[1] if counted else list_noun(question)


#: A lead-in of items that follow (search form): 「補助項目如下：」, 「應符合下列條件：」, 「下列各款」.
_INTRODUCES_ANY = re.compile(r"如下|下列|以下(?:各|几|[一二三四五六七八九十]+)|[:：]\s*$")


def is_lead_in(noun: str, text: str) -> bool:
    """Whether ``text`` is a lead-in that introduces items of ``noun`` (search forms, ``noun`` a
    head such as :func:`asked_noun` gives): 「申請資格如下：」 and 「應符合下列條件：」 introduce
    资格 and 条件; 「如下：」 alone introduces nothing named. The items are what a count or a list of
    that noun asks for, though the lead-in states no figure."""
    if not noun:
        return False
    for clause in re.split(r"[,，。;；]", text):
        lead = _INTRODUCES_ANY.search(clause)
        if lead and noun in clause:
            return True
    return False


_ASKS_FULL_NAME = re.compile(r"全名|全称|完整名称|正式名称|简称|缩写|全衔|full name|stand for|abbreviat")


#: A short name defined in the text: （簡稱技術司）, （以下稱法人執行單位）.
_DEFINES = re.compile(r"(?:简称|以下简称|以下称)\s*[「『]?([^」』）)，。]{1,20})")


_ASKS_REASON = re.compile(r"为什么|为何|为啥|为了什么|为了啥|干嘛|原因|理由|why\b")


#: A reason or purpose stated at the start of a clause: 面對…, 為提升…, 由於…, 隨著….
_HAS_REASON = re.compile(
    r"(?:^|[,，。;；:：])(?:面对|由于|因为|鉴于|随着|为了?(?!主|重)|为因应|有鉴于)|亟需|亟须"
)


#: How sure each answer shape is that the sentence answers (see :func:`answer_shape`).
#: ``statute``: a law text's enacting clause or definition for the question it answers
#: (:func:`assistant.statutes.statutory_shape`), as sure as a defined full name. ``field``: a table
#: row that holds the field the question names (its column, or its key in a table of 項目 and
#: 內容; :func:`assistant.tables.field_shape`): the row states that field, a sentence that only
#: shares the question's words need not (chosen on dev half 0: the least strength that ranks the
#: row of the named field over such prose).
#: ``division``: the sentence that divides a thing into its named kinds (分為A、B及C) for
#: 「分哪幾類」 (:func:`divides`): it names the kinds, a lead-in with items (``list``) need not be
#: about kinds at all (符合下列各款條件), so it ranks above one (chosen on fresh questions of
#: the kind, between ``list`` and ``full_name``).
SHAPE_STRENGTH = {
    "full_name": 1.5,
    "statute": 1.5,
    "division": 1.2,
    "list": 0.8,
    "reason": 0.4,
    "origin": 0.4,
    "field": 0.3,
}


#: A question about how something began: 當初, 一開始 (answered by 自1979年起…).
_ASKS_ORIGIN = re.compile(r"当初|一开始|刚开始|起初|最初|最早|起源|由来")


def asks_origin(question: str) -> bool:
    """Whether the question (search form) asks how something began (當初, 一開始, 最早)."""
    return bool(_ASKS_ORIGIN.search(question))


#: A question for the kinds a thing is divided into (search form): 分哪幾類, 分成幾種, 分類,
#: 三類, 有哪幾類; not an ordinal (第三類: one kind, asked for its content) nor 類似.
_ASKS_DIVISION = re.compile(
    r"分(?:为|成|作)?(?:哪|几|多少)[几些]?[类种型级组]|分类|分级"
    r"|(?:哪几|几|多少|(?<![第\d二两三四五六七八九十])[二两三四五六七八九十\d])[大个]?[类种级组](?![似比])"
    r"|\bcategor|\bkinds? of\b|\btypes? of\b|\bclasses\b"
)


#: A sentence that divides a thing into its kinds, naming them (search form): 分為創新前瞻類、
#: 關鍵類及環境建構類; 區分為甲、乙兩類.
_DIVIDES = re.compile(r"(?:区分|划分|分类|分)(?:为|成)[^，,。；;：:]{1,40}?(?:、|及|和|与|以及)")


def divides(question: str, text: str) -> bool:
    """Whether ``text`` divides a thing into named kinds when ``question`` asks for its kinds
    (「科專分哪幾類？」 and 「科技專案依其特性，分為創新前瞻類、關鍵類及環境建構類。」; search forms)."""
    return bool(_ASKS_DIVISION.search(question) and _DIVIDES.search(text))


def answer_shape(question: str, text: str, names: Sequence[str] = ()) -> float:
    """How much ``text`` has the shape of the answer asked for, 0-1 (both search form).

    Shapes, surest first: for a full name, the sentence that defines the short one
    (…（簡稱技術司）); for a legal basis or a term's scope, a law's enacting clause or definition
    (:mod:`assistant.statutes`); for 「哪些趨勢」, an enumeration of that noun (美中科技戰、…等趨勢),
    and for 「分哪幾類」 the sentence that divides the thing into its kinds (:func:`divides`);
    for 為什麼, a clause that gives a reason or purpose; for 當初/一開始, a start (自1979年起).
    ``names``: other forms of the question's terms (科技專案 for 科專), which a definition
    question may be asking about.
    """
    norm = to_search_form(text)
    if (_ASKS_FULL_NAME.search(question) or shapes.asks_definition(question)) and any(
        short and (short in question or short in names) for short in _DEFINES.findall(norm)
    ):
        return SHAPE_STRENGTH["full_name"]
    if statutes.statutory_shape(question, norm):
        return SHAPE_STRENGTH["statute"]
    if divides(question, norm):
        return SHAPE_STRENGTH["division"]
    head = list_noun(question)
    if head:
        for clause in re.split(r"[,，。;；:：]", norm):
            clause = ITEM.sub("", clause)  # 「四、其他…等方式」: an item's number is no enumeration
            at = clause.find(head)
            if at > 0 and "、" in clause[:at]:
                return SHAPE_STRENGTH["list"]
        # 「補助項目如下：」 for 「補助哪些項目」: the lead-in of the items asked for
        if is_lead_in(head, norm):
            return SHAPE_STRENGTH["list"]
    shape = 0.0
    if _ASKS_REASON.search(question) and _HAS_REASON.search(norm):
        shape += SHAPE_STRENGTH["reason"]
    if _ASKS_ORIGIN.search(question) and starts_at_year(norm):
        shape += SHAPE_STRENGTH["origin"]
    return shape


#: Sentences that point elsewhere instead of stating the content (search form), each with the
#: questions that do ask for them: a delegation (「…之辦法，由中央主管機關會同財政部定之。」) names
#: the topics a regulation will settle, not what it settles; a reference (「…依相關規定辦理。」)
#: names a rule, not what it says; a bare proviso (「…者，不在此限。」) exempts a case from a rule
#: it does not state; an application (「…準用之。」) borrows another article's rule; a question
#: (「…申請一次？」) asks instead of stating.
BOILERPLATE: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "delegation",
        re.compile(
            # 「…之辦法，由中央主管機關會同財政部定之」, 「其適用領域由經濟部（以下簡稱本部）公告」
            r"由[^，。；;：:按依参]{0,24}?(?:机关|机构|部|院|会|政府|局|署|处)[）)]?"
            r"(?:会同[^，。；;：:按依参]{0,24}?)?另?(?:订定之|定之|订之|公告之?)[。；;]?\s*$"
        ),
        re.compile(
            r"谁|哪个?(?:机关|单位|部会|部门|机构)|由哪|办法|细则|订定|制定|授权|另定|主管机关|who\b|which (?:agency|authority|ministry)"
            r"|由[^，,。？?]{0,12}(?:定之|订定|公告)"
        ),
    ),
    (
        "reference",
        re.compile(
            r"(?:依|依照|按照|依据)[^。；;]{0,40}(?:规定|办法|要点|法令|法规)办理[。；;]?\s*$|未尽事宜"
        ),
        re.compile(r"依据|根据|依照|按照|哪[个条项部].{0,6}规定|哪个法|according|under which"),
    ),
    (
        "proviso",
        re.compile(r"^\s*但[^。；;]*不在此限[。；;]?\s*$"),
        re.compile(
            r"例外|除外|不受|不用|不必|免[除予征]?|不需|可以不|什么情况|哪些情况|情形|except|unless|exempt"
        ),
    ),
    (
        "application",
        re.compile(r"准用(?:之|[^。；;]{0,24}规定)[。；;]?\s*$"),
        re.compile(r"准用|适用|比照"),
    ),
    (
        # A question the document asks (a FAQ's 「Q6：多久可以申請一次？」) states nothing: its
        # answer does, in the sentences after it.
        "question",
        re.compile(r"[?？]\s*$"),
        re.compile(r"常见问题|哪些问题|问了什么|\bfaq\b|\bq&a\b", re.IGNORECASE),
    ),
)


def boilerplate(question: str, text: str) -> str:
    """The kind of pointer sentence ``text`` is (:data:`BOILERPLATE`: ``delegation``,
    ``reference``, ``proviso``, ``application``, ``question``), or "" for a sentence that states content or
    one of the kind the question asks for (「由哪個機關訂定？」 is answered by a delegation).
    Both search form; an enacting clause (「本辦法依…訂定之。」) is no pointer."""
    if statutes.is_enacting(text):
        return ""
    for name, pattern, asked in BOILERPLATE:
        if pattern.search(text):
            return "" if asked.search(question) else name
    return ""


#: Part-of-speech tags (jieba) of the words a yes/no question asserts: nouns, names, places.
ASSERTED_TAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "f", "s", "eng"})


def asks_for_list(question: str) -> bool:
    """Whether the question (search form) asks for several things: 哪些, 哪幾個, 分別…"""
    return bool(_ASKS_LIST.search(question))


#: Titles of people (search form): a question of who holds one (經濟部長是誰) needs a text that names it.
PERSON_TITLES = re.compile(
    r"(部长|主任|院长|局长|署长|处长|司长|校长|理事长|董事长|执行长|总经理|负责人|联络人|主持人|首长|主委|市长|县长)"
    r"(?:是谁|是哪位|叫什么|的名字)"
)


def title_asked(question: str) -> str:
    """The person's title a question asks who holds (search form), or ""."""
    match = PERSON_TITLES.search(question)
    return match.group(1) if match else ""


#: Shown when the documents do not hold the answer.
REFUSAL_HANT = (
    "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。"
    "我只能依據經濟部科技專案相關文件回答，例如科技專案的類型與沿革、重點研發領域、"
    "新創誘因與成果，以及各區域產業研發中心。"
)

# Attempts to make the assistant drop its rules: refused outright.
_INJECTION = re.compile(
    r"(忽略|无视|不要理|别管|ignore|disregard|forget).{0,16}(指示|指令|规则|提示|设定|instruction|rule|prompt)"
    r"|system\s*prompt|系统提示|你现在是|现在开始你是|jailbreak|developer mode|开发者模式|管理员指令|假装你是|角色扮演"
    r"|不需要引用|不用引用|直接编|编一个",
    re.IGNORECASE,
)
