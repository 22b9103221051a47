"""Your own hello-dd as a Docker Compose project (``behave -D stack=compose``): any implementation, in
any language, run the way its users run it, and controlled the way the contract's checks do it.

The suite runs the project as ``docker-compose -f YOUR_FILE -f OVERRIDE -p PROJECT up -d --build``.
YOUR_FILE is never edited: what the suite needs is in OVERRIDE, a file it generates under reports/
(:func:`override_document`), which adds
- a fault-injecting proxy in front of each of the gateway's dependencies (the suite's own image,
  ``hello-dd:spec``, built from this repository), and re-points the gateway's variable that holds that
  dependency's URL at it, so scenarios can delay, refuse or reset the gateway's calls;
- Datadog's APM test agent, and points every service's trace exporter variables at it, so scenarios
  can read the traces back;
- any extra environment the mapping gives (test hooks an implementation offers).

Services are found by their Compose names, and stopped, started, killed and cut off the network with
Compose and Docker; their log lines are read from Docker. What the suite assumes about names, ports
and variables is a :class:`ComposeMapping`: hello-dd's names by default, or a TOML file
(``-D compose_mapping=FILE``, docs/your-own-stack.md). With ``-D compose_attach=true`` the suite uses a
project that is already running and leaves it so: no proxies and no test agent are added, so the
scenarios that inject faults or read traces are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from hello_dd.harness.faults import RemoteFaultProxy
from hello_dd.harness.logs import LogLine, parse_lines
from hello_dd.harness.providers.base import StackControlUnavailable, StackUrls
from hello_dd.harness.providers.containers import AGENT_IMAGE_REPOSITORY, IMAGE, REPO_ROOT, _test_agent_version
from hello_dd.harness.providers.proxied import ProxiedFaults
from hello_dd.stack import free_ports
from hello_dd.stack.ports import StackPorts
from hello_dd.stack.trace_agent import EXECUTABLE, agent_arguments, agent_environment
from hello_dd.topology import GATEWAY, PROXIED, SERVICES, TEST_AGENT, service

LOOPBACK = "127.0.0.1"
AGENT = "hello-dd-spec-agent"
PROXY_LISTEN_PORT, PROXY_CONTROL_PORT = 9000, 9100
READY_TIMEOUT_SECONDS = 180.0
#: The exporter variables pointed at the test agent, by what they hold.
COLLECTOR_VARIABLES = {"otlp": ("OTEL_EXPORTER_OTLP_ENDPOINT",), "datadog": ("DD_TRACE_AGENT_URL",)}


class ComposeUnavailable(RuntimeError):
    """The Compose project cannot be run or reached; the message says why and what to do."""


def _say(message: str) -> None:
    print(f"hello-dd spec: compose: {message}", file=sys.stderr, flush=True)


def proxy_name(topology_name: str) -> str:
    return f"hello-dd-spec-proxy-{topology_name}"


@dataclass(frozen=True)
class ComposeMapping:
    """How a Compose project names what the suite needs. Keys are the suite's names (topology)."""

    #: the Compose service of each of the three services
    services: Mapping[str, str] = field(default_factory=lambda: {s.name: s.name for s in SERVICES})
    #: the port each service listens on inside its container (None: the first port the file publishes)
    ports: Mapping[str, int] = field(default_factory=dict)
    #: the gateway's variable holding each dependency's URL
    dependency_variables: Mapping[str, str] = field(default_factory=lambda: {s.name: s.url_variable for s in PROXIED})
    #: the exporter variables set on every service: OTLP endpoint(s) and Datadog agent URL(s)
    collector_variables: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(COLLECTOR_VARIABLES))
    #: extra environment per service (e.g. a test hook an implementation turns on by a variable)
    environment: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> ComposeMapping:
        """Read a mapping file (docs/your-own-stack.md shows one); every table is optional."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"-D compose_mapping={path}: {exc}") from exc
        default = cls()
        known = {s.name for s in SERVICES}
        tables = data.get("services", {})
        if unknown := set(tables) - known or set(data.get("environment", {})) - known:
            raise ValueError(f"{path}: unknown services {sorted(unknown)}; the services are {sorted(known)}")
        try:
            return cls(
                services={**default.services, **{k: str(v["name"]) for k, v in tables.items() if "name" in v}},
                ports={k: int(v["port"]) for k, v in tables.items() if "port" in v},
                dependency_variables={**default.dependency_variables, **data.get("dependencies", {})},
                collector_variables={
                    **default.collector_variables,
                    **{k: tuple(v) for k, v in data.get("collector", {}).items()},
                },
                environment={k: {n: str(v) for n, v in env.items()} for k, env in data.get("environment", {}).items()},
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: {exc} (see docs/your-own-stack.md for the file's form)") from exc

    def with_names(self, names: Mapping[str, str]) -> ComposeMapping:
        """This mapping with the Compose service names given by ``-D`` options."""
        return ComposeMapping(
            services={**self.services, **names},
            ports=self.ports,
            dependency_variables=self.dependency_variables,
            collector_variables=self.collector_variables,
            environment=self.environment,
        )


def container_port(config: Mapping[str, Any], compose_service: str, mapping: ComposeMapping, name: str) -> int:
    """The port ``name`` listens on in its container: the mapping's, else the first one the file publishes."""
    if name in mapping.ports:
        return mapping.ports[name]
    published = config.get("services", {}).get(compose_service, {}).get("ports") or []
    for entry in published:
        target = entry.get("target") if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1].split("/")[0]
        if target:
            return int(target)
    raise ComposeUnavailable(
        f"{compose_service} publishes no port: say which port {name} listens on in the mapping file"
        f" ([services.{name}] port = ...)"
    )


