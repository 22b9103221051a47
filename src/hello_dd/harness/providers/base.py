"""The interface every stack provider implements (Testcontainers' shape: start, connection details,
control, logs, stop - and clean up even when the run fails)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests

from hello_dd.harness.logs import LogLine
from hello_dd.topology import service

#: Settings the suite gives the stacks it starts itself (the embedded stack, containers), so a run that
#: opens circuits a dozen times, waits for background jobs and reads back many traces stays short: a 1.5 s
#: circuit cool-down instead of 10 s, the gateway's checkout recovery and inventory's reservation sweep
#: every second instead of every 5 s, and spans exported 0.1 s after they end instead of 0.5 s (the
#: standard OTEL_BSP_SCHEDULE_DELAY). The scenarios read the cool-down from the running gateway
#: (features/README.md); `hello-dd up`, Compose and external stacks keep theirs.
SPEC_STACK_SETTINGS = {
    "BREAKER_RESET_SECONDS": "1.5",
    "CHECKOUT_RECOVERY_SECONDS": "1",
    "RESERVATION_SWEEP_SECONDS": "1",
    "OTEL_BSP_SCHEDULE_DELAY": "100",
    # The simulate endpoints (a test hook, off by default): the logging scenarios crash a request on purpose.
    "SIMULATE_ENDPOINTS": "true",
}


class StackControlUnavailable(Exception):
    """This provider cannot do what a scenario asks (stop a service, inject a fault, read logs).

    The message is the reason a skipped scenario states in the report."""


@dataclass(frozen=True)
class StackUrls:
    """Where the suite reaches the stack. A service's field is its prefix in the topology."""

    gateway: str
    inventory: str | None = None
    pricing: str | None = None
    # The test agent: its Datadog intake and /test/* API.
    trace_agent: str | None = None
    # The test agent's OTLP/HTTP receiver, where OTLP traces are read back (/test/session/traces).
    otlp: str | None = None

    def service(self, name: str) -> str:
        known = service(name)
        url: str | None = getattr(self, known.prefix)
        if not url:
            raise StackControlUnavailable(f"no URL is known for {name}: pass -D {known.url_option}=... to reach it")
        return url


class StackProvider(ABC):
    name: str = "abstract"
    #: True when the provider started the stack itself and may stop services and inject faults.
    controls_stack: bool = False
    #: True when the provider can read the services' log lines.
    reads_logs: bool = False
    #: True when the provider can cut a service off the network while it keeps running.
    cuts_network: bool = False

    #: True when the provider runs the reference stack from this repository itself, in a configuration it
    #: ships (SQLite or PostgreSQL, pricing's cache in process or in Redis): its span budgets hold there
    #: (docs/tracing.md). A Compose project or a deployment the suite is pointed at may be anything.
    runs_budgeted_configuration: bool = False

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @property
    @abstractmethod
    def urls(self) -> StackUrls: ...

    @property
    def reads_traces(self) -> bool:
        """True when the trace agent is known, so scenarios can read the traces back."""
        return bool(self.urls.trace_agent)

    #: The tracing library the services run (otel or ddtrace): it decides the traces' format.
    tracer: str = "otel"

    @property
    def trace_settle_seconds(self) -> float:
        """How long a trace must stay unchanged to count as complete: longer than the services wait
        before exporting spans (0.5 s by default; 0.1 s under SPEC_STACK_SETTINGS, but ddtrace's writer
        flushes about once a second whatever the settings)."""
        return 0.8 if self.tracer == "ddtrace" or not self.controls_stack else 0.4

    @property
    def sends_datadog_traces(self) -> bool:
        """True when the services send Datadog-format traces, the only ones the test agent checks."""
        return self.tracer == "ddtrace"

    @property
    def caches_in_redis(self) -> bool:
        """True when pricing-service says on /health that its cache is Redis (scenarios about cache spans
        need one); False when it says otherwise or cannot be asked."""
        if not self.urls.pricing:
            return False
        try:
            response = requests.get(self.urls.pricing.rstrip("/") + "/health", timeout=5)
            return response.status_code == 200 and response.json().get("cache") == "redis"
        except (requests.RequestException, ValueError):
            return False

    def describe(self) -> str:
        """One line for reports: which stack the run was verified against."""
        return f"{self.name}: gateway {self.urls.gateway}"

    def stop_service(self, name: str) -> None:
        raise StackControlUnavailable(self._cannot("stop services"))

    def start_service(self, name: str) -> None:
        raise StackControlUnavailable(self._cannot("start services"))

    def kill_service(self, name: str) -> None:
        """End ``name`` at once with SIGKILL, as a crash would: none of its shutdown code runs."""
        raise StackControlUnavailable(self._cannot("kill services"))

    def disconnect_service(self, name: str) -> None:
        """Cut ``name`` off the stack's network; it keeps running, but nothing reaches it."""
        raise StackControlUnavailable(f"stack={self.name} cannot cut a service off the network (stack=containers can)")

    def connect_service(self, name: str) -> None:
        """Undo :meth:`disconnect_service`."""
        raise StackControlUnavailable(f"stack={self.name} cannot cut a service off the network (stack=containers can)")

    # Faults on the path from the gateway to a dependency (inventory-service or pricing-service).
    # ``request_prefix`` limits a fault to requests whose first bytes match, e.g. "POST /reservations".

    def inject_latency(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        """Answers of ``name`` reach the gateway ``milliseconds`` later."""
        raise StackControlUnavailable(self._cannot("inject network latency"))

    def delay_requests(self, name: str, milliseconds: int, *, request_prefix: str | None = None) -> None:
        """Requests from the gateway reach ``name`` ``milliseconds`` later."""
        raise StackControlUnavailable(self._cannot("inject network latency"))

    def refuse_connections(self, name: str) -> None:
        """New connections from the gateway to ``name`` are refused, open ones reset."""
        raise StackControlUnavailable(self._cannot("refuse connections"))

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
        raise StackControlUnavailable(self._cannot("reset connections"))

    def wait_for_request(self, name: str, request_prefix: str, timeout: float, after: int = 0) -> bool:
        """True when a matching request from the gateway to ``name`` arrived within ``timeout`` seconds,
        counting only requests after mark ``after`` (see :meth:`fault_report`'s ``requests``)."""
        raise StackControlUnavailable(self._cannot("watch the traffic between the services"))

    def fault_report(self, name: str) -> dict[str, object]:
        """The faults on the path to ``name`` and what they did: counts of requests, resets, lost answers."""
        raise StackControlUnavailable(self._cannot("inject faults"))

    def clear_faults(self) -> list[str]:
        """Remove every fault and start every service a scenario stopped; returns what was undone.
        Called after every scenario, also a failed one. Nothing to do for a stack the suite cannot control."""
        return []

    def logs(self, name: str) -> list[LogLine]:
        raise StackControlUnavailable(self._cannot("read the services' logs"))

    def _cannot(self, what: str) -> str:
        return f"stack={self.name} cannot {what}: it verifies a deployment the suite does not run"
