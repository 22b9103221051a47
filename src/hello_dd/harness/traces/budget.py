"""The span budget: which spans one request of each pattern (or one background job) makes, under which
parent, and how many, whichever tracer the services run. It is the one place the budget is written:
the ``span_budget`` scenarios hold real traces to it, and docs/tracing.md's table is made from it
(a test checks the two agree; ``python -m hello_dd.harness.traces.budget`` prints the table).

A span is named here the same way under OpenTelemetry and ddtrace, by what it did:

- a request a service handled: its server span's route, ``GET /inventory/{productId}``;
- a call the gateway made: ``call`` and the route of the request it reached (``call GET /health``
  when the callee makes no span, as for the untraced health checks);
- a database statement: ``SQL`` and its operation (``SQL SELECT``); a cache command: ``cache GET``;
- any other span: its own name (``checkout.reserve``, ``report.generate``, ``reservation.sweep``).

The budget holds in each configuration the reference stack ships: SQLite or PostgreSQL databases
(both make the same statements' spans), pricing's cache in process or in Redis. A cache in Redis adds
pricing's cache commands, rows marked ``REDIS`` that count only when pricing says its cache is Redis.
Each price lookup reads the cache (``cache GET``, an exact count); only a price the cache did not hold
is written back (``cache SET``), so that count depends on what the cache held, and its row is a
``Range``: at least the writes that always happen (a quote), at most one more per price looked up.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass

from hello_dd import topology
from hello_dd.harness.traces.datastores import CACHE_SYSTEMS
from hello_dd.harness.traces.model import CLIENT, SERVER, Span, Trace

ROOT = "(root)"
GATEWAY, INVENTORY, PRICING = topology.GATEWAY.name, topology.INVENTORY.name, topology.PRICING.name


# Counts that depend on the stack or the request, by name: the gateway's tries of a failing call (the
# policy's retry_attempts, its /api/v1/policy), and the products a request had priced (the bulk check's
# products in stock, the report's products: each answer says how many).
RETRY_ATTEMPTS = "retry_attempts"
PRICED = "priced"
DEFAULT_POLICY = {RETRY_ATTEMPTS: 3}
# What each named count is, for the docs' tables.
COUNT_NAMES = {
    RETRY_ATTEMPTS: f"the gateway's tries of a failing call, {DEFAULT_POLICY[RETRY_ATTEMPTS]} by default",
    PRICED: "the products the request had priced, as its answer says: the bulk check's products in stock, "
    "the report's products",
}

# The configuration a row depends on: pricing's cache in Redis (its /health says ``"cache": "redis"``).
REDIS = "redis"
CONFIGURATIONS = {None: "always", REDIS: "cache in Redis"}

Number = int | str  # a number, or the name of a count (RETRY_ATTEMPTS, PRICED)


@dataclass(frozen=True)
class Range:
    """A count that depends on what a cache held: from ``low`` to ``high``, both included."""

    low: Number
    high: Number

    def __str__(self) -> str:
        return f"{self.low} to {self.high}"


def _value(number: Number, counts: dict[str, int]) -> int:
    return number if isinstance(number, int) else counts[number]


@dataclass(frozen=True)
class Row:
    service: str
    span: str
    parent: str
    count: Number | Range
    needs: str | None = None  # the configuration the row counts in (REDIS), None: every one

    def expected(self, counts: dict[str, int]) -> tuple[int, int]:
        """The least and the most spans the row allows."""
        if isinstance(self.count, Range):
            return _value(self.count.low, counts), _value(self.count.high, counts)
        value = _value(self.count, counts)
        return value, value

    def applies(self, configuration: frozenset[str]) -> bool:
        return self.needs is None or self.needs in configuration

    @property
    def kind(self) -> str:
        if self.span.startswith(("SQL ", "cache ", "call ")):
            return CLIENT
        return SERVER if self.span.split(" ", 1)[0] in HTTP_METHODS else "internal"

    @property
    def key(self) -> tuple[str, str, str]:
        return self.service, self.span, self.parent


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _rows(service: str, parent: str, *spans: tuple[str, Number | Range]) -> list[Row]:
    return [Row(service, span, parent, count) for span, count in spans]


def _cache(parent: str, reads: Number, writes: Number | Range) -> list[Row]:
    """pricing-service's cache commands under ``parent``, when its cache is Redis."""
    return [Row(PRICING, "cache GET", parent, reads, REDIS), Row(PRICING, "cache SET", parent, writes, REDIS)]


