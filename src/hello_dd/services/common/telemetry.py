"""Tracing setup: OpenTelemetry exporting OTLP/HTTP to the trace collector (the Datadog APM test agent).

W3C trace context and baggage are the propagation formats (OpenTelemetry's defaults): an incoming
``traceparent`` is continued, and the gateway's outgoing aiohttp calls carry it on.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from hello_dd import __version__
from hello_dd.services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

# Health checks and metric scrapes are polled constantly; tracing them would only add noise.
UNTRACED_URLS = "/health,/metrics"


class Tracing:
    """Owns the tracer provider of one service process; ``shutdown`` flushes what is buffered."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.provider: TracerProvider | None = None

    def instrument(self, app: FastAPI) -> None:
        if self.settings.tracer == "none":
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

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def current_trace_ids() -> tuple[str | None, str | None]:
    """The active trace id and span id as lowercase hex, or ``(None, None)`` outside a span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def tag_current_span(**attributes: str | int | float | bool) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
