"""Generative backends (assistant/generate.py): prompt, failures as GenerationError, a real HTTP endpoint."""

from __future__ import annotations

import sys
import time
import types
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from llm_server import refused_port

from assistant.answer import REFUSAL_HANT
from assistant.enforce import EnforcedAnswer, enforce_citations
from assistant.generate import (
    PROMPT_REFUSAL_HANT,
    GenerationError,
    GenerativeAnswerer,
    answerer_from_settings,
    build_messages,
    condense_question,
    drop_unfinished,
    finish_reason,
    generate,
    generate_reply,
    load_prompts,
    make_chat_model,
    stream_text,
)
from assistant.reply import Passage
from core.errors import KezhuanError

SOURCE = "moea-doit-tech-programs-overview.txt"
TITLE = "經濟部科技研究發展專案（科技專案）推動概況"


@pytest.fixture(scope="module")
def passages(cleaned: str) -> list[Passage]:
    spans = [
        ("在「業界科技專案」方面", "增進企業科技創新應用能力。", "推動科技專案 引領創新能量"),
        ("材化領域以循環經濟為導向", "打造綠色永續環境。", "布局關鍵領域 創造產業價值"),
    ]
    out = []
    for i, (first, last, section) in enumerate(spans, start=1):
        start = cleaned.index(first)
        end = cleaned.index(last, start) + len(last)
        out.append(Passage(f"p{i}", SOURCE, section, cleaned[start:end], start, end, title=TITLE))
    return out


# -- the prompt ------------------------------------------------------------------------------


def test_prompt_file_has_every_section():
    assert set(load_prompts()) >= {"system", "user", "condense"}


def test_messages_number_the_passages_and_carry_the_rules(passages):
    history = [
        {"role": "user", "content": "科專是什麼？"},
        {"role": "assistant", "content": "科技專案自1979年起啟動[1]。"},
    ]
    messages = build_messages("業界開發產業技術計畫是哪一年開始的？{x}", passages, history)
    assert isinstance(messages[0], SystemMessage)
    assert [type(m) for m in messages[1:]] == [HumanMessage, AIMessage, HumanMessage]
    system, last = messages[0].content, messages[-1].content
    assert PROMPT_REFUSAL_HANT in system and "繁體中文" in system and "[1]" in system
    assert "{" not in system
    assert f"[1] 《{TITLE}》推動科技專案 引領創新能量\n{passages[0].text}" in last
    assert f"[2] 《{TITLE}》" in last and "[3]" not in last
    assert last.endswith("問題：業界開發產業技術計畫是哪一年開始的？{x}")  # braces are safe
    assert messages[2].content == "科技專案自1979年起啟動。"  # old markers dropped


def test_a_simplified_question_gets_a_simplified_prompt(passages):
    system = build_messages("业界开发产业技术计划是哪一年开始的？", passages)[0].content
    assert "简体中文" in system
    assert "抱歉，目前的文件中找不到足以回答这个问题的资讯" in system


# -- generation and its failures ---------------------------------------------------------------


def test_generate_returns_the_reply_text():
    llm = FakeListChatModel(
        responses=["<think>先想想</think>  技術司自1997年起啟動業界開發產業技術計畫[1]。 "]
    )
    assert generate(llm, [HumanMessage("問")], timeout=5) == "技術司自1997年起啟動業界開發產業技術計畫[1]。"


def test_generate_reads_text_blocks():
    llm = GenericFakeChatModel(messages=iter([AIMessage(content=[{"type": "text", "text": "甲乙[1]。"}])]))
    assert generate(llm, [HumanMessage("問")], timeout=5) == "甲乙[1]。"


def test_an_empty_reply_is_a_generation_error():
    with pytest.raises(GenerationError, match="empty reply"):
        generate(FakeListChatModel(responses=["   "]), [HumanMessage("問")], timeout=5)


