"""Cascading failures and circuit breakers (pattern 5): induced failures, the time budget, and each
circuit's states as the gateway reports them. The numbers come from the stack's policy."""

from concurrent.futures import ThreadPoolExecutor

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than_or_equal_to, has_entries, is_in

from hello_dd.harness import expect
from hello_dd.harness.circuits import MODE_OF, open_circuit, wait_while_open
from hello_dd.topology import GATEWAY


@when("the gateway's cascade check finds {service:Service} failing")
def cascade_check_fails(context, service):
    context.world.gateway.cascade(MODE_OF[service])


@when('the operator induces a "{mode}" failure through the cascade endpoint')
@when('the operator induces an "{mode}" failure through the cascade endpoint')
def induce(context, mode):
    context.world.gateway.cascade(mode)


@when('the operator induces {count:d} "{mode}" failures through the cascade endpoint')
def induce_many(context, count, mode):
    context.world.answers = [context.world.gateway.cascade(mode) for _ in range(count)]


@when('the operator induces {count:d} concurrent "{mode}" failures through the cascade endpoint')
def induce_concurrently(context, count, mode):
    with ThreadPoolExecutor(max_workers=count) as pool:
        context.world.answers = list(pool.map(lambda _: context.world.gateway.cascade(mode), range(count)))


@given("the circuit to {service:Service} has been opened by repeated failures")
def circuit_opened(context, service):
    world = context.world
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.cascade(MODE_OF[service]))


@given("the circuit to {service:Service} has opened")
def circuit_has_opened(context, service):
    world = context.world
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.product("123"))


@when("the circuit's cool-down has passed")
def cool_down_passed(context):
    wait_while_open(context.world.gateway, context.world.policy)


@then("the gateway answers {status:d} within the time budget")
def answers_within_budget(context, status):
    expect.status(context.world.answer, status)
    expect.within_budget(context.world.answer, context.world.policy)


@then("the answer names {service:Service} as failing after every attempt, and the other service as healthy")
def names_failing(context, service):
    body = context.world.answer.body
    attempts = context.world.policy.retry_attempts
    assert_that(body, has_entries(status="degraded"), str(body))
    assert_that(body["dependencies"][service], has_entries(status="failed", attempts=attempts), str(body))
    others = [d["status"] for name, d in body["dependencies"].items() if name != service]
    assert_that(others, equal_to(["ok"]), f"the other service: {body}")


@then("the circuit to {service:Service} stays closed, the attempts being fewer than the failure threshold")
def stays_closed(context, service):
    policy = context.world.policy
    expect.precondition(
        context,
        policy.retry_attempts < policy.breaker_failure_threshold,
        f"{policy.retry_attempts} attempts per request reach the failure threshold of {policy.breaker_failure_threshold}",
    )
    assert_that(
        context.world.answer.body["dependencies"][service],
        has_entries(circuit="closed"),
        str(context.world.answer.body),
    )


@then("the answer names {service:Service} as too slow after {attempts:d} attempt")
def names_too_slow(context, service, attempts):
    body = context.world.answer.body
    probe = body["dependencies"][service]
    assert_that(probe, has_entries(status="failed", attempts=attempts), str(body))
    assert_that(probe["error"], has_entries(code="DEPENDENCY_TIMEOUT"), str(body))


@then("every answer came within the time budget and reports the state of both services")
def all_within_budget(context):
    for exchange in context.world.answers:
        assert_that(exchange.status, is_in([200, 502, 503, 504]), exchange.describe())
        expect.within_budget(exchange, context.world.policy)
        assert_that(sorted(exchange.body["dependencies"]), equal_to(sorted(d.name for d in GATEWAY.calls)))


@then("the gateway reports the circuit to {service:Service} open")
def circuit_open(context, service):
    expect.circuit_state(context.world.gateway.health(), service, "open")


@then("product lookups fail at once because the circuit is open")
def fails_fast(context):
    exchange = context.world.gateway.product("123")
    expect.error(exchange, 503, "CIRCUIT_OPEN")
    expect.at_once(exchange)


@then("the gateway answers at once that the circuit to {service:Service} is open, with a fallback")
def answers_circuit_open(context, service):
    exchange = context.world.answer
    expect.status(exchange, 503)
    probe = exchange.body["dependencies"][service]
    # Not called at all: the open circuit refused the call, so no attempt was made.
    assert_that(probe, has_entries(circuit="open", fallback=True, attempts=0), exchange.describe())
    assert_that(probe["error"], has_entries(code="CIRCUIT_OPEN"), exchange.describe())
    expect.at_once(exchange)


@then("the gateway reports the circuit to {service:Service} half-open, no sooner than the cool-down after it opened")
def half_open(context, service):
    world = context.world
    health, seconds_open = wait_while_open(world.gateway, world.policy, service, since=world.circuit_opened_at)
    world.evidence.note(f"circuit to {service}", f"left the open state {seconds_open:.1f} s after it was seen open")
    expect.circuit_state(health, service, "half-open")
    # Seen open at most a moment after it opened, so it stayed open for (nearly) the whole cool-down.
    assert_that(
        seconds_open,
        greater_than_or_equal_to(world.policy.breaker_reset_seconds - 1.0),
        "seconds the circuit stayed open",
    )


@then("the next lookup of product {product:ProductId} is served in full and closes the circuit")
def trial_closes(context, product):
    expect.served_in_full(context.world.gateway.product(product))
    for service in GATEWAY.calls:
        expect.circuit_state(context.world.gateway.health(), service.name, "closed")


@then("the gateway reports a closed circuit to {first:Service} and to {second:Service}")
def circuits_closed(context, first, second):
    health = context.world.gateway.health()
    for service in (first, second):
        expect.circuit_state(health, service, "closed")


@then("the shopper was answered within the time budget")
def answered_within_budget(context):
    expect.within_budget(context.world.answer, context.world.policy)
