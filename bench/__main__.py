"""``python -m bench``: measure ingest, queries, cold start and memory; write the report.

Examples:
    .venv/bin/python -m bench                               # seed + 1k/10k/100k, about an hour
    .venv/bin/python -m bench --quick --out /tmp/bench-quick  # seconds to a minute: seed + 200
    .venv/bin/python -m bench --sizes 1000,10000 --no-baseline
    .venv/bin/python -m bench --load                        # also the HTTP load test (bench.load)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import merge_results, write_report
from bench.run import BenchConfig, run_benchmark
from core.settings import PROJECT_ROOT


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--sizes takes comma-separated passage counts, not {text!r}") from e
    if any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"--sizes must be positive, not {text!r}")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench``."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[1000, 10_000, 100_000],
        help="synthetic corpus sizes in passages (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_ROOT / "reports" / "bench" / stamp,
        help="report folder (default reports/bench/<stamp>)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="scratch folder for corpora and indexes (default: a new folder under /tmp)",
    )
    parser.add_argument(
        "--real-encode-up-to",
        type=int,
        default=10_000,
        help="largest size embedded for real; larger ones use composed vectors and an estimated encode time (default 10000)",
    )
    parser.add_argument("--questions", type=int, default=100, help="questions timed per size (default 100)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold starts per size (default 3)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed corpus")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed of the synthetic corpora (default 0)")
    parser.add_argument("--keep", action="store_true", help="keep corpora and indexes")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the synthetic corpora and indexes an earlier --keep run left in --work-dir "
        "(their ingest figures are that run's; everything else is measured again)",
    )
    parser.add_argument(
        "--rebuild-cold-runs",
        type=int,
        default=1,
        help="cold starts per size with the retrieval snapshot deleted first, as after an ingest (default 1)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: seed + 200 passages, composed vectors only, 10 questions, 1 cold start, "
        "1 unchanged re-ingest",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        nargs="+",
        metavar="RESULTS_JSON",
        help="measure nothing: write the report from earlier results.json files (merged, in order) into --out",
    )
    parser.add_argument(
        "--load-data-dir",
        type=Path,
        help="KEZHUAN_DATA_DIR of the server the load test starts (default: the server's own setting)",
    )
    parser.add_argument(
        "--load", action="store_true", help="also run the HTTP load test (bench.load.run_load) into OUT/load"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write ``results.json``, ``report.md`` and ``bench.png``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.report_from:
        parts = [json.loads(path.read_text(encoding="utf-8")) for path in args.report_from]
        paths = write_report(merge_results(parts), args.out)
        print(f"Wrote {paths['markdown']}, {paths['json']} and {paths['plot']}")
        return 0
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kezhuan-bench-"))
    config = BenchConfig(
        out_dir=args.out,
        work_dir=work,
        sizes=args.sizes,
        real_encode_up_to=args.real_encode_up_to,
        questions=args.questions,
        cold_runs=args.cold_runs,
        baseline=not args.no_baseline,
        seed=args.seed,
        keep=args.keep,
        include_seed=not args.no_seed,
        reuse=args.reuse,
        rebuild_cold_runs=args.rebuild_cold_runs,
    )
    if args.quick:
        config.sizes, config.real_encode_up_to, config.questions = [200], 0, 10
        config.cold_runs, config.compare_cold, config.seed_real, config.estimate_sample = 1, False, False, 32
        config.reingest_runs = 1
    results = run_benchmark(config, progress=logging.getLogger("bench").info)
    paths = write_report(results, args.out)
    if args.load:
        # The HTTP load test lives in bench/load.py (its own report); hooked in here when present.
        if importlib.util.find_spec("bench.load") is None:
            print("bench.load is not available: no load test run.", file=sys.stderr)
        else:
            from bench.load import run_load

            run_load(args.out / "load", data_dir=args.load_data_dir)
    print(f"Wrote {paths['markdown']}, {paths['json']} and {paths['plot']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
