"""The user's own hello-dd as a Docker Compose project (``behave -D stack=compose``), in any language.

The suite never edits the user's files. It writes an override file of its own under the reports
directory (:func:`override_document`) and runs ``docker-compose -f USER.yml -f OVERRIDE -p PROJECT``
(Compose v1 or v2, whichever ``scripts/compose.sh`` picks). The override adds

- a fault-injecting proxy (the suite's tools image) in front of each of the gateway's dependencies, and
  points the caller's URL variable (``INVENTORY_URL``...) at it, its target being the URL the variable
  held;
- Datadog's APM test agent, and points each service's exporter variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
  ``DD_TRACE_AGENT_URL``) at it;
- the extra environment the mapping file gives a service, if any.

The services are found by their Compose service names and reached at the ports Compose published
(``docker-compose port``). Stop, start and kill act on the service's Compose container as Compose's own
commands do; a service is cut off the network with ``docker network disconnect``; its log lines are its
container's (saved with ``docker-compose logs`` at the end). The names, variables and
ports are a :class:`ComposeMapping`: hello-dd's by default, changed with ``-D`` options or a TOML
mapping file (``-D compose_mapping=FILE``; docs/your-own-stack.md).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from hello_dd.harness.logs import LogLine, parse_lines
from hello_dd.harness.providers.base import StackControlUnavailable, StackUrls
from hello_dd.harness.providers.proxied import ProxiedFaults
from hello_dd.harness.providers.roles import LogReading, NetworkControl
from hello_dd.harness.providers.tools import (
    PROXY_CONTROL_PORT,
    PROXY_LISTEN_PORT,
    REPO_ROOT,
    TOOLS_DOCKERFILE,
    TOOLS_IMAGE,
    ContainersUnavailable,
    build_image,
    check_engine,
    fault_proxy_command,
    proxy_route,
    say,
    test_agent_image,
)
from hello_dd.polling import poll
from hello_dd.stack import StackPorts, http_ok
from hello_dd.stack.trace_agent import EXECUTABLE, agent_arguments, agent_environment
from hello_dd.topology import SERVICES, TEST_AGENT, Service, service

if TYPE_CHECKING:
    from hello_dd.harness.faults.remote import RemoteFaultProxy

DEFAULT_PROJECT = "hello-dd-spec"
COMPOSE_SCRIPT = REPO_ROOT / "scripts" / "compose.sh"
#: The names of what the override adds; a user's service of the same name would be changed, so unusual ones.
AGENT_SERVICE = "spec-test-agent"
READY_TIMEOUT_SECONDS = 180.0
#: What a collector variable can be set to (the mapping's ``[collector]`` table): the test agent's
#: OTLP/HTTP base URL, its OTLP traces URL, its Datadog intake URL, or its host name alone.
COLLECTOR_VALUES = {
    "otlp": f"http://{AGENT_SERVICE}:{TEST_AGENT.otlp_http_port}",
    "otlp-traces": f"http://{AGENT_SERVICE}:{TEST_AGENT.otlp_http_port}/v1/traces",
    "datadog": f"http://{AGENT_SERVICE}:{TEST_AGENT.datadog_port}",
    "host": AGENT_SERVICE,
}
DEFAULT_COLLECTOR = {"OTEL_EXPORTER_OTLP_ENDPOINT": "otlp", "DD_TRACE_AGENT_URL": "datadog"}


class MappingError(ValueError):
    """The mapping (file or ``-D`` options) is not one the suite can use; the message says why."""


def proxy_service(target: Service) -> str:
    """The override's name for the proxy in front of ``target``."""
    return f"spec-{target.prefix}-proxy"


@dataclass(frozen=True)
class Role:
    """One service of the topology as the user's project has it."""

    service: Service
    #: Its Compose service name.
    compose_name: str
    #: The port it listens on in its container, when it publishes several (None: the one it publishes).
    port: int | None = None
    #: Its environment variables that hold a dependency's URL -> that dependency.
    urls: Mapping[str, Service] = field(default_factory=dict)
    #: Extra environment the override gives it (optional; say, a shorter circuit cool-down for the run).
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ComposeMapping:
    """Which Compose service is which, and which variables hold which URL."""

    roles: Mapping[str, Role]
    #: Variables every service gets, pointed at the test agent -> one of COLLECTOR_VALUES' keys.
    collector: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COLLECTOR))

    def role(self, name: str) -> Role:
        return self.roles[service(name).name]

    def by_compose_name(self, compose_name: str) -> Role | None:
        return next((r for r in self.roles.values() if r.compose_name == compose_name), None)


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be a table, not {value!r}")
    return value


