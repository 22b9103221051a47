"""Reading the services' JSON log lines: parse, and find the lines of one request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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
