"""The reference stack as local processes: the APM test agent and the three services on 127.0.0.1.

Used by ``hello-dd up`` (fixed ports) and by the test harness (free ports, one stack per run)::

    with LocalStack(StackPorts.free(), workdir=tmp_path) as stack:
        requests.get(stack.urls["api-gateway"] + "/api/v1/products/123")
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import get_args

from hello_dd.polling import poll
from hello_dd.stack.ports import LOOPBACK, StackPorts, ensure_free
from hello_dd.stack.processes import STOP_TIMEOUT_SECONDS, ManagedProcess, exit_reason
from hello_dd.stack.trace_agent import TEST_AGENT_OTLP_PROTOCOL, agent_arguments, agent_environment, find_test_agent
from hello_dd.topology import (
    GATEWAY,
    INVENTORY,
    PRICING,
    PROXIED,
    SERVICES,
    TEST_AGENT,
    TracerName,
    service,
    start_order,
)

AGENT = TEST_AGENT.name
START_ORDER = tuple(s.name for s in start_order())  # the gateway's dependencies first
#: The SQLite databases a stack keeps in its working directory by default: inventory's, the gateway's.
STATE_FILES = ("inventory.db", "gateway.db")
SQLITE_JOURNALS = ("-wal", "-shm", "-journal")

Tracer = TracerName  # the tracers the services know (hello_dd.topology)
TRACERS: tuple[Tracer, ...] = get_args(Tracer)


# Plain urllib, never through a proxy from the environment: every probe goes to 127.0.0.1.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StackError(RuntimeError):
    """The stack could not be started, or a process of it failed."""


def tracer_named(name: str) -> Tracer:
    """``name`` (from ``-D tracer=...``) as one of the tracers the services know."""
    for tracer in TRACERS:
        if name == tracer:
            return tracer
    raise StackError(f"unknown tracer {name!r}: choose one of {', '.join(TRACERS)}")


class ProcessFailedError(StackError):
    """A process exited, or did not become ready; the message names it and ends with its log."""

    def __init__(self, name: str, problem: str, log_path: Path, log_tail: str):
        tail = "\n".join("    " + line for line in log_tail.splitlines()) or "    (the log is empty)"
        super().__init__(f"{name} {problem}; last lines of {log_path}:\n{tail}")
        self.name = name
        self.log_path = log_path


def http_ok(url: str) -> bool:
    """True when ``url`` answers 200 within a second (never through a proxy from the environment)."""
    try:
        with _http.open(url, timeout=1.0) as response:
            return int(response.status) == 200
    except (OSError, urllib.error.URLError):
        return False


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True
    except OSError:
        return False


def _loopback_without_proxy(env: dict[str, str]) -> None:
    """Make HTTP clients in the children (the OTLP exporter uses requests) never proxy loopback calls."""
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [env.get(key), "127.0.0.1", "localhost"]))


class LocalStack:
    """Starts, watches and stops the stack's processes. Each one runs in its own process group with its
    output appended to ``<workdir>/logs/<name>.log``.

    ``agent_command`` is the command that runs ``ddapm-test-agent`` (the port options are appended);
    by default it is found by :func:`~hello_dd.stack.trace_agent.find_test_agent`. The services are
    configured by the standard variables: ``OTEL_SERVICE_NAME``, and ``OTEL_EXPORTER_OTLP_ENDPOINT``
    (``DD_TRACE_AGENT_URL`` under ddtrace) naming the agent. With ``no_agent=True`` no collector runs:
    the services do not trace unless ``tracer`` says so, and then they send where the caller's
    environment says (the OpenTelemetry default is ``http://localhost:4318``, where a local Datadog
    Agent or OpenTelemetry Collector receives OTLP).

    ``proxies`` maps a dependency (``inventory-service``, ``pricing-service``) to a loopback port the
    gateway reaches it through instead of its own port: where the test harness puts a fault-injecting
    proxy. Without it (``hello-dd up``) the gateway calls the services directly.
    """

    def __init__(
        self,
        ports: StackPorts | None = None,
        workdir: Path = Path(".hello-dd"),
        database_url: str | None = None,
        gateway_database_url: str | None = None,
        redis_url: str | None = None,
        tracer: Tracer | None = None,
        agent_command: Sequence[str] | None = None,
        no_agent: bool = False,
        extra_env: Mapping[str, str] | None = None,
        proxies: Mapping[str, int] | None = None,
    ):
        self.ports = ports or StackPorts()
        self.workdir = Path(workdir).resolve()
        self.no_agent = no_agent
        self.tracer: Tracer = tracer or ("none" if no_agent else "otel")
        # Both default to SQLite files in the working directory, so a stop and a start on the same
        # directory keep the stock, the orders and the report jobs.
        self.database_url = database_url or f"sqlite:///{self.workdir / STATE_FILES[0]}"
        self.gateway_database_url = gateway_database_url or f"sqlite:///{self.workdir / STATE_FILES[1]}"
        self.redis_url = redis_url
        self.extra_env = dict(extra_env or {})
        self.proxies = dict(proxies or {})
        if unknown := set(self.proxies) - {s.name for s in PROXIED}:
            raise ValueError(f"only the gateway's dependencies can be proxied, not {', '.join(sorted(unknown))}")
        self.processes: dict[str, ManagedProcess] = {}
        self._stopped_on_purpose: set[str] = set()
        self._started = False
        if not no_agent:
            command = list(agent_command) if agent_command else find_test_agent()
            self._add(AGENT, command + agent_arguments(self.ports), {**self._base_env(), **agent_environment()})
        for name in START_ORDER:
            self._add(name, self._service_command(name), self._service_env(name))

    # -- configuration ----------------------------------------------------------------------------

    def _add(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.processes[name] = ManagedProcess(name, command, env, self.log_path(name), cwd=self.workdir)

    def service_port(self, name: str) -> int:
        return self.ports.of(service(name))

    def _service_command(self, name: str) -> list[str]:
        port = str(self.service_port(name))
        return [sys.executable, "-m", "hello_dd", "serve", name, "--host", LOOPBACK, "--port", port]

    @staticmethod
    def _base_env() -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        _loopback_without_proxy(env)
        return env

    def _service_env(self, name: str) -> dict[str, str]:
        env = self._base_env()
        env.update(PORT=str(self.service_port(name)), HELLO_DD_TRACER=self.tracer, OTEL_SERVICE_NAME=name)
        if not self.no_agent:
            # Only the stack's own collector counts: a signal-specific endpoint would take precedence.
            env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
            env.update(
                OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{LOOPBACK}:{self.ports.otlp}",
                DD_TRACE_AGENT_URL=f"http://{LOOPBACK}:{self.ports.agent}",
            )
            env.setdefault("OTEL_EXPORTER_OTLP_PROTOCOL", TEST_AGENT_OTLP_PROTOCOL)
        if name == INVENTORY.name:
            env["DATABASE_URL"] = self.database_url
        elif name == PRICING.name:
            env.pop("REDIS_URL", None)  # only the stack's own configuration counts
            if self.redis_url:
                env["REDIS_URL"] = self.redis_url
        elif name == GATEWAY.name:
            env["DATABASE_URL"] = self.gateway_database_url
        for callee in service(name).calls:
            env[callee.url_variable] = self.gateway_route(callee.name)
        env.update(self.extra_env)
        return env

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each service, plus ``test-agent`` (Datadog intake, ``/test/*`` API) and ``otlp``
        (OTLP/HTTP receiver) unless the stack runs without the agent."""
        urls = {s.name: f"http://{LOOPBACK}:{self.ports.of(s)}" for s in SERVICES}
        if not self.no_agent:
            urls[AGENT] = f"http://{LOOPBACK}:{self.ports.agent}"
            urls["otlp"] = f"http://{LOOPBACK}:{self.ports.otlp}"
        return urls

    @property
    def trace_destination(self) -> str | None:
        """Where the services send their traces, as their variables say (None: they do not trace)."""
        env = self.processes[GATEWAY.name].env
        if self.tracer == "ddtrace":
            return env.get("DD_TRACE_AGENT_URL") or f"http://localhost:{TEST_AGENT.datadog_port}"
        if self.tracer == "otel":
            return (
                env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or f"http://localhost:{TEST_AGENT.otlp_http_port}"
            )
        return None

    def gateway_route(self, name: str) -> str:
        """The URL the gateway calls ``name`` at: its proxy's when it has one, else its own."""
        if name in self.proxies:
            return f"http://{LOOPBACK}:{self.proxies[name]}"
        return self.urls[name]

    @property
    def keeps_state_in_workdir(self) -> bool:
        """True when both databases are the SQLite files in the working directory (no URL was given)."""
        return all(
            url == f"sqlite:///{self.workdir / name}"
            for url, name in zip((self.database_url, self.gateway_database_url), STATE_FILES, strict=True)
        )

    def clear_state(self) -> list[Path]:
        """Remove the SQLite databases in the working directory, with their journals, so the next start
        holds the seed data only; returns the files removed. Logs are kept. Only for a stack that keeps
        its state there (see keeps_state_in_workdir): another database is not this stack's to empty."""
        if not self.keeps_state_in_workdir:
            raise StackError("only the SQLite files in the state directory can be cleared, not a database given by URL")
        if self._started:
            raise StackError("the state of a running stack cannot be cleared")
        removed = []
        for name in STATE_FILES:
            for path in (self.workdir / name, *(self.workdir / f"{name}{suffix}" for suffix in SQLITE_JOURNALS)):
                if path.is_file():
                    path.unlink()
                    removed.append(path)
        return removed

    def log_path(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    @property
    def pids(self) -> dict[str, int]:
        """Process ids of the processes running now."""
        return {name: proc.pid for name, proc in self.processes.items() if proc.running and proc.pid}

    def exited(self) -> dict[str, int]:
        """Processes that ended although nobody stopped them, with their exit codes."""
        return {
            name: code
            for name, proc in self.processes.items()
            if name not in self._stopped_on_purpose and (code := proc.exit_code) is not None
        }

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Start the agent, wait until it answers, start the services and wait until every ``/health``
        answers 200. On failure everything started so far is stopped and :class:`StackError` (or
        :class:`~hello_dd.stack.ports.PortInUseError`) is raised."""
        if self._started:
            raise StackError("this stack has already been started")
        self.check_ports()
        self._started = True
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        try:
            if not self.no_agent:
                self._launch(AGENT)
                self._wait_ready([AGENT], deadline, timeout)
            for name in START_ORDER:
                self._launch(name)
            self._wait_ready(list(START_ORDER), deadline, timeout)
        except BaseException:
            self.stop()
            raise

    def check_ports(self) -> None:
        """Raise :class:`~hello_dd.stack.ports.PortInUseError` naming the first port that is taken."""
        roles = self.ports.as_dict()
        if self.no_agent:
            roles = {s.prefix: self.ports.of(s) for s in SERVICES}
        ensure_free(roles)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop everything: SIGTERM to every service's process group, SIGKILL to what is left after
        ``timeout`` seconds, then the same for the agent (last, so it receives the final spans).
        Idempotent."""
        services = [self.processes[name] for name in reversed(START_ORDER)]
        self._stopped_on_purpose.update(self.processes)
        self._stop_all(services, timeout)
        if agent := self.processes.get(AGENT):
            agent.stop(timeout)
        atexit.unregister(self.stop)

    def stop_service(self, name: str, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop one process (a service or the agent); the rest keep running."""
        self._stopped_on_purpose.add(name)
        self._process(name).stop(timeout)

    def kill_service(self, name: str) -> None:
        """SIGKILL to one process's group, as a crash would end it: no shutdown code runs."""
        self._stopped_on_purpose.add(name)
        proc = self._process(name)
        proc.signal(signal.SIGKILL)
        proc.finish_stop()

    def start_service(self, name: str, timeout: float = 30.0) -> None:
        """Start a stopped process again on the same port and wait until it is ready."""
        if self._process(name).running:
            raise StackError(f"{name} is already running")
        self._launch(name)
        self._stopped_on_purpose.discard(name)
        self._wait_ready([name], time.monotonic() + timeout, timeout)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------------

    def _process(self, name: str) -> ManagedProcess:
        try:
            return self.processes[name]
        except KeyError:
            raise StackError(f"no process named {name!r}; this stack has {', '.join(self.processes)}") from None

    def _launch(self, name: str) -> None:
        proc = self._process(name)
        try:
            proc.start()
        except OSError as exc:
            raise StackError(f"could not run {name} ({proc.command[0]}): {exc.strerror or exc}") from exc

    @staticmethod
    def _stop_all(processes: list[ManagedProcess], timeout: float) -> None:
        for proc in processes:
            proc.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in processes:
            proc.finish_stop(max(0.0, deadline - time.monotonic()))

    def _ready(self, name: str) -> bool:
        if name == AGENT:
            return http_ok(self.urls[AGENT] + "/info") and _accepts_connections(self.ports.otlp)
        return http_ok(self.urls[name] + "/health")

    def _wait_ready(self, names: list[str], deadline: float, timeout: float) -> None:
        pending = list(names)

        def still_pending() -> list[str]:
            for name in list(pending):
                proc = self.processes[name]
                if proc.exit_code is not None:
                    problem = f"stopped while starting ({exit_reason(proc.exit_code)})"
                    raise ProcessFailedError(name, problem, proc.log_path, proc.log_tail())
                if self._ready(name):
                    pending.remove(name)
            return pending

        def too_late(left: list[str], checks: int) -> ProcessFailedError:
            proc = self.processes[left[0]]
            what = "answer on /info" if proc.name == AGENT else "answer 200 on /health"
            return ProcessFailedError(proc.name, f"did not {what} within {timeout:g} s", proc.log_path, proc.log_tail())

        left = max(0.0, deadline - time.monotonic())
        poll(still_pending, lambda names: not names, timeout=left, interval=0.1, fail=too_late)