def _strings(value: object, where: str) -> dict[str, str]:
    table = _table(value, where)
    for key, item in table.items():
        if not isinstance(item, str | int | float | bool):
            raise MappingError(f"{where}.{key} must be a string, not {item!r}")
    return {key: str(item).lower() if isinstance(item, bool) else str(item) for key, item in table.items()}


def _known_service(name: str, where: str) -> Service:
    try:
        return service(name)
    except ValueError as exc:
        raise MappingError(f"{where}: {exc}") from None


def load_mapping(document: Mapping[str, Any] | None = None, options: Mapping[str, str] | None = None) -> ComposeMapping:
    """The mapping from a parsed mapping file (``document``) and ``-D`` options, which win:
    ``compose_PREFIX_service`` names a service (``compose_inventory_service=stock``), and
    ``compose_PREFIX_variable`` the caller's variable that holds its URL (``compose_inventory_variable=STOCK_URL``).
    Anything left unsaid is hello-dd's own name."""
    document = document or {}
    options = options or {}
    unknown = set(document) - {"services", "collector"}
    if unknown:
        raise MappingError(f"unknown tables {sorted(unknown)} in the mapping: it has [services.NAME] and [collector]")
    tables = _table(document.get("services", {}), "services")
    roles = {}
    for each in SERVICES:
        table = _table(tables.get(each.name, {}), f"services.{each.name}")
        where = f"services.{each.name}"
        unknown = set(table) - {"compose_service", "port", "urls", "environment"}
        if unknown:
            raise MappingError(f"unknown keys {sorted(unknown)} in [{where}]: compose_service, port, urls, environment")
        urls = {
            var: _known_service(name, f"{where}.urls.{var}")
            for var, name in _strings(table.get("urls", {}), f"{where}.urls").items()
        }
        if not urls and "urls" not in table:
            urls = {callee.url_variable: callee for callee in each.calls}
        for callee in each.calls:
            if variable := options.get(f"compose_{callee.prefix}_variable"):
                urls = {var: s for var, s in urls.items() if s != callee} | {variable: callee}
        port = table.get("port")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise MappingError(f"{where}.port must be a port number, not {port!r}")
        compose_name = options.get(f"compose_{each.prefix}_service") or table.get("compose_service", each.name)
        if not isinstance(compose_name, str) or not compose_name:
            raise MappingError(f"{where}.compose_service must be a Compose service name, not {compose_name!r}")
        environment = _strings(table.get("environment", {}), f"{where}.environment")
        roles[each.name] = Role(each, compose_name, port, urls, environment)
    names = [r.compose_name for r in roles.values()]
    if len(set(names)) != len(names):
        raise MappingError(f"two services of the topology have the same Compose service: {names}")
    collector = _strings(document.get("collector", DEFAULT_COLLECTOR), "collector")
    for variable, value in collector.items():
        if value not in COLLECTOR_VALUES:
            raise MappingError(f"collector.{variable} is {value!r}; it takes one of {', '.join(COLLECTOR_VALUES)}")
    return ComposeMapping(roles, collector)


def read_mapping_file(path: Path, options: Mapping[str, str] | None = None) -> ComposeMapping:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"the mapping file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"the mapping file {path} is not TOML: {exc}") from None
    return load_mapping(document, options)


