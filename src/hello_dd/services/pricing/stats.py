"""What the pricing-service counts: Prometheus counters for the whole process (scraped at
``/metrics``), and per-application tallies for ``/analytics/summary``.

Both are bumped through ``PricingStats`` so the two views can never disagree about what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter

QUOTES = Counter("pricing_quotes_total", "Quote operations, by outcome.", ["outcome"])
CACHE_REQUESTS = Counter("pricing_cache_requests_total", "Price cache lookups, by result (hit|miss).", ["result"])

QUOTE_OUTCOMES = ("created", "finalized", "already_finalized", "not_found", "rejected")
# Pre-create every label so the series exist (at 0) before the first event.
for _outcome in QUOTE_OUTCOMES:
    QUOTES.labels(_outcome)
for _result in ("hit", "miss"):
    CACHE_REQUESTS.labels(_result)


@dataclass
class PricingStats:
    cache_hits: int = 0
    cache_misses: int = 0
    quotes_issued: int = 0
    quotes_finalized: int = 0

    def cache_lookup(self, hit: bool) -> None:
        CACHE_REQUESTS.labels("hit" if hit else "miss").inc()
        if hit:
            self.cache_hits += 1
        else:
            self.cache_misses += 1

    def quote(self, outcome: str) -> None:
        QUOTES.labels(outcome).inc()
        if outcome == "created":
            self.quotes_issued += 1
        elif outcome == "finalized":
            self.quotes_finalized += 1
