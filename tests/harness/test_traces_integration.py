"""The trace reader against the real stack, under each tracer: a product query that continues a
caller's trace is read back as one complete trace across the three services, and the request's log
lines carry its trace id."""

from __future__ import annotations

import json

import pytest
import requests

from hello_dd.harness.traces import TraceReader, trace_format_for
from hello_dd.harness.traces.scenario import CallerContext, bad_links
from hello_dd.stack import LocalStack, StackPorts

SERVICES = ["api-gateway", "inventory-service", "pricing-service"]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("tracer", ["otel", "ddtrace"])
def test_a_product_query_is_read_back_as_one_complete_trace(tracer, tmp_path):
    with LocalStack(StackPorts.free(), workdir=tmp_path, tracer=tracer) as stack:
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
    gateway_lines = [
        json.loads(line) for line in stack.log_path("api-gateway").read_text().splitlines() if line.startswith("{")
    ]
    request_line = next(
        line for line in gateway_lines if line.get("correlation_id") == f"it-{tracer}" and "status" in line
    )
    assert request_line["trace_id"] == caller.trace_id and len(request_line["span_id"]) == 16
