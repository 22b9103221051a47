"""The product query's throughput against the calibration, tracing on and off, and what each piece of
the tracing costs."""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

import psutil

from benchmark.measure import Measured, hey, machine, median_run, ratio
from benchmark.processes import (
    AGENT,
    GATEWAY,
    INVENTORY,
    PRICING,
    PRODUCT,
    bare_endpoint,
    cpu_seconds,
    forget_traces,
    memory_watch,
    rss_mib,
    running_stack,
    services_cpu_seconds,
)
from benchmark.traces import TraceCheck, check_traces
from hello_dd.stack import Tracer

# The product query with tracing on keeps at least this share of the bare endpoint's throughput (a little
# above what the stack reached with hand-written spans and export before it used the standard packages).
TARGET_RATIO, TARGET_CONCURRENCY = 0.12, 100


def benchmark(args: argparse.Namespace) -> int:
    concurrency, seconds = args.concurrency, args.seconds
    print(
        f"product query GET {PRODUCT} against a bare FastAPI endpoint, {concurrency} connections, {seconds:g} s per run, "
        f"{args.repeats} turns, hey on this machine ({machine()})",
        flush=True,
    )
    with (
        bare_endpoint() as (bare_url, bare_process),
        running_stack("otel") as traced,
        running_stack("none") as untraced,
    ):
        gateway_traced = traced.urls[GATEWAY] + PRODUCT
        gateway_untraced = untraced.urls[GATEWAY] + PRODUCT
        for url in (bare_url, gateway_traced, gateway_untraced):
            hey(url, concurrency, 3)  # warm-up with the same settings: connection pools, caches, lazy imports
        time.sleep(1.5)  # the warm-up's last spans leave the export queues
        bare: list[Measured] = []
        on: list[Measured] = []
        off: list[Measured] = []
        memory: list[float] = []
        checked: list[TraceCheck] = []
        cpu = {name: 0.0 for name in traced.pids}
        cpu_off, cpu_bare = 0.0, 0.0
        for turn in range(args.repeats):
            bare_before = sum(bare_process.cpu_times()[:2])
            bare.append(hey(bare_url, concurrency, seconds))
            cpu_bare += sum(bare_process.cpu_times()[:2]) - bare_before
            forget_traces(traced)
            before = cpu_seconds(traced)
            with memory_watch(traced) as samples:
                on.append(hey(gateway_traced, concurrency, seconds))
            after = cpu_seconds(traced)
            for name in cpu:
                cpu[name] += after.get(name, 0.0) - before.get(name, 0.0)
            memory += samples
            checked.append(check_traces(traced, on[-1].requests))
            off_before = services_cpu_seconds(untraced)
            off.append(hey(gateway_untraced, concurrency, seconds))
            cpu_off += services_cpu_seconds(untraced) - off_before
            print(
                f"    turn {turn + 1}: calibration {bare[-1].rps:.0f} req/s p95 {bare[-1].p95_ms:.1f} ms; tracing on "
                f"{on[-1].rps:.0f} req/s p95 {on[-1].p95_ms:.0f} ms ({checked[-1]}); off {off[-1].rps:.0f} req/s "
                f"p95 {off[-1].p95_ms:.0f} ms",
                flush=True,
            )
        forget_traces(traced)
        traces = TraceCheck(
            sum(c.traces for c in checked),
            sum(c.complete for c in checked),
            sum(c.spans for c in checked),
            tuple(r for c in checked for r in c.fan_out),
        )
        per_request = {name: 1000 * used / max(1, sum(m.requests for m in on)) for name, used in cpu.items()}
        per_request_off = 1000 * cpu_off / max(1, sum(m.requests for m in off))
        per_request_bare = 1000 * cpu_bare / max(1, sum(m.requests for m in bare))
        memory_at_rest = sum(rss_mib(traced).values())
        inventory = hey(traced.urls[INVENTORY] + "/inventory/123", concurrency, seconds)
        pricing = hey(traced.urls[PRICING] + "/prices/123", concurrency, seconds)
        low_seconds = max(3.0, seconds / 2)
        low = {
            "gateway": hey(gateway_traced, 4, low_seconds),
            "inventory": hey(traced.urls[INVENTORY] + "/inventory/123", 4, low_seconds),
            "pricing": hey(traced.urls[PRICING] + "/prices/123", 4, low_seconds),
        }
    calibration, gateway, untraced_gateway = median_run(bare), median_run(on), median_run(off)
    ratios = sorted(m.rps / c.rps for m, c in zip(on, bare, strict=False))
    overhead = sorted(a.rps / b.rps for a, b in zip(on, off, strict=False))
    spread = max(m.rps for m in bare) / min(m.rps for m in bare) - 1
    low_fan_out = low["gateway"].p50_ms / max(low["inventory"].p50_ms, low["pricing"].p50_ms)
    print(
        f"  calibration               {calibration}   (bare FastAPI endpoint; runs {', '.join(f'{m.rps:.0f}' for m in bare)} "
        f"req/s, spread {spread:.0%})"
    )
    print(
        f"  product query, tracing on {statistics.median(ratios):.3f}x throughput (median of the turns: "
        f"{', '.join(f'{r:.3f}' for r in ratios)}), p95 {gateway.p95_ms / calibration.p95_ms:.1f}x"
    )
    print(f"                            {gateway}")
    print(f"    traces                  {traces}, read back from the test agent after each run")
    print(f"  product query, tracing off {ratio(untraced_gateway, calibration)}")
    print(f"                            {untraced_gateway}")
    print(f"  inventory direct          {ratio(inventory, calibration)}   {inventory}")
    print(f"  pricing direct            {ratio(pricing, calibration)}   {pricing}")
    print(
        f"  fan-out efficiency        {low_fan_out:.2f}  (gateway p50 {low['gateway'].p50_ms:.1f} ms / slower downstream p50 "
        f"{max(low['inventory'].p50_ms, low['pricing'].p50_ms):.1f} ms at 4 connections; 1 = parallel, and the gateway's "
        "own work counts)"
    )
    if traces.fan_out:
        print(
            f"    in the traces           {statistics.median(traces.fan_out):.2f}  (median over the traced runs of: first call's "
            "start to last call's end / longer call; 1 = the two calls fully overlap, 2 = one after the other)"
        )
    print(
        f"  tracing overhead          {statistics.median(overhead):.2f}  (throughput with tracing / without, median of "
        f"{len(overhead)} pairs: {', '.join(f'{r:.2f}' for r in overhead)})"
    )
    print(
        f"  stack memory (RSS)        {max(memory):.0f} MiB at most under load, services and trace agent "
        f"({memory_at_rest:.0f} MiB after the runs)"
    )
    print(
        "  CPU per request           "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_request.items())
        + f"  (tracing on; the services {sum(ms for n, ms in per_request.items() if n != AGENT):.2f} ms, without hey's own)"
    )
    services_on = sum(ms for name, ms in per_request.items() if name != AGENT)
    cores = psutil.cpu_count() or 1
    print(
        f"  CPU per request in all    tracing on: services {services_on:.2f} + trace agent {per_request.get(AGENT, 0.0):.2f} "
        f"+ hey {gateway.client_cpu_ms:.2f} = {services_on + per_request.get(AGENT, 0.0) + gateway.client_cpu_ms:.2f} ms; "
        f"tracing off: services {per_request_off:.2f} + hey {untraced_gateway.client_cpu_ms:.2f} = "
        f"{per_request_off + untraced_gateway.client_cpu_ms:.2f} ms; calibration: endpoint {per_request_bare:.3f} + hey "
        f"{calibration.client_cpu_ms:.3f} ms, its one process at {per_request_bare * calibration.rps / 10:.0f} % of a core"
    )
    print(
        f"  what the target needs     {cores} cores kept busy at {TARGET_RATIO:.2f}x the calibration ({TARGET_RATIO * calibration.rps:.0f} "
        f"req/s) leave {cores * 1000 / (TARGET_RATIO * calibration.rps):.2f} ms of CPU per product query, hey's and the "
        "kernel's share included"
    )
    print(f"  machine after the runs    {machine()}")
    if args.pieces:
        piece_costs(concurrency, max(3.0, seconds / 2), args.repeats)
    target = statistics.median(ratios)
    checks = {
        f">= {TARGET_RATIO:.2f}x the calibration": target >= TARGET_RATIO,
        "no errors": gateway.errors == 0,
        "every trace complete": traces.all_complete and traces.traces == gateway.requests,
        f"{TARGET_CONCURRENCY} connections": concurrency == TARGET_CONCURRENCY,
    }
    missed = [name for name, ok in checks.items() if not ok]
    print(
        f"  target (tracing on with every standard instrumentation, >= {TARGET_RATIO:.2f}x the bare endpoint's throughput, "
        f"every trace complete, no errors, {TARGET_CONCURRENCY} connections): {'MET' if not missed else 'NOT MET'}: "
        f"{target:.3f}x ({gateway.rps:.0f} req/s against {calibration.rps:.0f} req/s), p95 {gateway.p95_ms:.1f} ms, "
        f"{gateway.errors} errors, {traces}" + (f"; missed: {', '.join(missed)}" if missed else "")
    )
    return 0


