"""Product pages (pattern 1): what a shopper sees, compared with what the services hold."""

from behave import then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness import expect


@when("a shopper looks up product {product:ProductId}")
def look_up(context, product):
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


@then("the price is shown in {currency}, converted from the dollar price at the published rate")
def price_in_currency(context, currency):
    shown = expect.served_in_full(context.world.answer)
    expect.converted_price(shown["pricing"], context.world.pricing, shown["productId"], currency)


@then("the shopper is told the product was not found, with a reference to quote to support")
def product_not_found(context):
    expect.error(context.world.answer, 404, "PRODUCT_NOT_FOUND")
    expect.carries_correlation_id(context.world.answer)
