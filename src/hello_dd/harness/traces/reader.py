"""Reading traces back from Datadog's APM test agent, and waiting until a request's trace is complete.

Isolation: each scenario starts a test-agent session (``/test/session/start`` with a token of its
own); reads return only what arrived since. The tracers send without a token, so a span that a
previous scenario's request finished late may still arrive in the session: every lookup therefore
selects spans by the request's correlation id (or trace id), never "whatever is there".

Complete means: every expected service has a span, no span names a parent that is missing, any
extra condition holds, and the span count has not changed for ``settle`` seconds (exporters batch).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import requests

from hello_dd.harness.traces.formats import spans_from_datadog, spans_from_otlp
from hello_dd.harness.traces.model import Span, Trace, group_by_trace
from hello_dd.polling import poll

TraceFormat = Literal["otlp", "datadog"]
CORRELATION_ATTRIBUTE = "correlation_id"


class TraceNotComplete(AssertionError):
    """The trace was not complete before the deadline; the message shows what was last seen."""


class TraceAgentError(RuntimeError):
    """The test agent did not answer as expected."""


@dataclass
class RequestTraces:
    """The traces holding one request's spans (one, when propagation works)."""

    traces: list[Trace]
    correlation_id: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def trace_ids(self) -> list[str]:
        return [t.trace_id for t in self.traces]

    @property
    def spans(self) -> list[Span]:
        return [s for t in self.traces for s in t.spans]

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})

    def only(self) -> Trace:
        if len(self.traces) != 1:
            raise AssertionError(f"expected exactly one trace, found {len(self.traces)}: {self.describe()}")
        return self.traces[0]

    def describe(self) -> str:
        if not self.traces:
            return "no trace"
        return "; ".join(t.summary() for t in self.traces)


def trace_format_for(tracer: str) -> TraceFormat:
    """Where a tracer's spans end up: ddtrace sends Datadog format, OpenTelemetry sends OTLP."""
    return "datadog" if tracer == "ddtrace" else "otlp"


