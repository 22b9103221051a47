"""Normalising what the test agent returns into :class:`~hello_dd.harness.traces.model.Span`:

- OTLP: ``GET {otlp}/test/session/traces`` answers a list of OTLP export requests as protobuf JSON
  (snake_case field names, base64 ids, int64 values as strings); camelCase is accepted too;
- Datadog: ``GET {agent}/test/session/traces`` (or ``/test/traces``) answers a list of traces, each a
  list of spans with 64-bit integer ids; the upper half of a 128-bit trace id is in the ``_dd.p.tid``
  tag of one span of each chunk.

Database and cache spans: OpenTelemetry names the system and the statement ``db.system.name`` and
``db.query.text`` (the older conventions: ``db.system``, ``db.statement``); ddtrace's SQLAlchemy spans
are of type ``sql``, named ``<dialect>.query``, with the statement as their resource, and its Redis
spans carry ``db.system`` and ``redis.raw_command``.

The OTLP side walks the JSON as dictionaries rather than through opentelemetry-proto's messages
(``json_format.ParseDict`` into ``ExportTraceServiceRequest``): measured on the test agent's own
answers, the messages took about eight times as long per span (600 against 74 µs, the same machine
and hour), and the suite reads every trace it checks, several times while it waits for one to end.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from hello_dd.harness.traces.model import Span

_OTLP_KINDS = {
    "SPAN_KIND_SERVER": "server",
    "SPAN_KIND_CLIENT": "client",
    "SPAN_KIND_INTERNAL": "internal",
    "SPAN_KIND_PRODUCER": "producer",
    "SPAN_KIND_CONSUMER": "consumer",
    2: "server",
    3: "client",
    1: "internal",
    4: "producer",
    5: "consumer",
}
# ddtrace names a span made through the OpenTelemetry API after its kind; the resource is its name then.
_KIND_NAMES = {"server", "client", "internal", "producer", "consumer"}


def _get(obj: dict[str, Any], snake: str, default: Any = None) -> Any:
    if snake in obj:
        return obj[snake]
    parts = snake.split("_")
    camel = parts[0] + "".join(p.title() for p in parts[1:])
    return obj.get(camel, default)


def _otlp_id(value: Any, digits: int) -> str | None:
    if not value:
        return None
    text = str(value)
    if len(text) == digits and all(c in "0123456789abcdefABCDEF" for c in text):
        hexed = text.lower()
    else:
        hexed = base64.b64decode(text).hex()
    return None if not hexed or set(hexed) == {"0"} else hexed.rjust(digits, "0")


def _otlp_value(value: dict[str, Any]) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("string_value", "bool_value", "double_value", "bytes_value"):
        if (v := _get(value, key)) is not None:
            return v
    if (v := _get(value, "int_value")) is not None:
        return int(v)
    if (v := _get(value, "array_value")) is not None:
        return [_otlp_value(item) for item in v.get("values", [])]
    if (v := _get(value, "kvlist_value")) is not None:
        return _otlp_attributes(v.get("values", []))
    return None


def _otlp_attributes(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: _otlp_value(item.get("value", {})) for item in items or []}


def spans_from_otlp(requests: Iterable[dict[str, Any]]) -> list[Span]:
    """Every span in a list of OTLP export requests (``ExportTraceServiceRequest`` as JSON)."""
    spans: list[Span] = []
    for request in requests:
        for resource_spans in _get(request, "resource_spans", []) or []:
            resource = _otlp_attributes((_get(resource_spans, "resource", {}) or {}).get("attributes", []))
            service = str(resource.get("service.name", "unknown"))
            for scope_spans in _get(resource_spans, "scope_spans", []) or []:
                scope = str((scope_spans.get("scope") or {}).get("name", ""))
                for raw in scope_spans.get("spans", []) or []:
                    spans.append(_otlp_span(raw, service, scope))
    return spans


def _otlp_span(raw: dict[str, Any], service: str, scope: str = "") -> Span:
    attributes = _otlp_attributes(raw.get("attributes", []))
    trace_state = _get(raw, "trace_state")
    if trace_state:
        attributes.setdefault("w3c.trace_state", trace_state)
    status = raw.get("status") or {}
    code = status.get("code")
    db_system = attributes.get("db.system.name") or attributes.get("db.system")
    db_statement = attributes.get("db.query.text") or attributes.get("db.statement")
    return Span(
        trace_id=_otlp_id(_get(raw, "trace_id"), 32) or "",
        span_id=_otlp_id(_get(raw, "span_id"), 16) or "",
        parent_id=_otlp_id(_get(raw, "parent_span_id"), 16),
        service=service,
        name=str(raw.get("name", "")),
        kind=_OTLP_KINDS.get(raw.get("kind")),
        start_ns=int(_get(raw, "start_time_unix_nano", 0)),
        end_ns=int(_get(raw, "end_time_unix_nano", 0)),
        error=code in ("STATUS_CODE_ERROR", 2),
        status_message=str(status.get("message", "")),
        attributes=attributes,
        instrumentation=scope,
        db_system=str(db_system) if db_system else None,
        db_statement=str(db_statement) if db_statement else None,
    )


def spans_from_datadog(traces: Iterable[Iterable[dict[str, Any]]]) -> list[Span]:
    """Every span in a list of Datadog-format traces (each a list of span dicts)."""
    raw_spans = [span for trace in traces for span in trace]
    # Upper 64 bits of each 128-bit trace id, from whichever span of the trace carries them.
    high: dict[int, str] = {}
    for raw in raw_spans:
        tid = (raw.get("meta") or {}).get("_dd.p.tid")
        if tid:
            high.setdefault(int(raw["trace_id"]), str(tid).lower().rjust(16, "0"))
    return [_datadog_span(raw, high) for raw in raw_spans]


def _datadog_span(raw: dict[str, Any], high: dict[int, str]) -> Span:
    meta = dict(raw.get("meta") or {})
    metrics = dict(raw.get("metrics") or {})
    low = int(raw["trace_id"])
    parent = int(raw.get("parent_id") or 0)
    operation = str(raw.get("name", ""))
    resource = str(raw.get("resource") or "")
    name = resource if resource and (operation in _KIND_NAMES or raw.get("type") == "web") else operation
    start = int(raw.get("start", 0))
    attributes: dict[str, Any] = {**metrics, **meta}
    db_system, db_statement = meta.get("db.system"), meta.get("redis.raw_command")
    if raw.get("type") == "sql":
        db_system, db_statement = db_system or operation.split(".", 1)[0], resource
    return Span(
        trace_id=high.get(low, "0" * 16) + format(low, "016x"),
        span_id=format(int(raw["span_id"]), "016x"),
        parent_id=format(parent, "016x") if parent else None,
        service=str(raw.get("service", "unknown")),
        name=name,
        kind=meta.get("span.kind") or None,
        start_ns=start,
        end_ns=start + int(raw.get("duration", 0)),
        error=bool(raw.get("error")),
        status_message=str(meta.get("error.message", "")),
        attributes=attributes,
        operation=operation,
        instrumentation=str(meta.get("component", "")),
        db_system=db_system or None,
        db_statement=db_statement or None,
    )
