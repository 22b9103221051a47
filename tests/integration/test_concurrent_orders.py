"""Concurrent checkouts through the gateway never oversell: with 50 units in stock, 200 concurrent
one-unit orders give exactly 50 confirmed orders, and the stock then reads 0. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

# Not serial: the calls may take their time (PATIENT), so a busy machine changes how long it runs, not
# what it finds.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCT = "1001"
# 200 checkouts at once on two busy cores can take longer than the gateway's 1.5 s per call, which
# would be a 504, not an oversell: this test is about the stock, so the calls may take their time.
PATIENT = {"INVENTORY_TIMEOUT": "20", "PRICING_TIMEOUT": "20", "RETRY_BUDGET_SECONDS": "60"}
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


def test_concurrent_orders_never_oversell_on_sqlite(tmp_path, start_stack_at):
    assert_no_oversell(start_stack_at(tmp_path, settings=PATIENT).urls)


@pytest.mark.postgres
def test_concurrent_orders_never_oversell_on_postgresql(postgres_url, tmp_path, start_stack_at):
    stack = start_stack_at(tmp_path, database_url=postgres_url, settings=PATIENT)
    health = requests.get(f"{stack.urls['inventory-service']}/health", timeout=5).json()
    assert health["database"] == "postgresql", health
    assert_no_oversell(stack.urls)
