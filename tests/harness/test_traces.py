"""The trace reader, its span model and tree, and the pictures, on payloads recorded from a real run
(tests/harness/fixtures: the test agent's answers under OpenTelemetry and under ddtrace, for a product
query that continued a caller's trace, a checkout, and a cascade with inventory failing)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hello_dd.harness.traces import (
    Span,
    Trace,
    TraceNotComplete,
    TraceReader,
    sequential,
    spans_from_datadog,
    spans_from_otlp,
    text_tree,
    trace_format_for,
    waterfall_svg,
)
from hello_dd.harness.traces.scenario import bad_links, calls_to, http_calls, steps, where_error_started

FIXTURES = Path(__file__).parent / "fixtures"
CALLER_TRACE, CALLER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
SERVICES = ["api-gateway", "inventory-service", "pricing-service"]


def _spans(fmt: str) -> list[Span]:
    if fmt == "otlp":
        return spans_from_otlp(json.loads((FIXTURES / "traces_otlp.json").read_text()))
    return spans_from_datadog(json.loads((FIXTURES / "traces_datadog.json").read_text()))


def _request(fmt: str, cid: str) -> Trace:
    return TraceReader("http://agent", "http://otlp", fmt).request_traces(_spans(fmt), correlation_id=cid).only()


both_formats = pytest.mark.parametrize("fmt", ["otlp", "datadog"])


@both_formats
def test_ids_are_normalised_to_w3c_hex(fmt):
    for span in _spans(fmt):
        assert len(span.trace_id) == 32 and int(span.trace_id, 16)
        assert len(span.span_id) == 16 and int(span.span_id, 16)
        assert span.parent_id is None or len(span.parent_id) == 16
        assert span.end_ns >= span.start_ns > 1_600_000_000 * 10**9


@both_formats
def test_a_continued_product_query_is_one_trace_under_the_callers_span(fmt):
    trace = _request(fmt, "fixture-product")
    assert trace.trace_id == CALLER_TRACE
    assert trace.services == SERVICES
    assert trace.entry_span("api-gateway").parent_id == CALLER_SPAN
    assert trace.orphans() == [trace.entry_span("api-gateway")]  # the caller's span is not in the trace
    assert trace.orphans(allowed_parent=CALLER_SPAN) == []
    assert bad_links(trace) == []


@both_formats
def test_the_product_querys_calls_to_inventory_and_pricing_overlap(fmt):
    trace = _request(fmt, "fixture-product")
    (inventory,) = calls_to(trace, "inventory-service")
    (pricing,) = calls_to(trace, "pricing-service")
    assert inventory.overlaps(pricing) and pricing.overlaps(inventory)
    assert not sequential([inventory, pricing])


@both_formats
def test_propagated_context_is_recorded_on_every_services_entry_span(fmt):
    trace = _request(fmt, "fixture-product")
    for service in SERVICES:
        entry = trace.entry_span(service)
        assert entry.attribute("correlation_id") == "fixture-product"
        assert "rojo=00f067aa0ba902b7" in entry.attribute("w3c.tracestate")
        assert entry.attribute("baggage.customer.tier") == "gold"


@both_formats
def test_the_checkout_steps_are_sequential_children_of_the_request(fmt):
    trace = _request(fmt, "fixture-checkout")
    ran = steps(trace, "checkout.")
    assert [s.name for s in ran] == ["checkout.check_stock", "checkout.price", "checkout.reserve", "checkout.finalize"]
    assert sequential(ran)
    assert {trace.parent(s).span_id for s in ran} == {trace.entry_span("api-gateway").span_id}
    assert trace.roots == [trace.entry_span("api-gateway")] and bad_links(trace) == []


@both_formats
def test_a_failing_inventory_shows_three_sequential_error_calls_and_an_error_at_the_top(fmt):
    trace = _request(fmt, "fixture-cascade")
    calls = calls_to(trace, "inventory-service")
    assert len(calls) == 3 and sequential(calls)
    assert all(c.error for c in calls)
    assert {s.service for s in where_error_started(trace)} == {"inventory-service"}
    entry = trace.entry_span("api-gateway")
    assert entry.error and entry.http_status == 502
    healthy = [c for c in http_calls(trace) if c not in calls]
    assert len(healthy) == 1 and not healthy[0].error  # pricing's /health probe (itself untraced)


@both_formats
def test_a_missing_span_leaves_orphans(fmt):
    trace = _request(fmt, "fixture-checkout")
    client = calls_to(trace, "inventory-service")[0]
    broken = Trace(s for s in trace.spans if s.span_id != client.span_id)
    orphans = broken.orphans()
    assert orphans and all(o.parent_id == client.span_id for o in orphans)
    assert len(broken.roots) == 1 + len(orphans)


def test_datadog_trace_ids_take_their_upper_half_from_the_tid_tag():
    raw = [
        [
            {
                "trace_id": 1,
                "span_id": 2,
                "parent_id": 0,
                "service": "a",
                "name": "x",
                "resource": "x",
                "start": 10,
                "duration": 5,
                "meta": {"_dd.p.tid": "6b06474b00000000"},
            },
            {
                "trace_id": 1,
                "span_id": 3,
                "parent_id": 2,
                "service": "a",
                "name": "internal",
                "resource": "step",
                "start": 11,
                "duration": 1,
                "error": 1,
                "meta": {"span.kind": "internal", "error.message": "boom"},
            },
        ]
    ]
    root, child = spans_from_datadog(raw)
    assert root.trace_id == child.trace_id == "6b06474b000000000000000000000001"
    assert root.parent_id is None and child.parent_id == "0000000000000002"
    assert child.name == "step" and child.operation == "internal" and child.kind == "internal"
    assert child.error and child.status_message == "boom"


def test_otlp_accepts_camel_case_and_hex_ids():
    raw = [
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": "0af7651916cd43dd8448eb211c80319c",
                                    "spanId": "b7ad6b7169203331",
                                    "name": "n",
                                    "kind": 2,
                                    "startTimeUnixNano": "5",
                                    "endTimeUnixNano": "9",
                                    "status": {"code": 2, "message": "bad"},
                                    "attributes": [{"key": "n", "value": {"intValue": "3"}}],
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    ]
    (span,) = spans_from_otlp(raw)
    assert (span.trace_id, span.span_id, span.parent_id) == (
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
        None,
    )
    assert span.kind == "server" and span.error and span.status_message == "bad"
    assert span.attributes == {"n": 3} and span.service == "svc"


def test_spans_of_two_traces_are_not_one_trace():
    a = Span("a" * 32, "1" * 16, None, "s", "n", None, 0, 1)
    b = Span("b" * 32, "2" * 16, None, "s", "n", None, 0, 1)
    with pytest.raises(ValueError, match="2 traces"):
        Trace([a, b])


def test_the_tracer_decides_the_format():
    assert trace_format_for("ddtrace") == "datadog"
    assert trace_format_for("otel") == "otlp"


@both_formats
def test_the_text_tree_indents_children_under_their_parent(fmt):
    tree = text_tree(_request(fmt, "fixture-product")).splitlines()
    assert tree[0].startswith(f"trace {CALLER_TRACE}")
    top = next(line for line in tree[1:] if "api-gateway: GET /api/v1/products/{product_id}" in line)
    assert not top.startswith(" ") and f"(parent {CALLER_SPAN} not in the trace)" in top
    assert any(line.startswith("    ") and "inventory-service" in line for line in tree)


@both_formats
def test_the_waterfall_is_an_svg_with_one_bar_per_span(fmt):
    trace = _request(fmt, "fixture-cascade")
    svg = ET.fromstring(waterfall_svg(trace))
    bars = [
        r
        for r in svg.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("{http://www.w3.org/2000/svg}title") is not None
    ]
    assert len(bars) == len(trace)
    assert sum(1 for r in bars if r.get("stroke") == "#d62728") == len(trace.errors)


class _Replay(TraceReader):
    """A reader whose agent answers with the next recorded list of spans at each read."""

    def __init__(self, answers):
        super().__init__("http://agent", "http://otlp", "otlp")
        self.answers = list(answers)

    def spans(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_waiting_returns_once_the_trace_is_complete_and_stable():
    spans = [s for s in _spans("otlp") if s.trace_id == CALLER_TRACE]
    gateway_only = [s for s in spans if s.service == "api-gateway"]
    reader = _Replay([[], gateway_only, spans])
    found = reader.wait_for_request(
        correlation_id="fixture-product",
        services=SERVICES,
        allowed_parent=CALLER_SPAN,
        settle=0.05,
        interval=0.01,
        timeout=5,
    )
    assert found.trace_ids == [CALLER_TRACE] and len(found.spans) == len(spans)


def test_waiting_gives_up_with_what_was_last_seen():
    spans = [s for s in _spans("otlp") if s.trace_id == CALLER_TRACE and s.service != "pricing-service"]
    reader = _Replay([spans])
    with pytest.raises(TraceNotComplete) as failure:
        reader.wait_for_request(correlation_id="fixture-product", services=SERVICES, timeout=0.2, interval=0.01)
    message = str(failure.value)
    assert "no span from pricing-service" in message and "inventory-service: GET /inventory/{productId}" in message
