"""What a scenario does with traces: read the trace of a request the scenario made, attach it to the
report (text tree and SVG waterfall, once per trace), and answer the questions the steps ask."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import allure

from hello_dd.harness.exchange import Exchange
from hello_dd.harness.traces.model import CLIENT, SERVER, Span, Trace
from hello_dd.harness.traces.reader import RequestTraces, TraceReader
from hello_dd.harness.traces.render import text_tree, waterfall_svg
from hello_dd.topology import GATEWAY


@dataclass(frozen=True)
class CallerContext:
    """A caller's W3C trace context, as a caller upstream of the gateway would send it."""

    trace_id: str
    span_id: str
    tracestate: str
    baggage: dict[str, str]

    @classmethod
    def new(cls) -> CallerContext:
        return cls(
            trace_id=secrets.token_hex(16),
            span_id=secrets.token_hex(8),
            tracestate="rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
            baggage={"customer.tier": "gold", "shop.region": "eu-west"},
        )

    @property
    def headers(self) -> dict[str, str]:
        return {
            "traceparent": f"00-{self.trace_id}-{self.span_id}-01",
            "tracestate": self.tracestate,
            "baggage": ",".join(f"{k}={v}" for k, v in self.baggage.items()),
        }

    @property
    def tracestate_members(self) -> list[str]:
        return [m.strip() for m in self.tracestate.split(",")]


class ScenarioTraces:
    def __init__(self, reader: TraceReader):
        self.reader = reader
        self._attached: set[str] = set()

    def start(self) -> None:
        self.reader.start_session()

    def of(
        self,
        exchange: Exchange,
        services: Iterable[str],
        *,
        until: Callable[[RequestTraces], bool] | None = None,
        allowed_parent: str | None = None,
        what: str = "the request's trace",
        timeout: float = 20.0,
        settle: float | None = None,
    ) -> RequestTraces:
        """The traces of a request the scenario made, found by its correlation id, once complete (and
        unchanged for ``settle`` seconds: by default the reader's)."""
        cid = exchange.correlation_id
        if not cid:
            raise AssertionError(f"the answer carries no correlation id to find its trace by: {exchange}")
        found = self.reader.wait_for_request(
            correlation_id=cid,
            services=services,
            until=until,
            allowed_parent=allowed_parent,
            what=what,
            timeout=timeout,
            settle=settle,
        )
        self.attach(found)
        return found

    def attach(self, found: RequestTraces) -> None:
        for trace in found.traces:
            if trace.trace_id in self._attached:
                continue
            self._attached.add(trace.trace_id)
            allure.attach(
                text_tree(trace), name=f"trace {trace.trace_id} (tree)", attachment_type=allure.attachment_type.TEXT
            )
            allure.attach(
                waterfall_svg(trace),
                name=f"trace {trace.trace_id} (waterfall)",
                attachment_type=allure.attachment_type.SVG,
            )


# -- questions about one trace ------------------------------------------------------------------------


def http_calls(trace: Trace, caller: str = GATEWAY.name) -> list[Span]:
    """The caller's outgoing HTTP calls (client spans with a URL; not connection set-up spans)."""
    return [s for s in trace.select(kind=CLIENT, service=caller) if s.url]


def calls_to(trace: Trace, service: str, caller: str = GATEWAY.name) -> list[Span]:
    """The caller's HTTP calls that reached ``service`` (its server span is their child)."""
    return [s for s in trace.calls_to(service, caller=caller) if s.url]


def bad_links(trace: Trace, root_service: str = GATEWAY.name) -> list[str]:
    """Parent/child links that are wrong for an HTTP call chain: a downstream service's server span must be
    the child of a client span of another service; the gateway's entry span is the top (or continues a
    caller); a client span belongs to the same service as its parent."""
    problems = []
    for span in trace.spans:
        parent = trace.parent(span)
        if span.kind == SERVER and span.service != root_service:
            if parent is None or parent.kind != CLIENT or parent.service == span.service:
                problems.append(f"{span} is not the child of another service's client span (parent: {parent})")
        elif span.kind == CLIENT and parent is not None and parent.service != span.service:
            problems.append(f"{span} has a parent in another service: {parent}")
    return problems


def steps(trace: Trace, prefix: str) -> list[Span]:
    """The gateway's internal spans named ``prefix...`` (checkout.check_stock, ...), in start order."""
    return [s for s in trace.select(service=GATEWAY.name) if s.name.startswith(prefix)]


def where_error_started(trace: Trace) -> list[Span]:
    """Error spans none of whose children is an error: where the failure happened."""
    return [s for s in trace.errors if not any(c.error for c in trace.children(s))]
