"""The real assistant (and the baseline) on ten real gold cases: needs the index and the model.

Skips, saying why, when the index has not been built (``kezhuan ingest``) or the model or
assistant cannot be loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from evals.dataset import DEFAULT_GOLD_PATH, load_gold
from evals.run import run_eval


@pytest.fixture(scope="module")
def real_assistant() -> tuple[Settings, Any]:
    settings = Settings.from_env()
    try:
        from assistant import Assistant

        return settings, Assistant.load(settings)
    except Exception as e:  # noqa: BLE001 - any reason to be unable to load means skip
        pytest.skip(
            f"real assistant unavailable ({type(e).__name__}: {e}); build the index with `kezhuan ingest` "
            f"(data dir {settings.data_dir})"
        )


def _spread_gold(tmp_path: Path, n: int = 10) -> Path:
    """Every k-th line of the first gold set, so all sections and kinds are sampled."""
    first = DEFAULT_GOLD_PATH / "gold-v1.jsonl"
    lines = [line for line in first.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(lines) // n)
    path = tmp_path / "gold10.jsonl"
    path.write_text("\n".join(lines[::step][:n]) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.integration  # a whole evaluation run
def test_real_assistant_on_ten_gold_cases(real_assistant: tuple[Settings, Any], tmp_path: Path) -> None:
    settings, assistant = real_assistant
    gold = _spread_gold(tmp_path)
    out = tmp_path / "report"
    result = run_eval(
        settings, gold, out, variants=["hybrid", "baseline"], progress=False, assistant=assistant
    )
    cases = load_gold(gold)
    assert len(cases) == 10
    assert {p.name for p in out.iterdir()} >= {"results.jsonl", "summary.json", "report.md", "latency.png"}
    for variant in ("hybrid", "baseline"):
        metrics = result.summary["variants"][variant]["metrics"]
        assert metrics["n_cases"] == 10 and metrics["n_errors"] == 0, variant
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    hybrid = [r for r in rows if r["variant"] == "hybrid"]
    # The shipped assistant cites exact quotes of the cleaned text: its offsets must hold them.
    for row in hybrid:
        for citation in row["citations"]:
            assert citation["end"] > citation["start"] >= 0, row["id"]
    assert result.metric("hit@10") is not None
