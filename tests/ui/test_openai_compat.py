"""The OpenAI request fields, with the official ``openai`` client against a live server.

Follows the OpenAI chat-completions reference: ``n`` (only 1: others get a 400 that says so),
``usage`` (characters; in the reply, and in a last, choice-less chunk with
``stream_options.include_usage``), ``max_tokens``/``max_completion_tokens`` (cut at whole
sentences, ``finish_reason: "length"``), ``stop``, ``user`` (accepted) and
``response_format`` (``text`` only).
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from conftest import LiveServer

from ui.api import USAGE_UNIT, limit_answer

QUESTION = "兩個計畫分別在做什麼？"  # the fake answers with two sentences, each citing a source
ANSWER = "南臺灣創新園區位於臺南市[1]。2022年共培育52組科專新創團隊[2]。"
FIRST = "南臺灣創新園區位於臺南市[1]。"


@pytest.fixture()
def client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=30)


def _ask(client: openai.OpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model="kezhuan", messages=[{"role": "user", "content": QUESTION}], **kwargs
    )


def test_n_other_than_one_is_refused_clearly(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(client, n=2)
    assert caught.value.status_code == 400
    assert "only 1 is supported" in caught.value.message and "n: 1" in caught.value.message
    assert caught.value.code == "unsupported_n"
    assert len(_ask(client, n=1).choices) == 1


def test_usage_counts_characters_of_request_and_answer(client: openai.OpenAI) -> None:
    assert USAGE_UNIT == "characters"
    completion = client.chat.completions.create(
        model="kezhuan",
        messages=[{"role": "system", "content": "你是客服。"}, {"role": "user", "content": QUESTION}],
    )
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == len("你是客服。") + len(QUESTION)
    assert usage.completion_tokens == len(completion.choices[0].message.content or "") == len(ANSWER)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_stream_sends_usage_last_only_when_asked(client: openai.OpenAI) -> None:
    chunks = list(_ask(client, stream=True, stream_options={"include_usage": True}))
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == len(ANSWER) and last.usage.prompt_tokens == len(QUESTION)
    assert all(c.usage is None for c in body)
    assert "".join(c.choices[0].delta.content or "" for c in body) == ANSWER
    plain = list(_ask(client, stream=True))
    assert all(c.usage is None for c in plain) and plain[-1].choices[0].finish_reason == "stop"


def test_stream_options_without_stream_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="only allowed with stream: true"):
        _ask(client, stream_options={"include_usage": True})


def test_max_tokens_cuts_at_a_whole_sentence(client: openai.OpenAI) -> None:
    for field in ("max_tokens", "max_completion_tokens"):
        completion = _ask(client, **{field: len(FIRST) + 3})
        choice = completion.choices[0]
        assert choice.message.content == FIRST and choice.finish_reason == "length"
        references = completion.model_extra["references"]  # type: ignore[index]
        assert [r["n"] for r in references] == [1]  # only the source still cited
        assert completion.usage is not None and completion.usage.completion_tokens == len(FIRST)
    streamed = list(_ask(client, stream=True, max_tokens=len(FIRST) + 3))
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == FIRST
    assert streamed[-1].choices[0].finish_reason == "length"
    with pytest.raises(openai.UnprocessableEntityError, match="max_tokens"):
        _ask(client, max_tokens=0)


def test_stop_ends_the_answer_before_the_sequence(client: openai.OpenAI) -> None:
    completion = _ask(client, stop=["2022年"])
    assert completion.choices[0].message.content == FIRST
    assert completion.choices[0].finish_reason == "stop"
    assert _ask(client, stop="臺南市").choices[0].message.content == "南臺灣創新園區位於"
    with pytest.raises(openai.BadRequestError, match="at most 4"):
        _ask(client, stop=["a", "b", "c", "d", "e"])


def test_user_is_accepted(client: openai.OpenAI) -> None:
    assert _ask(client, user="helpdesk-42").choices[0].message.content == ANSWER


def test_response_format_text_only(client: openai.OpenAI) -> None:
    assert _ask(client, response_format={"type": "text"}).choices[0].message.content == ANSWER
    with pytest.raises(openai.BadRequestError) as caught:
        _ask(client, response_format={"type": "json_object"})
    assert "only" in caught.value.message and "json_object" in caught.value.message
    with pytest.raises(openai.BadRequestError, match="json_schema"):
        _ask(
            client,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "a", "schema": {"type": "object"}},
            },
        )


def test_limit_answer_never_returns_a_fragment_or_uncited_words() -> None:
    assert limit_answer(ANSWER, 5, None) == ("", "length")  # not even one cited sentence fits
    assert limit_answer(ANSWER, len(FIRST) + 3, None) == (FIRST, "length")
    labelled = "國際合作：\n" + ANSWER  # a section label before the cited sentences
    assert limit_answer(labelled, 8, None) == ("", "length")
    assert limit_answer(labelled, 8 + len(FIRST), None) == ("國際合作：\n" + FIRST, "length")
    refusal = "文件中沒有這項資訊。我能回答科技專案的問題。"
    assert limit_answer(refusal, 12, None) == ("文件中沒有這項資訊。", "length")
    assert limit_answer(ANSWER, None, None) == (ANSWER, "stop")
    assert limit_answer(ANSWER, 1000, ["不在答案裡"]) == (ANSWER, "stop")
