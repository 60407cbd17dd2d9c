"""The HTTP load test (``bench/load.py``) end to end against a server subprocess built from fakes.

Only the report's shape and the absence of errors are checked, never timings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.load import load_questions, run_load

pytestmark = pytest.mark.integration

UI_TESTS = Path(__file__).parent / "ui"

#: A server process like `kezhuan serve`, with the scripted assistant of tests/ui/conftest.py.
FAKE_SERVER = f"""
import sys, tempfile
sys.path[:0] = [{str(UI_TESTS)!r}, {str(UI_TESTS.parent)!r}]  # conftest imports tests/llm_server.py
import uvicorn
from conftest import FakeAssistant
from core.settings import Settings
from ui.server import create_app

settings = Settings.from_env(environ={{}}, data_dir=tempfile.mkdtemp(), rate_limit_per_minute=0)
app = create_app(FakeAssistant(), settings)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_load_run_writes_the_report_without_errors(tmp_path: Path) -> None:
    out = tmp_path / "load"
    report = run_load(
        out,
        clients=(1, 4),
        seconds=2,
        soak_seconds=2,
        soak_clients=2,
        server_command=[sys.executable, "-c", FAKE_SERVER, "{port}"],
        warmup_requests=3,
        sample_interval=0.2,
    )
    assert {p.name for p in out.iterdir()} >= {"load.json", "load.md", "load.png", "server-log.txt"}
    assert json.loads((out / "load.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(report, ensure_ascii=False)
    )
    assert [level["clients"] for level in report["levels"]] == [1, 4]
    phases = [*report["levels"], report["soak"]]
    for phase in phases:
        assert phase["requests"] > 0 and phase["errors"] == 0, phase["errors_by_kind"]
        assert set(phase["by_route"]) <= {"ask", "chat", "chat_stream"}
        assert phase["rss_max_mb"] > 0, "the server's memory was sampled"
        assert phase["questions_with_differing_answers"] == 0
    assert report["total_errors"] == 0 and report["warmup"]["errors"] == 0
    assert {"rss_slope_mb_per_min", "rss_flat", "rss_start_mb", "rss_end_mb"} <= set(report["soak"])
    assert report["questions"] == len(load_questions())
    markdown = (out / "load.md").read_text(encoding="utf-8")
    assert "| clients | requests | errors | req/s" in markdown and "## Soak" in markdown
    assert (out / "load.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
