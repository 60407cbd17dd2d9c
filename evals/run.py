"""Run the gold set through the assistant, its ablations and the baseline, and write a report.

Variants:

* ``hybrid`` — the assistant as shipped (dense + BM25 fused); the primary variant.
* ``dense`` / ``bm25`` — the same assistant with one retriever (``ask(..., mode=...)``).
* ``baseline`` — the ten-line LangChain recipe of :mod:`evals.baseline`.

Corpora: each case says on which evaluation corpora it holds (``evals/corpora/seed``: the
product corpus; ``evals/corpora/multi``: the seed plus real public documents that compete with
it). A run on a corpus first brings that corpus's own index (in ``<data_dir>/eval/<corpus>``)
up to date, then asks the cases valid there.

Splits: every case is ``dev`` or ``test`` (fixed by a hash of its id). Tune on dev. A run that
includes test cases of the shipped sets reports them only as figures: no test question, answer
or failure is written to ``results.jsonl`` or the report, so nobody tunes by reading them.

Every case is asked once per variant (with its conversation history); retrieval metrics use
a separate depth-10 ``retrieve`` call where the variant has one. The run writes
``results.jsonl``, ``summary.json``, ``report.md`` and PNG plots into the output folder (one
sub-folder per corpus when several are run).

Usage::

    python -m evals.run                                    # seed corpus, dev split, every variant
    python -m evals.run --corpus seed,multi --split test   # figures only, both corpora
    python -m evals.run --variants hybrid --limit 20       # a quick look
    python -m evals.run --fail-under citation_recall=0.90,multi:key_facts=0.80
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.lexicon import forget_domain_words
from assistant.reply import Passage, Reply
from core.errors import DocumentReadError, KezhuanError
from core.settings import Settings
from evals.dataset import CORPORA, DEFAULT_GOLD_PATH, SPLITS, GoldCase, dev_half, load_gold, select_cases
from evals.metrics import (
    HIGHER_IS_BETTER,
    HIT_KS,
    CaseScore,
    SourceTexts,
    aggregate,
    breakdown,
    failure_kinds,
    score_case,
)

log = logging.getLogger(__name__)

#: Variants the runner knows, primary first.
VARIANTS: tuple[str, ...] = ("hybrid", "dense", "bm25", "baseline")
#: Assistant variants: the retrieval mode passed to ``ask``.
ASSISTANT_MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
#: Depth of the retrieval call used for hit@k and MRR.
RETRIEVAL_DEPTH = max(HIT_KS)
#: A variant that raises on this many cases in a row is broken (index gone, model missing):
#: the run stops instead of scoring every remaining case as an error.
MAX_CONSECUTIVE_ERRORS = 5
#: The evaluation corpora, one folder each (documents, ``manifest.json``, ``glossary.json``).
EVAL_CORPORA_DIR = Path(__file__).resolve().parent / "corpora"
#: ``--split`` choices: one split, or ``all`` (both, test still reported as figures only).
SPLIT_CHOICES: tuple[str, ...] = (*SPLITS, "all")

Message = dict[str, str]


class EvalError(KezhuanError, ValueError):
    """The evaluation was asked for something it cannot do (bad variant, bar or limit)."""


class Variant(Protocol):
    """Anything that answers like the assistant."""

    def ask(self, question: str, history: list[Message] | None = None) -> Reply:
        """Answer one question."""
        ...


class ModeVariant:
    """The assistant with its retrieval fixed to one mode.

    Args:
        assistant: An :class:`assistant.Assistant` (or anything with its ``ask``/``retrieve``).
        mode: ``hybrid``, ``dense`` or ``bm25``.
    """

    def __init__(self, assistant: Any, mode: str) -> None:
        self.assistant = assistant
        self.mode = mode

    def ask(self, question: str, history: list[Message] | None = None) -> Reply:
        """``assistant.ask`` in this mode."""
        return self.assistant.ask(question, history, mode=self.mode)

    def retrieve(
        self, question: str, history: list[Message] | None = None, k: int | None = None
    ) -> list[Passage]:
        """``assistant.retrieve`` in this mode."""
        return self.assistant.retrieve(question, history, k=k, mode=self.mode)


@dataclass
class VariantRun:
    """One variant's pass over the gold set.

    Attributes:
        name: Variant name.
        scores: Per-case scores, in gold order.
        rows: Per-case records as written to ``results.jsonl``.
        seconds: Wall time of the pass.
    """

    name: str
    scores: list[CaseScore] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class EvalResult:
    """What :func:`run_eval` produced.

    Attributes:
        out_dir: Folder the files were written to.
        primary: Name of the primary variant (the first one run).
        summary: The content of ``summary.json``.
        runs: Each variant's pass, by name.
        failed_bars: One line per ``fail_under`` bar missed; empty when all were met.
        files: Files written.
    """

    out_dir: Path
    primary: str
    summary: dict[str, Any]
    runs: dict[str, VariantRun]
    failed_bars: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every ``fail_under`` bar was met."""
        return not self.failed_bars

    def metric(self, name: str, variant: str | None = None) -> Any:
        """A metric of a variant (default: the primary one)."""
        return self.summary["variants"][variant or self.primary]["metrics"][name]


