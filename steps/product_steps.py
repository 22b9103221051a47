from decimal import Decimal

from behave import then, when
from hamcrest import assert_that, close_to, equal_to, has_entries, has_key, instance_of, is_not

from hello_dd.harness import expect


def _look_up(context, product, currency=None):
    headers = context.world.remembered.get("headers")
    context.world.gateway.product(product, headers=headers, currency=currency)


@when("a shopper looks up product {product:ProductId}")
@when("the shopper looks up product {product:ProductId}")
def look_up(context, product):
    _look_up(context, product)


@when("a shopper looks up product {product:ProductId} priced in {currency}")
def look_up_in_currency(context, product, currency):
    _look_up(context, product, currency)


@then("the product is shown with its stock and its price")
def shown_with_stock_and_price(context):
    exchange = context.world.answer
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(inventory=instance_of(dict), pricing=instance_of(dict)), exchange.describe())
    assert_that(exchange.body["inventory"], has_key("available"), "the inventory section has the stock level")
    assert_that(exchange.body["pricing"], has_key("finalPrice"), "the pricing section has the price")
    assert_that(exchange.body.get("degraded"), is_not(True), "the answer is complete, not a degraded fallback")


@then("the stock shown is what inventory-service holds for product {product:ProductId}")
def stock_matches_inventory(context, product):
    shown = context.world.answer.body["inventory"]
    held = context.world.inventory.stock(product)
    expect.status(held, 200)
    for field in ("productId", "available", "reserved", "inStock", "warehouse"):
        assert_that(shown.get(field), equal_to(held.body.get(field)), f"{field}: gateway {shown} vs inventory {held.body}")


@then("the price shown is what pricing-service holds for product {product:ProductId}")
def price_matches_pricing(context, product):
    shown = context.world.answer.body["pricing"]
    held = context.world.pricing.price(product)
    expect.status(held, 200)
    for field in ("productId", "basePrice", "finalPrice", "currency"):
        assert_that(shown.get(field), equal_to(held.body.get(field)), f"{field}: gateway {shown} vs pricing {held.body}")


@then("the product is shown as out of stock")
def out_of_stock(context):
    exchange = context.world.answer
    expect.status(exchange, 200)
    assert_that(exchange.body["inventory"], has_entries(available=0, inStock=False), exchange.describe())


@then("the price is shown in {currency}")
def price_in_currency(context, currency):
    exchange = context.world.answer
    expect.status(exchange, 200)
    pricing = exchange.body["pricing"]
    assert_that(pricing.get("currency"), equal_to(currency), exchange.describe())
    usd = context.world.pricing.price(exchange.body["productId"], "USD").body
    converted = context.world.pricing.http.get("/convert", params={"amount": usd["finalPrice"], "from": "USD", "to": currency})
    expect.status(converted, 200)
    assert_that(Decimal(str(pricing["finalPrice"])), close_to(Decimal(str(converted.body["converted"])), Decimal("0.01")))


@then("the shopper is told the product was not found")
def product_not_found(context):
    expect.error(context.world.answer, 404, "PRODUCT_NOT_FOUND")


@then("the answer carries the request's correlation id")
def answer_has_correlation_id(context):
    exchange = context.world.answer
    assert_that(exchange.correlation_id, expect.matches_regexp(expect.VALID_ID), exchange.describe())
    if exchange.error is not None:
        assert_that(exchange.body.get("correlationId"), equal_to(exchange.correlation_id), "correlationId in the error body")
