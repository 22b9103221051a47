"""Money as the shop computes it: Decimal, rounded half-up to cents at each line and each total."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hamcrest import assert_that, equal_to

CENT = Decimal("0.01")


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bill:
    """What a customer pays: the goods, less discounts, plus tax on the discounted amount."""

    goods: Decimal
    discount: Decimal
    tax_rate: Decimal

    @property
    def taxable(self) -> Decimal:
        return self.goods - self.discount

    @property
    def tax(self) -> Decimal:
        return cents(self.taxable * self.tax_rate)

    @property
    def total(self) -> Decimal:
        return self.taxable + self.tax

    def describe(self) -> str:
        return (
            f"goods ${self.goods}, discount ${self.discount}, tax {self.tax_rate * 100:g} % of ${self.taxable} = "
            f"${self.tax}, total ${self.total}"
        )


def check_order_bill(order: dict[str, Any], goods: Decimal, discount: Decimal) -> Bill:
    """The order charges ``goods`` less ``discount`` plus tax at the rate it states, line by line and in
    total; returns the bill it was checked against."""
    bill = Bill(cents(goods), cents(discount), Decimal(str(order["taxRate"])))
    lines = sum((cents(line["lineTotal"]) for line in order["items"]), Decimal(0))
    for line in order["items"]:
        assert_that(
            cents(line["lineTotal"]),
            equal_to(cents(Decimal(str(line["unitPrice"])) * line["quantity"])),
            f"line {line}",
        )
    assert_that(lines, equal_to(bill.goods), f"the order's lines add up to the goods ({bill.describe()})")
    assert_that(cents(order["subtotal"]), equal_to(bill.goods), f"subtotal ({bill.describe()})")
    assert_that(
        cents(order["discountTotal"]), equal_to(bill.discount), f"discounts: {order['discounts']} ({bill.describe()})"
    )
    assert_that(cents(order["tax"]), equal_to(bill.tax), f"tax ({bill.describe()})")
    assert_that(cents(order["total"]), equal_to(bill.total), f"total ({bill.describe()})")
    return bill
