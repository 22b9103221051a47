"""One HTTP request and its response, recorded for assertions and for the report's evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_SHOWN_BODY_CHARS = 4000


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int
    response_headers: dict[str, str]
    body: Any
    elapsed_ms: float
    notes: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.response_headers.items() if k.lower() == lowered), None)

    @property
    def correlation_id(self) -> str | None:
        return self.header("X-Correlation-Id")

    @property
    def error(self) -> dict[str, Any] | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"]
        return None

    def describe(self) -> str:
        """Readable request and response, shortened, for failure messages and report attachments."""
        request_body = _shorten(self.request_body)
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.request_headers.items()]
        if request_body:
            lines += ["", request_body]
        lines += ["", f"-> {self.status} in {self.elapsed_ms:.1f} ms"]
        lines += [f"{k}: {v}" for k, v in self.response_headers.items()]
        lines += ["", _shorten(self.body)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status}: {_shorten(self.body, 600)}"


def _shorten(value: Any, limit: int = _SHOWN_BODY_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        text = f"<{len(value)} bytes>" if len(value) > limit else value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"
