"""Compare two evaluation runs the way rules are chosen: dev half 0 read, dev half 1 only counted.

    python -m evals.compare reports/eval/final/dev /tmp/e/dev
    python -m evals.compare BEFORE AFTER --corpus seed,multi

``BEFORE`` and ``AFTER`` are output folders of ``kezhuan eval --out`` (``python -m evals.run``):
one corpus's folder (``results.jsonl`` and ``summary.json`` in it) or a folder of several
(``<corpus>/results.jsonl``). For every corpus of ``AFTER``, per dev half
(:func:`evals.dataset.dev_half`): the passing cases, citation recall, citation precision and key
facts before → after, from the results' rows of the primary variant. The cases whose pass or
fail changed are listed for half 0 only; half 1 is counted, never listed, so that no rule is
chosen on it. A test-split run has no rows (figures only): its summary's figures are compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import KezhuanError
from evals.dataset import dev_half


class CompareError(KezhuanError, ValueError):
    """An evaluation folder is missing or unreadable (the message says which and how to fix it)."""


@dataclass(frozen=True)
class HalfFigures:
    """Figures of one dev half of one run.

    Attributes:
        cases: Cases of the half.
        passed: Ids of the cases that passed.
        recall: Citation recall over the answerable cases (None without one).
        precision: Share of precise citations of answered answerable cases (None without one).
        key_facts: Key-fact accuracy over the answerable cases (None without one).
    """

    cases: int
    passed: frozenset[str]
    recall: float | None
    precision: float | None
    key_facts: float | None


def _mean(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def half_figures(rows: Sequence[Mapping[str, Any]], half: int) -> HalfFigures:
    """The figures of dev half ``half`` of result rows (``results.jsonl`` of one variant)."""
    mine = [r for r in rows if dev_half(r["id"]) == half]
    answerable = [r for r in mine if r["answerable"]]
    precise = [
        ok for r in answerable if not r["refused"] for ok in (r["scores"].get("citation_precise") or ())
    ]
    return HalfFigures(
        cases=len(mine),
        passed=frozenset(r["id"] for r in mine if not r["failures"]),
        recall=_mean([bool(r["scores"].get("citation_recall")) for r in answerable]),
        precision=_mean(precise),
        key_facts=_mean([bool(r["scores"].get("key_facts")) for r in answerable]),
    )


def _corpus_folders(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        raise CompareError(f"{root} is not a folder: give the --out folder of a `kezhuan eval` run")
    if (root / "summary.json").is_file():
        summary = _read_json(root / "summary.json")
        return {str(summary.get("run", {}).get("corpus") or root.name): root}
    found = {p.parent.name: p.parent for p in sorted(root.glob("*/summary.json"))}
    if not found:
        raise CompareError(
            f"{root} holds no summary.json, nor <corpus>/summary.json: give the --out folder of a "
            "finished `kezhuan eval` run"
        )
    return found


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(f"cannot read {path} ({exc}); run the evaluation again") from exc
    if not isinstance(data, dict):
        raise CompareError(f"{path} is not a summary of `kezhuan eval`; run the evaluation again")
    return data


def _rows(folder: Path, variant: str) -> list[dict[str, Any]]:
    path = folder / "results.jsonl"
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CompareError(f"cannot read {path} ({exc}); run the evaluation again") from exc
    return [r for r in rows if r.get("variant", variant) == variant]


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def compare(before: Path, after: Path, corpora: Sequence[str] | None = None) -> list[str]:
    """The comparison's lines (see the module docstring).

    Raises:
        CompareError: A folder is missing, holds no run, or a file cannot be read.
    """
    old, new = _corpus_folders(before), _corpus_folders(after)
    names = [c for c in new if corpora is None or c in corpora]
    if corpora is not None and (unknown := [c for c in corpora if c not in new]):
        raise CompareError(f"{after} has no run of {', '.join(unknown)}; it holds {', '.join(new) or 'none'}")
    out: list[str] = []
    for corpus in names:
        summary = _read_json(new[corpus] / "summary.json")
        variant = str(summary.get("run", {}).get("primary", "hybrid"))
        rows_after = _rows(new[corpus], variant)
        rows_before = _rows(old[corpus], variant) if corpus in old else []
        if not rows_after:  # a test split: figures only
            then = _read_json(old[corpus] / "summary.json") if corpus in old else {}
            m_new = summary["variants"][variant]["metrics"]
            m_old = then.get("variants", {}).get(variant, {}).get("metrics", {})
            figures = ", ".join(
                f"{k} {_f(m_old.get(k))} → {_f(m_new.get(k))}"
                for k in ("pass_rate", "citation_recall", "citation_precision", "key_facts", "refusal")
            )
            out.append(f"{corpus} (figures only): {figures}")
            continue
        questions = {r["id"]: r["question"] for r in rows_after}
        failures = {r["id"]: r["failures"] for r in rows_after}
        for half in (0, 1):
            a, b = half_figures(rows_before, half), half_figures(rows_after, half)
            out.append(
                f"{corpus} dev half {half} ({b.cases} cases): passed {len(a.passed)} → {len(b.passed)}; "
                f"recall {_f(a.recall)} → {_f(b.recall)}, precision {_f(a.precision)} → {_f(b.precision)}, "
                f"key facts {_f(a.key_facts)} → {_f(b.key_facts)}"
            )
            gained, lost = sorted(b.passed - a.passed), sorted(a.passed - b.passed)
            if half == 1:
                out.append(
                    f"  half 1: {len(gained)} now pass, {len(lost)} now fail (only counted, never listed)"
                )
                continue
            out += [f"  + {i} {questions[i]}" for i in gained if i in questions]
            out += [f"  - {i} {questions[i]}  {'; '.join(failures[i])}" for i in lost if i in questions]
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m evals.compare BEFORE AFTER [--corpus a,b]``; 0, or 2 on a bad folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="--out folder of the earlier `kezhuan eval` run")
    parser.add_argument("after", type=Path, help="--out folder of the later run")
    parser.add_argument(
        "--corpus", default="", help="comma-separated corpora to compare (default: all of AFTER)"
    )
    args = parser.parse_args(argv)
    corpora = [c for c in args.corpus.split(",") if c] or None
    try:
        lines = compare(args.before, args.after, corpora)
    except CompareError as exc:
        print(f"evals.compare: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
