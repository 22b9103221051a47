"""The embedded stack: the trace agent and the three services as local processes on free loopback
ports, started once per run with a fresh database, stopped at the end (also on failure or Ctrl-C)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import fields
from pathlib import Path

from hello_dd.harness.faults import FaultProxy
from hello_dd.harness.logs import LogLine, parse_lines
from hello_dd.harness.providers.base import SPEC_STACK_SETTINGS, StackUrls
from hello_dd.harness.providers.proxied import ProxiedFaults
from hello_dd.harness.providers.roles import LogReading
from hello_dd.stack import LocalStack, StackPorts, free_ports, tracer_named
from hello_dd.topology import PROXIED, SERVICES, TEST_AGENT, service


class LocalProcesses(ProxiedFaults[FaultProxy], LogReading):
    name = "local"

    #: The reference stack from this repository, in one of the configurations its span budgets hold in
    #: (SQLite, pricing's cache in process or, with -D redis_url, in Redis).
    runs_budgeted_configuration = True

    def __init__(self, reports_dir: Path, tracer: str = "otel", redis_url: str | None = None):
        self.reports_dir = Path(reports_dir)
        self.tracer = tracer
        # pricing-service's cache: in process, or the Redis this URL names (-D redis_url=...).
        self.redis_url = redis_url or None
        self._data_dir: Path | None = None
        self._stack: LocalStack | None = None
        self.proxies: dict[str, FaultProxy] = {}
        self._stopped: list[str] = []

    @property
    def stack(self) -> LocalStack:
        if self._stack is None:
            raise RuntimeError("the local stack has not been started")
        return self._stack

    def start(self) -> None:
        logs = self.reports_dir / "logs"
        if logs.exists():
            shutil.rmtree(logs)  # the logs of this run only
        self._data_dir = Path(tempfile.mkdtemp(prefix="hello-dd-spec-"))
        count = len(fields(StackPorts))
        ports = free_ports(count + len(PROXIED))  # all distinct: the stack's and one per proxy
        stack_ports = StackPorts(*ports[:count])
        for proxied, port in zip(PROXIED, ports[count:], strict=True):
            name = proxied.name
            self.proxies[name] = FaultProxy(
                stack_ports.of(proxied), listen_port=port, name=f"gateway -> {name}"
            ).start()
        self._stack = LocalStack(
            stack_ports,
            workdir=self.reports_dir,
            database_url=f"sqlite:///{self._data_dir / 'inventory.db'}",
            gateway_database_url=f"sqlite:///{self._data_dir / 'gateway.db'}",
            redis_url=self.redis_url,
            tracer=tracer_named(self.tracer),
            proxies={name: proxy.port for name, proxy in self.proxies.items()},
            extra_env=SPEC_STACK_SETTINGS,
        )
        self._stack.start()

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.stop()
        for proxy in self.proxies.values():
            proxy.stop()
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    @property
    def urls(self) -> StackUrls:
        urls = self.stack.urls
        return StackUrls(
            **{s.prefix: urls[s.name] for s in SERVICES},
            trace_agent=urls.get(TEST_AGENT.name),
            otlp=urls.get("otlp"),
        )

    def describe(self) -> str:
        cache = ", pricing's cache in Redis" if self.redis_url else ""
        return f"local processes (tracer {self.tracer}{cache}), gateway {self.urls.gateway}, logs in {self.reports_dir / 'logs'}"

    def stop_service(self, name: str) -> None:
        self._note_interrupted(name)
        self.stack.stop_service(name)

    def kill_service(self, name: str) -> None:
        self._note_interrupted(name)
        self.stack.kill_service(name)

    def start_service(self, name: str) -> None:
        self.stack.start_service(name)
        self._note_back(name)

    def _is_running(self, name: str) -> bool:
        return self.stack.pids.get(name) is not None

    def logs(self, name: str) -> list[LogLine]:
        path = self.stack.log_path(service(name).name)
        return parse_lines(name, path.read_text(encoding="utf-8", errors="replace") if path.exists() else "")
