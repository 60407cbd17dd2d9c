"""kezhuan's BM25 gives the bm25s library's results on the gold questions (bench/bm25.py)."""

from __future__ import annotations

import pytest

from core.settings import Settings

pytest.importorskip("bm25s", reason="bm25s is a dev extra: pip install '.[dev]'")


def test_both_engines_rank_the_gold_questions_alike() -> None:
    from bench.bm25 import agreement

    result = agreement(Settings.from_env(environ={}))
    n = result["questions"]
    assert n >= 200 and result["passages"] > 0
    # Same scores (bm25s's Lucene variant times k1 + 1), so the same passages; only ties may
    # come in another order.
    assert result["max_score_difference"] < 1e-4
    assert result["same_top10_set"] == n and result["same_top1"] == n
