"""The refusal vetoes (assistant.refusal.veto): each a fact about the question and the evidence."""

from __future__ import annotations

import numpy as np

from assistant.evidence import (
    Evidence,
    QueryTerms,
    SentenceRecord,
    Term,
    _numbers_supported,
    coverage,
    typed_best,
)
from assistant.places import named_best, places_by_rule
from assistant.query import question_numbers
from assistant.refusal import held_value_words, types_held, unknown_subject, veto, without_foreign
from assistant.reply import Passage
from assistant.rules import answer_type_ok
from core.settings import Settings
from core.text import to_search_form


def _evidence(
    text: str, passage_text: str = "", section: str = "", support: float = 0.0, title: str = ""
) -> Evidence:
    passage = Passage(
        id=text[:8], source="doc.txt", section=section, text=passage_text or text, start=0, end=1, title=title
    )
    sentence = SentenceRecord(id=text, text=text, start=0, end=len(text), vector=np.zeros(2, np.float32))
    ev = Evidence(sentence, passage, rank=0, dense=0.9, coverage=1.0, context_coverage=1.0)
    ev.support = support
    return ev


def _query(question: str, places: tuple[tuple[str, ...], ...] = (), share: float = 0.0) -> QueryTerms:
    return QueryTerms(
        terms=(Term(("中心",), 1.0),),
        numbers=(),
        cjk=True,
        question=to_search_form(question),
        places=places,
        foreign_share=share,
    )


def test_a_specific_type_no_evidence_holds_is_refused() -> None:
    best = _evidence("嘉義產業創新研發中心以食品製程為研發重點")
    rule, reason = veto(_query("嘉義中心的電話幾號？"), [best], best, foreign_limit=0.25)
    assert rule == "missing_type" and "phone" in reason
    found = _evidence("嘉義中心聯絡電話：05-271-7000")
    assert veto(_query("嘉義中心的電話幾號？"), [found], found, foreign_limit=0.25) == ("", "")


def test_a_place_the_answering_passage_never_names_is_refused() -> None:
    best = _evidence("南臺灣創新園區投入智慧製造")
    rule, reason = veto(
        _query("南臺灣創新園區搬到屏東之後有什麼改變？", places=(("屏东",),)), [best], best, 0.25
    )
    assert rule == "missing_place" and "屏东" in reason
    # Named by the passage (its section or text), the place is no reason to refuse.
    near = _evidence("南臺灣創新園區投入智慧製造", passage_text="園區位於屏東。南臺灣創新園區投入智慧製造")
    assert veto(_query("屏東的園區做什麼？", places=(("屏东",),)), [near], near, 0.25) == ("", "")


def test_a_comparison_may_find_each_place_in_its_own_sentence() -> None:
    chiayi = _evidence("嘉義中心聚焦食品製程")
    tainan = _evidence("臺南園區發展食品生技")
    query = _query("嘉義跟台南的中心各自負責什麼", places=(("台南",),))
    assert veto(query, [chiayi, tainan], chiayi, 0.25) == ("", "")
    # Without the comparison, the best sentence's passage must name it.
    assert veto(_query("台南的中心負責什麼", places=(("台南",),)), [chiayi, tainan], chiayi, 0.25)[0]


def test_foreign_share_over_the_limit_is_refused() -> None:
    best = _evidence("科專推動產業創新")
    assert veto(_query("韓國政府的計畫有哪些？", share=0.6), [best], best, 0.25)[0] == "foreign_share"
    assert veto(_query("科專有哪些？", share=0.1), [best], best, 0.25) == ("", "")


def test_an_organisation_the_answering_passage_never_names_is_refused_unless_its_title_does() -> None:
    best = _evidence("技術司於2014年推動產學研價值創造計畫")
    query = _query("國科會的產學合作計畫是什麼時候開始的？", places=(("国科会",),))
    assert veto(query, [best], best, 0.25)[0] == "missing_place"
    # The document's title names it: every passage of that document is about it.
    titled = _evidence("產學合作計畫於2014年開始", title="國科會產學合作計畫作業要點")
    assert veto(query, [titled], titled, 0.25) == ("", "")


