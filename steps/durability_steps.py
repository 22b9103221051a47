"""Durability: the gateway restarted or killed while customers and analysts use the shop, and what the
shop remembers afterwards. Restarts and crashes go through the provider (local processes or
containers) and are written down by harness.faults.chaos; the crash in the middle of many checkouts is
harness.checkout_crash."""

import time
import uuid

import requests
from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, is_in, is_not

from hello_dd.harness import expect
from hello_dd.harness.checkout_crash import CheckoutCrash
from hello_dd.harness.clients import order_lines
from hello_dd.harness.polling import poll
from hello_dd.topology import GATEWAY, INVENTORY, PRICING

FINALIZE = "POST /quotes/"  # POST /quotes/{quoteId}/finalize
# How long a customer waits for a checkout before giving up (seconds), and how much longer the final
# price is made to take: long enough to give up, short enough for the gateway's timeout towards pricing.
CUSTOMER_PATIENCE = 0.4
SLOW_FINALIZE_MS = 1000
# A report's stock figures come from inventory's stock list (GET /inventory?limit=...&offset=...).
STOCK_LIST = "GET /inventory?"
SLOW_STOCK_LIST_MS = 800


# -- a confirmed order and a restart ----------------------------------------------------------------


@when("the shop restarts")
def shop_restarts(context):
    context.world.chaos.restart(GATEWAY.name)


@then("the customer finds the same order, with the same total")
def finds_same_order(context):
    order = context.world.order
    exchange = context.world.gateway.order(order["orderId"])
    expect.status(exchange, 200)
    assert_that(exchange.body["total"], equal_to(order["total"]), exchange.describe())
    assert_that(exchange.body, equal_to(order), "the order after the restart, against its confirmation")


# -- a checkout tried again after a lost answer -----------------------------------------------------


@given("customer {customer:CustomerId} gave up waiting for the answer to an order of {lines:OrderLines}")
def gave_up_waiting(context, customer, lines):
    world = context.world
    body = {"items": order_lines(*lines), "customerId": customer}
    world.retried_checkout = {"key": str(uuid.uuid4()), "body": body}
    world.chaos.slow_requests(PRICING.name, SLOW_FINALIZE_MS, request_prefix=FINALIZE)
    try:
        exchange = world.gateway.http.post(
            "/api/v1/orders",
            json=body,
            headers={"Idempotency-Key": world.retried_checkout["key"]},
            timeout=CUSTOMER_PATIENCE,
        )
    except requests.Timeout:
        world.evidence.note("what the customer saw", f"no answer within {CUSTOMER_PATIENCE} s: the customer gave up")
        return
    raise AssertionError(f"the order was answered before the customer gave up:\n{exchange.describe()}")


@when("the customer tries the same order again")
def tries_again(context):
    first = context.world.retried_checkout
    context.world.gateway.http.post("/api/v1/orders", json=first["body"], headers={"Idempotency-Key": first["key"]})


@then("the customer has the one order the first try placed")
def the_first_tries_order(context):
    exchange = context.world.answer
    order = expect.confirmed_order(exchange)
    asked = context.world.retried_checkout["body"]["items"]
    assert_that(
        [{"productId": i["productId"], "quantity": i["quantity"]} for i in order["items"]],
        equal_to(asked),
        exchange.describe(),
    )
    replayed = {name.lower(): value for name, value in exchange.response_headers.items()}.get("idempotent-replayed")
    assert_that(
        replayed,
        equal_to("true"),
        f"the answer is the order of the first try, not a second one:\n{exchange.describe()}",
    )


# -- a crash in the middle of many checkouts --------------------------------------------------------


@when(
    "the shop crashes while {customers:d} customers each order {quantity:d} of product {product:ProductId},"
    " and they all try again once it is back"
)
def crash_mid_checkouts(context, customers, quantity, product):
    chaos = context.world.chaos
    storm = CheckoutCrash(context.world.provider.urls.gateway, product, customers, quantity=quantity)
    result = storm.run(crash=lambda: chaos.kill(GATEWAY.name), restart=lambda: chaos.start(GATEWAY.name))
    context.world.evidence.note("the crash", result.summary())
    context.world.storm = result
    assert_that(
        result.in_flight_at_crash,
        is_not(equal_to(0)),
        f"orders were in flight when the shop crashed: {result.summary()}",
    )


@then("every customer has exactly one order")
def one_order_each(context):
    assert_that(context.world.storm.problems(), empty(), context.world.storm.summary())


@then(
    "within {seconds:d} seconds the only units held for product {product:ProductId} are those of the {orders:d} orders"
)
def held_units_are_the_orders(context, seconds, product, orders):
    storm = context.world.storm
    assert_that(len(storm.orders), equal_to(orders), storm.summary())
    before = context.world.stock_before[product]
    units = orders * storm.quantity
    expected = {"available": before["available"] - units, "reserved": before["reserved"] + units}
    inventory = context.world.inventory
    poll(
        lambda: inventory.stock_levels(product),
        lambda now: now == expected,
        timeout=max(1.0, storm.back_at + seconds - time.monotonic()),
        interval=0.5,
        what=f"the stock of product {product} to hold the units of the {orders} orders and no more ({expected})",
    )


# -- a report across a restart ----------------------------------------------------------------------


@given("gathering stock figures for reports is slow")
def slow_stock_figures(context):
    context.world.chaos.slow_requests(INVENTORY.name, SLOW_STOCK_LIST_MS, request_prefix=STOCK_LIST)


@given("an analyst has requested an {report_type} report for {start} to {end}")
def has_requested_report(context, report_type, start, end):
    answer = context.world.gateway.request_report(report_type.strip().replace(" ", "_"), start, end)
    expect.status(answer, 202)
    context.world.job_id = answer.body["jobId"]


@when("the shop restarts before the report is ready")
def restarts_before_report(context):
    status = context.world.gateway.report_status(context.world.job_id)
    assert_that(
        status.body.get("status"), is_in(["queued", "running"]), f"the report was not ready yet:\n{status.describe()}"
    )
    context.world.chaos.restart(GATEWAY.name)
