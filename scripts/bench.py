#!/usr/bin/env python3
"""Benchmark of the product query (a benchmark, not a test: it prints figures, it asserts nothing).

For ``GET /api/v1/products/123`` at a fixed concurrency, with ``hey`` as the load generator on this
machine, in one run:

- throughput and p95 through the gateway with tracing on, and that the traces of the run are complete
  (every request one trace of five spans, read back from the test agent);
- the same for inventory and pricing called directly;
- fan-out efficiency: the gateway's median latency over the slower downstream's, at low concurrency
  (near 1: the two calls really run in parallel; near 2: one after the other);
- tracing overhead: gateway throughput with tracing on over tracing off, the two stacks measured in
  turns so that both see the same machine;
- resident memory of the whole stack (services and trace agent) while it is under load, and CPU time
  per request of each process;
- the target's outcome: at 100 connections, at least 1,000 requests/s, p95 at most 100 ms, no errors,
  tracing on with complete traces.

The gateway figures are medians over ``--repeats`` runs (3 by default), each ``--seconds`` long; errors
and requests are the runs' totals.

    .venv/bin/python scripts/bench.py [--seconds 10] [--concurrency 100] [--repeats 3]
    .venv/bin/python scripts/bench.py --soak-minutes 10     # memory over a long run
    .venv/bin/python scripts/bench.py --compare-engines     # Locust's p95 against hey's

``--soak-minutes N`` drives the product query for N minutes after a 30 s warm-up and reports the
stack's resident memory at the start and the end against the targets (under 1 GiB, growth under 10 %).
The test agent keeps every payload it receives until it is told to forget them (it is a test fixture:
a real Datadog Agent forwards and forgets), so during the soak its store is cleared every few seconds.

``--compare-engines`` runs the suite's load engine (Locust, through the same runner the load scenarios
use, with a user that asks for the product query without think time) and hey against the same stack,
URL and concurrency, in turns, and reports both p95s and whether they agree within 20 %.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from hello_dd.harness.load.profile import LoadProfile, Stage
from hello_dd.harness.load.runner import run_load
from hello_dd.stack import LocalStack, StackPorts

TARGET_RPS, TARGET_P95_MS, TARGET_CONCURRENCY = 1000.0, 100.0, 100
MEMORY_LIMIT_MIB, GROWTH_LIMIT = 1024.0, 0.10
ENGINE_AGREEMENT = 0.20
PRODUCT = "/api/v1/products/123"
SPANS_PER_QUERY = 5  # gateway server span, two client spans, inventory's and pricing's server spans
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    requests: int

    def __str__(self) -> str:
        return f"{self.rps:7.0f} req/s   p50 {self.p50_ms:6.1f} ms   p95 {self.p95_ms:6.1f} ms   errors {self.errors}/{self.requests}"


def hey(url: str, concurrency: int, seconds: float) -> Measured:
    out = subprocess.run(["hey", "-c", str(concurrency), "-z", f"{seconds:g}s", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentile = lambda p: float(re.search(rf"\s{p}% in ([\d.]+) secs", out).group(1)) * 1000  # noqa: E731
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    failures = sum(count for code, count in statuses.items() if code != 200)
    failures += sum(int(n) for n in re.findall(r"\[(\d+)\]\s+Get", out))  # transport errors, counted by hey
    return Measured(rps, percentile(50), percentile(95), failures, sum(statuses.values()) + failures)


def median_run(runs: list[Measured]) -> Measured:
    """Each figure's median over the runs (errors and requests: the totals)."""
    return Measured(
        statistics.median(m.rps for m in runs),
        statistics.median(m.p50_ms for m in runs),
        statistics.median(m.p95_ms for m in runs),
        sum(m.errors for m in runs),
        sum(m.requests for m in runs),
    )


# -- the stack's processes ---------------------------------------------------------------------------


def _processes(stack: LocalStack) -> dict[str, list[psutil.Process]]:
    found = {}
    for name, pid in stack.pids.items():
        try:
            process = psutil.Process(pid)
            found[name] = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return found


