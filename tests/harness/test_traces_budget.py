"""The span budget (hello_dd.harness.traces.budget): how it names spans under either tracer, how it
tells a trace that differs from its budget, and docs/tracing.md's tables, which are made from it.
The traces are the recorded payloads of tests/harness/fixtures (a product query recorded before its
inventory statement was traced, and, under ddtrace, before the spans ddtrace makes unasked were
taken out): each differs from the budget in a known way."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from hello_dd.harness.traces import Trace, TraceReader, spans_from_datadog, spans_from_otlp
from hello_dd.harness.traces.budget import (
    BUDGET,
    PRICED,
    REDIS,
    RETRY_ATTEMPTS,
    ROOT,
    label,
    markdown,
    overspent,
    shape,
    total,
)

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).parents[2] / "docs" / "tracing.md"
PRODUCT = "GET /api/v1/products/{product_id}"


def _product_query(fmt: str) -> Trace:
    parse = spans_from_otlp if fmt == "otlp" else spans_from_datadog
    spans = parse(json.loads((FIXTURES / f"traces_{fmt}.json").read_text()))
    reader = TraceReader("http://agent", "http://otlp", fmt)
    return reader.request_traces(spans, correlation_id="fixture-product").only()


@pytest.mark.parametrize("fmt", ["otlp", "datadog"])
def test_spans_are_named_alike_under_both_tracers(fmt):
    counts = shape(_product_query(fmt))
    assert counts["api-gateway", PRODUCT, ROOT] == 1  # under the caller's span, which is not in the trace
    assert counts["api-gateway", "call GET /inventory/{productId}", PRODUCT] == 1
    assert counts["inventory-service", "GET /inventory/{productId}", "call GET /inventory/{productId}"] == 1
    assert counts["pricing-service", "GET /prices/{productId}", "call GET /prices/{productId}"] == 1


def test_a_missing_span_is_named():
    assert overspent(_product_query("otlp"), "product query") == [
        "inventory-service: 0 x 'SQL SELECT' under 'GET /inventory/{productId}', budget 1"
    ]


def test_a_span_the_budget_does_not_know_is_named():
    found = overspent(_product_query("datadog"), "product query")
    assert "api-gateway: 1 x 'fastapi.serialize_response' under 'GET /api/v1/products/{product_id}', budget 0" in found
    assert "api-gateway: 1 x 'TCPConnector.connect' under 'call GET /prices/{productId}', budget 0" in found


def test_a_call_that_reached_no_traced_service_is_named_by_the_route_it_was_for():
    trace = _product_query("otlp")
    call = next(s for s in trace.spans if s.url and "/prices/" in s.url)
    lone = Trace([s for s in trace.spans if s.service != "pricing-service"])
    assert label(lone, call) == "call GET /prices/{productId}"  # from its path, /prices/123


def test_a_count_can_be_the_stacks_retry_policy():
    assert total("checkout compensated", {RETRY_ATTEMPTS: 2}) == total("checkout compensated") - 1


def test_the_budget_counts_the_product_querys_six_spans():
    assert total("product query") == 6
    assert sum(row.count for row in BUDGET["product query"] if row.kind == "server") == 3
    assert {row.kind for row in BUDGET["checkout"]} == {"server", "client", "internal"}


def _with_cache_commands(trace: Trace, *commands: str) -> Trace:
    """The trace with pricing-service's Redis commands added under its request."""
    request = next(s for s in trace.spans if s.service == "pricing-service" and s.kind == "server")
    added = [
        dataclasses.replace(
            request, span_id=f"{i:016x}", parent_id=request.span_id, name=command, kind="client", attributes={}
        )
        for i, command in enumerate(commands, start=1)
    ]
    added = [dataclasses.replace(s, db_system="redis", db_statement=f"{s.name} ?") for s in added]
    return Trace([*trace.spans, *added])


def _product_query_with_its_statement() -> Trace:
    trace = _product_query("otlp")  # recorded before inventory's statement was traced: add it
    request = next(s for s in trace.spans if s.service == "inventory-service" and s.kind == "server")
    statement = dataclasses.replace(
        request, span_id="f" * 16, parent_id=request.span_id, kind="client", db_system="sqlite", db_statement="SELECT"
    )
    return Trace([*trace.spans, statement])


def test_pricing_cache_commands_count_only_when_its_cache_is_redis():
    trace = _product_query_with_its_statement()
    assert overspent(trace, "product query") == []
    assert overspent(trace, "product query", configuration=frozenset({REDIS})) == [
        "pricing-service: 0 x 'cache GET' under 'GET /prices/{productId}', budget 1"
    ]
    cached = _with_cache_commands(trace, "GET")
    assert overspent(cached, "product query", configuration=frozenset({REDIS})) == []
    assert overspent(cached, "product query") == [
        "pricing-service: 1 x 'cache GET' under 'GET /prices/{productId}', budget 0"
    ]


def test_a_price_written_back_to_the_cache_counts_within_its_range():
    redis = frozenset({REDIS})
    trace = _product_query_with_its_statement()
    assert overspent(_with_cache_commands(trace, "GET", "SET"), "product query", configuration=redis) == []
    assert overspent(_with_cache_commands(trace, "GET", "SET", "SET"), "product query", configuration=redis) == [
        "pricing-service: 2 x 'cache SET' under 'GET /prices/{productId}', budget 0 to 1"
    ]
    assert total("product query", configuration=redis) == total("product query") + 1


def test_a_count_can_be_the_products_a_request_priced():
    redis = frozenset({REDIS})
    assert total("bulk check", {PRICED: 44}, redis) == total("bulk check") + 44
    assert total("report", {PRICED: 48}, redis) == total("report") + 48


def test_the_tracing_page_shows_the_budget_as_the_harness_holds_it():
    page = DOCS.read_text()
    start = page.index("-->\n", page.index("<!-- budget:")) + len("-->\n")
    end = page.index("<!-- end of budget -->")
    assert page[start:end] == markdown(), "docs/tracing.md: paste `python -m hello_dd.harness.traces.budget`"
