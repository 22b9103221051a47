"""Metrics (observability): every service's /metrics read with prometheus-client's parser, and the
changes a scenario caused compared with what its table expects (harness.metrics does the work)."""

from behave import given, then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness import expect
from hello_dd.harness.circuits import MODE_OF, close_all, open_circuit
from hello_dd.harness.metrics import (
    CIRCUIT_STATES,
    ExpectedChange,
    MetricsReader,
    exact_change_problems,
    parse_label_filter,
    request_count_rows,
    request_metric_problems,
    request_problems,
    settled_diffs,
)
from hello_dd.harness.policy import check_stated
from hello_dd.polling import poll
from hello_dd.topology import GATEWAY, INVENTORY, NAMES, PRICING

UNKNOWN_PRODUCT = "nonexistent"
# Each service's own metrics, as docs/contract.md (obs-metrics) lists them.
OWN_METRICS = {
    GATEWAY.name: [
        "downstream_requests_total",
        "downstream_retries_total",
        "circuit_breaker_state",
        "circuit_breaker_transitions_total",
        "orders_total",
        "order_units_total",
    ],
    INVENTORY.name: [
        "inventory_reservations_total",
        "inventory_units_reserved_total",
        "inventory_units_released_total",
    ],
    PRICING.name: ["pricing_quotes_total", "pricing_cache_requests_total"],
}
# The route a product lookup takes in each service.
LOOKUP_ROUTES = {
    GATEWAY.name: "GET /api/v1/products/{product_id}",
    INVENTORY.name: "GET /inventory/{productId}",
    PRICING.name: "GET /prices/{productId}",
}
# What an operator counts, as the metric (and labels) that counts it.
BUSINESS_COUNTERS = {
    "orders confirmed": (GATEWAY.name, "orders_total", "outcome=confirmed"),
    "orders refused for lack of stock": (GATEWAY.name, "orders_total", "outcome=insufficient_stock"),
    "units ordered": (GATEWAY.name, "order_units_total", ""),
    "stock reservations made": (INVENTORY.name, "inventory_reservations_total", "outcome=reserved"),
    "units reserved": (INVENTORY.name, "inventory_units_reserved_total", ""),
    "units released": (INVENTORY.name, "inventory_units_released_total", ""),
    "price quotes made": (PRICING.name, "pricing_quotes_total", "outcome=created"),
    "price quotes finalized": (PRICING.name, "pricing_quotes_total", "outcome=finalized"),
}


def _reader(context, service):
    return MetricsReader(service, context.world.provider.urls.service(service))


def _note_before(context, services):
    context.world.metrics_before = {name: _reader(context, name).snapshot() for name in services}


def _changes_as_expected(context, expected, problems_of):
    readers = {name: _reader(context, name) for name in context.world.metrics_before}
    diffs = settled_diffs(context.world.metrics_before, readers, expected)
    context.world.evidence.note("metric changes during the scenario", "\n\n".join(d.describe() for d in diffs.values()))
    assert_that(problems_of(diffs, expected), equal_to([]), "metric changes")


def _expected(service, metric, labels, change):
    return ExpectedChange(service, metric, tuple(sorted(parse_label_filter(labels).items())), float(change))


@given("the operator has noted the metrics of every service")
def note_every_service(context):
    _note_before(context, NAMES)


@given("the operator has noted the metrics of the {service:Service}")
def note_one_service(context, service):
    _note_before(context, [service])


@when("the operator reads the metrics of the {service:Service}")
def read_metrics(context, service):
    context.world.metrics_read = _reader(context, service).snapshot()  # parsed: text a parser refuses fails here


@when("a shopper looks up product {product:ProductId} {count:d} times and an unknown product once")
def look_up_many(context, product, count):
    for _ in range(count):
        context.world.gateway.product(product)
    context.world.gateway.product(UNKNOWN_PRODUCT)


