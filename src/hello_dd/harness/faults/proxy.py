"""A fault-injecting TCP proxy for the loopback interface: the gateway reaches a dependency through it,
and the suite changes at run time what happens on the way.

Faults (all bounded, all removed by :meth:`FaultProxy.heal`):

- **latency**: every chunk in a direction is delivered ``ms`` later than it arrived (a pipe with a
  delay, like ``tc netem``: order is kept and a reply made of several chunks is late once, not once
  per chunk); optionally only for requests whose first bytes match a prefix (``POST /quotes/``);
- **refuse**: the listening socket is closed, so new connections are refused by the kernel
  (ECONNREFUSED), and open connections are reset;
- **reset**: a request is answered with a TCP reset (SO_LINGER 0) instead of reaching the service,
  or, with ``after_forwarding``, reaches the service and its answer is lost; for the next ``count``
  matching requests or for all of them;
- **pass-through**: none of the above.

A "request" is a chunk from the client that starts with an HTTP request line (``GET /...``): the proxy
is not an HTTP parser, but an HTTP/1.1 client writes each request's head in one go. When the service
cannot be reached (stopped), the proxy resets the client's connection, which the client sees as the
service being unreachable.

Where traffic may go. By default the proxy listens on the loopback interface and forwards only to
loopback addresses: chaos traffic must never reach a machine the run did not start. Run as its own
process in a container (:mod:`hello_dd.harness.faults.server`), the proxy sits on a Docker network
between the gateway's container and a service's container, whose name resolves to a private address;
there, and only on explicit request (``allow_private_target``), targets may also be private (RFC 1918)
addresses, and the proxy may listen on every interface of its container (``allow_wildcard_listen``).
A target given by name is resolved for every connection (a restarted container may have a new
address), and only the resolved addresses the rule allows are connected to.

The proxy runs its own asyncio loop in a daemon thread; every method may be called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

LOOPBACK = "127.0.0.1"
T = TypeVar("T")
#: Upper bound of any latency, so a forgotten fault can never hang a run.
MAX_LATENCY_MS = 30_000
#: Upper bound of a fault's request count.
MAX_COUNT = 10_000
CONNECT_TIMEOUT_SECONDS = 5.0
CHUNK_BYTES = 65_536
_REQUEST_LINE = re.compile(rb"[A-Z]{3,7} /")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")
#: How long a request judged by its body may take to arrive whole before it is judged as it stands.
WHOLE_REQUEST_WAIT_SECONDS = 1.0
#: The private IPv4 networks of RFC 1918: where Docker puts its networks' containers.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?"
)


class FaultProxyError(RuntimeError):
    """The proxy could not do what was asked (bad argument, port taken, not started)."""


@dataclass(frozen=True)
class Latency:
    to_service_ms: int = 0
    to_client_ms: int = 0
    #: Only requests starting with these bytes (and their answers) are delayed; None: all traffic.
    request_prefix: bytes | None = None


@dataclass(frozen=True)
class Reset:
    #: How many more requests to reset; None: every matching request.
    remaining: int | None = None
    request_prefix: bytes | None = None
    #: Only requests whose head or body (up to its Content-Length, read before deciding) holds these bytes.
    containing: bytes | None = None
    #: Forward the request, then reset instead of delivering the answer (the write happened, the
    #: answer is lost).
    after_forwarding: bool = False


@dataclass
class Faults:
    latency: Latency = field(default_factory=Latency)
    reset: Reset | None = None
    refusing: bool = False

    def describe(self) -> str:
        parts = []
        if self.refusing:
            parts.append("refusing connections")
        if self.reset is not None:
            scope = (
                f"requests starting {self.reset.request_prefix.decode()!r}" if self.reset.request_prefix else "requests"
            )
            if self.reset.containing:
                scope += f" holding {self.reset.containing.decode()!r}"
            count = "every one of the" if self.reset.remaining is None else f"the next {self.reset.remaining}"
            how = "answer lost after forwarding" if self.reset.after_forwarding else "reset before forwarding"
            parts.append(f"{count} {scope}: {how}")
        latency = self.latency
        if latency.to_service_ms or latency.to_client_ms:
            scope = f" for requests starting {latency.request_prefix.decode()!r}" if latency.request_prefix else ""
            parts.append(f"latency {latency.to_service_ms} ms to the service, {latency.to_client_ms} ms back{scope}")
        return "; ".join(parts) or "pass-through"


@dataclass
class Stats:
    connections: int = 0
    requests: int = 0
    resets: int = 0
    lost_answers: int = 0
    delayed_requests: int = 0
    unreachable: int = 0
    #: Why the service could not be reached the last time (refused, not resolved, not allowed).
    unreachable_reason: str = ""
    #: The request lines seen last (method and path) with their sequence number, newest last.
    recent: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=200))

    def snapshot(self) -> dict[str, object]:
        return {
            "connections": self.connections,
            "requests": self.requests,
            "resets": self.resets,
            "lost_answers": self.lost_answers,
            "delayed_requests": self.delayed_requests,
            "unreachable": self.unreachable,
            "unreachable_reason": self.unreachable_reason,
            "recent": [line for _, line in self.recent],
        }


def _target_allowed(address: str, allow_private: bool) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or (allow_private and ip.version == 4 and any(ip in net for net in PRIVATE_NETWORKS))


def _not_allowed(host: str, allow_private: bool) -> str:
    if allow_private:
        return f"the fault proxy only forwards to loopback or private (RFC 1918) addresses, not {host!r}"
    return f"the fault proxy only works on the loopback interface, not {host!r}"


def _check_target(host: str, allow_private: bool) -> None:
    """An address is checked now; a name when a connection resolves it (and now, if it resolves now)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.fullmatch(host):
            raise FaultProxyError(f"{host!r} is neither an IP address nor a host name") from None
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError):
            return  # not resolvable yet (a container not started): checked again for every connection
        if not any(_target_allowed(address, allow_private) for address in addresses):
            raise FaultProxyError(
                f"{_not_allowed(host, allow_private)} (it resolves to {', '.join(sorted(addresses))})"
            ) from None
        return
    if not _target_allowed(host, allow_private):
        raise FaultProxyError(_not_allowed(host, allow_private))


