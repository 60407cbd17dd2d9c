"""The assistant's conversation logic (assistant/chat.py) over the seed document, no model.

The index is built with fake hash embeddings, so nothing here tests meaning (that is
tests/test_assistant.py, marked slow): these tests cover follow-ups, references, scripts,
streaming, validation, refusal rules that need no model, and the language-model path with
scripted chat models (what is asked, fallbacks, notices).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

from assistant.answer import REFUSAL_HANT, ExtractiveAnswerer
from assistant.chat import FALLBACK_NOTICE_HANT, Assistant
from assistant.generate import PROMPT_REFUSAL_HANT, GenerativeAnswerer
from assistant.lists import list_items
from assistant.reply import Reply
from assistant.retrieve import Retriever
from core.errors import BadQuestionError
from core.settings import PROJECT_ROOT, Settings
from core.text import to_simplified
from ingest.index import IndexStore, run_ingest

#: Answered (not refused) by the extractive answerer even with fake embeddings: its words are
#: in the documents, and nothing in it is foreign to them.
ANSWERED = "業界開發產業技術計畫是哪一年啟動的？"
#: Refused without any model: 電話 is named by no document.
FOREIGN = "花蓮中心的聯絡電話是幾號？"
CENTERS = "苗栗縣設立「苗栗產業創新推動中心」[1]。於嘉義市推動「嘉義產業創新研發中心」[2]。"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("chat")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    embeddings = DeterministicFakeEmbedding(size=32)
    run_ingest(settings, embeddings=embeddings, progress=False)
    store = IndexStore(settings, embeddings)
    answerer = ExtractiveAnswerer(settings)
    return Assistant(settings, store, embeddings, Retriever(store, embeddings, settings), answerer)


def _history(answer: str, question: str = "請介紹一下") -> list[Any]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


class _Failing(BaseChatModel):
    """A chat model whose every call fails, and which counts its calls."""

    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.calls += 1
        raise ConnectionError("the model server went away")


#: Seconds the fake models get. None of them is slow (each answers or fails at once) and no test
#: here waits for the bound; it only has to outlast a busy machine: with 5 s, at load average 13
#: on 2 cores, the bound expired before the failing model was first called.
LLM_TIMEOUT = 60.0


def _with_llm(base: Assistant, llm: BaseChatModel) -> Assistant:
    settings = base.settings.replace(
        generator="openai",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="scripted",
        llm_timeout=LLM_TIMEOUT,
    )
    generative = GenerativeAnswerer(llm, timeout=LLM_TIMEOUT)
    return Assistant(settings, base.store, base.embeddings, base.retriever, base.answerer, generative)


# -- follow-ups ---------------------------------------------------------------------------------


def test_a_question_without_history_is_no_follow_up(bot: Assistant) -> None:
    assert not bot.is_follow_up("它的任務是什麼？", [])
    assert bot.is_follow_up("它的任務是什麼？", _history(CENTERS))
    assert bot.is_follow_up("那生醫呢？", _history("以循環經濟為導向[1]。", "材化領域的研發重點是什麼？"))


@pytest.mark.parametrize(
    ("answer", "question", "resolved"),
    [
        (
            "在推動「法人科技專案」上，鼓勵財團法人[1]。",
            "它跟業界科專差在哪？",
            "法人科技專案跟業界科專差在哪？",
        ),
        # the word that picked the center is part of its name: not repeated
        (CENTERS, "嘉義那個的重點是什麼？", "嘉義產業創新研發中心的重點是什麼？"),
        (CENTERS, "第二個的任務是什麼？", "嘉義產業創新研發中心的任務是什麼？"),
        (CENTERS, "它的任務是什麼？", "它的任務是什麼？"),  # two to choose from: left as asked
    ],
)
def test_a_pointer_is_replaced_by_the_thing_it_points_at(
    bot: Assistant, answer: str, question: str, resolved: str
) -> None:
    assert bot.resolve_reference(question, _history(answer)) == resolved


def test_and_what_about_x_swaps_the_topic_of_the_earlier_question(bot: Assistant) -> None:
    query, context = bot.search_query(
        "那生醫呢？", _history("以循環經濟為導向[1]。", "材化領域的研發重點是什麼？")
    )
    assert query.startswith("生医领域的研发重点") and context == ""


def test_a_follow_up_searches_with_the_earlier_question(bot: Assistant) -> None:
    history = _history(CENTERS, "南部有哪些中心？")
    query, context = bot.search_query("其中哪個在做食品？", history)
    assert context and "南部有哪些中心" in query and "其中哪個在做食品" in query


# -- replies ------------------------------------------------------------------------------------


def test_an_answer_cites_exact_quotes_with_markers(bot: Assistant) -> None:
    reply = bot.ask(ANSWERED)
    assert not reply.refused and reply.citations and reply.script == "hant"
    for c in reply.citations:
        assert f"[{c.n}]" in reply.answer
        assert c.quote in c.text
    assert reply.notes["generator"] == "extractive" and reply.notice == ""
    assert reply.latency_ms > 0 and reply.retrieved


def test_a_simplified_question_gets_a_simplified_answer(bot: Assistant) -> None:
    reply = bot.ask(to_simplified(ANSWERED))
    assert reply.script == "hans" and not reply.refused
    assert reply.answer == to_simplified(reply.answer)
    assert bot.ask(to_simplified(FOREIGN)).answer == to_simplified(REFUSAL_HANT)


def test_a_question_about_things_no_document_names_is_refused(bot: Assistant) -> None:
    reply = bot.ask(FOREIGN)
    assert reply.refused and reply.answer == REFUSAL_HANT and reply.citations == []
    assert "never mention" in reply.notes["reason"]


@pytest.mark.parametrize("question", ["", "   ", "科" * 5000])
def test_an_empty_or_too_long_question_is_a_clear_error(bot: Assistant, question: str) -> None:
    with pytest.raises(BadQuestionError):
        bot.ask(question)


def test_a_malformed_history_is_a_clear_error(bot: Assistant) -> None:
    with pytest.raises(BadQuestionError):
        bot.ask(ANSWERED, history=[{"role": "wizard", "content": "hi"}])


def test_the_stream_is_the_answer_in_pieces_then_the_reply(bot: Assistant) -> None:
    *pieces, last = list(bot.stream(ANSWERED))
    assert isinstance(last, Reply) and len(pieces) >= 1
    assert "".join(str(p) for p in pieces) == last.answer == bot.ask(ANSWERED).answer


def test_health_reports_the_index(bot: Assistant) -> None:
    health = bot.health()
    assert health["ok"] and health["passages"] == bot.retriever.size > 0
    assert health["documents"] == len(bot.store.committed()) >= 1
    assert health["generator"] == "extractive" and health["generator_ready"]


# -- with a language model ----------------------------------------------------------------------


def test_a_failing_model_falls_back_to_the_extractive_answer_with_a_notice(bot: Assistant) -> None:
    failing = _Failing()
    reply = _with_llm(bot, failing).ask(ANSWERED)
    assert failing.calls >= 1
    assert reply.answer == bot.ask(ANSWERED).answer and not reply.refused
    assert reply.notice == FALLBACK_NOTICE_HANT and reply.notes["generator"] == "extractive"
    assert "went away" in reply.notes["fallback"]
    *_, streamed = list(_with_llm(bot, _Failing()).stream(ANSWERED))
    assert isinstance(streamed, Reply) and streamed.notice == FALLBACK_NOTICE_HANT


def test_the_model_is_not_asked_what_the_documents_do_not_answer(bot: Assistant) -> None:
    failing = _Failing()
    reply = _with_llm(bot, failing).ask(FOREIGN)
    assert failing.calls == 0 and reply.refused and reply.notice == ""
    assert "refused" in reply.notes["llm_skipped"]


def test_a_model_that_refuses_is_believed(bot: Assistant) -> None:
    reply = _with_llm(bot, FakeListChatModel(responses=[PROMPT_REFUSAL_HANT])).ask(ANSWERED)
    assert reply.refused and reply.answer == REFUSAL_HANT and reply.citations == []


def test_an_unusable_model_setting_puts_the_notice_on_every_reply(bot: Assistant) -> None:
    broken = Assistant(
        bot.settings, bot.store, bot.embeddings, bot.retriever, bot.answerer, None, "no model server"
    )
    reply = broken.ask(ANSWERED)
    assert reply.notice == FALLBACK_NOTICE_HANT and reply.notes["fallback"] == "no model server"
    assert reply.answer == bot.ask(ANSWERED).answer


def test_retrieve_resolves_the_follow_up_before_searching(bot: Assistant) -> None:
    history = _history(CENTERS)
    direct = bot.retriever.search("嘉義產業創新研發中心的重點是什麼？")
    assert [p.id for p in bot.retrieve("嘉義那個的重點是什麼？", history)] == [p.id for p in direct]


@pytest.mark.parametrize("text", ["asdf qwer", "{{7*7}}", "../../etc/passwd", '" OR 1=1 --', "😀"])
def test_a_text_that_is_no_question_gets_the_short_reply_uncited(bot: Assistant, text: str) -> None:
    reply = bot.ask(text)
    assert reply.refused and not reply.citations
    assert reply.answer != REFUSAL_HANT  # the not-a-question reply, not the out-of-scope one
    assert reply.notes["trace"]["decision"]["refused"]


def test_every_reply_carries_a_trace_that_says_why(bot: Assistant) -> None:
    answered = bot.ask(ANSWERED).notes["trace"]
    assert answered["query"]["focus"] and answered["candidates"] and answered["signals"]
    assert answered["decision"]["refused"] is False
    refused = bot.ask(FOREIGN).notes["trace"]
    assert refused["decision"]["refused"] is True and "never mention" in refused["decision"]["why"]
    assert "电话" in refused["foreign_terms"]


def test_the_item_of_the_last_list_is_what_the_follow_up_asks_about(bot: Assistant) -> None:
    listed = "七大誘因是：成果運用免公告、境外實施免報部、股權上繳得減免、股票緩課且擇低。"
    assert bot._list_item("第二個是什麼意思？", _history(listed)) == "境外實施免報部"
    assert bot._list_item("其中跟股票有關的是哪一個？", _history(listed)) == "股票緩課且擇低"
    assert bot._list_item("其中哪一個最重要？", _history(listed)) == ""  # no item holds a word of it


@pytest.mark.parametrize(
    ("question", "continues", "why"),
    [
        ("後來改成什麼？什麼時候轉的", True, "leans on"),  # a connective that continues the story
        ("改成什麼了？什麼時候改的", True, "names no thing"),  # only verbs and adverbs
        ("那東部有哪些產業創新中心？", False, "names its own topic"),  # 那 opens a new topic
        ("那東部有哪些產業創新中心呢？", False, "names its own topic"),  # 呢 softens a question of its own
        ("東部的中心有哪些呢？", False, "names its own topic"),
        ("那生醫呢？", True, "leans on"),  # asks nothing of its own: swaps the topic
        ("那它的任務是什麼呢？", True, "leans on"),  # a pointer
        ("業界開發產業技術計畫是哪一年啟動的？", False, "names its own topic"),
        # 這些 after a noun of the question points at it (技術司這些計畫); after a verb, back.
        ("技術司這些計畫是哪一年開始推動的？", False, "names its own topic"),
        ("推動這些計畫的是哪個單位？", True, "leans on"),
    ],
)
def test_the_follow_up_verdict_says_why(bot: Assistant, question: str, continues: bool, why: str) -> None:
    verdict = bot.follow_up_verdict(question, _history("2001年起實施學界開發產業技術計畫[1]。"))
    assert verdict[0] is continues and why in verdict[1], verdict


def test_the_trace_says_what_the_conversation_lent_the_question(bot: Assistant) -> None:
    history = _history("依特性分為創新前瞻類、關鍵類及環境建構類三類[1]。", "科技專案分成哪幾類？")
    trace = bot.ask("第三類包含哪些事", history).notes["trace"]["follow_up"]
    assert trace["continues"] is True and trace["list_item"] == "環境建構類"
    assert trace["searched"].startswith("環境建構類")
    assert bot.ask(ANSWERED).notes["trace"]["follow_up"] == {}  # no conversation, nothing lent


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("依特性分為創新前瞻類、關鍵類及環境建構類三類。", ["創新前瞻類", "關鍵類", "環境建構類"]),
        (
            "以「健康產業」、「海洋生態」、「潔淨能源」及「教育觀光」為重點",
            ["健康產業", "海洋生態", "潔淨能源", "教育觀光"],
        ),
        (
            "七大誘因是：成果運用免公告、境外實施免報部、股票緩課且擇低。",
            ["成果運用免公告", "境外實施免報部", "股票緩課且擇低"],
        ),
        ("分為甲類及乙類。", []),  # two items are no list to pick from
        ("材料、製程及其應用", []),  # 及其 (and its) ends the list: two items
    ],
)
def test_list_items_split_the_last_item_at_its_conjunction(text: str, items: list[str]) -> None:
    assert list_items(text) == items


def test_a_topic_switch_drops_the_earlier_turns(bot: Assistant) -> None:
    history = _history("七大誘因是：成果運用免公告、境外實施免報部。", "新創專章的七大誘因是什麼？")
    reply = bot.ask("ok 換個問題，東部有哪些中心？", history)
    assert "誘因" not in reply.search_query


# -- a question of several asking clauses --------------------------------------------------------


def test_each_asking_clause_gets_its_own_cited_sentence(bot: Assistant) -> None:
    reply = bot.ask("A+企業創新研發淬鍊計畫是哪一年推動的？學界開發產業技術計畫又是哪一年實施的？")
    assert not reply.refused and "2014" in reply.answer and "2001" in reply.answer
    assert [c.n for c in reply.citations] == list(range(1, len(reply.citations) + 1))
    clauses = reply.notes["trace"]["clauses"]
    assert len(clauses) == 2 and any(c["decision"] == "added" for c in clauses)


def test_a_question_of_one_clause_adds_nothing(bot: Assistant) -> None:
    reply = bot.ask(ANSWERED)
    assert reply.notes["trace"]["clauses"] == []


def test_a_question_that_points_back_weighs_what_the_asker_said_of_themselves(bot: Assistant) -> None:
    # 「這樣」 asks about the asker's situation: their clause lends its words (花蓮), lighter than the focus.
    def lent(question: str) -> set[str]:
        terms = bot.ask(question).notes["trace"]["terms"]
        return {t["forms"][0] for t in terms if not t["asked"]}

    told = "我們公司在花蓮做觀光，"
    assert "花莲" in lent(told + "這樣可以找東部哪個中心輔導？")
    # A focus that names enough on its own leaves who is asking out of it.
    assert "花莲" not in lent(told + "可以找東部哪個中心輔導？")
