"""The product queries' traces read back from the test agent: how many are one complete trace, and
how far the gateway's two calls overlap."""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.processes import AGENT, GATEWAY, INVENTORY, PRICING
from hello_dd.harness.traces import SERVER, Trace, TraceReader, group_by_trace
from hello_dd.harness.traces.datastores import database_work
from hello_dd.harness.traces.scenario import calls_to
from hello_dd.polling import poll
from hello_dd.stack import LocalStack

# The gateway's server span, its two calls, inventory's and pricing's server spans, inventory's SELECT.
SPANS_PER_QUERY = 6


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
    # When the last batches never come, the count below says which traces are short.
    spans = poll(
        reader.spans,
        lambda spans: len(spans) >= requests * SPANS_PER_QUERY,
        timeout=wait,
        interval=1.0,
        on_timeout="last",
    )
    traces = [Trace(members) for members in group_by_trace(spans).values()]
    complete = [trace for trace in traces if complete_product_query(trace)]
    return TraceCheck(len(traces), len(complete), len(spans), tuple(fan_out(trace) for trace in complete))