def _check_listen(host: str, allow_wildcard: bool) -> None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise FaultProxyError(f"the fault proxy listens on an IP address, not {host!r}") from None
    if ip.is_loopback or (allow_wildcard and ip.is_unspecified):
        return
    where = (
        "the loopback interface or every interface of its container (0.0.0.0)"
        if allow_wildcard
        else "the loopback interface"
    )
    raise FaultProxyError(f"the fault proxy only listens on {where}, not {host!r}")


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _prefix(value: str | bytes | None) -> bytes | None:
    if value is None:
        return None
    data = value.encode("ascii") if isinstance(value, str) else bytes(value)
    if not data:
        raise FaultProxyError("a request prefix must not be empty")
    return data


def _bounded_ms(value: int, what: str) -> int:
    value = int(value)
    if not 0 <= value <= MAX_LATENCY_MS:
        raise FaultProxyError(f"{what} must be between 0 and {MAX_LATENCY_MS} ms, not {value}")
    return value


def _abort_with_reset(writer: asyncio.StreamWriter | None) -> None:
    """Close a connection with a TCP reset (RST) instead of an orderly FIN."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _Connection:
    """One client connection and its connection to the service, pumped in both directions."""

    def __init__(self, proxy: FaultProxy, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter):
        self.proxy = proxy
        self.client_reader = client_reader
        self.client_writer = client_writer
        self.service_writer: asyncio.StreamWriter | None = None
        self.lose_next_answer = False
        self.delaying = False  # the current request matched a latency prefix
        self.closed = False

    def reset(self) -> None:
        self.closed = True
        _abort_with_reset(self.client_writer)
        _abort_with_reset(self.service_writer)

    async def run(self) -> None:
        proxy = self.proxy
        try:
            service_reader, service_writer = await asyncio.wait_for(proxy._open_target(), CONNECT_TIMEOUT_SECONDS)
        except (TimeoutError, OSError, FaultProxyError) as exc:
            proxy.stats.unreachable += 1
            proxy.stats.unreachable_reason = (
                f"{_host_port(proxy.target_host, proxy.target_port)}: {str(exc) or type(exc).__name__}"
            )
            self.reset()  # the client sees the service as unreachable
            return
        self.service_writer = service_writer
        to_service = asyncio.create_task(self._pump(self.client_reader, service_writer, upstream=True))
        to_client = asyncio.create_task(self._pump(service_reader, self.client_writer, upstream=False))
        await asyncio.wait({to_service, to_client}, return_when=asyncio.FIRST_COMPLETED)
        # One side ended: give the other a moment to deliver what is in flight, then close both.
        await asyncio.wait({to_service, to_client}, timeout=MAX_LATENCY_MS / 1000 + 1)
        for task in (to_service, to_client):
            task.cancel()
        for writer in (self.client_writer, service_writer):
            if not writer.transport.is_closing():
                writer.close()

    def _on_request(self, chunk: bytes) -> str:
        """Decide what happens to a chunk from the client: 'forward', 'reset' or 'forward-then-lose'."""
        proxy = self.proxy
        faults = proxy.faults
        if not _REQUEST_LINE.match(chunk):
            return "forward"  # a body, or the rest of a head: follows its request
        proxy.stats.requests += 1
        line = chunk.split(b"\r\n", 1)[0][:200].decode("latin-1")
        proxy.stats.recent.append((proxy.stats.requests, line.rsplit(" HTTP/", 1)[0]))
        proxy._notify_request()
        latency = faults.latency
        self.delaying = latency.request_prefix is None or chunk.startswith(latency.request_prefix)
        if self.delaying and latency.request_prefix is not None and (latency.to_service_ms or latency.to_client_ms):
            proxy.stats.delayed_requests += 1
        rule = faults.reset
        if rule is None or (rule.request_prefix is not None and not chunk.startswith(rule.request_prefix)):
            return "forward"
        if rule.containing is not None and rule.containing not in chunk:
            return "forward"
        if rule.remaining is not None:
            left = rule.remaining - 1
            faults.reset = replace(rule, remaining=left) if left > 0 else None
        if rule.after_forwarding:
            return "forward-then-lose"
        return "reset"

    async def _whole_request_if_judged_by_body(self, reader: asyncio.StreamReader, chunk: bytes) -> bytes:
        """A client may send a request's head and body in separate writes (Python's http.client does):
        when a reset rule looks into bodies, read on until the head and its Content-Length are in."""
        rule = self.proxy.faults.reset
        if rule is None or rule.containing is None or not _REQUEST_LINE.match(chunk):
            return chunk
        try:
            async with asyncio.timeout(WHOLE_REQUEST_WAIT_SECONDS):
                while len(chunk) < CHUNK_BYTES:
                    head, sep, body = chunk.partition(b"\r\n\r\n")
                    if sep:
                        length = _CONTENT_LENGTH.search(head)
                        if length is None or len(body) >= int(length.group(1)):
                            return chunk
                    more = await reader.read(CHUNK_BYTES)
                    if not more:
                        return chunk
                    chunk += more
        except TimeoutError:
            pass  # what arrived in time
        return chunk

    def _delay(self, upstream: bool) -> float:
        latency = self.proxy.faults.latency
        if not self.delaying:
            return 0.0
        return (latency.to_service_ms if upstream else latency.to_client_ms) / 1000

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: bool) -> None:
        """Read chunks and deliver each at its arrival time plus the current latency, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            try:
                while True:
                    due, data = await queue.get()
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if writer.transport.is_closing():
                        return
                    if not data:
                        if writer.can_write_eof():
                            writer.write_eof()
                        return
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                self.reset()

        delivering = asyncio.create_task(deliver())
        try:
            while True:
                try:
                    chunk = await reader.read(CHUNK_BYTES)
                except (ConnectionError, OSError):
                    chunk = b""
                if upstream and chunk:
                    chunk = await self._whole_request_if_judged_by_body(reader, chunk)
                    decision = self._on_request(chunk)
                    if decision == "reset":
                        self.proxy.stats.resets += 1
                        self.reset()
                        return
                    if decision == "forward-then-lose":
                        self.lose_next_answer = True
                elif not upstream and chunk and self.lose_next_answer:
                    self.proxy.stats.lost_answers += 1
                    self.reset()
                    return
                queue.put_nowait((time.monotonic() + self._delay(upstream), chunk))
                if not chunk:
                    await delivering
                    return
        except (ConnectionError, OSError):
            self.reset()
        finally:
            if not delivering.done():
                delivering.cancel()


