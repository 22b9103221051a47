"""What a customer pays, as the checkout scenarios check it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hello_dd.harness.money import Bill, cents, check_order_bill


def test_tax_is_on_the_discounted_goods_rounded_half_up():
    bill = Bill(Decimal("59.98"), Decimal("6.00"), Decimal("0.0825"))
    assert (bill.taxable, bill.tax, bill.total) == (Decimal("53.98"), Decimal("4.45"), Decimal("58.43"))
    assert cents("0.005") == Decimal("0.01")


def order(**changes):
    base = {
        "items": [{"productId": "123", "quantity": 2, "unitPrice": 29.99, "lineTotal": 59.98}],
        "subtotal": 59.98,
        "discounts": [{"code": "SAVE10", "amount": 6.0}],
        "discountTotal": 6.0,
        "taxRate": 0.0825,
        "tax": 4.45,
        "total": 58.43,
    }
    return {**base, **changes}


def test_an_order_that_charges_what_it_should_passes():
    assert check_order_bill(order(), Decimal("59.98"), Decimal("6.00")).total == Decimal("58.43")


@pytest.mark.parametrize(
    "changes",
    [
        {"tax": 4.95, "total": 58.93},
        {"total": 58.44},
        {"discountTotal": 0, "tax": 4.95, "total": 64.93},
        {"subtotal": 59.97},
    ],
)
def test_a_wrong_tax_total_discount_or_subtotal_fails(changes):
    with pytest.raises(AssertionError):
        check_order_bill(order(**changes), Decimal("59.98"), Decimal("6.00"))
