"""The containers a ``stack=containers`` run is made of, one small class per kind in testcontainers-python's
style (a ``DockerContainer`` subclass configured with ``with_*`` calls): a hello-dd service, the
fault-injecting proxy in front of one, and Datadog's APM test agent. PostgreSQL and Redis are
testcontainers' own modules. Every container joins the run's network (:class:`RunNetwork`) and
publishes its ports on 127.0.0.1 only.

The provider (:mod:`hello_dd.harness.providers.containers`) composes them; this module imports
testcontainers, so the provider imports it only when a containers run starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Self, TypeVar

import docker
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from hello_dd.harness.faults.remote import RemoteFaultProxy
from hello_dd.harness.providers.tools import PROXY_CONTROL_PORT, PROXY_LISTEN_PORT, fault_proxy_command, proxy_route
from hello_dd.polling import poll
from hello_dd.stack import StackPorts, http_ok
from hello_dd.stack.trace_agent import EXECUTABLE, TEST_AGENT_OTLP_PROTOCOL, agent_arguments, agent_environment
from hello_dd.topology import TEST_AGENT, Service

LOOPBACK = "127.0.0.1"
#: Label on everything a run creates, so leftovers of a killed run can be found and removed.
RUN_LABEL = "org.hello-dd.spec.run"
READY_TIMEOUT_SECONDS = 120.0
#: The states of a container that will not become healthy any more.
_ENDED = ("exited", "dead")

Container = TypeVar("Container", bound=DockerContainer)


class ContainerFailedError(RuntimeError):
    """A container exited, or did not become ready; the message ends with its log."""


def publish_on_loopback(container: Container, port: int, host_port: int | None = None) -> Container:
    """Publish ``port`` on 127.0.0.1 only (testcontainers' with_bind_ports publishes on every interface;
    the Docker SDK takes a (host IP, host port) pair). A fixed host port survives a container restart."""
    container.ports[f"{port}/tcp"] = (LOOPBACK, host_port) if host_port else (LOOPBACK,)  # type: ignore[assignment]  # the SDK's pair, which testcontainers' annotation omits
    return container


def container_log(container: DockerContainer) -> str:
    """What the container wrote to stdout and stderr so far."""
    stdout, stderr = container.get_logs()
    return (stdout + stderr).decode("utf-8", errors="replace")


class RunNetwork(Network):
    """The run's own Docker network, labelled with the run's id; :meth:`join` makes a container part of
    the run (on this network under its alias, named and labelled after the run)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(docker_network_kw={"labels": {RUN_LABEL: run_id}})
        self.run_id = run_id

    def join(self, container: Container, alias: str) -> Container:
        container.with_network(self).with_network_aliases(alias).with_name(f"hello-dd-spec-{self.run_id}-{alias}")
        return container.with_kwargs(labels={RUN_LABEL: self.run_id})

    def disconnect(self, container_id: str) -> None:
        """``docker network disconnect``: the container's name no longer resolves and no packet reaches it.
        Testcontainers' network can connect a container but not disconnect one: the Docker SDK does it,
        finding the network by its name."""
        docker.from_env().networks.get(self.name).disconnect(container_id)


class StackContainer(DockerContainer):
    """A container of the run's stack, reached by the others at ``http://ALIAS:PORT``."""

    def __init__(self, image: str, network: RunNetwork, alias: str) -> None:
        super().__init__(image)
        self.alias = alias
        network.join(self, alias)

    def with_loopback_port(self, port: int, host_port: int) -> Self:
        return publish_on_loopback(self, port, host_port)


