"""The ``kezhuan`` command: ingest, ask, chat, serve, eval, feedback."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from core.errors import KezhuanError
from core.settings import Settings

log = logging.getLogger("kezhuan")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "mode", None):
        overrides["retrieval_mode"] = args.mode
    return Settings.from_env(**overrides)


def _print_reply(reply: Any) -> None:
    if getattr(reply, "notice", ""):
        print(reply.notice)
    print(reply.answer)
    if not reply.citations:  # a refusal cites nothing, unless it corrects a false premise
        return
    print()
    print("來源：")
    for c in reply.citations:
        quotes = c.quotes or [c]
        spans = "、".join(f"{q.start}–{q.end}" for q in quotes)
        print(f"[{c.n}] {c.where}（第 {spans} 字）")
        for q in quotes:
            print(f"    「{q.quote}」")


def _load_history(path: str | None) -> list[dict[str, str]] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise KezhuanError(f"History file {path} does not exist.") from e
    except json.JSONDecodeError as e:
        raise KezhuanError(
            f"History file {path} is not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}. "
            'It must be a list like [{"role": "user", "content": "..."}, ...].'
        ) from e
    if isinstance(data, dict) and "history" in data:
        data = data["history"]
    return data  # type: ignore[no-any-return]


#: Exit status of `kezhuan ingest` when a document could not be read (the readable ones are
#: ingested all the same); 2 is an error that stopped the whole command (:func:`main`).
INGEST_FAILED_DOCUMENTS = 1


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    corpus = Path(args.path) if args.path else None
    if corpus is not None and corpus.is_file():
        raise KezhuanError(
            f"{corpus} is a file: put it into the corpus folder ({settings.corpus_dir}) and run "
            "`kezhuan ingest`, or pass a folder."
        )
    if not args.rebuild:
        # Decided with the standard library from the commit records: an unchanged corpus is
        # done in a fraction of a second, before chromadb and the model stack are imported.
        from ingest.records import unchanged_ingest

        unchanged = unchanged_ingest(settings, corpus)
        if unchanged is not None:
            print(unchanged.summary())
            return 0
    from ingest.index import run_ingest

    report = run_ingest(settings, corpus_dir=corpus, progress=not args.no_progress, rebuild=args.rebuild)
    print(report.summary())
    for source, error in report.failed.items():
        print(f"  could not read {source}: {error}", file=sys.stderr)
        if source in report.kept:
            print(
                f"    the previously ingested version of {source} is still being served: fix the file "
                "and run `kezhuan ingest` again, or delete it to take it out of the index.",
                file=sys.stderr,
            )
    if report.changed or report.swept or not _snapshot_saved(settings):
        _save_retrieval_snapshot(settings)  # an unchanged index keeps the snapshot it has
    return INGEST_FAILED_DOCUMENTS if report.failed else 0


def _snapshot_saved(settings: Settings) -> bool:
    from ingest.records import snapshot_path

    return not settings.retrieval_cache or snapshot_path(settings).exists()


def _save_retrieval_snapshot(settings: Settings) -> None:
    """Save the retriever's snapshot now, so the first question after an ingest starts fast."""
    from assistant.retrieve import save_snapshot
    from core.errors import IndexMissingError

    try:
        path = save_snapshot(settings)
    except IndexMissingError:
        return  # nothing was indexed; the ingest summary says why
    if path is not None:
        print(f"Retrieval snapshot saved: {path}")


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant import Assistant

    bot = Assistant.load(_settings(args))
    reply = bot.ask(args.question, history=_load_history(args.history))
    if args.json:
        print(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_reply(reply)
    if args.explain:
        _print_trace(reply.notes.get("trace", {}))
    return 0


def _print_trace(trace: dict) -> None:
    """The reply's trace (``reply.notes["trace"]``), for a reader: why it answered or refused."""
    print("\n── explain ──")
    query = trace.get("query", {})
    keys = (
        "cleaned",
        "kind",
        "script",
        "focus",
        "background",
        "context",
        "corrections",
        "numbers",
        "answer_types",
    )
    for key in keys:
        value = query.get(key)
        if value not in (None, "", []):
            print(f"query.{key}: {value}")
    for term in trace.get("terms", []):
        flags = ("" if term["asked"] else " (context)") + ("" if term["known"] else " (no document uses it)")
        print(f"term: {'/'.join(term['forms'])} weight {term['weight']}{flags}")
    if trace.get("foreign_terms"):
        print(f"topical words no document uses: {trace['foreign_terms']}")
    if trace.get("value_words"):
        print(f"value words the evidence answers: {trace['value_words']}")
    if trace.get("place_rule"):
        print(f"places a rule for any place speaks of: {trace['place_rule']}")
    for rule in trace.get("rules", []):
        print(f"rule: {rule}")
    for n, cand in enumerate(trace.get("candidates", []), start=1):
        print(
            f"candidate {n}: score {cand['score']} support {cand['support']} coverage {cand['coverage']} "
            f"dense {cand['dense']} shape {cand['shape']}"
            + (f" boilerplate {cand['boilerplate']}" if cand.get("boilerplate") else "")
            + (f" english words +{cand['english_words']}" if cand.get("english_words") else "")
            + (f" (row states the field asked: {cand['field']})" if cand.get("field") else "")
            + {1: " (under the heading named)", -1: " (under a sibling of the heading named)"}.get(
                cand.get("named_section", 0), ""
            )
            + (f" (the last answer said {cand['said_before']} of it)" if cand.get("said_before") else "")
            + (" (told right after what the last answer said)" if cand.get("told_next") else "")
            + f" [{cand['section']}] {cand['sentence']}"
        )
    follow_up = trace.get("follow_up") or {}
    if follow_up:
        lent = "continues the conversation" if follow_up.get("continues") else "stands on its own"
        print(f"follow-up: {lent}: {follow_up.get('why', '')}; searched: {follow_up.get('searched', '')}")
        if follow_up.get("list_item"):
            print(f"follow-up: asks about the item {follow_up['list_item']} of the last answer's list")
    for clause in trace.get("clauses", []):
        print(
            f"clause: {clause['clause']}: {clause.get('decision', '')} {clause.get('sentence', '')}".rstrip()
            + (f" ({clause['other_clauses']})" if clause.get("other_clauses") else "")
        )
    for key, value in trace.get("parts", {}).items():
        print(f"parts.{key}: {value}")
    if trace.get("article_scope_dropped"):
        print(f"article scope: {trace['article_scope_dropped']} candidates of articles not named left out")
    if trace.get("premise"):
        print(f"premise: {trace['premise']}")
    if trace.get("signals"):
        print("signals: " + ", ".join(f"{k} {v}" for k, v in trace["signals"].items()))
    decision = trace.get("decision", {})
    verdict = "refused" if decision.get("refused") else "answered"
    extra = ""
    if decision.get("answer_probability") is not None:
        extra = f" (p(answerable) {decision['answer_probability']}, decided by {decision.get('decided_by')})"
    elif decision.get("decided_by"):
        extra = f" (decided by {decision['decided_by']})"
    print(f"decision: {verdict}: {decision.get('why', '')}{extra}")


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant import Assistant
    from core.errors import IndexMissingError, IndexUnreadableError
    from ingest.index import run_ingest

    settings = _settings(args)
    try:
        bot = Assistant.load(settings)
    except IndexUnreadableError:
        raise  # damaged, not missing: `kezhuan ingest --rebuild` says what it does with it
    except IndexMissingError as e:
        print(f"{e}\nBuilding the index now…", file=sys.stderr)
        print(run_ingest(settings).summary(), file=sys.stderr)
        bot = Assistant.load(settings)
    print("科專助理：請輸入問題（空白行或 Ctrl-D 結束，/clear 清除對話）。")
    history: list[dict[str, str]] = []
    while True:
        try:
            question = input("\n您：").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            return 0
        if question == "/clear":
            history.clear()
            print("（對話已清除）")
            continue
        try:
            reply = bot.ask(question, history=history)
        except KezhuanError as e:
            print(f"⚠ {e}")
            continue
        print("\n助理：", end="")
        _print_reply(reply)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": reply.answer}]


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.server import serve

    serve(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.run import main as eval_main

    return eval_main(args.eval_args)


def cmd_feedback(args: argparse.Namespace) -> int:
    from ui.feedback import FeedbackStore, format_report, summarize

    settings = Settings.from_env()
    store = FeedbackStore.in_data_dir(settings.data_dir, settings.max_reason_chars)
    report = summarize(store.read_all())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, store.path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kezhuan`` command."""
    parser = argparse.ArgumentParser(
        prog="kezhuan",
        description="科專助理: cited answers about MOEA technology programs, from the documents in corpus/.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from the corpus folder")
    p.add_argument("path", nargs="?", help="corpus folder (default: settings corpus_dir)")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="embed everything again into a new index beside the old one, which answers until the new one is complete",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--history", help='JSON file: [{"role": "user", "content": "..."}, ...]')
    p.add_argument("--json", action="store_true", help="print the whole reply as JSON")
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), help="retrieval mode")
    p.add_argument(
        "--explain", action="store_true", help="also print why: query analysis, candidates, rules, decision"
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat in the terminal")
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), help="retrieval mode")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="web chat, helpdesk API and widget on one server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "feedback", help="report the votes on answers: counts, and the 👎 questions with their reasons"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("eval", help="score the assistant on the gold questions (see `kezhuan eval --help`)")
    p.add_argument("eval_args", nargs=argparse.REMAINDER, help="arguments for the evaluation runner")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kezhuan`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:  # the evaluation runner has its own options and --help
        from evals.run import main as eval_main

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return eval_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.func(args))
    except KezhuanError as e:
        print(f"kezhuan: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
