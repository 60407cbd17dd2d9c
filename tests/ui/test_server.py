"""Assembling the server: environment variables, and building a missing index before serving."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from conftest import FakeAssistant, LiveServer

import assistant
import ingest.index
from core.errors import IndexMissingError, SettingsError
from core.settings import Settings
from ui.server import create_app, load_assistant


def test_origins_are_parsed_from_a_comma_separated_list() -> None:
    settings = Settings.from_env(
        environ={"KEZHUAN_CORS_ORIGINS": " https://a.example/, ,http://b.example:8080 "}
    )
    assert settings.origins == ["https://a.example", "http://b.example:8080"]
    assert Settings.from_env(environ={}).origins == []


def test_the_api_key_is_kept_out_of_the_settings_repr() -> None:
    settings = Settings.from_env(environ={"KEZHUAN_API_KEY": "s3cret", "KEZHUAN_LLM_API_KEY": "llm-s3cret"})
    assert settings.api_key == "s3cret" and "s3cret" not in repr(settings)


def test_key_and_origins_come_from_the_environment(fake: FakeAssistant, settings: Settings) -> None:
    env = {"KEZHUAN_API_KEY": "env-key", "KEZHUAN_CORS_ORIGINS": "http://site.example"}
    from_env = Settings.from_env(environ=env, data_dir=settings.data_dir)
    with LiveServer(create_app(fake, from_env)) as live:
        assert httpx.get(live.url + "/v1/models").status_code == 401
        ok = httpx.get(
            live.url + "/v1/models",
            headers={"Authorization": "Bearer env-key", "Origin": "http://site.example"},
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "http://site.example"


def test_an_explicit_empty_key_turns_auth_off(fake: FakeAssistant, settings: Settings) -> None:
    app = create_app(fake, settings.replace(api_key="env-key"), api_key="")
    with LiveServer(app) as live:
        assert httpx.get(live.url + "/v1/models").status_code == 200


def test_bad_body_limit_is_rejected(fake: FakeAssistant, settings: Settings) -> None:
    with pytest.raises(SettingsError, match="max_body_bytes"):
        create_app(fake, settings, max_body_bytes=0)


def test_missing_index_is_built_before_serving(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    loads: list[Settings] = []
    ingests: list[Settings] = []

    def load(cls: Any, s: Settings) -> FakeAssistant:
        loads.append(s)
        if not ingests:
            raise IndexMissingError("No index yet. Run `kezhuan ingest`.")
        return FakeAssistant()

    def run_ingest(s: Settings) -> dict[str, int]:
        ingests.append(s)
        return {"added": 1}

    monkeypatch.setattr(assistant.Assistant, "load", classmethod(load))
    monkeypatch.setattr(ingest.index, "run_ingest", run_ingest)
    with caplog.at_level(logging.WARNING, logger="ui.server"):
        bot = load_assistant(settings)
    assert isinstance(bot, FakeAssistant)
    assert loads == [settings, settings] and ingests == [settings]
    assert "No index yet" in caplog.text and "kezhuan ingest" in caplog.text
