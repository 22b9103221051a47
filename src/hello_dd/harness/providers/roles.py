"""The roles a stack provider may play besides running the stack and saying where it is (the base,
:class:`~hello_dd.harness.providers.base.StackProvider`): each a small interface that a provider implements
when it can. What a provider can do is read from the roles it implements (``controls_stack`` and the other
flags), and a step that asks a provider for a role it lacks gets :class:`StackControlUnavailable` with the
reason (``base.service_control`` and the others).

- :class:`ServiceControl`: stop, start and kill a service (the stacks the suite runs itself);
- :class:`FaultInjection`: faults on the path from the gateway to a dependency (through the fault proxy);
- :class:`NetworkControl`: cut a service off the stack's network and connect it again (containers);
- :class:`LogReading`: read a service's log lines."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hello_dd.harness.logs import LogLine


@runtime_checkable
class ServiceControl(Protocol):
    def stop_service(self, name: str) -> None: ...

    def start_service(self, name: str) -> None: ...

    def kill_service(self, name: str) -> None:
        """End ``name`` at once with SIGKILL, as a crash would: none of its shutdown code runs."""


@runtime_checkable
class NetworkControl(Protocol):
    def disconnect_service(self, name: str) -> None:
        """Cut ``name`` off the stack's network; it keeps running, but nothing reaches it."""

    def connect_service(self, name: str) -> None:
        """Undo :meth:`disconnect_service`."""


@runtime_checkable
class FaultInjection(Protocol):
    """Faults on the path from the gateway to a dependency (inventory-service or pricing-service).
    ``request_prefix`` limits a fault to requests whose first bytes match, e.g. "POST /reservations"."""

    def inject_latency(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        """Answers of ``name`` reach the gateway ``milliseconds`` later."""

    def delay_requests(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        """Requests from the gateway reach ``name`` ``milliseconds`` later."""

    def refuse_connections(self, name: str) -> None:
        """New connections from the gateway to ``name`` are refused, open ones reset."""

    def reset_connections(
        self,
        name: str,
        *,
        count: int | None = None,
        request_prefix: str | None = None,
        after_forwarding: bool = False,
        containing: str | None = None,
    ) -> None:
        """The next ``count`` requests (None: all) to ``name`` are answered with a TCP reset; with
        ``after_forwarding`` they reach the service first and only the answer is lost; with
        ``containing`` only requests whose head and body hold that text."""

    def wait_for_request(self, name: str, request_prefix: str, timeout: float, after: int = 0) -> bool:
        """True when a matching request from the gateway to ``name`` arrived within ``timeout`` seconds,
        counting only requests after mark ``after`` (see :meth:`fault_report`'s ``requests``)."""

    def fault_report(self, name: str) -> dict[str, object]:
        """The faults on the path to ``name`` and what they did: counts of requests, resets, lost answers."""


@runtime_checkable
class LogReading(Protocol):
    def logs(self, name: str) -> list[LogLine]: ...
