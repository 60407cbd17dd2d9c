"""``python -m bench --quick`` writes its report: JSON, Markdown with every section, a PNG plot.

No timing is asserted (the machine is shared); this checks that the benchmark runs end to end
on the real model and that the report holds what it promises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.report import SECTIONS


@pytest.mark.slow
def test_quick_benchmark_writes_json_markdown_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["--quick", "--out", str(out), "--work-dir", str(tmp_path / "work")]) == 0

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [e["label"] for e in results["sizes"]] == ["seed", "200"]
    for entry in results["sizes"]:
        assert entry["ingest"]["passages"] > 0 and entry["ingest"]["reingest_runs_s"]
        assert entry["query"]["ask_ms"]["n"] == 10 and entry["query"]["retrieval_ms"]["n"] == 10
        assert entry["cold_start"]["seconds"] > 0 and entry["baseline"]["chunks"] > 0
    assert results["sizes"][1]["ingest"]["passages"] >= 200

    report = (out / "report.md").read_text(encoding="utf-8")
    positions = [report.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert "kezhuan / baseline" in report and "| seed | 200 |" in report

    png = (out / "bench.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_worst_request_candidates_sit_at_the_limits() -> None:
    """bench/worst.py measures requests the limits allow (and one just over them, rejected)."""
    from assistant.validate import validate_request
    from bench.worst import candidates
    from ingest.errors import BadQuestionError
    from ingest.settings import Settings

    settings = Settings.from_env(environ={})
    bodies = candidates(settings)
    for name, body in bodies.items():
        if name.endswith("_rejected"):
            with pytest.raises(BadQuestionError):
                validate_request(body["question"], body.get("history"), settings)
        else:
            validate_request(body["question"], body.get("history"), settings)
    assert len(bodies["question_cjk"]["question"]) == settings.max_question_chars
    spread = bodies["follow_up_spread_turns"]["history"]
    assert sum(len(m["content"]) for m in spread) > 0.95 * settings.max_history_chars