def rss_mib(stack: LocalStack) -> dict[str, float]:
    """Resident memory of each process of the stack (with its children), in MiB."""
    sizes = {}
    for name, processes in _processes(stack).items():
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        sizes[name] = total / 2**20
    return sizes


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    times = {}
    for name, processes in _processes(stack).items():
        total = 0.0
        for process in processes:
            try:
                cpu = process.cpu_times()
                total += cpu.user + cpu.system
            except psutil.NoSuchProcess:
                pass
        times[name] = total
    return times


@contextmanager
def memory_watch(stack: LocalStack, every: float = 0.5) -> Iterator[list[float]]:
    """Samples the whole stack's resident memory while the block runs; yields the list of samples."""
    samples: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            samples.append(sum(rss_mib(stack).values()))
            done.wait(every)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield samples
    finally:
        done.set()
        watcher.join()


@contextmanager
def running_stack(tracer: str) -> Iterator[LocalStack]:
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-bench-"))
    stack = LocalStack(StackPorts.free(), workdir=workdir, tracer=tracer)  # type: ignore[arg-type]
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _agent(stack: LocalStack, path: str, timeout: float = 120) -> bytes:
    with _http.open(stack.urls["otlp"] + path, timeout=timeout) as response:
        return response.read()


def forget_traces(stack: LocalStack) -> None:
    """Makes the test agent drop every payload it has stored (its OTLP and Datadog sides share one store)."""
    _agent(stack, "/test/session/clear")


# -- trace completeness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceCheck:
    traces: int
    complete: int
    spans: int
    # Per complete trace: the time from the first downstream call's start to the last one's end, over
    # the longer call (1: fully parallel, 2: one after the other).
    fan_out: tuple[float, ...] = ()

    @property
    def all_complete(self) -> bool:
        return self.traces > 0 and self.complete == self.traces

    def __str__(self) -> str:
        return f"{self.complete}/{self.traces} traces complete ({self.spans} spans)"


def check_traces(stack: LocalStack, requests: int, wait: float = 20.0) -> TraceCheck:
    """Reads the run's spans back from the test agent (waiting for the last batches) and counts the
    traces that are complete: a gateway server span at the root, two client spans under it, and under
    each of those the server span of inventory-service or pricing-service."""
    deadline = time.monotonic() + wait
    while True:
        payloads = json.loads(_agent(stack, "/test/session/traces"))
        spans = [
            (service, span)
            for payload in payloads
            for resource in payload.get("resourceSpans", [])
            for service in [next(a["value"]["stringValue"] for a in resource["resource"]["attributes"] if a["key"] == "service.name")]
            for scope in resource.get("scopeSpans", [])
            for span in scope.get("spans", [])
        ]
        if len(spans) >= requests * SPANS_PER_QUERY or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    by_trace: dict[str, list[tuple[str, dict]]] = {}
    for service, span in spans:
        by_trace.setdefault(span["traceId"], []).append((service, span))
    complete = [members for members in by_trace.values() if _complete(members)]
    return TraceCheck(len(by_trace), len(complete), len(spans), tuple(_fan_out(members) for members in complete))


def _fan_out(members: list[tuple[str, dict]]) -> float:
    calls = [(int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])) for service, s in members if s["kind"] == 3]
    longest = max(end - start for start, end in calls)
    return (max(end for _, end in calls) - min(start for start, _ in calls)) / max(1, longest)


def _complete(members: list[tuple[str, dict]]) -> bool:
    kinds = {(service, span["kind"]): span for service, span in members}
    root = kinds.get(("api-gateway", 2))
    if len(members) != SPANS_PER_QUERY or root is None or "parentSpanId" in root:
        return False
    clients = [span for service, span in members if service == "api-gateway" and span["kind"] == 3]
    if len(clients) != 2 or any(c.get("parentSpanId") != root["spanId"] for c in clients):
        return False
    client_ids = {c["spanId"] for c in clients}
    callees = [(service, span) for service, span in members if span["kind"] == 2 and service != "api-gateway"]
    return {service for service, _ in callees} == {"inventory-service", "pricing-service"} and all(
        span.get("parentSpanId") in client_ids for _, span in callees
    )


