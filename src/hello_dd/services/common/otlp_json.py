"""An OpenTelemetry span exporter that sends OTLP/HTTP with the JSON encoding (``application/json``).

OTLP/HTTP has two encodings, protobuf and JSON, and every OTLP receiver accepts both (the OpenTelemetry
Collector, the Datadog Agent, Datadog's APM test agent). The SDK only ships the protobuf one, whose
pure-Python message building costs about 40 µs per span here, and the test agent turns each protobuf
payload back into a dict field by field (about 45 µs per span). Written directly as JSON text, a span
costs about 8 µs to encode, and the agent reads it with ``json.loads`` (about 9 µs).

The encoding follows the OTLP/JSON rules: camelCase field names, trace and span ids as lowercase hex,
enums as integers, 64-bit integers as decimal strings, bytes as base64. Spans are grouped by resource and
instrumentation scope, as the protobuf exporter does. Failed exports are retried with backoff while
the collector is unreachable or overloaded (connection errors, 429, 502, 503, 504), within a deadline.
"""

from __future__ import annotations

import base64
import logging
import math
import random
import threading
import time
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

log = logging.getLogger(__name__)

_RETRYABLE = {429, 502, 503, 504}
# Largest request body sent; Datadog's test agent refuses bodies over 1 MiB (aiohttp's default).
MAX_REQUEST_BYTES = 512 * 1024
# Room left in each request for what is not a span: the resource's attributes, scopes, brackets.
_ENVELOPE_BYTES = 16 * 1024
# OTLP's SpanKind numbers (SPAN_KIND_INTERNAL = 1 ...); the Python enum starts at 0.
_KINDS = {kind: str(kind.value + 1) for kind in SpanKind}
# Span flags: the W3C trace flags in the low byte, then "the parent's remoteness is known" and "remote".
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200

# The JSON is written as text, piece by piece: a span has a dozen attributes, and building a dict per
# attribute for json.dumps to walk costs twice as much as joining strings. Strings are quoted by the
# json module's C function; keys (a handful of distinct ones) are quoted once and remembered.
_quote = encode_basestring_ascii
_key_prefixes: dict[str, str] = {}


def _key_prefix(key: str) -> str:
    prefix = _key_prefixes.get(key)
    if prefix is None:
        prefix = '{"key":' + _quote(key) + ',"value":'
        if len(_key_prefixes) < 4096:  # attribute keys are few; never let odd ones grow this forever
            _key_prefixes[key] = prefix
    return prefix


def _float(value: float) -> str:
    # JSON has no NaN or infinities; the protobuf JSON mapping writes them as strings.
    if math.isfinite(value):
        return repr(value)
    return '"NaN"' if math.isnan(value) else '"Infinity"' if value > 0 else '"-Infinity"'


def _value(value: Any) -> str:
    """An ``AnyValue`` as OTLP/JSON text."""
    kind = type(value)
    if kind is str:
        return '{"stringValue":' + _quote(value) + "}"
    if kind is bool:  # before int: True is an int too
        return '{"boolValue":true}' if value else '{"boolValue":false}'
    if kind is int or isinstance(value, int):
        return '{"intValue":"' + str(int(value)) + '"}'
    if isinstance(value, float):
        return '{"doubleValue":' + _float(value) + "}"
    if isinstance(value, bytes):
        return '{"bytesValue":"' + base64.b64encode(value).decode() + '"}'
    if isinstance(value, (list, tuple)):
        return '{"arrayValue":{"values":[' + ",".join(_value(item) for item in value) + "]}}"
    return '{"stringValue":' + _quote(str(value)) + "}"


def _attributes(attributes: Any) -> str:
    """A JSON array of ``KeyValue``. Reads the plain dict behind the SDK's ``BoundedAttributes``:
    iterating that mapping goes through Python-level methods, item by item."""
    if not attributes:
        return "[]"
    plain = getattr(attributes, "_dict", attributes)
    return "[" + ",".join(_key_prefix(key) + _value(value) + "}" for key, value in plain.items()) + "]"


def _id(value: int, digits: int) -> str:
    return format(value, f"0{digits}x")


def encode_span(span: ReadableSpan) -> str:
    """One span as OTLP/JSON text."""
    context = span.context
    parent = span.parent
    status = span.status
    flags = int(context.trace_flags) | _HAS_IS_REMOTE
    parts = [
        '{"traceId":"', _id(context.trace_id, 32),
        '","spanId":"', _id(context.span_id, 16), '"',
    ]  # fmt: skip
    if parent is not None:
        parts += ',"parentSpanId":"', _id(parent.span_id, 16), '"'
        if parent.is_remote:
            flags |= _IS_REMOTE
    if context.trace_state:
        parts += ',"traceState":', _quote(context.trace_state.to_header())
    parts += (
        ',"flags":', str(flags),
        ',"name":', _quote(span.name),
        ',"kind":', _KINDS[span.kind],
        ',"startTimeUnixNano":"', str(span.start_time or 0),
        '","endTimeUnixNano":"', str(span.end_time or 0),
        # The span's own attribute store, not the read-only view its property makes of it.
        '","attributes":', _attributes(getattr(span, "_attributes", None) or span.attributes),
        ',"status":{"code":', str(status.status_code.value),
    )  # fmt: skip
    if status.description:
        parts += ',"message":', _quote(status.description)
    parts.append("}")
    if span.events:
        events = (
            '{"name":' + _quote(event.name) + ',"timeUnixNano":"' + str(event.timestamp)
            + '","attributes":' + _attributes(event.attributes) + "}"
            for event in span.events
        )  # fmt: skip
        parts += ',"events":[', ",".join(events), "]"
    if span.links:
        links = (
            '{"traceId":"' + _id(link.context.trace_id, 32) + '","spanId":"' + _id(link.context.span_id, 16)
            + '","attributes":' + _attributes(link.attributes) + "}"
            for link in span.links
        )  # fmt: skip
        parts += ',"links":[', ",".join(links), "]"
    parts.append("}")
    return "".join(parts)


