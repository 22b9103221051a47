"""What one scenario works with: the clients of the stack under test, the policy it runs with, and the
facts earlier steps established, each a typed attribute (None or empty until a step sets it)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from hello_dd.harness.chaos import Chaos
from hello_dd.harness.checkout_crash import CrashOutcome
from hello_dd.harness.clients import Gateway, Inventory, Pricing, StockLevels
from hello_dd.harness.exchange import Exchange
from hello_dd.harness.hooks import READ_STOCK, HookProbe
from hello_dd.harness.http import HttpClient
from hello_dd.harness.load.profile import LoadProfile
from hello_dd.harness.load.runner import LoadResult
from hello_dd.harness.logs import LogLine
from hello_dd.harness.metrics import MetricsSnapshot
from hello_dd.harness.policy import Policy
from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider, log_reading
from hello_dd.harness.raw_http import RawAnswer
from hello_dd.harness.reporting.evidence import Evidence
from hello_dd.harness.traces.reader import RequestTraces, TraceReader, trace_format_for
from hello_dd.harness.traces.scenario import CallerContext, ScenarioTraces
from hello_dd.topology import INVENTORY, NAMES, PRICING, TEST_AGENT


class World:
    def __init__(
        self,
        provider: StackProvider,
        userdata: Mapping[str, str],
        evidence: Evidence,
        policy: Policy,
        hooks: HookProbe | None = None,
    ):
        self.provider = provider
        self.hooks = hooks or HookProbe(provider)  # the test hooks the stack has
        self.userdata = userdata
        self.evidence = evidence
        self.policy = policy
        self._http: list[HttpClient] = []
        self.gateway = Gateway(self._client(provider.urls.gateway))

        # What the caller sends with its requests.
        self.caller_headers: dict[str, str] = {}  # its own correlation id, request id or trace context
        self.caller_trace: CallerContext | None = None
        self.sent_ids: list[str] = []  # ids the caller sent: a newly made one must differ from them

        # What earlier steps established.
        self.stock_before: dict[str, StockLevels] = {}  # product -> its stock when the scenario set or noted it
        self.available_before: dict[str, int] = {}  # product -> its units in stock, as the product query showed them
        self.order: dict[str, Any] | None = None  # the confirmed order
        self.job_id: str | None = None  # the report job being followed
        self.requested: list[str] = []  # the product ids a bulk check asked for
        self.answers: list[Exchange] = []  # the answers of a When that made many requests
        self.circuit_opened_at: float | None = None  # time.monotonic() when a circuit was seen open

        # A checkout sent again with its idempotency key, and many checkouts a crash interrupted.
        self.retried_checkout: dict[str, Any] | None = None  # {"key", "body"} of the first try
        self.crashed_checkouts: CrashOutcome | None = None

        # Faults and what they did.
        self.proxy_counts_before: dict[str, dict[str, Any]] = {}  # service -> its fault proxy's counts before the When
        self.injected_resets = 0

        # Metrics, logs, raw HTTP.
        self.metrics_before: dict[str, MetricsSnapshot] = {}
        self.metrics_read: MetricsSnapshot | None = None  # the last metrics the operator read
        self.raw_answer: RawAnswer | None = None
        self.header_marker: str | None = None

        # Load and traces.
        self.load_profile: LoadProfile | None = None
        self.load_result: LoadResult | None = None
        self.found_traces: RequestTraces | None = None
        self.traced_exchange: Exchange | None = (
            None  # the request whose trace is asked about (default: the last answer)
        )

    def _client(self, base_url: str) -> HttpClient:
        client = HttpClient(base_url, recorder=self.evidence.record)
        self._http.append(client)
        return client

    @cached_property
    def inventory(self) -> Inventory:
        return Inventory(self._client(self.provider.urls.service(INVENTORY.name)))

    @cached_property
    def pricing(self) -> Pricing:
        return Pricing(self._client(self.provider.urls.service(PRICING.name)))

    @cached_property
    def chaos(self) -> Chaos:
        """Faults injected through the provider, each written down for the report."""
        return Chaos(self.provider, self.evidence)

    @cached_property
    def traces(self) -> ScenarioTraces:
        """The traces this scenario's requests left in the trace agent (see harness.traces)."""
        urls = self.provider.urls
        if not urls.trace_agent:
            raise StackControlUnavailable(
                f"no trace agent is known: pass -D {TEST_AGENT.url_option}=... (and -D {TEST_AGENT.otlp_url_option}=...)"
            )
        reader = TraceReader(
            urls.trace_agent,
            urls.otlp,
            trace_format_for(self.provider.tracer),
            settle=self.provider.trace_settle_seconds,
        )
        return ScenarioTraces(reader)

    def available_units(self, product_id: str) -> int:
        """A product's units in stock: read from inventory-service when it has the read-stock hook, else as
        the gateway's product query shows them (which the contract requires)."""
        if self.hooks.has(READ_STOCK.category):
            return self.inventory.stock_levels(product_id)["available"]
        return self.gateway.available_units(product_id)

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

    def log_lines(self, services: tuple[str, ...] = NAMES) -> dict[str, list[LogLine]]:
        reader = log_reading(self.provider)
        return {name: reader.logs(name) for name in services}

    def close(self) -> None:
        for client in self._http:
            client.close()