# -- the benchmark -----------------------------------------------------------------------------------


def benchmark(args: argparse.Namespace) -> int:
    concurrency, seconds = args.concurrency, args.seconds
    print(
        f"product query GET {PRODUCT}, {concurrency} connections, {seconds:g} s per run, {args.repeats} runs through the "
        f"gateway, hey on this machine ({psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB)",
        flush=True,
    )
    with running_stack("otel") as traced, running_stack("none") as untraced:
        gateway_traced = traced.urls["api-gateway"] + PRODUCT
        gateway_untraced = untraced.urls["api-gateway"] + PRODUCT
        for url in (gateway_traced, gateway_untraced):
            hey(url, 10, 2)  # warm-up: connection pools, caches, lazy imports
        time.sleep(1.5)  # the warm-up's last spans leave the export queues
        on: list[Measured] = []
        off: list[Measured] = []
        memory: list[float] = []
        checked: list[TraceCheck] = []
        cpu = {name: 0.0 for name in traced.pids}
        for turn in range(args.repeats):
            forget_traces(traced)
            before = cpu_seconds(traced)
            with memory_watch(traced) as samples:
                on.append(hey(gateway_traced, concurrency, seconds))
            after = cpu_seconds(traced)
            for name in cpu:
                cpu[name] += after.get(name, 0.0) - before.get(name, 0.0)
            memory += samples
            checked.append(check_traces(traced, on[-1].requests))
            off.append(hey(gateway_untraced, concurrency, seconds))
            print(f"    turn {turn + 1}: tracing on {on[-1].rps:.0f} req/s p95 {on[-1].p95_ms:.0f} ms ({checked[-1]}), "
                  f"off {off[-1].rps:.0f} req/s p95 {off[-1].p95_ms:.0f} ms", flush=True)  # fmt: skip
        forget_traces(traced)
        traces = TraceCheck(
            sum(c.traces for c in checked), sum(c.complete for c in checked), sum(c.spans for c in checked),
            tuple(ratio for c in checked for ratio in c.fan_out),
        )  # fmt: skip
        per_request = {name: 1000 * seconds_used / max(1, sum(m.requests for m in on)) for name, seconds_used in cpu.items()}
        memory_at_rest = sum(rss_mib(traced).values())
        inventory = hey(traced.urls["inventory-service"] + "/inventory/123", concurrency, seconds)
        pricing = hey(traced.urls["pricing-service"] + "/prices/123", concurrency, seconds)
        low_seconds = max(3.0, seconds / 2)
        low = {
            "gateway": hey(gateway_traced, 4, low_seconds),
            "inventory": hey(traced.urls["inventory-service"] + "/inventory/123", 4, low_seconds),
            "pricing": hey(traced.urls["pricing-service"] + "/prices/123", 4, low_seconds),
        }
    gateway, bare = median_run(on), median_run(off)
    ratios = sorted(a.rps / b.rps for a, b in zip(on, off))
    fan_out = low["gateway"].p50_ms / max(low["inventory"].p50_ms, low["pricing"].p50_ms)
    print(f"  gateway (tracing on)      {gateway}   (runs: {', '.join(f'{m.rps:.0f}/{m.p95_ms:.0f}' for m in on)} req/s / p95 ms)")
    print(f"    traces                  {traces}, read back from the test agent after each run")
    print(f"  gateway (tracing off)     {bare}   (runs: {', '.join(f'{m.rps:.0f}/{m.p95_ms:.0f}' for m in off)})")
    print(f"  inventory direct          {inventory}")
    print(f"  pricing direct            {pricing}")
    print(f"  fan-out efficiency        {fan_out:.2f}  (gateway p50 {low['gateway'].p50_ms:.1f} ms / slower downstream p50 "
          f"{max(low['inventory'].p50_ms, low['pricing'].p50_ms):.1f} ms at 4 connections; 1 = parallel, and the gateway's "
          "own work counts)")  # fmt: skip
    if traces.fan_out:
        print(f"    in the traces           {statistics.median(traces.fan_out):.2f}  (median over the traced runs of: first call's "
              "start to last call's end / longer call; 1 = the two calls fully overlap, 2 = one after the other)")  # fmt: skip
    print(f"  tracing overhead          {statistics.median(ratios):.2f}  (throughput with tracing / without, median of "
          f"{len(ratios)} pairs: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    print(f"  stack memory (RSS)        {max(memory):.0f} MiB at most under load, services and trace agent "
          f"({memory_at_rest:.0f} MiB after the runs)")  # fmt: skip
    print("  CPU per request           " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_request.items())
          + f"  (total {sum(per_request.values()):.2f} ms, tracing on, without hey's own)")  # fmt: skip
    checks = {
        f">= {TARGET_RPS:.0f} req/s": gateway.rps >= TARGET_RPS,
        f"p95 <= {TARGET_P95_MS:.0f} ms": gateway.p95_ms <= TARGET_P95_MS,
        "no errors": gateway.errors == 0,
        "complete traces": traces.all_complete,
        f"{TARGET_CONCURRENCY} connections": concurrency == TARGET_CONCURRENCY,
    }
    verdict = "MET" if all(checks.values()) else "NOT MET"
    missed = [name for name, ok in checks.items() if not ok]
    print(
        f"  target (>= {TARGET_RPS:.0f} req/s, p95 <= {TARGET_P95_MS:.0f} ms, no errors, {TARGET_CONCURRENCY} connections, tracing on "
        f"with complete traces): {verdict}: {gateway.rps:.0f} req/s, p95 {gateway.p95_ms:.1f} ms, "
        f"{gateway.errors} errors, {traces}" + (f"; missed: {', '.join(missed)}" if missed else "")
    )
    return 0


