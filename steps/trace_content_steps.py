"""Steps about what a trace shows inside the services: their database statements and cache commands,
each under the request of the service that made it (hello_dd.harness.traces.datastores answers)."""

from behave import given, then
from hamcrest import assert_that, empty, equal_to, has_item, has_length

from hello_dd.harness import expect
from hello_dd.harness.traces.datastores import cache_work, database_work, requests_to, writes
from hello_dd.topology import NAMES, PRICING


def _trace_with(context, work):
    """The one trace of the gateway's last answer, once it holds ``work``'s spans of the service."""
    found = context.world.traces.of(
        context.world.answer, NAMES, until=lambda f: bool(f.traces and work(f.traces[0]).spans)
    )
    return found.only()


@given("pricing-service keeps its cache in Redis")
def cache_in_redis(context):
    # The scenario's @use.with_redis_cache=yes tag skips it, with the reason, on a stack whose pricing caches in process.
    assert_that(
        context.world.provider.caches_in_redis(), equal_to(True), f"{PRICING.name}'s health says it caches in Redis"
    )


def _work_in_own_request(context, service, work_of, verb, what):
    """``service``'s database or cache spans are in the trace, under its own request, and one of them
    is a ``verb`` (SELECT, GET ...)."""
    trace = _trace_with(context, lambda t: work_of(t, service))
    work = work_of(trace, service)
    assert_that(
        work.under(trace.entry_span(service)),
        expect.not_empty(),
        f"{service}'s {what} in its request:\n{work.describe()}",
    )
    assert_that(
        [s.db_operation for s in work.spans], has_item(verb), f"a {verb} among {service}'s {what}:\n{work.describe()}"
    )
    assert_that(work.outside_the_services_requests, empty(), f"{what} outside {service}'s requests")


@then("the trace shows {service:Service} querying its database while it handled the request")
def database_query_under_request(context, service):
    _work_in_own_request(context, service, database_work, "SELECT", "statements")


@then("the trace shows {service:Service} looking up its cache while it handled the request")
def cache_lookup_under_request(context, service):
    _work_in_own_request(context, service, cache_work, "GET", "cache commands")


@then("the trace shows {service:Service}'s reservation request writing to its database")
def reservation_written(context, service):
    trace = _trace_with(context, lambda t: database_work(t, service))
    reservations = requests_to(trace, service, "POST", "/reservations")
    assert_that(reservations, has_length(1), f"{service}'s reservation request in the order's trace")
    work = database_work(trace, service)
    written = writes(work.under(reservations[0]))
    assert_that(written, expect.not_empty(), f"writes while {service} handled the reservation:\n{work.describe()}")
