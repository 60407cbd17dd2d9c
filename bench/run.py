"""The benchmark run: every size's phases in child processes, collected into one results dict.

For the seed corpus and each synthetic size: generate the corpus (:mod:`bench.synthetic`),
then in fresh processes (:mod:`bench.worker`) measure ingest (bare encode, real ingest into an
empty data folder, unchanged re-ingest), warm query latencies, and the LangChain baseline; and
as plain subprocesses, the cold start of ``kezhuan ask`` and the unchanged re-ingest by
``kezhuan ingest``. Results are saved after every size, so an interrupted run keeps them.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import ChildRun, load_average, machine, run_child
from core.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

#: The issue's targets.
TARGETS = {
    "ingest_ratio": 1.3,
    "reingest_10k_s": 2.0,
    "ask_p50_100k_ms": 300.0,
    "retrieval_p50_100k_ms": 50.0,
    "cold_start_s": 10.0,
    "peak_memory_mb": 2560.0,
}
#: The question the cold start asks (the README's example).
COLD_QUESTION = "成果歸屬及運用辦法的新創專章給了執行單位什麼好處？"


@dataclass
class BenchConfig:
    """What to run.

    Attributes:
        out_dir: Report folder.
        work_dir: Scratch folder for corpora and data folders (under /tmp).
        sizes: Synthetic corpus sizes in passages.
        real_encode_up_to: Largest size embedded for real (twice: bare encode and ingest); larger
            sizes use composed vectors and an estimated encode time (see :mod:`bench.vectors`).
        questions: Questions timed per size (single-turn gold questions, seeded order).
        cold_runs: Cold starts of ``kezhuan ask`` per size (the median is reported).
        baseline: Also measure the LangChain baseline.
        seed: RNG seed of the synthetic corpora and the question order.
        keep: Keep the data folders after the run.
        include_seed: Measure the seed corpus too.
        seed_real: Embed the seed for real (it is small); ``--quick`` composes its vectors too.
        estimate_sample: Texts embedded to estimate a corpus's encode time when it is not embedded whole.
        compare_cold: On the seed, also time cold starts with questions embedded by
            sentence-transformers (the old default) and the baseline script's cold start.
        reuse: Reuse the corpus and index a ``keep`` run left in ``work_dir`` for a synthetic size
            (its ingest figures come from that run); the other phases are measured again.
        rebuild_cold_runs: Cold starts per size with the retrieval snapshot file deleted first
            (the first start after an ingest, which reads every passage and saves the file).
        reingest_runs: Unchanged re-ingests timed per size, in the ingest worker (the median is
            reported).
    """

    out_dir: Path
    work_dir: Path
    sizes: list[int] = field(default_factory=lambda: [1000, 10_000, 100_000])
    real_encode_up_to: int = 10_000
    questions: int = 100
    cold_runs: int = 3
    baseline: bool = True
    seed: int = 0
    keep: bool = False
    include_seed: bool = True
    seed_real: bool = True
    compare_cold: bool = True
    estimate_sample: int = 256
    reuse: bool = False
    rebuild_cold_runs: int = 1
    reingest_runs: int = 3

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        out = asdict(self)
        out["out_dir"] = str(self.out_dir)
        out["work_dir"] = str(self.work_dir)
        return out


def gold_questions(n: int, seed: int = 0) -> list[str]:
    """``n`` single-turn questions of the gold set (answerable and to-refuse), in a seeded order."""
    from evals.dataset import load_gold

    cases = [c for c in load_gold().values() if not c.history]
    cases.sort(key=lambda c: c.id)
    random.Random(seed).shuffle(cases)
    return [c.question for c in cases[:n]]


class Runner:
    """Runs the phases for one configuration and collects the results.

    Args:
        config: What to run.
        progress: Called with one line per step (default: log it).
    """

    def __init__(self, config: BenchConfig, progress: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.progress = progress or log.info
        self.python = sys.executable
        self.kezhuan = str(Path(sys.executable).with_name("kezhuan"))
        self.models = config.work_dir / "models"
        self.clause_vectors = config.work_dir / "clauses.npz"
        self.questions = gold_questions(config.questions, config.seed)

    # -- plumbing -------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """The children's environment: offline, and no KEZHUAN_* settings from the caller."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEZHUAN_")}
        env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(PROJECT_ROOT))
        env.update(extra)
        return env

    def worker(self, phase: str, config: dict[str, Any], label: str) -> dict[str, Any]:
        """Run a :mod:`bench.worker` phase; its result plus the child's wall time and peak memory."""
        folder = self.config.work_dir / "runs"
        folder.mkdir(parents=True, exist_ok=True)
        cfg, out = folder / f"{label}-{phase}.json", folder / f"{label}-{phase}.out.json"
        cfg.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        self.progress(f"{label}: {phase} …")
        run = run_child(
            [self.python, "-m", "bench.worker", phase, str(cfg), str(out)], env=self.env(), cwd=PROJECT_ROOT
        )
        if run.returncode != 0:
            raise RuntimeError(f"bench worker {phase} ({label}) failed ({run.returncode}):\n{run.stderr}")
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result["process_s"] = run.seconds
        result["process_peak_rss_mb"] = run.peak_rss_mb
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")  # for --reuse
        self.progress(f"{label}: {phase} done in {run.seconds:.1f} s (peak {run.peak_rss_mb:.0f} MB)")
        return result

    def command(self, argv: list[str], data_dir: Path, corpus_dir: Path, **env: str) -> ChildRun:
        """Run a ``kezhuan`` command on one index; raises when it fails."""
        run = run_child(
            argv,
            env=self.env(KEZHUAN_DATA_DIR=str(data_dir), KEZHUAN_CORPUS_DIR=str(corpus_dir), **env),
            cwd=PROJECT_ROOT,
        )
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({run.returncode}):\n{run.stderr}")
        return run

    def cold_starts(
        self, data_dir: Path, corpus_dir: Path, runs: int, rebuild: bool = False, **env: str
    ) -> dict[str, Any]:
        """``kezhuan ask`` from process start to answer: median and worst of ``runs``.

        With ``rebuild``, the retrieval snapshot file is deleted before each run, as after an ingest.
        """
        from assistant.retrieve import snapshot_path

        snapshot = snapshot_path(Settings.from_env(environ={}, data_dir=data_dir, corpus_dir=corpus_dir))
        got = []
        for _ in range(runs):
            if rebuild:
                snapshot.unlink(missing_ok=True)
            got.append(self.command([self.kezhuan, "ask", COLD_QUESTION], data_dir, corpus_dir, **env))
        return {
            "snapshot_found": not rebuild,
            "seconds": statistics.median(r.seconds for r in got),
            "max_s": max(r.seconds for r in got),
            "runs_s": [r.seconds for r in got],
            "peak_rss_mb": max(r.peak_rss_mb for r in got),
        }

    # -- the run --------------------------------------------------------------------------
    def prepare(self) -> None:
        """Convert the bundled model once into a shared cache, and embed the seed clauses if needed."""
        from ingest.e5_convert import ensure_e5_model

        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        ensure_e5_model(self.models)
        if not self.clause_vectors.exists():
            data_dir = self.data_dir("clauses")
            self.worker(
                "clauses",
                {
                    "corpus_dir": str(Settings.from_env(environ={}).corpus_dir),
                    "data_dir": str(data_dir),
                    "clause_vectors": str(self.clause_vectors),
                },
                "prepare",
            )

    def reusable(self, label: str) -> dict[str, Any] | None:
        """The ingest figures of a kept earlier run of this size, if its corpus and index are there."""
        folder = self.config.work_dir / label
        saved = self.config.work_dir / "runs" / f"{label}-ingest.out.json"
        if (
            not (folder / "corpus").is_dir()
            or not (folder / "data" / "chroma").is_dir()
            or not saved.is_file()
        ):
            return None
        ingest: dict[str, Any] = json.loads(saved.read_text(encoding="utf-8"))
        ingest.setdefault("process_s", float("nan"))  # saved by an older bench: not known
        ingest.setdefault("process_peak_rss_mb", float("nan"))
        ingest["reused_from"] = str(saved)
        return ingest

    def data_dir(self, label: str) -> Path:
        """A fresh data folder that shares the converted model."""
        data_dir = self.config.work_dir / label / "data"
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        (data_dir / "models").symlink_to(self.models, target_is_directory=True)
        return data_dir

    def measure(self, label: str, size: int | None) -> dict[str, Any]:
        """All measurements for the seed (``size`` None) or one synthetic size."""
        from bench.synthetic import write_corpus

        c = self.config
        started = time.time()
        entry: dict[str, Any] = {"label": label, "load_average_start": load_average()}
        reused = self.reusable(label) if c.reuse and size is not None else None
        if size is None:
            corpus_dir = Settings.from_env(environ={}).corpus_dir
        elif reused is not None:
            corpus_dir = c.work_dir / label / "corpus"
            self.progress(f"{label}: reusing the corpus and index in {corpus_dir.parent}")
            entry["corpus"] = json.loads((corpus_dir.parent / "corpus-info.json").read_text(encoding="utf-8"))
        else:
            corpus_dir = c.work_dir / label / "corpus"
            self.progress(f"{label}: generating {size} passages …")
            info = write_corpus(corpus_dir, size, seed=c.seed, settings=Settings.from_env(environ={}))
            entry["corpus"] = info.to_dict()
        real = c.seed_real if size is None else size <= c.real_encode_up_to
        data_dir = c.work_dir / label / "data" if reused is not None else self.data_dir(label)
        base = {
            "corpus_dir": str(corpus_dir),
            "data_dir": str(data_dir),
            "real_encode": real,
            "clause_vectors": str(self.clause_vectors),
            "questions": self.questions,
            "estimate_sample": c.estimate_sample,
            "reingest_runs": c.reingest_runs,
        }
        entry["ingest"] = reused if reused is not None else self.worker("ingest", base, label)
        cli = self.command([self.kezhuan, "ingest", "--no-progress"], data_dir, corpus_dir)
        entry["reingest_cli"] = {"seconds": cli.seconds, "peak_rss_mb": cli.peak_rss_mb}
        entry["query"] = self.worker("query", base, label)
        self.progress(f"{label}: cold starts …")
        entry["cold_start"] = self.cold_starts(data_dir, corpus_dir, c.cold_runs)
        if c.rebuild_cold_runs:
            self.progress(f"{label}: cold starts without the retrieval snapshot …")
            entry["cold_start_rebuild"] = self.cold_starts(
                data_dir, corpus_dir, c.rebuild_cold_runs, rebuild=True
            )
        if (
            size is None and c.compare_cold
        ):  # the old default: questions embedded by sentence-transformers (torch)
            entry["cold_start_torch_queries"] = self.cold_starts(
                data_dir, corpus_dir, c.cold_runs, KEZHUAN_QUERY_EMBEDDING_BACKEND="sentence-transformers"
            )
        if c.baseline:
            entry["baseline"] = self.worker("baseline", base, label)
            if size is None and c.compare_cold:
                cold = [self.worker("baseline-cold", base, label) for _ in range(c.cold_runs)]
                entry["baseline"]["cold_start"] = {
                    "seconds": statistics.median(r["process_s"] for r in cold),
                    "runs_s": [r["process_s"] for r in cold],
                    "peak_rss_mb": max(r["process_peak_rss_mb"] for r in cold),
                }
        if not c.keep and reused is None:
            shutil.rmtree(data_dir, ignore_errors=True)
            if size is not None:
                shutil.rmtree(corpus_dir, ignore_errors=True)
        entry["load_average_end"] = load_average()
        entry["wall_s"] = time.time() - started
        return entry


def run_benchmark(config: BenchConfig, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure everything the configuration asks for; write ``results.json`` as it goes.

    Args:
        config: What to run.
        progress: Called with one line per step.

    Returns:
        The results: ``config``, ``machine``, ``targets`` and one entry per size.
    """
    runner = Runner(config, progress)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "config": config.to_dict(),
        "machine": machine(),
        "targets": TARGETS,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "sizes": [],
    }
    runner.prepare()
    plan: list[tuple[str, int | None]] = [("seed", None)] if config.include_seed else []
    plan += [(_label(n), n) for n in config.sizes]
    for label, size in plan:
        results["sizes"].append(runner.measure(label, size))
        (config.out_dir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if not config.keep and not config.reuse:
        shutil.rmtree(config.work_dir, ignore_errors=True)
    return results


def _label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)
