"""The one place questions and histories are checked: shape, and the limits that bound the work."""

from __future__ import annotations

import pytest

from assistant.validate import validate_history, validate_question, validate_request
from core.errors import BadQuestionError, SettingsError
from core.settings import Settings


def turns(n: int, chars: int = 4) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": "半" * chars} for i in range(n)]


def test_history_within_the_limits_is_kept_whole() -> None:
    history = turns(10, 100)
    assert validate_history(history, max_messages=10, max_chars=1000) == history


def test_too_many_history_messages_are_rejected_with_the_setting_to_change() -> None:
    with pytest.raises(BadQuestionError, match="11 messages; the limit is 10.*KEZHUAN_MAX_HISTORY_MESSAGES"):
        validate_history(turns(11), max_messages=10)


def test_too_many_history_characters_are_rejected_naming_where() -> None:
    history = turns(3, 400)
    assert validate_history(history, max_chars=1200) == history
    with pytest.raises(
        BadQuestionError, match=r"more than 1199 characters.*history\[2\].*KEZHUAN_MAX_HISTORY_CHARS"
    ):
        validate_history(history, max_chars=1199)


def test_the_issue_example_is_rejected_before_any_work() -> None:
    """A 100,000-character earlier turn (300 KB, under the 1 MB body limit) is over the default cap."""
    settings = Settings.from_env(environ={})
    history = [{"role": "user", "content": "半" * 100_000}, {"role": "assistant", "content": "半導體。"}]
    with pytest.raises(BadQuestionError, match="KEZHUAN_MAX_HISTORY_CHARS"):
        validate_request("那生醫呢？", history, settings)
    question, kept = validate_request(" 那生醫呢？ ", history[1:], settings)
    assert question == "那生醫呢？" and kept == history[1:]


def test_limits_come_from_the_environment_and_are_checked() -> None:
    env = {
        "KEZHUAN_MAX_HISTORY_MESSAGES": "20",
        "KEZHUAN_MAX_HISTORY_CHARS": "500",
        "KEZHUAN_QUERY_MAX_TOKENS": "64",
    }
    s = Settings.from_env(environ=env)
    assert (s.max_history_messages, s.max_history_chars, s.query_max_tokens) == (20, 500, 64)
    with pytest.raises(SettingsError, match="max_history_chars must be greater than 0"):
        Settings.from_env(environ={"KEZHUAN_MAX_HISTORY_CHARS": "0"})
    with pytest.raises(SettingsError, match="KEZHUAN_MAX_HISTORY_MESSAGES"):
        Settings.from_env(environ={"KEZHUAN_MAX_HISTORY_MESSAGES": "2", "KEZHUAN_MAX_HISTORY_TURNS": "6"})


def test_question_limit_still_applies() -> None:
    with pytest.raises(BadQuestionError, match="the limit is 10"):
        validate_question("問" * 11, max_chars=10)


def test_the_page_sends_only_the_recent_history_the_limits_accept() -> None:
    from ui.history import recent_history

    settings = Settings.from_env(environ={}, max_history_turns=4, max_history_chars=12)
    pairs = [(f"問{i}", f"答{i}") for i in range(50)]
    recent = recent_history(pairs, settings)
    assert [m["content"] for m in recent] == ["問48", "答48", "問49", "答49"]
    validate_request("那生醫呢？", recent, settings)  # accepted however long the conversation was
    tight = recent_history(pairs, settings.replace(max_history_chars=6))
    assert [m["content"] for m in tight] == ["問49", "答49"]


def test_an_ideographic_space_parts_words_instead_of_vanishing() -> None:
    assert (
        validate_question("ＳＩＩＲ\u3000Ｐｈａｓｅ\u3000１ 補多少？", max_chars=100)
        == "ＳＩＩＲ Ｐｈａｓｅ １ 補多少？"
    )
    assert validate_question("a\u00a0b\x07c", max_chars=100) == "a bc"  # a control character still goes