def test_the_sentence_whose_passage_names_the_place_answers_instead_of_the_best() -> None:
    query = _query("可以申請台北市的地方型SBIR嗎？", places=(("台北市",),))
    new_taipei = _evidence("公司登記於新北市", support=0.8)
    taipei = _evidence("公司登記於台北市者得申請", support=0.6)
    assert named_best(query, [new_taipei, taipei], new_taipei, depth=5, floor=0.5) is taipei
    # The trace says why the second sentence answers.
    diagnostics: dict[str, float | str] = {}
    named_best(query, [new_taipei, taipei], new_taipei, depth=5, floor=0.5, diagnostics=diagnostics)
    assert str(diagnostics["chosen"]).startswith("place: candidate 2") and "台北市" in str(
        diagnostics["chosen"]
    )
    # Too weak a sentence, or one past the depth read, does not replace the best.
    assert named_best(query, [new_taipei, taipei], new_taipei, depth=5, floor=0.7) is new_taipei
    assert named_best(query, [new_taipei, taipei], new_taipei, depth=1, floor=0.5) is new_taipei
    # A sentence covering less of the rest of the question than the best does not answer it,
    # however well it names the place (the rest here is 中心: the best names it, the row not).
    rest = _query("台北市的中心可以申請嗎？", places=(("台北市",),))
    named, row = _evidence("中心設於新北市", support=0.8), _evidence("縣市：台北市", support=0.9)
    assert named_best(rest, [named, row], named, depth=5, floor=0.5) is named
    assert named_best(rest, [named, row, taipei], named, depth=5, floor=0.5) is named
    centre = _evidence("台北市另設中心", support=0.6)
    assert named_best(rest, [named, row, centre], named, depth=5, floor=0.5) is centre
    # A comparison answers each place with its own sentence: the best stays.
    both = _query("新北市跟台北市的SBIR差在哪？", places=(("台北市",),))
    assert named_best(both, [new_taipei, taipei], new_taipei, depth=5, floor=0.5) is new_taipei


def test_a_question_of_several_parts_is_answerable_when_one_asked_kind_is_held() -> None:
    question = to_search_form("東部一共有幾個中心？分別在哪裡？")
    label = _evidence("生活工藝、觀光休閒、科技農企", support=0.9)
    placed = _evidence("本部技術司在花蓮縣推動東部產業技術服務中心", support=0.8)
    assert types_held(question, [label, placed], depth=8, floor=0.5)
    # Neither kind anywhere, or only in a sentence too weak to answer: not answerable.
    assert not types_held(question, [label], depth=8, floor=0.5)
    assert not types_held(question, [label, placed], depth=8, floor=0.85)
    # A question asking for one kind is judged on the best sentence, not here; so is one clause
    # asking for two kinds at once (多少 a count, 金額 an amount).
    assert not types_held(to_search_form("東部的中心在哪裡？"), [label, placed], depth=8, floor=0.5)
    amount = _evidence("契約金額達新臺幣五千萬元以上者應報部核定", support=0.9)
    assert not types_held(to_search_form("契約金額超過多少要報部核定？"), [label, amount], depth=8, floor=0.5)


def test_a_rule_for_whatever_place_is_concerned_answers_for_a_named_place() -> None:
    query = _query("我們在高雄，可以改去台南申請地方型計畫嗎？", places=(("台南",),))
    rule = _evidence("申請者應向公司登記所在地之縣市政府提出申請", support=0.8)
    assert veto(query, [rule], rule, 0.25) == ("", "")
    assert named_best(query, [rule], rule, depth=5, floor=0.5) is rule
    assert "台南" in places_by_rule(query, rule)
    # A sentence about another place, or an organisation named (國科會), is no such rule.
    other = _evidence("高雄市公司得申請本市補助", support=0.8)
    assert veto(query, [other], other, 0.25)[0] == "missing_place"
    # Which or how many things the place has only that place's facts say.
    which = _query("台南有哪幾個園區可以申請？", places=(("台南",),))
    assert veto(which, [rule], rule, 0.25)[0] == "missing_place"
    agency = _query("國科會的計畫要向哪裡申請？", places=(("国科会",),))
    assert veto(agency, [rule], rule, 0.25)[0] == "missing_place"
    assert places_by_rule(agency, rule) == ""


