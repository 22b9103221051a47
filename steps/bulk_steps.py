from behave import then, when
from hamcrest import assert_that, contains_inanyorder, equal_to, greater_than, has_entries, none, not_none

from hello_dd.harness import expect
from hello_dd.harness.bulk_order import product_order


def _results(context) -> dict:
    exchange = context.world.answer
    expect.status(exchange, 200)
    return {r["productId"]: r for r in exchange.body["results"]}


@when("a buyer checks the stock of products {products:ProductIds}")
def check_stock(context, products):
    context.world.remembered["requested"] = products
    context.world.gateway.bulk_check(products)


@when("a buyer checks the stock and prices of products {products:ProductIds}")
def check_stock_and_prices(context, products):
    context.world.remembered["requested"] = products
    context.world.gateway.bulk_check(products, include_pricing=True)


@when("a buyer checks more products than the bulk limit in one request")
def check_too_many(context):
    limit = int(context.config.userdata.get("bulk_max_ids", 200))
    context.world.remembered["limit"] = limit
    context.world.gateway.bulk_check([f"p{i}" for i in range(limit + 1)])


@when("a buyer checks {count:d} catalogue products, {size:d} per page, asking for page {page:d}")
def check_paged(context, count, size, page):
    listing = context.world.inventory.http.get("/inventory", params={"limit": count})
    expect.status(listing, 200)
    ids = [item["productId"] for item in listing.body["items"]]
    assert_that(len(ids), equal_to(count), "the catalogue has enough products for this check")
    context.world.remembered["requested"] = ids
    context.world.gateway.bulk_check(ids, page=page, page_size=size)


@then("there is one result for each of those products")
@then("there is one result for each of products {products:ProductIds}")
def one_result_each(context, products=None):
    wanted = products or context.world.remembered["requested"]
    ids = [r["productId"] for r in context.world.answer.body["results"]]
    assert_that(ids, contains_inanyorder(*dict.fromkeys(wanted)), "one result per distinct product, none missing or extra")


@then("the results are in product id order")
def in_order(context):
    ids = [r["productId"] for r in context.world.answer.body["results"]]
    assert_that(ids, equal_to(sorted(ids, key=product_order)), "results sorted by product id")


@then("product {product:ProductId} is reported out of stock")
def reported_out_of_stock(context, product):
    assert_that(_results(context)[product], has_entries(found=True, inStock=False, available=0))


@then("product {product:ProductId} is flagged as not found")
def flagged_not_found(context, product):
    assert_that(_results(context)[product], has_entries(found=False, error="PRODUCT_NOT_FOUND"))


@then("products {products:ProductIds} are reported with their stock")
def reported_with_stock(context, products):
    results = _results(context)
    for product in products:
        assert_that(results[product], has_entries(found=True, available=greater_than(-1)), f"product {product}")


@then("the check reports {count:d} duplicate")
@then("the check reports {count:d} duplicates")
def duplicates(context, count):
    assert_that(context.world.answer.body["summary"], has_entries(duplicates=count))


@then("product {product:ProductId} is reported with its price")
def with_price(context, product):
    result = _results(context)[product]
    listed = context.world.pricing.price(product).body
    assert_that(result.get("pricing"), not_none(), f"product {product}: {result}")
    assert_that(result["pricing"]["finalPrice"], equal_to(listed["finalPrice"]), "the price pricing-service holds")


@then("product {product:ProductId} is reported without a price")
def without_price(context, product):
    assert_that(_results(context)[product].get("pricing"), none())


@then("the check is refused because the batch is too large")
def refused_too_large(context):
    error = expect.error(context.world.answer, 400, "BATCH_TOO_LARGE")
    limit = context.world.remembered["limit"]
    assert_that(str(limit) in error["message"], equal_to(True), f"the message states the limit of {limit}: {error}")


@then("page {page:d} of {pages:d} holds the last {count:d} products")
def page_holds(context, page, pages, count):
    body = context.world.answer.body
    expect.status(context.world.answer, 200)
    assert_that(body["pagination"], has_entries(page=page, totalPages=pages, totalResults=len(context.world.remembered["requested"])))
    expected = sorted(context.world.remembered["requested"], key=product_order)[-count:]
    assert_that([r["productId"] for r in body["results"]], equal_to(expected))
