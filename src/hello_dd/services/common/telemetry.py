"""Tracing with the standard OpenTelemetry packages, configured by the standard ``OTEL_*`` variables
(or Datadog's ddtrace with ``HELLO_DD_TRACER=ddtrace``, see ``ddtrace_setup``). Nothing here makes a
span by hand; the spans come from:

- FastAPI's own OpenTelemetry support: one server span per request (:func:`fastapi_telemetry`);
- ``opentelemetry-instrumentation-aiohttp-client``: one client span per call the gateway makes, whose
  W3C trace context and baggage go out in the call's headers;
- ``opentelemetry-instrumentation-sqlalchemy``: one span per SQL statement (SQLite and PostgreSQL),
  and none for taking a connection from the pool (its ``connect`` span is unwrapped, see :func:`start`);
- ``opentelemetry-instrumentation-redis``: one span per Redis command of pricing's cache;
- the OpenTelemetry API, for the few spans the code starts itself (checkout steps, report work, and
  the background jobs, :func:`job` and :func:`quietly`).

Every trace starts at a request or at a named background job: a job's look for work runs
:func:`quietly` (no span), and only a pass that found work makes the job's span, its statements and
calls under it. An idle service sends no spans.

They leave through the SDK's ``BatchSpanProcessor`` and the stock OTLP/HTTP exporter, so the usual
variables decide where they go and how: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``_TRACES_ENDPOINT``),
``_HEADERS``, ``_COMPRESSION``, ``_CERTIFICATE``, ``_TIMEOUT``, ``_PROTOCOL`` (``http/protobuf``, the
default, or ``http/json``), ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER`` (and ``_ARG``), ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console`` or ``none``),
``OTEL_BSP_*``, ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`` (else ``OTEL_PYTHON_EXCLUDED_URLS``) and
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``.

:func:`start` runs before the application is imported (``hello-dd serve`` calls it), in the order
``opentelemetry-instrument`` uses: the SQLAlchemy instrumentation wraps ``create_engine``, which the
services import by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.util.http import parse_excluded_urls

from hello_dd import __version__
from hello_dd.services.common.settings import ServiceSettings

# Health checks and metric scrapes are polled constantly; tracing the services' side of them would only
# add noise (a call the gateway makes to one, as the cascade endpoint does, keeps its client span).
# Searched in the request's URL (scheme://host:port/path): anchored, so /api/v1/health/cascade is traced.
UNTRACED_URLS = r"^https?://[^/]+/health$,^https?://[^/]+/metrics$"


def opentelemetry_defaults(service: str, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The project's values for standard variables, used only where the environment sets none.

    - the current HTTP and database semantic conventions (``http.request.method``, ``url.full``,
      ``db.system.name``, ``db.query.text`` ...) rather than the instrumentations' older default;
    - a span queue that holds ten seconds of spans at the stack's full speed (the gateway ends about
      3,000 spans a second at 1,000 product queries a second; the SDK's 2,048 would drop spans after
      a fraction of a second), batches of 256 (the export thread holds the interpreter lock while it
      encodes a batch: larger batches made requests wait behind it, and the objects a batch's encoding
      builds stay well under the garbage collector's first threshold, ``server.GC_THRESHOLDS``), sent
      every half second."""
    defaults = {
        "OTEL_SERVICE_NAME": service,
        "OTEL_SEMCONV_STABILITY_OPT_IN": "http,database",
        "OTEL_BSP_MAX_QUEUE_SIZE": "32768",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "256",
        "OTEL_BSP_SCHEDULE_DELAY": "500",
    }
    return {key: value for key, value in defaults.items() if key not in env}


def disabled_instrumentations(env: Mapping[str, str] = os.environ) -> set[str]:
    """Names in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` (``aiohttp-client``, ``sqlalchemy``, ``redis``,
    and ``fastapi`` for the server spans), as ``opentelemetry-instrument`` reads them."""
    return {name.strip() for name in env.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",") if name.strip()}


def span_exporter(env: Mapping[str, str] = os.environ) -> SpanExporter | None:
    """The exporter ``OTEL_TRACES_EXPORTER`` and ``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`` name (None: ``none``).
    The OTLP exporters read their endpoint, headers, compression, TLS files and timeout themselves."""
    kind = (env.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower()
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleSpanExporter()
    if kind != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={kind!r}: this build has the otlp, console and none exporters")
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    ).strip()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if protocol == "http/json":
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as OTLPJsonSpanExporter

        return OTLPJsonSpanExporter()
    raise ValueError(
        f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: this build exports OTLP over HTTP (http/protobuf or http/json); "
        "gRPC would need opentelemetry-exporter-otlp-proto-grpc"
    )


