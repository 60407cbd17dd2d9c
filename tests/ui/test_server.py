"""Assembling the server: environment variables, and building a missing index before serving."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from conftest import FakeAssistant, LiveServer

import assistant
import ingest.index
from ingest.errors import IndexMissingError, SettingsError
from ingest.settings import Settings
from ui.server import create_app, load_assistant, parse_origins


def test_origins_are_parsed_from_a_comma_separated_list() -> None:
    assert parse_origins(" https://a.example/, ,http://b.example:8080 ") == [
        "https://a.example",
        "http://b.example:8080",
    ]
    assert parse_origins(None) == []


def test_key_and_origins_come_from_the_environment(fake: FakeAssistant, settings: Settings) -> None:
    env = {"KEZHUAN_API_KEY": "env-key", "KEZHUAN_CORS_ORIGINS": "http://site.example"}
    with LiveServer(create_app(fake, settings, environ=env)) as live:
        assert httpx.get(live.url + "/v1/models").status_code == 401
        ok = httpx.get(
            live.url + "/v1/models",
            headers={"Authorization": "Bearer env-key", "Origin": "http://site.example"},
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "http://site.example"


def test_an_explicit_empty_key_turns_auth_off(fake: FakeAssistant, settings: Settings) -> None:
    app = create_app(fake, settings, api_key="", environ={"KEZHUAN_API_KEY": "env-key"})
    with LiveServer(app) as live:
        assert httpx.get(live.url + "/v1/models").status_code == 200


def test_bad_body_limit_is_rejected(fake: FakeAssistant, settings: Settings) -> None:
    with pytest.raises(SettingsError, match="max_body_bytes"):
        create_app(fake, settings, environ={}, max_body_bytes=0)


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
