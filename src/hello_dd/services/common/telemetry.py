"""Tracing setup: OpenTelemetry exporting OTLP/HTTP to the trace collector (the Datadog APM test agent),
or Datadog's ddtrace sending to the same agent's Datadog intake (``HELLO_DD_TRACER=ddtrace``, see
``ddtrace_setup``). Under either, the code uses the OpenTelemetry API for its own spans and ids.

W3C trace context and baggage are the propagation formats (OpenTelemetry's defaults): an incoming
``traceparent`` is continued, and the gateway's outgoing calls carry it on.

Under OpenTelemetry each request makes exactly the spans a trace needs, and no more: one server span
per request (:class:`ServerSpans`, an ASGI middleware) and one client span per outgoing call
(:class:`ClientSpan`, around each attempt the gateway makes), plus the few spans the code starts
itself (checkout steps, report work). They follow OpenTelemetry's HTTP conventions (``GET
/inventory/{productId}``, ``http.request.method``, ``http.route``, ``http.response.status_code``,
``url.full`` ...). The generic instrumentations (opentelemetry-instrumentation-fastapi and -aiohttp-client)
did the same job at several times the cost per request: they filled old and new attribute names,
matched every route twice and wrapped every ASGI message. Spans leave the process in batches, as
OTLP/JSON (see ``otlp_json``), through a queue large enough that none is dropped at the stack's
full speed, so every trace stays complete.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.http import parse_excluded_urls
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hello_dd import __version__
from hello_dd.services.common.settings import ServiceSettings

log = logging.getLogger(__name__)

# Health checks and metric scrapes are polled constantly; tracing them would only add noise. These
# regular expressions are searched in the full URL: they are anchored, so that /api/v1/health/cascade
# (a real request pattern) is traced.
UNTRACED_URLS = r"^https?://[^/]+/health(?:\?|$),^https?://[^/]+/metrics(?:\?|$)"

# The span queue of each process. At the target load (1,000 product queries a second) the gateway
# ends 3,000 spans a second; the queue holds ten seconds of them, so a collector that pauses for a
# few seconds loses nothing (the SDK's default, 2,048, would drop spans after a fraction of a second).
# Batches of 256: the export thread encodes a batch in about 2 ms, holding the interpreter lock
# meanwhile; batches of 1,024 made requests wait behind it and cost the product query's p95 ~8 %.
SPAN_QUEUE_SIZE = 32_768
SPAN_BATCH_SIZE = 256
# The instrumentation scope of the spans the services make themselves.
SCOPE = "hello_dd"


class Tracing:
    """Owns the tracer provider of one service process; ``shutdown`` flushes what is buffered."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.provider: TracerProvider | None = None
        # The tracer for client spans of outgoing calls; None when this setup does not make them
        # (no tracing, or ddtrace, whose aiohttp integration makes its own).
        self.client_tracer: trace.Tracer | None = None

    def instrument(self, app: FastAPI) -> None:
        if self.settings.tracer == "none":
            return
        if self.settings.tracer == "ddtrace":
            self._instrument_ddtrace()
            return
        if self.settings.tracer != "otel":
            raise ValueError(f"tracer {self.settings.tracer!r} is not supported by this build")
        from hello_dd.services.common.otlp_json import OtlpJsonSpanExporter

        resource = Resource.create(
            {
                "service.name": self.settings.service_name,
                "service.version": __version__,
                "deployment.environment": self.settings.environment,
            }
        )
        provider = TracerProvider(resource=resource)
        exporter = OtlpJsonSpanExporter(self.settings.otlp_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(
            BatchSpanProcessor(
                exporter,
                max_queue_size=SPAN_QUEUE_SIZE,
                max_export_batch_size=SPAN_BATCH_SIZE,
                schedule_delay_millis=self.settings.trace_export_delay_ms,
            )
        )
        trace.set_tracer_provider(provider)
        self.provider = provider
        tracer = provider.get_tracer(SCOPE, __version__)
        self.client_tracer = tracer
        app.add_middleware(ServerSpans, tracer=tracer)

    def fastapi_telemetry(self) -> dict[str, bool]:
        """FastAPI's own OpenTelemetry spans (FastAPI 0.16x) stay off: the server span comes from
        :class:`ServerSpans` or from ddtrace's FastAPI integration, never twice."""
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


def _error_status(status: int, server: bool) -> bool:
    """OpenTelemetry's HTTP rule: a server span is an error from 500 up (a 4xx is the caller's
    mistake), a client span from 400 up (the call did not get what it asked for)."""
    return status >= 500 if server else status >= 400


class ServerSpans:
    """ASGI middleware: one server span per HTTP request, continuing the caller's W3C trace context
    (``traceparent``, ``tracestate``) and baggage, current while the application handles the request.

    The span is named ``METHOD /route/{template}`` once routing has found the route; requests to
    ``/health`` and ``/metrics`` (see ``UNTRACED_URLS``) are not traced."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer, untraced_urls: str = UNTRACED_URLS):
        self.app = app
        self.tracer = tracer
        self.untraced = parse_excluded_urls(untraced_urls)
        self.fields = frozenset(field.encode() for field in propagate.get_global_textmap().fields)

    def _is_untraced(self, scope: Scope) -> bool:
        server = scope.get("server") or ("localhost", None)
        query = scope.get("query_string") or b""
        url = f"{scope.get('scheme', 'http')}://{server[0]}{scope['path']}" + (f"?{query.decode('latin-1')}" if query else "")
        return self.untraced.url_disabled(url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_untraced(scope):
            await self.app(scope, receive, send)
            return
        carrier: dict[str, str] = {}
        user_agent = None
        for key, value in scope.get("headers", ()):
            if key in self.fields:
                # A header sent twice (baggage may be) counts as one comma-separated list, as HTTP says.
                name, text = key.decode("latin-1"), value.decode("latin-1")
                carrier[name] = f"{carrier[name]},{text}" if name in carrier else text
            elif key == b"user-agent":
                user_agent = value.decode("latin-1")
        parent = propagate.extract(carrier) if carrier else otel_context.get_current()
        method = scope.get("method", "GET")
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.scheme": scope.get("scheme", "http"),
            "url.path": scope["path"],
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        if query := scope.get("query_string"):
            attributes["url.query"] = query.decode("latin-1")
        if server := scope.get("server"):
            attributes["server.address"] = server[0]
            if server[1] is not None:
                attributes["server.port"] = server[1]
        if client := scope.get("client"):
            attributes["client.address"] = client[0]
        if user_agent:
            attributes["user_agent.original"] = user_agent
        span = self.tracer.start_span(method, context=parent, kind=SpanKind.SERVER, attributes=attributes)
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        status: int | None = None

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            if status is not None:
                span.set_attribute("http.response.status_code", status)
                if _error_status(status, server=True):
                    span.set_attribute("error.type", str(status))
                    span.set_status(Status(StatusCode.ERROR))
            otel_context.detach(token)
            span.end()


def server_of(url: str) -> tuple[str | None, int | None]:
    """The (host, port) of a URL, as a client span records them."""
    parts = urlsplit(url)
    return parts.hostname, parts.port


class ClientSpan:
    """One outgoing HTTP call as a client span, child of the current span; its W3C trace context
    and baggage go into ``headers`` (so the callee's server span hangs under it). With no tracer
    (tracing off, or ddtrace, which traces aiohttp itself) it does nothing::

        headers = {...}
        with ClientSpan(tracer, "GET", url, headers) as call:
            ...send with headers...
            call.answered(status)
    """

    __slots__ = ("span",)

    def __init__(
        self,
        tracer: trace.Tracer | None,
        method: str,
        url: str,
        headers: dict[str, str],
        server: tuple[str | None, int | None] | None = None,
    ):
        """``server`` is the callee's (host, port) when the caller knows it already (else read from ``url``)."""
        if tracer is None:
            self.span = None
            return
        host, port = server if server is not None else server_of(url)
        attributes: dict[str, Any] = {"http.request.method": method, "url.full": url}
        if host:
            attributes["server.address"] = host
        if port:
            attributes["server.port"] = port
        self.span = tracer.start_span(method, kind=SpanKind.CLIENT, attributes=attributes)
        propagate.inject(headers, context=trace.set_span_in_context(self.span))

    def __enter__(self) -> ClientSpan:
        return self

    def answered(self, status: int) -> None:
        if self.span is not None:
            self.span.set_attribute("http.response.status_code", status)
            if _error_status(status, server=False):
                self.span.set_attribute("error.type", str(status))
                self.span.set_status(Status(StatusCode.ERROR))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.span is None:
            return
        if exc is not None:
            self.span.record_exception(exc)
            self.span.set_attribute("error.type", type(exc).__qualname__)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        self.span.end()


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
