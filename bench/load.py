"""HTTP load test of ``kezhuan serve``: throughput, latency, errors and memory under load.

A bounded asyncio load generator (``httpx.AsyncClient``) runs against a real ``kezhuan
serve`` subprocess on 127.0.0.1 (or any server given by URL). At each concurrency level,
that many clients each send one request at a time, back to back, for a fixed time:
questions drawn from ``evals/sets/gold-v1.jsonl`` (answerable and to-refuse, Traditional,
Simplified, English, follow-ups with history), mostly to ``POST /api/ask`` and a share to
``POST /v1/chat/completions`` (plain and ``stream: true``). Every reply is checked (status,
JSON shape, a stream ends with ``[DONE]`` and carries no error event). The server's RSS,
threads and CPU are read from ``/proc/<pid>`` once a second. A soak at a few clients then
checks that memory does not keep growing.

Writes ``load.json`` (everything), ``load.md`` (tables) and ``load.png`` (latency and
throughput against clients, RSS over the soak) into ``out_dir``::

    python -m bench.load --out reports/bench/load-<stamp> --data-dir /tmp/kz-load

The server runs with the rate limit off (``KEZHUAN_RATE_LIMIT_PER_MINUTE=0``): the load
comes from one address and would otherwise be throttled, which is not what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
GOLD_PATH = ROOT / "evals" / "sets" / "gold-v1.jsonl"
#: Ports the load test may listen on (the project's range for helper servers).
PORT_RANGE = range(18300, 18400)
#: Share of requests per route kind: ``/api/ask``, plain and streamed chat completions.
DEFAULT_MIX: Mapping[str, float] = {"ask": 0.7, "chat": 0.15, "chat_stream": 0.15}
ROUTES = {"ask": "/api/ask", "chat": "/v1/chat/completions", "chat_stream": "/v1/chat/completions"}
#: Seconds a server may take to start (loading the model; building a missing index).
STARTUP_TIMEOUT = 600.0
#: Growth over the soak's second half below max(this many MB, 1% of RSS) counts as flat.
FLAT_RSS_MB = 5.0


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    """A question of the gold set, as sent to the server."""

    id: str
    question: str
    history: tuple[tuple[str, str], ...]
    answerable: bool
    lang: str

    def history_messages(self) -> list[dict[str, str]]:
        """The history as ``[{"role", "content"}]``."""
        return [{"role": role, "content": content} for role, content in self.history]


def load_questions(path: Path = GOLD_PATH) -> list[Question]:
    """Every question of the gold set (``evals/sets/gold-v1.jsonl``), in file order.

    Raises:
        FileNotFoundError: the file does not exist.
    """
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        history = tuple((m["role"], m["content"]) for m in row.get("history") or [])
        questions.append(
            Question(
                row["id"], row["question"], history, bool(row.get("answerable", True)), row.get("lang", "")
            )
        )
    return questions


# --------------------------------------------------------------------------- the server


def free_port(ports: range = PORT_RANGE) -> int:
    """The first port of ``ports`` free on 127.0.0.1.

    Raises:
        RuntimeError: every port in the range is taken.
    """
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port on 127.0.0.1 in {ports.start}-{ports.stop - 1}.")


def default_server_command() -> list[str]:
    """``kezhuan serve`` on 127.0.0.1; ``{port}`` is filled in when started."""
    script = Path(sys.executable).with_name("kezhuan")
    if script.exists():
        return [str(script), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    return [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"]


class ServerProcess:
    """A server subprocess on 127.0.0.1, started and stopped around the load test.

    The command must run the server in the process it starts (not through a shell), so
    that the memory read from ``/proc/<pid>`` is the server's.

    Args:
        command: The argv; ``{port}`` in an argument is replaced by the port.
        port: TCP port on 127.0.0.1.
        env: Extra environment variables.
        log_path: Where the server's output goes.
    """

    def __init__(self, command: Sequence[str], port: int, env: Mapping[str, str], log_path: Path) -> None:
        self.argv = [part.replace("{port}", str(port)) for part in command]
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.proc is not None, "the server is not started"
        return self.proc.pid

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Start the server and wait until ``GET /healthz`` answers 200.

        Raises:
            RuntimeError: the server exited or did not become healthy in time (with its log's tail).
        """
        began = time.monotonic()
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"The server exited with status {self.proc.returncode} while starting: "
                    f"{' '.join(self.argv)}\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    self.startup_seconds = time.monotonic() - began
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"The server did not become healthy within {timeout:.0f} s.\n{self.log_tail()}")

    def stop(self, grace: float = 30.0) -> int | None:
        """Stop the server (SIGINT, then SIGKILL after ``grace`` seconds); returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("Server %d ignored SIGINT for %.0f s; killing it", self.pid, grace)
            self.proc.kill()
            return self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- process samples


@dataclass
class Sample:
    """One reading of the server process."""

    t: float  # seconds since the run started
    phase: str
    rss_mb: float
    threads: int
    cpu_seconds: float  # user + system CPU the process has used so far


def read_process(pid: int) -> tuple[float, int, float] | None:
    """RSS (MB), thread count and CPU seconds of ``pid`` from ``/proc``; ``None`` if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kb = int(fields.get("VmRSS", "0 kB").split()[0])
    threads = int(fields.get("Threads", "0").strip())
    # Fields after the command name (which may contain spaces) start after the last ")".
    after = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(after[11]) + int(after[12])) / ticks  # utime, stime
    return rss_kb / 1024, threads, cpu


