"""The pricing rules as pure functions on ``Decimal``: currency conversion, list prices, discounts, tax
and the catalogue summary.

Nothing here does I/O or keeps state, so every rule of the contract can be unit-tested directly and
the HTTP layer only has to move values in and out. Amounts are rounded half-up to cents at each line
and at each total, exactly as the contract says, so a client adding up the lines gets the totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hello_dd.services.catalog import CatalogueProduct
from hello_dd.services.pricing.errors import InvalidDiscountCode, UnsupportedCurrency

BASE_CURRENCY = "USD"
# Fixed rates: units of each currency per 1 USD.
RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "JPY": Decimal("151.5"),
}
CENT = Decimal("0.01")
# Cross rates are reported to six places; conversions use the exact ratio and round only the result.
RATE_PLACES = Decimal("0.000001")

VOLUME_MIN_UNITS = 10
VOLUME_RATE = Decimal("0.05")
SAVE10_RATE = Decimal("0.10")
WELCOME5_USD = Decimal("5.00")
DISCOUNT_CODES = ("SAVE10", "WELCOME5")


def to_cents(amount: Decimal) -> Decimal:
    """Half-up to two places: the one rounding rule for every amount the service reports."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def check_currency(code: str) -> str:
    """The canonical (upper-case) code, or ``UnsupportedCurrency``; callers may send ``eur``."""
    canonical = code.strip().upper()
    if canonical not in RATES:
        raise UnsupportedCurrency(code, list(RATES))
    return canonical


def cross_rate(source: str, target: str) -> Decimal:
    """Units of ``target`` per unit of ``source``, unrounded (both codes must already be checked)."""
    return RATES[target] / RATES[source]


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    """``amount`` in ``source`` expressed in ``target``, rounded to cents once, at the end."""
    return to_cents(amount * cross_rate(source, target))


@dataclass(frozen=True)
class ListPrice:
    product_id: str
    base_price: Decimal
    currency: str
    discount_percent: Decimal
    final_price: Decimal


def list_price(product: CatalogueProduct, currency: str) -> ListPrice:
    """A catalogue price: ``basePrice`` is the USD base, ``finalPrice`` that base in ``currency``;
    a list price never carries a discount (discounts belong to quotes)."""
    return ListPrice(
        product_id=product.product_id,
        base_price=to_cents(product.base_price),
        currency=currency,
        discount_percent=Decimal("0"),
        final_price=convert(product.base_price, BASE_CURRENCY, currency),
    )


@dataclass(frozen=True)
class PricedLine:
    product_id: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    volume_discount: Decimal


@dataclass(frozen=True)
class Discount:
    code: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class OrderTotals:
    lines: list[PricedLine]
    subtotal: Decimal
    discounts: list[Discount]
    discount_total: Decimal


def price_line(product_id: str, quantity: int, unit_price: Decimal) -> PricedLine:
    """One quote line; ``lineTotal`` is before discounts, ``volumeDiscount`` is what the line saves."""
    line_total = to_cents(unit_price * quantity)
    volume = to_cents(line_total * VOLUME_RATE) if quantity >= VOLUME_MIN_UNITS else Decimal("0.00")
    return PricedLine(product_id, quantity, unit_price, line_total, volume)


def volume_discount(lines: Iterable[PricedLine]) -> Discount | None:
    """The lines' volume discounts as one ``VOLUME`` entry, or None when no line qualifies."""
    amount = sum((line.volume_discount for line in lines), Decimal("0.00"))
    if amount == 0:
        return None
    return Discount("VOLUME", f"{VOLUME_RATE:.0%} off lines of {VOLUME_MIN_UNITS} or more units", amount)


def check_discount_code(code: str) -> str:
    """The canonical (upper-case) code, or ``InvalidDiscountCode``; codes are case-insensitive."""
    canonical = code.strip().upper()
    if canonical not in DISCOUNT_CODES:
        raise InvalidDiscountCode(code, list(DISCOUNT_CODES))
    return canonical


def code_discount(code: str, subtotal: Decimal, remaining: Decimal, currency: str) -> Discount:
    """The discount a (checked) code gives, capped at ``remaining`` so a quote never goes below zero.

    ``SAVE10`` is 10% of the subtotal; ``WELCOME5`` is 5.00 USD, converted so it is worth the same in
    every currency (5 yen off would be no welcome at all).
    """
    if code == "SAVE10":
        amount, description = to_cents(subtotal * SAVE10_RATE), "10% off the subtotal"
    else:
        amount = convert(WELCOME5_USD, BASE_CURRENCY, currency)
        description = f"{amount} {currency} off a first order"
    return Discount(code, description, min(amount, remaining))


def price_order(items: Sequence[tuple[str, int, Decimal]], discount_code: str | None, currency: str) -> OrderTotals:
    """Lines, subtotal and discounts of an order of ``(productId, quantity, unitPrice)`` items:
    volume discounts first, then the (already checked) code on what is left."""
    lines = [price_line(product_id, quantity, unit_price) for product_id, quantity, unit_price in items]
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    discounts = [d for d in [volume_discount(lines)] if d is not None]
    if discount_code is not None:
        remaining = subtotal - sum((d.amount for d in discounts), Decimal("0.00"))
        discounts.append(code_discount(discount_code, subtotal, remaining, currency))
    discount_total = sum((d.amount for d in discounts), Decimal("0.00"))
    return OrderTotals(lines, subtotal, discounts, discount_total)


@dataclass(frozen=True)
class Tax:
    tax_rate: Decimal
    taxable_amount: Decimal
    tax: Decimal
    total: Decimal


def apply_tax(subtotal: Decimal, discount_total: Decimal, tax_rate: Decimal) -> Tax:
    """Tax on what the customer pays after discounts, rounded to cents, added to give the total."""
    taxable = subtotal - discount_total
    tax = to_cents(taxable * tax_rate)
    return Tax(tax_rate, taxable, tax, taxable + tax)


@dataclass(frozen=True)
class CategorySummary:
    products: int
    average_price: Decimal


@dataclass(frozen=True)
class CatalogueSummary:
    products: int
    currency: str
    min_price: Decimal
    max_price: Decimal
    average_price: Decimal
    by_category: dict[str, CategorySummary]


def average(amounts: Sequence[Decimal]) -> Decimal:
    return to_cents(sum(amounts, Decimal("0")) / len(amounts))


def summarise(products: Sequence[CatalogueProduct], currency: str) -> CatalogueSummary:
    """Min, max and average list price (in ``currency``, averaged over the converted prices a client
    sees), overall and per category. ``products`` must not be empty."""
    prices = {p.product_id: list_price(p, currency).final_price for p in products}
    by_category: dict[str, list[Decimal]] = defaultdict(list)
    for product in products:
        by_category[product.category].append(prices[product.product_id])
    return CatalogueSummary(
        products=len(products),
        currency=currency,
        min_price=min(prices.values()),
        max_price=max(prices.values()),
        average_price=average(list(prices.values())),
        by_category={
            category: CategorySummary(len(amounts), average(amounts))
            for category, amounts in sorted(by_category.items())
        },
    )
