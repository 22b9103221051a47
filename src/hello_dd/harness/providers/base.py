"""The interface every stack provider implements (Testcontainers' shape: start, connection details, stop -
and clean up even when the run fails), and access to the roles some of them play (control, faults,
network, logs: harness.providers.roles)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests

from hello_dd.harness.providers.roles import FaultInjection, LogReading, NetworkControl, ServiceControl
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
    """Runs the stack (or finds it) and says where it is: what every provider does. What else a provider can
    do is the roles it implements (harness.providers.roles); its capability flags are read from them."""

    name: str = "abstract"

    #: True when the provider runs the reference stack from this repository itself, in a configuration it
    #: ships (SQLite or PostgreSQL, pricing's cache in process or in Redis): its span budgets hold there
    #: (docs/tracing.md). A Compose project or a deployment the suite is pointed at may be anything.
    runs_budgeted_configuration: bool = False

    #: The tracing library the services run (otel or ddtrace): it decides the traces' format.
    tracer: str = "otel"

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

    def clear_faults(self) -> list[str]:
        """Remove every fault and start every service a scenario stopped; returns what was undone.
        Called after every scenario, also a failed one. Nothing to do for a stack the suite cannot control."""
        return []

    # -- what the provider can do, read from its roles --------------------------------------------------

    @property
    def controls_stack(self) -> bool:
        """True when the provider started the stack itself and may stop services and inject faults."""
        return isinstance(self, ServiceControl) and isinstance(self, FaultInjection)

    @property
    def reads_logs(self) -> bool:
        """True when the provider can read the services' log lines."""
        return isinstance(self, LogReading)

    @property
    def cuts_network(self) -> bool:
        """True when the provider can cut a service off the network while it keeps running."""
        return isinstance(self, NetworkControl)

    # -- traces ---------------------------------------------------------------------------------------

    @property
    def reads_traces(self) -> bool:
        """True when the trace agent is known, so scenarios can read the traces back."""
        return bool(self.urls.trace_agent)

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

    def caches_in_redis(self) -> bool:
        """True when pricing-service says on /health that its cache is Redis (scenarios about cache spans
        need one); False when it says otherwise or cannot be asked. Asks it each time."""
        if not self.urls.pricing:
            return False
        try:
            response = requests.get(self.urls.pricing.rstrip("/") + "/health", timeout=5)
            return response.status_code == 200 and response.json().get("cache") == "redis"
        except (requests.RequestException, ValueError):
            return False

    def cannot(self, what: str) -> str:
        """The reason a step that asks this provider for what it lacks is skipped."""
        return f"stack={self.name} cannot {what}: it verifies a deployment the suite does not run"


# A provider's roles, for a step that needs one: the provider itself, or StackControlUnavailable saying
# what the provider cannot do (the step's scenario is then skipped with that reason).


def service_control(provider: StackProvider, what: str = "stop services") -> ServiceControl:
    if isinstance(provider, ServiceControl):
        return provider
    raise StackControlUnavailable(provider.cannot(what))


def fault_injection(provider: StackProvider, what: str = "inject faults") -> FaultInjection:
    if isinstance(provider, FaultInjection):
        return provider
    raise StackControlUnavailable(provider.cannot(what))


def network_control(provider: StackProvider) -> NetworkControl:
    if isinstance(provider, NetworkControl):
        return provider
    raise StackControlUnavailable(f"stack={provider.name} cannot cut a service off the network (stack=containers can)")


def log_reading(provider: StackProvider) -> LogReading:
    if isinstance(provider, LogReading):
        return provider
    raise StackControlUnavailable(provider.cannot("read the services' logs"))