class Sampler:
    """Reads the server's ``/proc`` entry every ``interval`` seconds while the run goes on."""

    def __init__(self, pid: int | None, started: float, interval: float = 1.0) -> None:
        self.pid = pid
        self.started = started
        self.interval = interval
        self.phase = "start"
        self.samples: list[Sample] = []

    def take(self) -> None:
        """Read once now."""
        if self.pid is None:
            return
        got = read_process(self.pid)
        if got is not None:
            rss, threads, cpu = got
            self.samples.append(
                Sample(round(time.monotonic() - self.started, 3), self.phase, rss, threads, cpu)
            )

    async def run(self) -> None:
        """Read until cancelled."""
        while True:
            self.take()
            await asyncio.sleep(self.interval)

    def of(self, phase: str) -> list[Sample]:
        """The samples taken during ``phase``."""
        return [s for s in self.samples if s.phase == phase]


# --------------------------------------------------------------------------- the clients


@dataclass
class Outcome:
    """One request: what was sent, how long it took and whether it went right."""

    kind: str  # ask, chat, chat_stream
    qid: str
    latency: float  # seconds until the whole reply was read
    error: str = ""  # empty when the reply was right
    refused: bool | None = None
    answer_digest: str = ""
    detail: str = ""  # the exception, for errors that are exceptions


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


async def _ask(http: httpx.AsyncClient, q: Question) -> tuple[str, bool | None, str]:
    response = await http.post(ROUTES["ask"], json={"question": q.question, "history": q.history_messages()})
    if response.status_code != 200:
        return f"http_{response.status_code}", None, ""
    body = response.json()
    if not isinstance(body.get("answer"), str) or not isinstance(body.get("refused"), bool):
        return "bad_body", None, ""
    return "", body["refused"], _digest(body["answer"])


def _chat_body(q: Question, stream: bool) -> dict[str, Any]:
    messages = [*q.history_messages(), {"role": "user", "content": q.question}]
    return {"model": "kezhuan", "messages": messages, "stream": stream}


async def _chat(http: httpx.AsyncClient, q: Question) -> tuple[str, bool | None, str]:
    response = await http.post(ROUTES["chat"], json=_chat_body(q, stream=False))
    if response.status_code != 200:
        return f"http_{response.status_code}", None, ""
    body = response.json()
    try:
        content = body["choices"][0]["message"]["content"]
        refused = body["refused"]
    except (KeyError, IndexError, TypeError):
        return "bad_body", None, ""
    return "", bool(refused), _digest(content or "")


async def _chat_stream(http: httpx.AsyncClient, q: Question) -> tuple[str, bool | None, str]:
    async with http.stream("POST", ROUTES["chat_stream"], json=_chat_body(q, stream=True)) as response:
        if response.status_code != 200:
            await response.aread()
            return f"http_{response.status_code}", None, ""
        pieces: list[str] = []
        refused: bool | None = None
        done = False
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[len("data: ") :]
            if data == "[DONE]":
                done = True
                break
            chunk = json.loads(data)
            if "error" in chunk:
                return "stream_error", None, ""
            delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
            pieces.append(delta.get("content") or "")
            if "refused" in chunk:
                refused = bool(chunk["refused"])
    if not done:
        return "stream_truncated", None, ""
    return "", refused, _digest("".join(pieces))