def soak(args: argparse.Namespace) -> int:
    minutes, concurrency = args.soak_minutes, args.concurrency
    clear_every = 5.0
    print(f"memory soak: GET {PRODUCT} through the gateway at {concurrency} connections for {minutes:g} min after a 30 s "
          f"warm-up, tracing on; the trace agent's store is cleared every {clear_every:g} s", flush=True)  # fmt: skip
    with running_stack("otel") as stack:
        url = stack.urls["api-gateway"] + PRODUCT
        stop_clearing = threading.Event()

        def keep_clearing() -> None:
            while not stop_clearing.wait(clear_every):
                forget_traces(stack)

        clearer = threading.Thread(target=keep_clearing, daemon=True)
        clearer.start()
        try:
            hey(url, concurrency, 30)
            start = rss_mib(stack)
            samples: list[tuple[float, float]] = []
            result: list[Measured] = []
            load = threading.Thread(target=lambda: result.append(hey(url, concurrency, minutes * 60)), daemon=True)
            began = time.monotonic()
            load.start()
            while load.is_alive():
                elapsed = time.monotonic() - began
                if not samples or elapsed - samples[-1][0] >= 10:
                    samples.append((elapsed, sum(rss_mib(stack).values())))
                    print(f"    {elapsed / 60:5.1f} min  {samples[-1][1]:6.0f} MiB", flush=True)
                load.join(1.0)
            end = rss_mib(stack)
        finally:
            stop_clearing.set()
            clearer.join()
    total_start, total_end = sum(start.values()), sum(end.values())
    growth = (total_end - total_start) / total_start
    peak = max([total_start, total_end, *(s for _, s in samples)])
    run = result[0] if result else None
    print(f"  load                      {run}" if run else "  load                      (hey gave no result)")
    for name in start:
        print(f"  {name:24}  {start[name]:6.0f} MiB -> {end.get(name, 0.0):6.0f} MiB")
    print(f"  whole stack               {total_start:6.0f} MiB -> {total_end:6.0f} MiB, growth {growth:+.1%}, peak {peak:.0f} MiB")
    met = peak < MEMORY_LIMIT_MIB and growth < GROWTH_LIMIT
    print(f"  target (under {MEMORY_LIMIT_MIB / 1024:.0f} GiB, growth under {GROWTH_LIMIT:.0%} over {minutes:g} min): "
          f"{'MET' if met else 'NOT MET'}: peak {peak:.0f} MiB, growth {growth:+.1%}")  # fmt: skip
    return 0


