"""The gateway is killed (SIGKILL) in the middle of 200 concurrent one-unit checkouts, each with an
Idempotency-Key of its own; the stack is started again and every shopper retries with its key. Each
key must yield exactly one order (the one confirmed before the crash, where there was one), and
within 60 s of the stack being back the units reserved must equal the orders confirmed: nothing held
by a checkout the crash interrupted stays held. On SQLite and on PostgreSQL."""

from __future__ import annotations

import time

import pytest
import requests

from hello_dd.harness.checkout_crash import CheckoutCrash
from hello_dd.polling import poll
from hello_dd.stack import LocalStack

# Beside the other tests: what it checks is what the keys and the stock come to, not how fast. Run
# beside three busy loops it still crashed the gateway with 37-62 orders confirmed and the rest in flight,
# and settled within 4.7-7.4 s of the stack being back.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCT = "1003"
SHOPPERS = 200
STOCK = 1000
SETTLE_SECONDS = 60


def _stock(stack: LocalStack) -> dict:
    return requests.get(f"{stack.urls['inventory-service']}/inventory/{PRODUCT}", timeout=10).json()


def _restart_the_stack(stack: LocalStack) -> None:
    """The gateway is already dead; the other services are stopped too, then all three start again."""
    for name in ("pricing-service", "inventory-service"):
        stack.stop_service(name)
    for name in ("inventory-service", "pricing-service", "api-gateway"):
        stack.start_service(name, timeout=60)


def crash_in_the_middle_of_checkouts(stack: LocalStack) -> None:
    put = requests.put(
        f"{stack.urls['inventory-service']}/inventory/{PRODUCT}/stock", json={"available": STOCK}, timeout=10
    )
    assert put.status_code == 200, put.text
    before = put.json()
    crash = CheckoutCrash(stack.urls["api-gateway"], PRODUCT, SHOPPERS, crash_after=20)
    result = crash.run(crash=lambda: stack.kill_service("api-gateway"), restart=lambda: _restart_the_stack(stack))
    print(result.summary())
    # The crash really interrupted checkouts, and some were confirmed before it.
    assert result.in_flight_at_crash > 0 and result.confirmed_before_crash >= 20, result.summary()
    assert result.problems() == [], result.summary()
    assert len(set(result.orders)) == SHOPPERS

    expected = {"available": before["available"] - SHOPPERS, "reserved": before["reserved"] + SHOPPERS}
    poll(
        lambda: _stock(stack),
        lambda now: {"available": now["available"], "reserved": now["reserved"]} == expected,
        timeout=max(0.0, result.back_at + SETTLE_SECONDS - time.monotonic()),
        interval=0.5,
        fail=lambda now, _: AssertionError(f"{SETTLE_SECONDS} s after the stack was back: {now}, expected {expected}"),
    )
    print(f"settled {time.monotonic() - result.back_at:.1f} s after the stack was back")


def test_a_crash_mid_checkout_leaves_one_order_per_key_and_no_stray_stock_on_sqlite(tmp_path, start_stack_at):
    crash_in_the_middle_of_checkouts(start_stack_at(tmp_path))


@pytest.mark.postgres
def test_a_crash_mid_checkout_leaves_one_order_per_key_and_no_stray_stock_on_postgresql(
    tmp_path, start_stack_at, new_postgres_database
):
    stack = start_stack_at(
        tmp_path, database_url=new_postgres_database("inventory"), gateway_database_url=new_postgres_database("gateway")
    )
    health = requests.get(f"{stack.urls['api-gateway']}/health", timeout=5).json()
    assert health["database"] == "postgresql", health
    crash_in_the_middle_of_checkouts(stack)