# A stack to measure: (label, tracer, environment of the services).
Variant = tuple[str, Tracer, dict[str, str]]
# Each piece of the tracing, added one at a time.
PIECES: tuple[Variant, ...] = (
    ("tracing off", "none", {}),
    ("+ server spans (FastAPI)", "otel", {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "aiohttp-client,sqlalchemy,redis"}),
    ("+ client spans (aiohttp)", "otel", {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "sqlalchemy,redis"}),
    ("+ SQL spans (SQLAlchemy)", "otel", {}),
)
EXPORT_VARIANTS: tuple[Variant, ...] = (
    ("all of it, not exported", "otel", {"OTEL_TRACES_EXPORTER": "none"}),
    ("all of it, OTLP/protobuf", "otel", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}),
)


def piece_costs(concurrency: int, seconds: float, repeats: int) -> None:
    """CPU per request of the three services (the trace agent apart) and throughput, for the stack with
    the instrumentations added one at a time, then without export and with OTLP/protobuf (the stack
    sends JSON to its test agent). Every variant runs at once, measured in turns (the median of
    ``repeats`` turns counts), so that a change in the machine's load touches them all alike."""
    variants = (*PIECES, *EXPORT_VARIANTS)
    print(
        f"  what each piece of the tracing costs ({concurrency} connections, {seconds:g} s each, median of {repeats} turns):"
    )
    with ExitStack() as running:
        stacks = [running.enter_context(running_stack(tracer, env)) for _, tracer, env in variants]
        urls = [stack.urls[GATEWAY] + PRODUCT for stack in stacks]
        for url in urls:
            hey(url, concurrency, 3)
        measured: list[list[tuple[float, float, float]]] = [[] for _ in variants]
        for _ in range(repeats):
            for index, (stack, url) in enumerate(zip(stacks, urls, strict=False)):
                before = cpu_seconds(stack)
                run = hey(url, concurrency, seconds)
                after = cpu_seconds(stack)
                used = {name: (after[name] - before.get(name, 0.0)) * 1000 / max(1, run.requests) for name in after}
                measured[index].append(
                    (sum(ms for name, ms in used.items() if name != AGENT), used.get(AGENT, 0.0), run.rps)
                )
                if stack.tracer != "none":
                    forget_traces(stack)
    previous: float | None = None
    full = 0.0
    pieces = {label for label, _, _ in PIECES}
    for (label, _, _), runs in zip(variants, measured, strict=False):
        services, agent, rps = (statistics.median(figure[i] for figure in runs) for i in range(3))
        if label in pieces:
            change = f"{services - previous:+.2f} ms" if previous is not None else "        "
            previous = full = services
        else:
            change = f"{services - full:+.2f} ms against all of it as the stack exports it (OTLP/JSON)"
        print(
            f"    {label:28} services {services:.2f} ms/request {change}   agent {agent:.2f} ms   {rps:6.0f} req/s",
            flush=True,
        )
