"""What an idle stack sends, read back from a real test agent: nothing of its own. Background jobs
look for work without spans; a pass that found work is one trace, started by the job's named span.
Then a product query's trace is exactly its six spans: three server spans, the gateway's two calls,
inventory's one SELECT, with no connection or transaction span and no file's path in a name."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from hello_dd.harness.traces import CLIENT, SERVER, Trace
from hello_dd.harness.traces.budget import names_a_file
from hello_dd.harness.traces.model import group_by_trace
from hello_dd.polling import poll
from hello_dd.stack import LocalStack, StackPorts

from .support import PRODUCT_QUERY, reader_of, traced_request

# The jobs run every second here, so 3 s idle are three empty passes of each (as in span_budget.feature).
FAST_JOBS = {"RESERVATION_SWEEP_SECONDS": "1", "CHECKOUT_RECOVERY_SECONDS": "1", "RESERVATION_HOLD_SECONDS": "1"}
IDLE_SECONDS = 3


@pytest.fixture(scope="module", params=["otel", "ddtrace"])
def stack(request, tmp_path_factory) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp(f"quiet-{request.param}")
    with LocalStack(StackPorts.free(), workdir=workdir, tracer=request.param, extra_env=FAST_JOBS) as running:
        yield running


def _traces(reader) -> list[Trace]:
    return [Trace(spans) for spans in group_by_trace(reader.spans()).values()]


@pytest.mark.integration
def test_an_idle_stack_sends_nothing_and_a_product_query_is_six_spans(stack):
    reader = reader_of(stack)
    time.sleep(IDLE_SECONDS)
    assert reader.spans() == [], "spans sent by an idle stack"
    trace = traced_request(stack, PRODUCT_QUERY, reader=reader, until=lambda f: len(f.spans) >= 6).only()
    time.sleep(1)  # anything sent beside the query has arrived too
    assert [t.trace_id for t in _traces(reader)] == [trace.trace_id], "the product query's is the only trace"
    assert len(trace.spans) == 6, str(trace)
    assert len([s for s in trace.spans if s.kind == SERVER]) == 3
    assert len([s for s in trace.spans if s.kind == CLIENT and s.url]) == 2
    (statement,) = [s for s in trace.spans if s.db_system is not None]
    assert statement.db_operation == "SELECT" and statement.service == "inventory-service"
    assert trace.root is not None and trace.root.kind == SERVER
    assert [s.name for s in trace.spans if names_a_file(s.name)] == []
    if stack.tracer == "otel":
        assert statement.name == "SELECT inventory"
        assert statement.attribute("db.namespace") == "inventory"


@pytest.mark.integration
def test_a_sweep_that_releases_a_reservation_is_one_trace_under_its_named_span(stack):
    reader = reader_of(stack)
    reservation = {"reservationId": f"sweep-{uuid.uuid4().hex[:8]}", "items": [{"productId": "123", "quantity": 1}]}
    answer = requests.post(stack.urls["inventory-service"] + "/reservations", json=reservation, timeout=10)
    assert answer.status_code == 201, answer.text

    def swept() -> Trace | None:
        return next((t for t in _traces(reader) if t.root and t.root.name == "reservation.sweep"), None)

    trace = poll(swept, lambda trace: trace is not None, timeout=20, interval=0.5, what="a reservation.sweep trace")
    assert trace is not None
    sweep = trace.root
    assert sweep.attribute("hello_dd.reservations.released") == 1, sweep.attributes
    assert {s.db_operation for s in trace.spans if s is not sweep} >= {"UPDATE"}
    roots = {t.root.name for t in _traces(reader) if t.root}
    assert roots <= {"POST /reservations", "reservation.sweep"}, roots