SENDERS = {"ask": _ask, "chat": _chat, "chat_stream": _chat_stream}


async def _one(http: httpx.AsyncClient, kind: str, q: Question) -> Outcome:
    began = time.perf_counter()
    detail = ""
    try:
        error, refused, digest = await SENDERS[kind](http, q)
    except Exception as e:  # every failure is counted by kind, never raised
        error, refused, digest = _error_kind(e), None, ""
        detail = f"{type(e).__name__}: {e}"[:200]
    return Outcome(kind, q.id, time.perf_counter() - began, error, refused, digest, detail)


def _error_kind(e: Exception) -> str:
    if isinstance(e, httpx.TimeoutException):
        return "timeout"
    if isinstance(e, httpx.ConnectError):
        return "connect_error"
    if isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "connection_dropped"
    if isinstance(e, (json.JSONDecodeError, UnicodeDecodeError)):
        return "bad_body"
    return type(e).__name__


async def _client(
    http: httpx.AsyncClient,
    questions: Sequence[Question],
    mix: Mapping[str, float],
    rng: random.Random,
    deadline: float,
    outcomes: list[Outcome],
) -> None:
    kinds, weights = list(mix), list(mix.values())
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        outcomes.append(await _one(http, kind, rng.choice(questions)))


@dataclass
class Phase:
    """The outcomes of one load phase."""

    name: str
    clients: int
    seconds: float  # wall time from the first request to the last reply
    outcomes: list[Outcome] = field(default_factory=list)
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before, after
    client_cpu_seconds: float = 0.0  # CPU this process (the load generator) used


def _load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


async def _phase(
    name: str,
    base_url: str,
    clients: int,
    seconds: float,
    questions: Sequence[Question],
    mix: Mapping[str, float],
    seed: int,
    timeout: float,
    sampler: Sampler,
) -> Phase:
    sampler.phase = name
    sampler.take()
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    before = _load_average()
    cpu0 = time.process_time()
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as http:
        began = time.monotonic()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _client(http, questions, mix, random.Random(f"{seed}-{name}-{i}"), deadline, outcomes)
                for i in range(clients)
            )
        )
        elapsed = time.monotonic() - began
    sampler.take()
    return Phase(name, clients, elapsed, outcomes, (before, _load_average()), time.process_time() - cpu0)


# --------------------------------------------------------------------------- summaries


