"""Business-level clients of the three services, in the words the features use.

They speak only the public contract (the gateway API of the design, and the downstream APIs in
docs/services-api.md), so the suite works against any implementation of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict, TypeVar

from hello_dd.harness.exchange import Exchange
from hello_dd.harness.http import HttpClient
from hello_dd.polling import poll

FINISHED_JOB_STATES = ("completed", "failed")
T = TypeVar("T")


class StockLevels(TypedDict):
    available: int
    reserved: int


def at_once(count: int, send: Callable[[int], T]) -> list[T]:
    """``send(0)`` .. ``send(count - 1)``, each in a thread of its own, released together by a barrier so
    the requests arrive at the same moment; the answers in that order."""
    start = threading.Barrier(count)

    def one(i: int) -> T:
        start.wait(timeout=30)
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


ORDERS = "/api/v1/orders"
IDEMPOTENCY_KEY = "Idempotency-Key"


def _with_key(headers: dict[str, str] | None, idempotency_key: str | None) -> dict[str, str]:
    """The request's headers, with ``Idempotency-Key`` when a key is given."""
    sent = dict(headers or {})
    if idempotency_key is not None:
        sent[IDEMPOTENCY_KEY] = idempotency_key
    return sent


def order_lines(*lines: tuple[Any, str]) -> list[dict[str, Any]]:
    """``(quantity, product)`` pairs as the order's items."""
    return [{"productId": product, "quantity": quantity} for quantity, product in lines]


