"""The fault proxy's control API over HTTP (JSON in, JSON out), as an aiohttp application: each call
validated, answered, and logged as one line. The routes are listed in
:mod:`hello_dd.harness.faults.server`, the program that serves it."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from hello_dd.harness.faults.proxy import MAX_COUNT, MAX_LATENCY_MS, FaultProxy, FaultProxyError
from hello_dd.polling import PollTimeout, poll_async

#: Longest wait of one ``GET /requests/wait`` (a client waiting longer asks again).
MAX_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.02
_MAX_BODY_BYTES = 64 * 1024


def log_line(name: str, message: str) -> None:
    """One line on stdout: UTC time, the proxy's name, the message (line breaks escaped)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    line = f"{now} [{name}] {message}".replace("\r", "\\r").replace("\n", "\\n")
    print(line, flush=True)


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _BadRequest(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


async def _json_body(request: web.Request, fields: tuple[str, ...]) -> dict[str, object]:
    raw = await request.read()
    if not raw.strip():
        data: object = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest("invalid_json", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _BadRequest("invalid_json", f"the body must be a JSON object, not {type(data).__name__}")
    request["body"] = data
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(fields) if fields else "none"
        raise _BadRequest("unknown_field", f"unknown field(s) {', '.join(map(repr, unknown))} (known: {known})")
    return data


def _whole_number(data: dict[str, object], key: str, default: int, lowest: int, highest: int, unit: str = "") -> int:
    """A whole number between ``lowest`` and ``highest``; ``default`` when absent or null."""
    value = _optional_whole_number(data, key, lowest, highest, unit)
    return default if value is None else value


def _optional_whole_number(data: dict[str, object], key: str, lowest: int, highest: int, unit: str = "") -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRequest("invalid_argument", f"{key} must be a whole number{unit}, not {json.dumps(value)}")
    if not lowest <= value <= highest:
        raise _BadRequest("invalid_argument", f"{key} must be between {lowest} and {highest}{unit}, not {value}")
    return value


def _request_prefix(value: object, key: str = "request_prefix") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadRequest("invalid_argument", f'{key} must be a string such as "POST /quotes", not {json.dumps(value)}')
    if not value:
        raise _BadRequest("invalid_argument", f"{key} must not be empty")
    if not (value.isascii() and value.isprintable()):
        raise _BadRequest(
            "invalid_argument", f"{key} must be printable ASCII (the start of an HTTP request line), not {value!r}"
        )
    return value


class ControlApi:
    """The HTTP control API of one :class:`FaultProxy`."""

    def __init__(self, proxy: FaultProxy, *, control: str = "", log: Callable[[str], None] | None = None):
        self.proxy = proxy
        self.control = control
        self.log = log or (lambda message: log_line(proxy.name, message))
        self.stopping = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=_MAX_BODY_BYTES)
        app.router.add_get("/health", self.health)
        app.router.add_get("/faults", self.faults)
        app.router.add_post("/faults/latency", self.latency)
        app.router.add_post("/faults/refuse", self.refuse)
        app.router.add_post("/faults/reset", self.reset)
        app.router.add_post("/faults/heal", self.heal)
        app.router.add_get("/requests/wait", self.wait)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        outcome = ""
        try:
            response = await handler(request)
            outcome = request.get("outcome", "")
        except _BadRequest as exc:
            response, outcome = _error(400, exc.code, exc.message), f"{exc.code}: {exc.message}"
        except FaultProxyError as exc:
            response, outcome = _error(409, "conflict", str(exc)), f"conflict: {exc}"
        except web.HTTPException as exc:  # no such path, wrong method, body too large
            code = _HTTP_CODES.get(exc.status, "http_error")
            message = f"{request.method} {request.path}: {exc.reason}"
            response, outcome = _error(exc.status, code, message), f"{code}: {exc.reason}"
        except Exception as exc:  # answered and logged, the proxy keeps running
            response, outcome = (
                _error(500, "internal", f"{type(exc).__name__}: {exc}"),
                f"internal: {type(exc).__name__}: {exc}",
            )
        body = request.get("body")
        shown = f" {json.dumps(body, separators=(',', ':'))[:300]}" if body else ""
        self.log(f"{request.method} {request.path_qs}{shown} -> {response.status}{': ' + outcome if outcome else ''}")
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        snapshot = dict(await asyncio.to_thread(self.proxy.snapshot))
        snapshot["describe"] = self.proxy.describe()
        request["outcome"] = str(snapshot["faults"])
        return web.json_response(snapshot)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "name": self.proxy.name,
                "listen": host_port(self.proxy.listen_host, self.proxy.port),
                "target": host_port(self.proxy.target_host, self.proxy.target_port),
                "control": self.control,
                "allow_private_target": self.proxy.allow_private_target,
            }
        )

    async def faults(self, request: web.Request) -> web.Response:
        return await self._answer(request)

    async def latency(self, request: web.Request) -> web.Response:
        data = await _json_body(request, ("to_service_ms", "to_client_ms", "request_prefix"))
        to_service = _whole_number(data, "to_service_ms", 0, 0, MAX_LATENCY_MS, " ms")
        to_client = _whole_number(data, "to_client_ms", 0, 0, MAX_LATENCY_MS, " ms")
        prefix = _request_prefix(data.get("request_prefix"))
        await asyncio.to_thread(self.proxy.add_latency, to_service, to_client, prefix)
        return await self._answer(request)

    async def refuse(self, request: web.Request) -> web.Response:
        await _json_body(request, ())
        await asyncio.to_thread(self.proxy.refuse)
        return await self._answer(request)

    async def reset(self, request: web.Request) -> web.Response:
        data = await _json_body(request, ("count", "request_prefix", "after_forwarding", "containing"))
        count = _optional_whole_number(data, "count", 1, MAX_COUNT)
        prefix = _request_prefix(data.get("request_prefix"))
        containing = _request_prefix(data.get("containing"), "containing")
        after_forwarding = data.get("after_forwarding", False)
        if not isinstance(after_forwarding, bool):
            raise _BadRequest(
                "invalid_argument", f"after_forwarding must be true or false, not {json.dumps(after_forwarding)}"
            )
        await asyncio.to_thread(self.proxy.reset, count, prefix, after_forwarding, containing)
        return await self._answer(request)

    async def heal(self, request: web.Request) -> web.Response:
        await _json_body(request, ())
        await asyncio.to_thread(self.proxy.heal)
        return await self._answer(request)

    async def wait(self, request: web.Request) -> web.Response:
        query = request.query
        unknown = sorted(set(query) - {"prefix", "timeout", "after"})
        if unknown:
            raise _BadRequest(
                "unknown_parameter",
                f"unknown parameter(s) {', '.join(map(repr, unknown))} (known: prefix, timeout, after)",
            )
        if "prefix" not in query:
            raise _BadRequest(
                "invalid_argument", "prefix is required: the start of the request line to wait for, e.g. POST /quotes"
            )
        prefix = _request_prefix(query["prefix"], "prefix")
        assert prefix is not None
        if "timeout" not in query:
            raise _BadRequest("invalid_argument", f"timeout is required: seconds to wait, at most {MAX_WAIT_SECONDS:g}")
        try:
            timeout = float(query["timeout"])
        except ValueError:
            timeout = math.nan
        if not 0 <= timeout <= MAX_WAIT_SECONDS:  # also NaN
            raise _BadRequest(
                "invalid_argument",
                f"timeout must be a number of seconds between 0 and {MAX_WAIT_SECONDS:g}, not {query['timeout']!r}",
            )
        try:
            after = int(query.get("after", "0"))
        except ValueError:
            after = -1
        if after < 0:
            raise _BadRequest(
                "invalid_argument", f"after must be a request count (0 or more), not {query.get('after')!r}"
            )

        async def look() -> bool:
            # timeout 0: one look at the requests seen so far, without blocking the control API's loop
            return self.proxy.wait_for_request(prefix, 0, after)

        try:
            seen = await poll_async(
                look, lambda seen: seen or self.stopping.is_set(), timeout=timeout, interval=_POLL_SECONDS
            )
        except PollTimeout:
            seen = False
        request["outcome"] = "seen" if seen else "not seen"
        return web.json_response({"seen": seen})


# -- program --------------------------------------------------------------------------------------
