"""``kezhuan ingest`` on an unchanged corpus, timed as a new process, on the seed and 200 documents.

``python -m bench.reingest --out DIR`` builds two indexes (the seed corpus, and the 200-document
corpus that :mod:`bench.documents` generates from real texts), each with a hashing embedder (an
unchanged re-ingest never reads a vector, so the model's vectors would change nothing here), and
saves their retrieval snapshots as ``kezhuan ingest`` does. Then, per corpus, it runs as
subprocesses, alternating, after one warm-up run of each (``--warmups``):

* **kezhuan ingest**: ``python -m ui.cli ingest --no-progress``, the command as users run it;
* **full check**: a process that imports the ingest and retrieval stack and runs
  ``run_ingest``: what ``kezhuan ingest`` did on an unchanged corpus before it decided from the
  commit records without chromadb (issue 13).

Each run's wall time is measured around the process, its user and system CPU seconds and peak
memory from the operating system's accounting of that child (``os.wait4``; the commands are
started from a process that never loaded the ingest stack, whose peak a child would inherit). Figures are the
median, minimum and maximum over ``--runs`` runs. Target (issue 13): ``kezhuan ingest`` on an
unchanged corpus ≤ 2 s as a new process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT, Settings

#: What ``kezhuan ingest`` ran on an unchanged corpus before the check without chromadb.
FULL_CHECK = (
    "from ingest.index import run_ingest\n"
    "from assistant.retrieve import snapshot_path\n"
    "from core.settings import Settings\n"
    "settings = Settings.from_env()\n"
    "print(run_ingest(settings, progress=False).summary(), snapshot_path(settings).exists())\n"
)
COMMANDS = {
    "kezhuan ingest": [sys.executable, "-m", "ui.cli", "ingest", "--no-progress"],
    "full check": [sys.executable, "-c", FULL_CHECK],
}
TARGET_SECONDS = 2.0


def build_indexes(work: Path, documents: int, total_bytes: int) -> dict[str, Settings]:
    """The seed corpus and a generated corpus of ``documents``, each ingested with a hashing embedder."""
    from assistant.retrieve import save_snapshot
    from bench.documents import HashEmbeddings, generate_corpus
    from ingest.index import run_ingest

    shutil.copytree(PROJECT_ROOT / "corpus", work / "seed" / "corpus")
    generate_corpus(work / "documents" / "corpus", documents, total_bytes)
    built = {}
    for name in ("seed", "documents"):
        settings = Settings.from_env(
            environ={}, corpus_dir=work / name / "corpus", data_dir=work / name / "data"
        )
        report = run_ingest(settings, embeddings=HashEmbeddings(), progress=False)
        if report.failed:
            raise RuntimeError(f"could not ingest {sorted(report.failed)}")
        save_snapshot(settings)
        built[name] = settings
    return built


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEZHUAN_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
        KEZHUAN_CORPUS_DIR=str(settings.corpus_dir),
        KEZHUAN_DATA_DIR=str(settings.data_dir),
        HF_HUB_OFFLINE="1",
    )
    return env


def time_process(cmd: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd`` once: wall seconds, the child's user and system CPU seconds, peak RSS (MB), output."""
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        output = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {output[-2000:]}")
    return {
        "wall": wall,
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "output": output.strip().splitlines()[-1:],
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def measure(settings: Settings, runs: int, warmups: int = 1) -> dict[str, Any]:
    """Both commands on one index, alternating, after ``warmups`` untimed rounds of each."""
    env = _env(settings)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in COMMANDS}
    for i in range(warmups + runs):
        for name, cmd in COMMANDS.items():
            run = time_process(cmd, env)
            if i >= warmups:  # the first rounds warm the file cache
                samples[name].append(run)
    out: dict[str, Any] = {}
    for name, runs_of in samples.items():
        out[name] = {
            figure: _spread([r[figure] for r in runs_of]) for figure in ("wall", "user", "sys", "peak_mb")
        }
        out[name]["output"] = runs_of[-1]["output"]
    return out


