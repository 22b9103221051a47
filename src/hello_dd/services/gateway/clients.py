"""Typed access to inventory-service and pricing-service (their API: docs/services-api.md).

Each method says whether the call is idempotent, which decides whether it may be retried. A 4xx answer
becomes ``DownstreamRejected`` carrying the dependency's own error, so the gateway can pass it on.
"""

from __future__ import annotations

from typing import Any

from hello_dd.services.gateway.resilience import Dependency, DependencyFailed, Reply


class DownstreamRejected(Exception):
    """A dependency refused the request (4xx) with an error code and message of its own."""

    def __init__(self, dependency: str, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.dependency = dependency
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _body(dependency: Dependency, reply: Reply) -> Any:
    if reply.ok:
        if reply.body is None:
            raise DependencyFailed(dependency.name, f"{dependency.name} answered {reply.status} without a body")
        return reply.body
    error = reply.body.get("error", {}) if isinstance(reply.body, dict) else {}
    raise DownstreamRejected(
        dependency.name,
        reply.status,
        str(error.get("code", f"HTTP_{reply.status}")),
        str(error.get("message", f"{dependency.name} answered {reply.status}")),
        error.get("details"),
    )


class InventoryClient:
    def __init__(self, dependency: Dependency):
        self.dependency = dependency

    async def stock(self, product_id: str) -> dict[str, Any]:
        return _body(self.dependency, await self.dependency.get(f"/inventory/{product_id}"))

    async def list_stock(self, limit: int, offset: int) -> dict[str, Any]:
        reply = await self.dependency.get("/inventory", params={"limit": limit, "offset": offset})
        return _body(self.dependency, reply)

    async def bulk(self, product_ids: list[str]) -> list[dict[str, Any]]:
        # A read, though sent as POST: safe to retry.
        reply = await self.dependency.request(
            "POST", "/inventory/bulk", idempotent=True, json={"productIds": product_ids}
        )
        return _body(self.dependency, reply)["items"]

    async def check(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        reply = await self.dependency.request("POST", "/inventory/check", idempotent=True, json={"items": items})
        return _body(self.dependency, reply)

    async def reserve(self, reservation_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        # A write: sent once. (It is idempotent on reservationId too, which makes compensation safe.)
        reply = await self.dependency.request(
            "POST", "/reservations", idempotent=False, json={"reservationId": reservation_id, "items": items}
        )
        return _body(self.dependency, reply)

    async def confirm(self, reservation_id: str) -> dict[str, Any]:
        # Confirming is idempotent on the inventory side (a second confirmation is a no-op): safe to retry.
        reply = await self.dependency.request("POST", f"/reservations/{reservation_id}/confirm", idempotent=True)
        return _body(self.dependency, reply)

    async def release(self, reservation_id: str) -> dict[str, Any]:
        # Releasing is idempotent on the inventory side (a second release is a no-op): safe to retry.
        reply = await self.dependency.request("POST", f"/reservations/{reservation_id}/release", idempotent=True)
        return _body(self.dependency, reply)


class PricingClient:
    def __init__(self, dependency: Dependency):
        self.dependency = dependency

    async def price(self, product_id: str, currency: str = "USD") -> dict[str, Any]:
        return _body(self.dependency, await self.dependency.get(f"/prices/{product_id}", params={"currency": currency}))

    async def bulk(self, product_ids: list[str], currency: str = "USD") -> list[dict[str, Any]]:
        reply = await self.dependency.request(
            "POST", "/prices/bulk", idempotent=True, json={"productIds": product_ids, "currency": currency}
        )
        return _body(self.dependency, reply)["items"]

    async def quote(
        self, items: list[dict[str, Any]], customer_id: str, discount_code: str | None, currency: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"items": items, "customerId": customer_id, "currency": currency}
        if discount_code:
            payload["discountCode"] = discount_code
        # Creating a quote has no lasting effect beyond a cache entry that expires: safe to retry.
        return _body(self.dependency, await self.dependency.request("POST", "/quotes", idempotent=True, json=payload))

    async def finalize(self, quote_id: str) -> dict[str, Any]:
        reply = await self.dependency.request("POST", f"/quotes/{quote_id}/finalize", idempotent=True)
        return _body(self.dependency, reply)

    async def analytics(self) -> dict[str, Any]:
        return _body(self.dependency, await self.dependency.get("/analytics/summary"))
