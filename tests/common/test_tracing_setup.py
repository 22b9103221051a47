"""Tracing setup shared by the services: which URLs stay untraced, the ddtrace configuration, and the
propagated context (tracestate, baggage) recorded on the server span."""

from __future__ import annotations

from opentelemetry.util.http import parse_excluded_urls

from hello_dd.services.common.ddtrace_setup import configured_tracer, ddtrace_environment
from hello_dd.services.common.middleware import _propagated_context
from hello_dd.services.common.telemetry import UNTRACED_URLS


def test_only_health_and_metrics_themselves_are_untraced():
    excluded = parse_excluded_urls(UNTRACED_URLS)
    assert excluded.url_disabled("http://127.0.0.1:8000/health")
    assert excluded.url_disabled("http://127.0.0.1:8000/metrics")
    # A request pattern whose path merely contains /health is traced.
    assert not excluded.url_disabled("http://127.0.0.1:8000/api/v1/health/cascade?failure_mode=inventory")
    assert not excluded.url_disabled("http://127.0.0.1:8000/api/v1/products/123")


def test_the_tracer_setting_is_read_like_the_settings_read_it():
    assert configured_tracer({}) == "otel"
    assert configured_tracer({"TRACER": "ddtrace"}) == "ddtrace"
    assert configured_tracer({"HELLO_DD_TRACER": "DDtrace", "TRACER": "otel"}) == "ddtrace"


def test_ddtrace_propagates_w3c_and_serves_the_opentelemetry_api():
    env = ddtrace_environment("inventory-service", {"DD_SERVICE": "from-the-shell"})
    assert env["DD_SERVICE"] == "inventory-service"
    assert env["DD_TRACE_PROPAGATION_STYLE"] == "tracecontext,baggage"
    assert env["DD_TRACE_OTEL_ENABLED"] == "true"
    assert env["OTEL_PYTHON_CONTEXT"] == "ddcontextvars_context"
    assert env["DD_TRACE_WRITER_INTERVAL_SECONDS"] == "0.5"


def test_ddtrace_settings_from_the_environment_win():
    env = ddtrace_environment("api-gateway", {"DD_TRACE_PROPAGATION_STYLE": "datadog,tracecontext", "TRACE_EXPORT_DELAY_MS": "200"})
    assert env["DD_TRACE_PROPAGATION_STYLE"] == "datadog,tracecontext"
    assert env["DD_TRACE_WRITER_INTERVAL_SECONDS"] == "0.2"


def _scope(**headers: str) -> dict:
    return {"headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


def test_tracestate_and_baggage_are_recorded_as_attributes():
    attributes = _propagated_context(
        _scope(tracestate="rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", baggage="customer.tier=gold;prop=1, shop%20region=eu%2Dwest")
    )
    assert attributes == {
        "w3c.tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "baggage.customer.tier": "gold",
        "baggage.shop region": "eu-west",
    }


def test_propagated_context_is_capped():
    attributes = _propagated_context(_scope(tracestate="x" * 5000, baggage=",".join(f"k{i}=v" for i in range(100)) + ",novalue"))
    assert len(attributes["w3c.tracestate"]) == 512
    assert len([k for k in attributes if k.startswith("baggage.")]) == 16
    assert _propagated_context(_scope()) == {}