class _Broken(BaseChatModel):
    """A chat model that fails or stalls, as real backends do."""

    error: Any = None
    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any):
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return ChatResult(generations=[ChatGeneration(message=AIMessage("遲到的回答[1]。"))])


def test_a_backend_exception_is_a_generation_error():
    with pytest.raises(GenerationError, match="RuntimeError: model exploded") as info:
        generate(_Broken(error=RuntimeError("model exploded")), [HumanMessage("問")], timeout=5)
    assert isinstance(info.value, KezhuanError)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_stalled_backend_cannot_hang_the_caller():
    t0 = time.monotonic()
    with pytest.raises(GenerationError, match="did not answer within 0.5 s"):
        generate(_Broken(delay=5.0), [HumanMessage("問")], timeout=0.5)
    assert time.monotonic() - t0 < 2.5


def test_an_unreachable_server_fails_fast_with_a_clear_message():
    with refused_port() as port:
        llm = make_chat_model("openai", base_url=f"http://127.0.0.1:{port}/v1", model="qwen", timeout=2)
        t0 = time.monotonic()
        with pytest.raises(GenerationError, match="Cannot reach the language model server") as info:
            generate(llm, [HumanMessage("問")], timeout=2)
        assert time.monotonic() - t0 < 5
    assert f"127.0.0.1:{port}" in str(info.value) and "KEZHUAN_LLM_BASE_URL" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "gpt"}, "kind must be one of openai, llamacpp"),
        ({"kind": "openai"}, "KEZHUAN_LLM_BASE_URL"),
        ({"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}, "KEZHUAN_LLM_MODEL"),
        ({"kind": "llamacpp", "gguf_path": "/nonexistent/model.gguf"}, "KEZHUAN_LLM_GGUF"),
        (
            {"kind": "openai", "base_url": "http://x", "model": "m", "timeout": 0},
            "timeout must be greater than 0",
        ),
    ],
)
def test_bad_backend_settings_say_what_to_set(kwargs, message):
    with pytest.raises(GenerationError, match=message):
        make_chat_model(**kwargs)


def test_a_missing_llama_cpp_package_gives_the_install_hint(tmp_path, monkeypatch):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails as if not installed
    with pytest.raises(GenerationError, match=r"pip install \.\[llamacpp\]"):
        make_chat_model("llamacpp", gguf_path=gguf)


class _FakeLlama:
    """Stands in for ``llama_cpp.Llama``: records the chat and answers from a script."""

    loads = 0
    finish = "stop"

    def __init__(self, model_path: str, **kwargs: Any) -> None:
        type(self).loads += 1
        self.model_path = model_path

    def create_chat_completion(self, messages: list[dict[str, str]], **kwargs: Any) -> Any:
        assert [m["role"] for m in messages] == ["system", "user"] and kwargs["stream"] is True
        return iter(
            [{"choices": [{"delta": {"role": "assistant"}}]}]
            + [{"choices": [{"delta": {"content": c}}]} for c in ("回", "答", "[1]", "。")]
            + [{"choices": [{"delta": {}, "finish_reason": type(self).finish}]}]
        )


@pytest.fixture()
def fake_llamacpp(tmp_path, monkeypatch) -> BaseChatModel:
    """The llamacpp backend over a stand-in ``llama_cpp`` module and a dummy GGUF file."""
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    fake = types.ModuleType("llama_cpp")
    fake.Llama = _FakeLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    monkeypatch.setattr(_FakeLlama, "loads", 0)
    monkeypatch.setattr(_FakeLlama, "finish", "stop")
    return make_chat_model("llamacpp", gguf_path=gguf, timeout=5)


def test_llamacpp_backend_runs_the_gguf_through_llama_cpp(fake_llamacpp, passages):
    llm = fake_llamacpp
    messages = build_messages("業界開發產業技術計畫是哪一年開始的？", passages)
    assert generate(llm, messages, timeout=5) == "回答[1]。"
    assert generate(llm, messages, timeout=5) == "回答[1]。"
    assert _FakeLlama.loads == 1  # loaded once, on first use