@when("the gateway's cascade check finds {service:Service} failing on each of its {attempts:d} attempts")
def cascade_fails_every_attempt(context, service, attempts):
    check_stated(context, "retry_attempts", attempts)
    context.world.gateway.cascade(MODE_OF[service])


@given("the gateway's metrics have shown the circuit to {service:Service} open")
def circuit_seen_open(context, service):
    world = context.world
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.cascade(MODE_OF[service]))
    world.circuit_service = service
    during = _reader(context, GATEWAY.name).snapshot().samples_of("circuit_breaker_state", dependency=service)
    assert_that(
        [s.value for s in during],
        equal_to([CIRCUIT_STATES["open"]]),
        f"circuit_breaker_state while the circuit was open: {during}",
    )


@when("the circuit to {service:Service} has closed again after its cool-down")
def circuit_closed_again(context, service):
    close_all(context.world.gateway, context.world.policy)


@then("the monitoring system can read them, every request counted and timed by route and outcome")
def parsed_with_request_metrics(context):
    assert_that(request_metric_problems(context.world.metrics_read), equal_to([]), "the request metrics")


@then("they include the {service:Service}'s own metrics listed in the contract")
def include_metrics(context, service):
    snapshot = context.world.metrics_read
    names = OWN_METRICS[service]
    missing = [name for name in names if snapshot.family(name) is None]
    assert_that(
        missing, equal_to([]), f"metrics {snapshot.service} does not publish (it has {sorted(snapshot.families)})"
    )
    not_counters = [n for n in names if n.endswith("_total") and snapshot.family(n).type != "counter"]
    assert_that(not_counters, equal_to([]), "every *_total metric is a counter")


@then("each service counted and timed {found:d} lookups that found the product and {missing:d} that did not")
def counted_exactly(context, found, missing):
    rows = [
        (service, route, status, float(count))
        for service, route in LOOKUP_ROUTES.items()
        for status, count in (("200", found), ("404", missing))
    ]
    _changes_as_expected(context, request_count_rows(rows), request_problems)


@then("the business counters changed by exactly")
def changed_by_exactly(context):
    _changes_as_expected(
        context,
        [_expected(*BUSINESS_COUNTERS[r["what the operator counts"]], r["change"]) for r in context.table],
        exact_change_problems,
    )


@then(
    "the gateway counted {attempts:d} failed calls to {service:Service}, {retries:d} retries, and 1 good one to inventory"
)
def failed_calls_counted(context, attempts, service, retries):
    policy = context.world.policy
    assert_that((attempts, retries), equal_to((policy.retry_attempts, policy.retries)), "attempts and retries")
    dependency = f"dependency={service}"
    expected = [
        _expected(GATEWAY.name, "downstream_requests_total", dependency, attempts),
        _expected(GATEWAY.name, "downstream_requests_total", f"{dependency}, outcome=success", 0),
        _expected(GATEWAY.name, "downstream_requests_total", f"dependency={INVENTORY.name}, outcome=success", 1),
        _expected(GATEWAY.name, "downstream_retries_total", dependency, retries),
    ]
    _changes_as_expected(context, expected, exact_change_problems)


@then("the gateway's metrics show it closed, having opened, half-opened and closed once each")
def circuit_cycle_counted(context):
    service = context.world.circuit_service
    now = poll(
        lambda: _reader(context, GATEWAY.name).snapshot().samples_of("circuit_breaker_state", dependency=service),
        lambda samples: [s.value for s in samples] == [CIRCUIT_STATES["closed"]],
        timeout=5,
        what=f"circuit_breaker_state for {service} to read closed (0)",
    )
    assert_that(now, expect.not_empty())
    expected = [
        _expected(GATEWAY.name, "circuit_breaker_transitions_total", f"dependency={service}, state={state}", 1)
        for state in ("open", "half-open", "closed")
    ]
    _changes_as_expected(context, expected, exact_change_problems)
