"""The stack in Docker containers, run with Testcontainers: the image built from this repository, the
three services, PostgreSQL for inventory and the gateway (a database each), Redis for pricing and
Datadog's test agent, on a Docker network of the run's own, with a fault-injecting proxy container
between the gateway and each of its dependencies. Every port the suite uses is published on 127.0.0.1
only. Everything the run created (containers, network) is removed at the end, also after a failure or
Ctrl-C; the image is kept as a build cache.

Chosen with ``behave -D stack=containers``. Needs a Docker engine (``docker info`` must answer); the
public images it uses (postgres:15, redis:7, the test agent) are pulled when missing, or built as
stand-ins by ``containers/stand-ins/build.sh`` where no registry can be reached.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from hello_dd.harness.faults import RemoteFaultProxy
from hello_dd.harness.logs import LogLine, parse_lines
from hello_dd.harness.providers.base import SERVICE_NAMES, SPEC_STACK_SETTINGS, StackUrls
from hello_dd.harness.providers.proxied import PROXIED, ProxiedFaults
from hello_dd.stack import free_ports, http_ok
from hello_dd.stack.trace_agent import TEST_AGENT_OTLP_PROTOCOL, agent_environment

REPO_ROOT = Path(__file__).resolve().parents[4]
LOOPBACK = "127.0.0.1"
IMAGE = "hello-dd:spec"
POSTGRES_IMAGE = "postgres:15"
REDIS_IMAGE = "redis:7"
AGENT_IMAGE_REPOSITORY = "ghcr.io/datadog/dd-apm-test-agent/ddapm-test-agent"
SERVICE_PORTS = {"api-gateway": 8000, "inventory-service": 8001, "pricing-service": 8002}
AGENT, AGENT_PORT, OTLP_PORT = "test-agent", 8126, 4318
PROXY_PORT, PROXY_CONTROL_PORT = 9000, 9100
#: Label on everything a run creates, so leftovers of a killed run can be found and removed.
RUN_LABEL = "org.hello-dd.spec.run"
READY_TIMEOUT_SECONDS = 120.0
POSTGRES_USER = POSTGRES_PASSWORD = "hello"
INVENTORY_DATABASE, GATEWAY_DATABASE = "inventory", "gateway"


class ContainersUnavailable(RuntimeError):
    """No Docker engine answers, or the stack's images cannot be had; the message says what to do."""


def _say(message: str) -> None:
    print(f"hello-dd spec: containers: {message}", file=sys.stderr, flush=True)


def _publish_on_loopback(container, port: int, host_port: int | None = None):  # type: ignore[no-untyped-def]
    """Publish ``port`` on 127.0.0.1 only (Testcontainers' with_bind_ports publishes on every interface;
    the Docker SDK takes a (host IP, host port) pair). A fixed host port survives a container restart."""
    container.ports[f"{port}/tcp"] = (LOOPBACK, host_port) if host_port else (LOOPBACK,)
    return container


