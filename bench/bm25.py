"""``python -m bench.bm25``: kezhuan's own BM25 beside the ``bm25s`` library.

Both engines get the same token lists (:func:`core.text.index_tokens` of each passage,
as ingest stores them) and the same query tokens, with the same parameters (k1 1.2, b 0.75,
the Lucene IDF ``log(1 + (N - df + 0.5) / (df + 0.5))``; bm25s's ``lucene`` method leaves out
kezhuan's constant factor ``k1 + 1``, so its scores are kezhuan's divided by 2.2).

1. Agreement on the gold questions (``evals/sets/gold-v1.jsonl``) over the real corpus: the top 10 of
   each question, with the scores.
2. Speed and memory on synthetic corpora (:mod:`bench.synthetic`), each engine in a child
   process of its own: index build time, peak and retained memory, query latency (the gold
   questions' tokens, scored over every passage and cut to the top 10), and the time to save
   the index and load it back (kezhuan: its CSC arrays in an ``.npz``; bm25s: ``save``/``load``).

Example:
    .venv/bin/python -m bench.bm25 --sizes 10000,100000 --out reports/bench/bm25
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import load_average, peak_rss_mb, percentiles, run_child
from core.settings import PROJECT_ROOT, Settings
from core.text import index_tokens
from ingest.index import prepare_document
from ingest.load import list_sources, load_document, read_manifest

K = 10
K1, B = 1.2, 0.75
#: kezhuan's weight keeps BM25's (k1 + 1) numerator; bm25s's Lucene variant drops it.
SCALE = K1 + 1.0


#: The 205 gold questions written for the seed document.
GOLD = PROJECT_ROOT / "evals" / "sets" / "gold-v1.jsonl"


def gold_questions() -> list[str]:
    """The gold set's questions (answerable and not), in file order."""
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def corpus_tokens(corpus_dir: Path, settings: Settings) -> tuple[list[str], list[list[str]]]:
    """Passage ids and token lists of every document in ``corpus_dir``, as ingest makes them."""
    manifest = read_manifest(corpus_dir)
    ids: list[str] = []
    tokens: list[list[str]] = []
    for path in list_sources(corpus_dir):
        doc = load_document(path, corpus_dir, manifest)
        chunks, _ = prepare_document(doc, settings)
        for chunk in chunks:
            ids.append(f"{doc.source}#{chunk.id}")
            tokens.append(index_tokens(chunk.text))
    return ids, tokens


class Ours:
    """kezhuan's :class:`assistant.retrieve.BM25`."""

    name = "kezhuan"

    def __init__(self, tokens: list[list[str]]) -> None:
        from assistant.retrieve import BM25

        self.bm25 = BM25(tokens, k1=K1, b=B)

    def scores(self, query: list[str]) -> np.ndarray:
        return self.bm25.scores(query)

    def top(self, query: list[str], k: int) -> list[tuple[int, float]]:
        scores = self.bm25.scores(query)
        return [(int(i), float(scores[i])) for i in self.bm25.top(scores, k)]

    def save(self, folder: Path) -> None:
        size, vocab, idf, data, indices, indptr = self.bm25.arrays()
        np.savez(folder / "bm25.npz", idf=idf, data=data, indices=indices, indptr=indptr, size=size)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def load(folder: Path) -> Any:
        from assistant.retrieve import BM25

        arrays = np.load(folder / "bm25.npz")
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        return BM25.from_arrays(
            int(arrays["size"]), vocab, arrays["idf"], arrays["data"], arrays["indices"], arrays["indptr"]
        )


class Bm25s:
    """The ``bm25s`` library (Lucene variant, same k1 and b), scores times (k1 + 1)."""

    name = "bm25s"

    def __init__(self, tokens: list[list[str]]) -> None:
        import bm25s

        self.retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.retriever.index(tokens, show_progress=False)
        self.size = len(tokens)

    def scores(self, query: list[str]) -> np.ndarray:
        known = self.retriever.get_tokens_ids(query)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return self.retriever.get_scores(known) * SCALE

    def top(self, query: list[str], k: int) -> list[tuple[int, float]]:
        known = self.retriever.get_tokens_ids(query)
        if not known:
            return []
        docs, scores = self.retriever.retrieve([known], k=min(k, self.size), show_progress=False, n_threads=1)
        return [(int(d), float(s) * SCALE) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder / "bm25s"))

    @staticmethod
    def load(folder: Path) -> Any:
        import bm25s

        return bm25s.BM25.load(str(folder / "bm25s"), mmap=False)


