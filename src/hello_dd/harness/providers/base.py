"""The interface every stack provider implements (Testcontainers' shape: start, connection details,
control, logs, stop - and clean up even when the run fails)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from hello_dd.harness.logs import LogLine

SERVICE_NAMES = ("api-gateway", "inventory-service", "pricing-service")


class StackControlUnavailable(Exception):
    """This provider cannot do what a scenario asks (stop a service, inject a fault, read logs).

    The message is the reason a skipped scenario states in the report."""


@dataclass(frozen=True)
class StackUrls:
    gateway: str
    inventory: str | None = None
    pricing: str | None = None
    trace_agent: str | None = None

    def service(self, name: str) -> str:
        url = {"api-gateway": self.gateway, "inventory-service": self.inventory, "pricing-service": self.pricing}.get(name)
        if not url:
            raise StackControlUnavailable(f"no URL is known for {name}: pass -D {name.split('-')[0]}_url=... to reach it")
        return url


class StackProvider(ABC):
    name: str = "abstract"
    #: True when the provider started the stack itself and may stop services and inject faults.
    controls_stack: bool = False
    #: True when the provider can read the services' log lines.
    reads_logs: bool = False

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @property
    @abstractmethod
    def urls(self) -> StackUrls: ...

    def describe(self) -> str:
        """One line for reports: which stack the run was verified against."""
        return f"{self.name}: gateway {self.urls.gateway}"

    def stop_service(self, name: str) -> None:
        raise StackControlUnavailable(self._cannot("stop services"))

    def start_service(self, name: str) -> None:
        raise StackControlUnavailable(self._cannot("start services"))

    def inject_latency(self, name: str, milliseconds: int) -> None:
        raise StackControlUnavailable(self._cannot("inject network latency"))

    def logs(self, name: str) -> list[LogLine]:
        raise StackControlUnavailable(self._cannot("read the services' logs"))

    def _cannot(self, what: str) -> str:
        return f"stack={self.name} cannot {what}: it verifies a deployment the suite does not run"
