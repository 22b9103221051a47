"""The envelope around every request, as plain ASGI middleware (cheap on the hot path).

``RequestEnvelope`` accepts or generates the correlation and request ids, echoes them on the response,
records the request metrics, writes one JSON request line, and turns any unhandled exception into a
JSON 500 that names the correlation id (the stack trace goes to the log, never to the caller).
``BodyLimit`` rejects oversized bodies with 413 before the application reads them.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from opentelemetry import baggage
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hello_dd.services.common import correlation
from hello_dd.services.common.errors import error_body
from hello_dd.services.common.metrics import HTTP_LATENCY, HTTP_REQUESTS, REPLACED_IDS
from hello_dd.services.common.telemetry import forget_request_span, remember_request_span, tag_current_span

log = logging.getLogger("hello_dd.request")

_QUIET_ROUTES = {"/health", "/metrics"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _json_response_messages(status: int, body: dict[str, Any]) -> list[Message]:
    payload = json.dumps(body).encode()
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        },
        {"type": "http.response.body", "body": payload},
    ]


_MAX_BAGGAGE_ENTRIES = 16
_MAX_CONTEXT_CHARS = 512
# W3C baggage is parsed by OpenTelemetry's propagator (its size limits, percent-decoding and
# property handling), under either tracer: the header is read here, not taken from the context.
_BAGGAGE = W3CBaggagePropagator()


def _propagated_context(scope: Scope) -> dict[str, str]:
    """What the caller propagated besides the trace id, as span attributes: the W3C ``tracestate``
    (``w3c.tracestate``) and each ``baggage`` entry (``baggage.<key>``), so a trace shows that both
    reached every service. Sizes are capped; values are kept as text, never interpreted: an entry's
    properties stay with its value (`gold;ttl=60`), as `opentelemetry.baggage` gives it to the code."""
    attributes: dict[str, str] = {}
    tracestate = _header(scope, b"tracestate")
    if tracestate:
        attributes["w3c.tracestate"] = tracestate[:_MAX_CONTEXT_CHARS]
    header = _header(scope, b"baggage")
    if header:
        entries = baggage.get_all(_BAGGAGE.extract({"baggage": header}))
        for key, value in list(entries.items())[:_MAX_BAGGAGE_ENTRIES]:
            attributes[f"baggage.{key[:64]}"] = str(value)[:_MAX_CONTEXT_CHARS]
    return attributes


class RequestEnvelope:
    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self.service = service

    def _accept(self, scope: Scope, header: str) -> tuple[str, bool]:
        value, replaced = correlation.accept_or_generate(_header(scope, header.lower().encode()))
        if replaced:
            REPLACED_IDS.labels(self.service, header).inc()
        return value, replaced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cid_token = correlation.correlation_id_var.set(None)
        rid_token = correlation.request_id_var.set(None)
        cid, cid_replaced = self._accept(scope, correlation.CORRELATION_HEADER)
        correlation.correlation_id_var.set(cid)
        rid, rid_replaced = self._accept(scope, correlation.REQUEST_HEADER)
        correlation.request_id_var.set(rid)
        # Logged once both ids are set, so the warning is found under the request's (new) ids.
        for header, replaced in (
            (correlation.CORRELATION_HEADER, cid_replaced),
            (correlation.REQUEST_HEADER, rid_replaced),
        ):
            if replaced:
                log.warning("replaced a malformed %s header with a generated id", header)
        tag_current_span(correlation_id=cid, request_id=rid, **_propagated_context(scope))
        span_token = remember_request_span()
        id_headers = [(b"x-correlation-id", cid.encode()), (b"x-request-id", rid.encode())]
        status = 500
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-correlation-id", b"x-request-id")
                ]
                message = {**message, "headers": kept + id_headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception:
            log.exception("unhandled error while handling %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            body = error_body(
                "INTERNAL_ERROR", "An unexpected error occurred; quote the correlation id when reporting it."
            )
            for message in _json_response_messages(500, body):
                await send_with_ids(message)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            correlation.correlation_id_var.reset(cid_token)
            correlation.request_id_var.reset(rid_token)
            forget_request_span(span_token)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route_obj = scope.get("route")
        route = getattr(route_obj, "path", None) or "unmatched"
        method = scope.get("method", "")
        labels = (self.service, method, route, str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_LATENCY.labels(*labels).observe(elapsed)
        if route in _QUIET_ROUTES and status < 400:
            return
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        log.log(
            level,
            "%s %s -> %d",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "error_code": scope.get("state", {}).get("error_code"),
            },
        )


class BodyLimit:
    """Answers 413 when a request body is larger than ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = error_body("PAYLOAD_TOO_LARGE", f"The request body exceeds the limit of {self.max_bytes} bytes.")
        for message in _json_response_messages(413, body):
            await send(message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counted_receive, send)
        except _BodyTooLarge:
            await self._reject(send)


class _BodyTooLarge(Exception):
    pass