_PRODUCT = "GET /api/v1/products/{product_id}"
_ORDER = "POST /api/v1/orders"
_BULK = "POST /api/v1/products/bulk-check"
_REPORT = "POST /api/v1/reports/generate"
_CASCADE = "GET /api/v1/health/cascade"

# Per pattern, every span its trace holds. The request patterns are the ones docs/gateway-api.md
# describes; "checkout" is a successful order of one product. With pricing's cache in Redis, each
# price looked up is one cache GET, and one cache SET when the cache did not hold it (it keeps a price
# CACHE_TTL_SECONDS, 60 s by default); each quote issued or finalised is one cache SET, each quote
# read one cache GET.
BUDGET: dict[str, list[Row]] = {
    "product query": [
        *_rows(GATEWAY, ROOT, (_PRODUCT, 1)),
        *_rows(GATEWAY, _PRODUCT, ("call GET /inventory/{productId}", 1), ("call GET /prices/{productId}", 1)),
        *_rows(INVENTORY, "call GET /inventory/{productId}", ("GET /inventory/{productId}", 1)),
        *_rows(INVENTORY, "GET /inventory/{productId}", ("SQL SELECT", 1)),
        *_rows(PRICING, "call GET /prices/{productId}", ("GET /prices/{productId}", 1)),
        *_cache("GET /prices/{productId}", 1, Range(0, 1)),
    ],
    "checkout": [
        *_rows(GATEWAY, ROOT, (_ORDER, 1)),
        *_rows(
            GATEWAY,
            _ORDER,
            ("SQL INSERT", 2),
            ("SQL UPDATE", 2),
            ("checkout.check_stock", 1),
            ("checkout.price", 1),
            ("checkout.reserve", 1),
            ("checkout.finalize", 1),
        ),
        *_rows(GATEWAY, "checkout.check_stock", ("call POST /inventory/check", 1)),
        *_rows(GATEWAY, "checkout.price", ("call POST /quotes", 1)),
        *_rows(GATEWAY, "checkout.reserve", ("call POST /reservations", 1)),
        *_rows(
            GATEWAY,
            "checkout.finalize",
            ("call POST /quotes/{quoteId}/finalize", 1),
            ("call POST /reservations/{reservationId}/confirm", 1),
            ("SQL UPDATE", 1),
        ),
        *_rows(INVENTORY, "call POST /inventory/check", ("POST /inventory/check", 1)),
        *_rows(INVENTORY, "POST /inventory/check", ("SQL SELECT", 1)),
        *_rows(INVENTORY, "call POST /reservations", ("POST /reservations", 1)),
        *_rows(INVENTORY, "POST /reservations", ("SQL INSERT", 2), ("SQL UPDATE", 1)),
        *_rows(
            INVENTORY,
            "call POST /reservations/{reservationId}/confirm",
            ("POST /reservations/{reservationId}/confirm", 1),
        ),
        *_rows(INVENTORY, "POST /reservations/{reservationId}/confirm", ("SQL SELECT", 2), ("SQL UPDATE", 1)),
        *_rows(PRICING, "call POST /quotes", ("POST /quotes", 1)),
        # The quote is written, and the price too when the cache did not hold it.
        *_cache("POST /quotes", 1, Range(1, 2)),
        *_rows(PRICING, "call POST /quotes/{quoteId}/finalize", ("POST /quotes/{quoteId}/finalize", 1)),
        *_cache("POST /quotes/{quoteId}/finalize", 1, 1),
    ],
    # The same order when pricing-service cannot be reached to finalize the price: the finalize call
    # fails as many times as the gateway tries (the policy's retry_attempts, 3 by default), and the
    # reservation is released. Nothing reached pricing's finalize, so those calls have no child.
    "checkout compensated": [
        *_rows(GATEWAY, ROOT, (_ORDER, 1)),
        *_rows(
            GATEWAY,
            _ORDER,
            ("SQL INSERT", 1),
            ("SQL UPDATE", 1),
            ("checkout.check_stock", 1),
            ("checkout.price", 1),
            ("checkout.reserve", 1),
            ("checkout.finalize", 1),
            ("checkout.compensate", 1),
        ),
        *_rows(GATEWAY, "checkout.check_stock", ("call POST /inventory/check", 1)),
        *_rows(GATEWAY, "checkout.price", ("call POST /quotes", 1)),
        *_rows(GATEWAY, "checkout.reserve", ("call POST /reservations", 1)),
        *_rows(GATEWAY, "checkout.finalize", ("call POST /quotes/{quoteId}/finalize", RETRY_ATTEMPTS)),
        *_rows(
            GATEWAY, "checkout.compensate", ("call POST /reservations/{reservationId}/release", 1), ("SQL UPDATE", 2)
        ),
        *_rows(INVENTORY, "call POST /inventory/check", ("POST /inventory/check", 1)),
        *_rows(INVENTORY, "POST /inventory/check", ("SQL SELECT", 1)),
        *_rows(INVENTORY, "call POST /reservations", ("POST /reservations", 1)),
        *_rows(INVENTORY, "POST /reservations", ("SQL INSERT", 2), ("SQL UPDATE", 1)),
        *_rows(
            INVENTORY,
            "call POST /reservations/{reservationId}/release",
            ("POST /reservations/{reservationId}/release", 1),
        ),
        *_rows(INVENTORY, "POST /reservations/{reservationId}/release", ("SQL SELECT", 2), ("SQL UPDATE", 2)),
        *_rows(PRICING, "call POST /quotes", ("POST /quotes", 1)),
        *_cache("POST /quotes", 1, Range(1, 2)),
    ],
    "bulk check": [
        *_rows(GATEWAY, ROOT, (_BULK, 1)),
        *_rows(GATEWAY, _BULK, ("call POST /inventory/bulk", 3), ("call POST /prices/bulk", 3)),
        *_rows(INVENTORY, "call POST /inventory/bulk", ("POST /inventory/bulk", 3)),
        *_rows(INVENTORY, "POST /inventory/bulk", ("SQL SELECT", 3)),
        *_rows(PRICING, "call POST /prices/bulk", ("POST /prices/bulk", 3)),
        *_cache("POST /prices/bulk", PRICED, Range(0, PRICED)),
    ],
    "report": [
        *_rows(GATEWAY, ROOT, (_REPORT, 1)),
        *_rows(GATEWAY, _REPORT, ("SQL SELECT", 2), ("SQL INSERT", 1), ("report.generate", 1)),
        *_rows(
            GATEWAY,
            "report.generate",
            ("SQL UPDATE", 2),
            ("call GET /inventory", 1),
            ("call POST /prices/bulk", 1),
        ),
        *_rows(INVENTORY, "call GET /inventory", ("GET /inventory", 1)),
        *_rows(INVENTORY, "GET /inventory", ("SQL SELECT", 2)),
        *_rows(PRICING, "call POST /prices/bulk", ("POST /prices/bulk", 1)),
        *_cache("POST /prices/bulk", PRICED, Range(0, PRICED)),
    ],
    "cascade": [
        *_rows(GATEWAY, ROOT, (_CASCADE, 1)),
        *_rows(GATEWAY, _CASCADE, ("call GET /health", 2)),
    ],
}