def compare_engines(args: argparse.Namespace) -> int:
    concurrency, seconds = args.concurrency, max(args.seconds, 15)
    print(f"load engines: GET {PRODUCT} through the gateway, {concurrency} connections / users without think time, "
          f"{seconds:g} s each, {args.repeats} turns each, tracing on", flush=True)  # fmt: skip
    hey_runs: list[Measured] = []
    locust_runs = []
    with running_stack("otel") as stack:
        gateway = stack.urls["api-gateway"]
        hey(gateway + PRODUCT, 10, 2)
        out = Path(tempfile.mkdtemp(prefix="hello-dd-engines-"))
        try:
            # Locust starts its users at the runner's spawn rate; its stats count from the first request.
            profile = LoadProfile("compare-engines", (Stage(2, concurrency), Stage(seconds, concurrency)))
            for turn in range(args.repeats):
                hey_runs.append(hey(gateway + PRODUCT, concurrency, seconds))
                forget_traces(stack)
                result = run_load(profile, gateway, out, f"engines-{turn}", user_class="ProductQuery")
                locust_runs.append(result.overall)
                forget_traces(stack)
                print(f"    turn {turn + 1}: hey p95 {hey_runs[-1].p95_ms:.0f} ms, Locust p95 {result.overall.p95_ms:.0f} ms", flush=True)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    hey_p95 = statistics.median(m.p95_ms for m in hey_runs)
    locust_p95 = statistics.median(f.p95_ms for f in locust_runs)
    locust_rps = statistics.median(f.throughput_rps for f in locust_runs)
    locust_errors = sum(f.failures for f in locust_runs)
    print(f"  hey                       {statistics.median(m.rps for m in hey_runs):7.0f} req/s   "
          f"p50 {statistics.median(m.p50_ms for m in hey_runs):6.1f} ms   p95 {hey_p95:6.1f} ms   errors {sum(m.errors for m in hey_runs)}")  # fmt: skip
    print(f"  Locust (FastHttpUser)     {locust_rps:7.0f} req/s   p50 {statistics.median(f.p50_ms for f in locust_runs):6.1f} ms   "
          f"p95 {locust_p95:6.1f} ms   errors {locust_errors}   (Locust rounds latencies above 100 ms to 10 ms)")  # fmt: skip
    difference = (locust_p95 - hey_p95) / hey_p95
    agree = abs(difference) <= ENGINE_AGREEMENT
    print(f"  p95 agreement             Locust {difference:+.0%} against hey: "
          f"{'AGREE' if agree else 'DO NOT AGREE'} within {ENGINE_AGREEMENT:.0%}")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured run (default 10)")
    parser.add_argument("--concurrency", type=int, default=TARGET_CONCURRENCY, help="concurrent connections (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each gateway measurement; the median counts (default 3)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--soak-minutes", type=float, metavar="N", help="instead: drive the stack for N minutes and report its memory")
    mode.add_argument("--compare-engines", action="store_true", help="instead: compare Locust's p95 with hey's")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        print("bench: needs `hey` (Debian package hey; `make system-packages` installs it)", file=sys.stderr)
        return 2
    if args.soak_minutes:
        return soak(args)
    if args.compare_engines:
        return compare_engines(args)
    return benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
