"""Faults through a fault-injecting proxy between the gateway and each of its dependencies: the part
every provider that runs the stack itself shares (an in-process proxy for local processes, a proxy
container controlled over HTTP for containers)."""

from __future__ import annotations

from typing import Protocol

from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider

# The gateway reaches each of these through a fault-injecting proxy.
PROXIED = ("inventory-service", "pricing-service")


class ControllableProxy(Protocol):
    """What a provider needs of a proxy (FaultProxy in process, RemoteFaultProxy in a container)."""

    def add_latency(self, to_service_ms: int = 0, to_client_ms: int = 0, request_prefix: str | None = None) -> None: ...
    def refuse(self) -> None: ...
    def reset(
        self,
        count: int | None = None,
        request_prefix: str | None = None,
        after_forwarding: bool = False,
        containing: str | None = None,
    ) -> None: ...
    def heal(self) -> None: ...
    def describe(self) -> str: ...
    def snapshot(self) -> dict[str, object]: ...
    def wait_for_request(self, request_prefix: str, timeout: float, after: int = 0) -> bool: ...


class ProxiedFaults(StackProvider):
    """Implements the fault interface on ``self.proxies`` (dependency name -> proxy)."""

    proxies: dict[str, ControllableProxy]

    def _proxy(self, name: str) -> ControllableProxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise StackControlUnavailable(
                f"faults are injected between the gateway and {', '.join(PROXIED)}, not {name}"
            ) from None

    def inject_latency(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        self._proxy(name).add_latency(to_client_ms=milliseconds, request_prefix=request_prefix)

    def delay_requests(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        self._proxy(name).add_latency(to_service_ms=milliseconds, request_prefix=request_prefix)

    def refuse_connections(self, name: str) -> None:
        self._proxy(name).refuse()

    def reset_connections(
        self,
        name: str,
        *,
        count: int | None = None,
        request_prefix: str | None = None,
        after_forwarding: bool = False,
        containing: str | None = None,
    ) -> None:
        self._proxy(name).reset(count, request_prefix, after_forwarding, containing)

    def wait_for_request(self, name: str, request_prefix: str, timeout: float, after: int = 0) -> bool:
        return self._proxy(name).wait_for_request(request_prefix, timeout, after)

    def fault_report(self, name: str) -> dict[str, object]:
        return self._proxy(name).snapshot()

    def heal_proxies(self) -> list[str]:
        """Remove every proxy fault; returns one line per proxy that had one."""
        undone = []
        for name, proxy in self.proxies.items():
            faults = proxy.snapshot()["faults"]  # the faults alone; describe() also names the proxy
            if faults != "pass-through":
                undone.append(f"{name}: {faults}")
                proxy.heal()
        return undone
