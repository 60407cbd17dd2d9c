"""The evaluation report: ``report.md`` and its PNG plots, from a run's summary and scores.

Plots are drawn with matplotlib's Agg canvas (no display, no pyplot state). Section names
are Chinese and the plots must render without a CJK font, so plots label sections by code
(``S1``...), and the report lists the codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.dataset import SECTIONS, GoldCase
from evals.metrics import (
    COVERAGE_THRESHOLD,
    FAILURE_KINDS,
    HIT_KS,
    METRIC_DEFINITIONS,
    CaseScore,
)

#: Plot files, in the order the report shows them.
PLOTS: tuple[str, ...] = ("metrics.png", "styles.png", "sections.png", "kinds.png", "latency.png")

#: Metrics of the variants table and bar plot, with their labels.
_RATE_METRICS: tuple[tuple[str, str], ...] = (
    *((f"hit@{k}", f"hit@{k}") for k in HIT_KS),
    ("mrr", "MRR"),
    ("citation_recall", "citation recall"),
    ("citation_precision", "citation precision"),
    ("key_facts", "key-fact accuracy"),
    ("refusal", "refusal (unanswerable refused)"),
    ("wrong_refusal", "wrong refusal (answerable refused) ↓"),
    ("pass_rate", "pass rate"),
)
_OTHER_METRICS: tuple[tuple[str, str], ...] = (
    ("evidence_chars_median", "evidence length, median chars"),
    ("latency_p50_ms", "latency p50 (ms)"),
    ("latency_p95_ms", "latency p95 (ms)"),
)
_BREAKDOWN_METRICS: tuple[tuple[str, str], ...] = (
    ("hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("citation_recall", "cit. recall"),
    ("citation_precision", "cit. precision"),
    ("key_facts", "key facts"),
    ("refusal", "refusal"),
    ("wrong_refusal", "wrong refusal"),
    ("pass_rate", "pass"),
)
_UNANSWERABLE = "(unanswerable)"


def section_codes(sections: Sequence[str]) -> dict[str, str]:
    """Short ASCII codes for section names: ``S1``... in :data:`evals.dataset.SECTIONS` order.

    Sections outside that list get the next codes; the empty section (unanswerable cases)
    is ``none``.
    """
    ordered = [s for s in SECTIONS if s in sections] + sorted(s for s in sections if s not in SECTIONS and s)
    codes = {name: f"S{SECTIONS.index(name) + 1}" for name in ordered if name in SECTIONS}
    extra = len(SECTIONS)
    for name in ordered:
        if name not in codes:
            extra += 1
            codes[name] = f"S{extra}"
    if "" in sections:
        codes[""] = "none"
    return codes


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _over(metric: str, m: Mapping[str, Any]) -> str:
    if metric.startswith("hit@") or metric in ("mrr", "citation_recall", "key_facts", "wrong_refusal"):
        return f"{m['n_answerable']} answerable cases"
    if metric == "citation_precision":
        return f"{m['n_citations']} citations of answered answerable cases"
    if metric == "refusal":
        return f"{m['n_unanswerable']} unanswerable cases"
    if metric == "evidence_chars_median":
        return f"{m['n_answered']} answered cases"
    return f"{m['n_cases']} cases"


def _group_label(name: str, codes: Mapping[str, str]) -> str:
    if name == "":
        return f"{_UNANSWERABLE} ({codes.get('', 'none')})"
    return f"{name} ({codes[name]})" if name in codes else name


def _breakdown_table(
    groups: Mapping[str, Mapping[str, Any]], label: str, codes: Mapping[str, str] | None
) -> list[str]:
    header = [label, "n", *(title for _, title in _BREAKDOWN_METRICS)]
    rows = []
    for name, m in groups.items():
        shown = _group_label(name, codes) if codes is not None else name
        rows.append([shown, str(m["n_cases"]), *(_fmt(m[key], 2) for key, _ in _BREAKDOWN_METRICS)])
    return _table(header, rows)


def _by_variant(
    summary: Mapping[str, Any],
    field: str,
    cell: Any,
    codes: Mapping[str, str] | None = None,
) -> list[str]:
    """One row per group of ``field`` (in first-seen order), one column per variant: ``cell(metrics)``."""
    variants = list(summary["variants"])
    groups: list[str] = []
    for name in variants:
        groups += [g for g in summary["variants"][name][field] if g not in groups]
    rows = []
    for group in groups:
        label = _group_label(group, codes) if codes is not None else group
        rows.append([label, *(cell(summary["variants"][v][field].get(group, {})) for v in variants)])
    return _table(["", *variants], rows)


def _pass_by_variant(summary: Mapping[str, Any], field: str, codes: Mapping[str, str] | None) -> list[str]:
    """Pass rate of each group, one column per variant."""
    return _by_variant(summary, field, lambda m: _fmt(m.get("pass_rate"), 2), codes)


def _triple_by_variant(summary: Mapping[str, Any], field: str) -> list[str]:
    """Citation recall / key facts / refusal of each group, one column per variant."""
    keys = ("citation_recall", "key_facts", "refusal")
    return _by_variant(summary, field, lambda m: " / ".join(_fmt(m.get(k), 2) for k in keys))


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _failure_lines(
    scores: Sequence[CaseScore],
    cases: Mapping[str, GoldCase],
    answers: Mapping[str, str],
) -> list[str]:
    lines = []
    for score in scores:
        case = cases.get(score.id)
        if score.passed or case is None:  # a test case: figures only
            continue
        question = case.question
        where = f"{score.kind} · {score.section or _UNANSWERABLE}"
        lines.append(f"- **{score.id}** ({where}) 「{_excerpt(question, 80)}」")
        lines.append(f"  - what went wrong: {'; '.join(score.failures)}")
        if score.notes:
            lines.append(f"  - notes: {'; '.join(score.notes)}")
        answer = answers.get(score.id, "")
        if answer:
            lines.append(f"  - answer: {_excerpt(answer)}")
    return lines


_HALF_METRICS = (
    "pass_rate",
    "citation_recall",
    "citation_precision",
    "key_facts",
    "refusal",
    "wrong_refusal",
)


def _decision_sections(variant: Mapping[str, Any], name: str) -> list[str]:
    """The dev halves with each failure's kind, and the refusals by the rule that decided them."""
    out: list[str] = []
    halves, kinds = variant.get("by_half") or {}, variant.get("failure_kinds") or {}
    if halves:
        out += ["", f"## Dev halves and failure kinds — {name}", ""]
        out += [
            "Rules are chosen on dev half 0 (its failures read) and kept only if half 1, only "
            "counted, holds up (`evals.dataset.dev_half`; `python -m evals.compare BEFORE AFTER` "
            "compares two runs half by half). Each failure counts once, under its first kind: "
            "the gold passage counts as retrieved when it is among the passages the answer read.",
            "",
        ]
        header = ["group", "cases", *(k.replace("_", " ") for k in _HALF_METRICS)]
        rows = [
            [g, str(m.get("n_cases", 0)), *(_fmt(m.get(k)) for k in _HALF_METRICS)] for g, m in halves.items()
        ]
        out += _table(header, rows)
        names = [k for k in FAILURE_KINDS if any(k in g for g in kinds.values())]
        out += [""] + _table(
            ["failure kind", *kinds], [[k, *(str(kinds[g].get(k, 0)) for g in kinds)] for k in names]
        )
    by_rule = variant.get("refusals_by_rule") or {}
    if by_rule:
        out += ["", f"## Refusals by the rule that decided them — {name}", ""]
        out += [
            "Each refusal names the signal, veto or rule that decided it (`decided_by` of the "
            "reply, shown by `kezhuan ask --explain`): right refusals are of unanswerable cases, "
            "wrong ones of answerable cases.",
            "",
        ]
        rows = [
            [rule, str(c["right"]), str(c["wrong"]), f"{c['right'] / (c['right'] + c['wrong']):.2f}"]
            for rule, c in by_rule.items()
        ]
        out += _table(["decided by", "right", "wrong", "share right"], rows)
    return out


