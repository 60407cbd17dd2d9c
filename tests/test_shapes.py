"""Answer shapes (assistant/shapes.py) and the calibrated refusal model (assistant/refusal.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant import shapes
from assistant.refusal import FEATURES, MODEL_FEATURES, MODEL_PATH, RefusalModel, signals
from core.text import to_search_form as sf


def test_yes_no_says_yes_when_every_asserted_term_is_held() -> None:
    verdict = shapes.yes_no(
        sf("東部中心有做觀光嗎？"), [(("观光",), 1.0)], (), "以「健康產業」及「教育觀光」為重點"
    )
    assert verdict is not None and verdict.lead == "有。"


def test_yes_no_says_no_when_the_modifier_is_missing() -> None:
    verdict = shapes.yes_no(sf("那個計畫是針對大企業的嗎"), [(("企业",), 1.0)], (), "針對我國中小企業發展")
    assert verdict is not None and verdict.lead.startswith("否")


def test_yes_no_says_no_for_a_wrong_year() -> None:
    verdict = shapes.yes_no(
        sf("業界計畫是2001年開始的嗎？"), [], ("2001",), "自1997年啟動「業界開發產業技術計畫」"
    )
    assert verdict is not None and verdict.lead == "否，不是。"


def test_yes_no_echoes_the_modal_the_question_asks_with() -> None:
    # 可以…嗎 is answered 可以 / 不可以, not 是 / 不是; a space before the mark still asks.
    no = shapes.yes_no(sf("公司在新北，可以申請台中市的計畫嗎 ?"), [(("新北",), 1.0)], (), "公司登記於台中市")
    assert no is not None and no.lead == "否，不可以。"
    yes = shapes.yes_no(sf("中小企業可以申請嗎？"), [(("中小企业",), 1.0)], (), "中小企業得申請補助")
    assert yes is not None and yes.lead == "是，可以。"
    assert shapes.yes_no(sf("法人有鼓勵新創嗎 ?!"), [], (), "鼓勵新創") is not None


def test_yes_no_ignores_other_questions() -> None:
    assert shapes.yes_no(sf("科專是哪一年開始的？"), [], (), "自1979年起") is None


def test_shortened_terms_are_held() -> None:
    assert shapes.held_share([(("国际奖",), 1.0)], "5組取得國際新創奬項") == 1.0


def test_definition_and_overview_questions_do_not_collide() -> None:
    assert shapes.asks_definition(sf("科專是什麼？")) and not shapes.asks_overview(sf("科專是什麼？"))
    assert shapes.asks_overview(sf("這份文件在講什麼？")) and not shapes.asks_definition(
        sf("這份文件在講什麼？")
    )
    assert shapes.defined_subject(sf("文件裡常講的「法人執行單位」是指誰")) == sf("法人執行單位")
    assert not shapes.asks_definition(sf("科專有哪些領域？"))


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("中小企業促進法裡面中小企業的定義是什麼", "中小企业"),
        ("研發成果歸屬辦法裡面，研發成果是什麼意思", "研发成果"),
        ("這份文件裡的法人是指什麼", "法人"),
    ],
)
def test_a_definition_asked_after_where_to_look_defines_its_subject(question: str, subject: str) -> None:
    assert shapes.defined_subject(sf(question)) == subject


def test_refusal_model_decides_and_names_the_signal(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    coef = [2.0 if f == "support" else 0.0 for f in FEATURES]
    path.write_text(
        json.dumps(
            {
                "features": list(FEATURES),
                "coef": coef,
                "intercept": 0.0,
                "mean": [0.5] * len(FEATURES),
                "scale": [0.1] * len(FEATURES),
            }
        ),
        encoding="utf-8",
    )
    model = RefusalModel.load(path)
    assert model is not None
    answer, p, decisive = model.decide(signals(0.9, 0.5, 0.5, 0.5, True, 0.5), 0.5, 4.0)
    assert answer and p > 0.9 and decisive == "support"
    answer, p, decisive = model.decide(signals(0.1, 0.5, 0.5, 0.5, True, 0.5), 0.5, 4.0)
    assert not answer and p < 0.1 and decisive == "support"


def test_refusal_model_weighs_only_the_signals_it_names(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(
        json.dumps({"features": ["support"], "coef": [1.0], "intercept": 0, "mean": [0.5], "scale": [0.1]})
    )
    model = RefusalModel.load(path)
    assert model is not None and model.features == ("support",)
    # However far the document-scaled signals (dense, margin) move, only support decides.
    assert model.decide(signals(0.9, 0.0, 0.0, 0.0, False, 0.0), 0.5, 4.0)[0]
    assert not model.decide(signals(0.1, 1.0, 1.0, 0.0, True, 9.0), 0.5, 4.0)[0]


def test_refusal_model_with_a_signal_not_measured_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(
        json.dumps({"features": ["vibes"], "coef": [1.0], "intercept": 0, "mean": [0], "scale": [1]})
    )
    assert RefusalModel.load(path) is None


def test_shipped_refusal_model_is_fitted_and_hashed() -> None:
    model = RefusalModel.load(MODEL_PATH)
    assert model is not None and len(model.data_hash) == 64
    assert np.all(model.scale > 0)
    # More support must never lower the chance of answering.
    assert model.coef[model.features.index("support")] > 0
    # The shipped model weighs no signal whose scale depends on the document.
    assert set(model.features) == set(MODEL_FEATURES)


def test_a_rule_that_rejects_or_revokes_answers_a_may_question_no() -> None:
    terms = [(("补助",), 1.0), (("领取",), 1.0), (("申请",), 0.5)]
    for question in ("已經領了其他補助，還能申請嗎？", "我能同時領取兩種補助嗎？"):
        verdict = shapes.yes_no(sf(question), terms, (), "以同一事由已領取其他相同性質之補助者，將駁回申請。")
        assert verdict is not None and verdict.lead == "否，不能。", question
    # 能 inside a word (功能, 能力) asks nothing about what is allowed.
    assert not shapes._ASKS_MAY.search(sf("這個系統有什麼功能？"))
    assert not shapes._ASKS_MAY.search(sf("他能力很好嗎"))


def test_a_rule_that_leaves_something_out_answers_a_may_question_no() -> None:
    """不包括 / 不含 / 不計入: what a rule leaves out of what counts may not be counted in
    (probe 11: 「政府補助款可以算進研發支出嗎」 was answered 是 from 「…不包括政府補助款…」)."""
    terms = [(("政府",), 1.0), (("补助款",), 1.0)]
    rule = "中小企業適用投資抵減之研究發展之支出，不包括政府補助款及其研究發展單位產生之收入在內。"
    verdict = shapes.yes_no(sf("政府補助款可以算進研發支出嗎"), terms, (), rule)
    assert verdict is not None and verdict.lead == "否，不可以。"
    # The same words without the exclusion are held: 是.
    held = shapes.yes_no(sf("政府補助款可以算進研發支出嗎"), terms, (), "研究發展之支出，包括政府補助款。")
    assert held is not None and held.lead == "是，可以。"


def test_what_a_rule_forbids_or_exempts_from_may_be_the_questions_verb() -> None:
    """The verb the rule forbids (重複享有) or exempts from (進行評價) decides a may or must question
    even when the nouns the question asserts stand in another clause of the rule."""
    rule = "已依其他法規享有租稅優惠者，不得就同一事項重複享有本辦法所定之獎勵。"
    verdict = shapes.yes_no(sf("研發投抵跟其他租稅優惠可以重複享有嗎"), [(("租税",), 1.0)], (), rule)
    assert verdict is not None and verdict.lead == "否，不可以。"
    exempt = "符合下列情事之一者，前項流通或運用無須進行評價：一、基於公益、教育、學術之目的。"
    must = shapes.yes_no(sf("為了學術目的授權研發成果也要評價嗎？"), [(("学术",), 1.0)], (), exempt)
    assert must is not None and must.lead == "否，不用。"
    # A forbidding clause about something else the question does not name still says nothing.
    other = shapes.yes_no(
        sf("有限合夥可以適用嗎"), [(("有限合伙",), 1.0)], (), "有限合夥事業得適用；一經擇定不得變更。"
    )
    assert other is not None and other.lead == "是，可以。"


def test_a_verb_before_a_term_does_not_narrow_it() -> None:
    """「醫院可以算學術機構嗎」: 算 asks whether a hospital counts as one; it is no modifier of
    學術 (算學術 is held nowhere), while 大 in 大企業 still narrows 企業."""
    rule = "本辦法所稱學術機構，指公私立大學校院及經衛生福利部公告醫院評鑑合格之醫療機構。"
    terms = [(("医院",), 1.0), (("学术",), 1.0), (("机构",), 0.5)]
    verdict = shapes.yes_no(sf("醫院可以算學術機構嗎"), terms, (), rule)
    assert verdict is not None and verdict.lead == "是，可以。"
    assert shapes._with_modifier("企业", sf("那個計畫是針對大企業的嗎")) == "大企业"


def test_the_verdict_echoes_the_verb_the_question_asks_with() -> None:
    """能…嗎 is answered 能 / 不能, 會不會 會 / 不會, 需要…嗎 需要 / 不需要, 算不算 算 / 不算: a Chinese
    reply repeats the asking verb after 是 / 否; the first the question writes is the one it asks."""
    held = "申請人得申請補助，補助款將撥付申請人。"
    cases = {
        "我還能申請補助嗎？": ("是，能。", "否，不能。"),
        "補助款會不會撥付？": ("是，會。", "否，不會。"),
        "申請人需要申請補助嗎？": ("是，需要。", "否，不需要。"),
        "補助款算不算申請人的？": ("是，算。", "否，不算。"),
        "申請人可以算是補助對象嗎？": ("是，可以。", "否，不可以。"),
    }
    for question, (yes, no) in cases.items():
        terms = [(("申请人",), 1.0)]
        verdict = shapes.yes_no(sf(question), terms, (), held)
        assert verdict is not None and verdict.lead == yes, question
        verdict = shapes.yes_no(sf(question), [(("园区",), 1.0)], (), held)
        assert verdict is not None and verdict.lead == no, question


def test_an_asking_verb_before_the_focus_is_still_echoed() -> None:
    """The query analysis strips 可以 as an opener (「公司在台南，可以另外申請高雄的補助嗎」 keeps
    「另外申請高雄的補助嗎」): the verdict reads the clause of the message that holds the focus."""
    message = sf("公司在台南，可以另外申請高雄的補助嗎？")
    focus = sf("另外申請高雄的補助嗎？")
    assert shapes.asking_clause(focus, message) == sf("可以另外申請高雄的補助嗎？")
    assert shapes.asking_clause(focus, sf("別的問題")) == focus
    verdict = shapes.yes_no(
        focus,
        [(("高雄",), 1.0)],
        (),
        "只能申請登記所在地的補助。",
        asking=shapes.asking_clause(focus, message),
    )
    assert verdict is not None and verdict.lead == "否，不可以。"
    assert shapes.yes_no(focus, [(("高雄",), 1.0)], (), "只能申請登記所在地的補助。").lead == "否，不是。"  # type: ignore[union-attr]


def test_have_or_not_followed_by_a_question_word_asks_what_there_is_not_yes_or_no() -> None:
    assert shapes.YES_NO.search(sf("申請SBIR有沒有門檻？"))
    for question in ("有沒有什麼門檻？", "有沒有哪些限制？", "有無多少上限？"):
        assert not shapes.YES_NO.search(sf(question)), question
