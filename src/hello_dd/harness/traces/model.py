"""One span model for every trace source (OTLP and Datadog format), and a trace built from such spans:
its tree, its orphans, and the timing relations the scenarios assert on (overlap, order)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SERVER, CLIENT, INTERNAL, PRODUCER, CONSUMER = "server", "client", "internal", "producer", "consumer"


@dataclass(frozen=True)
class Span:
    trace_id: str  # 32 lowercase hex digits
    span_id: str  # 16 lowercase hex digits
    parent_id: str | None  # None for a root span
    service: str
    name: str  # what the span did: "GET /inventory/{productId}", "checkout.reserve", "GET" ...
    kind: str | None  # server, client, internal, producer, consumer (None when the source says nothing)
    start_ns: int
    end_ns: int
    error: bool = False
    status_message: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    # The source's own operation name where it differs from ``name`` (Datadog: "fastapi.request").
    operation: str = ""
    # The library that made the span: the OTLP instrumentation scope ("fastapi",
    # "opentelemetry.instrumentation.aiohttp_client" ...) or ddtrace's component ("aiohttp_client" ...).
    instrumentation: str = ""
    # Database and cache work, read from each source's conventions (formats.py): the system
    # ("sqlite", "postgresql", "redis") and the statement or command sent to it.
    db_system: str | None = None
    db_statement: str | None = None

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def duration_ms(self) -> float:
        return self.duration_ns / 1e6

    def attribute(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)

    @property
    def http_status(self) -> int | None:
        value = self.attributes.get("http.status_code", self.attributes.get("http.response.status_code"))
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def url(self) -> str | None:
        value = self.attributes.get("http.url", self.attributes.get("url.full"))
        return str(value) if value is not None else None

    @property
    def route(self) -> str | None:
        value = self.attributes.get("http.route")
        return str(value) if value is not None else None

    @property
    def db_operation(self) -> str | None:
        """The verb of the span's statement or command, upper case (SELECT, INSERT, GET, SET ...)."""
        words = (self.db_statement or "").split(None, 1)
        return words[0].upper() if words and self.db_system else None

    def overlaps(self, other: Span) -> bool:
        """True when the two spans ran at the same time for some moment."""
        return self.start_ns < other.end_ns and other.start_ns < self.end_ns

    def ends_before_start_of(self, other: Span) -> bool:
        return self.end_ns <= other.start_ns

    def describe(self) -> str:
        flags = " ERROR" if self.error else ""
        status = f" {self.http_status}" if self.http_status is not None else ""
        database = f" {self.db_system} {self.db_operation or ''}".rstrip() if self.db_system else ""
        return f"{self.service}: {self.name} [{self.kind or '?'}{status}{database}{flags}] {self.duration_ms:.1f} ms"

    def __str__(self) -> str:
        return self.describe()


class Trace:
    """The spans of one trace id, with the tree they form."""

    def __init__(self, spans: Iterable[Span]):
        self.spans: list[Span] = sorted(spans, key=lambda s: (s.start_ns, s.span_id))
        ids = {s.trace_id for s in self.spans}
        if len(ids) > 1:
            raise ValueError(f"spans of {len(ids)} traces given as one trace: {sorted(ids)}")
        self.trace_id = next(iter(ids), "")
        self.by_id: dict[str, Span] = {s.span_id: s for s in self.spans}
        self._children: dict[str | None, list[Span]] = {}
        for span in self.spans:
            self._children.setdefault(span.parent_id, []).append(span)

    def __len__(self) -> int:
        return len(self.spans)

    def __iter__(self):
        return iter(self.spans)

    # -- structure ------------------------------------------------------------------------------

    @property
    def roots(self) -> list[Span]:
        """Spans without a parent id, or whose parent is not in the trace (a remote caller or a gap)."""
        return [s for s in self.spans if s.parent_id is None or s.parent_id not in self.by_id]

    @property
    def root(self) -> Span | None:
        """The single top span, or None when there is not exactly one."""
        roots = self.roots
        return roots[0] if len(roots) == 1 else None

    def orphans(self, allowed_parent: str | None = None) -> list[Span]:
        """Spans that name a parent the trace does not contain (``allowed_parent``, e.g. a caller's span
        id that was continued, does not count)."""
        return [
            s
            for s in self.spans
            if s.parent_id is not None and s.parent_id not in self.by_id and s.parent_id != allowed_parent
        ]

    def children(self, span: Span) -> list[Span]:
        return list(self._children.get(span.span_id, []))

    def parent(self, span: Span) -> Span | None:
        return self.by_id.get(span.parent_id) if span.parent_id else None

    def ancestors(self, span: Span) -> list[Span]:
        """From the parent up to the root."""
        chain: list[Span] = []
        seen = {span.span_id}
        current = self.parent(span)
        while current is not None and current.span_id not in seen:
            chain.append(current)
            seen.add(current.span_id)
            current = self.parent(current)
        return chain

    def descendants(self, span: Span) -> list[Span]:
        found: list[Span] = []
        stack = self.children(span)
        while stack:
            child = stack.pop(0)
            found.append(child)
            stack.extend(self.children(child))
        return found

    def walk(self) -> Iterable[tuple[int, Span]]:
        """Depth-first (depth, span) from every root, children in start order."""
        seen: set[str] = set()

        def visit(span: Span, depth: int):
            if span.span_id in seen:
                return
            seen.add(span.span_id)
            yield depth, span
            for child in self.children(span):
                yield from visit(child, depth + 1)

        for root in self.roots:
            yield from visit(root, 0)

    # -- selection --------------------------------------------------------------------------------

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})

    def select(
        self,
        *,
        service: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        where: Callable[[Span], bool] | None = None,
    ) -> list[Span]:
        return [
            s
            for s in self.spans
            if (service is None or s.service == service)
            and (kind is None or s.kind == kind)
            and (name is None or s.name == name)
            and (where is None or where(s))
        ]

    def server_spans(self, service: str) -> list[Span]:
        return self.select(service=service, kind=SERVER)

    def entry_span(self, service: str) -> Span | None:
        """The service's first server span (where the request entered it)."""
        spans = self.server_spans(service)
        return spans[0] if spans else None

    def calls_to(self, service: str, caller: str | None = None) -> list[Span]:
        """Client spans whose direct child is a server span of ``service`` (the calls that reached it),
        optionally only those made by ``caller``."""
        found = []
        for span in self.select(kind=CLIENT, service=caller):
            if any(child.service == service and child.kind == SERVER for child in self.children(span)):
                found.append(span)
        return found

    @property
    def errors(self) -> list[Span]:
        return [s for s in self.spans if s.error]

    @property
    def start_ns(self) -> int:
        return min((s.start_ns for s in self.spans), default=0)

    @property
    def end_ns(self) -> int:
        return max((s.end_ns for s in self.spans), default=0)

    def summary(self) -> str:
        return f"trace {self.trace_id}: {len(self.spans)} spans across {', '.join(self.services) or 'no service'}"

    def __str__(self) -> str:
        return self.summary()

    __repr__ = __str__


def group_by_trace(spans: Iterable[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = {}
    for span in spans:
        grouped.setdefault(span.trace_id, []).append(span)
    return grouped


def sequential(spans: list[Span]) -> bool:
    """True when each span ended before the next one (in start order) began."""
    ordered = sorted(spans, key=lambda s: s.start_ns)
    return all(a.ends_before_start_of(b) for a, b in zip(ordered, ordered[1:], strict=False))
