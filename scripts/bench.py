#!/usr/bin/env python3
"""Benchmark of the product query (a benchmark, not a test: it prints figures, it asserts nothing).

Absolute speed differs several times between machines of the same kind, so the figures that count are
ratios to a calibration measured in the same run: a bare FastAPI endpoint (scripts/calibration_app.py,
one uvicorn process of this virtual environment) under the same ``hey`` settings. In turns, for
``GET /api/v1/products/123`` at a fixed concurrency (100 by default):

- the calibration, then the product query through the gateway with tracing on (every standard
  instrumentation, database spans included) and with tracing off: throughput and p95 of each, the
  stack's as ratios to the calibration's, with the absolute figures, the machine's cores and load;
- that every traced request is one complete trace (read back from the test agent with
  hello_dd.harness.traces): the gateway's server span at the root, one call to inventory and one to
  pricing under it, each service's server span under its call, inventory's SQL under its request;
- CPU time per request of each process, resident memory of the whole stack under load;
- inventory and pricing called directly; fan-out efficiency at low concurrency;
- what each piece of the tracing costs (``--no-pieces`` skips it): CPU per request and throughput of
  the stack with the instrumentations added one at a time (server spans, client spans, SQL spans),
  without export, and exporting OTLP/protobuf instead of the JSON the stack sends its test agent;
- the target's outcome: tracing on, at least 0.11x the calibration's throughput, every trace
  complete, no errors, 100 connections.

The gateway figures are medians over ``--repeats`` turns (3 by default), each run ``--seconds`` long;
errors and requests are the runs' totals.

    .venv/bin/python scripts/bench.py [--seconds 10] [--concurrency 100] [--repeats 3] [--no-pieces]
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
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

from hello_dd import topology
from hello_dd.harness.load.profile import LoadProfile, Stage
from hello_dd.harness.load.runner import run_load
from hello_dd.harness.traces import SERVER, Trace, TraceReader, group_by_trace
from hello_dd.harness.traces.datastores import database_work
from hello_dd.harness.traces.scenario import calls_to
from hello_dd.polling import PollTimeout, poll
from hello_dd.stack import LocalStack, StackPorts, Tracer, free_port, http_ok

# The product query with tracing on keeps at least this share of the bare endpoint's throughput (what
# the stack reached with hand-written spans and export before it used the standard packages).
TARGET_RATIO, TARGET_CONCURRENCY = 0.11, 100
MEMORY_LIMIT_MIB, GROWTH_LIMIT = 1024.0, 0.10
ENGINE_AGREEMENT = 0.20
PRODUCT = "/api/v1/products/123"
GATEWAY, INVENTORY, PRICING = topology.GATEWAY.name, topology.INVENTORY.name, topology.PRICING.name
AGENT = topology.TEST_AGENT.name
# The gateway's server span, its two calls, inventory's and pricing's server spans, inventory's SELECT.
SPANS_PER_QUERY = 6
SCRIPTS = Path(__file__).resolve().parent
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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
            with suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
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


def services_cpu_seconds(stack: LocalStack) -> float:
    return sum(seconds for name, seconds in cpu_seconds(stack).items() if name != AGENT)


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
def running_stack(tracer: Tracer, env: dict[str, str] | None = None) -> Iterator[LocalStack]:
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-bench-"))
    stack = LocalStack(StackPorts.free(), workdir=workdir, tracer=tracer, extra_env=env)
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


def complete_product_query(trace: Trace) -> bool:
    """The gateway's server span at the root, one call to inventory and one to pricing directly under
    it, each reaching that service's server span, no orphan, and inventory's SQL under its request."""
    root = trace.root
    if root is None or root.parent_id is not None or (root.service, root.kind) != (GATEWAY, SERVER) or trace.orphans():
        return False
    inventory, pricing = calls_to(trace, INVENTORY), calls_to(trace, PRICING)
    if len(inventory) != 1 or len(pricing) != 1:
        return False
    calls = inventory + pricing
    statements = database_work(trace, INVENTORY)
    return (
        all(trace.parent(c) == root for c in calls)
        and bool(statements.spans)
        and not statements.outside_the_services_requests
    )


def fan_out(trace: Trace) -> float:
    calls = [*calls_to(trace, INVENTORY), *calls_to(trace, PRICING)]
    longest = max(c.duration_ns for c in calls)
    return (max(c.end_ns for c in calls) - min(c.start_ns for c in calls)) / max(1, longest)


def check_traces(stack: LocalStack, requests: int, wait: float = 30.0) -> TraceCheck:
    """Reads the run's spans back from the test agent (through hello_dd.harness.traces, waiting for the
    last batches) and counts the product queries that are one complete trace."""
    reader = TraceReader(stack.urls[AGENT], stack.urls["otlp"], timeout=120)
    try:
        spans = poll(reader.spans, lambda spans: len(spans) >= requests * SPANS_PER_QUERY, timeout=wait, interval=1.0)
    except PollTimeout:
        spans = reader.spans()  # counted as they are: the check says how many are complete
    traces = [Trace(members) for members in group_by_trace(spans).values()]
    complete = [trace for trace in traces if complete_product_query(trace)]
    return TraceCheck(len(traces), len(complete), len(spans), tuple(fan_out(trace) for trace in complete))


# -- the calibration -----------------------------------------------------------------------------------


@contextmanager
def bare_endpoint(start_timeout: float = 30.0) -> Iterator[tuple[str, psutil.Process]]:
    """The calibration app in one uvicorn process of this virtual environment, on a free loopback port:
    its URL and its process."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="hello-dd-calibration-", suffix=".log", delete=False)  # noqa: SIM115 - open while the process writes to it, closed in the finally below
    command = [sys.executable, "-m", "uvicorn", "calibration_app:app", "--app-dir", str(SCRIPTS),
               "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip  # each option beside its value
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the calibration endpoint ended: {Path(log.name).read_text()[-2000:]}")
            return http_ok(url)

        poll(
            answers,
            timeout=start_timeout,
            interval=0.1,
            fail=lambda *_: RuntimeError(
                f"the calibration endpoint did not start: {Path(log.name).read_text()[-2000:]}"
            ),
        )
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def machine() -> str:
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    return f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load average {load} (1, 5, 15 min)"


def ratio(stack: Measured, calibration: Measured) -> str:
    return f"{stack.rps / calibration.rps:.3f}x throughput, p95 {stack.p95_ms / calibration.p95_ms:.1f}x"


# -- the benchmark -----------------------------------------------------------------------------------


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


def soak(args: argparse.Namespace) -> int:
    minutes, concurrency = args.soak_minutes, args.concurrency
    clear_every = 5.0
    print(
        f"memory soak: GET {PRODUCT} through the gateway at {concurrency} connections for {minutes:g} min after a 30 s "
        f"warm-up, tracing on; the trace agent's store is cleared every {clear_every:g} s",
        flush=True,
    )
    with running_stack("otel") as stack:
        url = stack.urls[GATEWAY] + PRODUCT
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
    print(
        f"  whole stack               {total_start:6.0f} MiB -> {total_end:6.0f} MiB, growth {growth:+.1%}, peak {peak:.0f} MiB"
    )
    met = peak < MEMORY_LIMIT_MIB and growth < GROWTH_LIMIT
    print(
        f"  target (under {MEMORY_LIMIT_MIB / 1024:.0f} GiB, growth under {GROWTH_LIMIT:.0%} over {minutes:g} min): "
        f"{'MET' if met else 'NOT MET'}: peak {peak:.0f} MiB, growth {growth:+.1%}"
    )
    return 0


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured run (default 10)")
    parser.add_argument(
        "--concurrency", type=int, default=TARGET_CONCURRENCY, help="concurrent connections (default 100)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each gateway measurement; the median counts (default 3)"
    )
    parser.add_argument(
        "--no-pieces", dest="pieces", action="store_false", help="skip the cost of each piece of the tracing"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--soak-minutes", type=float, metavar="N", help="instead: drive the stack for N minutes and report its memory"
    )
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