# -- condensing follow-ups -----------------------------------------------------------------------


def test_condense_without_history_makes_no_call():
    assert condense_question(_Broken(error=RuntimeError("no")), "科專是什麼？", []) == "科專是什麼？"


def test_condense_rewrites_a_follow_up():
    llm = FakeListChatModel(responses=["改寫後的問題：「生醫領域的研發重點是什麼？」\n（補上了主題）"])
    history = [
        {"role": "user", "content": "材化領域的研發重點是什麼？"},
        {"role": "assistant", "content": "…[1]。"},
    ]
    assert condense_question(llm, "那生醫呢？", history, timeout=5) == "生醫領域的研發重點是什麼？"


def test_a_rewrite_not_drawn_from_the_conversation_is_refused():
    # A small model may echo the prompt's example (生醫) instead of rewriting the question.
    history = [
        {"role": "user", "content": "科研成果價值創造計畫有哪些型態？"},
        {"role": "assistant", "content": "分為「促新創」與「育新創」兩種型態計畫[1]。"},
    ]
    echo = FakeListChatModel(responses=["生醫領域的研發重點是什麼？"])
    with pytest.raises(GenerationError, match="not drawn from the conversation"):
        condense_question(echo, "這兩種差在哪？", history, timeout=5)
    rewrite = FakeListChatModel(responses=["「促新創」與「育新創」兩種型態計畫差在哪？"])
    assert (
        condense_question(rewrite, "這兩種差在哪？", history, timeout=5)
        == "「促新創」與「育新創」兩種型態計畫差在哪？"
    )


def test_condense_failure_is_a_generation_error():
    with pytest.raises(GenerationError):
        condense_question(
            FakeListChatModel(responses=[""]), "那生醫呢？", [{"role": "user", "content": "材化？"}]
        )


# -- a real OpenAI-compatible server on 127.0.0.1 -------------------------------------------------


def test_end_to_end_through_an_openai_compatible_server(server, passages, cleaned):
    server.reply = (
        "技術司自1997年起啟動「業界开发产业技术計畫」，增進企業科技創新應用能力[2]。"
        "材化領域以循環經濟為導向[2]。該計畫每年補助一億元[1]。"
    )
    llm = make_chat_model("openai", base_url=server.base_url, model="qwen2.5", api_key="sk-test", timeout=5)
    answerer = GenerativeAnswerer(llm, timeout=5)
    result = answerer.answer("業界開發產業技術計畫是哪一年開始的？", passages)

    sent = server.requests[0]
    assert sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "qwen2.5" and sent["body"]["temperature"] == 0.0
    # The limit every OpenAI-compatible server reads (llama.cpp's ignores max_completion_tokens).
    assert sent["body"]["max_tokens"] == 512 and "max_completion_tokens" not in sent["body"]
    roles = [m["role"] for m in sent["body"]["messages"]]
    assert roles == ["system", "user"]
    assert passages[0].text in sent["body"]["messages"][1]["content"]

    assert not result.refused
    assert result.answer == (
        "技術司自1997年起啟動「業界開發產業技術計畫」，增進企業科技創新應用能力[1]。材化領域以循環經濟為導向[2]。"
    )
    assert [c.passage_id for c in result.citations] == ["p1", "p2"]
    for citation in result.citations:
        assert cleaned[citation.start : citation.end] == citation.quote
    assert result.dropped == ["該計畫每年補助一億元[1]。"]
    assert result.notes["fixed"] == 1 and result.notes["kept"] == 1


def test_a_server_refusal_ends_refused(server, passages):
    server.reply = PROMPT_REFUSAL_HANT
    llm = make_chat_model("openai", base_url=server.base_url, model="m", timeout=5)
    draft = generate(llm, build_messages("科專的預算是多少？", passages), timeout=5)
    result = enforce_citations(draft, passages, refusal_text=REFUSAL_HANT)
    assert result.refused and result.answer == REFUSAL_HANT and result.citations == []


