"""Faults through a fault-injecting proxy between the gateway and each of its dependencies: the part
every provider that runs the stack itself shares (an in-process proxy for local processes, a proxy
container controlled over HTTP for containers), and undoing after a scenario what it did to the stack."""

from __future__ import annotations

from abc import abstractmethod
from typing import Generic, Protocol, TypeVar

from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider
from hello_dd.harness.providers.roles import FaultInjection, NetworkControl, ServiceControl
from hello_dd.topology import PROXIED, service


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


P = TypeVar("P", bound=ControllableProxy)


class ProxiedFaults(StackProvider, ServiceControl, FaultInjection, Generic[P]):
    """A stack the suite runs itself: implements the fault role on ``self.proxies`` (dependency name ->
    proxy of kind ``P``), and :meth:`clear_faults`: proxies healed, and every service a scenario stopped,
    killed or cut off brought back, each provider saying how it controls a service and knows whether it runs."""

    proxies: dict[str, P]
    #: Services a scenario stopped, killed or cut off since the last clear_faults (set by the providers).
    _stopped: list[str]

    def _proxy(self, name: str) -> P:
        try:
            return self.proxies[name]
        except KeyError:
            proxied = ", ".join(s.name for s in PROXIED)
            raise StackControlUnavailable(
                f"faults are injected between the gateway and {proxied}, not {name}"
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

    # -- undoing a scenario's faults ----------------------------------------------------------------

    def _note_interrupted(self, name: str) -> None:
        """Note that ``name`` (a service of the topology, else ValueError) is about to be stopped, killed
        or cut off, so that :meth:`clear_faults` brings it back."""
        self._stopped.append(service(name).name)

    def _note_back(self, name: str) -> None:
        """Note that ``name`` was started or connected again."""
        self._stopped = [n for n in self._stopped if n != name]

    @abstractmethod
    def _is_running(self, name: str) -> bool:
        """True when the service's process (or container) runs now."""

    def _is_connected(self, name: str) -> bool:
        """True unless the service was cut off the stack's network (only containers can be)."""
        return True

    def heal_proxies(self) -> list[str]:
        """Remove every proxy fault; returns one line per proxy that had one."""
        undone = []
        for name, proxy in self.proxies.items():
            faults = proxy.snapshot()["faults"]  # the faults alone; describe() also names the proxy
            if faults != "pass-through":
                undone.append(f"{name}: {faults}")
                proxy.heal()
        return undone

    def clear_faults(self) -> list[str]:
        undone = self.heal_proxies()
        for name in dict.fromkeys(self._stopped):
            if isinstance(self, NetworkControl) and not self._is_connected(name):
                self.connect_service(name)
                undone.append(f"{name}: connected to the network again")
            if not self._is_running(name):
                self.start_service(name)
                undone.append(f"{name}: started again")
        self._stopped = []
        return undone
