"""The checkout saga's compensation against the real inventory-service: when pricing fails after the
stock was reserved, the reservation is released and the stock is exactly as before.

Pricing is played by a small aiohttp server that quotes correctly but fails to finalize; inventory is
the real service of the module's stack."""

from __future__ import annotations

import aiohttp
import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from hello_dd.services.common.errors import ApiError
from hello_dd.services.gateway.checkout import CheckoutSaga
from hello_dd.services.gateway.clients import InventoryClient, PricingClient
from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.models import OrderRequest
from hello_dd.services.gateway.order_book import OrderBook
from hello_dd.services.gateway.resilience import CircuitBreakers, Dependency, RetryPolicy

pytestmark = pytest.mark.integration

PRODUCT = "1002"


def _pricing_that_cannot_finalize(finalize_status: int) -> web.Application:
    async def quote(request: web.Request) -> web.Response:
        body = await request.json()
        line = body["items"][0]
        return web.json_response(
            {
                "quoteId": "q-1",
                "customerId": body["customerId"],
                "currency": "USD",
                "lines": [
                    {
                        "productId": line["productId"],
                        "quantity": line["quantity"],
                        "unitPrice": 1.0,
                        "lineTotal": float(line["quantity"]),
                    }
                ],
                "subtotal": float(line["quantity"]),
                "discounts": [],
                "discountTotal": 0.0,
                "expiresAt": "2099-01-01T00:00:00Z",
            },
            status=201,
        )

    async def finalize(_: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "BROKEN", "message": "finalize failed"}}, status=finalize_status)

    app = web.Application()
    app.router.add_post("/quotes", quote)
    app.router.add_post("/quotes/{quote_id}/finalize", finalize)
    return app


@pytest.fixture
async def saga_with_failing_pricing(stack, tmp_path):
    server = TestServer(_pricing_that_cannot_finalize(500), host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    breakers = CircuitBreakers(threshold=50, reset_seconds=30)
    retry = RetryPolicy(attempts=2, backoff_initial=0.01, backoff_max=0.02)
    inventory = Dependency("inventory-service", stack.urls["inventory-service"], session, 5.0, retry, breakers)
    pricing = Dependency("pricing-service", str(server.make_url("")), session, 5.0, retry, breakers)
    db = Database(f"sqlite:///{tmp_path}/gateway.db")
    yield CheckoutSaga(InventoryClient(inventory), PricingClient(pricing), OrderBook(db.engine, "gw-test"), db)
    db.close()
    await session.close()
    await server.close()


def _counter(stack, name: str) -> float:
    text = requests.get(f"{stack.urls['inventory-service']}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def _stock(stack) -> dict:
    return requests.get(f"{stack.urls['inventory-service']}/inventory/{PRODUCT}", timeout=5).json()


async def test_a_failure_after_reserving_releases_the_reservation(stack, saga_with_failing_pricing):
    before = _stock(stack)
    reserved_before = _counter(stack, "inventory_units_reserved_total")
    released_before = _counter(stack, "inventory_units_released_total")
    with pytest.raises(ApiError) as failure:
        await saga_with_failing_pricing.place(
            OrderRequest(items=[{"productId": PRODUCT, "quantity": 3}], customerId="cust-1")
        )
    assert failure.value.status == 502 and failure.value.code == "DEPENDENCY_FAILED"
    after = _stock(stack)
    assert (after["available"], after["reserved"]) == (before["available"], before["reserved"])
    # The units really were reserved, then given back: not merely never taken.
    assert _counter(stack, "inventory_units_reserved_total") == reserved_before + 3
    assert _counter(stack, "inventory_units_released_total") == released_before + 3