@pytest.mark.parametrize(("status", "message"), [(500, "HTTP 500"), (401, "KEZHUAN_LLM_API_KEY")])
def test_http_errors_are_generation_errors(server, status, message):
    server.status = status
    llm = make_chat_model("openai", base_url=server.base_url, model="m", timeout=5)
    with pytest.raises(GenerationError, match=message):
        generate(llm, [HumanMessage("問")], timeout=5)
    assert len(server.requests) == 1  # no retries


def test_an_empty_server_reply_is_a_generation_error(server):
    llm = make_chat_model("openai", base_url=server.base_url, model="m", timeout=5)
    with pytest.raises(GenerationError, match="empty reply"):
        generate(llm, [HumanMessage("問")], timeout=5)


def test_a_slow_server_times_out(server):
    server.delay = 3.0
    llm = make_chat_model("openai", base_url=server.base_url, model="m", timeout=1)
    t0 = time.monotonic()
    with pytest.raises(GenerationError, match="did not answer within 1 s"):
        generate(llm, [HumanMessage("問")], timeout=1)
    assert time.monotonic() - t0 < 2.5


# -- streaming -------------------------------------------------------------------------------------


def test_stream_text_yields_pieces_and_hides_reasoning():
    llm = FakeListChatModel(responses=["<think>想一想</think>技術司自1997年起[1]。"])
    pieces = list(stream_text(llm, [HumanMessage("問")], timeout=5))
    assert len(pieces) > 1
    assert "".join(pieces) == "技術司自1997年起[1]。"


def test_a_failing_stream_is_a_generation_error():
    with pytest.raises(GenerationError, match="RuntimeError: model exploded"):
        list(stream_text(_Broken(error=RuntimeError("model exploded")), [HumanMessage("問")], timeout=5))
    with pytest.raises(GenerationError, match="empty reply"):
        list(stream_text(FakeListChatModel(responses=[" "]), [HumanMessage("問")], timeout=5))


def test_a_stalled_stream_cannot_hang_the_caller():
    t0 = time.monotonic()
    with pytest.raises(GenerationError, match="did not answer within 0.5 s"):
        list(stream_text(_Broken(delay=5.0), [HumanMessage("問")], timeout=0.5))
    assert time.monotonic() - t0 < 2.5


def test_the_answerer_streams_the_draft_then_the_enforced_answer(passages):
    draft = "技術司自1997年起啟動业界开发产业技术计划[1]。該計畫每年補助一億元[1]。"
    answerer = GenerativeAnswerer(FakeListChatModel(responses=[draft]), timeout=5)
    events = list(answerer.stream("業界開發產業技術計畫是哪一年開始的？", passages))
    *pieces, final = events
    assert all(isinstance(p, str) for p in pieces) and isinstance(final, EnforcedAnswer)
    assert "".join(pieces) == "技術司自1997年起啟動業界開發產業技術計劃[1]。該計畫每年補助一億元[1]。"
    assert final.answer == "技術司自1997年起啟動業界開發產業技術計畫[1]。"
    assert final.dropped == ["該計畫每年補助一億元[1]。"]


def test_streaming_through_an_openai_compatible_server(server, passages):
    server.reply = "技術司自1997年起啟動業界開發產業技術計畫[1]。"
    llm = make_chat_model("openai", base_url=server.base_url, model="m", timeout=5)
    pieces = list(
        stream_text(llm, build_messages("業界開發產業技術計畫是哪一年開始的？", passages), timeout=5)
    )
    assert len(pieces) > 1 and "".join(pieces) == server.reply
    assert server.requests[0]["body"]["stream"] is True


def test_llamacpp_backend_streams(fake_llamacpp):
    assert list(stream_text(fake_llamacpp, [SystemMessage("規則"), HumanMessage("問")], timeout=5)) == [
        "回",
        "答",
        "[1]",
        "。",
    ]


