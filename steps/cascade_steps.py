import time
from concurrent.futures import ThreadPoolExecutor

from behave import then, when
from hamcrest import assert_that, equal_to, has_entries, less_than

from hello_dd.harness import expect


@when('the operator induces a "{mode}" failure through the cascade endpoint')
@when('the operator induces an "{mode}" failure through the cascade endpoint')
def induce(context, mode):
    context.world.gateway.cascade(mode)


@when('the operator induces {count:d} "{mode}" failures through the cascade endpoint')
def induce_many(context, count, mode):
    context.world.remembered["cascades"] = [context.world.gateway.cascade(mode) for _ in range(count)]


@when('the operator induces {count:d} concurrent "{mode}" failures through the cascade endpoint')
def induce_concurrently(context, count, mode):
    with ThreadPoolExecutor(max_workers=count) as pool:
        context.world.remembered["cascades"] = list(pool.map(lambda _: context.world.gateway.cascade(mode), range(count)))


@then("the gateway answers {status:d} within {seconds:d} seconds")
def answers_within(context, status, seconds):
    exchange = context.world.answer
    expect.status(exchange, status)
    assert_that(exchange.elapsed_ms, less_than(seconds * 1000), "answer time in ms")


@then("the answer names {service:Service} as failing after {attempts:d} attempts")
@then("the answer names {service:Service} as failing after {attempts:d} attempt")
def names_failing(context, service, attempts):
    body = context.world.answer.body
    assert_that(body, has_entries(status="degraded"), str(body))
    assert_that(body["dependencies"][service], has_entries(status="failed", attempts=attempts), str(body))
    assert_that(service in body["error"]["message"], equal_to(True), f"the error names {service}: {body['error']}")


@then("the answer shows the other service healthy")
def other_healthy(context):
    statuses = [d["status"] for d in context.world.answer.body["dependencies"].values()]
    assert_that(sorted(statuses), equal_to(["failed", "ok"]), str(context.world.answer.body))


@then("every answer came within {seconds:d} seconds and reports the state of both services")
def all_within(context, seconds):
    for exchange in context.world.remembered["cascades"]:
        assert_that(exchange.status in (200, 502, 503, 504), equal_to(True), exchange.describe())
        assert_that(exchange.elapsed_ms, less_than(seconds * 1000), exchange.describe())
        assert_that(sorted(exchange.body["dependencies"]), equal_to(["inventory-service", "pricing-service"]))


@then("the gateway reports the circuit to {service:Service} open")
def circuit_open(context, service):
    health = context.world.gateway.health()
    assert_that(health.body["dependencies"][service]["circuit"], equal_to("open"), health.describe())
    context.world.remembered["circuit_open_seen"] = time.monotonic()


@then("looking up product {product:ProductId} fails fast with the circuit open")
def fails_fast(context, product):
    exchange = context.world.gateway.product(product)
    expect.error(exchange, 503, "CIRCUIT_OPEN")
    assert_that(exchange.elapsed_ms, less_than(500), "an open circuit answers at once (ms)")


@then("once the cool-down of any open circuit has passed, product {product:ProductId} is fully served again")
def recovers(context, product):
    context.world.gateway.wait_until_fully_served(product)


@then("the answer shows the circuit to {service:Service} still closed after those {failures:d} failures")
def answer_circuit_closed(context, service, failures):
    probe = context.world.answer.body["dependencies"][service]
    assert_that(probe, has_entries(attempts=failures, circuit="closed"), str(context.world.answer.body))


@then("the gateway answers at once that the circuit to {service:Service} is open, with a fallback")
def answers_circuit_open(context, service):
    exchange = context.world.answer
    expect.status(exchange, 503)
    probe = exchange.body["dependencies"][service]
    assert_that(probe, has_entries(circuit="open", fallback=True, attempts=1), exchange.describe())
    assert_that(probe["error"], has_entries(code="CIRCUIT_OPEN"), exchange.describe())
    assert_that(exchange.elapsed_ms, less_than(500), "an open circuit answers at once (ms)")
