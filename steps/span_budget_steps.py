"""Steps that hold a request's trace to its span budget (hello_dd.harness.traces.budget) and check
that nothing but requests and named background jobs starts a trace."""

import time

from behave import given, then, when
from hamcrest import assert_that, empty

from hello_dd.harness.traces.budget import BUDGET, JOBS, PRICED, REDIS, RETRY_ATTEMPTS, names_a_file, total
from hello_dd.harness.traces.budget import overspent as budget_overspent
from hello_dd.harness.traces.model import SERVER, Trace, group_by_trace
from hello_dd.topology import GATEWAY


@given("the services have had nothing to do for {seconds:d} seconds")
def idle(context, seconds):
    time.sleep(seconds)


@when("the operator checks the cascade with no failure asked for")
def cascade_without_failure(context):
    context.world.gateway.cascade()


def _request_of(context, pattern):
    world = context.world
    if pattern == "report":  # the request that asked for the report, not the last status poll
        return next(e for e in world.evidence.exchanges if e.method == "POST" and "/reports/generate" in e.url)
    return world.answer


def _priced(context, pattern) -> dict[str, int]:
    """How many products the request had priced, as its answer says: the bulk check's products in
    stock (only those are priced), the report's products."""
    body = context.world.answer.body
    if pattern == "bulk check":
        return {PRICED: sum(1 for result in body["results"] if result.get("inStock"))}
    if pattern == "report":
        return {PRICED: body["result"]["products"]}
    return {}


@then("the trace holds exactly the spans of the {pattern} budget")
def holds_budget(context, pattern):
    services = sorted({row.service for row in BUDGET[pattern]})
    request = _request_of(context, pattern)
    counts = {RETRY_ATTEMPTS: context.world.policy.retry_attempts, **_priced(context, pattern)}
    # pricing-service's cache commands are spans only when its cache is Redis (its /health says which).
    configuration = frozenset({REDIS}) if context.world.provider.caches_in_redis() else frozenset()
    budget = total(pattern, counts, configuration)

    def complete(found):
        return sum(len(t) for t in found.traces) >= budget

    # Complete, then no new span for twice the time a trace must stay unchanged to count as complete
    # (itself a few times the services' export delay): a span beyond the budget, exported a moment
    # later, is seen too.
    quiet = 2 * context.world.traces.reader.settle
    trace = context.world.traces.of(request, services, until=complete, settle=quiet).only()
    cache = ", pricing's cache in Redis" if configuration else ""
    assert_that(
        budget_overspent(trace, pattern, counts, configuration),
        empty(),
        f"the {pattern} budget{cache}, at least {budget} spans:\n{trace}",
    )


def _received(context) -> list[Trace]:
    return [Trace(spans) for spans in group_by_trace(context.world.traces.reader.spans()).values()]


@then("every trace the collector received starts at a request or a named background job")
def traces_start_at_requests_or_jobs(context):
    context.world.traces.of(context.world.answer, [GATEWAY.name])  # the query's trace has arrived
    roots = [root for trace in _received(context) for root in trace.roots]
    stray = [str(root) for root in roots if root.kind != SERVER and root.name not in JOBS]
    assert_that(stray, empty(), f"traces that start elsewhere, of {len(roots)}")


@then("no span is named after a file")
def no_file_names(context):
    spans = [span for trace in _received(context) for span in trace.spans]
    assert_that([str(s) for s in spans if names_a_file(s.name)], empty(), "spans named after a file")
