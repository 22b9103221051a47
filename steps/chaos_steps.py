"""Steps of the resilience and chaos features: they break the path from the gateway to a dependency
through the provider (a fault-injecting proxy, or stopping a service), note what they did for the
report, and check what the caller saw and what the stock looks like afterwards."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from behave import given, then, when
from hamcrest import any_of, assert_that, equal_to, greater_than_or_equal_to, has_entries, less_than

from hello_dd.harness import expect
from hello_dd.harness.faults.chaos import Chaos
from hello_dd.harness.http import HttpClient
from hello_dd.harness.polling import poll

FINALIZE = "POST /quotes/"  # POST /quotes/{quoteId}/finalize (creating a quote is "POST /quotes ")
RESERVE = "POST /reservations "
RELEASE = "POST /reservations/"  # POST /reservations/{id}/release


def _chaos(context) -> Chaos:
    world = context.world
    if "chaos" not in world.remembered:
        world.remembered["chaos"] = Chaos(world.provider, world.evidence)
    return world.remembered["chaos"]


def _look_up(context, product, what="product lookup"):
    exchange = context.world.gateway.product(product)
    _chaos(context).saw(what, exchange)
    return exchange


def _order(context, product, quantity, customer="cust-789"):
    exchange = context.world.gateway.place_order([{"productId": product, "quantity": quantity}], customer)
    _chaos(context).saw(f"order of {quantity} x {product}", exchange)
    return exchange


# -- injecting faults -----------------------------------------------------------------------------


@given("{service:Service} has been stopped")
def stopped(context, service):
    _chaos(context).stop(service)


@when("{service:Service} is started again")
def started(context, service):
    _chaos(context).start(service)


@given("{service:Service} has been cut off from the network")
def cut_off(context, service):
    _chaos(context).disconnect(service)


@when("{service:Service} is connected to the network again")
def connected_again(context, service):
    _chaos(context).connect(service)


@given("the network between the gateway and {service:Service} adds {ms:d} ms")
def network_latency(context, service, ms):
    _chaos(context).slow_answers(service, ms)


@given("{service:Service} refuses every connection from the gateway")
def refuses(context, service):
    _chaos(context).refuse(service)


@when("{service:Service} accepts connections again")
@when("the network to {service:Service} is healthy again")
def heals(context, service):
    _chaos(context).heal()


@given("the connections carrying the next {count:d} reads from {service:Service} are reset")
def next_reads_reset(context, count, service):
    context.world.remembered["traffic_before"] = context.world.provider.fault_report(service)
    context.world.remembered["resets"] = count
    _chaos(context).reset(service, count=count, request_prefix="GET /")


@given("inventory-service's answer to the next reservation is lost on the way back")
def reservation_answer_lost(context):
    context.world.remembered["traffic_before"] = context.world.provider.fault_report("inventory-service")
    _chaos(context).reset("inventory-service", count=1, request_prefix=RESERVE, after_forwarding=True)


@given("pricing-service cannot be reached to finalize prices")
def finalize_unreachable(context):
    _chaos(context).reset("pricing-service", request_prefix=FINALIZE)


@given("inventory-service cannot be reached to give reserved stock back")
def release_unreachable(context):
    _chaos(context).reset("inventory-service", request_prefix=RELEASE)


# -- what callers do ------------------------------------------------------------------------------


@when("a shopper looks up product {product:ProductId} {count:d} times")
def look_up_many(context, product, count):
    context.world.remembered["lookups"] = [_look_up(context, product, f"product lookup {i + 1}") for i in range(count)]


@when('customer "{customer}" orders {quantity:d} units of product {product:ProductId} and pricing-service dies while finalizing its price')
def order_while_pricing_dies(context, customer, quantity, product):
    chaos = _chaos(context)
    provider = context.world.provider
    # Finalize requests are held back 1 s on their way to pricing: long enough to stop it meanwhile.
    mark = provider.fault_report("pricing-service")["requests"]
    chaos.slow_requests("pricing-service", 1000, request_prefix=FINALIZE)
    result = {}
    ordering = threading.Thread(target=lambda: result.setdefault("answer", _order(context, product, quantity, customer)))
    ordering.start()
    try:
        arrived = provider.wait_for_request("pricing-service", FINALIZE, timeout=10, after=mark)
        assert_that(arrived, equal_to(True), "the checkout reached the point of finalizing its price")
        chaos.stop("pricing-service")
    finally:
        ordering.join(timeout=30)
    assert_that("answer" in result, equal_to(True), "the checkout answered")


@given("product {product:ProductId} has exactly {units:d} units available")
def set_available(context, product, units):
    inventory = context.world.inventory
    before = inventory.stock_levels(product)["available"]
    # The stock is put back after the scenario, so other scenarios find the seed's stock.
    url = context.world.provider.urls.service("inventory-service")
    context.add_cleanup(_put_back_stock, url, product, before)
    _set_stock(inventory.http, product, units)
    context.world.remembered["stock"] = {product: inventory.stock_levels(product)}


def _set_stock(http, product, units):
    exchange = http.call("PUT", f"/inventory/{product}/stock", json={"available": units})
    expect.status(exchange, 200)


def _put_back_stock(url, product, units):
    http = HttpClient(url)
    try:
        _set_stock(http, product, units)
    finally:
        http.close()


@when("{count:d} customers each order {quantity:d} unit of product {product:ProductId} at the same time")
def concurrent_orders(context, count, quantity, product):
    gateway = context.world.gateway
    start = threading.Barrier(count)

    def order(i):
        start.wait()
        return gateway.place_order([{"productId": product, "quantity": quantity}], f"cust-race-{i}")

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(pool.map(order, range(count)))
    context.world.remembered["orders"] = answers
    statuses = sorted(a.status for a in answers)
    context.world.evidence.note("caller saw", f"{count} concurrent orders answered: {statuses}")


# -- what the caller saw --------------------------------------------------------------------------


@then("the shopper is told within {seconds:d} second that {service:Service} is unavailable")
@then("the shopper is told within {seconds:d} seconds that {service:Service} is unavailable")
def told_unavailable_quickly(context, seconds, service):
    exchange = context.world.answer
    _chaos(context).saw("the caller", exchange)
    error = expect.error(exchange, 503, "DEPENDENCY_UNAVAILABLE")
    assert_that(error.get("details"), has_entries(dependency=service), exchange.describe())
    assert_that(exchange.elapsed_ms, less_than(seconds * 1000), "answer time in ms")


@then("the shopper is told {service:Service} is unavailable after {attempts:d} attempts")
def told_unavailable_after(context, service, attempts):
    exchange = context.world.answer
    _chaos(context).saw("the caller", exchange)
    error = expect.error(exchange, 503, "DEPENDENCY_UNAVAILABLE")
    assert_that(error.get("details"), has_entries(dependency=service, attempts=attempts), exchange.describe())


@then("the answer came after at least {least:d} ms and within the {timeout:g} second timeout")
def came_within(context, least, timeout):
    exchange = context.world.answer
    _chaos(context).saw("the caller", exchange)
    assert_that(exchange.elapsed_ms, greater_than_or_equal_to(least), "the delay was really there (ms)")
    assert_that(exchange.elapsed_ms, less_than(timeout * 1000), "answer time in ms")


@then("every lookup was answered with a timeout of {service:Service} within {seconds:d} seconds, after 1 attempt")
def every_lookup_timed_out(context, service, seconds):
    for exchange in context.world.remembered["lookups"]:
        error = expect.error(exchange, 504, "DEPENDENCY_TIMEOUT")
        assert_that(error.get("details"), has_entries(dependency=service, attempts=1), exchange.describe())
        assert_that(exchange.elapsed_ms, less_than(seconds * 1000), f"answer time in ms of\n{exchange.describe()}")


@then("the product is shown without its price, because {service:Service} is unavailable")
def shown_without_price(context, service):
    _chaos(context).saw("the shopper", context.world.answer)
    _without_price(context.world.answer, "DEPENDENCY_UNAVAILABLE")


@then("the product is shown without its price, because {service:Service} cannot be reached")
def shown_without_price_unreachable(context, service):
    """Unreachable: refused or reset at once (unavailable), or no answer within the timeout."""
    _chaos(context).saw("the shopper", context.world.answer)
    _without_price(context.world.answer, any_of(equal_to("DEPENDENCY_UNAVAILABLE"), equal_to("DEPENDENCY_TIMEOUT")))


@then("the shopper was answered within {seconds:d} seconds")
def answered_within(context, seconds):
    exchange = context.world.answer
    assert_that(exchange.elapsed_ms, less_than(seconds * 1000), f"answer time in ms of\n{exchange.describe()}")


@then("a shopper looking up product {product:ProductId} is shown it at once without its price, because the circuit is open")
def shown_without_price_at_once(context, product):
    exchange = _look_up(context, product)
    _without_price(exchange, "CIRCUIT_OPEN")
    assert_that(exchange.elapsed_ms, less_than(500), "an open circuit answers at once (ms)")


def _without_price(exchange, code):
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(degraded=True), exchange.describe())
    assert_that(exchange.body["inventory"], has_entries(productId=exchange.body["productId"]), exchange.describe())
    assert_that(exchange.body["pricing"], has_entries(available=False, error=has_entries(code=code)), exchange.describe())


@then("the gateway reports the circuit to {service:Service} still closed")
def circuit_closed(context, service):
    health = context.world.gateway.health()
    assert_that(health.body["dependencies"][service]["circuit"], equal_to("closed"), health.describe())


@then("the circuit to {service:Service} turns half-open {seconds:d} seconds after it opened")
def turns_half_open(context, service, seconds):
    opened = context.world.remembered["circuit_open_seen"]
    state = poll(
        lambda: context.world.gateway.health(),
        lambda ex: ex.body["dependencies"][service]["circuit"] != "open",
        timeout=seconds + 5,
        interval=0.2,
        what=f"the circuit to {service} to leave the open state",
    )
    waited = time.monotonic() - opened
    _chaos(context).saw(f"circuit to {service} after {waited:.1f} s", state)
    assert_that(state.body["dependencies"][service]["circuit"], equal_to("half-open"), state.describe())
    # Seen open at most a moment after it opened: it stayed open for (nearly) the whole cool-down.
    assert_that(waited, greater_than_or_equal_to(seconds - 1.5), "seconds the circuit stayed open")


@then("the dropped reads were made again, and {service:Service} answered the third")
def reads_retried(context, service):
    before = context.world.remembered["traffic_before"]
    resets = context.world.remembered["resets"]
    report = _chaos(context).traffic(service)
    assert_that(report["resets"] - before["resets"], equal_to(resets), f"every injected reset was hit: {report}")
    new = report["requests"] - before["requests"]
    assert_that(new, equal_to(resets + 1), f"the read was sent again after each reset, and answered: {report}")


@then("the order fails because {service:Service} could not be reached, after {attempts:d} attempt")
@then("the order fails because {service:Service} could not be reached, after {attempts:d} attempts")
def order_failed_after(context, service, attempts):
    exchange = context.world.answer
    _chaos(context).saw("the caller", exchange)
    error = expect.error(exchange, 503, "DEPENDENCY_UNAVAILABLE")
    assert_that(error.get("details"), has_entries(dependency=service, attempts=attempts), exchange.describe())


@then("the order fails because {service:Service} could not be reached")
def order_failed(context, service):
    exchange = context.world.answer
    _chaos(context).saw("the caller", exchange)
    expect.one_of(exchange.status, [502, 503, 504], f"a dependency failure status:\n{exchange.describe()}")
    assert_that(exchange.error or {}, has_entries(details=has_entries(dependency=service)), exchange.describe())


@then("inventory-service made exactly one reservation for it, which was given back")
def one_reservation(context):
    before = context.world.remembered["traffic_before"]
    report = _chaos(context).traffic("inventory-service")
    new = report["recent"][-(report["requests"] - before["requests"]) :]
    reservations = [line for line in new if line == RESERVE.strip()]
    releases = [line for line in new if line.startswith(RELEASE) and line.endswith("/release")]
    assert_that(len(reservations), equal_to(1), f"reservations sent to inventory-service: {new}")
    assert_that(len(releases), greater_than_or_equal_to(1), f"the reservation was released: {new}")
    assert_that(report["lost_answers"] - before["lost_answers"], equal_to(1), f"the fault was hit: {report}")


@then("the stock of product {product:ProductId} is given back in full once inventory-service is reachable again")
def given_back_later(context, product):
    before = context.world.remembered["stock"][product]
    inventory = context.world.inventory
    leaked = inventory.stock_levels(product)
    context.world.evidence.note("stock while inventory-service was unreachable", f"before {before}, now {leaked}")
    units = context.world.answer.request_body["items"][0]["quantity"]
    held = {"available": before["available"] - units, "reserved": before["reserved"] + units}
    assert_that(leaked, equal_to(held), "while inventory-service is unreachable the reservation is still held")
    _chaos(context).heal()
    poll(
        lambda: inventory.stock_levels(product),
        lambda now: now == before,
        timeout=40,
        interval=0.5,
        what=f"the stock of product {product} to be back to {before}",
    )


@then("exactly {confirmed:d} orders are confirmed and the other {refused:d} are refused for lack of stock")
def exactly_confirmed(context, confirmed, refused):
    answers = context.world.remembered["orders"]
    ok = [a for a in answers if a.status == 201]
    rest = [a for a in answers if a.status != 201]
    assert_that(len(ok), equal_to(confirmed), f"confirmed orders; answers: {sorted(a.status for a in answers)}")
    for exchange in rest:
        expect.error(exchange, 400, "INSUFFICIENT_STOCK")
    assert_that(len(rest), equal_to(refused))


@then("product {product:ProductId} has {units:d} units available")
def units_available(context, product, units):
    now = context.world.inventory.stock_levels(product)
    before = context.world.remembered["stock"][product]
    confirmed = sum(1 for a in context.world.remembered.get("orders", []) if a.status == 201)
    assert_that(now, equal_to({"available": units, "reserved": before["reserved"] + confirmed}), f"stock before: {before}")


@then("nothing stands between the gateway and {first:Service} or {second:Service} any more")
def no_fault_left(context, first, second):
    for service in (first, second):
        report = _chaos(context).traffic(service)
        assert_that(report["faults"], equal_to("pass-through"), f"faults left on the way to {service}")


@then("a shopper looking up product {product:ProductId} is shown its stock and its price")
def shown_in_full(context, product):
    exchange = _look_up(context, product)
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(degraded=False), exchange.describe())