# ------------------------------------------------------------------ checks


def check_variants(variants: Sequence[str]) -> list[str]:
    """The variants, validated and de-duplicated in order.

    Raises:
        EvalError: a name is unknown or the list is empty.
    """
    names = list(dict.fromkeys(v.strip() for v in variants if v.strip()))
    if not names:
        raise EvalError(f"No variant to run. Choose from {', '.join(VARIANTS)}.")
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise EvalError(f"Unknown variant(s) {', '.join(unknown)}. Choose from {', '.join(VARIANTS)}.")
    return names


def check_fail_under(fail_under: Mapping[str, float] | None, variants: Sequence[str]) -> dict[str, float]:
    """The bars, validated.

    A key is a metric (checked on the primary variant) or ``variant.metric``.

    Raises:
        EvalError: an unknown metric or variant, or a bar outside 0-1.
    """
    bars = dict(fail_under or {})
    for key, bar in bars.items():
        variant, _, metric = key.rpartition(":")[2].rpartition(".")
        if metric not in HIGHER_IS_BETTER:
            raise EvalError(
                f"--fail-under {key}={bar}: {metric!r} is not a metric a bar applies to; "
                f"use one of {', '.join(HIGHER_IS_BETTER)}."
            )
        if variant and variant not in variants:
            raise EvalError(
                f"--fail-under {key}={bar}: variant {variant!r} is not being run ({', '.join(variants)})."
            )
        if not 0.0 <= bar <= 1.0:
            raise EvalError(f"--fail-under {key}={bar}: a bar must be between 0 and 1.")
    return bars


def parse_fail_under(text: str) -> dict[str, float]:
    """Parse ``"citation_recall=0.95,key_facts=0.9"`` into a dict.

    Raises:
        EvalError: an item is not ``metric=number``.
    """
    bars: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            bars[name.strip()] = float(value)
        except ValueError as e:
            raise EvalError(
                f"--fail-under item {item.strip()!r} is not metric=number "
                "(e.g. citation_recall=0.95,key_facts=0.95,refusal=0.95)."
            ) from e
    return bars


def missed_bars(summary: Mapping[str, Any], primary: str, bars: Mapping[str, float]) -> list[str]:
    """One line per bar a variant's metric is below (or could not be computed for)."""
    missed = []
    for key, bar in bars.items():
        variant, _, metric = key.rpartition(".")
        variant = variant or primary
        value = summary["variants"][variant]["metrics"].get(metric)
        if value is None:
            missed.append(f"{variant} {metric}: not measured (no case it applies to) < {bar:.3f}")
        elif value < bar:
            missed.append(f"{variant} {metric} = {value:.3f} < {bar:.3f}")
    return missed


# ------------------------------------------------------------------ loading


def load_source_texts(settings: Settings) -> SourceTexts:
    """The cleaned text of every document in the corpus folder, for placing quotes.

    Raises:
        DocumentReadError: the corpus folder does not exist.
    """
    from ingest.clean import clean_text
    from ingest.load import list_sources, load_document, read_manifest

    manifest = read_manifest(settings.corpus_dir)
    texts: dict[str, str] = {}
    maps: dict[str, list[int]] = {}
    for path in list_sources(settings.corpus_dir):
        try:
            doc = load_document(path, settings.corpus_dir, manifest, settings)
        except DocumentReadError as e:
            log.warning("Scoring without %s: %s", path, e)
            continue
        plain = clean_text(doc.raw, markdown=doc.kind == "md")
        texts[doc.source] = plain.text
        if doc.cleaned is not None and doc.cleaned.text != plain.text:
            # Citations' offsets refer to the structured parse the index holds; gold quotes
            # are placed in the plain cleaning: both map back to the raw file.
            at_raw = {raw: i for i, raw in enumerate(plain.raw_offsets) if raw >= 0}
            maps[doc.source] = [at_raw.get(raw, -1) if raw >= 0 else -1 for raw in doc.cleaned.raw_offsets]
    return SourceTexts(texts, maps)