def render_markdown(
    summary: Mapping[str, Any],
    scores: Mapping[str, Sequence[CaseScore]],
    cases: Mapping[str, GoldCase],
    answers: Mapping[str, Mapping[str, str]] | None = None,
    *,
    charts: bool = True,
) -> str:
    """The text of ``report.md``.

    Args:
        summary: The run summary (as written to ``summary.json``).
        scores: Per-case scores of each variant.
        cases: The gold cases run, by id.
        answers: Each variant's answer per case id, quoted in the failure list.
        charts: Show the PNG charts (:data:`PLOTS`) written beside the report.

    Returns:
        Markdown.
    """
    answers = answers or {}

    def chart(alt: str, name: str) -> list[str]:
        return ["", f"![{alt}]({name})"] if charts else []

    run = summary["run"]
    primary = run["primary"]
    variants = list(summary["variants"])
    pm = summary["variants"][primary]["metrics"]
    sections = sorted({s.section for group in scores.values() for s in group})
    codes = section_codes(sections)
    settings = run.get("settings", {})

    out: list[str] = [f"# kezhuan evaluation — {run['started_utc']}", ""]
    out.append(
        f"Corpus `{run.get('corpus', '')}`, split `{run.get('split', 'all')}`. "
        f"Sets `{run['gold']}`: {run['cases']} of {run['gold_cases']} cases "
        f"({pm['n_answerable']} answerable, {pm['n_unanswerable']} unanswerable). "
        f"Variants: {', '.join(variants)} (primary: **{primary}**). Total run time {run['seconds']:.1f} s."
    )
    if settings:
        out.append("")
        out.append("Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".")
    if summary.get("fail_under"):
        bars = ", ".join(f"{k} ≥ {v}" for k, v in summary["fail_under"].items())
        verdict = (
            "all met" if not summary.get("failed_bars") else "MISSED: " + "; ".join(summary["failed_bars"])
        )
        out += ["", f"Bars (`--fail-under`): {bars} — **{verdict}**."]

    out += ["", f"## Headline — {primary}", ""]
    rows = [[title, _fmt(pm[key]), _over(key, pm)] for key, title in _RATE_METRICS]
    rows += [[title, _fmt(pm[key], 1), _over(key, pm)] for key, title in _OTHER_METRICS]
    rows.append(["run time (s)", _fmt(summary["variants"][primary]["seconds"], 1), f"{pm['n_cases']} cases"])
    rows.append(["errors", str(pm["n_errors"]), f"{pm['n_cases']} cases"])
    out += _table(["metric", "value", "over"], rows)

    out += ["", "## Variants side by side", ""]
    out.append(
        "`hybrid` is the assistant as shipped; `dense` and `bm25` are the same assistant with one "
        "retriever; `baseline` is the ten-line LangChain recipe (500-character chunks of the raw "
        "file, top 4 cited whole, never refuses). A variant that quotes more text finds key facts and "
        "covers gold quotes more easily: read key-fact accuracy and citation recall together with "
        "evidence length and citation precision."
    )
    out.append("")
    rows = [
        [title, *(_fmt(summary["variants"][v]["metrics"][key]) for v in variants)]
        for key, title in _RATE_METRICS
    ]
    rows += [
        [title, *(_fmt(summary["variants"][v]["metrics"][key], 1) for v in variants)]
        for key, title in _OTHER_METRICS
    ]
    rows.append(["run time (s)", *(_fmt(summary["variants"][v]["seconds"], 1) for v in variants)])
    rows.append(["errors", *(str(summary["variants"][v]["metrics"]["n_errors"]) for v in variants)])
    out += _table(["metric", *variants], rows)
    out += chart("metrics by variant", "metrics.png")

    out += ["", f"## By section — {primary}", ""]
    out.append(
        "Plots label sections by code: "
        + ", ".join(f"{c} = {n or _UNANSWERABLE}" for n, c in codes.items())
        + "."
    )
    out.append("")
    out += _breakdown_table(summary["variants"][primary]["by_section"], "section", codes)
    out += ["", "Pass rate by section and variant:", ""]
    out += _pass_by_variant(summary, "by_section", codes)
    out += chart("by section", "sections.png")

    out += _decision_sections(summary["variants"][primary], primary)
    out += ["", f"## By kind — {primary}", ""]
    out += _breakdown_table(summary["variants"][primary]["by_kind"], "kind", None)
    out += ["", "Pass rate by kind and variant:", ""]
    out += _pass_by_variant(summary, "by_kind", None)
    out += chart("by kind", "kinds.png")

    out += ["", f"## By question language — {primary}", ""]
    out += _breakdown_table(summary["variants"][primary]["by_lang"], "lang", None)

    for field, label, title in (
        ("by_split", "split", "By split"),
        ("by_style", "style", "By style (how the question is written)"),
        ("by_source", "document", "By document of the gold evidence"),
        ("by_wave", "wave", "By writing wave (a later wave was written after the rules before it)"),
    ):
        if field not in summary["variants"][primary]:
            continue
        out += ["", f"## {title} — {primary}", ""]
        out += _breakdown_table(summary["variants"][primary][field], label, None)
        if field == "by_style":
            out += chart("by style", "styles.png")
        if len(variants) > 1:
            out += ["", f"Citation recall / key facts / refusal {label.lower()} by variant:", ""]
            out += _triple_by_variant(summary, field)

    if charts:
        out += ["", "## Latency", *chart("latency", "latency.png")]

    out += ["", "## How each metric is computed", ""]
    out += [f"- **{name}**: {text}" for name, text in METRIC_DEFINITIONS.items()]
    out.append(
        f"- **coverage rule** (used by citation recall and the failure list): a gold quote counts "
        f"as cited when at least {COVERAGE_THRESHOLD:.0%} of its characters, whitespace removed, "
        "lie inside the union of the cited quotes' spans in the cleaned source text."
    )
    out.append(
        "- A case *fails* when it raised an error, was wrongly refused, misses a key fact, has no "
        "citations, leaves a gold quote uncited (answerable), or answers an unanswerable question. "
        "Notes (retrieval rank, citations overlapping no gold quote) explain but do not fail a case."
    )

    out += ["", f"## Failures — {primary}", ""]
    primary_scores = scores.get(primary, [])
    failed = [s for s in primary_scores if not s.passed]
    out.append(f"{len(failed)} of {len(primary_scores)} cases failed.")
    hidden = sum(1 for s in failed if s.id not in cases)
    if hidden:
        out.append(
            f"{hidden} of them are test-split cases: reported above as figures only, never listed, "
            "so nobody tunes by reading them."
        )
    out.append("")
    out += _failure_lines(primary_scores, cases, answers.get(primary, {})) or ["None."]
    for name in variants:
        if name == primary:
            continue
        group = scores.get(name, [])
        n_failed = sum(not s.passed for s in group if s.id in cases)
        out += ["", f"<details><summary>Failures — {name}: {n_failed} of {len(group)} cases</summary>", ""]
        out += _failure_lines(group, cases, answers.get(name, {})) or ["None."]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ plots


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _grouped_bars(ax: Any, labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> None:
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, values, width=width, label=name)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def _value(metrics: Mapping[str, Any] | None, key: str) -> float:
    value = (metrics or {}).get(key)
    return float("nan") if value is None else float(value)


def plot_metrics(summary: Mapping[str, Any], path: Path) -> Path:
    """Bar chart: every rate metric, one bar per variant."""
    fig = _figure(11, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    labels = [key for key, _ in _RATE_METRICS]
    series = {name: [_value(v["metrics"], key) for key in labels] for name, v in summary["variants"].items()}
    _grouped_bars(ax, labels, series, "Metrics by variant (wrong_refusal: lower is better)")
    ax.legend(fontsize=8, loc="upper right", ncols=len(series))
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_sections(summary: Mapping[str, Any], path: Path) -> Path:
    """Per-section hit@5, citation recall, key-fact accuracy and pass rate, one bar per variant."""
    sections: list[str] = []
    for v in summary["variants"].values():
        sections += [s for s in v["by_section"] if s not in sections]
    codes = section_codes(sections)
    ordered = sorted(sections, key=lambda s: codes[s] if s else "~")
    fig = _figure(11, 8)
    panels = (
        ("hit@5", "hit@5"),
        ("citation_recall", "citation recall"),
        ("key_facts", "key facts"),
        ("pass_rate", "pass rate"),
    )
    for i, (key, title) in enumerate(panels, start=1):
        ax = fig.add_subplot(2, 2, i)
        shown = [s for s in ordered if key == "pass_rate" or s != ""]
        series = {
            name: [_value(v["by_section"].get(s), key) for s in shown]
            for name, v in summary["variants"].items()
        }
        _grouped_bars(ax, [codes[s] for s in shown], series, f"{title} by section")
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=max(1, len(labels)), fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path)
    return path


def plot_kinds(summary: Mapping[str, Any], path: Path) -> Path:
    """Pass rate per question kind, one bar per variant."""
    kinds: list[str] = []
    for v in summary["variants"].values():
        kinds += [k for k in v["by_kind"] if k not in kinds]
    fig = _figure(11, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    series = {
        name: [_value(v["by_kind"].get(k), "pass_rate") for k in kinds]
        for name, v in summary["variants"].items()
    }
    _grouped_bars(ax, kinds, series, "Pass rate by question kind")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_styles(summary: Mapping[str, Any], path: Path) -> Path:
    """Per style: citation recall and key facts (answerable cases), refusal (unanswerable), by variant."""
    styles: list[str] = []
    for v in summary["variants"].values():
        styles += [k for k in v.get("by_style", {}) if k not in styles]
    styles.sort()
    fig = _figure(12, 9)
    panels = (
        ("citation_recall", "citation recall (answerable)"),
        ("key_facts", "key facts (answerable)"),
        ("refusal", "refusal (unanswerable)"),
    )
    for i, (key, title) in enumerate(panels, start=1):
        ax = fig.add_subplot(3, 1, i)
        shown = [
            s
            for s in styles
            if any(
                v.get("by_style", {}).get(s, {}).get(key) is not None for v in summary["variants"].values()
            )
        ]
        series = {
            name: [_value(v.get("by_style", {}).get(s), key) for s in shown]
            for name, v in summary["variants"].items()
        }
        _grouped_bars(ax, shown, series, f"{title} by style")
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=max(1, len(labels)), fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path)
    return path


def plot_latency(scores: Mapping[str, Sequence[CaseScore]], path: Path, primary: str) -> Path:
    """Latency box plot per variant and the primary variant's histogram."""
    fig = _figure(11, 4.5)
    names = [n for n, group in scores.items() if any(not s.error for s in group)]
    data = [[s.latency_ms for s in scores[n] if not s.error] for n in names]
    ax = fig.add_subplot(1, 2, 1)
    if data:
        ax.boxplot(data, tick_labels=names, showfliers=True)
        flat = [x for group in data for x in group if x > 0]
        if flat and max(flat) / max(min(flat), 1e-3) > 50:
            ax.set_yscale("log")
    ax.set_ylabel("ms per question")
    ax.set_title("Latency by variant", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax2 = fig.add_subplot(1, 2, 2)
    own = [s.latency_ms for s in scores.get(primary, []) if not s.error]
    if own:
        ax2.hist(own, bins=min(30, max(5, len(own) // 4)))
    ax2.set_xlabel("ms per question")
    ax2.set_ylabel("questions")
    ax2.set_title(f"Latency distribution — {primary}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_report(
    out_dir: Path,
    summary: Mapping[str, Any],
    scores: Mapping[str, Sequence[CaseScore]],
    cases: Mapping[str, GoldCase],
    answers: Mapping[str, Mapping[str, str]] | None = None,
    *,
    charts: bool = True,
) -> list[Path]:
    """Write ``report.md`` and (``charts``) the plots into ``out_dir``.

    Args:
        out_dir: Output folder (must exist).
        summary: The run summary.
        scores: Per-case scores of each variant.
        cases: The gold cases run, by id.
        answers: Each variant's answer per case id, for the failure list.
        charts: Draw the PNG charts (:data:`PLOTS`; about 2 s of matplotlib on this machine).

    Returns:
        The files written.
    """
    primary = summary["run"]["primary"]
    files = []
    if charts:
        files = [
            plot_metrics(summary, out_dir / "metrics.png"),
            plot_styles(summary, out_dir / "styles.png"),
            plot_sections(summary, out_dir / "sections.png"),
            plot_kinds(summary, out_dir / "kinds.png"),
            plot_latency(scores, out_dir / "latency.png", primary),
        ]
    report = out_dir / "report.md"
    report.write_text(render_markdown(summary, scores, cases, answers, charts=charts), encoding="utf-8")
    return [report, *files]
