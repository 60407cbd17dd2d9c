"""The question's terms and which of them are foreign to the documents (assistant/terms.py).

Over a small written document (tests/data/youth-loan-rules.txt) with hash embeddings: nothing
here depends on meaning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.chat import Assistant
from assistant.evidence import QueryTerms
from core.settings import Settings
from core.text import to_search_form
from ingest.index import run_ingest

DATA = Path(__file__).parent / "data"
LOAN = "youth-loan-rules.txt"


def _assistant(root: Path, names: tuple[str, ...], written: dict[str, str] | None = None) -> Assistant:
    """The documents ``names`` of tests/data, and ``written`` (file name: text), ingested with fake vectors."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name in names:
        shutil.copy(DATA / name, corpus / name)
    for name, text in (written or {}).items():
        (corpus / name).write_text(text, encoding="utf-8")
    # Words of the documents need one passage here (the document is a few short points).
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data").replace(
        typo_min_corpus_frequency=1
    )
    fake = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=fake, progress=False).failed
    return Assistant.load(settings, embeddings=fake)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return _assistant(tmp_path_factory.mktemp("terms-small"), (LOAN,))


def _terms(bot: Assistant, question: str) -> QueryTerms:
    return bot.query_terms(to_search_form(question), "")


def test_rare_topical_words_the_documents_lack_still_count_against_answering(small: Assistant) -> None:
    terms = _terms(small, "研究發展支出抵減的預算由哪位司長核定？")
    assert {"预算", "司长"} <= set(terms.foreign)
    assert terms.foreign_share > small.settings.foreign_limit


def test_a_word_for_the_document_or_its_parts_is_where_to_look_not_a_topic(small: Assistant) -> None:
    # 表格 and 筆記 are rare in general Chinese and no document here writes them, but they say
    # where the asker looks, not what is asked about.
    for question in ("青創貸表格裡的貸款額度是多少？", "這份筆記整理的是什麼？"):
        assert not _terms(small, question).foreign
    # A rare topical word the documents lack still counts.
    assert "司长" in _terms(small, "表格裡的預算由哪位司長核定？").foreign


def test_an_abbreviation_is_matched_as_the_phrase_it_shortens(small: Assistant) -> None:
    terms = _terms(small, "青創貸最多可以借多少？")
    assert not terms.foreign
    (loan,) = [t for t in terms.terms if t.forms[0] == "青创贷"]
    assert "青年创业贷款" in loan.forms and loan.known
    # It weighs as the phrase does in the documents, not as a word they never use (the largest).
    assert loan.weight == pytest.approx(small.retriever.bm25.idf_of("青年创业贷款"))
    assert loan.weight < small.retriever.bm25.idf_of("青创贷")
    assert small.retriever.spelled_out("青创贷") == ["青年创业贷款"]
    assert small.retriever.spelled_out("贷期") == ["贷款期限"]
    # Characters that merely stand apart, not each the start of a word, shorten nothing: 得按支出
    # holds 得 and 支 so, but 得按 is no word.
    assert small.retriever.spelled_out("得支") == []


def test_a_word_the_segmenter_cut_across_a_word_of_the_documents_is_not_foreign(small: Assistant) -> None:
    # 抵減率 is cut 抵/減率, 辦青創貸 辦青/創貸, 青創貸裡 青創/貸裡: each guessed word is one
    # character plus part of a word of the documents (抵減) or of an abbreviation (青創貸).
    assert not _terms(small, "研究發展支出的抵減率是多少？").foreign
    assert not _terms(small, "辦青創貸要檢具什麼文件？").foreign
    assert not _terms(small, "青創貸裡說的代表人指誰？").foreign


