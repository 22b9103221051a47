"""A fault proxy that runs as its own process (:mod:`hello_dd.harness.faults.server`, e.g. in a
container), driven through its HTTP control API with the same methods as the in-process
:class:`~hello_dd.harness.faults.proxy.FaultProxy`, so a stack provider can use either kind."""

from __future__ import annotations

import time
from typing import Any

import requests

from hello_dd.harness.faults.proxy import FaultProxyError
from hello_dd.polling import PollTimeout, poll

#: Seconds one control call may take (a wait for a request takes its own timeout on top).
CALL_TIMEOUT_SECONDS = 10.0
#: The longest wait the server grants per call; longer waits are asked for in parts.
_WAIT_PART_SECONDS = 30.0


def _text(value: str | bytes | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("ascii")
    return value


class RemoteFaultProxy:
    """The control API at ``control_url`` (e.g. ``http://127.0.0.1:8474``, the container's mapped port).

    Every method raises :class:`FaultProxyError` with the server's message when it refuses a change,
    or with the reason when the control API cannot be reached."""

    def __init__(self, control_url: str, *, name: str = "", timeout: float = CALL_TIMEOUT_SECONDS):
        self.control_url = control_url.rstrip("/")
        self.name = name or f"fault proxy at {self.control_url}"
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RemoteFaultProxy({self.control_url!r}, name={self.name!r})"

    # -- lifecycle --------------------------------------------------------------------------------

    def wait_until_ready(self, timeout: float = 30.0) -> RemoteFaultProxy:
        """Poll ``GET /health`` until the server answers, or raise with what was seen last."""
        poll(
            lambda: self._call("GET", "/health", timeout=min(2.0, max(timeout, 0.1))),
            lambda health: health.get("status") == "ok",
            timeout=timeout,
            interval=0.1,
            retry_on=(FaultProxyError,),
            fail=lambda last, _: FaultProxyError(
                f"{self.name} was not ready within {timeout:g} s: "
                + (str(last) if isinstance(last, FaultProxyError) else f"health answered {last}")
            ),
        )
        return self

    # -- faults -----------------------------------------------------------------------------------

    def add_latency(
        self, to_service_ms: int = 0, to_client_ms: int = 0, request_prefix: str | bytes | None = None
    ) -> None:
        body = {"to_service_ms": to_service_ms, "to_client_ms": to_client_ms, "request_prefix": _text(request_prefix)}
        self._call("POST", "/faults/latency", json=body)

    def refuse(self) -> None:
        self._call("POST", "/faults/refuse")

    def reset(
        self,
        count: int | None = None,
        request_prefix: str | bytes | None = None,
        after_forwarding: bool = False,
        containing: str | bytes | None = None,
    ) -> None:
        body = {
            "count": count,
            "request_prefix": _text(request_prefix),
            "after_forwarding": after_forwarding,
            "containing": _text(containing),
        }
        self._call("POST", "/faults/reset", json=body)

    def heal(self) -> None:
        """Pass-through again: no latency, no resets, connections accepted."""
        self._call("POST", "/faults/heal")

    def describe(self) -> str:
        return str(self._call("GET", "/faults")["describe"])

    def snapshot(self) -> dict[str, Any]:
        """What :meth:`FaultProxy.snapshot` answers (``faults``, the counts, ``recent``), plus ``describe``."""
        return self._call("GET", "/faults")

    @property
    def request_count(self) -> int:
        """How many requests have passed so far: a mark for :meth:`wait_for_request`."""
        return int(self._call("GET", "/faults")["requests"])

    def wait_for_request(self, request_prefix: str | bytes, timeout: float, after: int = 0) -> bool:
        """True if a request starting with ``request_prefix``, after the ``after``-th, arrived within ``timeout`` s."""
        prefix = _text(request_prefix)
        started = time.monotonic()

        def seen() -> bool:
            """The server waits a part of the time left for the request (a long poll)."""
            part = min(max(timeout - (time.monotonic() - started), 0.0), _WAIT_PART_SECONDS)
            params = {"prefix": prefix, "timeout": f"{part:.3f}", "after": str(after)}
            return self._call("GET", "/requests/wait", params=params, timeout=self.timeout + part).get("seen") is True

        try:
            return poll(seen, timeout=timeout, interval=0.0)
        except PollTimeout:
            return False

    # -- the wire ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str | None] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        url = self.control_url + path
        try:
            response = requests.request(method, url, json=json, params=params, timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise FaultProxyError(f"{self.name}: {method} {url} failed: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise FaultProxyError(
                f"{self.name}: {method} {url} answered {response.status_code} without a JSON object: {response.text[:200]!r}"
            )
        if response.status_code >= 400:
            error = answer.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            raise FaultProxyError(
                str(message) if message else f"{self.name}: {method} {url} answered {response.status_code}: {answer}"
            )
        return answer
