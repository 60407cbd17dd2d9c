"""The most expensive request the limits allow, and a load run with such requests mixed in.

Two measurements on an existing index (``KEZHUAN_DATA_DIR``), loopback only:

1. **Worst request** (in process, through the real app with ``fastapi.testclient``): candidate
   requests at the limits (a question of ``max_question_chars`` characters of the seed text, in
   Chinese, in Latin letters, one repeated character; a follow-up whose history fills
   ``max_history_chars`` in one turn or spread over the turns the assistant reads;
   ``max_history_messages`` short messages; a body just under the 1 MB limit that the history
   cap rejects). Each is sent ``--repeat`` times and its median process CPU time (user + system,
   every thread) is reported; the largest is the figure (target: at most 0.5 s).
2. **Load** (``kezhuan serve`` in a subprocess, rate limit off): ``--clients`` clients in closed
   loop, each from its own loopback address (127.0.0.2, .3, ...; ``--one-address`` for all from
   127.0.0.1), asking gold-set questions for ``--seconds``. Windows of ``--window`` seconds
   alternate *plain* (every client asks questions) and *mixed* (``--worst-clients`` of them
   send the worst request instead, each paced at the per-client rate limit,
   ``rate_limit_per_minute``), so both conditions share the machine's background load; the
   first ``--settle`` seconds of each window are not counted. Reports errors over the whole
   run, the normal questions' p50/p95 per condition and their ratio (target: no errors, mixed
   p95 at most 2x plain), and the load average. The server's gate settings come from the
   environment (``KEZHUAN_EXPENSIVE_ANSWER_SLOTS=4`` measures the server without the cap).

Run::

    KEZHUAN_DATA_DIR=/tmp/kz python -m bench.worst --seconds 60 --out reports/bench/worst-latest
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.load import free_port, load_questions
from core.settings import PROJECT_ROOT, Settings

SEED = PROJECT_ROOT / "corpus" / "moea-doit-tech-programs-overview.txt"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def candidates(settings: Settings) -> dict[str, dict[str, Any]]:
    """Request bodies for ``POST /api/ask`` at the settings' limits, by name."""
    text = "".join(SEED.read_text(encoding="utf-8").split())
    long_text = (text * (1 + 4 * settings.max_history_chars // max(1, len(text))))[
        : 4 * settings.max_history_chars
    ]
    q = settings.max_question_chars
    h = settings.max_history_chars
    turns = max(2, settings.max_history_turns)
    share = h // turns
    spread = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": long_text[i * share : (i + 1) * share]}
        for i in range(turns)
    ]
    many = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": "半導體呢？"}
        for i in range(settings.max_history_messages)
    ]
    many_fit = many[: min(len(many), h // 5)]
    return {
        "question_cjk": {"question": long_text[:q]},
        "question_latin": {"question": ("Semiconductor research programme funding " * q)[:q]},
        "question_one_char": {"question": "科" * q},
        "follow_up_one_long_turn": {
            "question": "那生醫呢？",
            "history": [
                {"role": "user", "content": long_text[: h - 4]},
                {"role": "assistant", "content": "半導體。"},
            ],
        },
        "follow_up_spread_turns": {"question": "它的任務是什麼？第二個呢？", "history": spread},
        "long_question_and_history": {"question": long_text[:q], "history": spread},
        "many_short_messages": {"question": "那生醫呢？", "history": many_fit},
        "body_near_1mb_rejected": {
            "question": "那生醫呢？",
            "history": [
                {"role": "user", "content": "半" * 100_000},
                {"role": "assistant", "content": "半導體。"},
            ],
        },
    }


def measure_worst(settings: Settings, repeat: int) -> dict[str, Any]:
    """Median CPU seconds per candidate request, through the real app in this process."""
    from fastapi.testclient import TestClient

    from ui.server import create_app, load_assistant

    app = create_app(load_assistant(settings), settings.replace(rate_limit_per_minute=0, api_key=""))
    rows: dict[str, Any] = {}
    with TestClient(app) as client:
        client.post("/api/ask", json={"question": "南臺灣創新園區在做什麼？"})  # warm up
        normal = []
        for _ in range(repeat):
            before = _cpu()
            client.post("/api/ask", json={"question": "南臺灣創新園區在做什麼？"})
            normal.append(_cpu() - before)
        rows["normal_question"] = {"cpu_s": statistics.median(normal), "status": 200, "bytes": 0}
        for name, body in candidates(settings).items():
            raw = json.dumps(body, ensure_ascii=False).encode()
            times, status = [], 0
            for _ in range(repeat):
                before = _cpu()
                status = client.post(
                    "/api/ask", content=raw, headers={"Content-Type": "application/json"}
                ).status_code
                times.append(_cpu() - before)
            rows[name] = {"cpu_s": statistics.median(times), "status": status, "bytes": len(raw)}
    worst = max((n for n in rows if n != "normal_question"), key=lambda n: rows[n]["cpu_s"])
    return {"requests": rows, "worst": worst, "worst_cpu_s": rows[worst]["cpu_s"], "target_s": 0.5}


@dataclass(frozen=True)
class Sample:
    """One request of the load run.

    Attributes:
        started: Seconds from the start of the run to the request's start.
        seconds: Its latency (request sent to response read), seconds.
        status: HTTP status; -1 when the connection failed; :data:`ABANDONED` when the client
            closed it at the end of a mixed window.
        kind: ``normal`` (a gold-set question) or ``worst`` (the worst allowed request).
    """

    started: float
    seconds: float
    status: int
    kind: str


#: ``Sample.status`` of a worst request its client gave up on when its mixed window ended.
ABANDONED = -2


def condition_at(t: float, window: float) -> str:
    """``plain`` or ``mixed``: the condition of the window holding second ``t`` (plain first);
    ``warmup`` before the first window (``t`` < 0: every client asks questions, nothing counted)."""
    if t < 0:
        return "warmup"
    return "mixed" if int(t // window) % 2 else "plain"


async def _client(
    url: str,
    c: int,
    address: str | None,
    worst_client: bool,
    worst_body: dict[str, Any],
    question_at: Callable[[int], str],
    t0: float,
    seconds: float,
    window: float,
    pace: float,
    out: list[Sample],
    in_flight: int = 1,
) -> None:
    """One closed-loop client: a gold-set question after the other; a worst client sends the worst
    request instead during mixed windows, at most one per ``pace`` seconds (the rate limit), and
    with ``in_flight`` > 1 without waiting for answers (see :func:`_send_without_waiting`)."""
    transport = httpx.AsyncHTTPTransport(local_address=address) if address else None
    async with httpx.AsyncClient(base_url=url, timeout=120, transport=transport) as http:
        i = 0
        while (now := time.monotonic() - t0) < seconds:
            worst = worst_client and condition_at(now, window) == "mixed"
            if worst and in_flight > 1:
                await _send_without_waiting(http, worst_body, t0, window, pace or 0.5, in_flight, out)
                continue
            body = worst_body if worst else {"question": question_at(c * 7 + i)}
            started = time.monotonic()
            try:
                status = (await http.post("/api/ask", json=body)).status_code
            except httpx.HTTPError:
                status = -1
            out.append(
                Sample(started - t0, time.monotonic() - started, status, "worst" if worst else "normal")
            )
            i += 1
            if worst and pace:
                await asyncio.sleep(max(0.0, pace - (time.monotonic() - started)))


async def _send_without_waiting(
    http: httpx.AsyncClient,
    body: dict[str, Any],
    t0: float,
    window: float,
    pace: float,
    in_flight: int,
    out: list[Sample],
) -> None:
    """Until the mixed window ends: one ``body`` every ``pace`` seconds while fewer than
    ``in_flight`` are unanswered (a client that does not wait for its answers); then close the
    unanswered ones (:data:`ABANDONED`), so the next plain window starts without their backlog."""
    open_requests: dict[asyncio.Task[None], float] = {}

    async def send(started: float) -> None:
        try:
            status = (await http.post("/api/ask", json=body)).status_code
        except httpx.HTTPError:
            status = -1
        out.append(Sample(started - t0, time.monotonic() - started, status, "worst"))

    while condition_at(time.monotonic() - t0, window) == "mixed":
        if len(open_requests) < in_flight:
            started = time.monotonic()
            task = asyncio.ensure_future(send(started))
            open_requests[task] = started
            task.add_done_callback(lambda done: open_requests.pop(done, None))
        await asyncio.sleep(pace)
    for task, started in list(open_requests.items()):
        if task.done():  # answered just now: its sample is in
            continue
        task.cancel()
        out.append(Sample(started - t0, time.monotonic() - started, ABANDONED, "worst"))
    await asyncio.gather(*open_requests, return_exceptions=True)


async def _run_windows(
    url: str,
    clients: int,
    worst_clients: int,
    worst_body: dict[str, Any],
    seconds: float,
    window: float,
    pace: float,
    distinct_addresses: bool,
    warmup: float,
    in_flight: int = 1,
) -> tuple[list[Sample], list[tuple[float, float]]]:
    questions = [q.question for q in load_questions() if not q.history]
    samples: list[Sample] = []
    loads: list[tuple[float, float]] = []
    t0 = time.monotonic() + warmup  # the first window starts after the warm-up

    async def sample_load() -> None:
        while time.monotonic() - t0 < seconds:
            loads.append((round(time.monotonic() - t0, 1), os.getloadavg()[0]))
            await asyncio.sleep(window / 2)

    tasks = [
        _client(
            url,
            c,
            # Each client its own loopback address, as distinct clients are to the server's turn order.
            f"127.0.0.{2 + c}" if distinct_addresses else None,
            c < worst_clients,
            worst_body,
            lambda i: questions[i % len(questions)],
            t0,
            seconds,
            window,
            pace,
            samples,
            in_flight,
        )
        for c in range(clients)
    ]
    await asyncio.gather(sample_load(), *tasks)
    return samples, loads


def _percentiles(latencies: list[float]) -> dict[str, Any]:
    ok = sorted(latencies)
    return {
        "requests": len(ok),
        "p50_ms": round(1000 * ok[len(ok) // 2], 1) if ok else None,
        "p95_ms": round(1000 * ok[min(len(ok) - 1, int(0.95 * len(ok)))], 1) if ok else None,
    }


def summarize(samples: Sequence[Sample], window: float, settle: float) -> dict[str, Any]:
    """Errors over the whole run; latencies of the requests started after each window's first
    ``settle`` seconds (the queue left by the other condition drains then), by condition."""
    counted = [s for s in samples if s.started >= 0 and s.started % window >= settle and s.status == 200]
    failed = [s for s in samples if s.status not in (200, ABANDONED)]
    out: dict[str, Any] = {}
    for condition in ("plain", "mixed"):
        mine = [s for s in counted if condition_at(s.started, window) == condition]
        windows = sorted({int(s.started // window) for s in mine})
        out[condition] = {
            "normal": _percentiles([s.seconds for s in mine if s.kind == "normal"]),
            "worst": _percentiles([s.seconds for s in mine if s.kind == "worst"]),
            "normal_p95_ms_by_window": [
                _percentiles(
                    [s.seconds for s in mine if s.kind == "normal" and int(s.started // window) == w]
                )["p95_ms"]
                for w in windows
            ],
        }
    out["errors"] = {kind: sum(1 for s in failed if s.kind == kind) for kind in ("normal", "worst")}
    out["worst_abandoned"] = sum(1 for s in samples if s.status == ABANDONED)
    out["requests"] = {kind: sum(1 for s in samples if s.kind == kind) for kind in ("normal", "worst")}
    plain, mixed = out["plain"]["normal"], out["mixed"]["normal"]
    for p in ("p50", "p95"):
        if plain[f"{p}_ms"] and mixed[f"{p}_ms"]:
            out[f"{p}_ratio"] = round(mixed[f"{p}_ms"] / plain[f"{p}_ms"], 2)
    return out


def measure_load(
    settings: Settings,
    worst_body: dict[str, Any],
    clients: int,
    worst_clients: int,
    seconds: float,
    window: float = 10.0,
    settle: float = 3.0,
    distinct_addresses: bool = True,
    warmup: float = 5.0,
    worst_in_flight: int = 1,
) -> dict[str, Any]:
    """Plain and mixed load, interleaved in one run against ``kezhuan serve`` on 127.0.0.1.

    ``clients`` clients ask gold-set questions in closed loop for ``warmup`` seconds (not
    counted: 64 clients connecting at once slowed the first window's p95 threefold), then for
    ``seconds`` in windows of
    ``window`` seconds that alternate plain (all ask questions) and mixed (``worst_clients`` of them
    send ``worst_body`` instead, paced at the rate limit; with ``worst_in_flight`` > 1 they do not
    wait for answers but keep up to that many open, and close them when the window ends).
    Alternating in one run puts both
    conditions under the same background load on a shared machine (there the 1-minute load
    average moved by up to 4 within one 60 s run, README "Security and reliability").

    Returns:
        The server's gate settings, errors, normal and worst p50/p95 (ms) by condition, the
        mixed/plain ratios, and the 1-minute load average sampled every half window.
    """
    port = free_port()
    env = {**os.environ, "KEZHUAN_DATA_DIR": str(settings.data_dir), "KEZHUAN_RATE_LIMIT_PER_MINUTE": "0"}
    served = Settings.from_env(env)
    command = [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("kezhuan serve did not come up")
            time.sleep(0.5)
        pace = 60.0 / settings.rate_limit_per_minute if settings.rate_limit_per_minute else 0.0
        samples, loads = asyncio.run(
            _run_windows(
                url,
                clients,
                worst_clients,
                worst_body,
                seconds,
                window,
                pace,
                distinct_addresses,
                warmup,
                worst_in_flight,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "clients": clients,
        "worst_clients": worst_clients,
        "worst_pace_s": pace,
        "seconds": seconds,
        "window_s": window,
        "settle_s": settle,
        "warmup_s": warmup,
        "worst_in_flight": worst_in_flight,
        "distinct_addresses": distinct_addresses,
        "gate": {
            "answer_slots": served.answer_slots,
            "expensive_answer_slots": served.expensive_answer_slots,
            "expensive_request_chars": served.expensive_request_chars,
        },
        **summarize(samples, window, settle),
        "load_average_1min": [load for _, load in loads],
        "target_ratio": 2.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worst", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench" / "worst-latest")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--worst-clients", type=int, default=4)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="length of the load run (both conditions)"
    )
    parser.add_argument("--window", type=float, default=10.0, help="seconds of each plain or mixed window")
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds at each window's start not counted"
    )
    parser.add_argument(
        "--worst-in-flight",
        type=int,
        default=1,
        help="unanswered worst requests each worst client keeps open (1: waits for each answer)",
    )
    parser.add_argument(
        "--one-address", action="store_true", help="every client from 127.0.0.1 (default: one address each)"
    )
    parser.add_argument("--no-load", action="store_true", help="only the worst-request figure")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env()
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
    }
    report["worst_request"] = measure_worst(settings, args.repeat)
    for name, row in report["worst_request"]["requests"].items():
        print(f"{name:28s} status {row['status']}  cpu {row['cpu_s']:.3f} s")
    print(
        f"worst allowed request: {report['worst_request']['worst']} {report['worst_request']['worst_cpu_s']:.3f} s CPU"
    )
    if not args.no_load:
        body = candidates(settings)[report["worst_request"]["worst"]]
        report["load_average_before"] = os.getloadavg()
        report["load"] = measure_load(
            settings,
            body,
            args.clients,
            args.worst_clients,
            args.seconds,
            window=args.window,
            settle=args.settle,
            distinct_addresses=not args.one_address,
            worst_in_flight=args.worst_in_flight,
        )
        load = report["load"]
        print(f"gate: {load['gate']}")
        for run in ("plain", "mixed"):
            print(f"{run}: normal {load[run]['normal']}, worst {load[run]['worst']}")
            print(f"  normal p95 by window (ms): {load[run]['normal_p95_ms_by_window']}")
        print(f"requests {load['requests']}, errors {load['errors']}, abandoned {load['worst_abandoned']}")
        print(
            f"mixed/plain: p50 {load.get('p50_ratio')}, p95 {load.get('p95_ratio')} (target <= 2); "
            f"load average {min(load['load_average_1min']):.1f}-{max(load['load_average_1min']):.1f}"
        )
    report["load_average_after"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "worst.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out / 'worst.json'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