def _load_assistant(settings: Settings) -> Any:
    from assistant import Assistant

    return Assistant.load(settings)


def _load_baseline(settings: Settings, embeddings: Any) -> Variant:
    from evals.baseline import Baseline

    return Baseline.build(settings, embeddings=embeddings)


# ------------------------------------------------------------------ running


def _citation_record(citation: Any) -> dict[str, Any]:
    return {
        "n": citation.n,
        "quote": citation.quote,
        "start": citation.start,
        "end": citation.end,
        "source": citation.source,
        "section": citation.section,
        "passage_id": citation.passage_id,
        "quotes": [{"quote": q.quote, "start": q.start, "end": q.end} for q in citation.quotes],
    }


def _row(
    variant: str, case: GoldCase, reply: Reply | None, ranking: Sequence[Passage], score: CaseScore
) -> dict[str, Any]:
    scores = score.to_dict()
    for name in (
        "id",
        "section",
        "kind",
        "lang",
        "answerable",
        "refused",
        "error",
        "latency_ms",
        "failures",
        "notes",
    ):
        scores.pop(name, None)
    return {
        "variant": variant,
        "id": case.id,
        "question": case.question,
        "history_turns": len(case.history),
        "section": case.section,
        "kind": case.kind,
        "lang": case.lang,
        "answerable": case.answerable,
        "answer": reply.answer if reply else "",
        "refused": score.refused,
        "error": score.error,
        "search_query": reply.search_query if reply else "",
        "citations": [_citation_record(c) for c in reply.citations] if reply else [],
        "retrieved": [p.id for p in reply.retrieved] if reply else [],
        "ranking": [p.id for p in ranking],
        "scores": scores,
        "failures": list(score.failures),
        "notes": list(score.notes),
        "latency_ms": round(score.latency_ms, 2),
        # Who wrote the answer: "extractive", or the LLM backend; "fallback" when it failed.
        "generator": _generator_of(reply),
        # Which signal, veto or rule refused it (the reply's ``decided_by``); "" for an answer.
        "decided_by": str(reply.notes.get("decided_by", "")) if reply and reply.refused else "",
    }


def _generator_of(reply: Reply | None) -> str:
    notes = reply.notes if reply is not None else {}
    if notes.get("fallback"):
        return "fallback"
    return str(notes.get("generator", ""))