def _percentiles(latencies: Sequence[float]) -> dict[str, float]:
    if not latencies:
        return {
            "p50_ms": float("nan"),
            "p95_ms": float("nan"),
            "p99_ms": float("nan"),
            "max_ms": float("nan"),
        }
    ms = np.asarray(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def _slope_mb_per_min(samples: Sequence[Sample]) -> float:
    if len(samples) < 3:
        return float("nan")
    t = np.array([s.t for s in samples]) / 60
    rss = np.array([s.rss_mb for s in samples])
    return round(float(np.polyfit(t, rss, 1)[0]), 3)


def _rss_summary(samples: Sequence[Sample]) -> dict[str, Any]:
    if not samples:
        return {"samples": 0}
    rss = [s.rss_mb for s in samples]
    cpu = (samples[-1].cpu_seconds - samples[0].cpu_seconds) / max(samples[-1].t - samples[0].t, 1e-9)
    return {
        "samples": len(samples),
        "rss_start_mb": round(rss[0], 1),
        "rss_end_mb": round(rss[-1], 1),
        "rss_max_mb": round(max(rss), 1),
        "threads_max": max(s.threads for s in samples),
        "server_cpu_percent": round(100 * cpu, 1),
    }


def summarize_phase(phase: Phase, samples: Sequence[Sample]) -> dict[str, Any]:
    """Throughput, latency percentiles, errors by kind and the server's memory of one phase."""
    ok = [o for o in phase.outcomes if not o.error]
    errors = Counter(o.error for o in phase.outcomes if o.error)
    by_kind: dict[str, Any] = {}
    for kind in sorted({o.kind for o in phase.outcomes}):
        mine = [o for o in phase.outcomes if o.kind == kind]
        by_kind[kind] = {
            "requests": len(mine),
            "errors": sum(1 for o in mine if o.error),
            **_percentiles([o.latency for o in mine if not o.error]),
        }
    digests: dict[str, set[str]] = defaultdict(set)
    for o in ok:
        if o.kind == "ask":
            digests[o.qid].add(o.answer_digest)
    summary = {
        "name": phase.name,
        "clients": phase.clients,
        "seconds": round(phase.seconds, 2),
        "requests": len(phase.outcomes),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(sorted(errors.items())),
        "error_examples": sorted(
            {f"{o.kind} {o.error} after {o.latency:.2f} s: {o.detail}" for o in phase.outcomes if o.error}
        )[:10],
        "throughput_rps": round(len(ok) / phase.seconds, 2) if phase.seconds else 0.0,
        **_percentiles([o.latency for o in ok]),
        "refused_share": round(sum(1 for o in ok if o.refused) / len(ok), 3) if ok else None,
        "questions_with_differing_answers": sum(1 for d in digests.values() if len(d) > 1),
        "by_route": by_kind,
        "load_average_before_after": list(phase.load_average),
        "load_generator_cpu_seconds": round(phase.client_cpu_seconds, 1),
        **_rss_summary(samples),
    }
    return summary


def summarize_soak(phase: Phase, samples: Sequence[Sample]) -> dict[str, Any]:
    """The soak's summary plus memory growth: slope over the whole soak and its second half."""
    summary = summarize_phase(phase, samples)
    if samples:
        middle = samples[0].t + (samples[-1].t - samples[0].t) / 2
        second = [s for s in samples if s.t >= middle]
        growth = (second[-1].rss_mb - second[0].rss_mb) if len(second) > 1 else float("nan")
        bound = max(FLAT_RSS_MB, 0.01 * samples[0].rss_mb)
        summary.update(
            {
                "rss_slope_mb_per_min": _slope_mb_per_min(samples),
                "rss_slope_second_half_mb_per_min": _slope_mb_per_min(second),
                "rss_growth_second_half_mb": round(growth, 1),
                "rss_flat": bool(abs(growth) <= bound),
                "rss_flat_rule": f"growth over the second half within ±{bound:.1f} MB "
                f"(max of {FLAT_RSS_MB:.0f} MB and 1% of the starting RSS)",
            }
        )
    return summary


# --------------------------------------------------------------------------- reports


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def write_markdown(report: dict[str, Any], path: Path) -> None:
    """``load.md``: the levels table, the soak and how the run was made."""
    cfg, env = report["config"], report["environment"]
    lines = [
        "# kezhuan HTTP load test",
        "",
        f"Run {report['started']} on {env['cpus']} CPUs ({env['platform']}), server `{cfg['server']}`, "
        f"startup {_fmt(report['server_startup_seconds'])} s. Each client sends one request at a time, "
        f"back to back, for {cfg['seconds']:g} s per level; questions from `evals/sets/gold-v1.jsonl` "
        f"({report['questions']} questions); route mix "
        + ", ".join(f"{k} {v:.0%}" for k, v in cfg["mix"].items())
        + f"; client timeout {cfg['timeout']:g} s; rate limit off.",
        "",
        "| clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | server RSS max MB | "
        "server CPU % | load avg before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in report["levels"]:
        lines.append(
            f"| {level['clients']} | {level['requests']} | {level['errors']} | {_fmt(level['throughput_rps'])} "
            f"| {_fmt(level['p50_ms'])} | {_fmt(level['p95_ms'])} | {_fmt(level['p99_ms'])} "
            f"| {_fmt(level['max_ms'])} | {_fmt(level.get('rss_max_mb', 'n/a'))} "
            f"| {_fmt(level.get('server_cpu_percent', 'n/a'))} "
            f"| {'/'.join(f'{x:.1f}' for x in level['load_average_before_after'])} |"
        )
    errors: Counter[str] = Counter()
    for phase in [*report["levels"], *([report["soak"]] if report.get("soak") else [])]:
        errors.update(phase["errors_by_kind"])
    lines += [
        "",
        "Errors by kind (all phases): "
        + (", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none")
        + ".",
        "",
    ]
    soak = report.get("soak")
    if soak:
        lines += [
            f"## Soak: {soak['clients']} clients for {soak['seconds']:.0f} s",
            "",
            "| requests | errors | req/s | p50 / p95 / p99 ms | RSS start / end / max MB | "
            "RSS slope MB/min (whole / 2nd half) | flat |",
            "|---|---|---|---|---|---|---|",
            f"| {soak['requests']} | {soak['errors']} | {_fmt(soak['throughput_rps'])} "
            f"| {_fmt(soak['p50_ms'])} / {_fmt(soak['p95_ms'])} / {_fmt(soak['p99_ms'])} "
            f"| {_fmt(soak.get('rss_start_mb'))} / {_fmt(soak.get('rss_end_mb'))} / {_fmt(soak.get('rss_max_mb'))} "
            f"| {soak.get('rss_slope_mb_per_min')} / {soak.get('rss_slope_second_half_mb_per_min')} "
            f"| {'yes' if soak.get('rss_flat') else 'no'} |",
            "",
            f"Flat means {soak.get('rss_flat_rule', '')}.",
            "",
        ]
    lines += [
        "## Per route",
        "",
        "| phase | route | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase in [*report["levels"], *([soak] if soak else [])]:
        for kind, stats in phase["by_route"].items():
            lines.append(
                f"| {phase['name']} | {kind} | {stats['requests']} | {stats['errors']} | {_fmt(stats['p50_ms'])} "
                f"| {_fmt(stats['p95_ms'])} | {_fmt(stats['p99_ms'])} |"
            )
    differing = sum(
        p["questions_with_differing_answers"] for p in [*report["levels"], *([soak] if soak else [])]
    )
    lines += [
        "",
        "Consistency: the same question got "
        + (
            "the same answer every time under every load."
            if not differing
            else f"differing answers {differing} times."
        )
        + " The load generator shares the machine with the server (its CPU time is in load.json).",
        "",
        f"Reproduce: `{report['command']}`",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plot(report: dict[str, Any], samples: Sequence[Sample], path: Path) -> None:
    """``load.png``: latency and throughput against clients, and the server's RSS over the soak."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = report["levels"]
    clients = [lv["clients"] for lv in levels]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for key, style in (("p50_ms", "o-"), ("p95_ms", "s--"), ("p99_ms", "^:")):
        ax.plot(clients, [lv[key] for lv in levels], style, label=key.replace("_ms", ""))
    ax.set(xscale="log", xlabel="concurrent clients", ylabel="latency (ms)", title="Latency")
    ax.set_xticks(clients, [str(c) for c in clients])
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[1]
    ax.plot(clients, [lv["throughput_rps"] for lv in levels], "o-")
    ax.set(xscale="log", xlabel="concurrent clients", ylabel="requests / s", title="Throughput")
    ax.set_xticks(clients, [str(c) for c in clients])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax = axes[2]
    soak = [s for s in samples if s.phase == "soak"]
    if soak:
        t0 = soak[0].t
        ax.plot([(s.t - t0) / 60 for s in soak], [s.rss_mb for s in soak])
        ax.set(
            xlabel="minutes into the soak", title=f"Server RSS, soak at {report['soak']['clients']} clients"
        )
    else:
        ax.plot([s.t for s in samples], [s.rss_mb for s in samples])
        ax.set(xlabel="seconds into the run", title="Server RSS")
    ax.set_ylabel("RSS (MB)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- entry point


async def _run(
    base_url: str,
    pid: int | None,
    clients: Sequence[int],
    seconds: float,
    soak_seconds: float,
    soak_clients: int,
    questions: Sequence[Question],
    mix: Mapping[str, float],
    timeout: float,
    warmup_requests: int,
    seed: int,
    sample_interval: float,
) -> tuple[list[Phase], Phase | None, Phase | None, Sampler]:
    sampler = Sampler(pid, time.monotonic(), sample_interval)
    sampling = asyncio.create_task(sampler.run())
    try:
        warmup = None
        if warmup_requests:
            sampler.phase = "warmup"
            warmup = Phase("warmup", 1, 0.0)
            began = time.monotonic()
            async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as http:
                for i in range(warmup_requests):
                    kind = list(mix)[i % len(mix)]
                    warmup.outcomes.append(await _one(http, kind, questions[i % len(questions)]))
            warmup.seconds = time.monotonic() - began
        levels = []
        for n in clients:
            log.info("Load: %d clients for %.0f s", n, seconds)
            levels.append(await _phase(f"c{n}", base_url, n, seconds, questions, mix, seed, timeout, sampler))
        soak = None
        if soak_seconds > 0:
            log.info("Soak: %d clients for %.0f s", soak_clients, soak_seconds)
            soak = await _phase(
                "soak", base_url, soak_clients, soak_seconds, questions, mix, seed, timeout, sampler
            )
    finally:
        sampling.cancel()
        try:
            await sampling
        except asyncio.CancelledError:
            pass
    return levels, soak, warmup, sampler


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def run_load(
    out_dir: Path,
    clients: Sequence[int] = (1, 8, 32, 64),
    seconds: float = 30,
    soak_seconds: float = 300,
    *,
    soak_clients: int = 8,
    base_url: str | None = None,
    server_pid: int | None = None,
    server_command: Sequence[str] | None = None,
    data_dir: Path | None = None,
    server_env: Mapping[str, str] | None = None,
    port: int | None = None,
    questions: Sequence[Question] | None = None,
    mix: Mapping[str, float] = DEFAULT_MIX,
    timeout: float = 60.0,
    warmup_requests: int = 20,
    seed: int = 0,
    sample_interval: float = 1.0,
) -> dict[str, Any]:
    """Load-test a kezhuan server and write ``load.json``, ``load.md`` and ``load.png``.

    Without ``base_url``, starts ``kezhuan serve`` (or ``server_command``) on a free port of
    127.0.0.1 with the rate limit off, and stops it afterwards.

    Args:
        out_dir: Folder for the report (created).
        clients: Concurrency levels, run in order.
        seconds: Duration of each level.
        soak_seconds: Duration of the soak after the levels (0 skips it).
        soak_clients: Concurrent clients during the soak.
        base_url: An already running server to test instead of starting one.
        server_pid: That server's process id, to sample its memory (``None``: no samples).
        server_command: The argv that starts the server; ``{port}`` is replaced by the port.
        data_dir: ``KEZHUAN_DATA_DIR`` for the started server (the index it answers from).
        server_env: More environment variables for the started server.
        port: Port for the started server (default: the first free one in 18300-18399).
        questions: What to ask (default: every question of ``evals/sets/gold-v1.jsonl``).
        mix: Share of requests per route: ``ask``, ``chat``, ``chat_stream``.
        timeout: Seconds a request may take before it counts as a ``timeout`` error.
        warmup_requests: Sequential requests sent before measuring (not in the figures).
        seed: Seed of the clients' question and route choices.
        sample_interval: Seconds between readings of the server's memory.

    Returns:
        The report (also in ``load.json``): config, environment, one entry per level, the soak.

    Raises:
        ValueError: a concurrency level, duration or mix is out of range.
        RuntimeError: the server did not start.
    """
    if not clients or any(n < 1 for n in clients) or soak_clients < 1:
        raise ValueError(f"clients must be positive counts. Currently, clients is {list(clients)}.")
    if seconds <= 0 or soak_seconds < 0:
        raise ValueError(f"seconds must be > 0 and soak_seconds >= 0, not {seconds} and {soak_seconds}.")
    unknown = set(mix) - set(SENDERS)
    if unknown or not mix or any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"mix must weigh {', '.join(SENDERS)} with non-negative weights, not {dict(mix)}.")
    questions = list(questions) if questions is not None else load_questions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    server: ServerProcess | None = None
    if base_url is None:
        env = {"KEZHUAN_RATE_LIMIT_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1", **(server_env or {})}
        if data_dir is not None:
            env["KEZHUAN_DATA_DIR"] = str(data_dir)
        command = list(server_command or default_server_command())
        log_file = Path(tempfile.mkstemp(prefix="kezhuan-load-server-", suffix=".log")[1])
        server = ServerProcess(command, port or free_port(), env, log_file)
        log.info("Starting the server: %s", " ".join(server.argv))
        server.start()
        base_url, server_pid = server.url, server.pid
        server_label = " ".join(server.argv)
    else:
        server_label = base_url
    try:
        levels, soak, warmup, sampler = asyncio.run(
            _run(
                base_url,
                server_pid,
                clients,
                seconds,
                soak_seconds,
                soak_clients,
                questions,
                mix,
                timeout,
                warmup_requests,
                seed,
                sample_interval,
            )
        )
    finally:
        exit_status = server.stop() if server else None
    report: dict[str, Any] = {
        "started": started,
        "command": reproduce_command(out_dir, clients, seconds, soak_seconds, soak_clients, data_dir),
        "config": {
            "clients": list(clients),
            "seconds": seconds,
            "soak_seconds": soak_seconds,
            "soak_clients": soak_clients,
            "mix": dict(mix),
            "timeout": timeout,
            "warmup_requests": warmup_requests,
            "seed": seed,
            "server": server_label,
            "data_dir": str(data_dir) if data_dir else os.environ.get("KEZHUAN_DATA_DIR", ""),
        },
        "environment": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "commit": _git_commit(),
        },
        "questions": len(questions),
        "server_startup_seconds": round(server.startup_seconds, 1) if server else None,
        "server_exit_status": exit_status,
        "warmup": summarize_phase(warmup, sampler.of("warmup")) if warmup else None,
        "levels": [summarize_phase(p, sampler.of(p.name)) for p in levels],
        "soak": summarize_soak(soak, sampler.of("soak")) if soak else None,
        "rss_samples": [
            {"t": s.t, "phase": s.phase, "rss_mb": round(s.rss_mb, 1), "threads": s.threads}
            for s in sampler.samples
        ],
    }
    all_phases = [*report["levels"], *([report["soak"]] if report["soak"] else [])]
    report["total_requests"] = sum(p["requests"] for p in all_phases)
    report["total_errors"] = sum(p["errors"] for p in all_phases)
    (out_dir / "load.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    write_markdown(report, out_dir / "load.md")
    write_plot(report, sampler.samples, out_dir / "load.png")
    if server:
        problems = [
            line
            for line in server.log_path.read_text(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]
        tail = server.log_tail(60)
        (out_dir / "server-log.txt").write_text(
            f"# {len(problems)} ERROR/Traceback lines\n"
            + "\n".join(problems[:200])
            + "\n# last lines\n"
            + tail
            + "\n",
            encoding="utf-8",
        )
        server.log_path.unlink(missing_ok=True)
    log.info(
        "Load test done: %d requests, %d errors; report in %s",
        report["total_requests"],
        report["total_errors"],
        out_dir,
    )
    return report


def reproduce_command(
    out_dir: Path,
    clients: Sequence[int],
    seconds: float,
    soak_seconds: float,
    soak_clients: int,
    data_dir: Path | None,
) -> str:
    """The command line that repeats a ``run_load`` call (for the report)."""
    args = [".venv/bin/python -m bench.load", f"--out {out_dir}", f"--clients {','.join(map(str, clients))}"]
    args += [f"--seconds {seconds:g}", f"--soak-seconds {soak_seconds:g}", f"--soak-clients {soak_clients}"]
    if data_dir:
        args.append(f"--data-dir {data_dir}")
    return " ".join(args)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.load``: run the load test and print where the report is."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / f"load-{stamp}")
    parser.add_argument("--clients", default="1,8,32,64", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=30, help="seconds per level")
    parser.add_argument("--soak-seconds", type=float, default=300, help="soak duration (0: none)")
    parser.add_argument("--soak-clients", type=int, default=8)
    parser.add_argument("--data-dir", type=Path, help="KEZHUAN_DATA_DIR of the started server")
    parser.add_argument("--url", help="test this running server instead of starting one")
    parser.add_argument("--pid", type=int, help="process id of the --url server (for its memory)")
    parser.add_argument("--port", type=int, help="port of the started server")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    report = run_load(
        args.out,
        clients=[int(n) for n in args.clients.split(",") if n.strip()],
        seconds=args.seconds,
        soak_seconds=args.soak_seconds,
        soak_clients=args.soak_clients,
        base_url=args.url,
        server_pid=args.pid,
        data_dir=args.data_dir,
        port=args.port,
        timeout=args.timeout,
    )
    print((args.out / "load.md").read_text(encoding="utf-8"))
    return 1 if report["total_errors"] else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
