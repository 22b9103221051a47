"""Datadog's tracer (``ddtrace``) as the services' second instrumentation, chosen by ``HELLO_DD_TRACER=ddtrace``.

``ddtrace`` reads its configuration from environment variables when it is imported, and its
OpenTelemetry API support replaces OpenTelemetry's runtime context, which OpenTelemetry picks when
``opentelemetry.context`` is first imported. So :func:`start` runs before the service's application
module (and with it OpenTelemetry) is imported: ``hello_dd.services.common.server.serve`` calls it.
This module must therefore not import OpenTelemetry itself.

What it sets up (a variable the caller already set wins, except the service name):
- the service name, environment and version of the spans (``DD_SERVICE``, ``DD_ENV``, ``DD_VERSION``);
- W3C propagation only (``tracecontext,baggage``), as under OpenTelemetry;
- the OpenTelemetry API served by ddtrace (``DD_TRACE_OTEL_ENABLED``), so the gateway's own spans
  (``telemetry.tracer(...)``) and the log lines' trace ids come from the same tracer;
- Datadog's integrations make the same spans as the OpenTelemetry instrumentations: FastAPI's server
  spans, the aiohttp client's calls, SQLAlchemy's statements and Redis's commands, all under the
  service's own name (not one service per database, ``DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED``);
- traces to the agent's Datadog intake (``DD_TRACE_AGENT_URL``), flushed as often as the standard
  ``OTEL_BSP_SCHEDULE_DELAY`` says (milliseconds; ddtrace reads ``OTEL_SERVICE_NAME``,
  ``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_TRACES_SAMPLER`` itself);
- ``/health`` and ``/metrics`` untraced, as under OpenTelemetry, and no trace that starts at a
  database statement (see ``telemetry.quietly``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hello_dd import __version__

DDTRACE = "ddtrace"
OPENTELEMETRY = "otel"
UNTRACED_PATHS = ("/health", "/metrics")
# ddtrace's span types of database and cache work.
DATASTORE_SPAN_TYPES = ("sql", "redis", "cache")
# Spans ddtrace's integrations make with no setting to turn them off, which OpenTelemetry's do not
# make: FastAPI's response serialisation, and the aiohttp connector taking (or opening) a connection.
# They are leaves (or a leaf's parent, both dropped), so no span loses its parent.
UNWANTED_SPANS = frozenset({"fastapi.serialize_response", "TCPConnector.connect", "TCPConnector._create_connection"})


def configured_tracer(env: Mapping[str, str] = os.environ) -> str:
    """The tracer the settings will choose (``HELLO_DD_TRACER``, else ``TRACER``, else otel)."""
    return (env.get("HELLO_DD_TRACER") or env.get("TRACER") or "otel").strip().lower()


def ddtrace_environment(service: str, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    delay_ms = int(env.get("OTEL_BSP_SCHEDULE_DELAY") or 500)
    defaults = {
        "DD_ENV": env.get("ENVIRONMENT") or "local",
        "DD_VERSION": __version__,
        "DD_TRACE_PROPAGATION_STYLE": "tracecontext,baggage",
        "DD_TRACE_OTEL_ENABLED": "true",
        # As OpenTelemetry's HTTP client spans: a 4xx or 5xx answer marks the client span as an error.
        "DD_TRACE_HTTP_CLIENT_ERROR_STATUSES": "400-599",
        # One span per SQL statement, from the SQLAlchemy integration as under OpenTelemetry; the
        # drivers' own integrations would trace each statement a second time.
        "DD_TRACE_SQLALCHEMY_ENABLED": "true",
        "DD_TRACE_SQLITE3_ENABLED": "false",
        "DD_TRACE_PSYCOPG_ENABLED": "false",
        "DD_TRACE_REDIS_ENABLED": "true",
        # Database and cache spans belong to the service that made them, as under OpenTelemetry.
        "DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED": "true",
        # The JSON log lines carry trace_id and span_id themselves (json_logging).
        "DD_LOGS_INJECTION": "false",
        "DD_TRACE_WRITER_INTERVAL_SECONDS": f"{max(delay_ms, 50) / 1000:g}",
        # Nothing else leaves the process: no telemetry, remote configuration or runtime metrics.
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "DD_TRACE_STATS_COMPUTATION_ENABLED": "false",
        "DD_RUNTIME_METRICS_ENABLED": "false",
        "DD_PROFILING_ENABLED": "false",
        "DD_DATA_STREAMS_ENABLED": "false",
        # On by default: it tags entry spans with their code location and starts the debugger's
        # uploader, which writes a plain-text warning into the JSON log when the agent has no debugger
        # endpoint (the test agent has none).
        "DD_CODE_ORIGIN_FOR_SPANS_ENABLED": "false",
    }
    result = {key: env.get(key) or value for key, value in defaults.items()}
    result["DD_SERVICE"] = service  # the service is who it is, whatever the shell says
    # OpenTelemetry's API must find ddtrace's active span (ddtrace sets this too when it is imported).
    result["OTEL_PYTHON_CONTEXT"] = "ddcontextvars_context"
    return result


def start(service: str) -> None:
    """Configure and load ddtrace for this process, before the application is imported."""
    os.environ.update(ddtrace_environment(service))
    import ddtrace.auto  # noqa: F401 - imported for its effect: patches fastapi, starlette, aiohttp, the OpenTelemetry API
    from ddtrace.trace import TraceFilter, tracer

    class _DropNoise(TraceFilter):
        """Health checks and metric scrapes are polled constantly: tracing them would only add noise.
        Nor is a statement with no request or job above it a trace (a background job's look for work,
        which runs ``telemetry.quietly()``: ddtrace's integrations do not read OpenTelemetry's switch).
        Spans of no interest (``UNWANTED_SPANS``) are taken out."""

        def process_trace(self, trace):
            ids = {span.span_id for span in trace}
            for span in trace:
                if span.parent_id in ids:
                    continue
                if span.span_type in DATASTORE_SPAN_TYPES and span.parent_id in (None, 0):
                    return None
                if _path(span.get_tag("http.url")).endswith(UNTRACED_PATHS):
                    return None
            return [span for span in trace if span.name not in UNWANTED_SPANS]

    tracer.configure(trace_processors=[_DropNoise()])


def _path(url: object) -> str:
    text = str(url or "").split("?", 1)[0]
    return text.rstrip("/")
