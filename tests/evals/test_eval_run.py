"""The runner end to end on the five-case gold file, with a fake assistant and fake embeddings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAssistant, cleaned_text
from langchain_core.embeddings import DeterministicFakeEmbedding

import evals.run as run_module
from assistant.reply import Reply
from core.settings import Settings
from evals.baseline import Baseline
from evals.dataset import load_gold
from evals.run import (
    VARIANTS,
    EvalError,
    check_fail_under,
    check_variants,
    default_out_dir,
    main,
    parse_fail_under,
    refusals_by_rule,
    run_eval,
    run_variant,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FILES = (
    "results.jsonl",
    "summary.json",
    "report.md",
    "metrics.png",
    "styles.png",
    "sections.png",
    "kinds.png",
    "latency.png",
)


def _embeddings() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=32)


@pytest.mark.integration  # a whole evaluation run, reports included
def test_run_eval_writes_every_file(
    tiny_settings: Settings, tiny_gold: Path, fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run_eval(
        tiny_settings,
        tiny_gold,
        out,
        progress=False,
        assistant=fake_assistant,
        embeddings=_embeddings(),
    )
    for name in FILES:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    for name in FILES[3:]:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC, name
    assert result.passed and result.primary == "hybrid"
    assert {p.name for p in result.files} == set(FILES)

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 * len(VARIANTS)
    assert [r["variant"] for r in rows[::5]] == list(VARIANTS)
    first = rows[0]
    for key in (
        "id",
        "question",
        "answer",
        "refused",
        "citations",
        "retrieved",
        "ranking",
        "scores",
        "latency_ms",
    ):
        assert key in first, key
    assert set(first["citations"][0]) >= {"n", "quote", "start", "end", "source", "section"}
    assert first["scores"]["key_facts"] is True and first["scores"]["gold_coverage"] == [1.0]

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    hybrid = summary["variants"]["hybrid"]["metrics"]
    assert hybrid["citation_recall"] == 1.0 and hybrid["key_facts"] == 1.0 and hybrid["refusal"] == 1.0
    assert hybrid["hit@1"] == 1.0 and hybrid["wrong_refusal"] == 0.0 and hybrid["pass_rate"] == 1.0
    dense = summary["variants"]["dense"]["metrics"]
    assert dense["wrong_refusal"] == 1.0 and dense["key_facts"] == 0.0 and dense["refusal"] == 1.0
    bm25 = summary["variants"]["bm25"]["metrics"]
    assert bm25["refusal"] == 0.0 and bm25["key_facts"] == pytest.approx(1 / 3)
    baseline = summary["variants"]["baseline"]["metrics"]
    assert baseline["refusal"] == 0.0 and baseline["wrong_refusal"] == 0.0
    assert set(summary["variants"]["hybrid"]["by_section"]) == {
        "前言",
        "推動科技專案 引領創新能量",
        "打造產業聚落 驅動區域創新",
        "",
    }
    waves = summary["variants"]["hybrid"]["by_wave"]
    assert set(waves) == {"wave 1"} and waves["wave 1"]["n_cases"] == 5
    assert set(summary["variants"]["hybrid"]["by_kind"]) == {
        "fact",
        "simplified",
        "followup",
        "unanswerable",
        "injection",
    }

    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## Headline — hybrid", "## Variants side by side", "## By section", "## By kind",
                    "## How each metric is computed", "## Failures — hybrid"):  # fmt: skip
        assert heading in report, heading
    assert "coverage rule" in report and "60%" in report
    assert "0 of 5 cases failed." in report
    assert "wrongly refused an answerable question" in report  # dense, in its details block
    assert "answered an unanswerable question" in report  # bm25 and baseline
    assert "missing key fact 「智慧製造」" in report
    # Each refusal is counted under the rule that decided it, right (unanswerable) or wrong.
    assert summary["variants"]["hybrid"]["refusals_by_rule"] == {"support": {"right": 2, "wrong": 0}}
    assert summary["variants"]["dense"]["refusals_by_rule"] == {"veto: fake": {"right": 2, "wrong": 3}}
    assert "## Refusals by the rule that decided them — hybrid" in report
    assert "| support | 2 | 0 | 1.00 |" in report
    # Cases by dev half, and each failure under its kind (all five pass on hybrid; dense refuses).
    hybrid_kinds = summary["variants"]["hybrid"]["failure_kinds"]
    assert sum(sum(k.values()) for k in hybrid_kinds.values()) == 5
    assert all(set(k) == {"passed"} for k in hybrid_kinds.values())
    dense_kinds = summary["variants"]["dense"]["failure_kinds"]
    assert sum(k.get("wrong refusal, gold passage retrieved", 0) for k in dense_kinds.values()) == 3
    assert "## Dev halves and failure kinds — hybrid" in report


def test_history_reaches_the_assistant(
    tiny_settings: Settings, tiny_gold: Path, fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    run_eval(
        tiny_settings,
        tiny_gold,
        tmp_path / "r",
        variants=["hybrid"],
        progress=False,
        assistant=fake_assistant,
        charts=False,
    )
    followup = [h for q, h, _ in fake_assistant.calls if q == "那它聚焦哪些領域？"]
    assert followup and followup[-1] == [
        {"role": "user", "content": "南臺灣創新園區在哪裡？"},
        {"role": "assistant", "content": "在臺南。"},
    ]


def test_limit_and_variant_order(
    tiny_settings: Settings, tiny_gold: Path, fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    result = run_eval(
        tiny_settings, tiny_gold, tmp_path / "r", variants=["bm25", "hybrid"], progress=False, limit=2,
        assistant=fake_assistant, charts=False,
    )  # fmt: skip
    assert result.primary == "bm25" and list(result.runs) == ["bm25", "hybrid"]
    assert result.summary["run"]["cases"] == 2 and len(result.runs["hybrid"].scores) == 2
    # Without charts: no PNG written, and the report links none (test_run_eval_writes_every_file draws them).
    assert {p.name for p in result.files} == {"results.jsonl", "summary.json", "report.md"}
    assert ".png" not in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def test_sample_keeps_every_unanswerable_and_every_kth_answerable(
    tiny_settings: Settings, tiny_gold: Path, fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    from evals.dataset import load_gold

    gold = list(load_gold(tiny_gold).values())
    answerable = [c.id for c in gold if c.answerable]
    result = run_eval(
        tiny_settings, tiny_gold, tmp_path / "r", variants=["hybrid"], progress=False, sample_every=2,
        assistant=fake_assistant, charts=False,
    )  # fmt: skip
    ids = [s.id for s in result.runs["hybrid"].scores]
    assert [i for i in ids if i in answerable] == answerable[::2]
    assert {c.id for c in gold if not c.answerable} <= set(ids)
    assert result.summary["run"]["sample_every"] == 2


def test_fail_under_reports_missed_bars(
    tiny_settings: Settings, tiny_gold: Path, fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    result = run_eval(
        tiny_settings, tiny_gold, tmp_path / "r", variants=["hybrid", "bm25"], progress=False,
        fail_under={"key_facts": 0.95, "bm25.refusal": 0.5}, assistant=fake_assistant, charts=False,
    )  # fmt: skip
    assert not result.passed
    assert result.failed_bars == ["bm25 refusal = 0.000 < 0.500"]
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["passed"] is False


def test_a_raising_variant_is_recorded_and_the_run_goes_on(tiny_gold: Path) -> None:
    cases = list(load_gold(tiny_gold).values())

    class Flaky:
        def ask(self, question: str, history: Any = None) -> Reply:
            if question == cases[1].question:
                raise RuntimeError("boom")
            return Reply(question, "文件中沒有相關資訊。", True)

    run = run_variant("flaky", Flaky(), cases, None, progress=False)
    assert len(run.scores) == 5
    assert run.scores[1].error == "RuntimeError: boom"
    assert run.rows[1]["failures"][0] == "raised an error: RuntimeError: boom"
    assert run.scores[3].passed  # refusing the unanswerable


def test_a_broken_variant_stops_the_run(tiny_gold: Path) -> None:
    cases = list(load_gold(tiny_gold).values())

    class Broken:
        def ask(self, question: str, history: Any = None) -> Reply:
            raise RuntimeError("Collection does not exist")

    with pytest.raises(EvalError, match=r"raised on 5 cases in a row.*tiny-005.*Collection does not exist"):
        run_variant("broken", Broken(), cases, None, progress=False)


# ------------------------------------------------------------------ command line


@pytest.fixture()
def patched_loaders(
    monkeypatch: pytest.MonkeyPatch, tiny_corpus: Path, tmp_path: Path, fake_assistant: FakeAssistant
) -> None:
    monkeypatch.setenv("KEZHUAN_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(run_module, "_load_assistant", lambda settings: fake_assistant)
    monkeypatch.setattr(
        run_module, "_load_baseline", lambda settings, embeddings: Baseline.build(settings, _embeddings())
    )


@pytest.mark.integration  # a whole evaluation run, reports included
@pytest.mark.usefixtures("patched_loaders")
def test_main_exits_non_zero_below_the_bars(
    tiny_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    code = main(
        ["--gold", str(tiny_gold), "--out", str(out), "--variants", "bm25,hybrid", "--no-progress",
         "--corpus", "configured", "--split", "all",
         "--fail-under", "citation_recall=0.95,key_facts=0.95,refusal=0.95"]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "bm25 key_facts = 0.333 < 0.950" in err
    assert "bm25 refusal = 0.000 < 0.950" in err
    assert (out / "report.md").is_file()


@pytest.mark.integration  # a whole evaluation run, reports included
@pytest.mark.usefixtures("patched_loaders")
def test_main_exits_zero_when_bars_are_met(
    tiny_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    code = main(
        ["--gold", str(tiny_gold), "--out", str(out), "--no-progress", "--corpus", "configured",
         "--split", "all", "--fail-under", "citation_recall=0.95,key_facts=0.95,refusal=0.95"]
    )  # fmt: skip
    assert code == 0
    assert "hybrid: hit@5 1.000" in capsys.readouterr().out.replace("[configured · all · 5 cases] ", "")
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 20


@pytest.mark.usefixtures("patched_loaders")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "latency=0.5"], "'latency' is not a metric a bar applies to"),
        (["--fail-under", "key_facts"], "is not metric=number"),
        (["--fail-under", "key_facts=95"], "between 0 and 1"),
        (["--variants", "hybrid,sparse"], "Unknown variant(s) sparse"),
        (["--limit", "0"], "limit must be greater than 0"),
        (["--sample-every", "0"], "sample_every must be greater than 0"),
        (["--corpus", "everything"], "--corpus 'everything': use seed, multi"),
        (["--fail-under", "elsewhere:key_facts=0.5"], "'elsewhere' is not a corpus"),
    ],
)
def test_main_explains_bad_arguments(
    args: list[str], message: str, tiny_gold: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--gold", str(tiny_gold), "--out", str(tmp_path / "x"), "--no-progress", "--corpus", "configured"]
    assert main([*argv, "--split", "all", *args]) == 2
    assert message in capsys.readouterr().err


def test_checks() -> None:
    assert check_variants([" hybrid", "bm25", "hybrid", ""]) == ["hybrid", "bm25"]
    with pytest.raises(EvalError, match="No variant"):
        check_variants([""])
    assert parse_fail_under("a=0.5, b=1") == {"a": 0.5, "b": 1.0}
    assert parse_fail_under("") == {}
    with pytest.raises(EvalError, match="variant 'dense' is not being run"):
        check_fail_under({"dense.mrr": 0.5}, ["hybrid"])
    assert check_fail_under({"hit@5": 0.9, "baseline.mrr": 0.1}, ["hybrid", "baseline"])


def test_default_out_dir_is_a_utc_timestamp() -> None:
    from datetime import UTC, datetime

    assert default_out_dir(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == Path("reports/20250102T030405Z")


def test_bars_for_one_corpus() -> None:
    from evals.run import bars_for

    bars = {"citation_recall": 0.9, "multi:key_facts": 0.8, "seed:hybrid.refusal": 0.95}
    assert bars_for(bars, "seed") == {"citation_recall": 0.9, "hybrid.refusal": 0.95}
    assert bars_for(bars, "multi") == {"citation_recall": 0.9, "key_facts": 0.8}
    with pytest.raises(EvalError, match="'other' is not a corpus"):
        bars_for({"other:mrr": 0.5}, "seed")
    assert check_fail_under({"multi:hit@5": 0.9}, ["hybrid"])


def test_test_split_of_the_shipped_sets_is_reported_as_figures_only(
    tiny_settings: Settings, tiny_gold: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the tiny set as if it were the shipped sets: its test cases never appear in words."""
    cases = load_gold(tiny_gold)
    test_ids = [k for k, c in cases.items() if c.split == "test"]
    assert test_ids and len(test_ids) < len(cases)  # the stratified hash puts some in each split
    monkeypatch.setattr(run_module, "DEFAULT_GOLD_PATH", tiny_gold)
    fake = FakeAssistant(cases, cleaned_text())
    # A fake that fails every test case, so their failures would be listed if anything leaked.
    real_ask = fake.ask

    def ask(question: str, history: Any = None, mode: str | None = None) -> Reply:
        reply = real_ask(question, history, mode)
        case = fake.by_question[question]
        if case.split == "test":
            # wrong either way: refuse the answerable, answer the unanswerable
            return Reply(question, "（答錯）", case.answerable, retrieved=reply.retrieved)
        return reply

    fake.ask = ask  # type: ignore[method-assign]
    out = tmp_path / "sealed"
    result = run_eval(
        tiny_settings, tiny_gold, out, variants=["hybrid"], progress=False, assistant=fake, split="all"
    )
    written = (out / "results.jsonl").read_text(encoding="utf-8") + (out / "report.md").read_text(
        encoding="utf-8"
    )
    for case_id in test_ids:
        assert case_id not in written
        assert cases[case_id].question not in written
    assert result.summary["run"]["private_cases"] == len(test_ids)
    by_split = result.summary["variants"]["hybrid"]["by_split"]
    assert by_split["test"]["pass_rate"] == 0.0 and by_split["dev"]["pass_rate"] == 1.0
    assert "test-split cases: reported above as figures only" in (out / "report.md").read_text(
        encoding="utf-8"
    )

    only_test = run_eval(
        tiny_settings,
        tiny_gold,
        tmp_path / "t",
        variants=["hybrid"],
        progress=False,
        assistant=fake,
        split="test",
        charts=False,
    )
    assert only_test.summary["run"]["cases"] == len(test_ids)
    assert (tmp_path / "t" / "results.jsonl").read_text(encoding="utf-8") == ""


