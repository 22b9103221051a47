"""Cascading failures and circuit breakers (pattern 5): failures the gateway's cascade check induces,
the time budget, and each circuit's states as the gateway reports them. Every number a step states is
checked against the stack's policy (hello_dd.harness.policy.check_stated)."""

from concurrent.futures import ThreadPoolExecutor

from behave import given, then, when
from hamcrest import assert_that, equal_to, greater_than_or_equal_to, has_entries, is_in

from hello_dd.harness import expect
from hello_dd.harness.circuits import MODE_OF, open_circuit, wait_while_open
from hello_dd.harness.metrics import REQUESTS, MetricsReader
from hello_dd.harness.policy import check_stated
from hello_dd.topology import GATEWAY, INVENTORY

# Routes every service serves to its operators, not to the gateway.
NOT_CALLS = {"/metrics", "/health"}


def _calls_served(context, service):
    """How many calls from the gateway ``service`` has counted (its request counter, operators' routes aside)."""
    snapshot = MetricsReader(service, context.world.provider.urls.service(service)).snapshot()
    return sum(s.value for s in snapshot.samples_of(REQUESTS) if dict(s.labels).get("route") not in NOT_CALLS)


def _at_once(context, ms, exchange):
    assert_that(ms, equal_to(expect.AT_ONCE_MS), "the scenario's 'at once', in ms")
    expect.at_once(exchange)


@when("the gateway's cascade check finds {service:Service} failing")
def cascade_check_fails(context, service):
    context.world.gateway.cascade(MODE_OF[service])


@when('the operator induces a "{mode}" failure through the cascade endpoint')
def induce(context, mode):
    context.world.gateway.cascade(mode)


@when("the gateway's cascade check finds {service:Service} slower than its {timeout:g} s timeout")
def cascade_too_slow(context, service, timeout):
    assert_that(service, equal_to(INVENTORY.name), f"the cascade check slows {INVENTORY.name} only")
    check_stated(context, "timeout_seconds", timeout)
    context.world.gateway.cascade("timeout")


@when("the gateway's cascade check meets {count:d} random failures, one after the other")
def cascade_random(context, count):
    context.world.answers = [context.world.gateway.cascade("random") for _ in range(count)]


@when("the gateway's cascade check finds {service:Service} failing {count:d} times at once")
def cascade_concurrently(context, service, count):
    with ThreadPoolExecutor(max_workers=count) as pool:
        context.world.answers = list(pool.map(lambda _: context.world.gateway.cascade(MODE_OF[service]), range(count)))


@given("the circuit to {service:Service} has been opened by repeated failures")
def circuit_opened(context, service):
    world = context.world
    world.circuit_service = service
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.cascade(MODE_OF[service]))


@given("the circuit to {service:Service} has been opened by {threshold:d} failed attempts in a row")
def circuit_opened_at_threshold(context, service, threshold):
    check_stated(context, "breaker_failure_threshold", threshold)
    circuit_opened(context, service)


@given("the circuit to {service:Service} has opened")
def circuit_has_opened(context, service):
    world = context.world
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.product("123"))


@when("the gateway's cascade check finds the circuit to {service:Service} open")
def cascade_meets_open_circuit(context, service):
    context.world.calls_before = _calls_served(context, service)
    context.world.gateway.cascade(MODE_OF[service])


@when("the circuit's cool-down of {seconds:g} s has passed")
def cool_down_passed(context, seconds):
    check_stated(context, "breaker_reset_seconds", seconds)
    wait_while_open(context.world.gateway, context.world.policy)


@then(
    "the gateway answers within {budget:g} s that {service:Service} failed {attempts:d} times and the other service is fine"
)
def names_failing(context, budget, service, attempts):
    check_stated(context, "time_budget_seconds", budget)
    check_stated(context, "retry_attempts", attempts)
    exchange = context.world.answer
    expect.status(exchange, 502)
    expect.within_budget(exchange, context.world.policy)
    body = exchange.body
    assert_that(body, has_entries(status="degraded"), str(body))
    assert_that(body["dependencies"][service], has_entries(status="failed", attempts=attempts), str(body))
    others = [d["status"] for name, d in body["dependencies"].items() if name != service]
    assert_that(others, equal_to(["ok"]), f"the other service: {body}")


