"""The most expensive request the limits allow, and a load run with such requests mixed in.

Two measurements on an existing index (``KEZHUAN_DATA_DIR``), loopback only:

1. **Worst request** (in process, through the real app with ``fastapi.testclient``): candidate
   requests at the limits (a question of ``max_question_chars`` characters of the seed text, in
   Chinese, in Latin letters, one repeated character; a follow-up whose history fills
   ``max_history_chars`` in one turn or spread over the turns the assistant reads;
   ``max_history_messages`` short messages; a body just under the 1 MB limit that the history
   cap rejects). Each is sent ``--repeat`` times and its median process CPU time (user + system,
   every thread) is reported; the largest is the figure (target: at most 0.5 s).
2. **Load** (``kezhuan serve`` in a subprocess, rate limit off as every client is 127.0.0.1):
   ``--clients`` clients in closed loop, first all asking gold-set questions, then with
   ``--worst-clients`` of them sending the worst request instead, each paced at the per-client
   rate limit (``rate_limit_per_minute``). Reports errors and the normal questions' p50/p95 in
   both runs (target: no errors, mixed p95 at most 2x the plain run's).

Run::

    KEZHUAN_DATA_DIR=/tmp/kz python -m bench.worst --out reports/bench/worst-latest
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
from pathlib import Path
from typing import Any

import httpx

from bench.load import free_port, load_questions
from ingest.settings import PROJECT_ROOT, Settings

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


async def _client_loop(
    url: str,
    make_body: Callable[[int], dict[str, Any]],
    stop: float,
    pace: float,
    out: list[tuple[float, int]],
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        i = 0
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                response = await http.post("/api/ask", json=make_body(i))
                out.append((time.monotonic() - started, response.status_code))
            except httpx.HTTPError:
                out.append((time.monotonic() - started, -1))
            i += 1
            if pace:
                await asyncio.sleep(max(0.0, pace - (time.monotonic() - started)))


async def _load(
    url: str, clients: int, worst_clients: int, worst_body: dict[str, Any], seconds: float, pace: float
) -> dict[str, Any]:
    questions = [q for q in load_questions() if not q.history]
    normal: list[tuple[float, int]] = []
    worst: list[tuple[float, int]] = []
    stop = time.monotonic() + seconds
    tasks = []

    def worst_request(i: int) -> dict[str, Any]:
        return worst_body

    def normal_request(c: int) -> Callable[[int], dict[str, Any]]:
        return lambda i: {"question": questions[(c * 7 + i) % len(questions)].question}

    for c in range(clients):
        if c < worst_clients:
            tasks.append(_client_loop(url, worst_request, stop, pace, worst))
        else:
            tasks.append(_client_loop(url, normal_request(c), stop, 0.0, normal))
    await asyncio.gather(*tasks)

    def summary(rows: list[tuple[float, int]]) -> dict[str, Any]:
        ok = sorted(t for t, s in rows if s == 200)
        return {
            "requests": len(rows),
            "errors": sum(1 for _, s in rows if s != 200),
            "p50_ms": 1000 * ok[len(ok) // 2] if ok else None,
            "p95_ms": 1000 * ok[min(len(ok) - 1, int(0.95 * len(ok)))] if ok else None,
        }

    return {"normal": summary(normal), "worst": summary(worst), "seconds": seconds}


def measure_load(
    settings: Settings, worst_body: dict[str, Any], clients: int, worst_clients: int, seconds: float
) -> dict[str, Any]:
    """The plain and the mixed load run against ``kezhuan serve`` on 127.0.0.1."""
    port = free_port()
    env = {**os.environ, "KEZHUAN_DATA_DIR": str(settings.data_dir), "KEZHUAN_RATE_LIMIT_PER_MINUTE": "0"}
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
        plain = asyncio.run(_load(url, clients, 0, worst_body, seconds, pace))
        mixed = asyncio.run(_load(url, clients, worst_clients, worst_body, seconds, pace))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = mixed["normal"]["p95_ms"] / plain["normal"]["p95_ms"]
    return {
        "clients": clients,
        "worst_clients": worst_clients,
        "worst_pace_s": pace,
        "plain": plain,
        "mixed": mixed,
        "p95_ratio": ratio,
        "target_ratio": 2.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worst", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench" / "worst-latest")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--worst-clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=45.0, help="length of each load run")
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
        report["load"] = measure_load(settings, body, args.clients, args.worst_clients, args.seconds)
        load = report["load"]
        for run in ("plain", "mixed"):
            print(f"{run}: normal {load[run]['normal']}, worst {load[run]['worst']}")
        print(f"p95 ratio mixed/plain: {load['p95_ratio']:.2f} (target <= 2)")
    report["load_average_after"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "worst.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out / 'worst.json'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