# The routes the budget names, to name a call by the route it was for.
_ROUTES = sorted(
    {row.span.split(" ", 2)[2] for rows in BUDGET.values() for row in rows if row.span.startswith("call ")}
)

# How each pattern is asked for, in the budget's table.
REQUESTS = {
    "product query": "`GET /api/v1/products/123`",
    "checkout": "`POST /api/v1/orders`, one product, succeeds",
    "checkout compensated": f"`POST /api/v1/orders`, one product, {PRICING} unreachable to finalize: "
    "the stock is given back",
    "bulk check": "`POST /api/v1/products/bulk-check`, 45 catalogue products with prices: 3 chunks of at most 20, "
    "each checked with inventory, then the ones in stock priced",
    "report": "`POST /api/v1/reports/generate`, `inventory_summary`, the request and its job",
    "cascade": "`GET /api/v1/health/cascade`, no failure asked",
}


# The spans a background job starts its trace with, when a pass found work (telemetry.job in the
# services; report.generate when a resumed report job runs on its own).
JOBS = frozenset({"reservation.sweep", "checkout.recovery", "report.resume", "housekeeping", "report.generate"})

# A file's path in a span's name: a database file, or anything under the usual top directories.
_FILE_PATH = re.compile(r"(^|\s)/([^\s/]+/)*[^\s/]+\.(db|sqlite3?)\b|(^|\s)/(tmp|home|var|work|root|srv|data)/")


