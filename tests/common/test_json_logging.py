"""The JSON line formatter's direct path writes exactly what python-json-logger's formatter writes."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date

import pytest
from pythonjsonlogger.json import JsonFormatter

from hello_dd.services.common.json_logging import _FIELDS, JsonLineFormatter

OPTIONS = {"rename_fields": {"levelname": "level", "name": "logger"}, "timestamp": True}


def _record(msg, args=(), exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("hello_dd.request", logging.INFO, __file__, 1, msg, args, exc_info)
    record.__dict__.update(
        service="svc", correlation_id="cid", request_id=None, trace_id="t" * 32, span_id=None, **extra
    )
    return record


def _exc_info():
    try:
        raise ValueError("bad")
    except ValueError:
        return sys.exc_info()


@pytest.mark.parametrize(
    "record",
    [
        _record(
            "%s %s -> %d",
            ("GET", "/inventory/{productId}", 200),
            method="GET",
            status=200,
            duration_ms=1.5,
            error_code=None,
        ),
        _record(
            'ünïcode, "quotes"\nand a second line', details={"productIds": ["123"], "n": [1, 2.5]}, day=date(2024, 1, 2)
        ),
        _record("private attributes are not written", _hidden=1),
        _record("with a stack trace", exc_info=_exc_info()),
        _record({"a": "dict message"}),
    ],
)
def test_the_direct_path_writes_the_same_line(record):
    generic = JsonFormatter(_FIELDS, **OPTIONS).format(record)
    direct = JsonLineFormatter(_FIELDS, **OPTIONS).format(record)
    assert list(json.loads(direct).items()) == list(json.loads(generic).items())


def test_without_timestamp_there_is_none():
    line = json.loads(
        JsonLineFormatter(_FIELDS, rename_fields=OPTIONS["rename_fields"], timestamp=False).format(_record("x"))
    )
    assert "timestamp" not in line and line["level"] == "INFO" and line["logger"] == "hello_dd.request"
