"""The stack in Docker containers, run with Testcontainers: the image built from this repository, the
three services, PostgreSQL for inventory and the gateway (a database each), Redis for pricing and
Datadog's test agent, on a Docker network of the run's own, with a fault-injecting proxy container
(the suite's tools image, ``containers/spec-tools/Dockerfile``) between the gateway and each of its
dependencies. Every port the suite uses is published on 127.0.0.1
only. Everything the run created (containers, network) is removed at the end, also after a failure or
Ctrl-C; the image is kept as a build cache.

Chosen with ``behave -D stack=containers``. Needs a Docker engine (``docker info`` must answer); the
public images it uses (postgres:15, redis:7, the test agent) are pulled when missing, or built as
stand-ins by ``containers/stand-ins/build.sh`` where no registry can be reached. The containers
themselves, one class per kind, are in :mod:`hello_dd.harness.providers.stack_containers`; what each runs
with (images, databases, settings, routes) in :mod:`hello_dd.harness.providers.container_settings`.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hello_dd.harness.logs import LogLine, parse_lines
from hello_dd.harness.providers.base import StackUrls
from hello_dd.harness.providers.container_settings import (
    GATEWAY_DATABASE,
    IMAGE,
    INVENTORY_DATABASE,
    OTHER_HOST_PORTS,
    POSTGRES_IMAGE,
    POSTGRES_PASSWORD,
    POSTGRES_PORT,
    POSTGRES_USER,
    REDIS_IMAGE,
    REDIS_PORT,
    configure_service,
    create_database,
    kernel_has_netem,
)
from hello_dd.harness.providers.proxied import ControllableProxy, ProxiedFaults
from hello_dd.harness.providers.roles import LogReading, NetworkControl
from hello_dd.harness.providers.tools import (
    TOOLS_DOCKERFILE,
    TOOLS_IMAGE,
    build_image,
    check_engine,
    say,
    test_agent_image,
)
from hello_dd.stack import free_ports
from hello_dd.topology import INVENTORY, PROXIED, SERVICES, TEST_AGENT, Service, service, start_order

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

    from hello_dd.harness.faults.remote import RemoteFaultProxy
    from hello_dd.harness.providers.stack_containers import AgentContainer, RunNetwork, ServiceContainer

    Started = TypeVar("Started", bound=DockerContainer)


class DockerContainers(ProxiedFaults[ControllableProxy], NetworkControl, LogReading):
    name = "containers"
    #: The image it runs is built from this repository (PostgreSQL, pricing's cache in Redis).
    runs_budgeted_configuration = True

    def __init__(
        self,
        reports_dir: Path,
        tracer: str = "otel",
        image: str = IMAGE,
        build: bool = True,
        tools_image: str = TOOLS_IMAGE,
    ):
        self.reports_dir = Path(reports_dir)
        self.tracer = tracer
        self.image = image
        self.tools_image = tools_image
        self.build = build
        self.run_id = uuid.uuid4().hex[:8]
        self.proxies: dict[str, ControllableProxy] = {}
        self._containers: dict[str, DockerContainer] = {}  # name -> container, in start order
        self._services: dict[str, ServiceContainer] = {}
        self._agent: AgentContainer | None = None
        self._network: RunNetwork | None = None
        self._stopped: list[str] = []
        self._netem: bool | None = None

    # -- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        check_engine(self.name)
        from testcontainers.core.config import ConnectionMode, testcontainers_config

        from hello_dd.harness.providers.stack_containers import LOOPBACK, RunNetwork

        # Every port is published on 127.0.0.1, so that is where the suite (and Testcontainers' own
        # readiness checks) reach the containers, also when this process itself runs in a container
        # (where Testcontainers would otherwise try the bridge's gateway address).
        testcontainers_config.tc_host_override = LOOPBACK
        testcontainers_config.connection_mode_override = ConnectionMode.docker_host
        if self.build:
            build_image(self.name, self.image)
            build_image(self.name, self.tools_image, TOOLS_DOCKERFILE)
        network = self._network = RunNetwork(self.run_id).create()
        # All distinct, published on 127.0.0.1; a service keeps its port when it is started again.
        host_ports = iter(free_ports(OTHER_HOST_PORTS + len(SERVICES) + len(PROXIED)))
        say(self.name, f"starting the stack on network {network.name} (run {self.run_id})")
        self._start_datastores_and_agent(network, host_ports)
        controls = self._start_services(network, host_ports)
        for container in self._services.values():
            container.wait_until_healthy()
        for control in controls:
            control.wait_until_ready(30)
        say(self.name, "every service is healthy")

    def _start_datastores_and_agent(self, network: RunNetwork, host_ports: Iterator[int]) -> None:
        """PostgreSQL with a database for inventory and one for the gateway, Redis, and the test agent."""
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.community.redis import RedisContainer

        from hello_dd.harness.providers.stack_containers import AgentContainer, publish_on_loopback

        postgres = PostgresContainer(
            POSTGRES_IMAGE, username=POSTGRES_USER, password=POSTGRES_PASSWORD, dbname=INVENTORY_DATABASE, driver=None
        )
        redis = RedisContainer(REDIS_IMAGE)
        for alias, container, port in (("postgres", postgres, POSTGRES_PORT), ("redis", redis, REDIS_PORT)):
            container.ports.clear()  # testcontainers' modules publish on every interface: on loopback only instead
            self._start(alias, publish_on_loopback(network.join(container, alias), port, next(host_ports)))
        create_database(self._containers["postgres"], GATEWAY_DATABASE)
        self._agent = self._start(
            TEST_AGENT.name, AgentContainer(test_agent_image(), network, next(host_ports), next(host_ports))
        )

    def _start_services(self, network: RunNetwork, host_ports: Iterator[int]) -> list[RemoteFaultProxy]:
        """The services, each after those it calls, and a fault proxy in front of each proxied one;
        returns the proxies' control APIs."""
        from hello_dd.harness.providers.stack_containers import FaultProxyContainer, ServiceContainer

        routes: dict[Service, str] = {}  # where a caller reaches a proxied service: through its proxy
        controls = []
        for each in start_order():
            container = ServiceContainer(self.image, network, each, next(host_ports), self.tracer)
            self._services[each.name] = self._start(each.name, configure_service(container, routes))
            if each.proxied:
                proxy = FaultProxyContainer(self.tools_image, network, each, next(host_ports))
                self._start(proxy.alias, proxy)
                routes[each] = proxy.url
                controls.append(proxy.control())
                self.proxies[each.name] = controls[-1]
        return controls

    def _start(self, name: str, container: Started) -> Started:
        self._containers[name] = container  # before it starts: a failed start is cleaned up too
        container.start()
        return container

    def stop(self) -> None:
        """Save each container's log under reports/logs/, then remove the containers and the network."""
        from hello_dd.harness.providers.stack_containers import container_log

        logs = self.reports_dir / "logs"
        if self._containers:
            shutil.rmtree(logs, ignore_errors=True)
            logs.mkdir(parents=True, exist_ok=True)
        for name, container in reversed(list(self._containers.items())):
            with contextlib.suppress(Exception):
                (logs / f"{name}.log").write_text(container_log(container), encoding="utf-8")
            with contextlib.suppress(Exception):
                container.stop()  # removes the container and its volumes
        self._containers.clear()
        self._services.clear()
        if self._network is not None:
            with contextlib.suppress(Exception):
                self._network.remove()
            self._network = None
        self.proxies.clear()

    # -- what the suite reads ----------------------------------------------------------------------

    @property
    def urls(self) -> StackUrls:
        if self._agent is None:
            raise RuntimeError("the containers have not been started")
        return StackUrls(
            **{s.prefix: self._services[s.name].url for s in SERVICES},
            trace_agent=self._agent.datadog_url,
            otlp=self._agent.otlp_url,
        )

    def describe(self) -> str:
        netem = {
            True: "tc netem available",
            False: "no netem qdisc in this kernel: delays come from the proxies",
            None: "",
        }
        extra = f"; {netem[self._netem_available()]}"
        return f"Docker containers (image {self.image}, PostgreSQL, Redis, test agent; tracer {self.tracer}), gateway {self.urls.gateway}{extra}"

    def logs(self, name: str) -> list[LogLine]:
        from hello_dd.harness.providers.stack_containers import container_log

        container = self._services.get(service(name).name)
        return parse_lines(name, container_log(container) if container is not None else "")

    # -- control -----------------------------------------------------------------------------------

    def stop_service(self, name: str) -> None:
        """``docker stop``: the container gets SIGTERM, then SIGKILL after 5 s."""
        self._note_interrupted(name)
        self._services[name].get_wrapped_container().stop(timeout=5)

    def kill_service(self, name: str) -> None:
        """``docker kill``: SIGKILL to the container's process, no shutdown code runs."""
        self._note_interrupted(name)
        self._services[name].get_wrapped_container().kill()

    def start_service(self, name: str) -> None:
        """``docker start``, then wait until the service is healthy again (same published port)."""
        self._services[name].get_wrapped_container().start()
        self._services[name].wait_until_healthy()
        self._note_back(name)

    def disconnect_service(self, name: str) -> None:
        """Cut ``name`` off the stack's network (``docker network disconnect``): its name no longer
        resolves and no packet reaches it, while the process keeps running."""
        self._note_interrupted(name)
        self._run_network().disconnect(self._services[name].get_container_id())

    def connect_service(self, name: str) -> None:
        """``docker network connect`` with the service's name as its alias again."""
        self._run_network().connect(self._services[name].get_container_id(), network_aliases=[name])
        self._note_back(name)

    def _is_running(self, name: str) -> bool:
        container = self._services[name].get_wrapped_container()
        container.reload()
        return bool(container.status == "running")

    def _is_connected(self, name: str) -> bool:
        container = self._services[name].get_wrapped_container()
        container.reload()
        return self._run_network().name in container.attrs["NetworkSettings"]["Networks"]

    def _run_network(self) -> RunNetwork:
        if self._network is None:
            raise RuntimeError("the containers have not been started")
        return self._network

    def _netem_available(self) -> bool:
        """Whether this kernel has the netem qdisc (asked once, in the inventory container)."""
        if self._netem is None:
            self._netem = INVENTORY.name in self._services and kernel_has_netem(self._services[INVENTORY.name])
        return self._netem