def override_document(
    mapping: ComposeMapping,
    ports: Mapping[str, int],
    host_ports: Mapping[str, int],
    proxy_image: str,
    agent_image: str,
) -> dict[str, Any]:
    """The override file's content. ``ports``: each service's port in its container; ``host_ports``:
    where the agent (``datadog``, ``otlp``) and each proxy's control API are published on 127.0.0.1."""
    agent_url = {
        "otlp": f"http://{AGENT}:{TEST_AGENT.otlp_http_port}",
        "datadog": f"http://{AGENT}:{TEST_AGENT.datadog_port}",
    }
    collector = {variable: agent_url[kind] for kind, names in mapping.collector_variables.items() for variable in names}
    services: dict[str, Any] = {
        AGENT: {
            "image": agent_image,
            "command": [EXECUTABLE, *agent_arguments(StackPorts(), host="0.0.0.0")],
            "environment": agent_environment(),
            "ports": [
                f"{LOOPBACK}:{host_ports['datadog']}:{TEST_AGENT.datadog_port}",
                f"{LOOPBACK}:{host_ports['otlp']}:{TEST_AGENT.otlp_http_port}",
            ],
        }
    }
    for dependency in PROXIED:
        target = f"{mapping.services[dependency.name]}:{ports[dependency.name]}"
        services[proxy_name(dependency.name)] = {
            "image": proxy_image,
            "command": [
                "python",
                "-m",
                "hello_dd.harness.faults.server",
                "--listen",
                f"0.0.0.0:{PROXY_LISTEN_PORT}",
                "--target",
                target,
                "--control",
                f"0.0.0.0:{PROXY_CONTROL_PORT}",
                "--allow-private-target",
                "--name",
                f"gateway -> {dependency.name}",
            ],  # fmt: skip  # each option beside its value
            "ports": [f"{LOOPBACK}:{host_ports[dependency.name]}:{PROXY_CONTROL_PORT}"],
        }
    for each in SERVICES:
        environment = {**collector, **mapping.environment.get(each.name, {})}
        if each is GATEWAY:
            for dependency in PROXIED:
                variable = mapping.dependency_variables[dependency.name]
                environment[variable] = f"http://{proxy_name(dependency.name)}:{PROXY_LISTEN_PORT}"
        services[mapping.services[each.name]] = {"environment": environment}
    return {"services": services}