def test_a_list_asked_for_that_the_best_sentence_delegates_is_refused() -> None:
    best = _evidence("其補助產業別由本部公告。")
    best.boilerplate = "delegation"
    rule, reason = veto(_query("今年公告補助的產業別有哪些？"), [best], best, 0.25)
    assert rule == "delegated_list" and "which ones" in reason
    # Asked for something else than its members, the delegation is no reason to refuse.
    assert veto(_query("補助產業別由誰決定？"), [best], best, 0.25) == ("", "")


def test_a_ranking_must_be_held_for_the_parts_that_ask_about_the_one_it_picks() -> None:
    question = to_search_form("去年參賽的隊伍裡，哪一隊得獎金最多？拿了多少？")
    total = _evidence("共有十二隊獲得獎金新臺幣三百萬元", support=0.9)
    assert not types_held(question, [total], depth=8, floor=0.5)
    ranked = _evidence("其中以甲隊獲得獎金最多，達新臺幣八十萬元", support=0.8)
    assert types_held(question, [total, ranked], depth=8, floor=0.5)


def test_a_number_the_question_states_is_held_in_chinese_numerals_too() -> None:
    assert _numbers_supported(["40"], "其繳交收入之比率為百分之四十。")
    assert _numbers_supported(["24"], "二十四組募得資金")
    assert not _numbers_supported(["40"], "其繳交收入之比率為百分之三十。")
    # A lone 一, 百 or 十 in a word (一般, 百姓, 十分) states no figure.
    assert not _numbers_supported(["1"], "一般而言")
    assert not _numbers_supported(["100"], "照顧百姓")
    assert not _numbers_supported(["10"], "十分重要")


def test_a_city_written_without_its_suffix_is_a_place_the_answer_must_name() -> None:
    from assistant.terms import TermJudge

    # 基隆, 台中, 嘉義 without 市 are tagged as names or not at all; 基隆市 is a place (ns).
    for city in ("基隆", "台中", "嘉义", "新竹"):
        assert TermJudge._named(city, ()), city
    # A direction (南部) or a common noun is no place, whatever a suffix makes of it.
    for word in ("南部", "中心", "补助", "几念"):  # 幾念: a typo the segmenter would guess a county of
        assert not TermJudge._named(word, ()), word
    # Documents that teach the segmenter the word (register_words) do not change the verdict:
    # the dictionary's own tag decides, whatever else ran in this process before.
    from assistant.lexicon import register_words

    register_words(["台中"])
    assert TermJudge._named("台中", ())


def _terms_query(question: str, words: list[str], earlier: tuple[str, ...] = ()) -> QueryTerms:
    terms = tuple(Term((to_search_form(w),), 1.0, asked=w not in earlier) for w in words)
    return QueryTerms(terms=terms, numbers=(), cjk=True, question=to_search_form(question))


def test_the_asked_head_is_the_word_nearest_before_the_question_word() -> None:
    from assistant.refusal import asked_head

    def head(question: str, words: list[str], earlier: tuple[str, ...] = ()) -> str:
        found = asked_head(_terms_query(question, words, earlier))
        return found.forms[0] if found else ""

    assert head("國家科學技術發展基金每年預算大概多少？", ["基金", "每年", "預算"]) == to_search_form("預算")
    # The last asking clause decides: what the asker states first is context.
    assert head("規定計畫主持人一定要博士學位，那我只有碩士怎麼辦？", ["主持人", "博士", "碩士"]) == "硕士"
    # A question word first: the word right after it.
    assert head("哪一年開始推科專？", ["科專", "開始"]) == to_search_form("開始")
    # An earlier turn's word is no head; nor is anything in a text with no question word.
    assert head("那主任呢？", ["中心", "主任"], earlier=("中心",)) == "主任"
    assert head("中心簡介", ["中心", "簡介"]) == ""


def test_head_held_reads_the_best_sentence_its_context_and_section() -> None:
    from assistant.refusal import head_held

    query = _terms_query("國家科學技術發展基金每年預算大概多少？", ["基金", "預算"])
    assert not head_held(query, _evidence("國家科學技術發展基金之運用應經公開程序審查"))
    assert head_held(query, _evidence("基金預算每年新臺幣一百億元"))
    assert head_held(query, _evidence("每年新臺幣一百億元", section="基金預算"))
    assert head_held(_terms_query("中心簡介", ["中心"]), _evidence("技術司推動科專"))