def _test_agent_version() -> str:
    """The test agent release the project pins (the Makefile's TEST_AGENT_VERSION, as build.sh reads it)."""
    for line in (REPO_ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("TEST_AGENT_VERSION :="):
            return line.split(":=", 1)[1].strip()
    raise ContainersUnavailable(
        f"{REPO_ROOT / 'Makefile'} names no TEST_AGENT_VERSION, so the test agent image is unknown"
    )


class DockerContainers(ProxiedFaults):
    name = "containers"
    controls_stack = True
    reads_logs = True
    cuts_network = True

    def __init__(self, reports_dir: Path, tracer: str = "otel", image: str = IMAGE, build: bool = True):
        self.reports_dir = Path(reports_dir)
        self.tracer = tracer
        self.image = image
        self.build = build
        self.run_id = uuid.uuid4().hex[:8]
        self.proxies: dict[str, RemoteFaultProxy] = {}  # type: ignore[assignment]
        self._containers: dict[str, object] = {}  # name -> testcontainers DockerContainer, in start order
        self._network = None
        self._ports: dict[str, int] = {}
        self._stopped: list[str] = []
        self._netem: bool | None = None

    # -- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        self._check_engine()
        from testcontainers.core.config import ConnectionMode, testcontainers_config

        # Every port is published on 127.0.0.1, so that is where the suite (and Testcontainers' own
        # readiness checks) reach the containers, also when this process itself runs in a container
        # (where Testcontainers would otherwise try the bridge's gateway address).
        testcontainers_config.tc_host_override = LOOPBACK
        testcontainers_config.connection_mode_override = ConnectionMode.docker_host
        if self.build:
            self._build_image()
        from testcontainers.core.network import Network

        self._network = Network(docker_network_kw={"labels": {RUN_LABEL: self.run_id}}).create()
        names = ["postgres", "redis", AGENT, "otlp", *SERVICE_PORTS, *(self._proxy_name(s) for s in PROXIED)]
        self._ports = dict(zip(names, free_ports(len(names)), strict=False))  # all distinct, published on 127.0.0.1
        _say(f"starting the stack on network {self._network.name} (run {self.run_id})")
        self._start("postgres", self._postgres())
        self._create_database(GATEWAY_DATABASE)
        self._start("redis", self._redis())
        self._start(AGENT, self._agent())
        for service in ("inventory-service", "pricing-service"):
            self._start(service, self._service(service))
        for service in PROXIED:
            self._start(self._proxy_name(service), self._fault_proxy(service))
            self.proxies[service] = RemoteFaultProxy(
                f"http://{LOOPBACK}:{self._ports[self._proxy_name(service)]}", name=f"gateway -> {service}"
            )
        self._start("api-gateway", self._service("api-gateway"))
        for service in ("inventory-service", "pricing-service", "api-gateway"):
            self._wait_healthy(service)
        for proxy in self.proxies.values():
            proxy.wait_until_ready(30)
        _say("every service is healthy")

    def stop(self) -> None:
        """Save each container's log under reports/logs/, then remove the containers and the network."""
        logs = self.reports_dir / "logs"
        if self._containers:
            shutil.rmtree(logs, ignore_errors=True)
            logs.mkdir(parents=True, exist_ok=True)
        for name, container in reversed(list(self._containers.items())):
            with contextlib.suppress(Exception):
                (logs / f"{name}.log").write_text(self._raw_logs(name), encoding="utf-8")
            with contextlib.suppress(Exception):
                container.stop()  # type: ignore[attr-defined]  # removes the container and its volumes
        self._containers.clear()
        if self._network is not None:
            with contextlib.suppress(Exception):
                self._network.remove()
            self._network = None
        self.proxies.clear()

    # -- what the suite reads ----------------------------------------------------------------------

    @property
    def urls(self) -> StackUrls:
        def url(name: str) -> str:
            return f"http://{LOOPBACK}:{self._ports[name]}"

        return StackUrls(
            gateway=url("api-gateway"),
            inventory=url("inventory-service"),
            pricing=url("pricing-service"),
            trace_agent=url(AGENT),
            otlp=url("otlp"),
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
        if name not in SERVICE_NAMES:
            raise ValueError(f"unknown service {name!r}")
        return parse_lines(name, self._raw_logs(name))

    # -- control -----------------------------------------------------------------------------------

    def stop_service(self, name: str) -> None:
        """``docker stop``: the container gets SIGTERM, then SIGKILL after 5 s."""
        if name not in SERVICE_NAMES:
            raise ValueError(f"unknown service {name!r}")
        self._stopped.append(name)
        self._wrapped(name).stop(timeout=5)

    def kill_service(self, name: str) -> None:
        """``docker kill``: SIGKILL to the container's process, no shutdown code runs."""
        if name not in SERVICE_NAMES:
            raise ValueError(f"unknown service {name!r}")
        self._stopped.append(name)
        self._wrapped(name).kill()

    def start_service(self, name: str) -> None:
        """``docker start``, then wait until the service is healthy again (same published port)."""
        self._wrapped(name).start()
        self._wait_healthy(name)
        self._stopped = [n for n in self._stopped if n != name]

    def disconnect_service(self, name: str) -> None:
        """Cut ``name`` off the stack's network (``docker network disconnect``): its name no longer
        resolves and no packet reaches it, while the process keeps running."""
        if name not in SERVICE_NAMES:
            raise ValueError(f"unknown service {name!r}")
        self._stopped.append(name)
        self._network._network.disconnect(self._wrapped(name).id)  # type: ignore[union-attr]

    def connect_service(self, name: str) -> None:
        """``docker network connect`` with the service's name as its alias again."""
        self._network.connect(self._wrapped(name).id, network_aliases=[name])  # type: ignore[union-attr]
        self._stopped = [n for n in self._stopped if n != name]

    def clear_faults(self) -> list[str]:
        undone = self.heal_proxies()
        for name in dict.fromkeys(self._stopped):
            container = self._wrapped(name)
            container.reload()
            if self._network is not None and self._network.name not in container.attrs["NetworkSettings"]["Networks"]:
                self.connect_service(name)
                undone.append(f"{name}: connected to the network again")
            if container.status != "running":
                self.start_service(name)
                undone.append(f"{name}: started again")
        self._stopped = []
        return undone

    # -- the containers ----------------------------------------------------------------------------

    @staticmethod
    def _proxy_name(service: str) -> str:
        return service.split("-")[0] + "-proxy"

    def _container(self, image: str, name: str):  # type: ignore[no-untyped-def]
        from testcontainers.core.container import DockerContainer

        return self._on_network(DockerContainer(image), name)

    def _on_network(self, container, name: str):  # type: ignore[no-untyped-def]
        container.with_network(self._network).with_network_aliases(name)
        container.with_name(f"hello-dd-spec-{self.run_id}-{name}")
        return container.with_kwargs(labels={RUN_LABEL: self.run_id})

    def _postgres(self):  # type: ignore[no-untyped-def]
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer(
            POSTGRES_IMAGE, username=POSTGRES_USER, password=POSTGRES_PASSWORD, dbname=INVENTORY_DATABASE, driver=None
        )
        container.ports.clear()
        return _publish_on_loopback(self._on_network(container, "postgres"), 5432, self._ports["postgres"])

    def _create_database(self, name: str) -> None:
        """A second database on the stack's PostgreSQL (the image makes only POSTGRES_DB)."""
        sql = f'CREATE DATABASE "{name}"'
        done = self._containers["postgres"].exec(["psql", "-U", POSTGRES_USER, "-d", INVENTORY_DATABASE, "-c", sql])  # type: ignore[attr-defined]
        if done.exit_code != 0:
            raise ContainersUnavailable(
                f"could not create database {name} on PostgreSQL: {done.output.decode(errors='replace')}"
            )

    @staticmethod
    def _database_url(name: str) -> str:
        return f"postgresql://{POSTGRES_USER}:{POSTGRES_PASSWORD}@postgres:5432/{name}"

    def _redis(self):  # type: ignore[no-untyped-def]
        from testcontainers.redis import RedisContainer

        container = RedisContainer(REDIS_IMAGE)
        container.ports.clear()
        return _publish_on_loopback(self._on_network(container, "redis"), 6379, self._ports["redis"])

    def _agent(self):  # type: ignore[no-untyped-def]
        container = self._container(f"{AGENT_IMAGE_REPOSITORY}:v{_test_agent_version()}", AGENT)
        container.with_command(
            ["ddapm-test-agent", "--host", "0.0.0.0", "--port", str(AGENT_PORT), "--otlp-http-port", str(OTLP_PORT),
             "--web-ui-port", "0", "--agent-url=", "--log-level", "WARNING"]
        )  # fmt: skip
        container.with_envs(**agent_environment())
        _publish_on_loopback(container, AGENT_PORT, self._ports[AGENT])
        return _publish_on_loopback(container, OTLP_PORT, self._ports["otlp"])

    def _service(self, name: str):  # type: ignore[no-untyped-def]
        container = self._container(self.image, name).with_command(["hello-dd", "serve", name])
        container.with_envs(
            PORT=str(SERVICE_PORTS[name]),
            HELLO_DD_TRACER=self.tracer,
            OTEL_SERVICE_NAME=name,
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{AGENT}:{OTLP_PORT}",
            OTEL_EXPORTER_OTLP_PROTOCOL=TEST_AGENT_OTLP_PROTOCOL,
            DD_TRACE_AGENT_URL=f"http://{AGENT}:{AGENT_PORT}",
            DD_ENV="containers",
            **SPEC_STACK_SETTINGS,
        )
        if name == "inventory-service":
            container.with_env("DATABASE_URL", self._database_url(INVENTORY_DATABASE))
            container.with_kwargs(labels={RUN_LABEL: self.run_id}, cap_add=["NET_ADMIN"])
        elif name == "pricing-service":
            container.with_env("REDIS_URL", "redis://redis:6379/0")
            container.with_kwargs(labels={RUN_LABEL: self.run_id}, cap_add=["NET_ADMIN"])
        else:
            container.with_env("DATABASE_URL", self._database_url(GATEWAY_DATABASE))
            for service in PROXIED:
                variable = service.split("-")[0].upper() + "_URL"
                container.with_env(variable, f"http://{self._proxy_name(service)}:{PROXY_PORT}")
        return _publish_on_loopback(container, SERVICE_PORTS[name], self._ports[name])

    def _fault_proxy(self, service: str):  # type: ignore[no-untyped-def]
        name = self._proxy_name(service)
        container = self._container(self.image, name).with_command(
            ["python", "-m", "hello_dd.harness.faults.server",
             "--listen", f"0.0.0.0:{PROXY_PORT}", "--target", f"{service}:{SERVICE_PORTS[service]}",
             "--control", f"0.0.0.0:{PROXY_CONTROL_PORT}", "--allow-private-target", "--name", f"gateway -> {service}"]
        )  # fmt: skip
        return _publish_on_loopback(container, PROXY_CONTROL_PORT, self._ports[name])

    def _start(self, name: str, container) -> None:  # type: ignore[no-untyped-def]
        self._containers[name] = container
        container.start()

    def _wrapped(self, name: str):  # type: ignore[no-untyped-def]
        return self._containers[name].get_wrapped_container()  # type: ignore[attr-defined]

    def _raw_logs(self, name: str) -> str:
        container = self._containers.get(name)
        if container is None:
            return ""
        stdout, stderr = container.get_logs()  # type: ignore[attr-defined]
        return (stdout + stderr).decode("utf-8", errors="replace")

    def _wait_healthy(self, name: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        url = f"http://{LOOPBACK}:{self._ports[name]}"
        deadline = time.monotonic() + timeout
        while not http_ok(url + "/health"):
            container = self._wrapped(name)
            container.reload()
            if container.status in ("exited", "dead") or time.monotonic() > deadline:
                tail = "\n".join("    " + line for line in self._raw_logs(name).splitlines()[-20:])
                problem = (
                    f"exited ({container.status})"
                    if container.status in ("exited", "dead")
                    else f"was not healthy after {timeout:g} s"
                )
                raise ContainersUnavailable(f"{name} {problem}; last lines of its log:\n{tail}")
            time.sleep(0.5)

    # -- the engine and the image ------------------------------------------------------------------

    @staticmethod
    def _check_engine() -> None:
        from docker.errors import DockerException

        try:
            import docker

            docker.from_env(timeout=10).ping()
        except DockerException as exc:
            raise ContainersUnavailable(
                f"stack=containers needs a running Docker engine, and none answers ({exc}); start dockerd "
                "(or Docker Desktop), or use the embedded stack (-D stack=local)"
            ) from exc

    def _build_image(self) -> None:
        """``docker build`` of the repository's Dockerfile (layers are cached: a rebuild after a code
        change takes seconds). The CLI is used when present, for its progress output and BuildKit."""
        _say(f"building image {self.image} from {REPO_ROOT} (the first build takes a few minutes)")
        started = time.monotonic()
        if shutil.which("docker"):
            result = subprocess.run(
                ["docker", "build", "--quiet", "--tag", self.image, str(REPO_ROOT)], capture_output=True, text=True
            )
            if result.returncode != 0:
                raise ContainersUnavailable(f"docker build of {self.image} failed:\n{result.stderr[-3000:]}")
        else:
            from testcontainers.core.image import DockerImage

            DockerImage(path=REPO_ROOT, tag=self.image, clean_up=False).build()
        _say(f"image {self.image} built in {time.monotonic() - started:.0f} s")

    def _netem_available(self) -> bool:
        """Whether this kernel has the netem qdisc (asked once, in the inventory container)."""
        if self._netem is None:
            self._netem = False
            with contextlib.suppress(Exception):
                container = self._containers["inventory-service"]
                added = container.exec(["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "0ms"])  # type: ignore[attr-defined]
                if added.exit_code == 0:
                    container.exec(["tc", "qdisc", "del", "dev", "eth0", "root"])  # type: ignore[attr-defined]
                    self._netem = True
        return self._netem


def remove_leftovers(say: Callable[[str], None] = _say) -> int:
    """Remove containers and networks that earlier runs left behind (a run killed with SIGKILL)."""
    import docker

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