class FaultProxy:
    """Listens on ``listen_host:listen_port`` (0: a free port) and forwards to ``target_host:target_port``.

    Both hosts must be loopback unless the standalone server (in a container) allows more: private
    targets with ``allow_private_target``, listening on 0.0.0.0 with ``allow_wildcard_listen``."""

    def __init__(
        self,
        target_port: int,
        *,
        listen_port: int = 0,
        target_host: str = LOOPBACK,
        name: str = "",
        listen_host: str = LOOPBACK,
        allow_private_target: bool = False,
        allow_wildcard_listen: bool = False,
    ):
        _check_target(target_host, allow_private_target)
        _check_listen(listen_host, allow_wildcard_listen)
        self.allow_private_target = allow_private_target
        self.listen_host = listen_host
        self.target_host = target_host
        self.target_port = int(target_port)
        self.name = name or f"proxy to {target_host}:{target_port}"
        self._listen_port = int(listen_port)
        self.faults = Faults()
        self.stats = Stats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_Connection] = set()
        self._request_seen = threading.Condition()

    # -- lifecycle (any thread) -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._listen_port:
            raise FaultProxyError(f"{self.name} has not been started")
        return self._listen_port

    @property
    def url(self) -> str:
        host = LOOPBACK if ipaddress.ip_address(self.listen_host).is_unspecified else self.listen_host
        return f"http://{_host_port(host, self.port)}"

    def start(self) -> FaultProxy:
        if self._thread is not None:
            raise FaultProxyError(f"{self.name} has already been started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=f"fault-proxy {self.name}", daemon=True)
        self._thread.start()
        try:
            self._call(self._listen())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            try:
                self._call(self._shutdown())
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=5)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults (any thread) ----------------------------------------------------------------------

    def add_latency(
        self, to_service_ms: int = 0, to_client_ms: int = 0, request_prefix: str | bytes | None = None
    ) -> None:
        latency = Latency(
            _bounded_ms(to_service_ms, "latency to the service"),
            _bounded_ms(to_client_ms, "latency back"),
            _prefix(request_prefix),
        )
        self._call(self._set(latency=latency))

    def refuse(self) -> None:
        self._call(self._refuse())

    def reset(
        self,
        count: int | None = None,
        request_prefix: str | bytes | None = None,
        after_forwarding: bool = False,
        containing: str | bytes | None = None,
    ) -> None:
        """Reset the next ``count`` requests (None: all) starting with ``request_prefix`` and holding
        ``containing`` in its head or body (e.g. a product id in a JSON body); with ``after_forwarding``
        the request reaches the service and its answer is lost."""
        if count is not None and not 1 <= int(count) <= MAX_COUNT:
            raise FaultProxyError(f"count must be between 1 and {MAX_COUNT}, not {count}")
        rule = Reset(
            None if count is None else int(count), _prefix(request_prefix), _prefix(containing), after_forwarding
        )
        self._call(self._set(reset=rule))

    def heal(self) -> None:
        """Pass-through again: no latency, no resets, connections accepted."""
        self._call(self._heal())

    def describe(self) -> str:
        listen = _host_port(self.listen_host, self._listen_port)
        return f"{self.name} ({listen} -> {_host_port(self.target_host, self.target_port)}): {self.faults.describe()}"

    def snapshot(self) -> dict[str, object]:
        return self._call(self._snapshot())

    @property
    def request_count(self) -> int:
        """How many requests have passed so far: a mark for :meth:`wait_for_request`."""
        return self.stats.requests

    def wait_for_request(self, request_prefix: str | bytes, timeout: float, after: int = 0) -> bool:
        """Wait until a request starting with ``request_prefix`` arrives, counting only requests after
        the ``after``-th (a :attr:`request_count` taken earlier). True if one came within ``timeout`` s."""
        wanted = _prefix(request_prefix)
        assert wanted is not None
        text = wanted.decode("latin-1")
        with self._request_seen:
            return self._request_seen.wait_for(
                lambda: any(seq > after and line.startswith(text) for seq, line in list(self.stats.recent)), timeout
            )

    # -- inside the loop --------------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or not self._loop.is_running():
            coroutine.close()
            raise FaultProxyError(f"{self.name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def _notify_request(self) -> None:
        with self._request_seen:
            self._request_seen.notify_all()

    async def _listen(self) -> None:
        try:
            self._server = await asyncio.start_server(
                self._accept, self.listen_host, self._listen_port, reuse_address=True
            )
        except OSError as exc:
            where = _host_port(self.listen_host, self._listen_port)
            raise FaultProxyError(f"{self.name} cannot listen on {where}: {exc.strerror or exc}") from exc
        self._listen_port = self._server.sockets[0].getsockname()[1]

    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to the target, resolving its name now and skipping the addresses it may not reach."""
        try:
            addresses = [str(ipaddress.ip_address(self.target_host))]  # checked when the proxy was made
        except ValueError:
            infos = await asyncio.get_running_loop().getaddrinfo(
                self.target_host, self.target_port, type=socket.SOCK_STREAM
            )
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [a for a in addresses if _target_allowed(a, self.allow_private_target)]
        if not allowed:
            raise FaultProxyError(
                f"{_not_allowed(self.target_host, self.allow_private_target)} (it resolves to {', '.join(addresses)})"
            )
        error: OSError | None = None
        for address in allowed:
            try:
                return await asyncio.open_connection(address, self.target_port)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(self, reader, writer)
        if self.faults.refusing:
            connection.reset()
            return
        self.stats.connections += 1
        self._connections.add(connection)
        try:
            await connection.run()
        except (ConnectionError, OSError):
            connection.reset()
        except asyncio.CancelledError:
            # The proxy is shutting down. Ending quietly: asyncio's stream callback would otherwise log
            # the cancelled handler as an error (Python 3.11).
            connection.reset()
        finally:
            self._connections.discard(connection)

    async def _set(self, **changes: object) -> None:
        for key, value in changes.items():
            setattr(self.faults, key, value)

    async def _refuse(self) -> None:
        self.faults.refusing = True
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.reset()

    async def _heal(self) -> None:
        self.faults = Faults()
        if self._server is None:
            await self._listen()

    async def _snapshot(self) -> dict[str, object]:
        return {"faults": self.faults.describe(), **self.stats.snapshot()}

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.reset()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