def test_answerer_from_settings_builds_the_configured_backend(server):
    from core.settings import Settings

    settings = Settings.from_env(
        environ={}, generator="openai", llm_base_url=server.base_url, llm_model="qwen", llm_timeout=7
    )
    answerer = answerer_from_settings(settings)
    assert answerer.timeout == 7 and answerer.llm.model_name == "qwen"
    with pytest.raises(GenerationError, match="writes no generated answers"):
        answerer_from_settings(Settings.from_env(environ={}))


# -- replies cut short ---------------------------------------------------------------------------

#: A reply cut off mid-sentence (at the token limit or the timeout).
CUT = "技術司自1997年起啟動業界開發產業技術計畫[1]。材化領域以循環經濟為導向，藉由開發綠色新"


@pytest.mark.parametrize(
    ("text", "kept", "tail"),
    [
        (CUT, "技術司自1997年起啟動業界開發產業技術計畫[1]。", "材化領域以循環經濟為導向，藉由開發綠色新"),
        ("甲乙丙。[1][2] ", "甲乙丙。[1][2]", ""),
        ("他說「好。」", "他說「好。」", ""),
        ("第一行\n第二行寫到一半", "第一行", "第二行寫到一半"),
        ("只寫了半句", "", "只寫了半句"),
    ],
)
def test_drop_unfinished_cuts_at_the_last_sentence_end(text, kept, tail):
    assert drop_unfinished(text) == (kept, tail)


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_cut_off_at_the_token_limit_loses_its_unfinished_sentence(server, passages, stream):
    server.reply, server.finish = CUT, "length"
    answerer = GenerativeAnswerer(make_chat_model("openai", base_url=server.base_url, model="m", timeout=5))
    question = "業界開發產業技術計畫是哪一年開始的？"
    result = list(answerer.stream(question, passages))[-1] if stream else answerer.answer(question, passages)
    assert isinstance(result, EnforcedAnswer) and not result.refused
    assert result.answer == "技術司自1997年起啟動業界開發產業技術計畫[1]。"
    assert result.notes["finish_reason"] == "length" and result.notes["draft"] == CUT
    assert result.notes["cut_off"] == "材化領域以循環經濟為導向，藉由開發綠色新"
    assert result.dropped == ["材化領域以循環經濟為導向，藉由開發綠色新"]
    # A reply that ended by itself keeps a last sentence without its 。 (short answers: 「2014年」).
    server.finish = "stop"
    whole = answerer.answer(question, passages)
    assert whole.notes["finish_reason"] == "stop" and "cut_off" not in whole.notes
    assert whole.answer.startswith("技術司自1997年") and "材化領域以循環經濟為導向" in whole.answer


def test_a_reply_that_is_all_unfinished_leaves_nothing_to_check(server, passages):
    server.reply, server.finish = "材化領域以循環經濟為導向，藉由開發綠色新", "length"
    answerer = GenerativeAnswerer(make_chat_model("openai", base_url=server.base_url, model="m", timeout=5))
    result = answerer.answer("材化領域以什麼為導向？", passages)
    assert result.refused and not result.model_refused  # the caller keeps the extractive answer


def test_llamacpp_backend_reports_why_it_stopped(fake_llamacpp, monkeypatch):
    messages = [SystemMessage("規則"), HumanMessage("問")]
    assert generate_reply(fake_llamacpp, messages, timeout=5) == ("回答[1]。", "stop")
    monkeypatch.setattr(_FakeLlama, "finish", "length")
    assert generate_reply(fake_llamacpp, messages, timeout=5) == ("回答[1]。", "length")
    ended: dict[str, str] = {}
    assert "".join(stream_text(fake_llamacpp, messages, timeout=5, ended=ended)) == "回答[1]。"
    assert ended == {"finish_reason": "length"}
    monkeypatch.setattr(fake_llamacpp, "timeout", 0.0)  # past the deadline before the first token
    cut = fake_llamacpp.invoke(messages)
    assert cut.content == "" and finish_reason(cut) == "timeout"
