"""The deterministic product catalogue both downstream services are seeded from.

Every product id the contract's examples use (101, 123, 202, 303, 404, 456, 505, 789) is here, with
stock high enough for repeated runs: product 123 refuses an order of 9999 units but accepts orders of
2 units many times over. Product 404 is deliberately out of stock and 505 runs low, so bulk
checks show every stock state. Ids 1000-1039 are plain catalogue filler for batch and paging checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueProduct:
    product_id: str
    name: str
    category: str
    base_price: Decimal
    initial_stock: int
    warehouse: str


_NAMED = [
    CatalogueProduct("101", "Ceramic Coffee Mug", "kitchen", Decimal("12.50"), 2500, "east-1"),
    CatalogueProduct("123", "Wireless Mouse", "electronics", Decimal("29.99"), 5000, "east-1"),
    CatalogueProduct("202", "Mechanical Keyboard", "electronics", Decimal("99.00"), 1200, "west-2"),
    CatalogueProduct("303", "USB-C Cable", "electronics", Decimal("4.50"), 8000, "east-1"),
    CatalogueProduct("404", "Notebook Stand", "office", Decimal("14.25"), 0, "west-2"),
    CatalogueProduct("456", "Noise-Cancelling Headphones", "electronics", Decimal("49.99"), 5000, "west-2"),
    CatalogueProduct("505", "27-inch Monitor", "electronics", Decimal("249.00"), 25, "central-1"),
    CatalogueProduct("789", "Laptop Sleeve", "accessories", Decimal("19.99"), 3000, "central-1"),
]

_CATEGORIES = ("kitchen", "electronics", "office", "accessories")
_WAREHOUSES = ("east-1", "west-2", "central-1")

_FILLER = [
    CatalogueProduct(
        str(n),
        f"Catalogue Item {n}",
        _CATEGORIES[n % len(_CATEGORIES)],
        Decimal(5 + (n * 7) % 95) + Decimal("0.99"),
        100 + (n * 37) % 900,
        _WAREHOUSES[n % len(_WAREHOUSES)],
    )
    for n in range(1000, 1040)
]

CATALOGUE: tuple[CatalogueProduct, ...] = tuple(_NAMED + _FILLER)
BY_ID: dict[str, CatalogueProduct] = {p.product_id: p for p in CATALOGUE}
