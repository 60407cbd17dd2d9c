"""Time to the first sentence of an answer on the chat page, measured in the page.

``kezhuan serve`` runs as a subprocess on 127.0.0.1 (the real assistant, warmed up before
it reports healthy); once ``/healthz`` answers, headless Chromium opens the chat page, types each question and presses Enter. A
``MutationObserver`` in the page records, with ``performance.now()``, when Enter went down,
when the 「正在搜尋文件…」 state appeared, and when the first sentence of the new answer (text
ending in 。！？!?) was visible. Figures are milliseconds after Enter, per question, with the
median and the worst; they include Gradio's queue round trip (websocket/SSE) and rendering.

Usage::

    .venv/bin/python -m bench.page --out reports/bench/page-latest            # 1366x900, 8 questions
    .venv/bin/python -m bench.page --viewport 390x844 --data-dir /tmp/kz-data

The index is built in ``--data-dir`` first when it is missing (about a minute). Writes
``page.json`` and ``page.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

#: In-page probe: call once on the chat page, then read ``window.__kzTiming`` after each answer.
FIRST_SENTENCE_PROBE_JS = """
() => {
  const chat = document.querySelector('#kz-chat');
  const box = document.querySelector('#kz-question textarea');
  const answers = () => chat.querySelectorAll('.kz-answer:not(.kz-searching), .kz-refusal');
  const state = {enter: null, searching: null, sentence: null, before: 0};
  window.__kzTiming = state;
  window.__kzReset = () => { state.enter = null; state.searching = null; state.sentence = null; };
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && state.enter === null) {
      state.enter = performance.now();
      state.before = answers().length;
    }
  }, true);
  const look = () => {
    if (state.enter === null) { return; }
    const now = performance.now();
    if (state.searching === null && chat.querySelector('.kz-searching')) { state.searching = now; }
    if (state.sentence === null) {
      const all = answers();
      const last = all[all.length - 1];
      if (all.length > state.before && last && /[。！？!?]/.test(last.textContent)) { state.sentence = now; }
    }
  };
  new MutationObserver(look).observe(chat, {childList: true, subtree: true, characterData: true});
}
"""

#: Headless Chromium with no background network traffic (as the browser tests use it).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

QUESTIONS: tuple[str, ...] = (
    "A+企業創新研發淬鍊計畫是什麼時候開始的？",
    "成果歸屬及運用辦法的新創專章有哪些誘因？",
    "南臺灣創新園區在做什麼？",
    "2022年培育了幾組科專新創團隊？",
    "產學研價值創造計畫想達成什麼？",
    "學界科專的目的是什麼？",
    "台北明天會下雨嗎？",
    "What did the 2022 program cover?",
)


def measure(url: str, questions: list[str], viewport: tuple[int, int], chromium: str) -> list[dict[str, Any]]:
    """Ask each question on the page at ``url``; the in-page timings, one dict per question."""
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.locator("#kz-question textarea").wait_for()
        page.evaluate(FIRST_SENTENCE_PROBE_JS)
        for i, question in enumerate(questions, 1):
            page.evaluate("window.__kzReset()")
            box = page.locator("#kz-question textarea")
            box.fill(question)
            box.press("Enter")
            page.wait_for_function(
                f"() => document.querySelectorAll('#kz-chat .kz-answer:not(.kz-streaming), "
                f"#kz-chat .kz-refusal').length >= {i}"
            )
            timing = page.evaluate("window.__kzTiming")
            rows.append(
                {
                    "question": question,
                    "searching_ms": round(timing["searching"] - timing["enter"], 1)
                    if timing["searching"] is not None
                    else None,
                    "first_sentence_ms": round(timing["sentence"] - timing["enter"], 1),
                }
            )
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kezhuan-bench-page"))
    parser.add_argument("--out", type=Path, default=Path("reports/bench/page-latest"))
    parser.add_argument("--viewport", default="1366x900", help="WIDTHxHEIGHT in CSS pixels")
    parser.add_argument("--rounds", type=int, default=1, help="times to ask the question list")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    width, height = (int(v) for v in args.viewport.lower().split("x"))

    from bench.load import ServerProcess, default_server_command, free_port

    args.out.mkdir(parents=True, exist_ok=True)
    env = {"KEZHUAN_DATA_DIR": str(args.data_dir), "KEZHUAN_RATE_LIMIT_PER_MINUTE": "0"}
    server = ServerProcess(default_server_command(), free_port(), env, args.out / "server-log.txt")
    questions = list(QUESTIONS) * args.rounds
    # Healthy only after the index is loaded (built when missing) and the warm-up answer ran.
    with server:
        ready_s = server.startup_seconds
        rows = measure(server.url + "/", questions, (width, height), args.chromium)
    firsts = [r["first_sentence_ms"] for r in rows]
    searching = [r["searching_ms"] for r in rows if r["searching_ms"] is not None]
    summary = {
        "viewport": f"{width}x{height}",
        "questions": len(rows),
        "first_sentence_ms_median": round(statistics.median(firsts), 1),
        "first_sentence_ms_max": round(max(firsts), 1),
        "searching_ms_median": round(statistics.median(searching), 1) if searching else None,
        "server_healthy_after_s": round(ready_s, 2),
        "load_average": list(os.getloadavg()),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (args.out / "page.json").write_text(
        json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    lines = [
        "# Chat page: first sentence after Enter (warm server, measured in the page)",
        "",
        f"Viewport {summary['viewport']}, {len(rows)} questions, load average "
        f"{', '.join(f'{v:.2f}' for v in summary['load_average'])}, {summary['measured_at']}.",
        "",
        f"* first sentence visible: median **{summary['first_sentence_ms_median']} ms**, "
        f"worst {summary['first_sentence_ms_max']} ms",
        f"* 「正在搜尋文件…」 shown: median {summary['searching_ms_median']} ms",
        f"* `kezhuan serve` start to healthy (index load + warm-up answer): {summary['server_healthy_after_s']} s",
        "",
        "| question | 正在搜尋文件… (ms) | first sentence (ms) |",
        "|---|---|---|",
        *(f"| {r['question']} | {r['searching_ms']} | {r['first_sentence_ms']} |" for r in rows),
        "",
    ]
    (args.out / "page.md").write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