def _asking(
    question: str, terms: tuple[Term, ...], foreign: tuple[str, ...] = (), share: float = 0.0
) -> QueryTerms:
    return QueryTerms(
        terms=terms,
        numbers=(),
        cjk=True,
        question=to_search_form(question),
        foreign=foreign,
        foreign_heads=foreign,
        foreign_share=share,
    )


def test_a_value_word_no_document_writes_is_no_topic_when_a_sentence_holds_its_kind_of_value() -> None:
    question = "申請人的營業額門檻是多少？"
    query = _asking(question, (Term(("营业额",), 1.0), Term(("门槛",), 3.0)), foreign=("门槛",), share=0.75)
    rule = _evidence("申請人之年度營業額達新臺幣三千萬元以上。", support=0.7)
    held = held_value_words(query, [rule], depth=8, floor=0.5)
    assert list(held) == ["门槛"] and "bound" in held["门槛"]
    excused = without_foreign(query, list(held))
    assert excused.foreign == () and excused.foreign_heads == () and excused.foreign_share == 0.0
    # A sentence with no value of that kind (or too weak to answer) leaves the word foreign.
    vague = _evidence("申請人應具備良好的營業能力。", support=0.7)
    assert held_value_words(query, [vague], depth=8, floor=0.5) == {}
    assert held_value_words(query, [_evidence(rule.sentence.text, support=0.2)], depth=8, floor=0.5) == {}
    # Words that name a thing, not a kind of value, are never excused.
    other = _asking("營業額的罰款是多少？", (Term(("罚款",), 1.0),), foreign=("罚款",), share=1.0)
    assert held_value_words(other, [rule], depth=8, floor=0.5) == {}


def test_a_question_whose_every_noun_no_document_uses_is_refused_however_common_they_are() -> None:
    best = _evidence("申請者應檢具計畫書向主管機關提出申請。", support=0.45)
    terms = (Term(("健保",), 0.5, known=False), Term(("住院",), 0.5, known=False), Term(("申请",), 1.0))
    query = QueryTerms(**{**_asking("健保的住院給付要去哪裡申請？", terms).__dict__, "strangers": ("住院",)})
    assert unknown_subject(query) == ("住院",)
    assert veto(query, [best], best, 0.25)[0] == "unknown_subject"
    # One topical word the documents use keeps the question theirs; so does a figure it states.
    ours = QueryTerms(**{**query.__dict__, "terms": (*terms, Term(("计画书",), 2.0))})
    assert unknown_subject(ours) == ()
    assert unknown_subject(QueryTerms(**{**query.__dict__, "numbers": ("3",)})) == ()
    # The thing whose count is asked for, no document writing of it, refuses on its own.
    quota = _asking("計畫書每年開放多少名額？", (Term(("计画书",), 2.0), Term(("名额",), 0.5, known=False)))
    assert unknown_subject(QueryTerms(**{**quota.__dict__, "strangers": ("名额",)})) == ("名额",)
    # A word the documents hold in another form (a compound, an abbreviation) is no stranger.
    assert unknown_subject(QueryTerms(**{**query.__dict__, "strangers": ()})) == ()


def _card(text: str, section: str, score: float, coverage: float) -> Evidence:
    ev = _evidence(text, section=section, support=0.8)
    ev.score, ev.coverage = score, coverage
    return ev


def test_a_cards_title_line_gives_way_to_its_line_of_the_kind_asked_for() -> None:
    section = "Innovation Voucher Program"
    title = _card("Innovation Voucher Program (創新券計畫) supports small firms.", section, 1.0, 0.9)
    amount = _card("Voucher amount: Up to NT$300,000", section, 0.6, 0.5)
    question = to_search_form("創新券最多補助多少？")
    chosen = typed_best([title, amount], lambda e: answer_type_ok(question, e.sentence.text), Settings())
    assert chosen is amount
    # A line that is no title of its section keeps the place its score gives it.
    body = _card("Small firms may apply for vouchers every year.", section, 1.0, 0.9)
    assert typed_best([body, amount], lambda e: answer_type_ok(question, e.sentence.text), Settings()) is body


