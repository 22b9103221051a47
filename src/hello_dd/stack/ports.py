"""The ports a local stack listens on, and finding free ones on the loopback interface."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import dataclass, fields

from hello_dd.topology import GATEWAY, INVENTORY, PRICING, TEST_AGENT, Service

LOOPBACK = "127.0.0.1"
#: Where a load run's Locust master listens unless told otherwise (Locust's own default): the suite's load
#: runs and ``hello-dd load-worker``.
LOCUST_MASTER_PORT = 5557


def parse_address(text: str, default_port: int, default_host: str = "0.0.0.0") -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``:PORT`` -> (host, port), with ``default_port`` when it names none."""
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        host, port = port, str(default_port)
    host = host or default_host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"an address looks like HOST, HOST:PORT or :PORT (PORT 1-65535), not {text!r}")
    return host, int(port)


class PortInUseError(RuntimeError):
    """A port the stack needs is already taken by another process."""

    def __init__(self, port: int, role: str):
        super().__init__(f"port {port} ({role}) is already in use")
        self.port = port
        self.role = role


@dataclass(frozen=True)
class StackPorts:
    """Every port a local stack binds on 127.0.0.1, by default the topology's. Field names are the roles
    used in errors and in ``hello-dd up``'s options; a service's role is its prefix in the topology."""

    gateway: int = GATEWAY.port
    inventory: int = INVENTORY.port
    pricing: int = PRICING.port
    agent: int = TEST_AGENT.datadog_port  # the test agent: Datadog intake and its /test/* API
    otlp: int = TEST_AGENT.otlp_http_port  # the test agent's OTLP/HTTP receiver (the services export here)
    otlp_grpc: int = TEST_AGENT.otlp_grpc_port  # its OTLP/gRPC receiver (unused by the services, always bound)

    def __post_init__(self) -> None:
        seen: dict[int, str] = {}
        for role, port in self.as_dict().items():
            if not 0 < port < 65536:
                raise ValueError(f"{role} port {port} is not a valid TCP port (1-65535)")
            if port in seen:
                raise ValueError(f"{seen[port]} and {role} cannot share port {port}")
            seen[port] = role

    @classmethod
    def free(cls) -> StackPorts:
        """A set of distinct ports that were free a moment ago (for tests and parallel runs)."""
        return cls(*free_ports(len(fields(cls))))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def of(self, service: Service) -> int:
        """The port ``service`` listens on."""
        return int(getattr(self, service.prefix))


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the kernel picked on 127.0.0.1 (all held open at once, then released)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when a server could listen on ``host:port`` now. Like uvicorn and aiohttp, this sets
    SO_REUSEADDR, so ports held only by closed connections (TIME_WAIT) count as free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def ensure_free(ports: dict[str, int]) -> None:
    """Raise :class:`PortInUseError` for the first role whose port is taken."""
    for role, port in ports.items():
        if not port_is_free(port):
            raise PortInUseError(port, role)