class Compose:
    """``docker-compose`` (v1) or ``docker compose`` (v2) on one project and its files."""

    def __init__(self, files: list[Path], project: str):
        if shutil.which("docker-compose"):
            self.command = ["docker-compose"]
        elif subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
            self.command = ["docker", "compose"]
        else:
            raise ComposeUnavailable(
                "stack=compose needs Docker Compose: neither docker-compose (v1) nor docker compose (v2) is installed"
            )
        self.files = files
        self.project = project

    def __call__(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        files = [arg for path in self.files for arg in ("-f", str(path))]
        command = [*self.command, *files, "-p", self.project, *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise ComposeUnavailable(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout


class ComposeStack(ProxiedFaults[RemoteFaultProxy]):
    name = "compose"
    reads_logs = True
    cuts_network = True

    def __init__(
        self,
        reports_dir: Path,
        compose_file: Path,
        project: str,
        mapping: ComposeMapping,
        *,
        attach: bool = False,
        tracer: str = "otel",
        build_image: bool = True,
    ):
        if not compose_file.is_file():
            raise ValueError(f"-D compose_file={compose_file}: no such file")
        self.reports_dir = Path(reports_dir)
        self.compose_file = compose_file.resolve()
        self.project = project
        self.mapping = mapping
        self.attach = attach
        self.controls_stack = not attach
        self.tracer = tracer
        self.build_image = build_image
        self.proxies: dict[str, RemoteFaultProxy] = {}
        self._stopped: list[str] = []
        self._urls: StackUrls | None = None
        self._compose: Compose | None = None
        self._agent_urls: tuple[str | None, str | None] = (None, None)

    # -- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        self._check_engine()
        files = [self.compose_file]
        if not self.attach:
            files.append(self._write_override())
        compose = self._compose = Compose(files, self.project)
        if not self.attach:
            _say(f"starting project {self.project} from {self.compose_file} (docker-compose up -d --build)")
            compose("up", "-d", "--build", timeout=900)
        self._urls = self._find_urls()
        for each in SERVICES:
            self._wait_until_healthy(each.name)
        for proxy in self.proxies.values():
            proxy.wait_until_ready(60)
        _say("every service is healthy")

    def stop(self) -> None:
        """Save each service's log under reports/logs/, then ``down -v`` (unless attached)."""
        if self._compose is None:
            return
        logs = self.reports_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for each in SERVICES:
            with contextlib.suppress(Exception):
                (logs / f"{each.name}.log").write_text(self._log_text(each.name), encoding="utf-8")
        if not self.attach:
            with contextlib.suppress(Exception):
                self._compose("down", "-v", "--remove-orphans", timeout=300)
        self._compose = None
        self.proxies.clear()

    def _write_override(self) -> Path:
        config = yaml.safe_load(Compose([self.compose_file], self.project)("config"))
        missing = [name for name in self.mapping.services.values() if name not in config.get("services", {})]
        if missing:
            raise ComposeUnavailable(
                f"{self.compose_file} has no service {', '.join(missing)}: name yours with -D compose_gateway=,"
                " compose_inventory=, compose_pricing= or a mapping file (-D compose_mapping=...)"
            )
        ports = {s.name: container_port(config, self.mapping.services[s.name], self.mapping, s.name) for s in SERVICES}
        host = dict(zip(["datadog", "otlp", *(s.name for s in PROXIED)], free_ports(2 + len(PROXIED)), strict=True))
        if self.build_image:
            _build_suite_image()
        document = override_document(
            self.mapping, ports, host, IMAGE, f"{AGENT_IMAGE_REPOSITORY}:v{_test_agent_version()}"
        )
        path = self.reports_dir / "compose-override.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Generated by hello-dd spec (-D stack=compose) for this run; the project's own file is unchanged.\n"
            + yaml.safe_dump(document, sort_keys=False),
            encoding="utf-8",
        )
        for dependency in PROXIED:
            self.proxies[dependency.name] = RemoteFaultProxy(
                f"http://{LOOPBACK}:{host[dependency.name]}", name=f"gateway -> {dependency.name}"
            )
        self._agent_urls = (f"http://{LOOPBACK}:{host['datadog']}", f"http://{LOOPBACK}:{host['otlp']}")
        _say(f"wrote {path}")
        return path

    def _find_urls(self) -> StackUrls:
        config = yaml.safe_load(self._run()("config"))
        urls = {}
        for each in SERVICES:
            compose_service = self.mapping.services[each.name]
            port = container_port(config, compose_service, self.mapping, each.name)
            published = self._run()("port", compose_service, str(port)).strip()
            if not published:
                raise ComposeUnavailable(
                    f"{compose_service} does not publish its port {port}: the suite cannot reach it"
                )
            host, _, host_port = published.rpartition(":")
            urls[each.prefix] = f"http://{LOOPBACK if host in ('0.0.0.0', '', '::') else host}:{host_port}"
        return StackUrls(**urls, trace_agent=self._agent_urls[0], otlp=self._agent_urls[1])

    def _run(self) -> Compose:
        if self._compose is None:
            raise RuntimeError("the Compose project has not been started")
        return self._compose

    def _wait_until_healthy(self, name: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        url = self.urls.service(name) + "/health"
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            try:
                answer = requests.get(url, timeout=3)
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text[:200]}"
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.5)
        tail = "\n".join("    " + line for line in self._log_text(name).splitlines()[-20:])
        raise ComposeUnavailable(f"{name} was not healthy after {timeout:g} s ({last}); its last log lines:\n{tail}")

    # -- what the suite reads ----------------------------------------------------------------------

    @property
    def urls(self) -> StackUrls:
        if self._urls is None:
            raise RuntimeError("the Compose project has not been started")
        return self._urls

    @property
    def reads_traces(self) -> bool:
        return not self.attach

    def describe(self) -> str:
        how = "attached" if self.attach else "started by the suite, with fault proxies and the test agent"
        return f"Compose project {self.project} ({self.compose_file}, {how}), gateway {self.urls.gateway}"

    def logs(self, name: str) -> list[LogLine]:
        return parse_lines(name, self._log_text(name))

    def _log_text(self, name: str) -> str:
        container = self._container(name)
        return str(container.logs().decode("utf-8", errors="replace")) if container is not None else ""

    # -- control -----------------------------------------------------------------------------------

    def stop_service(self, name: str) -> None:
        """``docker-compose stop``: SIGTERM, then SIGKILL after 5 s."""
        self._control(name)
        self._note_interrupted(name)
        self._run()("stop", "-t", "5", self.mapping.services[service(name).name])

    def kill_service(self, name: str) -> None:
        """``docker-compose kill``: SIGKILL, no shutdown code runs."""
        self._control(name)
        self._note_interrupted(name)
        self._run()("kill", self.mapping.services[service(name).name])

    def start_service(self, name: str) -> None:
        """``docker-compose start``, then wait until the service is healthy again."""
        self._control(name)
        self._run()("start", self.mapping.services[service(name).name])
        self._wait_until_healthy(service(name).name)
        self._note_back(name)

    def disconnect_service(self, name: str) -> None:
        """``docker network disconnect`` from every network of the project: the process keeps running."""
        self._control(name)
        self._note_interrupted(name)
        container = self._require_container(name)
        for network in list(container.attrs["NetworkSettings"]["Networks"]):
            _docker().networks.get(network).disconnect(container.id)

    def connect_service(self, name: str) -> None:
        """``docker network connect`` to the project's default network, under the service's name."""
        container = self._require_container(name)
        network = _docker().networks.get(f"{self.project}_default")
        network.connect(container.id, aliases=[self.mapping.services[service(name).name]])
        self._note_back(name)

    def _control(self, name: str) -> None:
        if self.attach:
            raise StackControlUnavailable(
                f"stack=compose with compose_attach=true leaves project {self.project} as it runs: it cannot {name}"
            )

    def _container(self, name: str) -> Any:
        ids = self._run()("ps", "-q", self.mapping.services[service(name).name]).split()
        if not ids:
            return None
        try:
            container = _docker().containers.get(ids[0])
        except Exception:
            return None
        container.reload()
        return container

    def _require_container(self, name: str) -> Any:
        container = self._container(name)
        if container is None:
            raise StackControlUnavailable(f"no container of {name} in project {self.project}")
        return container

    def _is_running(self, name: str) -> bool:
        container = self._container(name)
        return container is not None and container.status == "running"

    def _is_connected(self, name: str) -> bool:
        container = self._container(name)
        return container is None or bool(container.attrs["NetworkSettings"]["Networks"])

    # -- the engine and the suite's image ----------------------------------------------------------

    @staticmethod
    def _check_engine() -> None:
        from docker.errors import DockerException

        try:
            _docker().ping()
        except DockerException as exc:
            raise ComposeUnavailable(
                f"stack=compose needs a running Docker engine, and none answers ({exc}); start dockerd"
            ) from exc


def _docker() -> Any:
    import docker

    return docker.from_env(timeout=30)


def _build_suite_image() -> None:
    """The suite's image (its fault proxy), from this repository; layers are cached."""
    _say(f"building the suite's image {IMAGE} (its fault proxy) from {REPO_ROOT}")
    done = subprocess.run(
        ["docker", "build", "--quiet", "--tag", IMAGE, str(REPO_ROOT)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ComposeUnavailable(f"docker build of {IMAGE} failed:\n{done.stderr[-3000:]}")