def test_of_the_items_of_the_kind_asked_the_one_naming_the_question_in_its_own_words_answers() -> None:
    """Items inherit their lead-in's words (coverage ties); the rate asked is the figure beside 抵減."""
    section = "第9條"
    lead = _card("設備之支出，應減除政府補助款，並依下列規定認定：", section, 0.9, 1.0)
    fraction = _card("三、租賃期間達租賃設備經濟年限四分之三。", section, 0.85, 1.0)
    rate = _card("設備之支出，得按支出總金額百分之五，抵減應納稅額。", section, 0.8, 1.0)
    question = to_search_form("設備抵減是幾趴")
    of_kind = lambda e: answer_type_ok(question, e.sentence.text)  # noqa: E731
    terms = [Term((to_search_form("設備"),), 1.0), Term((to_search_form("抵減"),), 1.0)]
    own = lambda e: coverage(terms, e.sentence.text)  # noqa: E731
    assert typed_best([lead, fraction, rate], of_kind, Settings()) is fraction  # the first of the kind
    assert typed_best([lead, fraction, rate], of_kind, Settings(), own) is rate
    # far below the best score, it does not answer
    rate.score = 0.5
    assert typed_best([lead, fraction, rate], of_kind, Settings(), own) is fraction
    # a best sentence of the kind asked keeps its place
    assert typed_best([fraction, rate], of_kind, Settings(), own) is fraction


def test_a_cards_title_line_names_its_subject_for_every_line_of_the_card() -> None:
    section = "Innovation Voucher Program"
    title = _card("Innovation Voucher Program (創新券計畫) supports small firms.", section, 1.0, 0.9)
    amount = _card("Voucher amount: Up to NT$300,000", section, 0.6, 0.5)
    query = QueryTerms(
        terms=(Term(("创新券",), 1.0),),
        numbers=(),
        cjk=True,
        question=to_search_form("創新券計畫最多補助多少？"),
        places=((to_search_form("創新券計畫"),),),
    )
    assert veto(query, [title, amount], amount, 0.25) == ("", "")
    assert named_best(query, [title, amount], amount, depth=5, floor=0.5) is amount
    # A line of another section is not named by this card's title.
    stray = _card("Loan amount: Up to NT$1 million", "Startup Loan", 0.6, 0.5)
    assert veto(query, [title, stray], stray, 0.25)[0] == "missing_place"


def test_a_cards_title_line_takes_its_own_cards_value_before_another_cards() -> None:
    """The value asked (a phone) of the thing a card's title line names is the card's own line,
    though another card's line of that kind ranks above it; the veto for a missing value does not
    fire when the chosen line holds it, however low it ranks."""
    title = _card("Harbour Loan (港灣貸款) – For firms with fewer than 20 staff.", "Harbour Loan", 1.0, 0.6)
    other = _card("Hotline: 0800-111-222", "Garden Grant", 0.8, 0.0)
    own = _card("Hotline: 0800-333-444", "Harbour Loan", 0.7, 0.0)
    question = to_search_form("What number do I call for the Harbour Loan?")
    of_kind = lambda e: answer_type_ok(question, e.sentence.text)  # noqa: E731
    words = lambda e: 0.0  # noqa: E731
    assert typed_best([title, other, own], of_kind, Settings(), words) is own
    # A best line that is no card title keeps the first line of the kind.
    body = _card("Firms with fewer than 20 staff may borrow.", "Harbour Loan", 1.0, 0.6)
    assert typed_best([body, other, own], of_kind, Settings(), words) is other
    # Past the search depth, the chosen line still counts as holding the value asked.
    filler = [
        _card(f"Line {i} of the guide.", "Harbour Loan", 0.9, 0.1)
        for i in range(Settings().type_search_depth)
    ]
    query = _query("What number do I call for the Harbour Loan?")
    rule, _ = veto(query, [title, *filler, own], own, 0.9, Settings())
    assert rule != "missing_type"
    rule, _ = veto(query, [title, *filler, own], title, 0.9, Settings())
    assert rule == "missing_type"


def test_a_roc_year_and_its_western_year_are_one_number() -> None:
    # 「民國103年核定的方案，期程到哪一年？」 holds 103 and 2014: the documents write either.
    numbers = question_numbers("民國103年核定的那個方案，期程到哪一年？")
    assert numbers == ("103", "2014")
    assert _numbers_supported(numbers, "本方案於103年10月13日奉行政院核定，期程為103年至113年。")
    assert _numbers_supported(numbers, "本方案於2014年核定。")
    assert not _numbers_supported(numbers, "本方案於104年核定。")
    # Two numbers that are no such pair are both needed.
    assert not _numbers_supported(("103", "2015"), "本方案於103年核定。")
