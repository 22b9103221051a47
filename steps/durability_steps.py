"""Steps of the durability feature: the gateway restarted or killed while shoppers and the team use the
shop, and what the shop remembers afterwards. The restarts go through the provider (local processes
or containers); the crash storm is harness.checkout_crash."""

import time
import uuid

import requests
from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, has_entries, has_key, is_in, is_not

from hello_dd.harness import expect
from hello_dd.harness.checkout_crash import CheckoutCrash
from hello_dd.harness.faults.chaos import Chaos
from hello_dd.harness.polling import poll

GATEWAY = "api-gateway"
# How long a shopper waits for a checkout before giving up (seconds), and how long the checkout is
# made to take: long enough to give up, short enough for the gateway's timeout towards pricing.
SHOPPER_PATIENCE = 0.4
SLOW_FINALIZE_MS = 1000
# The report's stock figures come from inventory's stock list (GET /inventory?limit=...).
STOCK_LIST = "GET /inventory?"
SLOW_STOCK_LIST_MS = 800
SETTLE_SECONDS = 60


def _chaos(context) -> Chaos:
    return Chaos.of(context.world)


def _checkout(product, quantity, customer="cust-789"):
    return {"items": [{"productId": product, "quantity": quantity}], "customerId": customer}


# -- a confirmed order and a restart ----------------------------------------------------------------


@given('customer "{customer}" has a confirmed order for {quantity:d} units of product {product:ProductId}')
def confirmed_order(context, customer, quantity, product):
    exchange = context.world.gateway.place_order([{"productId": product, "quantity": quantity}], customer)
    expect.status(exchange, 201)
    assert_that(exchange.body, has_entries(status="confirmed"), exchange.describe())
    context.world.remembered["order"] = exchange.body


@when("the shop restarts")
def shop_restarts(context):
    _chaos(context).restart(GATEWAY)


@then("the shopper's order reads back as confirmed, with the same total")
def order_reads_back(context):
    order = context.world.remembered["order"]
    exchange = context.world.gateway.http.get(f"/api/v1/orders/{order['orderId']}")
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(status="confirmed", total=order["total"]), exchange.describe())
    assert_that(exchange.body, equal_to(order), "the order after the restart, compared with the confirmation")


# -- a checkout tried again after a lost answer -----------------------------------------------------


@given("the shopper's checkout of {quantity:d} unit of product {product:ProductId} takes so long that the shopper gives up waiting")
def shopper_gives_up(context, quantity, product):
    world = context.world
    key, body = str(uuid.uuid4()), _checkout(product, quantity)
    world.remembered["retry"] = {"key": key, "body": body}
    _chaos(context).slow_requests("pricing-service", SLOW_FINALIZE_MS, request_prefix="POST /quotes/")
    try:
        exchange = world.gateway.http.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key}, timeout=SHOPPER_PATIENCE)
    except requests.Timeout:
        world.evidence.note("caller saw", f"no answer within {SHOPPER_PATIENCE} s: the shopper gave up (key {key})")
        return
    raise AssertionError(f"the checkout answered before the shopper gave up:\n{exchange.describe()}")


@when("the shopper tries the same checkout again")
def tries_again(context):
    retry = context.world.remembered["retry"]
    context.world.gateway.http.post("/api/v1/orders", json=retry["body"], headers={"Idempotency-Key": retry["key"]})


@then("the shopper has exactly one order for {quantity:d} unit of product {product:ProductId}")
def exactly_one_order(context, quantity, product):
    exchange = context.world.answer
    expect.status(exchange, 201)
    assert_that([(i["productId"], i["quantity"]) for i in exchange.body["items"]], equal_to([(product, quantity)]), exchange.describe())
    # The order the shopper got is the one the first try placed, not a second one.
    replayed = {name.lower(): value for name, value in exchange.response_headers.items()}.get("idempotent-replayed")
    assert_that(replayed, equal_to("true"), f"the answer is the first try's order:\n{exchange.describe()}")


@then("the stock of product {product:ProductId} went down by {units:d} unit, once")
def stock_went_down_once(context, product, units):
    before = context.world.remembered["stock"][product]
    expected = {"available": before["available"] - units, "reserved": before["reserved"] + units}
    assert_that(context.world.inventory.stock_levels(product), equal_to(expected), f"stock of product {product} before: {before}")


# -- a crash in the middle of many checkouts --------------------------------------------------------


@when(
    "the shop crashes while {shoppers:d} shoppers each check out {quantity:d} unit of product {product:ProductId},"
    " and they all try again once it is back"
)
def crash_mid_checkouts(context, shoppers, quantity, product):
    chaos = _chaos(context)
    storm = CheckoutCrash(context.world.provider.urls.gateway, product, shoppers, quantity=quantity)
    result = storm.run(crash=lambda: chaos.kill(GATEWAY), restart=lambda: chaos.start(GATEWAY))
    context.world.evidence.note("the crash", result.summary())
    context.world.remembered["storm"] = result
    assert_that(result.in_flight_at_crash, is_not(equal_to(0)), f"checkouts were in flight when the shop crashed: {result.summary()}")


@then("every shopper has exactly one order")
def every_shopper_one_order(context):
    result = context.world.remembered["storm"]
    assert_that(result.problems(), empty(), result.summary())


@then("within {seconds:d} seconds every unit held for product {product:ProductId} belongs to a confirmed order")
def held_units_belong_to_orders(context, seconds, product):
    result = context.world.remembered["storm"]
    before = context.world.remembered["stock"][product]
    units = len(result.orders) * result.quantity
    expected = {"available": before["available"] - units, "reserved": before["reserved"] + units}
    inventory = context.world.inventory
    poll(
        lambda: inventory.stock_levels(product),
        lambda now: now == expected,
        timeout=max(1.0, result.back_at + seconds - time.monotonic()),
        interval=0.5,
        what=f"the units held for product {product} to be those of the {len(result.orders)} confirmed orders ({expected})",
    )


# -- a report across a restart ----------------------------------------------------------------------


@given("gathering stock figures for reports is slow")
def slow_stock_figures(context):
    _chaos(context).slow_requests("inventory-service", SLOW_STOCK_LIST_MS, request_prefix=STOCK_LIST)


@given("the team has asked for an {report} report")
def team_asked(context, report):
    report_type = report.replace(" ", "_")
    exchange = context.world.gateway.request_report(report_type, "2026-01-01", "2026-12-31")
    expect.status(exchange, 202)
    context.world.remembered["job"] = exchange.body["jobId"]
    context.world.remembered["report_type"] = report_type


@when("the shop restarts before the report is ready")
def restart_before_report(context):
    job_id = context.world.remembered["job"]
    status = context.world.gateway.report_status(job_id)
    assert_that(status.body.get("status"), is_in(["queued", "running"]), f"the report was not ready yet:\n{status.describe()}")
    _chaos(context).restart(GATEWAY)


@then("the team receives the {report} report")
def team_receives(context, report):
    exchange = context.world.gateway.wait_for_report(context.world.remembered["job"], timeout=30)
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(status="completed", reportType=report.replace(" ", "_")), exchange.describe())
    assert_that(exchange.body["result"], has_key("products"), exchange.describe())
