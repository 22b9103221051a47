"""What the gateway's database tests share: a confirmed order as the gateway would record it."""

from __future__ import annotations

from datetime import UTC, datetime

from hello_dd.services.gateway.models import Order


def confirmed_order(order_id: str, created: datetime | None = None) -> Order:
    return Order(
        orderId=order_id,
        status="confirmed",
        customerId="cust-789",
        currency="USD",
        items=[{"productId": "123", "quantity": 2, "unitPrice": 29.99, "lineTotal": 59.98}],
        subtotal=59.98,
        discounts=[],
        discountTotal=0.0,
        taxRate=0.0825,
        tax=4.95,
        total=64.93,
        reservationId=f"res-{order_id}",
        createdAt=(created or datetime.now(UTC)).isoformat(),
    )