def test_sections_of_other_documents_are_not_labelled_unanswerable() -> None:
    """Answerable cases on a document without the seed's sections get their own by-section row."""
    from types import SimpleNamespace

    from evals.run import OTHER_DOCUMENTS, _section_group

    def group(section: str, answerable: bool) -> str:
        return _section_group(SimpleNamespace(section=section, answerable=answerable))  # type: ignore[arg-type]

    assert group("前言", True) == "前言"
    assert group("", True) == OTHER_DOCUMENTS
    assert group("", False) == ""


def test_refusals_are_counted_by_the_rule_that_decided_them() -> None:
    rows = [
        {"answerable": False, "refused": True, "decided_by": "veto: foreign_share"},
        {"answerable": True, "refused": True, "decided_by": "veto: foreign_share"},
        {"answerable": False, "refused": True, "decided_by": "veto: foreign_share"},
        {"answerable": True, "refused": True, "decided_by": "type_ok"},
        {"answerable": False, "refused": True, "decided_by": ""},
        {"answerable": True, "refused": False, "decided_by": ""},
    ]
    assert refusals_by_rule(rows) == {
        "veto: foreign_share": {"right": 2, "wrong": 1},
        "(none)": {"right": 1, "wrong": 0},
        "type_ok": {"right": 0, "wrong": 1},
    }