class TraceReader:
    def __init__(
        self,
        agent_url: str,
        otlp_url: str | None = None,
        trace_format: TraceFormat = "otlp",
        *,
        timeout: float = 5.0,
        settle: float = 0.8,
    ):
        if trace_format == "otlp" and not otlp_url:
            raise ValueError("reading OTLP traces needs the test agent's OTLP/HTTP URL")
        self.agent_url = agent_url.rstrip("/")
        self.otlp_url = otlp_url.rstrip("/") if otlp_url else None
        self.trace_format = trace_format
        self.timeout = timeout
        #: How long a request's span count must stay the same before its trace counts as complete:
        #: longer than the services take to export a finished span.
        self.settle = settle
        self.token: str | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # the agent is on loopback: never through a proxy

    # -- agent API -------------------------------------------------------------------------------

    def _get(self, url: str, **params: Any) -> requests.Response:
        try:
            return self._http.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TraceAgentError(f"the test agent did not answer {url}: {exc}") from exc

    def start_session(self) -> str:
        """Start a session of our own; later reads return what arrived after this moment."""
        self.token = f"hello-dd-{uuid.uuid4().hex[:12]}"
        response = self._get(f"{self.agent_url}/test/session/start", test_session_token=self.token)
        if response.status_code != 200:
            raise TraceAgentError(
                f"starting a test agent session answered {response.status_code}: {response.text[:300]}"
            )
        return self.token

    def raw(self) -> Any:
        """The agent's answer as it came (OTLP export requests, or Datadog traces)."""
        base = self.otlp_url if self.trace_format == "otlp" else self.agent_url
        params = {"test_session_token": self.token} if self.token else {}
        response = self._get(f"{base}/test/session/traces", **params)
        if response.status_code != 200:
            raise TraceAgentError(f"reading traces answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def spans(self) -> list[Span]:
        raw = self.raw()
        return spans_from_otlp(raw) if self.trace_format == "otlp" else spans_from_datadog(raw)

    def trace_check_failures(self) -> str | None:
        """What the agent's own trace checks found wrong in the Datadog-format payloads it received
        (checks are enabled by the stack: ``hello_dd.stack.trace_agent.agent_environment``); None if
        nothing. OTLP payloads are not checked by the agent."""
        response = self._get(f"{self.agent_url}/test/trace_check/failures", return_all="true")
        if response.status_code == 200:
            return None
        return response.text.strip() or f"HTTP {response.status_code}"

    def trace_check_summary(self) -> dict[str, Any]:
        response = self._get(f"{self.agent_url}/test/trace_check/summary", return_all="true")
        return response.json() if response.status_code == 200 else {}

    # -- lookups -----------------------------------------------------------------------------------

    def request_traces(
        self, spans: Iterable[Span], *, correlation_id: str | None = None, trace_id: str | None = None
    ) -> RequestTraces:
        """The traces that hold the request's spans: every trace with a span tagged with the correlation id
        (or the given trace id), each with all its spans."""
        grouped = group_by_trace(spans)
        if trace_id is not None:
            ids = [trace_id] if trace_id in grouped else []
        else:
            ids = [
                tid
                for tid, members in grouped.items()
                if any(s.attribute(CORRELATION_ATTRIBUTE) == correlation_id for s in members)
            ]
        traces = sorted((Trace(grouped[tid]) for tid in ids), key=lambda t: t.start_ns)
        return RequestTraces(traces, correlation_id)

    def wait_for_request(
        self,
        *,
        correlation_id: str | None = None,
        trace_id: str | None = None,
        services: Iterable[str] = (),
        until: Callable[[RequestTraces], bool] | None = None,
        allowed_parent: str | None = None,
        timeout: float = 20.0,
        settle: float | None = None,
        interval: float = 0.1,
        what: str = "the request's trace",
    ) -> RequestTraces:
        if correlation_id is None and trace_id is None:
            raise ValueError("give the request's correlation id or its trace id")
        expected = sorted(set(services))
        settle = self.settle if settle is None else settle
        # Complete, and no new span for ``settle`` s: a late span would still join the trace.
        stable_since, last_count = time.monotonic(), -1

        def complete(found: RequestTraces) -> bool:
            nonlocal stable_since, last_count
            found.problems = _incomplete(found, expected, until, allowed_parent)
            now = time.monotonic()
            if len(found.spans) != last_count:
                last_count, stable_since = len(found.spans), now
            return not found.problems and now - stable_since >= settle

        def not_complete(found: RequestTraces, checks: int) -> TraceNotComplete:
            from hello_dd.harness.traces.render import text_tree

            shown = "\n".join(text_tree(t) for t in found.traces) or "(no span of this request has arrived)"
            key = f"correlation id {correlation_id}" if correlation_id else f"trace id {trace_id}"
            return TraceNotComplete(
                f"{what} ({key}) was not complete within {timeout:g} s ({checks} checks): "
                f"{'; '.join(found.problems) or 'still changing'}.\nLast seen:\n{shown}"
            )

        return poll(
            lambda: self.request_traces(self.spans(), correlation_id=correlation_id, trace_id=trace_id),
            complete,
            timeout=timeout,
            interval=interval,
            fail=not_complete,
        )


def _incomplete(
    found: RequestTraces, expected: list[str], until: Callable[[RequestTraces], bool] | None, allowed_parent: str | None
) -> list[str]:
    problems: list[str] = []
    if not found.traces:
        return ["no span of the request has arrived"]
    missing = [name for name in expected if name not in found.services]
    if missing:
        problems.append(f"no span from {', '.join(missing)}")
    for trace in found.traces:
        orphans = trace.orphans(allowed_parent)
        if orphans:
            problems.append(f"{len(orphans)} span(s) whose parent has not arrived (yet)")
    if until is not None and not until(found):
        problems.append("the expected spans are not all there")
    return problems
