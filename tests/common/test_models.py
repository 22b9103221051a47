"""The services' shared body models: camelCase on the wire, snake_case inside, money exact."""

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from hello_dd.services.common.models import ApiModel, Money, StrictApiModel
from hello_dd.services.gateway.models import Order, OrderRequest


class Line(ApiModel):
    unit_price: Money
    quantity: int


def test_money_is_read_exactly_and_written_as_a_json_number():
    line = Line.model_validate_json('{"unitPrice": 0.1, "quantity": 3}')
    assert line.unit_price == Decimal("0.1")
    assert line.unit_price * line.quantity == Decimal("0.3")  # 0.1 * 3 in floats is 0.30000000000000004
    assert json.loads(line.model_dump_json()) == {"unitPrice": 0.1, "quantity": 3}
    assert line.model_dump_json() == '{"unitPrice":0.1,"quantity":3}'


def test_an_api_model_takes_either_spelling_and_dumps_the_contracts():
    assert Line(unit_price=Decimal("1.50"), quantity=1).model_dump(mode="json") == {"unitPrice": 1.5, "quantity": 1}
    assert Line.model_validate({"unit_price": "2.25", "quantity": 1}).unit_price == Decimal("2.25")


class Request(StrictApiModel):
    customer_id: str


def test_a_strict_request_takes_the_contracts_names_only():
    assert Request.model_validate({"customerId": "c-1"}).customer_id == "c-1"
    with pytest.raises(ValidationError):
        Request.model_validate({"customer_id": "c-1"})
    with pytest.raises(ValidationError):
        Request.model_validate({"customerId": "c-1", "coupon": "x"})


def test_the_gateways_order_keeps_its_money_exact_and_its_wire_names():
    order = Order.model_validate_json(
        '{"orderId": "o-1", "status": "confirmed", "customerId": "c", "currency": "USD",'
        ' "items": [{"productId": "123", "quantity": 3, "unitPrice": 19.99, "lineTotal": 59.97}],'
        ' "subtotal": 59.97, "discounts": [], "discountTotal": 0, "taxRate": 0.0825, "tax": 4.95,'
        ' "total": 64.92, "reservationId": "r", "createdAt": "2026-01-01T00:00:00+00:00"}'
    )
    assert order.subtotal + order.tax == order.total == Decimal("64.92")
    assert json.loads(order.model_dump_json())["total"] == 64.92
    assert OrderRequest.model_fields["customer_id"].alias == "customerId"
