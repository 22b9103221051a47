"""JSON logging: one object per line with timestamp, level, service, message, correlation_id,
request_id, trace_id and span_id (and route, status, duration_ms on request lines)."""

from __future__ import annotations

import logging
import sys

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


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a line is logged, so redirection keeps working."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


_FIELDS = ["levelname", "service", "name", "message", "correlation_id", "request_id", "trace_id", "span_id"]


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = _StdoutHandler()
    handler.setFormatter(
        JsonFormatter(
            _FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    )
    handler.addFilter(_RequestContext(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The services write their own request lines; uvicorn's access log would duplicate them as text.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