class Gateway:
    def __init__(self, http: HttpClient):
        self.http = http

    def health(self) -> Exchange:
        return self.http.get("/health")

    def reset_circuits(self) -> bool:
        """Closes every circuit at once through the gateway's test hook ``POST /simulate/circuits/reset``
        (docs/test-hooks.md); False when the gateway has no such hook (any answer but 200)."""
        return self.http.post("/simulate/circuits/reset").status == 200

    def product(
        self, product_id: str, *, headers: dict[str, str] | None = None, currency: str | None = None
    ) -> Exchange:
        params = {"currency": currency} if currency else None
        return self.http.get(f"/api/v1/products/{product_id}", headers=headers, params=params)

    def available_units(self, product_id: str) -> int:
        """The units in stock, as the product query shows them (the contract's way to read stock)."""
        exchange = self.product(product_id)
        if exchange.status != 200 or not isinstance(exchange.body, dict):
            raise AssertionError(f"could not read the stock of product {product_id}:\n{exchange.describe()}")
        return int(exchange.body["inventory"]["available"])

    def place_order(
        self,
        items: list[dict[str, Any]],
        customer_id: str = "cust-789",
        *,
        discount_code: str | None = None,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """An order of ``items``; with ``idempotency_key`` sent as the contract's ``Idempotency-Key``, and
        ``timeout`` how long the caller waits (``requests.Timeout`` past it, as a customer gives up)."""
        body: dict[str, Any] = {"items": items, "customerId": customer_id}
        if discount_code:
            body["discountCode"] = discount_code
        return self.send_order(body, idempotency_key=idempotency_key, headers=headers, timeout=timeout)

    def send_order(
        self,
        body: Any,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """An order request with ``body`` as given: a dictionary is sent as JSON, text as it is (as JSON
        content), so a scenario can send what no well-behaved caller would."""
        sent = _with_key(headers, idempotency_key)
        if isinstance(body, str | bytes):
            sent.setdefault("Content-Type", "application/json")
            return self.http.post(ORDERS, data=body, headers=sent or None, timeout=timeout)
        return self.http.post(ORDERS, json=body, headers=sent or None, timeout=timeout)

    def bulk_check(
        self,
        product_ids: list[str],
        *,
        include_pricing: bool = False,
        page: int | None = None,
        page_size: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        params = {k: v for k, v in {"page": page, "pageSize": page_size}.items() if v is not None}
        body = {"productIds": product_ids, "includePricing": include_pricing}
        return self.http.post("/api/v1/products/bulk-check", json=body, params=params or None, headers=headers)

    def request_report(
        self,
        report_type: str,
        start: str,
        end: str,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        body = {"reportType": report_type, "startDate": start, "endDate": end}
        sent = _with_key(headers, idempotency_key)
        return self.http.post("/api/v1/reports/generate", json=body, headers=sent or None)

    def report_status(self, job_id: str) -> Exchange:
        return self.http.get(f"/api/v1/reports/status/{job_id}")

    def wait_for_report(self, job_id: str, timeout: float) -> Exchange:
        return poll(
            lambda: self.report_status(job_id),
            lambda ex: ex.status != 200 or (isinstance(ex.body, dict) and ex.body.get("status") in FINISHED_JOB_STATES),
            timeout=timeout,
            interval=0.25,
            what=f"report job {job_id} to finish",
        )

    def wait_until_fully_served(self, product_id: str, timeout: float = 60) -> Exchange:
        """Polls the product until it is served with stock and price (not degraded): after an open
        circuit's cool-down, the first calls are its trial and close it again."""
        return poll(
            lambda: self.product(product_id),
            lambda ex: ex.status == 200 and isinstance(ex.body, dict) and ex.body.get("degraded") is False,
            timeout=timeout,
            interval=0.1,
            what=f"product {product_id} to be served with stock and price again",
        )

    def order(self, order_id: str) -> Exchange:
        return self.http.get(f"{ORDERS}/{order_id}")

    def race_orders(self, product_id: str, quantity: int, customers: int) -> list[Exchange]:
        """``customers`` orders of ``quantity`` units of one product, sent at the same moment (a barrier
        releases them together), each by its own customer; the answers in customer order."""
        return at_once(customers, lambda i: self.place_order(order_lines((quantity, product_id)), f"cust-race-{i}"))

    def cascade(self, failure_mode: str | None = None, *, headers: dict[str, str] | None = None) -> Exchange:
        params = {"failure_mode": failure_mode} if failure_mode else None
        return self.http.get("/api/v1/health/cascade", params=params, headers=headers)


class Inventory:
    def __init__(self, http: HttpClient):
        self.http = http

    def stock(self, product_id: str) -> Exchange:
        return self.http.get(f"/inventory/{product_id}")

    def stock_levels(self, product_id: str) -> StockLevels:
        exchange = self.stock(product_id)
        if exchange.status != 200:
            raise AssertionError(f"could not read the stock of product {product_id}: {exchange}")
        return {"available": exchange.body["available"], "reserved": exchange.body["reserved"]}

    def set_available(self, product_id: str, units: int) -> StockLevels:
        """A stock count: ``units`` available from now on (the reserved units stay as they are)."""
        exchange = self.http.call("PUT", f"/inventory/{product_id}/stock", json={"available": units})
        if exchange.status != 200:
            raise AssertionError(f"could not set the stock of product {product_id} to {units}: {exchange}")
        return {"available": exchange.body["available"], "reserved": exchange.body["reserved"]}

    def catalogue_ids(self, count: int) -> list[str]:
        """The first ``count`` product ids of the catalogue, in the inventory's order."""
        listing = self.http.get("/inventory", params={"limit": count})
        if listing.status != 200:
            raise AssertionError(f"could not list the catalogue: {listing}")
        ids = [item["productId"] for item in listing.body["items"]]
        if len(ids) != count:
            raise AssertionError(f"the catalogue has {len(ids)} products, the scenario needs {count}")
        return ids

    def product_count(self) -> int:
        listing = self.http.get("/inventory", params={"limit": 1})
        if listing.status != 200:
            raise AssertionError(f"could not list the catalogue: {listing}")
        return int(listing.body["total"])


class Pricing:
    def __init__(self, http: HttpClient):
        self.http = http

    def price(self, product_id: str, currency: str = "USD") -> Exchange:
        return self.http.get(f"/prices/{product_id}", params={"currency": currency})

    def currencies(self) -> Exchange:
        return self.http.get("/currencies")

    def convert(self, amount: Any, from_currency: str, to_currency: str) -> Exchange:
        return self.http.get("/convert", params={"amount": amount, "from": from_currency, "to": to_currency})


def put_back_stock(inventory_url: str, product_id: str, units: int) -> None:
    """Sets a product's available stock back (a scenario's clean-up, after its own clients are closed)."""
    http = HttpClient(inventory_url)
    try:
        Inventory(http).set_available(product_id, units)
    finally:
        http.close()
