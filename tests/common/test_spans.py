"""The server spans every service gets from FastAPI's own OpenTelemetry support, as the services
configure it (``telemetry.fastapi_telemetry``): one span per request named after its route, the
caller's trace continued, errors marked by the HTTP rules, health checks and metric scrapes untraced,
and the request envelope's ids recorded on the span."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from opentelemetry import baggage
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.settings import ServiceSettings

router = APIRouter()


@router.get("/items/{item_id}")
async def item(item_id: str) -> dict:
    if item_id == "missing":
        raise ApiError(404, "NOT_FOUND", "No such item.")
    if item_id == "broken":
        raise RuntimeError("boom")
    return {"id": item_id, "baggage": baggage.get_baggage("customer.tier")}


def _client(tracer: str, exporter: InMemorySpanExporter) -> TestClient:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_service_app(
        ServiceSettings(tracer=tracer), title="t", description="d", routers=[router], tracer_provider=provider
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def traced(monkeypatch):
    """A service app whose server spans go to an in-memory exporter, and that exporter."""
    for name in (
        "OTEL_PYTHON_FASTAPI_EXCLUDED_URLS",
        "OTEL_PYTHON_EXCLUDED_URLS",
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
    ):
        monkeypatch.delenv(name, raising=False)
    exporter = InMemorySpanExporter()
    with _client("otel", exporter) as client:
        yield client, exporter


def test_a_request_is_one_server_span_named_after_its_route(traced):
    client, exporter = traced
    response = client.get("/items/7?color=red", headers={"X-Correlation-Id": "cid-1"})
    assert response.status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /items/{item_id}" and span.kind is SpanKind.SERVER
    assert span.instrumentation_scope.name == "fastapi"
    assert span.attributes["http.route"] == "/items/{item_id}"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["http.request.method"] == "GET" and span.attributes["url.path"] == "/items/7"
    assert span.attributes["url.query"] == "color=red"
    assert span.attributes["correlation_id"] == "cid-1"  # tagged by the request envelope inside it
    assert span.status.status_code is StatusCode.UNSET and span.parent is None


def test_the_callers_trace_and_baggage_are_continued(traced):
    client, exporter = traced
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = client.get(
        "/items/7",
        headers={"traceparent": traceparent, "tracestate": "rojo=00f067aa0ba902b7", "baggage": "customer.tier=gold"},
    )
    assert response.json()["baggage"] == "gold"
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(span.parent.span_id, "016x") == "b7ad6b7169203331" and span.parent.is_remote
    assert span.context.trace_state.to_header() == "rojo=00f067aa0ba902b7"
    assert (
        span.attributes["w3c.tracestate"] == "rojo=00f067aa0ba902b7"
        and span.attributes["baggage.customer.tier"] == "gold"
    )


def test_server_errors_mark_the_span_and_client_errors_do_not(traced):
    client, exporter = traced
    assert client.get("/items/missing").status_code == 404
    assert client.get("/items/broken").status_code == 500
    missing, broken = exporter.get_finished_spans()
    assert missing.status.status_code is StatusCode.UNSET and missing.attributes["http.response.status_code"] == 404
    assert broken.status.status_code is StatusCode.ERROR and broken.attributes["http.response.status_code"] == 500


def test_health_and_metrics_make_no_span_but_a_path_that_contains_health_does(traced):
    client, exporter = traced
    client.get("/health")
    client.get("/metrics")
    client.get("/items/health")
    client.get("/nowhere")
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /items/{item_id}", "GET"]


def test_the_excluded_urls_variable_replaces_the_default(monkeypatch):
    monkeypatch.setenv("OTEL_PYTHON_EXCLUDED_URLS", "/items/")
    monkeypatch.delenv("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", raising=False)
    exporter = InMemorySpanExporter()
    with _client("otel", exporter) as client:
        client.get("/items/7")
        client.get("/health")
    assert [s.attributes["url.path"] for s in exporter.get_finished_spans()] == ["/health"]


@pytest.mark.parametrize("tracer", ["none", "ddtrace"])
def test_fastapi_makes_no_span_unless_the_services_trace_with_opentelemetry(tracer):
    exporter = InMemorySpanExporter()
    with _client(tracer, exporter) as client:
        assert client.get("/items/7").status_code == 200
    assert exporter.get_finished_spans() == ()