def _environment(config: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment from ``docker-compose config``: a mapping, or a list of KEY=VALUE."""
    environment = config.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def _networks(config: Mapping[str, Any]) -> list[str]:
    return list(config.get("networks") or ["default"])


def container_ports(config: Mapping[str, Any]) -> list[int]:
    """The container ports a service publishes, in ``docker-compose config``'s short or long syntax."""
    ports = []
    for entry in config.get("ports") or []:
        if isinstance(entry, dict):
            ports.append(int(entry["target"]))
        else:
            ports.append(int(str(entry).split("/")[0].rsplit(":", 1)[-1].split("-")[0]))
    return ports


def proxy_target(role: Role, callee: Role, variable: str, services: Mapping[str, Any]) -> tuple[str, str]:
    """(``host:port`` the proxy forwards to, the URL the caller is given instead): the target is the URL the
    caller's variable holds, else the callee's Compose name and port."""
    original = _environment(services.get(role.compose_name, {})).get(variable, "")
    parts = urlsplit(original)
    if parts.hostname and parts.port:
        target = f"{parts.hostname}:{parts.port}"
    else:
        ports = container_ports(services.get(callee.compose_name, {}))
        port = callee.port or (ports[0] if len(ports) == 1 else callee.service.port)
        target = f"{callee.compose_name}:{port}"
        parts = urlsplit(f"http://{target}")
    proxied = urlunsplit((parts.scheme or "http", f"{proxy_service(callee.service)}:{PROXY_LISTEN_PORT}", *parts[2:]))
    return target, proxied


def override_document(
    mapping: ComposeMapping,
    config: Mapping[str, Any],
    *,
    tools_image: str,
    agent_image: str,
    version: str | None = None,
) -> dict[str, Any]:
    """The override Compose file (as a dict; the suite writes it as JSON, which is YAML) for the project
    whose ``docker-compose config`` is ``config``; ``version`` is the user's file's own, if it has one
    (Compose v1 refuses files of different versions)."""
    services = config.get("services") or {}
    missing = [r.compose_name for r in mapping.roles.values() if r.compose_name not in services]
    if missing:
        raise MappingError(
            f"the Compose project has no service {', '.join(missing)} (its services: {', '.join(services)}); "
            "name yours with -D compose_gateway_service=... (and inventory, pricing) or a mapping file"
        )
    added: dict[str, Any] = {}
    changed: dict[str, dict[str, str]] = {}
    for role in mapping.roles.values():
        environment = changed.setdefault(role.compose_name, {})
        environment |= {var: COLLECTOR_VALUES[value] for var, value in mapping.collector.items()}
        for variable, callee_service in role.urls.items():
            callee = mapping.role(callee_service.name)
            target, environment[variable] = proxy_target(role, callee, variable, services)
            networks = sorted(
                set(_networks(services[role.compose_name])) | set(_networks(services[callee.compose_name]))
            )
            added[proxy_service(callee_service)] = {
                "image": tools_image,
                "command": fault_proxy_command(target, proxy_route(callee_service)),
                "ports": [f"127.0.0.1::{PROXY_CONTROL_PORT}"],
                **({"networks": networks} if networks != ["default"] else {}),
            }
        environment |= role.environment
    networks = sorted({net for r in mapping.roles.values() for net in _networks(services[r.compose_name])})
    added[AGENT_SERVICE] = {
        "image": agent_image,
        "command": [EXECUTABLE, *agent_arguments(StackPorts(), host="0.0.0.0")],
        "environment": agent_environment(),
        "ports": [f"127.0.0.1::{TEST_AGENT.datadog_port}", f"127.0.0.1::{TEST_AGENT.otlp_http_port}"],
        **({"networks": networks} if networks != ["default"] else {}),
    }
    document: dict[str, Any] = {}
    if version:
        document["version"] = version
    document["services"] = {name: {"environment": env} for name, env in changed.items()} | added
    return document


def published_url(address: str) -> str:
    """``docker-compose port``'s answer (``0.0.0.0:8000``, ``[::]:8000``) as a URL on this machine."""
    host, _, port = address.strip().rpartition(":")
    if host in ("0.0.0.0", "[::]", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class ComposeProject(ProxiedFaults["RemoteFaultProxy"], NetworkControl, LogReading):
    """A Compose project the suite brings up (``up -d --build``) and takes down (``down -v``) itself, or,
    with ``attach``, one that already runs: the suite wires its proxies and agent in, and at the end puts the
    project back as its own files say (``up -d --remove-orphans``), still running."""

    name = "compose"

    def __init__(
        self,
        reports_dir: Path,
        compose_files: Sequence[Path],
        project: str = DEFAULT_PROJECT,
        mapping: ComposeMapping | None = None,
        *,
        attach: bool = False,
        build: bool = True,
        tracer: str = "otel",
        tools_image: str = TOOLS_IMAGE,
    ):
        self.reports_dir = Path(reports_dir)
        self.compose_files = [Path(f).resolve() for f in compose_files]
        self.project = project
        self.mapping = mapping or load_mapping()
        self.attach = attach
        self.build = build
        self.tracer = tracer
        self.tools_image = tools_image
        self.override = self.reports_dir / "compose" / "docker-compose.spec-override.yml"
        self.proxies: dict[str, RemoteFaultProxy] = {}
        self._stopped: list[str] = []
        self._urls: StackUrls | None = None
        self._wired = False
        self._cut_off: dict[str, list[str]] = {}  # service -> the networks it was disconnected from
        self._container_ids: dict[str, str] = {}

    # -- Compose -----------------------------------------------------------------------------------

    def _compose(self, *arguments: str, with_override: bool = True, timeout: float = 600) -> str:
        files = [*self.compose_files, *([self.override] if with_override else [])]
        command = [str(COMPOSE_SCRIPT), *(a for f in files for a in ("-f", str(f))), "-p", self.project, *arguments]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ContainersUnavailable(f"{shlex.join(command)} did not finish in {timeout:g} s") from exc
        if done.returncode != 0:
            raise ContainersUnavailable(
                f"{shlex.join(command)} failed (exit {done.returncode}):\n{(done.stderr or done.stdout)[-3000:]}"
            )
        return done.stdout

    def _config(self) -> tuple[dict[str, Any], str | None]:
        """``docker-compose config`` of the user's files, and the ``version`` their first one states."""
        import yaml

        config = yaml.safe_load(self._compose("config", with_override=False))
        if not isinstance(config, dict) or not isinstance(config.get("services"), dict):
            raise ContainersUnavailable(f"docker-compose config of {self.compose_files} shows no services")
        first = yaml.safe_load(self.compose_files[0].read_text(encoding="utf-8")) or {}
        return config, str(first["version"]) if "version" in first else None

    def _published(self, compose_name: str, port: int) -> str:
        address = self._compose("port", compose_name, str(port)).strip()
        if not address:
            raise ContainersUnavailable(f"Compose service {compose_name} publishes no port {port} on this machine")
        return published_url(address)

    # -- start and stop ----------------------------------------------------------------------------

    def start(self) -> None:
        check_engine(self.name)
        for path in self.compose_files:
            if not path.is_file():
                raise ContainersUnavailable(f"no Compose file at {path} (-D compose_file=...)")
        config, version = self._config()
        if self.build:
            build_image(self.name, self.tools_image, TOOLS_DOCKERFILE)
        document = override_document(
            self.mapping, config, tools_image=self.tools_image, agent_image=test_agent_image(), version=version
        )
        self.override.parent.mkdir(parents=True, exist_ok=True)
        self.override.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        gateway = self.mapping.role(SERVICES[0].name).compose_name
        if self.attach and not self._compose("ps", "-q", gateway, with_override=False).strip():
            raise ContainersUnavailable(
                f"-D compose_attach=true, but {gateway} of project {self.project} does not run: start it first "
                "(docker-compose -p PROJECT up -d), or leave compose_attach out to let the suite bring it up"
            )
        say(
            self.name,
            f"{'wiring into' if self.attach else 'bringing up'} project {self.project} (override {self.override})",
        )
        self._wired = True
        self._compose("up", "-d", *(["--build"] if self.build and not self.attach else []))
        self._urls = self._find_urls(config)
        self._wait_until_ready()
        say(self.name, "every service is healthy")

    def _find_urls(self, config: Mapping[str, Any]) -> StackUrls:
        from hello_dd.harness.faults.remote import RemoteFaultProxy

        urls: dict[str, str] = {}
        for role in self.mapping.roles.values():
            ports = container_ports(config["services"][role.compose_name])
            port = role.port or (role.service.port if role.service.port in ports or not ports else ports[0])
            urls[role.service.prefix] = self._published(role.compose_name, port)
        for role in self.mapping.roles.values():
            for callee in role.urls.values():
                control = self._published(proxy_service(callee), PROXY_CONTROL_PORT)
                self.proxies[callee.name] = RemoteFaultProxy(control, name=proxy_route(callee))
        return StackUrls(
            **urls,
            trace_agent=self._published(AGENT_SERVICE, TEST_AGENT.datadog_port),
            otlp=self._published(AGENT_SERVICE, TEST_AGENT.otlp_http_port),
        )

    def _wait_until_ready(self) -> None:
        for proxy in self.proxies.values():
            proxy.wait_until_ready(60)
        for role in self.mapping.roles.values():
            self._wait_until_healthy(role.service.name)
        self._wait_for(self.urls.trace_agent + "/info" if self.urls.trace_agent else "", "the test agent")

    def _wait_until_healthy(self, name: str) -> None:
        self._wait_for(self.urls.service(name) + "/health", name)

    def _wait_for(self, url: str, what: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        poll(
            lambda: http_ok(url),
            timeout=timeout,
            interval=0.5,
            fail=lambda _, checks: ContainersUnavailable(
                f"{what} did not answer {url} within {timeout:g} s (docker-compose ps, logs)"
            ),
        )

    def stop(self) -> None:
        """Save each service's log under reports/logs/, then ``down -v`` (or, attached, put the project back)."""
        if not self._wired:
            return
        logs = self.reports_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for role in self.mapping.roles.values():
            with contextlib.suppress(Exception):
                text = self._compose("logs", "--no-color", role.compose_name)
                (logs / f"{role.service.name}.log").write_text(text, encoding="utf-8")
        with contextlib.suppress(Exception):
            if self.attach:
                self._compose("up", "-d", "--remove-orphans", with_override=False)
            else:
                self._compose("down", "-v", "--remove-orphans")
        self._wired = False
        self.proxies.clear()
        self._container_ids.clear()

    # -- what the suite reads ----------------------------------------------------------------------

    @property
    def urls(self) -> StackUrls:
        if self._urls is None:
            raise RuntimeError("the Compose project has not been started")
        return self._urls

    @property
    def trace_settle_seconds(self) -> float:
        # The project's own export delay (0.5 s by default) unless its mapping shortens it.
        return 0.8

    def describe(self) -> str:
        files = ", ".join(str(f) for f in self.compose_files)
        names = ", ".join(f"{r.service.name}={r.compose_name}" for r in self.mapping.roles.values())
        return f"Compose project {self.project} ({files}; {names}), gateway {self.urls.gateway}"

    def logs(self, name: str) -> list[LogLine]:
        """What the service's container wrote, through the Docker API (``docker-compose logs`` adds a
        prefix and an "Attaching to" line, and needs seconds to start: the scenarios read logs often)."""
        text = self._container(name).logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
        return parse_lines(name, text)

    # -- control -----------------------------------------------------------------------------------

    # Stop, kill and start go to the service's container (``docker-compose ps -q``) through the Docker API,
    # which is what Compose's commands do too: ``docker-compose stop`` itself needs seconds to start, longer
    # than a scenario holds a request back to stop the service meanwhile.

    def stop_service(self, name: str) -> None:
        """``docker-compose stop``: SIGTERM, then SIGKILL after 5 s."""
        self._note_interrupted(name)
        self._container(name).stop(timeout=5)

    def kill_service(self, name: str) -> None:
        """``docker-compose kill``: SIGKILL, no shutdown code runs."""
        self._note_interrupted(name)
        self._container(name).kill()

    def start_service(self, name: str) -> None:
        """``docker-compose start``, then wait until ``/health`` answers again."""
        self._container(name).start()
        self._wait_until_healthy(name)
        self._note_back(name)

    def restart_service(self, name: str) -> None:
        """``docker-compose restart``, then wait until ``/health`` answers again."""
        self._compose("restart", "-t", "5", self.mapping.role(name).compose_name)
        self._wait_until_healthy(name)

    def _container(self, name: str) -> Any:
        """The service's container (its state read now); its id is asked of Compose once."""
        import docker

        if name not in self._container_ids:
            ids = self._compose("ps", "-a", "-q", self.mapping.role(name).compose_name).split()
            if not ids:
                raise StackControlUnavailable(f"Compose has no container of {name} in project {self.project}")
            self._container_ids[name] = ids[0]
        return docker.from_env().containers.get(self._container_ids[name])

    def disconnect_service(self, name: str) -> None:
        """``docker network disconnect`` from each network the service is on: its name no longer resolves
        and no packet reaches it, while the process keeps running."""
        import docker

        self._note_interrupted(name)
        container = self._container(name)
        client = docker.from_env()
        self._cut_off[name] = list(container.attrs["NetworkSettings"]["Networks"])
        for network in self._cut_off[name]:
            client.networks.get(network).disconnect(container.id)

    def connect_service(self, name: str) -> None:
        """``docker network connect`` to those networks again, under its Compose service name."""
        import docker

        client = docker.from_env()
        container = self._container(name)
        for network in self._cut_off.pop(name, []):
            client.networks.get(network).connect(container.id, aliases=[self.mapping.role(name).compose_name])
        self._note_back(name)

    def _is_running(self, name: str) -> bool:
        container = self._container(name)
        return bool(container.status == "running")

    def _is_connected(self, name: str) -> bool:
        return name not in self._cut_off
