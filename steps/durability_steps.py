"""Durability: the gateway restarted or killed while customers and analysts use the shop, and what the
shop remembers afterwards. Restarts and crashes go through the provider (local processes or
containers) and are written down by harness.chaos; the crash in the middle of many checkouts is
harness.checkout_crash. Requests sent again with their Idempotency-Key need no control of the stack:
the stock they take is read from the gateway's product query, so they run on any deployment."""

import time
import uuid

import requests
from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, has_key, has_length, is_in, is_not

from hello_dd.harness import expect
from hello_dd.harness.checkout_crash import CheckoutCrash
from hello_dd.harness.clients import at_once, order_lines
from hello_dd.harness.exchange import Exchange
from hello_dd.polling import poll
from hello_dd.topology import GATEWAY, INVENTORY, PRICING

FINALIZE = "POST /quotes/"  # POST /quotes/{quoteId}/finalize
# How long a customer waits for a checkout before giving up (seconds), and how much longer the final
# price is made to take: long enough to give up, short enough for the gateway's timeout towards pricing.
CUSTOMER_PATIENCE = 0.4
SLOW_FINALIZE_MS = 1000
# A report's stock figures come from inventory's stock list (GET /inventory?limit=...&offset=...).
STOCK_LIST = "GET /inventory?"
SLOW_STOCK_LIST_MS = 800
# "In stock" for a scenario that sends one order many times: enough units that a gateway placing it
# more than once is seen taking more, not refused for lack of stock.
ENOUGH_UNITS = 10


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


@given("customer {customer:CustomerId} gave up waiting: pricing-service held up an order of {lines:OrderLines}")
def gave_up_waiting(context, customer, lines):
    world = context.world
    body = {"items": order_lines(*lines), "customerId": customer}
    world.retried_checkout = {"key": str(uuid.uuid4()), "body": body}
    world.chaos.slow_requests(PRICING.name, SLOW_FINALIZE_MS, request_prefix=FINALIZE)
    try:
        exchange = world.gateway.place_order(
            body["items"], customer, idempotency_key=world.retried_checkout["key"], timeout=CUSTOMER_PATIENCE
        )
    except requests.Timeout:
        world.evidence.note("what the customer saw", f"no answer within {CUSTOMER_PATIENCE} s: the customer gave up")
        return
    raise AssertionError(f"the order was answered before the customer gave up:\n{exchange.describe()}")


@when("the customer tries the same order again")
def tries_again(context):
    first = context.world.retried_checkout
    context.world.gateway.send_order(first["body"], idempotency_key=first["key"])


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
    # That it is the first try's order, not a second one, shows in the stock (the next step): the contract
    # requires no header saying an answer was replayed.


# -- requests sent again with their idempotency key -------------------------------------------------


def _send_order(context, lines=None) -> Exchange:
    """The checkout the customer sent first (or the same customer's order of ``lines``) with its key."""
    first = context.world.retried_checkout
    items = order_lines(*lines) if lines else first["body"]["items"]
    return context.world.gateway.place_order(items, first["body"]["customerId"], idempotency_key=first["key"])


def _one_made(answers: list[Exchange], created: int, id_field: str, what: str) -> str:
    """Every answer is ``created`` naming one and the same ``id_field``, or a 409 error saying the first
    request with the key is still in progress (the contract's dur-idempotent); returns that id."""
    statuses = sorted(answer.status for answer in answers)
    made = [answer for answer in answers if answer.status == created]
    assert_that(made, expect.not_empty(), f"at least one answer is the {what}; statuses: {statuses}")
    ids = {answer.body.get(id_field) for answer in made}
    assert_that(ids, has_length(1), f"the {created} answers name one {what}; statuses: {statuses}")
    for answer in answers:
        if answer.status != created:
            assert_that(answer.status, equal_to(409), f"the {what} or 'still in progress':\n{answer.describe()}")
            assert_that(answer.body, has_key("error"), answer.describe())
    return ids.pop()


@given("product {product:ProductId} is in stock")
def in_stock(context, product):
    units = context.world.gateway.available_units(product)
    expect.precondition(
        context, units >= ENOUGH_UNITS, f"product {product} has {units} units, fewer than {ENOUGH_UNITS}"
    )
    context.world.available_before[product] = units


