"""hey as the load generator, and the figures a run gives: throughput, latency, errors, and hey's own CPU."""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    requests: int
    # CPU time of hey itself per request (user and system): the load generator shares the machine.
    client_cpu_ms: float = 0.0

    def __str__(self) -> str:
        return f"{self.rps:7.0f} req/s   p50 {self.p50_ms:6.1f} ms   p95 {self.p95_ms:6.1f} ms   errors {self.errors}/{self.requests}"


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _hey_figure(pattern: str, out: str) -> float:
    """A figure of hey's summary (the first group of ``pattern``); hey not printing it is an error."""
    found = re.search(pattern, out)
    if found is None:
        raise RuntimeError(f"hey's output has no line matching {pattern!r}:\n{out}")
    return float(found.group(1))


def hey(url: str, concurrency: int, seconds: float) -> Measured:
    # hey is the only child process that ends during the run, so the children's CPU time grows by its own.
    cpu_before = _children_cpu_seconds()
    out = subprocess.run(
        ["hey", "-c", str(concurrency), "-z", f"{seconds:g}s", url], capture_output=True, text=True, check=True
    ).stdout
    rps = _hey_figure(r"Requests/sec:\s+([\d.]+)", out)
    p50_ms = _hey_figure(r"\s50% in ([\d.]+) secs", out) * 1000
    p95_ms = _hey_figure(r"\s95% in ([\d.]+) secs", out) * 1000
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    failures = sum(count for code, count in statuses.items() if code != 200)
    failures += sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get", out))  # transport errors, counted by hey
    requests = sum(statuses.values()) + failures
    client_cpu_ms = (_children_cpu_seconds() - cpu_before) * 1000 / max(1, requests)
    return Measured(rps, p50_ms, p95_ms, failures, requests, client_cpu_ms)


def median_run(runs: list[Measured]) -> Measured:
    """Each figure's median over the runs (errors and requests: the totals)."""
    return Measured(
        statistics.median(m.rps for m in runs),
        statistics.median(m.p50_ms for m in runs),
        statistics.median(m.p95_ms for m in runs),
        sum(m.errors for m in runs),
        sum(m.requests for m in runs),
        statistics.median(m.client_cpu_ms for m in runs),
    )


def machine() -> str:
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    return f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load average {load} (1, 5, 15 min)"


def ratio(stack: Measured, calibration: Measured) -> str:
    return f"{stack.rps / calibration.rps:.3f}x throughput, p95 {stack.p95_ms / calibration.p95_ms:.1f}x"
