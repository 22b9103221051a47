"""Tracing setup: OpenTelemetry exporting OTLP/HTTP to the trace collector (the Datadog APM test agent),
or Datadog's ddtrace sending to the same agent's Datadog intake (``HELLO_DD_TRACER=ddtrace``, see
``ddtrace_setup``). Under either, the code uses the OpenTelemetry API for its own spans and ids.

W3C trace context and baggage are the propagation formats (OpenTelemetry's defaults): an incoming
``traceparent`` is continued, and the gateway's outgoing aiohttp calls carry it on.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar, Token

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from hello_dd import __version__
from hello_dd.services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

# Health checks and metric scrapes are polled constantly; tracing them would only add noise. The
# instrumentation searches these regular expressions in the full URL: they are anchored, so that
# /api/v1/health/cascade (a real request pattern) is traced.
UNTRACED_URLS = r"^https?://[^/]+/health(?:\?|$),^https?://[^/]+/metrics(?:\?|$)"


class Tracing:
    """Owns the tracer provider of one service process; ``shutdown`` flushes what is buffered."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.provider: TracerProvider | None = None

    def instrument(self, app: FastAPI) -> None:
        if self.settings.tracer == "none":
            return
        if self.settings.tracer == "ddtrace":
            self._instrument_ddtrace()
            return
        if self.settings.tracer != "otel":
            raise ValueError(f"tracer {self.settings.tracer!r} is not supported by this build")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        resource = Resource.create(
            {
                "service.name": self.settings.service_name,
                "service.version": __version__,
                "deployment.environment": self.settings.environment,
            }
        )
        provider = TracerProvider(resource=resource)
        exporter = OTLPSpanExporter(endpoint=self.settings.otlp_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(
            BatchSpanProcessor(exporter, schedule_delay_millis=self.settings.trace_export_delay_ms)
        )
        trace.set_tracer_provider(provider)
        self.provider = provider
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=provider,
            excluded_urls=UNTRACED_URLS,
            exclude_spans=["receive", "send"],
        )
        AioHttpClientInstrumentor().instrument(tracer_provider=provider)

    def fastapi_telemetry(self) -> dict[str, bool]:
        """FastAPI's own OpenTelemetry spans (FastAPI 0.16x) stay off: the server span comes from the
        OpenTelemetry instrumentation or from ddtrace's FastAPI integration, never twice."""
        return {"tracing": False, "metrics": False, "logs": False}

    def _instrument_ddtrace(self) -> None:
        """ddtrace is loaded before the application (``ddtrace_setup.start``): its patches trace the
        FastAPI server side and the aiohttp client; here the OpenTelemetry API is pointed at it."""
        if "ddtrace" not in sys.modules:
            raise RuntimeError(
                "HELLO_DD_TRACER=ddtrace needs ddtrace loaded before the application is imported: "
                "run the service with `hello-dd serve` (it calls hello_dd.services.common.ddtrace_setup.start)"
            )
        from ddtrace.opentelemetry import TracerProvider as DatadogTracerProvider

        if not isinstance(trace.get_tracer_provider(), DatadogTracerProvider):
            trace.set_tracer_provider(DatadogTracerProvider())
        self._ddtrace = True

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()
        if getattr(self, "_ddtrace", False):
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