@then(
    "the circuit to {service:Service} stays closed: {attempts:d} failed attempts are fewer than the threshold of {threshold:d}"
)
def stays_closed(context, service, attempts, threshold):
    check_stated(context, "retry_attempts", attempts)
    check_stated(context, "breaker_failure_threshold", threshold)
    expect.precondition(context, attempts < threshold, f"{attempts} attempts reach the threshold of {threshold}")
    assert_that(
        context.world.answer.body["dependencies"][service],
        has_entries(circuit="closed"),
        str(context.world.answer.body),
    )


@then("the gateway answers within {budget:g} s that {service:Service} was too slow, after {attempts:d} attempt")
def names_too_slow(context, budget, service, attempts):
    check_stated(context, "time_budget_seconds", budget)
    exchange = context.world.answer
    expect.status(exchange, 504)
    expect.within_budget(exchange, context.world.policy)
    probe = exchange.body["dependencies"][service]
    assert_that(probe, has_entries(status="failed", attempts=attempts), str(exchange.body))
    assert_that(probe["error"], has_entries(code="DEPENDENCY_TIMEOUT"), str(exchange.body))


@then("every answer came within {budget:g} s and reports the state of both services")
def all_within_budget(context, budget):
    check_stated(context, "time_budget_seconds", budget)
    for exchange in context.world.answers:
        assert_that(exchange.status, is_in([200, 502, 503, 504]), exchange.describe())
        expect.within_budget(exchange, context.world.policy)
        assert_that(sorted(exchange.body["dependencies"]), equal_to(sorted(d.name for d in GATEWAY.calls)))


@then("the gateway reports the circuit to {service:Service} open")
def circuit_open(context, service):
    expect.circuit_state(context.world.gateway.health(), service, "open")


@then("product lookups fail in under {ms:d} ms because the circuit is open")
def fails_fast(context, ms):
    exchange = context.world.gateway.product("123")
    expect.error(exchange, 503, "CIRCUIT_OPEN")
    _at_once(context, ms, exchange)


@then("the gateway answered in under {ms:d} ms that the circuit is open, with a fallback")
def answers_circuit_open(context, ms):
    exchange = context.world.answer
    expect.status(exchange, 503)
    probe = exchange.body["dependencies"][context.world.circuit_service]
    assert_that(probe, has_entries(circuit="open", fallback=True, attempts=0), exchange.describe())
    assert_that(probe["error"], has_entries(code="CIRCUIT_OPEN"), exchange.describe())
    _at_once(context, ms, exchange)


@then("{service:Service} was not called")
def not_called(context, service):
    assert_that(_calls_served(context, service) - context.world.calls_before, equal_to(0), f"calls {service} served")


@then("the gateway reports the circuit to {service:Service} half-open, after at least {seconds:g} s open")
def half_open(context, service, seconds):
    world = context.world
    check_stated(context, "breaker_reset_seconds", seconds)
    health, seconds_open = wait_while_open(world.gateway, world.policy, service, since=world.circuit_opened_at)
    world.evidence.note(f"circuit to {service}", f"left the open state {seconds_open:.1f} s after it was seen open")
    expect.circuit_state(health, service, "half-open")
    # Seen open a moment (well under half a second) after it opened, so it stayed open for nearly the
    # whole cool-down.
    assert_that(seconds_open, greater_than_or_equal_to(seconds - 0.5), "seconds the circuit stayed open")


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


@then("the shopper was answered within {budget:g} s")
def answered_within_budget(context, budget):
    check_stated(context, "time_budget_seconds", budget)
    expect.within_budget(context.world.answer, context.world.policy)
