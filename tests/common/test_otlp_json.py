"""The OTLP/JSON span exporter: the encoding (read back the way the trace reader and the test agent
read it), the size limit per request, and retries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.span import TraceState

from hello_dd.harness.traces.formats import spans_from_otlp
from hello_dd.services.common.otlp_json import OtlpJsonSpanExporter, encode_request, encode_requests


class _Keep(SpanExporter):
    def __init__(self):
        self.spans = []

    def export(self, spans):
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


@pytest.fixture
def finished():
    """Spans made by a real SDK tracer, as the batch processor hands them to the exporter."""
    kept = _Keep()
    provider = TracerProvider(resource=Resource.create({"service.name": "inventory-service"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("hello_dd", "0.1.0")
    with tracer.start_as_current_span("GET /inventory/{productId}", kind=SpanKind.SERVER) as server:
        server.set_attributes(
            {"http.route": "/inventory/{productId}", "http.response.status_code": 200, "ratio": 0.5, "ok": True,
             "tags": ["a", "b"], "text": 'quote " and ünïcode\nline', "raw": b"\x00\xff"}
        )  # fmt: skip
        with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as client:
            client.set_status(Status(StatusCode.ERROR, "HTTP 503"))
            client.add_event("retry", {"attempt": 2})
        linked = server.get_span_context()
    with tracer.start_as_current_span("report.generate", links=[Link(linked, {"why": "asked by"})]):
        pass
    return kept.spans


def test_spans_read_back_as_the_suite_reads_them(finished):
    body = json.loads(encode_request(finished))
    spans = {s.name: s for s in spans_from_otlp([body])}
    server, client, report = spans["GET /inventory/{productId}"], spans["GET"], spans["report.generate"]
    assert server.service == "inventory-service" and server.kind == "server" and client.kind == "client"
    assert client.parent_id == server.span_id and client.trace_id == server.trace_id and server.parent_id is None
    assert server.route == "/inventory/{productId}" and server.http_status == 200
    assert server.attributes["ratio"] == 0.5 and server.attributes["ok"] is True and server.attributes["tags"] == ["a", "b"]
    assert server.attributes["text"] == 'quote " and ünïcode\nline'
    assert client.error and client.status_message == "HTTP 503" and not server.error
    assert server.start_ns < client.start_ns <= client.end_ns <= server.end_ns
    assert report.trace_id != server.trace_id


def test_the_encoding_follows_otlp_json(finished):
    body = json.loads(encode_request(finished))
    (resource_spans,) = body["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "inventory-service"}} in resource_spans["resource"]["attributes"]
    (scope_spans,) = resource_spans["scopeSpans"]
    assert scope_spans["scope"] == {"name": "hello_dd", "version": "0.1.0"}
    by_name = {s["name"]: s for s in scope_spans["spans"]}
    server, client, report = by_name["GET /inventory/{productId}"], by_name["GET"], by_name["report.generate"]
    # Ids in lowercase hex, enums as numbers, 64-bit integers as strings, bytes as base64.
    assert len(server["traceId"]) == 32 and len(server["spanId"]) == 16 and server["traceId"] == server["traceId"].lower()
    assert server["kind"] == 2 and client["kind"] == 3 and report["kind"] == 1
    assert isinstance(server["startTimeUnixNano"], str) and int(server["endTimeUnixNano"]) >= int(server["startTimeUnixNano"])
    values = {a["key"]: a["value"] for a in server["attributes"]}
    assert values["http.response.status_code"] == {"intValue": "200"}
    assert values["raw"] == {"bytesValue": "AP8="}
    assert client["status"] == {"code": 2, "message": "HTTP 503"}
    assert client["events"][0]["name"] == "retry" and client["events"][0]["attributes"][0]["value"] == {"intValue": "2"}
    assert report["links"][0]["spanId"] == server["spanId"] and report["links"][0]["traceId"] == server["traceId"]
    assert client["parentSpanId"] == server["spanId"] and "parentSpanId" not in server
    assert server["flags"] & 0x100 and not server["flags"] & 0x200


def test_a_remote_parent_and_tracestate_are_kept():
    kept = _Keep()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    parent = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, is_remote=True,
                         trace_flags=TraceFlags(1), trace_state=TraceState([("rojo", "00f067aa0ba902b7")]))  # fmt: skip
    with provider.get_tracer("t").start_as_current_span("GET /x", context=trace.set_span_in_context(NonRecordingSpan(parent))):
        pass
    (span,) = json.loads(encode_request(kept.spans))["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert span["traceId"] == "0af7651916cd43dd8448eb211c80319c" and span["parentSpanId"] == "b7ad6b7169203331"
    assert span["traceState"] == "rojo=00f067aa0ba902b7" and span["flags"] & 0x300 == 0x300


def test_large_batches_are_split_under_the_request_limit(finished):
    spans = finished * 400
    bodies = encode_requests(spans, max_bytes=64 * 1024)
    assert len(bodies) > 1 and all(len(body) <= 64 * 1024 for body in bodies)
    counted = sum(len(s["spans"]) for body in bodies for r in json.loads(body)["resourceSpans"] for s in r["scopeSpans"])
    assert counted == len(spans)


class _Collector:
    """A stand-in OTLP receiver: answers each post with the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.bodies: list[bytes] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = collector.statuses.pop(0) if collector.statuses else 200
                if status == 200:
                    collector.bodies.append(body)
                    assert self.headers["Content-Type"] == "application/json"
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_export_posts_json_and_retries_an_overloaded_collector(finished):
    collector = _Collector(statuses=[503, 429])
    try:
        exporter = OtlpJsonSpanExporter(collector.url, timeout=5, backoff_initial=0.01)
        assert exporter.export(finished) is SpanExportResult.SUCCESS
        assert len(collector.bodies) == 1 and len(spans_from_otlp([json.loads(collector.bodies[0])])) == len(finished)
        exporter.shutdown()
    finally:
        collector.close()


def test_export_gives_up_on_a_refusal_and_when_the_collector_is_gone(finished):
    collector = _Collector(statuses=[400])
    try:
        exporter = OtlpJsonSpanExporter(collector.url, timeout=5, backoff_initial=0.01)
        assert exporter.export(finished) is SpanExportResult.FAILURE
        assert collector.bodies == []
    finally:
        collector.close()
    gone = OtlpJsonSpanExporter(collector.url, timeout=0.3, backoff_initial=0.01)
    assert gone.export(finished) is SpanExportResult.FAILURE