def _build_in_a_child(work: Path, documents: int, total_bytes: int) -> dict[str, Settings]:
    """:func:`build_indexes` in a process of its own.

    A child process starts with its parent's peak memory as its own (Linux keeps it across fork
    and exec), so the timed commands are started from this process, which never loads the
    ingest stack.
    """
    code = (
        "import sys\nfrom pathlib import Path\nfrom bench.reingest import build_indexes\n"
        "build_indexes(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(
        [sys.executable, "-c", code, str(work), str(documents), str(total_bytes)], env=env, check=True
    )
    return {
        name: Settings.from_env(environ={}, corpus_dir=work / name / "corpus", data_dir=work / name / "data")
        for name in ("seed", "documents")
    }


def run(
    out: Path, work: Path, runs: int, documents: int, total_bytes: int, warmups: int = 1
) -> dict[str, Any]:
    """Build the two indexes, time both commands on each, write ``results.json`` and ``report.md``.

    ``warmups``: untimed rounds of both commands before the timed ones (0 for a smoke test, whose
    figures mean nothing anyway; 1 for figures read from a warm file cache).
    """
    from ingest.sources import list_sources

    t0 = time.perf_counter()
    indexes = _build_in_a_child(work, documents, total_bytes)
    result: dict[str, Any] = {
        "command": "python -m bench.reingest " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 1)},
        "build_seconds": round(time.perf_counter() - t0, 1),
        "runs": runs,
        "warmups": warmups,
        "corpora": {},
    }
    for name, settings in indexes.items():
        files = list_sources(settings.corpus_dir)
        result["corpora"][name] = {
            "documents": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            **measure(settings, runs, warmups),
        }
    result["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 1)
    result["targets"] = {
        f"{name}: kezhuan ingest unchanged <= {TARGET_SECONDS} s": figures["kezhuan ingest"]["wall"]["median"]
        <= TARGET_SECONDS
        for name, figures in result["corpora"].items()
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write_markdown(result, out / "report.md")
    return result


def write_markdown(result: dict[str, Any], path: Path) -> None:
    """The figures of one run as a Markdown table."""
    machine = result["machine"]
    lines = [
        "# `kezhuan ingest` on an unchanged corpus, as a new process",
        "",
        f"`{result['command']}`: {result['runs']} runs of each command after "
        f"{result.get('warmups', 1)} warm-up round(s), alternating; "
        f"median (min–max). Load average {machine['load_average_at_start']} at the start, "
        f"{machine['load_average_at_end']} at the end, on {machine['cpus']} shared CPUs.",
        "",
        "| corpus | command | wall s | user s | sys s | peak MB | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, figures in result["corpora"].items():
        n = figures["documents"]
        label = f"{name} ({n} document{'' if n == 1 else 's'}, {figures['bytes'] / 1e3:,.0f} kB)"
        for command in COMMANDS:
            f = figures[command]
            cells = [
                f"{f[k]['median']:.2f} ({f[k]['min']:.2f}–{f[k]['max']:.2f})" for k in ("wall", "user", "sys")
            ]
            target = f"≤ {TARGET_SECONDS:g} s" if command == "kezhuan ingest" else "(before)"
            lines.append(
                f"| {label} | {command} | {' | '.join(cells)} | {f['peak_mb']['median']:.0f} | {target} |"
            )
    lines += [
        "",
        "`full check`: a process importing the ingest and retrieval stack and running `run_ingest`, "
        "which is what `kezhuan ingest` did on an unchanged corpus before it read the commit records "
        "without chromadb. Indexes built with a hashing embedder (no vector is read by either).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reingest", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench" / "reingest")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="corpora and indexes (default: a temp dir)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command per corpus")
    parser.add_argument(
        "--warmups", type=int, default=1, help="untimed rounds of both commands first (default 1)"
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--bytes", type=int, default=2_000_000)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, not {args.runs}")
    if args.warmups < 0:
        parser.error(f"--warmups must be 0 or more, not {args.warmups}")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kezhuan-reingest-"))
    if args.work_dir is not None:
        shutil.rmtree(work, ignore_errors=True)
    try:
        result = run(args.out, work, args.runs, args.documents, args.bytes, args.warmups)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print((args.out / "report.md").read_text(encoding="utf-8"))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
