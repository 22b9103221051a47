"""The pricing rules on their own: rounding, conversion, list prices, discounts, tax, the summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hello_dd.services.catalog import BY_ID, CATALOGUE
from hello_dd.services.pricing import pricebook
from hello_dd.services.pricing.errors import InvalidDiscountCode, UnsupportedCurrency

D = Decimal


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.125", "0.13"), ("0.124", "0.12"), ("0.005", "0.01"), ("2.675", "2.68"), ("-0.125", "-0.13"), ("7", "7.00")],
)
def test_amounts_round_half_up_to_cents(amount, cents):
    assert pricebook.to_cents(D(amount)) == D(cents)


@pytest.mark.parametrize(("given", "canonical"), [("USD", "USD"), ("eur", "EUR"), (" gbp ", "GBP"), ("JPY", "JPY")])
def test_supported_currencies_are_accepted_in_any_case(given, canonical):
    assert pricebook.check_currency(given) == canonical


@pytest.mark.parametrize("code", ["XXX", "", "US", "DOGE"])
def test_unsupported_currencies_are_refused_with_the_supported_list(code):
    with pytest.raises(UnsupportedCurrency) as refused:
        pricebook.check_currency(code)
    assert refused.value.status == 400
    assert refused.value.code == "UNSUPPORTED_CURRENCY"
    assert refused.value.details["supported"] == ["USD", "EUR", "GBP", "JPY"]


@pytest.mark.parametrize(
    ("amount", "source", "target", "expected"),
    [
        ("10", "USD", "EUR", "9.20"),
        ("29.99", "USD", "JPY", "4543.49"),  # 4543.485 rounds up
        ("29.99", "USD", "GBP", "23.69"),  # 23.6921
        ("9.20", "EUR", "USD", "10.00"),
        ("10", "EUR", "GBP", "8.59"),  # 10 * 0.79 / 0.92 = 8.5869...
        ("151.5", "JPY", "USD", "1.00"),
        ("12.34", "GBP", "GBP", "12.34"),
    ],
)
def test_conversion_uses_the_fixed_rates_and_rounds_once(amount, source, target, expected):
    assert pricebook.convert(D(amount), source, target) == D(expected)


def test_cross_rate_is_target_units_per_source_unit():
    assert pricebook.cross_rate("USD", "JPY") == D("151.5")
    assert pricebook.cross_rate("EUR", "GBP") == D("0.79") / D("0.92")


def test_a_list_price_keeps_the_usd_base_and_converts_the_final_price():
    price = pricebook.list_price(BY_ID["123"], "EUR")
    assert price == pricebook.ListPrice("123", D("29.99"), "EUR", D("0"), D("27.59"))


def test_a_usd_list_price_has_no_discount():
    price = pricebook.list_price(BY_ID["456"], "USD")
    assert (price.base_price, price.discount_percent, price.final_price) == (D("49.99"), 0, D("49.99"))


@pytest.mark.parametrize(("quantity", "volume"), [(1, "0.00"), (9, "0.00"), (10, "15.00"), (11, "16.49")])
def test_lines_of_ten_or_more_units_get_five_percent_off(quantity, volume):
    line = pricebook.price_line("123", quantity, D("29.99"))
    assert line.line_total == pricebook.to_cents(D("29.99") * quantity)
    assert line.volume_discount == D(volume)  # 11 x 29.99 = 329.89; 5% = 16.4945 -> 16.49


def test_an_order_without_discounts_is_just_its_lines():
    totals = pricebook.price_order([("123", 2, D("29.99")), ("456", 1, D("49.99"))], None, "USD")
    assert [line.line_total for line in totals.lines] == [D("59.98"), D("49.99")]
    assert (totals.subtotal, totals.discounts, totals.discount_total) == (D("109.97"), [], D("0.00"))


def test_volume_discounts_of_all_lines_make_one_volume_entry():
    totals = pricebook.price_order([("123", 10, D("29.99")), ("303", 20, D("4.50"))], None, "USD")
    assert [d.code for d in totals.discounts] == ["VOLUME"]
    assert totals.discounts[0].amount == D("15.00") + D("4.50")
    assert totals.discount_total == D("19.50")


def test_save10_takes_ten_percent_of_the_subtotal_after_volume():
    totals = pricebook.price_order([("123", 10, D("29.99")), ("456", 1, D("49.99"))], "SAVE10", "USD")
    assert totals.subtotal == D("349.89")
    assert [(d.code, d.amount) for d in totals.discounts] == [("VOLUME", D("15.00")), ("SAVE10", D("34.99"))]
    assert totals.discount_total == D("49.99")


def test_welcome5_takes_five_dollars_off():
    totals = pricebook.price_order([("456", 1, D("49.99"))], "WELCOME5", "USD")
    assert [(d.code, d.amount) for d in totals.discounts] == [("WELCOME5", D("5.00"))]


def test_welcome5_never_takes_a_quote_below_zero():
    totals = pricebook.price_order([("303", 1, D("4.50"))], "WELCOME5", "USD")
    assert totals.discount_total == totals.subtotal == D("4.50")


def test_welcome5_is_worth_five_dollars_in_every_currency():
    eur = pricebook.price_order([("456", 1, D("45.99"))], "WELCOME5", "EUR")
    jpy = pricebook.price_order([("456", 1, D("7573.49"))], "WELCOME5", "JPY")
    assert eur.discount_total == D("4.60")
    assert jpy.discount_total == D("757.50")


@pytest.mark.parametrize(("given", "canonical"), [("SAVE10", "SAVE10"), ("welcome5", "WELCOME5")])
def test_discount_codes_are_case_insensitive(given, canonical):
    assert pricebook.check_discount_code(given) == canonical


@pytest.mark.parametrize("code", ["SAVE20", "", "SAVE 10"])
def test_unknown_discount_codes_are_refused(code):
    with pytest.raises(InvalidDiscountCode) as refused:
        pricebook.check_discount_code(code)
    assert (refused.value.status, refused.value.code) == (400, "INVALID_DISCOUNT_CODE")


def test_tax_is_on_the_discounted_amount_rounded_to_cents():
    tax = pricebook.apply_tax(D("349.89"), D("49.99"), D("0.0825"))
    assert tax == pricebook.Tax(D("0.0825"), D("299.90"), D("24.74"), D("324.64"))  # 24.74175


def test_tax_rounds_half_up():
    tax = pricebook.apply_tax(D("10.00"), D("0"), D("0.0825"))  # 0.825 exactly
    assert (tax.tax, tax.total) == (D("0.83"), D("10.83"))


def test_a_fully_discounted_quote_pays_no_tax():
    tax = pricebook.apply_tax(D("4.50"), D("4.50"), D("0.0825"))
    assert (tax.taxable_amount, tax.tax, tax.total) == (D("0.00"), D("0.00"), D("0.00"))


def test_the_summary_covers_every_product_and_category():
    summary = pricebook.summarise(CATALOGUE, "USD")
    assert summary.products == len(CATALOGUE)
    assert summary.min_price == min(p.base_price for p in CATALOGUE)
    assert summary.max_price == max(p.base_price for p in CATALOGUE)
    assert sum(c.products for c in summary.by_category.values()) == len(CATALOGUE)
    assert set(summary.by_category) == {p.category for p in CATALOGUE}


def test_the_summary_averages_converted_prices():
    products = [BY_ID["101"], BY_ID["303"], BY_ID["404"]]  # 12.50, 4.50, 14.25 USD
    summary = pricebook.summarise(products, "EUR")  # 11.50, 4.14, 13.11
    assert (summary.min_price, summary.max_price) == (D("4.14"), D("13.11"))
    assert summary.average_price == D("9.58")  # 28.75 / 3 = 9.5833
    assert summary.by_category["office"] == pricebook.CategorySummary(1, D("13.11"))
