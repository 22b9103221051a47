"""The suite's load engine (Locust) against hey: the same stack, URL and concurrency, in turns."""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from benchmark.measure import Measured, hey
from benchmark.processes import GATEWAY, PRODUCT, forget_traces, running_stack
from hello_dd.harness.load.profile import LoadProfile, Stage
from hello_dd.harness.load.runner import run_load

ENGINE_AGREEMENT = 0.20


def compare_engines(args: argparse.Namespace) -> int:
    concurrency, seconds = args.concurrency, max(args.seconds, 15)
    print(
        f"load engines: GET {PRODUCT} through the gateway, {concurrency} connections / users without think time, "
        f"{seconds:g} s each, {args.repeats} turns each, tracing on",
        flush=True,
    )
    hey_runs: list[Measured] = []
    locust_runs = []
    with running_stack("otel") as stack:
        gateway = stack.urls[GATEWAY]
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
                print(
                    f"    turn {turn + 1}: hey p95 {hey_runs[-1].p95_ms:.0f} ms, Locust p95 {result.overall.p95_ms:.0f} ms",
                    flush=True,
                )
        finally:
            shutil.rmtree(out, ignore_errors=True)
    hey_p95 = statistics.median(m.p95_ms for m in hey_runs)
    locust_p95 = statistics.median(f.p95_ms for f in locust_runs)
    locust_rps = statistics.median(f.throughput_rps for f in locust_runs)
    locust_errors = sum(f.failures for f in locust_runs)
    print(
        f"  hey                       {statistics.median(m.rps for m in hey_runs):7.0f} req/s   "
        f"p50 {statistics.median(m.p50_ms for m in hey_runs):6.1f} ms   p95 {hey_p95:6.1f} ms   errors {sum(m.errors for m in hey_runs)}"
    )
    print(
        f"  Locust (FastHttpUser)     {locust_rps:7.0f} req/s   p50 {statistics.median(f.p50_ms for f in locust_runs):6.1f} ms   "
        f"p95 {locust_p95:6.1f} ms   errors {locust_errors}   (Locust rounds latencies above 100 ms to 10 ms)"
    )
    difference = (locust_p95 - hey_p95) / hey_p95
    agree = abs(difference) <= ENGINE_AGREEMENT
    print(
        f"  p95 agreement             Locust {difference:+.0%} against hey: "
        f"{'AGREE' if agree else 'DO NOT AGREE'} within {ENGINE_AGREEMENT:.0%}"
    )
    return 0
