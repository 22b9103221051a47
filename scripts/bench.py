#!/usr/bin/env python3
"""Benchmark of the product query (a benchmark, not a test: it prints figures, it asserts nothing).

For the product query at a fixed concurrency, with `hey` as the load generator on this machine:
- throughput and p95 through the gateway, and the same for inventory and pricing called directly;
- fan-out efficiency: the gateway's median latency over the slower downstream's, at low concurrency
  (near 1: the two calls really run in parallel; near 2: one after the other);
- tracing overhead: gateway throughput with tracing on versus off, measured in the same run;
- resident memory of the whole stack after the loaded runs;
- the target's outcome: at 100 connections, at least 1,000 requests/s, p95 at most 100 ms, no errors.

    .venv/bin/python scripts/bench.py [--seconds 10] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from hello_dd.stack import LocalStack, StackPorts

TARGET_RPS, TARGET_P95_MS = 1000.0, 100.0


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    requests: int

    def __str__(self) -> str:
        return f"{self.rps:8.0f} req/s   p50 {self.p50_ms:6.1f} ms   p95 {self.p95_ms:6.1f} ms   errors {self.errors}/{self.requests}"


def hey(url: str, concurrency: int, seconds: int) -> Measured:
    out = subprocess.run(["hey", "-c", str(concurrency), "-z", f"{seconds}s", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentile = lambda p: float(re.search(rf"\s{p}% in ([\d.]+) secs", out).group(1)) * 1000  # noqa: E731
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    failures = sum(count for code, count in statuses.items() if code != 200)
    failures += sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get", out))  # transport errors, counted by hey
    return Measured(rps, percentile(50), percentile(95), failures, sum(statuses.values()) + failures)


def stack_rss_mib(stack: LocalStack) -> float:
    total = 0
    for pid in stack.pids.values():
        try:
            process = psutil.Process(pid)
            total += process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def measure(tracer: str, args: argparse.Namespace) -> dict[str, Measured | float]:
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-bench-"))
    stack = LocalStack(StackPorts.free(), workdir=workdir, tracer=tracer)  # type: ignore[arg-type]
    stack.start()
    try:
        urls = stack.urls
        gateway = f"{urls['api-gateway']}/api/v1/products/123"
        hey(gateway, 10, 2)  # warm-up: connection pools, caches, JIT-free but lazy imports
        results: dict[str, Measured | float] = {"gateway": hey(gateway, args.concurrency, args.seconds)}
        if tracer != "none":
            results["inventory"] = hey(f"{urls['inventory-service']}/inventory/123", args.concurrency, args.seconds)
            results["pricing"] = hey(f"{urls['pricing-service']}/prices/123", args.concurrency, args.seconds)
            low = {name: hey(url, 4, max(3, args.seconds // 2)) for name, url in (
                ("gateway", gateway),
                ("inventory", f"{urls['inventory-service']}/inventory/123"),
                ("pricing", f"{urls['pricing-service']}/prices/123"),
            )}
            results["fan_out"] = low["gateway"].p50_ms / max(low["inventory"].p50_ms, low["pricing"].p50_ms)
            results["rss_mib"] = stack_rss_mib(stack)
        return results
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run (default 10)")
    parser.add_argument("--concurrency", type=int, default=100, help="concurrent connections (default 100)")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        print("bench: needs `hey` (Debian package hey; `make system-packages` installs it)", file=sys.stderr)
        return 2
    print(f"product query, {args.concurrency} connections, {args.seconds} s per run, hey on this machine "
          f"({psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB)")
    traced = measure("otel", args)
    untraced = measure("none", args)
    gateway, bare = traced["gateway"], untraced["gateway"]
    print(f"  gateway (tracing on)      {gateway}")
    print(f"  inventory direct          {traced['inventory']}")
    print(f"  pricing direct            {traced['pricing']}")
    print(f"  gateway (tracing off)     {bare}")
    print(f"  fan-out efficiency        {traced['fan_out']:.2f}  (gateway p50 / slower downstream p50 at 4 connections; 1 = parallel)")
    print(f"  tracing overhead          {gateway.rps / bare.rps:.2f}  (throughput with tracing / without)")
    print(f"  stack memory (RSS)        {traced['rss_mib']:.0f} MiB after the loaded runs")
    met = gateway.rps >= TARGET_RPS and gateway.p95_ms <= TARGET_P95_MS and gateway.errors == 0
    verdict = "MET" if met else "NOT MET"
    print(f"  target (>= {TARGET_RPS:.0f} req/s, p95 <= {TARGET_P95_MS:.0f} ms, no errors, tracing on): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
