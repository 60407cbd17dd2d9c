"""Comparing two evaluation runs half by half (evals/compare.py), and the failure kinds it counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.compare import CompareError, compare, half_figures, main
from evals.dataset import dev_half
from evals.metrics import CaseScore, failure_kind, failure_kinds

#: Ids chosen by their half (dev_half: SHA-256 of the id, modulo 2).
HALF0 = ("a1-002", "x-4")
HALF1 = ("a1-001", "x-1")


def test_dev_half_is_the_sha256_of_the_id_modulo_2() -> None:
    assert [dev_half(i) for i in HALF0] == [0, 0]
    assert [dev_half(i) for i in HALF1] == [1, 1]


def _row(case_id: str, passed: bool, answerable: bool = True, precise: tuple[bool, ...] = (True,)) -> dict:
    return {
        "variant": "hybrid",
        "id": case_id,
        "question": f"question {case_id}",
        "answerable": answerable,
        "refused": False,
        "failures": [] if passed else ["gold quote not cited"],
        "scores": {"citation_recall": passed, "citation_precise": list(precise), "key_facts": passed},
    }


def _run(folder: Path, rows: list[dict], corpus: str = "seed") -> Path:
    (folder / corpus).mkdir(parents=True)
    summary = {"run": {"corpus": corpus, "primary": "hybrid"}, "variants": {"hybrid": {"metrics": {}}}}
    (folder / corpus / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / corpus / "results.jsonl").write_text(lines, encoding="utf-8")
    return folder


def test_half_figures_count_passes_and_rates_of_one_half() -> None:
    rows = [_row("a1-002", True), _row("x-4", False, precise=(False, True)), _row("a1-001", True)]
    half0 = half_figures(rows, 0)
    assert half0.cases == 2 and half0.passed == {"a1-002"}
    assert half0.recall == 0.5 and half0.key_facts == 0.5 and half0.precision == pytest.approx(2 / 3)
    assert half_figures(rows, 1).passed == {"a1-001"}


def test_half_0_changes_are_listed_and_half_1_changes_only_counted(tmp_path: Path) -> None:
    before = _run(tmp_path / "before", [_row(i, False) for i in HALF0 + HALF1])
    after = _run(
        tmp_path / "after",
        [_row("a1-002", True), _row("x-4", False), _row("a1-001", True), _row("x-1", False)],
    )
    lines = compare(before, after)
    text = "\n".join(lines)
    assert "seed dev half 0 (2 cases): passed 0 → 1" in text
    assert "  + a1-002 question a1-002" in text
    assert "seed dev half 1 (2 cases): passed 0 → 1" in text
    assert "half 1: 1 now pass, 0 now fail" in text
    assert "a1-001" not in text  # a half-1 case is never named


def test_a_missing_folder_or_corpus_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run(tmp_path / "run", [_row("a1-002", True)])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareError, match="holds no summary.json"):
        compare(run, tmp_path / "empty")
    with pytest.raises(CompareError, match="has no run of multi"):
        compare(run, run, ["multi"])
    assert main([str(tmp_path / "nowhere"), str(run)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def _score(**changes: object) -> CaseScore:
    base: dict = {
        "id": "x",
        "section": "",
        "kind": "fact",
        "lang": "hant",
        "answerable": True,
        "refused": False,
    }
    return CaseScore(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({}, "passed"),
        ({"error": "RuntimeError: boom", "failures": ("error",)}, "error"),
        (
            {"answerable": False, "failures": ("answered an unanswerable question",)},
            "answered an unanswerable case",
        ),
        (
            {"refused": True, "first_hit_rank": 2, "failures": ("wrongly refused",)},
            "wrong refusal, gold passage retrieved",
        ),
        (
            {"refused": True, "first_hit_rank": 9, "failures": ("wrongly refused",)},
            "wrong refusal, gold passage missed",
        ),
        (
            {"citation_recall": False, "first_hit_rank": 1, "failures": ("gold quote not cited",)},
            "wrong sentence, gold passage retrieved",
        ),
        (
            {"citation_recall": False, "first_hit_rank": None, "failures": ("gold quote not cited",)},
            "wrong sentence, gold passage missed",
        ),
        (
            {"citation_recall": True, "key_facts": False, "failures": ("missing key fact 「x」",)},
            "key facts missing",
        ),
    ],
)
def test_each_failure_has_one_kind(changes: dict, kind: str) -> None:
    assert failure_kind(_score(**changes), depth=8) == kind


def test_failure_kinds_are_counted_in_order_without_empty_kinds() -> None:
    scores = [_score(), _score(refused=True, first_hit_rank=1, failures=("x",)), _score()]
    assert failure_kinds(scores, depth=8) == {"passed": 2, "wrong refusal, gold passage retrieved": 1}
