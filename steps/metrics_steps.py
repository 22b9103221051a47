"""Metrics (observability): every service's /metrics read with prometheus-client's parser, and the
changes a scenario caused compared with what its table expects (harness.metrics does the work)."""

from behave import given, then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness import expect
from hello_dd.harness.circuits import MODE_OF, close_all, open_circuit
from hello_dd.harness.gherkin_types import parse_product_ids
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
from hello_dd.harness.polling import poll
from hello_dd.topology import GATEWAY, NAMES


def _reader(context, service):
    return MetricsReader(service, context.world.provider.urls.service(service))


def _note_before(context, services):
    context.world.metrics_before = {name: _reader(context, name).snapshot() for name in services}


def _changes_as_expected(context, expected, problems_of):
    readers = {name: _reader(context, name) for name in context.world.metrics_before}
    diffs = settled_diffs(context.world.metrics_before, readers, expected)
    context.world.evidence.note("metric changes during the scenario", "\n\n".join(d.describe() for d in diffs.values()))
    assert_that(problems_of(diffs, expected), equal_to([]), "metric changes")


def _change(text, policy):
    """A table's change: a number, or the policy's "every attempt" / "every retry"."""
    return {"every attempt": policy.retry_attempts, "every retry": policy.retries}.get(text.strip()) or float(text)


@given("the operator has noted the metrics of every service")
def note_every_service(context):
    _note_before(context, NAMES)


@given("the operator has noted the metrics of the {service:Service}")
def note_one_service(context, service):
    _note_before(context, [service])


@when("the operator reads the metrics of the {service:Service}")
def read_metrics(context, service):
    context.world.metrics_read = _reader(context, service).snapshot()  # parsed: text a parser refuses fails here


@when("a shopper looks up product {product:ProductId} {count:d} times and product {other:ProductId} once")
def look_up_many(context, product, count, other):
    for _ in range(count):
        context.world.gateway.product(product)
    context.world.gateway.product(other)


@when("the circuit to {service:Service} opens under repeated failures and closes again after its cool-down")
def circuit_opens_and_closes(context, service):
    world = context.world
    world.circuit_opened_at = open_circuit(world.gateway, service, lambda: world.gateway.cascade(MODE_OF[service]))
    world.metrics_read = _reader(context, GATEWAY.name).snapshot()
    close_all(world.gateway, world.policy)


@then("they parse as Prometheus metrics, with requests counted and timed by method, route and status")
def parsed_with_request_metrics(context):
    assert_that(request_metric_problems(context.world.metrics_read), equal_to([]), "the request metrics")


@then("they include {names}")
def include_metrics(context, names):
    snapshot = context.world.metrics_read
    missing = [name for name in parse_product_ids(names) if snapshot.family(name) is None]
    assert_that(
        missing, equal_to([]), f"metrics {snapshot.service} does not publish (it has {sorted(snapshot.families)})"
    )
    not_counters = [
        n for n in parse_product_ids(names) if n.endswith("_total") and snapshot.family(n).type != "counter"
    ]
    assert_that(not_counters, equal_to([]), "every *_total metric is a counter")


@then("each service counted and timed exactly these new requests")
def counted_exactly(context):
    rows = [(r["service"], r["request"], r["status"], float(r["requests"])) for r in context.table]
    _changes_as_expected(context, request_count_rows(rows), request_problems)


@then("the metrics changed by exactly")
def changed_by_exactly(context):
    policy = context.world.policy
    expected = [
        ExpectedChange(
            r["service"],
            r["metric"],
            tuple(sorted(parse_label_filter(r["labels"]).items())),
            _change(r["change"], policy),
        )
        for r in context.table
    ]
    _changes_as_expected(context, expected, exact_change_problems)


@then("circuit_breaker_state showed the circuit to {service:Service} open, and shows it closed now")
def circuit_state_then_and_now(context, service):
    during = context.world.metrics_read.samples_of("circuit_breaker_state", dependency=service)
    assert_that(
        [s.value for s in during],
        equal_to([CIRCUIT_STATES["open"]]),
        f"circuit_breaker_state while it was open: {during}",
    )
    now = poll(
        lambda: _reader(context, GATEWAY.name).snapshot().samples_of("circuit_breaker_state", dependency=service),
        lambda samples: [s.value for s in samples] == [CIRCUIT_STATES["closed"]],
        timeout=5,
        what=f"circuit_breaker_state for {service} to read closed (0)",
    )
    assert_that(now, expect.not_empty())
