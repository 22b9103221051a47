"""The trace reader against the real stack, under each tracer: a product query that continues a
caller's trace is read back as one complete trace across the three services, and the request's log
lines carry its trace id."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from hello_dd.harness.traces import TraceReader, trace_format_for
from hello_dd.harness.traces.scenario import CallerContext, bad_links
from hello_dd.polling import poll
from hello_dd.stack import LocalStack, StackPorts

SERVICES = ["api-gateway", "inventory-service", "pricing-service"]


@pytest.fixture(params=["otel", "ddtrace"])
def stack(request, shared_stack: LocalStack, tmp_path) -> Iterator[LocalStack]:
    """A stack under the tracer: the session's shared stack for its own (OpenTelemetry), else one of the
    test's own."""
    if request.param == shared_stack.tracer:
        yield shared_stack
        return
    with LocalStack(StackPorts.free(), workdir=tmp_path, tracer=request.param) as own:
        yield own


@pytest.mark.integration
@pytest.mark.slow
def test_a_product_query_is_read_back_as_one_complete_trace(stack):
    tracer = stack.tracer
    reader = TraceReader(stack.urls["test-agent"], stack.urls["otlp"], trace_format_for(tracer))
    reader.start_session()
    caller = CallerContext.new()
    response = requests.get(
        stack.urls["api-gateway"] + "/api/v1/products/123",
        headers={"X-Correlation-Id": f"it-{tracer}", **caller.headers},
        timeout=10,
    )
    assert response.status_code == 200
    found = reader.wait_for_request(
        correlation_id=f"it-{tracer}", services=SERVICES, allowed_parent=caller.span_id, timeout=20
    )
    trace = found.only()
    assert trace.trace_id == caller.trace_id and trace.services == SERVICES
    assert trace.entry_span("api-gateway").parent_id == caller.span_id
    assert bad_links(trace) == []
    assert reader.trace_check_failures() is None

    def request_line() -> dict | None:
        """The gateway's log line of the request, once written (the stack keeps running meanwhile)."""
        lines = stack.log_path("api-gateway").read_text().splitlines()
        logged = (json.loads(line) for line in lines if line.startswith("{"))
        return next(
            (line for line in logged if line.get("correlation_id") == f"it-{tracer}" and "status" in line), None
        )

    logged = poll(request_line, timeout=10, interval=0.1, what="the request's log line")
    assert logged["trace_id"] == caller.trace_id and len(logged["span_id"]) == 16
