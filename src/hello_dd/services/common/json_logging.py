"""JSON logging: one object per line with timestamp, level, service, message, correlation_id,
request_id, trace_id and span_id (and route, status, duration_ms on request lines)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from hello_dd.services.common.correlation import current_correlation_id, current_request_id
from hello_dd.services.common.telemetry import current_trace_ids


class _RequestContext(logging.Filter):
    """Stamps every record with the service name and the ids of the request being handled."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = current_correlation_id()
        record.request_id = current_request_id()
        record.trace_id, record.span_id = current_trace_ids()
        # uvicorn adds a copy of its message with terminal colour codes: noise in a JSON line.
        record.__dict__.pop("color_message", None)
        return True


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is when a line is logged, so redirection keeps working."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's formatter, with the same output, and a direct path for the usual record
    (a text message, no exception, no stack). Every service writes a line per request, so the
    formatter is on the hot path: the generic path renames each field through a method call and
    tests each record attribute with ``hasattr``; this path does the same in two loops. Anything
    unusual takes the generic path."""

    def format(self, record: logging.LogRecord) -> str:
        if (
            isinstance(record.msg, dict)
            or record.exc_info
            or record.exc_text
            or record.stack_info
            or self.defaults
            or self.static_fields
            or self.rename_fields_keep_missing
            or "asctime" in self._required_fields
        ):
            return super().format(record)
        record.message = record.getMessage()
        attributes = record.__dict__
        rename = self.rename_fields
        log_data: dict[str, Any] = {rename.get(field, field): attributes.get(field) for field in self._required_fields}
        skip = self._skip_fields
        for key, value in attributes.items():
            if key not in skip and not key.startswith("_"):
                log_data[rename.get(key, key)] = value
        if self.timestamp:
            key = self.timestamp if isinstance(self.timestamp, str) else "timestamp"
            # What python-json-logger's encoder writes for the datetime it puts here.
            log_data[rename.get(key, key)] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
        return self.serialize_log_record(self.process_log_record(log_data))


_FIELDS = ["levelname", "service", "name", "message", "correlation_id", "request_id", "trace_id", "span_id"]


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = _StdoutHandler()
    handler.setFormatter(
        JsonLineFormatter(
            _FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    )
    handler.addFilter(_RequestContext(service))
    # The lines carry no source file, line, thread or process: skip collecting them for every record
    # (the logging module's own advice for speed).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The services write their own request lines; uvicorn's access log would duplicate them as text.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
