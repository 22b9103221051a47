"""The system's shape in one table: each service, the port it listens on by default, the prefix of its
settings, whether the suite puts a fault proxy in front of it and which services it calls; and the
trace collector the stacks run next to them. The opentelemetry-demo keeps its services and their edges
in one table that every test reads (test/telemetry/services.py); this is that table for hello-dd.

Every other module reads names and ports here: the services' settings, the local stack and ``hello-dd``,
the stack providers, the Gherkin types, the steps and the scripts (tests/test_topology.py checks that
no service name, port or collector name is written anywhere else). docker-compose.yml and deploy/k8s
say the same in YAML; tests/test_topology.py checks that docker-compose.yml agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The instrumentations a service can trace with (``HELLO_DD_TRACER``, ``-D tracer=``, ``hello-dd up
#: --tracer``): OpenTelemetry, Datadog's tracer, or none. The services' settings and the stacks read it here.
TracerName = Literal["otel", "ddtrace", "none"]


@dataclass(frozen=True)
class Service:
    """One service of the reference stack (and of any implementation the suite verifies)."""

    #: The service's name everywhere: ``OTEL_SERVICE_NAME`` and so the traces, the log lines' ``service``,
    #: ``hello-dd serve NAME``, the process, container and host name, and the words of the features.
    name: str
    #: The port it listens on unless ``PORT`` says otherwise.
    port: int
    #: The prefix of the settings that name it: the caller's ``INVENTORY_URL``, ``-D inventory_url=``,
    #: ``hello-dd up --inventory-port``; also the gateway's name for it as a dependency.
    prefix: str
    #: The services it calls.
    calls: tuple[Service, ...] = ()
    #: True when the suite's stacks put a fault-injecting proxy between its callers and it.
    proxied: bool = False

    @property
    def url_variable(self) -> str:
        """The environment variable a caller reads its URL from (``INVENTORY_URL``)."""
        return f"{self.prefix.upper()}_URL"

    @property
    def url_option(self) -> str:
        """The ``behave -D`` option that gives its URL to the suite (``inventory_url``)."""
        return f"{self.prefix}_url"


@dataclass(frozen=True)
class Collector:
    """The trace collector: Datadog's APM test agent, which the suite reads the traces back from. Its ports
    are the standard ones (a Datadog Agent's intake, OTLP's receivers), where the tracing libraries send by
    default."""

    #: Its name as a process, container and host (``http://test-agent:4318`` in Compose and Kubernetes).
    name: str
    #: Datadog intake (ddtrace sends here) and the agent's ``/test/*`` API.
    datadog_port: int
    #: OTLP/HTTP receiver (the OpenTelemetry exporters send here); OTLP traces are read back from it.
    otlp_http_port: int
    #: OTLP/gRPC receiver (always opened by the agent, unused by the services).
    otlp_grpc_port: int
    #: The ``behave -D`` options that give the suite its URL and its OTLP/HTTP receiver's.
    url_option: str
    otlp_url_option: str


INVENTORY = Service("inventory-service", 8001, "inventory", proxied=True)
PRICING = Service("pricing-service", 8002, "pricing", proxied=True)
GATEWAY = Service("api-gateway", 8000, "gateway", calls=(INVENTORY, PRICING))

#: Every service, the public entry point first.
SERVICES = (GATEWAY, INVENTORY, PRICING)
NAMES = tuple(service.name for service in SERVICES)
#: The services that have a fault proxy in front of them.
PROXIED = tuple(service for service in SERVICES if service.proxied)

TEST_AGENT = Collector("test-agent", 8126, 4318, 4317, url_option="trace_agent_url", otlp_url_option="otlp_url")


def service(name: str) -> Service:
    """The service called ``name``; ValueError naming the known ones for any other name."""
    for candidate in SERVICES:
        if candidate.name == name:
            return candidate
    raise ValueError(f"unknown service {name!r}: the services are {', '.join(NAMES)}")


def start_order() -> tuple[Service, ...]:
    """Every service after the services it calls (the order a launcher starts them in)."""
    ordered: list[Service] = []
    while len(ordered) < len(SERVICES):
        ready = [s for s in SERVICES if s not in ordered and all(callee in ordered for callee in s.calls)]
        if not ready:
            raise ValueError(
                f"the services call each other in a cycle: {[s.name for s in SERVICES if s not in ordered]}"
            )
        ordered += ready
    return tuple(ordered)