def test_an_aspect_marker_the_segmenter_took_from_its_verb_is_no_topic(tmp_path: Path) -> None:
    # 輔導過木竹製品業 is cut 輔導/過木/竹製品/業: 過 closes 輔導, and 木竹 begins what the
    # documents write (once: a table row), so 過木 is no topic they lack.
    bot = _assistant(
        tmp_path, (), {"firms.txt": "一、輔導廠商：大乘室內裝修工程行，產業別為木竹製品製造業。\n"}
    )
    # Written once: below the passages a word of the documents needs to mend other cuts.
    bot.settings = bot.settings.replace(typo_min_corpus_frequency=3)
    assert "过木" not in _terms(bot, "工業局有沒有輔導過木竹製品業的廠商？").foreign
    # Not an aspect marker: the same cut of a word is judged as any other.
    assert "过木" in _terms(bot, "工業局的過木竹製品業廠商？").foreign


def test_a_guessed_word_next_to_a_function_character_stays_foreign(small: Assistant) -> None:
    # 職訓 (no dictionary word) after 的: 的職 is no word of the documents, whatever they write.
    assert "职训" in _terms(small, "青年創業貸款的職訓補助有哪些？").foreign


def test_a_word_of_the_documents_needs_the_passages_the_setting_asks_for(small: Assistant) -> None:
    strict = small.settings.replace(typo_min_corpus_frequency=50)
    bot = Assistant(strict, small.store, small.embeddings, small.retriever, small.answerer)
    assert bot._documents_word("抵减") is False
    assert small._documents_word("抵减") is True


def test_the_noun_a_which_or_how_many_question_asks_for_is_an_attribute(small: Assistant) -> None:
    # 銀行 is an everyday word (not counted against a question that merely mentions it), but
    # 「承貸銀行有哪幾家」 asks for the banks: the documents, which never name one, cannot list them.
    terms = _terms(small, "青年創業貸款的承貸銀行有哪幾家？")
    assert "银行" in terms.foreign_heads
    assert "银行" in _terms(small, "承貸銀行有幾家？").foreign_heads
    assert not _terms(small, "青年創業貸款找哪家銀行辦都可以嗎？").foreign_heads


def test_a_word_put_in_place_of_one_the_documents_write_next_to_the_same_word_is_not_foreign(
    small: Assistant,
) -> None:
    # The rules write 利息補貼; 利息津貼 keeps the phrase and half of the word (貼), a paraphrase.
    assert not _terms(small, "青年創業貸款的利息津貼由誰提供？").foreign
    # 紅利 shares no character with the word the documents write there: a topic they lack.
    assert "红利" in _terms(small, "青年創業貸款的利息紅利由誰提供？").foreign
    # The neighbour must be as long as the setting asks: 貸款的利息 is not written in the rules.
    strict = small.settings.replace(variant_neighbour_chars=5)
    bot = Assistant(strict, small.store, small.embeddings, small.retriever, small.answerer)
    assert "津贴" in _terms(bot, "青年創業貸款的利息津貼由誰提供？").foreign


