"""Product pages (pattern 1): what a shopper sees, compared with what the services hold."""

from decimal import Decimal

from behave import given, then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness import expect


@when("a shopper looks up product {product:ProductId}")
@when("a shopper looks up the {name} (product {product:ProductId})")
def look_up(context, product, name=None):
    context.world.gateway.product(product, headers=context.world.caller_headers)


@when("a shopper looks up product {product:ProductId} priced in {currency}")
def look_up_in_currency(context, product, currency):
    context.world.gateway.product(product, headers=context.world.caller_headers, currency=currency)


@then("the product is shown with its stock and its price")
def shown_with_stock_and_price(context):
    expect.served_in_full(context.world.answer)


@then("the page shows the stock inventory-service holds for product {product:ProductId}")
def stock_as_inventory_holds(context, product):
    shown = expect.served_in_full(context.world.answer)["inventory"]
    held = context.world.inventory.stock(product)
    expect.same_fields(shown, held, ("productId", "available", "reserved", "inStock", "warehouse"))


@then("the page shows the price pricing-service holds for product {product:ProductId}")
def price_as_pricing_holds(context, product):
    shown = expect.served_in_full(context.world.answer)["pricing"]
    held = context.world.pricing.price(product)
    expect.same_fields(shown, held, ("productId", "basePrice", "finalPrice", "currency"))


@then("the product is shown as out of stock")
def out_of_stock(context):
    inventory = expect.served_in_full(context.world.answer)["inventory"]
    assert_that((inventory["available"], inventory["inStock"]), equal_to((0, False)), f"the stock shown: {inventory}")


@given("product {product:ProductId} sells at {price:Money} and pricing-service converts dollars at {rate} euros each")
def converts_at(context, product, price, rate):
    listed = context.world.pricing.price(product)
    expect.status(listed, 200)
    published = context.world.pricing.currencies()
    expect.status(published, 200)
    held = (Decimal(str(listed.body["finalPrice"])), Decimal(str(published.body["rates"]["EUR"])))
    expect.precondition(
        context,
        held == (price, Decimal(rate)),
        f"this example needs ${price} at {rate} EUR per dollar; the stack has ${held[0]} at {held[1]}",
    )


@then("the price is shown as {amount} {currency}")
def price_shown_as(context, amount, currency):
    shown = expect.served_in_full(context.world.answer)
    assert_that(
        (shown["pricing"].get("currency"), Decimal(str(shown["pricing"]["finalPrice"]))),
        equal_to((currency, Decimal(amount))),
        f"the price shown: {shown['pricing']}",
    )
    expect.converted_price(shown["pricing"], context.world.pricing, shown["productId"], currency)


@then("the shopper is told the product was not found, with a reference to quote to support")
def product_not_found(context):
    expect.error(context.world.answer, 404, "PRODUCT_NOT_FOUND")
    expect.carries_correlation_id(context.world.answer)
