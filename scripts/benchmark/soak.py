"""Memory over a long run: the stack's resident memory at the start and the end of N minutes of load."""

from __future__ import annotations

import argparse
import threading
import time

from benchmark.measure import Measured, hey
from benchmark.processes import GATEWAY, PRODUCT, forget_traces, rss_mib, running_stack

MEMORY_LIMIT_MIB, GROWTH_LIMIT = 1024.0, 0.10


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