ENGINES: dict[str, type[Ours] | type[Bm25s]] = {"kezhuan": Ours, "bm25s": Bm25s}


def agreement(settings: Settings) -> dict[str, Any]:
    """Both engines on the gold questions over the real corpus: do the top 10s agree?"""
    ids, tokens = corpus_tokens(settings.corpus_dir, settings)
    ours, theirs = Ours(tokens), Bm25s(tokens)
    questions = gold_questions()
    same_list = same_set = same_first = 0
    worst = 0.0
    differing: list[dict[str, Any]] = []
    for question in questions:
        query = index_tokens(question)
        a, b = ours.top(query, K), theirs.top(query, K)
        worst = max(worst, float(np.max(np.abs(ours.scores(query) - theirs.scores(query)), initial=0.0)))
        same_list += [i for i, _ in a] == [i for i, _ in b]
        same_set += {i for i, _ in a} == {i for i, _ in b}
        same_first += bool(a and b and a[0][0] == b[0][0]) or (not a and not b)
        if [i for i, _ in a] != [i for i, _ in b] and len(differing) < 5:
            differing.append(
                {
                    "question": question,
                    "kezhuan": [(ids[i], round(s, 4)) for i, s in a],
                    "bm25s": [(ids[i], round(s, 4)) for i, s in b],
                }
            )
    return {
        "passages": len(ids),
        "questions": len(questions),
        "same_top10_order": same_list,
        "same_top10_set": same_set,
        "same_top1": same_first,
        "max_score_difference": worst,
        "differing_examples": differing,
    }


