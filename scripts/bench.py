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
- the target's outcome: tracing on, at least 0.12x the calibration's throughput, every trace
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
import shutil
import sys

from benchmark.engines import compare_engines
from benchmark.soak import soak
from benchmark.throughput import TARGET_CONCURRENCY, benchmark


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
