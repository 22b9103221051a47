"""Tracing setup shared by the services: the standard variables OpenTelemetry is configured by (and the
project's defaults for them), which URLs stay untraced, the ddtrace configuration, and the propagated
context (tracestate, baggage) recorded on the server span."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as OTLPJsonSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.util.http import parse_excluded_urls

from hello_dd.services.common.ddtrace_setup import configured_tracer, ddtrace_environment
from hello_dd.services.common.middleware import _propagated_context
from hello_dd.services.common.telemetry import (
    UNTRACED_URLS,
    disabled_instrumentations,
    opentelemetry_defaults,
    span_exporter,
)


def test_the_project_defaults_fill_only_what_the_environment_leaves_unset():
    defaults = opentelemetry_defaults(
        "pricing-service", {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_SERVICE_NAME": "shop-pricing"}
    )
    assert "OTEL_SERVICE_NAME" not in defaults and "OTEL_BSP_SCHEDULE_DELAY" not in defaults
    assert defaults["OTEL_SEMCONV_STABILITY_OPT_IN"] == "http,database"  # the current conventions
    assert int(defaults["OTEL_BSP_MAX_QUEUE_SIZE"]) >= 30_000
    assert opentelemetry_defaults("pricing-service", {})["OTEL_SERVICE_NAME"] == "pricing-service"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, OTLPSpanExporter),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, OTLPJsonSpanExporter),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
            OTLPSpanExporter,
        ),
        ({"OTEL_TRACES_EXPORTER": "console"}, ConsoleSpanExporter),
        ({"OTEL_TRACES_EXPORTER": "none"}, type(None)),
    ],
)
def test_the_exporter_is_the_one_the_standard_variables_name(env, expected):
    assert type(span_exporter(env)) is expected


@pytest.mark.parametrize("env", [{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, {"OTEL_TRACES_EXPORTER": "zipkin"}])
def test_an_exporter_this_build_lacks_is_refused_with_a_reason(env):
    with pytest.raises(ValueError, match="this build"):
        span_exporter(env)


def test_instrumentations_can_be_turned_off_one_by_one():
    assert disabled_instrumentations({"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": " sqlalchemy, redis ,"}) == {
        "sqlalchemy",
        "redis",
    }
    assert disabled_instrumentations({}) == set()


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
    # The same spans as under OpenTelemetry: SQLAlchemy's statements and Redis's commands, once each,
    # under the service's own name.
    assert env["DD_TRACE_SQLALCHEMY_ENABLED"] == env["DD_TRACE_REDIS_ENABLED"] == "true"
    assert env["DD_TRACE_SQLITE3_ENABLED"] == env["DD_TRACE_PSYCOPG_ENABLED"] == "false"
    assert env["DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED"] == "true"
    # No debugger uploader: its warning about an agent without a debugger endpoint is not a JSON line.
    assert env["DD_CODE_ORIGIN_FOR_SPANS_ENABLED"] == "false"


def test_ddtrace_settings_from_the_environment_win():
    env = ddtrace_environment(
        "api-gateway", {"DD_TRACE_PROPAGATION_STYLE": "datadog,tracecontext", "OTEL_BSP_SCHEDULE_DELAY": "200"}
    )
    assert env["DD_TRACE_PROPAGATION_STYLE"] == "datadog,tracecontext"
    assert env["DD_TRACE_WRITER_INTERVAL_SECONDS"] == "0.2"


def _scope(**headers: str) -> dict:
    return {"headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


def test_tracestate_and_baggage_are_recorded_as_attributes():
    attributes = _propagated_context(
        _scope(
            tracestate="rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
            baggage="customer.tier=gold;prop=1, shop%20region=eu%2Dwest",
        )
    )
    assert attributes == {
        "w3c.tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "baggage.customer.tier": "gold;prop=1",
        "baggage.shop region": "eu-west",
    }


def test_propagated_context_is_capped():
    attributes = _propagated_context(
        _scope(tracestate="x" * 5000, baggage=",".join(f"k{i}=v" for i in range(100)) + ",novalue")
    )
    assert len(attributes["w3c.tracestate"]) == 512
    assert len([k for k in attributes if k.startswith("baggage.")]) == 16
    assert _propagated_context(_scope()) == {}
