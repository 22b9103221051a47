"""What one scenario works with: the clients of the stack under test and what earlier steps left."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from hello_dd.harness.clients import Gateway, Inventory, Pricing
from hello_dd.harness.evidence import Evidence
from hello_dd.harness.exchange import Exchange
from hello_dd.harness.http import HttpClient
from hello_dd.harness.logs import LogLine
from hello_dd.harness.providers.base import SERVICE_NAMES, StackControlUnavailable, StackProvider
from hello_dd.harness.traces.reader import TraceReader, trace_format_for
from hello_dd.harness.traces.scenario import ScenarioTraces


class World:
    def __init__(self, provider: StackProvider, userdata: Mapping[str, str], evidence: Evidence):
        self.provider = provider
        self.userdata = userdata
        self.evidence = evidence
        self._http: list[HttpClient] = []
        urls = provider.urls
        self.gateway = Gateway(self._client(urls.gateway))
        # Facts earlier steps established, by name (stock before an order, ids sent, ...).
        self.remembered: dict[str, Any] = {}

    def _client(self, base_url: str) -> HttpClient:
        client = HttpClient(base_url, recorder=self.evidence.record)
        self._http.append(client)
        return client

    @cached_property
    def inventory(self) -> Inventory:
        return Inventory(self._client(self.provider.urls.service("inventory-service")))

    @cached_property
    def pricing(self) -> Pricing:
        return Pricing(self._client(self.provider.urls.service("pricing-service")))

    @cached_property
    def traces(self) -> ScenarioTraces:
        """The traces this scenario's requests left in the trace agent (see harness.traces)."""
        urls = self.provider.urls
        if not urls.trace_agent:
            raise StackControlUnavailable("no trace agent is known: pass -D trace_agent_url=... (and -D otlp_url=...)")
        tracer = getattr(self.provider, "tracer", "otel")
        return ScenarioTraces(TraceReader(urls.trace_agent, urls.otlp, trace_format_for(tracer)))

    def service_client(self, name: str) -> HttpClient:
        return self._client(self.provider.urls.service(name))

    @property
    def last(self) -> Exchange:
        """The last exchange with any service."""
        return self.evidence.last

    @property
    def answer(self) -> Exchange:
        """The gateway's last answer: what the shopper, buyer or analyst saw."""
        if self.gateway.http.last is None:
            raise AssertionError("the gateway has not been asked anything in this scenario yet")
        return self.gateway.http.last

    def log_lines(self, services: tuple[str, ...] = SERVICE_NAMES) -> dict[str, list[LogLine]]:
        return {name: self.provider.logs(name) for name in services}

    def close(self) -> None:
        for client in self._http:
            client.close()
