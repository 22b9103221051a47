"""The fault-injecting proxy as a program of its own, its faults changed over HTTP (the Toxiproxy
pattern).

    python -m hello_dd.harness.faults.server --listen 0.0.0.0:8666 --target inventory-service:8001 \\
        --control 0.0.0.0:8474 --name "gateway -> inventory-service" --allow-private-target

In a container-based stack it runs in a container of its own on the run's Docker network, between
the gateway's container and a service's: the gateway is given the proxy's address instead of the
service's, the proxy forwards to the service's container by name, and the suite on the host changes
the faults through the control port mapped to the host
(:class:`hello_dd.harness.faults.remote.RemoteFaultProxy`). The proxy itself is
:class:`~hello_dd.harness.faults.proxy.FaultProxy`, so faults behave exactly as on the embedded stack.

Control API (JSON in, JSON out):

    GET  /health              {"status": "ok", "name", "listen", "target", "control"}
    GET  /faults              FaultProxy.snapshot() plus "describe"
    POST /faults/latency      {"to_service_ms": 0, "to_client_ms": 0, "request_prefix": null}
    POST /faults/refuse       no body (or {})
    POST /faults/reset        {"count": null, "request_prefix": null, "after_forwarding": false, "containing": null}
    POST /faults/heal         no body (or {})
    GET  /requests/wait?prefix=P&timeout=S[&after=N]        {"seen": true | false}

A fault change answers with the new ``GET /faults``. Bad input is answered 400
``{"error": {"code": ..., "message": ...}}``; a change the proxy cannot make in its state (say its
port was taken while it refused connections) 409 with the proxy's message. Every control call is
logged as one line on stdout. SIGTERM or SIGINT stop the program (exit 0).

Safety: chaos traffic must only reach loopback or containers the run created itself. So the target
must be a loopback address unless ``--allow-private-target`` is given, which also allows private
(RFC 1918) addresses: what a container's name resolves to on a Docker network. The program cannot tell
whose container an address belongs to, so whoever passes the flag must only name containers the run
started, on a network it created. Listening on 0.0.0.0 (needed to be reached from other containers and
through a mapped port) is allowed here and nowhere else: in a container, 0.0.0.0 is the container's own
interfaces; on a host, anybody who can reach the control port can change the faults.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from hello_dd.harness.faults.proxy import MAX_COUNT, MAX_LATENCY_MS, FaultProxy, FaultProxyError
from hello_dd.polling import PollTimeout, poll_async
from hello_dd.topology import INVENTORY

#: Longest wait of one ``GET /requests/wait`` (a client waiting longer asks again).
MAX_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.02
_MAX_BODY_BYTES = 64 * 1024
_SHUTDOWN_SECONDS = 2.0

EXAMPLE = f"""\
example (in a container on the run's Docker network):
  python -m hello_dd.harness.faults.server --listen 0.0.0.0:8666 --control 0.0.0.0:8474 \\
      --target {INVENTORY.name}:{INVENTORY.port} --allow-private-target --name "gateway -> {INVENTORY.name}"
"""
EXAMPLE += """
control API (JSON in, JSON out; 400 on bad input, 409 when the proxy cannot do it now):
  GET  /health            GET  /faults           POST /faults/heal      POST /faults/refuse
  POST /faults/latency    {"to_service_ms": 0, "to_client_ms": 0, "request_prefix": null}
  POST /faults/reset      {"count": null, "request_prefix": null, "after_forwarding": false, "containing": null}
  GET  /requests/wait?prefix=POST%20/quotes&timeout=10&after=N    -> {"seen": true|false}

exit status: 0 after SIGTERM or SIGINT, 1 if an address cannot be listened on, 2 on bad usage.
"""


def _log_line(name: str, message: str) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    line = f"{now} [{name}] {message}".replace("\r", "\\r").replace("\n", "\\n")
    print(line, flush=True)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- command line ---------------------------------------------------------------------------------


# argparse puts "argument --listen: " before these messages.


def _split(text: str) -> tuple[str, str]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise argparse.ArgumentTypeError(f"write an IPv6 address in brackets, e.g. [::1]:{port}, not {text!r}")
    return host, port


def _port(text: str, lowest: int) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the port must be a number, not {text!r}") from None
    if not lowest <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be between {lowest} and 65535, not {port}")
    return port


def _bind_address(text: str) -> tuple[str, int]:
    """HOST:PORT to listen on: a loopback address or 0.0.0.0 (every interface of the container); port 0: any free port."""
    host, port = _split(text)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the host must be an IP address (127.0.0.1, or 0.0.0.0 in a container), not {host!r}"
        ) from None
    if not (ip.is_loopback or ip.is_unspecified):
        raise argparse.ArgumentTypeError(f"listen on a loopback address, or on 0.0.0.0 in a container, not {host!r}")
    return host, _port(port, 0)


def _target_address(text: str) -> tuple[str, int]:
    host, port = _split(text)
    return host, _port(port, 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hello_dd.harness.faults.server",
        description=(
            "A fault-injecting TCP proxy (latency, refused connections, TCP resets) in front of one service,\n"
            "its faults changed through a small HTTP control API: the embedded stack's proxy as a program\n"
            "of its own, e.g. in a container between the gateway's container and a service's."
        ),
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen",
        required=True,
        metavar="HOST:PORT",
        type=_bind_address,
        help="where the proxied traffic comes in: a loopback address, or 0.0.0.0 in a container; port 0 picks a free port",
    )
    parser.add_argument(
        "--target",
        required=True,
        metavar="HOST:PORT",
        type=_target_address,
        help="the service to forward to: an address, or a name resolved again for every connection "
        "(a restarted container may have a new address); loopback only, unless --allow-private-target",
    )
    parser.add_argument(
        "--control",
        required=True,
        metavar="HOST:PORT",
        type=_bind_address,
        help="where the control API listens: a loopback address, or 0.0.0.0 in a container (whoever reaches it "
        "can change the faults); port 0 picks a free port",
    )
    parser.add_argument(
        "--name", default="", help="the proxy's name in its log lines and answers (default: 'proxy to TARGET')"
    )
    parser.add_argument(
        "--allow-private-target",
        action="store_true",
        help="also forward to private (RFC 1918) addresses, which a container's name resolves to on a Docker "
        "network; only for containers the run created itself",
    )
    return parser


# -- control API ----------------------------------------------------------------------------------


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
        self.log = log or (lambda message: _log_line(proxy.name, message))
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
                "listen": _host_port(self.proxy.listen_host, self.proxy.port),
                "target": _host_port(self.proxy.target_host, self.proxy.target_port),
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


async def serve(proxy: FaultProxy, control_host: str, control_port: int) -> int:
    """Run the control API for a started proxy until SIGTERM or SIGINT; the proxy is stopped on return."""
    api = ControlApi(proxy)
    log = api.log
    runner = web.AppRunner(api.app(), access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_SECONDS)
    try:
        await runner.setup()
        site = web.TCPSite(runner, control_host, control_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            log(
                f"error: the control API cannot listen on {_host_port(control_host, control_port)}: {exc.strerror or exc}"
            )
            return 1
        port = runner.addresses[0][1]
        api.control = f"http://{_host_port(control_host, port)}"
        loop = asyncio.get_running_loop()
        received: list[str] = []

        def stop(signum: signal.Signals) -> None:
            received.append(signum.name)
            api.stopping.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signum)
        listen = _host_port(proxy.listen_host, proxy.port)
        target = _host_port(proxy.target_host, proxy.target_port)
        log(f"ready: proxying {listen} -> {target}, control API on {api.control}")
        await api.stopping.wait()
        log(f"stopping ({received[0] if received else 'asked to'})")
        return 0
    finally:
        await runner.cleanup()
        await asyncio.to_thread(proxy.stop)
        log("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    (listen_host, listen_port), (target_host, target_port) = args.listen, args.target
    control_host, control_port = args.control
    name = args.name.strip() or f"proxy to {_host_port(target_host, target_port)}"
    try:
        proxy = FaultProxy(
            target_port,
            target_host=target_host,
            listen_host=listen_host,
            listen_port=listen_port,
            name=name,
            allow_private_target=args.allow_private_target,
            allow_wildcard_listen=True,
        )
    except FaultProxyError as exc:
        hint = ""
        if not args.allow_private_target and "loopback" in str(exc):
            hint = " (--allow-private-target also allows private addresses, e.g. a container's on a Docker network)"
        parser.error(f"argument --target: {exc}{hint}")
    try:
        proxy.start()
    except FaultProxyError as exc:
        _log_line(name, f"error: {exc}")
        return 1
    return asyncio.run(serve(proxy, control_host, control_port))


if __name__ == "__main__":
    sys.exit(main())
