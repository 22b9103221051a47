"""What the tracing tests share: a request to the stack whose trace is then read back, complete, from a
test agent (hello_dd.harness.traces does the reading)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import requests

from hello_dd.harness.traces import RequestTraces, TraceReader, trace_format_for
from hello_dd.stack import LocalStack

SERVICES = ["api-gateway", "inventory-service", "pricing-service"]
PRODUCT_QUERY = ("GET", "/api/v1/products/123", None)
ORDER = ("POST", "/api/v1/orders", {"items": [{"productId": "456", "quantity": 1}], "customerId": "cust-trace"})


def reader_of(stack: LocalStack) -> TraceReader:
    reader = TraceReader(stack.urls["test-agent"], stack.urls["otlp"], trace_format_for(stack.tracer))
    reader.start_session()
    return reader


def traced_request(
    stack: LocalStack,
    request: tuple[str, str, Any],
    reader: TraceReader | None = None,
    until: Callable[[RequestTraces], bool] | None = None,
) -> RequestTraces:
    """Sends ``request`` (method, path, JSON body) to the gateway and returns its complete trace(s)."""
    reader = reader or reader_of(stack)
    method, path, body = request
    correlation_id = f"trace-test-{uuid.uuid4().hex[:12]}"
    response = requests.request(
        method, stack.urls["api-gateway"] + path, json=body, headers={"X-Correlation-Id": correlation_id}, timeout=10
    )
    assert response.status_code < 300, response.text
    return reader.wait_for_request(correlation_id=correlation_id, services=SERVICES, until=until, timeout=20)