def refusals_by_rule(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """How often each signal, veto or rule refused, and how often rightly.

    Args:
        rows: Result rows (:func:`_row`), with ``answerable``, ``refused`` and ``decided_by``.

    Returns:
        ``{decided_by: {"right": refused unanswerable, "wrong": refused answerable}}``, most
        frequent first; a refusal without a recorded rule counts under ``"(none)"``.
    """
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        if not row["refused"]:
            continue
        cell = counts.setdefault(row.get("decided_by") or "(none)", {"right": 0, "wrong": 0})
        cell["wrong" if row["answerable"] else "right"] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


def _half_group(score: CaseScore) -> str:
    """``"dev half 0"``, ``"dev half 1"`` (:func:`evals.dataset.dev_half`) or ``"test"``."""
    return f"dev half {dev_half(score.id)}" if score.split == "dev" else score.split or "(no split)"


#: The section group of answerable cases whose evidence is in a document without the seed's
#: sections (the gold set names sections of the seed document only).
OTHER_DOCUMENTS = "(another document)"


def _section_group(score: CaseScore) -> str:
    """A case's row in the by-section breakdown: its gold section; ``""`` when unanswerable."""
    return score.section or ("" if not score.answerable else OTHER_DOCUMENTS)


def _generator_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many answers each generator wrote (``fallback``: the LLM failed)."""
    counts: dict[str, int] = {}
    for row in rows:
        name = row.get("generator") or "none"
        counts[name] = counts.get(name, 0) + 1
    return counts


def run_variant(
    name: str,
    variant: Variant,
    cases: Sequence[GoldCase],
    texts: SourceTexts | None,
    progress: bool = True,
) -> VariantRun:
    """Ask every case of one variant and score the replies.

    An exception from the variant is recorded as that case's error (and scored as a failure)
    so one bad case does not lose the run; :data:`MAX_CONSECUTIVE_ERRORS` in a row stop it.

    Args:
        name: Variant name (for the progress bar and the rows).
        variant: The variant.
        cases: Gold cases, in order.
        texts: Cleaned source texts for placing quotes.
        progress: Show a tqdm progress bar.

    Raises:
        EvalError: the variant raised on :data:`MAX_CONSECUTIVE_ERRORS` cases in a row.
    """
    from tqdm import tqdm

    run = VariantRun(name)
    retrieve = getattr(variant, "retrieve", None)
    t_start = time.perf_counter()
    consecutive_errors = 0
    if cases:  # warm-up: the first call may load a model or fill caches; keep it out of latency
        try:
            variant.ask(cases[0].question, list(cases[0].history))
        except Exception as e:  # noqa: BLE001 - the timed call reports it properly
            log.debug("Warm-up of %s failed: %s", name, e)
    for case in tqdm(cases, desc=f"eval {name}", unit="q", disable=not progress):
        history = [dict(turn) for turn in case.history]
        reply: Reply | None = None
        error = ""
        t0 = time.perf_counter()
        try:
            reply = variant.ask(case.question, history)
        except Exception as e:  # noqa: BLE001 - recorded per case, the run goes on
            error = f"{type(e).__name__}: {e}"
            log.warning("%s failed on %s: %s", name, case.id, error)
            consecutive_errors += 1
            if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                raise EvalError(
                    f"Stopped: variant {name!r} raised on {consecutive_errors} cases in a row, the last "
                    f"({case.id}) with {error}. Check the index and model (`kezhuan ingest`; was the "
                    "index rebuilt during the run?) and run the evaluation again."
                ) from e
        else:
            consecutive_errors = 0
        latency_ms = (time.perf_counter() - t0) * 1000
        ranking: list[Passage] = list(reply.retrieved) if reply else []
        if retrieve is not None and reply is not None:
            try:
                ranking = list(retrieve(case.question, history, k=RETRIEVAL_DEPTH))
            except Exception as e:  # noqa: BLE001 - fall back to what the answer saw
                log.warning("%s retrieve failed on %s (%s); using the reply's passages", name, case.id, e)
        score = score_case(case, reply, texts, ranking=ranking, latency_ms=latency_ms, error=error)
        run.scores.append(score)
        run.rows.append(_row(name, case, reply, ranking, score))
    run.seconds = time.perf_counter() - t_start
    return run


def _settings_record(settings: Settings) -> dict[str, Any]:
    keep = (
        "corpus_dir",
        "collection",
        "embedding_backend",
        "embedding_model",
        "chunk_chars",
        "top_k",
        "retrieval_mode",
        "refusal_threshold",
        "max_answer_sentences",
        "generator",
    )
    record = {
        name: str(getattr(settings, name)) if name.endswith("_dir") else getattr(settings, name)
        for name in keep
    }
    if settings.generator != "extractive":  # which model, never the API key
        from assistant.generate import llm_label

        record["llm"] = llm_label(settings)
        record["llm_max_tokens"] = settings.llm_max_tokens
        record["llm_context_passages"] = settings.llm_context_passages
    return record


def default_out_dir(now: datetime | None = None) -> Path:
    """``reports/<UTC timestamp>`` under the current directory."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path("reports") / stamp


def corpus_settings(settings: Settings, corpus: str) -> Settings:
    """Settings that point at one evaluation corpus and its own index.

    Args:
        settings: The base settings (models, retrieval, generator).
        corpus: One of :data:`evals.dataset.CORPORA`.

    Returns:
        ``settings`` with ``corpus_dir`` = ``evals/corpora/<corpus>`` and ``data_dir`` =
        ``<data_dir>/eval/<corpus>`` (so the product index is never touched).

    Raises:
        EvalError: An unknown corpus, or its folder is missing.
    """
    if corpus not in CORPORA:
        raise EvalError(f"corpus must be one of {', '.join(CORPORA)}. Currently, corpus is {corpus!r}.")
    folder = EVAL_CORPORA_DIR / corpus
    if not folder.is_dir():
        raise EvalError(f"The evaluation corpus folder {folder} is missing; restore it from git.")
    return settings.replace(corpus_dir=folder, data_dir=settings.data_dir / "eval" / corpus)


def ensure_index(settings: Settings, progress: bool = True) -> None:
    """Bring the index of ``settings.corpus_dir`` up to date (only changed documents are embedded).

    Raises:
        EvalError: A document of the evaluation corpus cannot be read.
    """
    from ingest.index import run_ingest

    report = run_ingest(settings, progress=progress)
    if report.failed:
        raise EvalError(
            f"Cannot evaluate on {settings.corpus_dir}: "
            + "; ".join(f"{src}: {err}" for src, err in report.failed.items())
        )
    log.info("Index of %s: %s", settings.corpus_dir, report.summary())


def _shipped(gold_file: Path) -> bool:
    """Whether ``gold_file`` is (part of) the shipped sets, whose test split is kept sealed."""
    shipped = DEFAULT_GOLD_PATH.resolve()
    path = gold_file.resolve()
    return path == shipped or path.is_relative_to(shipped)


def run_eval(
    settings: Settings,
    gold_path: Path | None = None,
    out_dir: Path | None = None,
    variants: Sequence[str] = VARIANTS,
    fail_under: dict[str, float] | None = None,
    progress: bool = True,
    limit: int | None = None,
    sample_every: int | None = None,
    *,
    corpus: str | None = None,
    split: str = "all",
    assistant: Any = None,
    embeddings: Any = None,
    baseline: Variant | None = None,
    charts: bool = True,
) -> EvalResult:
    """Evaluate the assistant, its ablations and the baseline on the gold set, and write the report.

    Args:
        settings: kezhuan settings (index, corpus, model).
        gold_path: A ``.jsonl`` file or a folder of them (default: every shipped set).
        out_dir: Output folder (default :func:`default_out_dir`); created if needed.
        variants: Which of :data:`VARIANTS` to run; the first is the primary one.
        fail_under: Bars, ``metric`` (primary variant) or ``variant.metric`` to a minimum value.
        progress: Show progress bars.
        limit: Only the first ``limit`` selected cases.
        sample_every: Every unanswerable case and every ``sample_every``-th answerable one
            (a fixed, smaller set for slow generative runs).
        corpus: An evaluation corpus (:data:`evals.dataset.CORPORA`): its index is brought up
            to date and only the cases valid on it are asked. None: the corpus and index of
            ``settings`` as they are, with every case of the file.
        split: ``dev``, ``test`` or ``all``. Test cases of the shipped sets are reported as
            figures only (an ad-hoc ``gold_path`` outside them is reported in full).
        assistant: An already loaded assistant (default: ``Assistant.load(settings)`` when an
            assistant variant is run).
        embeddings: Embedding model for the baseline (default: the assistant's, else loaded).
        baseline: A ready baseline variant (default: built with :class:`evals.baseline.Baseline`).
        charts: Draw the report's PNG charts (False: ``report.md`` without them, for runs that
            need the figures only).

    Returns:
        The summary, the per-variant runs and the bars missed.

    Raises:
        EvalError: an unknown variant, metric, corpus or split, or a bad limit.
        GoldSetError: the gold file is malformed.
        IndexMissingError: there is no index; run ``kezhuan ingest`` first.
    """
    from evals.report import write_report

    names = check_variants(variants)
    bars = check_fail_under(fail_under, names)
    if limit is not None and limit <= 0:
        raise EvalError(f"limit must be greater than 0. Currently, limit is {limit}.")
    if split not in SPLIT_CHOICES:
        raise EvalError(f"split must be one of {', '.join(SPLIT_CHOICES)}. Currently, split is {split!r}.")
    gold_file = Path(gold_path) if gold_path is not None else DEFAULT_GOLD_PATH
    gold = load_gold(gold_file)
    if sample_every is not None and sample_every <= 0:
        raise EvalError(f"sample_every must be greater than 0. Currently, sample_every is {sample_every}.")
    cases = select_cases(gold, corpus, None if split == "all" else split)
    cases = cases[:limit] if limit else cases
    if sample_every:
        answerable = [c for c in cases if c.answerable][::sample_every]
        cases = [c for c in cases if not c.answerable or c in answerable]
    if not cases:
        raise EvalError(f"No cases for corpus {corpus!r} and split {split!r} in {gold_file}.")
    if corpus is not None:
        settings = corpus_settings(settings, corpus)
        ensure_index(settings, progress=progress)
        if assistant is None:
            # The segmenter's dictionary is the process's: the words an earlier corpus's documents
            # taught it are forgotten, so a corpus scores as it does evaluated alone.
            forget_domain_words()
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.perf_counter()

    texts = load_source_texts(settings)
    if any(n in ASSISTANT_MODES for n in names) and assistant is None:
        assistant = _load_assistant(settings)
    runs: dict[str, VariantRun] = {}
    for name in names:
        if name == "baseline":
            if baseline is None:
                shared = embeddings if embeddings is not None else getattr(assistant, "embeddings", None)
                baseline = _load_baseline(settings, shared)
            variant: Variant = baseline
        else:
            variant = ModeVariant(assistant, name)
        log.info("Evaluating %s on %d cases", name, len(cases))
        runs[name] = run_variant(name, variant, cases, texts, progress=progress)

    primary = names[0]
    private_ids = {c.id for c in cases if c.split == "test"} if _shipped(gold_file) else set()
    summary: dict[str, Any] = {
        "run": {
            "started_utc": started.isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t0, 2),
            "gold": str(gold_file),
            "corpus": corpus or str(settings.corpus_dir),
            "split": split,
            "cases": len(cases),
            "gold_cases": len(gold),
            "private_cases": len(private_ids),
            "limit": limit,
            "sample_every": sample_every,
            "primary": primary,
            "variants": names,
            "retrieval_depth": RETRIEVAL_DEPTH,
            "settings": _settings_record(settings),
        },
        "variants": {
            name: {
                "seconds": round(run.seconds, 2),
                "generators": _generator_counts(run.rows),
                "refusals_by_rule": refusals_by_rule(run.rows),
                # Dev cases by their half (tuned on / only counted) and test cases apart.
                "by_half": dict(sorted(breakdown(run.scores, _half_group).items())),
                "failure_kinds": {
                    group: failure_kinds([s for s in run.scores if _half_group(s) == group], settings.top_k)
                    for group in sorted({_half_group(s) for s in run.scores})
                },
                "metrics": aggregate(run.scores),
                "by_split": breakdown(run.scores, lambda s: s.split),
                "by_style": breakdown(run.scores, lambda s: s.style or "(none)"),
                "by_source": breakdown(run.scores, lambda s: s.source or "(unanswerable)"),
                "by_wave": breakdown(run.scores, lambda s: f"wave {s.wave}"),
                "by_section": breakdown(run.scores, _section_group),
                "by_kind": breakdown(run.scores, lambda s: s.kind),
                "by_lang": breakdown(run.scores, lambda s: s.lang),
            }
            for name, run in runs.items()
        },
        "fail_under": bars,
    }
    failed = missed_bars(summary, primary, bars)
    summary["failed_bars"] = failed
    summary["passed"] = not failed

    files = [out / "results.jsonl", out / "summary.json"]
    with files[0].open("w", encoding="utf-8") as f:
        for run in runs.values():
            for row in run.rows:
                if row["id"] not in private_ids:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
    files[1].write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    public = {c.id: c for c in cases if c.id not in private_ids}
    answers = {
        n: {row["id"]: row["answer"] for row in r.rows if row["id"] in public} for n, r in runs.items()
    }
    scores = {n: r.scores for n, r in runs.items()}
    files.extend(write_report(out, summary, scores, public, answers, charts=charts))
    log.info("Evaluation written to %s", out)
    return EvalResult(out, primary, summary, runs, failed, files)


