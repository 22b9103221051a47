"""Steps that hold a request's trace to its span budget (hello_dd.harness.traces.budget) and check
that nothing but requests and named background jobs starts a trace."""

import time

from behave import given, then, when
from hamcrest import assert_that, empty

from hello_dd.harness.traces.budget import BUDGET, JOBS, RETRY_ATTEMPTS, names_a_file, total
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


@then("the trace holds exactly the spans of the {pattern} budget")
def holds_budget(context, pattern):
    services = sorted({row.service for row in BUDGET[pattern]})
    request = _request_of(context, pattern)
    policy = {RETRY_ATTEMPTS: context.world.policy.retry_attempts}
    budget = total(pattern, policy)

    def complete(found):
        return sum(len(t) for t in found.traces) >= budget

    context.world.traces.of(request, services, until=complete)
    time.sleep(1)  # a span beyond the budget, exported a moment later, is seen too
    trace = context.world.traces.of(request, services).only()
    assert_that(budget_overspent(trace, pattern, policy), empty(), f"the {pattern} budget, {budget} spans:\n{trace}")


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