def _request_body(encoded: Sequence[tuple[ReadableSpan, str]]) -> bytes:
    """An ``ExportTraceServiceRequest`` from encoded spans: grouped by resource, then by scope."""
    by_resource: dict[int, tuple[Any, dict[tuple[str, str | None], list[str]]]] = {}
    for span, text in encoded:
        resource, scopes = by_resource.setdefault(id(span.resource), (span.resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name, scope.version) if scope is not None else ("", None)
        scopes.setdefault(key, []).append(text)
    resource_spans = []
    for resource, scopes in by_resource.values():
        scope_spans = []
        for (name, version), texts in scopes.items():
            scope = '{"name":' + _quote(name) + (',"version":' + _quote(version) if version else "") + "}"
            scope_spans.append('{"scope":' + scope + ',"spans":[' + ",".join(texts) + "]}")
        resource_spans.append(
            '{"resource":{"attributes":' + _attributes(resource.attributes) + '},"scopeSpans":[' + ",".join(scope_spans) + "]}"
        )
    return ('{"resourceSpans":[' + ",".join(resource_spans) + "]}").encode()


def encode_request(spans: Sequence[ReadableSpan]) -> bytes:
    """All the spans in one ``ExportTraceServiceRequest`` in OTLP/JSON."""
    return _request_body([(span, encode_span(span)) for span in spans])


def encode_requests(spans: Sequence[ReadableSpan], max_bytes: int) -> list[bytes]:
    """The spans as requests of at most about ``max_bytes`` each (a span larger than that alone goes
    in a request of its own). Receivers limit the body they accept: the test agent takes 1 MiB."""
    bodies: list[bytes] = []
    chunk: list[tuple[ReadableSpan, str]] = []
    size = 0
    budget = max_bytes - _ENVELOPE_BYTES
    for span in spans:
        text = encode_span(span)
        if chunk and size + len(text) > budget:
            bodies.append(_request_body(chunk))
            chunk, size = [], 0
        chunk.append((span, text))
        size += len(text) + 1
    if chunk:
        bodies.append(_request_body(chunk))
    return bodies


class OtlpJsonSpanExporter(SpanExporter):
    """Posts batches of spans to ``endpoint`` (``http://host:4318/v1/traces``) as OTLP/JSON."""

    def __init__(
        self,
        endpoint: str,
        timeout: float = 10.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 4.0,
        max_request_bytes: int = MAX_REQUEST_BYTES,
    ):
        self.endpoint = endpoint
        self.timeout = timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_request_bytes = max_request_bytes
        self._session = requests.Session()
        self._session.headers["Content-Type"] = "application/json"
        self._shutdown = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown.is_set():
            return SpanExportResult.FAILURE
        deadline = time.monotonic() + self.timeout
        result = SpanExportResult.SUCCESS
        for body in encode_requests(spans, self.max_request_bytes):
            if not self._send(body, deadline):
                result = SpanExportResult.FAILURE
        return result

    def _send(self, body: bytes, deadline: float) -> bool:
        """Posts one request, retrying while the collector is unreachable or overloaded."""
        delay = self.backoff_initial
        while True:
            problem = self._post(body, deadline)
            if problem is None:
                return True
            retryable, reason = problem
            left = deadline - time.monotonic()
            if not retryable or left <= 0 or self._shutdown.is_set():
                log.warning("could not export spans (%d bytes) to %s: %s", len(body), self.endpoint, reason)
                return False
            # Full jitter; the wait is cut short by shutdown (the final flush must not hang).
            self._shutdown.wait(min(left, random.uniform(0, delay)))
            delay = min(delay * 2, self.backoff_max)

    def _post(self, body: bytes, deadline: float) -> tuple[bool, str] | None:
        """None when the collector took the spans, else (whether to retry, what went wrong)."""
        try:
            response = self._session.post(self.endpoint, data=body, timeout=max(0.1, deadline - time.monotonic()))
        except requests.ConnectionError as exc:
            return True, f"{type(exc).__name__}: {exc}"
        except requests.RequestException as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if response.ok:
            return None
        return response.status_code in _RETRYABLE, f"HTTP {response.status_code}: {response.text[:200]}"

    def shutdown(self) -> None:
        self._shutdown.set()
        self._session.close()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