# ------------------------------------------------------------------ command line


def build_parser() -> argparse.ArgumentParser:
    """The ``kezhuan eval`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="kezhuan eval",
        description="Run the evaluation sets through the assistant, its dense/BM25 ablations and the "
        "LangChain baseline on an evaluation corpus; write results.jsonl, summary.json, report.md and "
        "plots. Test-split cases are reported as figures only.",
    )
    parser.add_argument(
        "--gold",
        type=Path,
        default=None,
        help=f"a .jsonl set or a folder of them (default: every set in {DEFAULT_GOLD_PATH})",
    )
    parser.add_argument(
        "--corpus",
        default="seed",
        help=f"comma-separated evaluation corpora ({', '.join(CORPORA)}; default seed), or `configured` "
        "for the corpus and index of the current settings with every case of --gold",
    )
    parser.add_argument(
        "--split",
        default="dev",
        choices=SPLIT_CHOICES,
        help="dev (default; tune here), test (figures only), or all",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default reports/<UTC timestamp>)"
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated variants, primary first (default {','.join(VARIANTS)})",
    )
    parser.add_argument(
        "--fail-under",
        default="",
        metavar="METRIC=BAR,...",
        help="exit 1 when a metric of the primary variant (or VARIANT.METRIC) is below its bar on "
        "every corpus run, or on one corpus with CORPUS:METRIC, e.g. "
        "citation_recall=0.90,multi:key_facts=0.80; "
        f"metrics: {', '.join(HIGHER_IS_BETTER)}",
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N cases")
    parser.add_argument(
        "--sample-every",
        type=int,
        default=None,
        metavar="K",
        help="every unanswerable case and every K-th answerable one (for slow generative runs)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def bars_for(bars: Mapping[str, float], corpus: str) -> dict[str, float]:
    """The ``--fail-under`` bars that apply to one corpus run.

    A key ``metric`` or ``variant.metric`` applies to every corpus; ``corpus:...`` only to that one.

    Raises:
        EvalError: a key names an unknown corpus.
    """
    out: dict[str, float] = {}
    for key, bar in bars.items():
        where, sep, name = key.rpartition(":")
        if sep and where not in (*CORPORA, "configured"):
            raise EvalError(f"--fail-under {key}={bar}: {where!r} is not a corpus ({', '.join(CORPORA)}).")
        if not sep or where == corpus:
            out[name] = bar
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


#: Figures printed per corpus and per style.
_SHOWN: tuple[str, ...] = (
    "citation_recall",
    "citation_precision",
    "key_facts",
    "refusal",
    "wrong_refusal",
    "evidence_chars_median",
    "latency_p50_ms",
)


def _print_result(corpus: str, result: EvalResult) -> None:
    variant = result.summary["variants"][result.primary]
    metrics = variant["metrics"]
    run = result.summary["run"]
    print(
        f"[{corpus} · {run['split']} · {run['cases']} cases] {result.primary}: "
        + ", ".join(f"{m} {_fmt(metrics[m])}" for m in ("hit@5", "mrr", *_SHOWN))
    )
    for name in result.summary["run"]["variants"][1:]:
        other = result.summary["variants"][name]["metrics"]
        print(f"  {name}: " + ", ".join(f"{m} {_fmt(other[m])}" for m in _SHOWN))
    print("  per style (n: recall / key facts / refusal / wrong refusal):")
    for style, m in sorted(variant["by_style"].items()):
        print(
            f"    {style:<13} {m['n_cases']:>3}: {_fmt(m['citation_recall'])} / {_fmt(m['key_facts'])} / "
            f"{_fmt(m['refusal'])} / {_fmt(m['wrong_refusal'])}"
        )
    generators = variant.get("generators", {})
    print(f"  generator {run['settings']['generator']}; answers written by: {generators}")
    if metrics["n_errors"]:
        print(f"  {metrics['n_errors']} case(s) raised an error; see the report.", file=sys.stderr)
    print(f"  report: {result.out_dir / 'report.md'}")


def main(argv: list[str] | None = None) -> int:
    """``kezhuan eval``: run the evaluation; exit 1 when a ``--fail-under`` bar is missed.

    Returns:
        0 when every bar is met, 1 when one is missed, 2 on an error (message on stderr).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    corpora = [c.strip() for c in args.corpus.split(",") if c.strip()]
    out_root = args.out if args.out is not None else default_out_dir()
    missed: list[str] = []
    try:
        bars = parse_fail_under(args.fail_under)
        unknown = [c for c in corpora if c not in (*CORPORA, "configured")]
        if unknown or not corpora:
            raise EvalError(
                f"--corpus {args.corpus!r}: use {', '.join(CORPORA)} (comma-separated) or configured."
            )
        for corpus in corpora:
            out = out_root / corpus if len(corpora) > 1 else out_root
            result = run_eval(
                Settings.from_env(),
                gold_path=args.gold,
                out_dir=out,
                variants=args.variants.split(","),
                fail_under=bars_for(bars, corpus),
                progress=not args.no_progress,
                limit=args.limit,
                sample_every=args.sample_every,
                corpus=None if corpus == "configured" else corpus,
                split=args.split,
            )
            _print_result(corpus, result)
            missed += [f"{corpus}: {line}" for line in result.failed_bars]
    except KezhuanError as e:
        print(f"kezhuan eval: {e}", file=sys.stderr)
        return 2
    if missed:
        print("Below --fail-under:", file=sys.stderr)
        for line in missed:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
