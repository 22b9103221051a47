"""The spans of real requests to the three services, read back from a real test agent: they come from
the standard instrumentation packages (OpenTelemetry's, or ddtrace's integrations), and they show the
services' database and cache work inside the request of the service that did it. The stack runs with
a real Redis behind pricing-service and SQLite behind inventory-service."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version

import pytest

from hello_dd.harness.traces import CLIENT, SERVER
from hello_dd.harness.traces.datastores import cache_work, database_work, requests_to, writes
from hello_dd.stack import LocalStack, StackPorts

from .support import ORDER, PRODUCT_QUERY, SERVICES, traced_request

# What made each kind of span: OpenTelemetry's instrumentation scope, or ddtrace's integration.
MADE_BY = {
    "otel": {
        "server": "fastapi",  # FastAPI's own OpenTelemetry support
        "http client": "opentelemetry.instrumentation.aiohttp_client",
        "sql": "opentelemetry.instrumentation.sqlalchemy",
        "redis": "opentelemetry.instrumentation.redis",
    },
    "ddtrace": {"server": "fastapi", "http client": "aiohttp_client", "sql": "sqlalchemy", "redis": "redis"},
}
OWN_SCOPE_PREFIX = "hello_dd."  # the spans the code starts itself (checkout steps, report work)
PACKAGES = (
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "opentelemetry-instrumentation-aiohttp-client",
    "opentelemetry-instrumentation-sqlalchemy",
    "opentelemetry-instrumentation-redis",
)


def has_database_and_cache_work(found) -> bool:
    trace = found.traces[0]
    return bool(database_work(trace, "inventory-service").spans and cache_work(trace, "pricing-service").spans)


@pytest.fixture(scope="module", params=["otel", "ddtrace"])
def stack(request, redis_server, tmp_path_factory) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp(f"stack-{request.param}")
    with LocalStack(StackPorts.free(), workdir=workdir, tracer=request.param, redis_url=redis_server) as running:
        yield running


def test_the_instrumentation_and_exporter_packages_are_installed():
    assert all(version(package) for package in PACKAGES)


@pytest.mark.integration
def test_every_span_comes_from_a_standard_instrumentation(stack):
    query = traced_request(stack, PRODUCT_QUERY, until=has_database_and_cache_work).only()
    order = traced_request(stack, ORDER).only()
    spans = query.spans + order.spans
    made_by = {
        "server": {s.instrumentation for s in spans if s.kind == SERVER},
        "http client": {s.instrumentation for s in spans if s.kind == CLIENT and s.url},
        "sql": {s.instrumentation for s in spans if s.db_system == "sqlite"},
        "redis": {s.instrumentation for s in spans if s.db_system == "redis"},
    }
    assert made_by == {kind: {made} for kind, made in MADE_BY[stack.tracer].items()}
    if stack.tracer == "otel":
        standard = set(MADE_BY["otel"].values())
        made_here = [s for s in spans if s.instrumentation not in standard]
        assert made_here and all(s.instrumentation.startswith(OWN_SCOPE_PREFIX) for s in made_here), made_here
        # The current semantic conventions, not the instrumentations' older default.
        statement = next(s for s in spans if s.db_operation == "SELECT")
        assert {"db.system.name", "db.query.text"} <= set(
            statement.attributes
        ) and "db.statement" not in statement.attributes
        call = next(s for s in spans if s.kind == CLIENT and s.url)
        assert "url.full" in call.attributes and "http.url" not in call.attributes


@pytest.mark.integration
def test_a_product_querys_trace_holds_inventorys_query_and_pricings_cache_look_up(stack):
    found = traced_request(stack, PRODUCT_QUERY, until=has_database_and_cache_work)
    trace = found.only()
    assert trace.services == SERVICES
    assert trace.orphans() == [] and trace.root is not None
    queries = database_work(trace, "inventory-service")
    assert queries.under(trace.entry_span("inventory-service")) == queries.spans
    assert "SELECT" in [s.db_operation for s in queries.spans]
    lookups = cache_work(trace, "pricing-service")
    assert lookups.under(trace.entry_span("pricing-service")) == lookups.spans
    assert "GET" in [s.db_operation for s in lookups.spans]
    assert database_work(trace, "pricing-service").spans == cache_work(trace, "inventory-service").spans == []


@pytest.mark.integration
def test_an_orders_trace_holds_the_reservations_write(stack):
    trace = traced_request(
        stack, ORDER, until=lambda f: bool(writes(database_work(f.traces[0], "inventory-service").spans))
    ).only()
    (reservation,) = requests_to(trace, "inventory-service", "POST", "/reservations")
    written = writes(database_work(trace, "inventory-service").under(reservation))
    assert {s.db_operation for s in written} >= {"INSERT", "UPDATE"}, [str(s) for s in written]
    assert trace.orphans() == []
