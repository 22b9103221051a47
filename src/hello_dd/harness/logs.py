"""Reading the services' JSON log lines: parse, and find the lines of one request."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hello_dd.polling import poll


@dataclass(frozen=True)
class LogLine:
    service: str
    raw: str
    fields: dict[str, Any] | None  # None when the line is not one JSON object

    @property
    def is_json(self) -> bool:
        return self.fields is not None

    def get(self, key: str) -> Any:
        return (self.fields or {}).get(key)


def parse_lines(service: str, text: str) -> list[LogLine]:
    """The complete lines of a log file's text. A last line without its newline is still being written
    (a long line can reach the file in pieces) and is left for the next read."""
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    lines = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            fields = json.loads(raw)
        except ValueError:
            fields = None
        lines.append(LogLine(service, raw, fields if isinstance(fields, dict) else None))
    return lines


def lines_with(lines: Iterable[LogLine], **expected: str) -> list[LogLine]:
    """The lines whose fields equal every ``expected`` value (e.g. ``correlation_id=...``)."""
    return [line for line in lines if all(line.get(k) == v for k, v in expected.items())]


def containing(lines: Iterable[LogLine], text: str) -> list[LogLine]:
    return [line for line in lines if text in line.raw]


#: Services write a request's line once its answer is on the way, a moment after the caller has it.
SETTLE_SECONDS = 5.0


def wait_for_lines_in_every_service(
    read: Callable[[tuple[str, ...]], dict[str, list[LogLine]]], services: Iterable[str], **fields: str
) -> dict[str, list[LogLine]]:
    """Polls the services' logs (``read``) until each of ``services`` has a line with ``fields``;
    returns those lines by service."""
    names = tuple(services)

    def found() -> dict[str, list[LogLine]]:
        return {name: lines_with(lines, **fields) for name, lines in read(names).items()}

    return poll(
        found,
        lambda by_service: all(by_service.values()),
        timeout=SETTLE_SECONDS,
        what=f"log lines with {fields} in {', '.join(names)}",
    )


# -- what the contract says of log lines ---------------------------------------------------------------

DOCUMENTED_FIELDS = (
    "timestamp",
    "level",
    "service",
    "logger",
    "message",
    "correlation_id",
    "request_id",
    "trace_id",
    "span_id",
)
REQUEST_LINE_FIELDS = ("method", "route", "status", "duration_ms")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRACE_ID = re.compile(r"(?!0{32})[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")


def _timestamp_ok(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def structure_problems(logs: dict[str, list[LogLine]], fields: Iterable[str] = (), traced: bool = True) -> list[str]:
    """Lines that are not one JSON object, lack one of ``fields``, name the wrong service, level or
    timestamp, or were logged for a request (they have a correlation or trace id) without naming all of
    its ids (the trace ids only when the services are ``traced``)."""
    wanted = tuple(fields)
    ids = ("correlation_id", "request_id", "trace_id", "span_id") if traced else ("correlation_id", "request_id")
    problems = []
    for service, lines in logs.items():
        for number, line in enumerate(lines, 1):
            where = f"{service} line {number}: {line.raw[:300]}"
            if not line.is_json:
                problems.append(f"not one JSON object: {where}")
                continue
            if (line.get("correlation_id") or line.get("trace_id")) and not all(line.get(name) for name in ids):
                problems.append(f"logged for a request without naming {ids}: {where}")
            missing = [name for name in wanted if name not in (line.fields or {})]
            if missing:
                problems.append(f"missing {missing}: {where}")
            elif wanted and (
                line.get("service") != service
                or line.get("level") not in LEVELS
                or not _timestamp_ok(line.get("timestamp"))
            ):
                problems.append(f"wrong service, level or timestamp: {where}")
    return problems


def request_line_problems(
    logs: dict[str, list[LogLine]], fields: Iterable[str] = REQUEST_LINE_FIELDS
) -> tuple[int, list[str]]:
    """How many request lines there are (lines with a route or a duration), and those that lack one of
    ``fields`` (status an integer, duration a number) or the request's ids."""
    wanted = tuple(fields)
    count, problems = 0, []
    for service, lines in logs.items():
        for line in lines:
            if not any(name in (line.fields or {}) for name in ("route", "duration_ms")):
                continue  # not a request line (an error line may carry a status, never a route or a duration)
            count += 1
            complete = all(line.get(name) not in (None, "") for name in wanted)
            typed = isinstance(line.get("status"), int) and isinstance(line.get("duration_ms"), (int, float))
            if not (complete and typed and line.get("correlation_id") and line.get("request_id")):
                problems.append(f"{service}: {line.raw[:300]}")
    return count, problems


def one_trace_problems(found: dict[str, list[LogLine]]) -> list[str]:
    """The lines of one request (by service) must share one W3C trace id, and each service log its own span ids."""
    trace_ids = {line.get("trace_id") for lines in found.values() for line in lines}
    if len(trace_ids) != 1 or not _TRACE_ID.fullmatch(str(next(iter(trace_ids)))):
        return [f"the request's lines carry trace ids {trace_ids}, not one W3C trace id"]
    spans = {name: {line.get("span_id") for line in lines} for name, lines in found.items()}
    problems = [
        f"{name} logged span ids {ids}"
        for name, ids in spans.items()
        if not all(_SPAN_ID.fullmatch(str(i)) for i in ids)
    ]
    shared = set.intersection(*spans.values()) if spans else set()
    if shared:
        problems.append(f"services logged the same span ids {shared}: {spans}")
    return problems


def _is_stack_trace(value: Any) -> bool:
    """A stack trace in any language's words: text of more than one line (Python's starts "Traceback",
    Java's "Exception in", Go's "goroutine"; the contract does not say which)."""
    return isinstance(value, str) and len(value.strip().splitlines()) > 1


def wait_for_error_lines(
    read: Callable[[tuple[str, ...]], dict[str, list[LogLine]]],
    services: Iterable[str],
    correlation_id: str,
    *,
    level: str = "ERROR",
    with_stack_trace: bool = False,
) -> tuple[dict[str, list[LogLine]], dict[str, list[LogLine]]]:
    """Polls until each of ``services`` logged a line at ``level`` (with a stack trace, if asked) for
    ``correlation_id``; returns all the lines read and the matching ones by service (possibly empty
    once the time is up: the caller says what is missing)."""
    names = tuple(services)

    def matching() -> tuple[dict[str, list[LogLine]], dict[str, list[LogLine]]]:
        logs = read(names)
        return logs, {
            name: [
                line
                for line in lines_with(lines, correlation_id=correlation_id, level=level)
                if not with_stack_trace or _is_stack_trace(line.get("exc_info"))
            ]
            for name, lines in logs.items()
        }

    return poll(matching, lambda got: all(got[1].values()), timeout=SETTLE_SECONDS, on_timeout="last")


def excerpt(logs: dict[str, list[LogLine]], correlation_ids: Iterable[str]) -> str:
    """The lines of these correlation ids, service by service: what a report shows of a request's logs."""
    ids = set(correlation_ids)
    return (
        "\n".join(line.raw for lines in logs.values() for line in lines if line.get("correlation_id") in ids)
        or "(none)"
    )