@pytest.fixture(scope="module")
def eligibility(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return _assistant(tmp_path_factory.mktemp("terms-eligibility"), ("sme-eligibility-rules.txt",))


def test_an_agency_named_by_its_shortened_field_is_not_foreign(eligibility: Assistant) -> None:
    # 環保局: 環保 shortens the documents' 環境保護, and 局 says it is the agency of that field.
    terms = _terms(eligibility, "被環保局處分過還能申請創新補助嗎？")
    assert "环保局" not in terms.foreign
    # 國稅局: an agency the documents name by the same field's character (稅捐稽徵機關).
    assert "国税局" not in _terms(eligibility, "審查意見多久會送到國稅局？").foreign
    # An agency of a field the documents never name stays foreign.
    assert "卫生局" in _terms(eligibility, "被衛生局處分過還能申請創新補助嗎？").foreign


def test_an_everyday_word_no_document_uses_is_a_stranger_not_foreign(small: Assistant) -> None:
    terms = _terms(small, "失業的人可以申請青年創業貸款嗎？")
    assert "失业" not in terms.foreign and "失业" in terms.strangers
    # A word the documents write is no stranger.
    assert "贷款" not in terms.strangers


#: A review rule as a programme's notes would write it (written for this test).
REVIEW_RULES = """# 補助審查說明

一、主管機關審查申請案，自收件之日起至審查完竣之日止，不得逾二個月。
二、審查完竣後，主管機關應以書面通知申請人。
三、審議會議每季召開一次，審核結果另行公告。
四、補助款於簽約後撥付第一期款。
"""


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return _assistant(tmp_path_factory.mktemp("terms-review"), (), {"review.md": REVIEW_RULES})


def test_an_act_the_documents_spell_out_is_not_met_by_their_other_verbs(review: Assistant) -> None:
    # 審完 is the documents' 審查完竣: their 審議 and 審核 are other acts of 審, not it.
    (done,) = [t for t in _terms(review, "申請後多久會審完？").terms if t.forms[0] == "审完"]
    assert "审查完竣" in done.forms
    assert not {"审议", "审核"} & set(done.forms)
    # An act they never spell out is still met by their verbs of it (撥下來 → 撥付).
    (paid,) = [t for t in _terms(review, "補助款什麼時候撥下來？").terms if t.forms[0] == "拨下来"]
    assert "拨付" in paid.forms


def test_an_english_word_for_a_place_is_a_place_the_answer_must_name() -> None:
    from assistant.terms import TermJudge

    # Kaohsiung read as 高雄 (a city of jieba's dictionary, written without its 市): a place.
    assert TermJudge._english_place(("kaohsiung", "高雄"))
    # The country is where every programme is: no place the answer must name.
    assert not TermJudge._english_place(("taiwan", "台湾"))
    # An English word for a thing, an organisation, or with no Chinese word is none; a Chinese
    # word is judged as written (TermJudge._named).
    assert not TermJudge._english_place(("subsidy", "补助", "补贴"))
    assert not TermJudge._english_place(("ministry", "经济部"))
    assert not TermJudge._english_place(("kaohsiung",))
    assert not TermJudge._english_place(("高雄",))


#: A programme named in many long rows of a form, and once with the year it began: each row is a
#: passage of its own (longer than ``Settings.chunk_chars``).
_PROGRAMME = (
    "".join(
        f"{n}、甲乙創新計畫申請表第{n}欄：填寫甲乙創新計畫之{field}，"
        + "請依甲乙創新計畫格式逐項填列並檢附證明。" * 9
        + "\n\n"
        for n, field in enumerate(
            ["計畫名稱", "執行單位", "聯絡人", "經費", "摘要", "人力", "設備", "進度"], 1
        )
    )
    + "本部自2014年起推動甲乙創新計畫，協助企業研發。\n"
)


def test_a_roc_year_of_the_question_is_met_by_the_western_year(tmp_path: Path) -> None:
    bot = _assistant(tmp_path, (), {"programme.txt": _PROGRAMME})
    terms = _terms(bot, "民國103年推動了什麼計畫？")
    year = next(t for t in terms.terms if t.forms[0] == "103")
    assert "2014" in year.forms and year.known
    assert not any(t.forms[0] == "民国" for t in terms.terms)  # the calendar's name is no topic
    # and the other way: a western year of the question is met by a document's 民國 year
    assert "103年" in next(t for t in _terms(bot, "2014年推動了什麼？").terms if t.forms[0] == "2014").forms


def test_the_one_sentence_that_holds_the_year_asked_is_read_however_low_it_ranks(tmp_path: Path) -> None:
    bot = _assistant(tmp_path, (), {"programme.txt": _PROGRAMME})
    bot.settings = bot.settings.replace(top_k=2)  # the form's rows crowd out the start
    reply = bot.ask("甲乙創新計畫是哪一年開始推的？")
    assert not reply.refused and "2014" in reply.answer, reply.notes["trace"]
