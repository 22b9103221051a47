"""Questions about what a trace shows the services doing with their database and their cache: which
statements and commands ran, under which request, and which of them wrote.

The spans come from the tracers' own integrations (OpenTelemetry's SQLAlchemy and Redis
instrumentations, or ddtrace's); ``formats`` reads the system and the statement from either source's
conventions into :attr:`Span.db_system` and :attr:`Span.db_statement`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hello_dd.harness.traces.model import SERVER, Span, Trace

CACHE_SYSTEMS = frozenset({"redis", "valkey", "memcached"})
WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT"})


def database_statements(trace: Trace, service: str) -> list[Span]:
    """The SQL statements (and other database work) ``service`` ran in the trace, in start order."""
    return trace.select(service=service, where=lambda s: s.db_system is not None and s.db_system not in CACHE_SYSTEMS)


def cache_commands(trace: Trace, service: str) -> list[Span]:
    """The cache commands (Redis ...) ``service`` sent in the trace, in start order."""
    return trace.select(service=service, where=lambda s: s.db_system in CACHE_SYSTEMS)


def writes(spans: Iterable[Span]) -> list[Span]:
    """The statements that change data (INSERT, UPDATE, DELETE ...)."""
    return [s for s in spans if s.db_operation in WRITE_VERBS]


def handling_request(trace: Trace, span: Span) -> Span | None:
    """The server span of the request during which ``span`` ran: its nearest server-span ancestor."""
    return next((a for a in trace.ancestors(span) if a.kind == SERVER), None)


@dataclass(frozen=True)
class StoreWork:
    """One service's database or cache spans in a trace, and whether each ran inside one of the
    service's own requests (under its server span, not detached from it, not in another service)."""

    service: str
    spans: list[Span]
    trace: Trace

    @property
    def outside_the_services_requests(self) -> list[Span]:
        return [
            s
            for s in self.spans
            if (request := handling_request(self.trace, s)) is None or request.service != self.service
        ]

    def under(self, request: Span) -> list[Span]:
        """The spans that ran while ``request`` (a server span) was being handled."""
        return [s for s in self.spans if handling_request(self.trace, s) == request]

    def describe(self) -> str:
        return "\n".join(str(s) for s in self.spans) or f"(no database or cache span of {self.service})"


def database_work(trace: Trace, service: str) -> StoreWork:
    return StoreWork(service, database_statements(trace, service), trace)


def cache_work(trace: Trace, service: str) -> StoreWork:
    return StoreWork(service, cache_commands(trace, service), trace)


def requests_to(trace: Trace, service: str, method: str, route: str) -> list[Span]:
    """``service``'s server spans for ``method route`` (``POST /reservations``)."""
    return [
        s
        for s in trace.server_spans(service)
        if s.route == route
        and str(s.attribute("http.request.method", s.attribute("http.method", ""))).upper() == method
    ]
