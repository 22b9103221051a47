"""Concurrent checkouts through the gateway never oversell: with 50 units in stock, 200 concurrent
one-unit orders give exactly 50 confirmed orders, and the stock then reads 0. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.integration

PRODUCT = "1001"
STOCK = 50
ORDERS = 200


def _one_order(gateway: str) -> tuple[int, str | None]:
    r = requests.post(
        f"{gateway}/api/v1/orders",
        json={"items": [{"productId": PRODUCT, "quantity": 1}], "customerId": "cust-concurrent"},
        timeout=60,
    )
    return r.status_code, (r.json().get("error") or {}).get("code")


def assert_no_oversell(urls: dict[str, str]) -> None:
    inventory = urls["inventory-service"]
    set_stock = requests.put(f"{inventory}/inventory/{PRODUCT}/stock", json={"available": STOCK}, timeout=10)
    assert set_stock.status_code == 200, set_stock.text
    reserved_before = set_stock.json()["reserved"]
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(lambda _: _one_order(urls["api-gateway"]), range(ORDERS)))
    assert outcomes[(201, None)] == STOCK, outcomes
    assert outcomes[(400, "INSUFFICIENT_STOCK")] == ORDERS - STOCK, outcomes
    stock = requests.get(f"{inventory}/inventory/{PRODUCT}", timeout=10).json()
    assert stock["available"] == 0 and stock["reserved"] == reserved_before + STOCK, stock


def test_concurrent_orders_never_oversell_on_sqlite(stack):
    assert_no_oversell(stack.urls)


@pytest.mark.postgres
def test_concurrent_orders_never_oversell_on_postgresql(postgres_url, tmp_path, start_stack_at):
    stack = start_stack_at(tmp_path, database_url=postgres_url)
    health = requests.get(f"{stack.urls['inventory-service']}/health", timeout=5).json()
    assert health["database"] == "postgresql", health
    assert_no_oversell(stack.urls)
