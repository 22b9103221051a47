"""Real faults (resilience and chaos features): services stopped, the path from the gateway to a
dependency slowed, refused or reset through the provider's fault proxy, and what callers and the stock
show afterwards. Every action is written down for the report by harness.chaos."""

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than_or_equal_to, has_entries, less_than

from hello_dd.harness import expect
from hello_dd.harness.clients import order_lines
from hello_dd.harness.policy import check_stated
from hello_dd.polling import poll
from hello_dd.topology import INVENTORY, PRICING

FINALIZE = "POST /quotes/"  # POST /quotes/{quoteId}/finalize (creating a quote is "POST /quotes ")
RESERVE = "POST /reservations "
RELEASE = "POST /reservations/"  # POST /reservations/{id}/release
READ = "GET /"


# -- faults -----------------------------------------------------------------------------------------


@given("{service:Service} has been stopped")
def stopped(context, service):
    context.world.chaos.stop(service)


@given("{service:Service} was stopped while shoppers looked up product {product:ProductId}")
def stopped_while_looked_up(context, service, product):
    context.world.chaos.stop(service)
    context.world.chaos.saw("a shopper while it was stopped", context.world.gateway.product(product))


@when("{service:Service} is started again")
def started(context, service):
    context.world.chaos.start(service)


@given("{service:Service} has been cut off from the network")
def cut_off(context, service):
    context.world.chaos.disconnect(service)


@given("the network between the gateway and {service:Service} adds {ms:d} ms")
def network_latency(context, service, ms):
    context.world.chaos.slow_answers(service, ms)


@given("{service:Service} refuses every connection from the gateway")
def refuses(context, service):
    context.world.chaos.refuse(service)


@given("the next read from {service:Service} loses its connection on {resets:d} of its {attempts:d} attempts")
def reads_reset(context, service, resets, attempts):
    world = context.world
    check_stated(context, "retry_attempts", attempts)
    check_stated(context, "retries", resets)
    world.injected_resets = resets
    world.proxy_counts_before[service] = world.provider.fault_report(service)
    world.chaos.reset(service, count=world.injected_resets, request_prefix=READ)


@given("inventory-service's answer to the next reservation is lost on the way back")
def reservation_answer_lost(context):
    context.world.proxy_counts_before[INVENTORY.name] = context.world.provider.fault_report(INVENTORY.name)
    context.world.chaos.reset(INVENTORY.name, count=1, request_prefix=RESERVE, after_forwarding=True)


@given("pricing-service cannot be reached to finalize prices")
def finalize_unreachable(context):
    context.world.chaos.reset(PRICING.name, request_prefix=FINALIZE)


@given("inventory-service cannot be reached to give reserved stock back")
def release_unreachable(context):
    context.world.chaos.reset(INVENTORY.name, request_prefix=RELEASE)


# -- what callers do --------------------------------------------------------------------------------


@when("customer {customer:CustomerId} orders {lines:OrderLines} and pricing-service dies while finalizing its price")
def order_while_pricing_dies(context, customer, lines):
    world = context.world
    answer = world.chaos.stop_during(
        PRICING.name, FINALIZE, lambda: world.gateway.place_order(order_lines(*lines), customer)
    )
    world.chaos.saw("the customer", answer)


# -- what the caller saw ----------------------------------------------------------------------------


@then("the shopper is told within {seconds:d} second that {service:Service} is unavailable")
def told_unavailable_quickly(context, seconds, service):
    exchange = context.world.answer
    context.world.chaos.saw("the shopper", exchange)
    error = expect.error(exchange, 503, "DEPENDENCY_UNAVAILABLE")
    assert_that(error.get("details"), has_entries({"dependency": service}), exchange.describe())
    assert_that(exchange.elapsed_ms, less_than(seconds * 1000), "answer time in ms")


@then("the product is shown with its stock but without a price, because {service:Service} is unavailable")
def shown_without_price(context, service):
    context.world.chaos.saw("the shopper", context.world.answer)
    expect.degraded_without_price(context.world.answer, "DEPENDENCY_UNAVAILABLE")