def _status_mb(field: str) -> float:
    """A memory line of /proc/self/status (``VmRSS``: resident now, ``VmHWM``: peak), in MB."""
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _reset_peak() -> bool:
    """Start the peak-memory count afresh (Linux: ``5`` to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def measure_engine(engine: str, tokens_file: Path, questions: list[str]) -> dict[str, Any]:
    """Build one engine over the pickled token lists and time it (run in a child process)."""
    with tokens_file.open("rb") as handle:
        tokens: list[list[str]] = pickle.load(handle)
    queries = [index_tokens(q) for q in questions]
    gc.collect()
    before = _rss_mb()
    # Loading the token lists peaks higher than any build: count the build's peak alone.
    reset = _reset_peak()
    t0 = time.perf_counter()
    index = ENGINES[engine](tokens)
    build_s = time.perf_counter() - t0
    build_peak = _status_mb("VmHWM") - before if reset else float("nan")
    gc.collect()
    retained = _rss_mb() - before
    for query in queries[:5]:  # warm-up (bm25s compiles nothing with the numpy backend, but caches)
        index.top(query, K)
    latencies = []
    for _ in range(3):
        for query in queries:
            t1 = time.perf_counter()
            index.top(query, K)
            latencies.append((time.perf_counter() - t1) * 1000)
    tops = [index.top(query, K) for query in queries]
    with tempfile.TemporaryDirectory() as folder:
        t2 = time.perf_counter()
        index.save(Path(folder))
        save_s = time.perf_counter() - t2
        disk = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
        t3 = time.perf_counter()
        ENGINES[engine].load(Path(folder))
        load_s = time.perf_counter() - t3
    return {
        "engine": engine,
        "passages": len(tokens),
        "build_s": build_s,
        "retained_mb": retained,
        "build_peak_mb": build_peak,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "query_ms": percentiles(latencies),
        "save_s": save_s,
        "load_s": load_s,
        "disk_mb": disk / 1e6,
        "load_average": load_average(),
        "tops": tops,
    }


def speed(sizes: Sequence[int], work: Path, settings: Settings) -> list[dict[str, Any]]:
    """Each engine at each synthetic size, in child processes (tokens made once per size)."""
    from bench.synthetic import write_corpus

    rows: list[dict[str, Any]] = []
    questions = gold_questions()
    questions_file = work / "questions.json"
    questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    for size in sizes:
        t0 = time.perf_counter()
        tokens_file = work / f"tokens-{size}.pkl"
        if not tokens_file.exists():  # a work folder of an earlier run keeps its corpora
            info = write_corpus(work / f"corpus-{size}", passages=size, settings=settings)
            _, tokens = corpus_tokens(info.path, settings.replace(corpus_dir=info.path))
            with tokens_file.open("wb") as handle:
                pickle.dump(tokens, handle, protocol=pickle.HIGHEST_PROTOCOL)
            del tokens
        print(f"{size}: corpus and tokens in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        for engine in ENGINES:
            child = run_child(
                [
                    sys.executable,
                    "-m",
                    "bench.bm25",
                    "--child",
                    engine,
                    str(tokens_file),
                    str(questions_file),
                ],
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                cwd=PROJECT_ROOT,
                timeout=1800,
            )
            if child.returncode != 0:
                raise RuntimeError(f"{engine} at {size} failed: {child.stderr}")
            row = json.loads(child.stdout.strip().splitlines()[-1])
            row["child_peak_rss_mb"] = child.peak_rss_mb
            if rows and rows[-1]["passages"] == row["passages"]:  # the gold questions' top 10s
                mine, theirs = rows[-1].pop("tops"), row.pop("tops")
                pairs = [
                    ([i for i, _ in a], [i for i, _ in b], a, b) for a, b in zip(mine, theirs, strict=True)
                ]
                row["same_top10_order"] = sum(a == b for a, b, _, _ in pairs)
                row["same_top10_set"] = sum(set(a) == set(b) for a, b, _, _ in pairs)
                row["same_top1"] = sum(a[:1] == b[:1] for a, b, _, _ in pairs)
                # Different ids with the same scores are ties ordered differently, not other results.
                row["same_top10_scores"] = sum(
                    len(x) == len(y)
                    and all(
                        abs(s - t) <= 1e-4 * max(1.0, abs(s)) for (_, s), (_, t) in zip(x, y, strict=False)
                    )
                    for _, _, x, y in pairs
                )
            rows.append(row)
            print(
                f"{size} {engine}: build {row['build_s']:.1f} s, retained {row['retained_mb']:.0f} MB, "
                f"build peak {row['build_peak_mb']:.0f} MB, "
                f"query p50 {row['query_ms']['p50']:.2f} ms",
                file=sys.stderr,
                flush=True,
            )
    return rows


def report(result: dict[str, Any]) -> str:
    """The figures as Markdown."""
    a = result["agreement"]
    lines = [
        "# kezhuan BM25 vs bm25s",
        "",
        f"Gold questions over the real corpus ({a['passages']} passages, {a['questions']} questions): "
        f"same top-10 order {a['same_top10_order']}/{a['questions']}, same top-10 set "
        f"{a['same_top10_set']}/{a['questions']}, same first passage {a['same_top1']}/{a['questions']}; "
        f"largest score difference {a['max_score_difference']:.2e}.",
        "",
        "| passages | engine | build s | build peak MB | retained MB | query p50 ms | p95 ms "
        "| save s | load s | on disk MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["speed"]:
        lines.append(
            f"| {r['passages']:,} | {r['engine']} | {r['build_s']:.1f} | {r['build_peak_mb']:.0f} | "
            f"{r['retained_mb']:.0f} | {r['query_ms']['p50']:.2f} | "
            f"{r['query_ms']['p95']:.2f} | {r['save_s']:.2f} | {r['load_s']:.2f} | {r['disk_mb']:.1f} |"
        )
    for r in result["speed"]:
        if "same_top10_order" in r:
            n = len(gold_questions())
            lines.append(
                f"\nAt {r['passages']:,} passages the gold questions' top 10s: same order "
                f"{r['same_top10_order']}/{n}, same set {r['same_top10_set']}/{n}, same scores (ties "
                f"aside) {r['same_top10_scores']}/{n}, same first {r['same_top1']}/{n}."
            )
    lines += [
        "",
        "Build peak: resident memory the build added at its highest, over the token lists already "
        "loaded; retained: what the built index keeps. Query: the gold questions' tokens scored over "
        "every passage and cut to the top 10, three rounds.",
        "",
        f"Measured {result['when']} on a 2-core machine shared with other work (load average at the end "
        f"{result['load_average']:.1f}; each engine's child saw its own, see results.json).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bm25", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="synthetic sizes in passages (comma-separated)"
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench" / "bm25")
    parser.add_argument("--work-dir", type=Path, help="scratch folder (default: a new one under /tmp)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "TOKENS", "QUESTIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, tokens_file, questions_file = args.child
        questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
        print(json.dumps(measure_engine(engine, Path(tokens_file), questions)))
        return 0
    try:
        import bm25s  # noqa: F401
    except ImportError:
        print("bm25s is not installed: pip install 'bm25s==0.3.16'", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="kezhuan-bm25-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"agreement": agreement(settings)}
    print(
        json.dumps({k: v for k, v in result["agreement"].items() if k != "differing_examples"}),
        file=sys.stderr,
    )
    result["speed"] = speed(sizes, work, settings)
    result["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result["load_average"] = load_average()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    (args.out / "report.md").write_text(report(result), encoding="utf-8")
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