class ServiceContainer(StackContainer):
    """One hello-dd service from the project's image (``hello-dd serve NAME``) at its usual port,
    reached from the host at :attr:`url`."""

    def __init__(self, image: str, network: RunNetwork, service: Service, host_port: int, tracer: str = "otel"):
        super().__init__(image, network, service.name)
        self.service = service
        self.url = f"http://{LOOPBACK}:{host_port}"
        self.with_command(["hello-dd", "serve", service.name])
        self.with_envs(PORT=str(service.port), HELLO_DD_TRACER=tracer, OTEL_SERVICE_NAME=service.name)
        self.with_loopback_port(service.port, host_port)

    def with_collector(self, host: str) -> Self:
        """Traces to the test agent at ``host``: OTLP, or Datadog's intake under ddtrace."""
        return self.with_envs(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{host}:{TEST_AGENT.otlp_http_port}",
            OTEL_EXPORTER_OTLP_PROTOCOL=TEST_AGENT_OTLP_PROTOCOL,
            DD_TRACE_AGENT_URL=f"http://{host}:{TEST_AGENT.datadog_port}",
        )

    def with_database(self, url: str) -> Self:
        return self.with_env("DATABASE_URL", url)

    def with_redis(self, url: str) -> Self:
        return self.with_env("REDIS_URL", url)

    def with_dependency(self, dependency: Service, url: str) -> Self:
        """Calls ``dependency`` at ``url`` (its own address on the network, or its proxy's)."""
        return self.with_env(dependency.url_variable, url)

    def with_network_admin(self) -> Self:
        """NET_ADMIN, for ``tc qdisc ... netem`` in the container where the kernel has netem."""
        return self.with_kwargs(**self._kwargs, cap_add=["NET_ADMIN"])  # with_kwargs replaces: keep the label

    def wait_until_healthy(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Until ``/health`` answers 200; :class:`ContainerFailedError` with the log's tail when the
        container exits first or the time runs out."""

        def status() -> str:
            """ "healthy", else the container's state ("running", "exited", ...)."""
            if http_ok(self.url + "/health"):
                return "healthy"
            container = self.get_wrapped_container()
            container.reload()
            return str(container.status)

        def failed(status: str, checks: int = 0) -> ContainerFailedError:
            tail = "\n".join("    " + line for line in container_log(self).splitlines()[-20:])
            problem = f"exited ({status})" if status in _ENDED else f"was not healthy after {timeout:g} s"
            return ContainerFailedError(f"{self.service.name} {problem}; last lines of its log:\n{tail}")

        last = poll(
            status, lambda status: status == "healthy" or status in _ENDED, timeout=timeout, interval=0.5, fail=failed
        )
        if last in _ENDED:
            raise failed(last)


class FaultProxyContainer(StackContainer):
    """The fault-injecting proxy (:mod:`hello_dd.harness.faults.server`, from the suite's tools image) in
    front of ``target``: callers on the network reach the target through :attr:`url`; its faults are set
    through the control API, published on 127.0.0.1 (:meth:`control`)."""

    LISTEN_PORT = PROXY_LISTEN_PORT
    CONTROL_PORT = PROXY_CONTROL_PORT

    def __init__(self, image: str, network: RunNetwork, target: Service, control_host_port: int):
        super().__init__(image, network, f"{target.prefix}-proxy")
        self.target = target
        self.control_url = f"http://{LOOPBACK}:{control_host_port}"
        self.with_command(fault_proxy_command(f"{target.name}:{target.port}", self.route))
        self.with_loopback_port(self.CONTROL_PORT, control_host_port)

    @property
    def route(self) -> str:
        return proxy_route(self.target)

    @property
    def url(self) -> str:
        return f"http://{self.alias}:{self.LISTEN_PORT}"

    def control(self) -> RemoteFaultProxy:
        return RemoteFaultProxy(self.control_url, name=self.route)


class AgentContainer(StackContainer):
    """Datadog's APM test agent, the stack's trace collector, under its topology name and ports; the suite
    reads it at :attr:`datadog_url` (``/test/*`` API) and :attr:`otlp_url` (OTLP traces)."""

    def __init__(self, image: str, network: RunNetwork, datadog_host_port: int, otlp_host_port: int):
        super().__init__(image, network, TEST_AGENT.name)
        self.datadog_url = f"http://{LOOPBACK}:{datadog_host_port}"
        self.otlp_url = f"http://{LOOPBACK}:{otlp_host_port}"
        self.with_command([EXECUTABLE, *agent_arguments(StackPorts(), host="0.0.0.0")])
        self.with_envs(**agent_environment())
        self.with_loopback_port(TEST_AGENT.datadog_port, datadog_host_port)
        self.with_loopback_port(TEST_AGENT.otlp_http_port, otlp_host_port)


def remove_leftovers(say: Callable[[str], None] = print) -> int:
    """Remove containers and networks that earlier runs left behind (a run killed with SIGKILL)."""
    client = docker.from_env()
    removed = 0
    for container in client.containers.list(all=True, filters={"label": RUN_LABEL}):
        container.remove(force=True, v=True)
        removed += 1
    for network in client.networks.list(filters={"label": RUN_LABEL}):
        network.remove()
        removed += 1
    if removed:
        say(f"removed {removed} containers and networks left by earlier runs")
    logging.getLogger(__name__).debug("removed %d leftovers", removed)
    return removed