def start(service: str) -> TracerProvider:
    """Set up OpenTelemetry for this process, before the application is imported: the tracer
    provider (resource, sampler, batch processor and exporter, all from the environment) and the
    instrumentations of the aiohttp client, SQLAlchemy and Redis."""
    os.environ.update(opentelemetry_defaults(service))
    environment = ServiceSettings().environment
    # What the code knows, under what the environment says (OTEL_RESOURCE_ATTRIBUTES wins).
    resource = Resource({"service.version": __version__, "deployment.environment.name": environment}).merge(
        Resource.create()
    )
    provider = TracerProvider(resource=resource)
    exporter = span_exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    disabled = disabled_instrumentations()
    if "aiohttp-client" not in disabled:
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

        AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    if "sqlalchemy" not in disabled:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # Its package declares SQLAlchemy < 2.1 (the newest release in the registry, 0.66b1), so it would
        # refuse 2.1 silently; it relies only on SQLAlchemy's engine events, which 2.1 keeps, and the
        # tests read its spans back from the real services (tests/tracing).
        SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
        _no_connect_spans()
    if "redis" not in disabled:
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().instrument(tracer_provider=provider)
    return provider


def _no_connect_spans() -> None:
    """The SQLAlchemy instrumentation wraps ``Engine.connect`` in a ``connect`` span, with no option to
    turn it off: a span per connection taken from the pool, beside every statement, says nothing a
    trace reader needs. The wrapper is taken off again (the statement spans come from engine events)."""
    from opentelemetry.instrumentation.utils import unwrap
    from sqlalchemy.engine.base import Engine

    unwrap(Engine, "connect")


def _request_url(scope: MutableMapping[str, Any]) -> str:
    host, port = scope.get("server") or ("localhost", None)
    return f"{scope.get('scheme', 'http')}://{host}{f':{port}' if port else ''}{scope.get('path', '')}"


def fastapi_telemetry(
    settings: ServiceSettings, tracer_provider: trace.TracerProvider | None = None
) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry support, for the server spans only: under OpenTelemetry (ddtrace's
    FastAPI integration makes them under ddtrace), on ``tracer_provider`` (default: the global one
    that :func:`start` set up; with none set up, FastAPI makes no span). Its metrics and log events
    stay off (the services have Prometheus metrics and JSON logs), and so do its spans around
    dependency resolution and serialisation: one span per request is what a trace needs.
    ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`` (else ``OTEL_PYTHON_EXCLUDED_URLS``, else ``UNTRACED_URLS``)
    names the requests that get no server span."""
    untraced = parse_excluded_urls(
        os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", os.environ.get("OTEL_PYTHON_EXCLUDED_URLS", UNTRACED_URLS))
    )
    return {
        "tracing": settings.tracer == "otel" and "fastapi" not in disabled_instrumentations(),
        "tracer_provider": tracer_provider,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": lambda scope: untraced.url_disabled(_request_url(scope)),
    }


def flush() -> None:
    """Export what the span processors still hold (called when a service stops)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()
    elif type(provider).__module__.startswith("ddtrace"):
        from ddtrace.trace import tracer as dd_tracer

        dd_tracer.flush()


# The ids of the request's server span, remembered by the request envelope: ddtrace ends that span
# when the response has been sent, before the envelope writes its request line.
_request_span_ids: ContextVar[tuple[str | None, str | None]] = ContextVar("request_span_ids", default=(None, None))


def current_trace_ids() -> tuple[str | None, str | None]:
    """The active trace id and span id as lowercase hex; outside a span, those of the request's server
    span if the request envelope remembered them, else ``(None, None)``."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return _request_span_ids.get()
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def remember_request_span() -> Token[tuple[str | None, str | None]]:
    """Remember the current (server) span's ids for the rest of the request; reset with the token."""
    return _request_span_ids.set(current_trace_ids())


def forget_request_span(token: Token[tuple[str | None, str | None]]) -> None:
    _request_span_ids.reset(token)


def tag_current_span(**attributes: str | int | float | bool) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)


def current_context() -> Context:
    """The active tracing context, to start spans under it later (in a task that outlives the request)."""
    return otel_context.get_current()


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


@contextmanager
def quietly() -> Iterator[None]:
    """No span for what runs in the block (the instrumentations' standard switch): a background job's
    look for work, which would otherwise send a trace of database spans every few seconds. Under
    ddtrace, whose integrations do not read it, ``ddtrace_setup`` drops such traces instead."""
    with suppress_instrumentation():
        yield


def job(name: str, start_time: int | None = None, **attributes: str | int | float | bool) -> Any:
    """The span of one pass of a background job that found work (``reservation.sweep``,
    ``checkout.recovery`` ...): a trace of its own, its statements and calls under it. ``start_time``
    (``time.time_ns()``) when the pass began before the span, as a pass run :func:`quietly` does."""
    return trace.get_tracer(__name__).start_as_current_span(
        name, context=Context(), kind=trace.SpanKind.INTERNAL, attributes=attributes, start_time=start_time
    )