def names_a_file(name: str) -> bool:
    """Whether a span's name holds a file's path (as a SQLite span named for its database file would)."""
    return _FILE_PATH.search(name) is not None


def label(trace: Trace, span: Span) -> str:
    """The span's name in the budget (see the module's description)."""
    if span.db_system is not None:
        kind = "cache" if span.db_system in CACHE_SYSTEMS else "SQL"
        return f"{kind} {span.db_operation or span.name}"
    if span.kind == SERVER:
        return span.name
    if span.url is not None:
        reached = next((c for c in trace.children(span) if c.kind == SERVER), None)
        if reached is not None:
            return f"call {reached.name}"
        method = span.attribute("http.request.method", span.attribute("http.method", ""))
        return f"call {method} {_route(_path(span.url))}"
    return span.name


def _path(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1].split("?", 1)[0] if "/" in rest else "/"


def _route(path: str) -> str:
    """The budget's route a path matches (``/quotes/q-1/finalize``: ``/quotes/{quoteId}/finalize``),
    for a call that reached no traced service (the fault proxy cut it); else the path itself."""
    for route in _ROUTES:
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", route), path):
            return route
    return path


def shape(trace: Trace) -> Counter[tuple[str, str, str]]:
    """How many spans of each (service, span, parent) the trace holds."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for span in trace.spans:
        parent = trace.parent(span)
        counts[span.service, label(trace, span), label(trace, parent) if parent else ROOT] += 1
    return counts


def overspent(
    trace: Trace, pattern: str, counts: dict[str, int] | None = None, configuration: frozenset[str] = frozenset()
) -> list[str]:
    """Where the trace differs from the pattern's budget: a span it lacks, one too many, or one the
    budget does not know; empty when it holds exactly the budgeted spans. ``counts``: the values of
    the named counts (default: the reference stack's policy, ``DEFAULT_POLICY``); ``configuration``:
    what the stack runs that rows depend on (``{REDIS}`` when pricing's cache is Redis)."""
    counts = counts or DEFAULT_POLICY
    expected = {row.key: row.expected(counts) for row in BUDGET[pattern] if row.applies(configuration)}
    found = shape(trace)
    problems = []
    for key in sorted(set(expected) | set(found)):
        (low, high), got = expected.get(key, (0, 0)), found.get(key, 0)
        if not low <= got <= high:
            service, span, parent = key
            budget = low if low == high else f"{low} to {high}"
            problems.append(f"{service}: {got} x '{span}' under '{parent}', budget {budget}")
    return problems


def total(pattern: str, counts: dict[str, int] | None = None, configuration: frozenset[str] = frozenset()) -> int:
    """The fewest spans the pattern's trace holds."""
    rows = (row for row in BUDGET[pattern] if row.applies(configuration))
    return sum(row.expected(counts or DEFAULT_POLICY)[0] for row in rows)


def _names(count: Number | Range) -> set[str]:
    numbers = (count.low, count.high) if isinstance(count, Range) else (count,)
    return {n for n in numbers if isinstance(n, str)}


def markdown() -> str:
    """The budget as docs/tracing.md shows it: one table per pattern."""
    parts = []
    for pattern, rows in BUDGET.items():
        cache = ", and pricing's cache commands when its cache is Redis" if any(r.needs == REDIS for r in rows) else ""
        parts.append(f"### {pattern}: {total(pattern)} spans{cache}\n\n{REQUESTS[pattern]}\n")
        if names := sorted(set().union(*(_names(row.count) for row in rows))):
            parts.append("(" + "; ".join(f"`{name}`: {COUNT_NAMES[name]}" for name in names) + ")\n")
        parts.append("| service | span | kind | parent | count | when |\n|---|---|---|---|---|---|")
        parts.extend(
            f"| {r.service} | `{r.span}` | {r.kind} | `{r.parent}` | {r.count} | {CONFIGURATIONS[r.needs]} |"
            for r in rows
        )
        parts.append("")
    return "\n".join(parts)


def main() -> None:
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
