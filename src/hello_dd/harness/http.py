"""A small HTTP client for the suite: every call is recorded as an ``Exchange`` and handed to a
recorder (the report's evidence), and a non-JSON answer is kept as text instead of raising."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from hello_dd.harness.exchange import Exchange

Recorder = Callable[[Exchange], None]


class HttpClient:
    def __init__(self, base_url: str, *, timeout: float = 15.0, recorder: Recorder | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.recorder = recorder
        self.session = requests.Session()
        self.last: Exchange | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        url = self.base_url + path
        started = time.perf_counter()
        response = self.session.request(
            method, url, json=json, data=data, headers=headers, params=params, timeout=timeout or self.timeout
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        exchange = Exchange(
            method=method,
            url=response.url,
            request_headers={
                name: value if isinstance(value, str) else value.decode("latin-1")
                for name, value in response.request.headers.items()
            },
            request_body=json if json is not None else data,
            status=response.status_code,
            response_headers=dict(response.headers),
            body=body,
            elapsed_ms=elapsed_ms,
        )
        self.last = exchange
        if self.recorder:
            self.recorder(exchange)
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.call("POST", path, **kwargs)

    def close(self) -> None:
        self.session.close()