@given("customer {customer:CustomerId} has ordered {lines:OrderLines} with an idempotency key")
def ordered_with_key(context, customer, lines):
    world = context.world
    world.retried_checkout = {"key": str(uuid.uuid4()), "body": {"items": order_lines(*lines), "customerId": customer}}
    world.order = expect.confirmed_order(_send_order(context))


@when("the customer sends the same order again with the same key")
def same_order_same_key(context):
    _send_order(context)


@when("the customer sends an order of {lines:OrderLines} with the same key")
def other_order_same_key(context, lines):
    _send_order(context, lines)


@when("customer {customer:CustomerId}'s order of {lines:OrderLines} arrives {times:d} times at once with one key")
def order_at_once(context, customer, lines, times):
    world = context.world
    key = str(uuid.uuid4())
    world.answers = at_once(
        times, lambda _: world.gateway.place_order(order_lines(*lines), customer, idempotency_key=key)
    )
    world.evidence.note("what the customer was told", f"{times} answers: {sorted(a.status for a in world.answers)}")


@when("an analyst's request for an {report_type} report arrives {times:d} times at once with one key")
def report_at_once(context, report_type, times):
    world = context.world
    key = str(uuid.uuid4())
    kind = report_type.strip().replace(" ", "_")
    world.answers = at_once(
        times, lambda _: world.gateway.request_report(kind, "2024-01-01", "2024-12-31", idempotency_key=key)
    )
    world.evidence.note("what the analyst was told", f"{times} answers: {sorted(a.status for a in world.answers)}")


@then("the customer is given the order the first one placed")
def given_first_order(context):
    exchange = context.world.answer
    order = expect.confirmed_order(exchange)
    first = context.world.order
    assert_that(order["orderId"], equal_to(first["orderId"]), f"the first order again:\n{exchange.describe()}")
    assert_that(order["total"], equal_to(first["total"]), exchange.describe())


@then("the order is refused because its key belongs to another order")
def refused_key_reused(context):
    exchange = context.world.answer
    assert_that(exchange.status // 100, equal_to(4), f"a 4xx refusal:\n{exchange.describe()}")
    assert_that(exchange.body, has_key("error"), exchange.describe())


@then("every answer is the same order, or says that order is still being placed")
def one_order_made(context):
    _one_made(context.world.answers, 201, "orderId", "order")


@then("every answer is the same report job, or says that job is still being started")
def one_job_made(context):
    _one_made(context.world.answers, 202, "jobId", "report job")


@then("{units:d} units of product {product:ProductId} were taken from the stock, once")
@then("{units:d} unit of product {product:ProductId} was taken from the stock, once")
def taken_once(context, units, product):
    before = context.world.available_before[product]
    now = context.world.gateway.available_units(product)
    assert_that(now, equal_to(before - units), f"units of product {product} in stock (was {before})")


# -- a crash in the middle of many checkouts --------------------------------------------------------


@when(
    "the shop crashes while {customers:d} customers order {quantity:d} of product {product:ProductId},"
    " and each tries again"
)
def crash_mid_checkouts(context, customers, quantity, product):
    chaos = context.world.chaos
    crash = CheckoutCrash(context.world.provider.urls.gateway, product, customers, quantity=quantity)
    result = crash.run(crash=lambda: chaos.kill(GATEWAY.name), restart=lambda: chaos.start(GATEWAY.name))
    context.world.evidence.note("the crash", result.summary())
    context.world.crashed_checkouts = result
    assert_that(
        result.in_flight_at_crash,
        is_not(equal_to(0)),
        f"orders were in flight when the shop crashed: {result.summary()}",
    )


@then("every customer has exactly one order")
def one_order_each(context):
    assert_that(context.world.crashed_checkouts.problems(), empty(), context.world.crashed_checkouts.summary())


@then(
    "within {seconds:d} seconds the only units held for product {product:ProductId} are those of the {orders:d} orders"
)
def held_units_are_the_orders(context, seconds, product, orders):
    outcome = context.world.crashed_checkouts
    assert_that(len(outcome.orders), equal_to(orders), outcome.summary())
    before = context.world.stock_before[product]
    units = orders * outcome.quantity
    expected = {"available": before["available"] - units, "reserved": before["reserved"] + units}
    inventory = context.world.inventory
    poll(
        lambda: inventory.stock_levels(product),
        lambda now: now == expected,
        timeout=max(1.0, outcome.back_at + seconds - time.monotonic()),
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
