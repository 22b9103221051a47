"""Bulk checks (pattern 3): one result per product, in order, bounded, paged, and partial failures."""

from behave import given, then, when
from hamcrest import assert_that, contains_inanyorder, equal_to, greater_than, has_entries, is_not, none, not_none

from hello_dd.harness import expect
from hello_dd.harness.bulk_order import chunk_holding, product_order
from hello_dd.harness.policy import check_stated
from hello_dd.topology import INVENTORY

BULK_CHECK = "POST /inventory/bulk"


def _results(context) -> dict:
    expect.status(context.world.answer, 200)
    return {r["productId"]: r for r in context.world.answer.body["results"]}


def _check(context, products, **options):
    context.world.requested = products
    context.world.gateway.bulk_check(products, **options)


@given("inventory-service fails whenever it is asked about product {product:ProductId}")
def fails_for_product(context, product):
    context.world.chaos.reset(INVENTORY.name, request_prefix=BULK_CHECK, containing=f'"{product}"')


@when("a buyer checks the stock of products {products:ProductIds}")
def check_stock(context, products):
    _check(context, products)


@when("a buyer checks the stock and prices of products {products:ProductIds}")
def check_stock_and_prices(context, products):
    _check(context, products, include_pricing=True)


@when("a buyer checks the stock and prices of {count:d} catalogue products")
def check_catalogue_with_prices(context, count):
    _check(context, context.world.inventory.catalogue_ids(count), include_pricing=True)


@when("a buyer checks {count:d} products at once, against a limit of {limit:d}")
def check_too_many(context, count, limit):
    check_stated(context, "bulk_max_ids", limit)
    _check(context, [f"p{i}" for i in range(count)])


@when("a buyer checks the first {count:d} catalogue products, in chunks of {size:d}")
def check_catalogue_in_chunks(context, count, size):
    check_stated(context, "bulk_chunk_size", size)
    _check(context, context.world.inventory.catalogue_ids(count))


@when("a buyer checks the first {count:d} catalogue products, {size:d} per page, asking for page {page:d}")
def check_paged(context, count, size, page):
    _check(context, context.world.inventory.catalogue_ids(count), page=page, page_size=size)


@then("there is one result for each of those products, in product order")
def one_result_each_in_order(context):
    ids = [r["productId"] for r in context.world.answer.body["results"]]
    assert_that(
        ids,
        equal_to(sorted(dict.fromkeys(context.world.requested), key=product_order)),
        "one result per product, sorted",
    )


@then("there is one result for each of products {products:ProductIds}, and {count:d} duplicate is reported")
def one_result_each_and_duplicates(context, products, count):
    ids = [r["productId"] for r in context.world.answer.body["results"]]
    assert_that(ids, contains_inanyorder(*products), "one result per distinct product, none missing or extra")
    assert_that(context.world.answer.body["summary"], has_entries(duplicates=count))


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


@then("product {product:ProductId} is reported with its price")
def with_price(context, product):
    result = _results(context)[product]
    assert_that(result.get("pricing"), not_none(), f"product {product}: {result}")
    expect.same_fields(result["pricing"], context.world.pricing.price(product), ("finalPrice",))


@then("product {product:ProductId} is reported without a price")
def without_price(context, product):
    assert_that(_results(context)[product].get("pricing"), none())


@then("the check is refused as too large, stating the limit of {limit:d}")
def refused_too_large(context, limit):
    error = expect.error(context.world.answer, 400, "BATCH_TOO_LARGE")
    assert_that(str(limit) in error["message"], equal_to(True), f"the message states the limit of {limit}: {error}")


@then("page {page:d} of {pages:d} holds the last {count:d} products")
def page_holds(context, page, pages, count):
    body = context.world.answer.body
    expect.status(context.world.answer, 200)
    assert_that(body["pagination"], has_entries(page=page, totalPages=pages, totalResults=len(context.world.requested)))
    expected = sorted(context.world.requested, key=product_order)[-count:]
    assert_that([r["productId"] for r in body["results"]], equal_to(expected))


@then("the check is answered as partial")
def answered_partial(context):
    expect.status(context.world.answer, 200)
    assert_that(context.world.answer.body, has_entries(partial=True), context.world.answer.describe())


@then(
    "the {size:d} products checked with product {product:ProductId} are flagged as not checked;"
    " the {others:d} others are answered"
)
def chunk_flagged(context, size, product, others):
    results = _results(context)
    failing = chunk_holding(context.world.requested, product, context.world.policy.bulk_chunk_size)
    context.world.evidence.note(f"the chunk {INVENTORY.name} failed for", ", ".join(failing))
    assert_that((len(failing), len(results) - len(failing)), equal_to((size, others)), "products failed and answered")
    for pid, result in results.items():
        if pid in failing:
            assert_that(
                result, has_entries({"found": False, "error": not_none()}), f"product {pid}, checked with {product}"
            )
            assert_that(result["error"], is_not(equal_to("PRODUCT_NOT_FOUND")), f"product {pid} is not unknown")
        else:
            assert_that(result, has_entries(found=True, available=greater_than(-1)), f"product {pid}")
