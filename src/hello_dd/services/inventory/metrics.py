"""Inventory business metrics (default Prometheus registry, served by the common ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

# Outcomes of POST /reservations; pre-created below so every series is exported from the start.
RESERVED = "reserved"
REPLAYED = "replayed"
INSUFFICIENT_STOCK = "insufficient_stock"
PRODUCT_NOT_FOUND = "product_not_found"

RESERVATIONS = Counter(
    "inventory_reservations_total",
    "Reservation requests, by outcome (reserved, replayed, insufficient_stock, product_not_found).",
    ["outcome"],
)
UNITS_RESERVED = Counter("inventory_units_reserved_total", "Units moved from available to reserved.")
UNITS_RELEASED = Counter("inventory_units_released_total", "Units returned to available by releases and expiries.")
# What happened to held reservations afterwards: confirmed (their order was), released (given back by
# the caller) or expired (nobody confirmed them in time: released by the expiry sweep).
CONFIRMED, RELEASED, EXPIRED = "confirmed", "released", "expired"
RESERVATIONS_SETTLED = Counter(
    "inventory_reservations_settled_total",
    "Reservations that left the held state, by how (confirmed, released, expired).",
    ["outcome"],
)

for _outcome in (RESERVED, REPLAYED, INSUFFICIENT_STOCK, PRODUCT_NOT_FOUND):
    RESERVATIONS.labels(_outcome)
for _outcome in (CONFIRMED, RELEASED, EXPIRED):
    RESERVATIONS_SETTLED.labels(_outcome)
