"""The spans each request makes under OpenTelemetry: one server span per request (``ServerSpans``),
continuing the caller's trace, and one client span per outgoing call (``ClientSpan``), whose context
goes out in the call's headers."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from opentelemetry import baggage, propagate
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.settings import ServiceSettings
from hello_dd.services.common.telemetry import ClientSpan, ServerSpans

router = APIRouter()


@router.get("/items/{item_id}")
async def item(item_id: str) -> dict:
    if item_id == "missing":
        raise ApiError(404, "NOT_FOUND", "No such item.")
    if item_id == "broken":
        raise RuntimeError("boom")
    return {"id": item_id, "baggage": baggage.get_baggage("customer.tier")}


@pytest.fixture
def traced():
    """A service app with ServerSpans on an in-memory exporter, and that exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = ServiceSettings(tracer="none")
    app = create_service_app(settings, title="t", description="d", routers=[router])
    app.add_middleware(ServerSpans, tracer=provider.get_tracer("hello_dd"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, exporter


def test_a_request_is_one_server_span_named_after_its_route(traced):
    client, exporter = traced
    response = client.get("/items/7?color=red", headers={"X-Correlation-Id": "cid-1", "User-Agent": "tester"})
    assert response.status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /items/{item_id}" and span.kind is SpanKind.SERVER
    assert span.attributes["http.route"] == "/items/{item_id}"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["http.request.method"] == "GET" and span.attributes["url.path"] == "/items/7"
    assert span.attributes["url.query"] == "color=red" and span.attributes["user_agent.original"] == "tester"
    assert span.attributes["correlation_id"] == "cid-1"  # tagged by the request envelope inside it
    assert span.status.status_code is StatusCode.UNSET and span.parent is None


def test_the_callers_trace_and_baggage_are_continued(traced):
    client, exporter = traced
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = client.get(
        "/items/7", headers={"traceparent": traceparent, "tracestate": "rojo=00f067aa0ba902b7", "baggage": "customer.tier=gold"}
    )
    assert response.json()["baggage"] == "gold"
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(span.parent.span_id, "016x") == "b7ad6b7169203331" and span.parent.is_remote
    assert span.context.trace_state.to_header() == "rojo=00f067aa0ba902b7"


def test_server_errors_mark_the_span_and_client_errors_do_not(traced):
    client, exporter = traced
    assert client.get("/items/missing").status_code == 404
    assert client.get("/items/broken").status_code == 500
    missing, broken = exporter.get_finished_spans()
    assert missing.status.status_code is StatusCode.UNSET and missing.attributes["http.response.status_code"] == 404
    assert broken.status.status_code is StatusCode.ERROR and broken.attributes["error.type"] == "500"


def test_health_and_metrics_make_no_span(traced):
    client, exporter = traced
    client.get("/health")
    client.get("/metrics")
    client.get("/nowhere")
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["GET"]  # the unmatched request only, named by its method


def test_a_client_span_is_the_parent_the_callee_receives():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("hello_dd")
    token = otel_context.attach(baggage.set_baggage("customer.tier", "gold"))
    try:
        with tracer.start_as_current_span("GET /api/v1/products/{product_id}", kind=SpanKind.SERVER) as server:
            headers: dict[str, str] = {"X-Correlation-Id": "cid"}
            with ClientSpan(tracer, "GET", "http://127.0.0.1:8001/inventory/123?x=1", headers) as call:
                call.answered(503)
    finally:
        otel_context.detach(token)
    client_span = next(s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT)
    assert client_span.parent.span_id == server.get_span_context().span_id
    assert client_span.attributes["url.full"] == "http://127.0.0.1:8001/inventory/123?x=1"
    assert client_span.attributes["server.address"] == "127.0.0.1" and client_span.attributes["server.port"] == 8001
    assert client_span.status.status_code is StatusCode.ERROR and client_span.attributes["http.response.status_code"] == 503
    # The callee continues the client span, and receives the baggage.
    received = propagate.extract(headers)
    from opentelemetry import trace

    assert trace.get_current_span(received).get_span_context().span_id == client_span.context.span_id
    assert baggage.get_baggage("customer.tier", received) == "gold"


def test_a_failed_or_cancelled_call_still_ends_its_span():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("hello_dd")

    async def cancelled():
        with ClientSpan(tracer, "GET", "http://127.0.0.1:8002/prices/1", {}):
            await asyncio.sleep(10)

    async def scenario():
        task = asyncio.create_task(cancelled())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    with pytest.raises(ConnectionError):
        with ClientSpan(tracer, "POST", "http://127.0.0.1:8001/reservations", {}):
            raise ConnectionError("refused")
    cancelled_span, refused = exporter.get_finished_spans()
    assert cancelled_span.status.status_code is StatusCode.ERROR and cancelled_span.attributes["error.type"] == "CancelledError"
    assert refused.status.status_code is StatusCode.ERROR and refused.attributes["error.type"] == "ConnectionError"


def test_without_a_tracer_a_client_span_does_nothing():
    headers: dict[str, str] = {}
    with ClientSpan(None, "GET", "http://127.0.0.1:8001/inventory/1", headers) as call:
        call.answered(200)
    assert headers == {}