@then("the product is shown with its stock, without a price: {service:Service} cannot be reached")
def shown_without_price_unreachable(context, service):
    """Unreachable: refused or reset at once (unavailable), or no answer within the timeout."""
    context.world.chaos.saw("the shopper", context.world.answer)
    expect.degraded_without_price(context.world.answer, "DEPENDENCY_UNAVAILABLE", "DEPENDENCY_TIMEOUT")


@then("the product is shown in under {ms:d} ms with its stock, without a price: the circuit is open")
def shown_at_once_without_price(context, ms):
    context.world.chaos.saw("the shopper", context.world.answer)
    expect.degraded_without_price(context.world.answer, "CIRCUIT_OPEN")
    assert_that(ms, equal_to(expect.AT_ONCE_MS), "the scenario's 'at once', in ms")
    expect.at_once(context.world.answer)


@then("within {seconds:d} s a shopper looking up product {product:ProductId} is shown its stock and its price again")
def soon_served(context, seconds, product):
    policy = context.world.policy
    needed = policy.breaker_reset_seconds + 2 * policy.time_budget_seconds
    expect.precondition(
        context, seconds >= needed, f"{seconds} s is less than a cool-down and two time budgets ({needed:g} s)"
    )
    served = context.world.gateway.wait_until_fully_served(product, timeout=seconds)
    context.world.chaos.saw("the shopper once it was back", served)


@then("the answer came after at least {least:d} ms, within {service:Service}'s {timeout:g} s timeout")
def came_within_timeout(context, least, service, timeout):
    check_stated(context, "timeout_seconds", timeout)
    exchange = context.world.answer
    context.world.chaos.saw("the shopper", exchange)
    assert_that(exchange.elapsed_ms, greater_than_or_equal_to(least), "the delay was really there (ms)")
    assert_that(exchange.elapsed_ms, less_than(context.world.policy.timeout_seconds * 1000), "answer time in ms")


@then("the {resets:d} dropped reads were made again, and {service:Service} answered the {attempt:d}rd attempt")
def reads_retried(context, resets, service, attempt):
    before = context.world.proxy_counts_before[service]
    assert_that((resets, attempt), equal_to((context.world.injected_resets, resets + 1)), "resets and attempts")
    report = context.world.chaos.traffic(service)
    assert_that(report["resets"] - before["resets"], equal_to(resets), f"every injected reset was hit: {report}")
    assert_that(
        report["requests"] - before["requests"],
        equal_to(resets + 1),
        f"the read was sent again after each reset: {report}",
    )


@then("the order fails because {service:Service} could not be reached")
def order_failed(context, service):
    exchange = context.world.answer
    context.world.chaos.saw("the customer", exchange)
    expect.one_of(exchange.status, [502, 503, 504], f"a dependency failure status:\n{exchange.describe()}")
    assert_that(
        exchange.error or {}, has_entries({"details": has_entries({"dependency": service})}), exchange.describe()
    )


@then("inventory-service made exactly one reservation for it, which was given back")
def one_reservation(context):
    before = context.world.proxy_counts_before[INVENTORY.name]
    report = context.world.chaos.traffic(INVENTORY.name)
    new = report["recent"][-(report["requests"] - before["requests"]) :]
    reservations = [line for line in new if line == RESERVE.strip()]
    releases = [line for line in new if line.startswith(RELEASE) and line.endswith("/release")]
    assert_that(len(reservations), equal_to(1), f"reservations sent to {INVENTORY.name}: {new}")
    assert_that(len(releases), greater_than_or_equal_to(1), f"the reservation was released: {new}")
    assert_that(report["lost_answers"] - before["lost_answers"], equal_to(1), f"the fault was hit: {report}")


@then("product {product:ProductId} has {units:d} units in stock while inventory-service cannot be reached")
def held_while_unreachable(context, product, units):
    now = context.world.inventory.stock_levels(product)
    context.world.evidence.note(
        f"stock while {INVENTORY.name} cannot be reached", f"{now} (set to {context.world.stock_before[product]})"
    )
    assert_that(now["available"], equal_to(units), "the reservation is still held")


@then("product {product:ProductId} has {units:d} units in stock again once inventory-service is reachable")
def given_back_later(context, product, units):
    context.world.chaos.heal()
    poll(
        lambda: context.world.inventory.stock_levels(product)["available"],
        lambda available: available == units,
        timeout=40,
        interval=0.5,
        what=f"product {product} to have {units} units in stock again",
    )
