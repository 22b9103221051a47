"""Steps that read a request's trace back from the trace agent and assert on its shape
(hello_dd.harness.traces does the reading, waiting, tree building and the report's pictures)."""

from behave import given, then
from hamcrest import (
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_length,
    has_properties,
    none,
    not_none,
    only_contains,
)

from hello_dd import topology
from hello_dd.harness import expect
from hello_dd.harness.traces.model import sequential
from hello_dd.harness.traces.scenario import CallerContext, bad_links, calls_to, http_calls, steps

GATEWAY, INVENTORY, PRICING = topology.GATEWAY.name, topology.INVENTORY.name, topology.PRICING.name
CHECKOUT_STEPS = {
    "check stock": "checkout.check_stock",
    "price": "checkout.price",
    "reserve": "checkout.reserve",
    "finalize": "checkout.finalize",
}


def _traced(context, services=(GATEWAY,), **kwargs):
    """The complete trace(s) of the scenario's request (by default the gateway's last answer)."""
    world = context.world
    exchange = world.traced_exchange or world.answer
    allowed_parent = world.caller_trace.span_id if world.caller_trace else None
    world.found_traces = world.traces.of(exchange, services, allowed_parent=allowed_parent, **kwargs)
    return world.found_traces


def _trace(context):
    return (context.world.found_traces or _traced(context)).only()


# -- one trace per request ------------------------------------------------------------------------------


@then("the request is one trace spanning {services:Services}")
def one_trace_spanning(context, services):
    found = _traced(context, services)
    assert_that(found.traces, has_length(1), f"one trace for the request: {found.describe()}")
    assert_that(found.services, equal_to(sorted(services)), "services with spans in the trace")


@then("every service's work hangs under the gateway's call to it, with no orphaned span")
def linked(context):
    trace = _trace(context)
    caller = context.world.caller_trace
    assert_that(trace.orphans(caller.span_id if caller else None), empty(), f"spans whose parent is missing\n{trace}")
    assert_that(trace.roots, has_length(1), f"exactly one top span: {[str(s) for s in trace.roots]}")
    assert_that(trace.roots[0], has_properties(service=GATEWAY, kind="server"), "the top span is the gateway's")
    assert_that(bad_links(trace), empty(), "wrong parent/child links")


@then("the report's work is in the same trace as the request that asked for it")
def report_in_request_trace(context):
    request = next(e for e in context.world.evidence.exchanges if e.method == "POST" and "/reports/generate" in e.url)
    context.world.traced_exchange = request
    found = _traced(
        context,
        (GATEWAY, INVENTORY, PRICING),
        until=lambda f: any(s.name == "report.generate" for s in f.spans),
    )
    trace = found.only()
    generate = trace.select(service=GATEWAY, name="report.generate")
    assert_that(generate, has_length(1), "the report's own span")
    entry = trace.entry_span(GATEWAY)
    assert_that(
        trace.ancestors(generate[0])[-1:], equal_to([entry]), "report.generate descends from the request's span"
    )
    downstream = [s for s in trace.spans if s.service in (INVENTORY, PRICING)]
    assert_that(
        [s for s in downstream if generate[0] not in trace.ancestors(s)],
        empty(),
        "downstream work outside report.generate",
    )


# -- timing ----------------------------------------------------------------------------------------------


@then("{first:Service} and {second:Service} were called in parallel")
def called_in_parallel(context, first, second):
    trace = _traced(context, (GATEWAY, first, second)).only()
    a, b = calls_to(trace, first), calls_to(trace, second)
    assert_that(a, has_length(1), f"calls to {first}")
    assert_that(b, has_length(1), f"calls to {second}")
    assert_that(a[0].overlaps(b[0]), equal_to(True), f"the calls overlap in time: {a[0]} / {b[0]}")


@then("the checkout steps ran in order: {names}")
def checkout_in_order(context, names):
    trace = _traced(context, (GATEWAY, INVENTORY, PRICING)).only()
    expected = [CHECKOUT_STEPS[name.strip()] for name in names.replace(" and ", ", ").split(",")]
    ran = steps(trace, "checkout.")
    assert_that([s.name for s in ran], equal_to(expected), "the checkout's steps, in start order")
    assert_that(sequential(ran), equal_to(True), "each step ended before the next began:\n" + "\n".join(map(str, ran)))
    entry = trace.entry_span(GATEWAY)
    assert_that(
        [trace.parent(s) for s in ran], only_contains(equal_to(entry)), "steps are children of the request's span"
    )
    for step in ran:
        assert_that(http_calls_under(trace, step), expect.not_empty(), f"{step.name} called a service")


def http_calls_under(trace, span):
    return [s for s in trace.descendants(span) if s in http_calls(trace)]


@then("the chunks were checked by {service:Service} at the same time")
def chunks_in_parallel(context, service):
    calls = calls_to(_trace(context), service)
    assert_that(len(calls), greater_than(1), f"calls to {service}, one per chunk")
    alone = [call for call in calls if not any(call.overlaps(other) for other in calls if other is not call)]
    assert_that(alone, empty(), "chunk calls that overlapped no other chunk's call:\n" + "\n".join(map(str, calls)))


# -- propagation -------------------------------------------------------------------------------------------


@given("the caller's request is part of a trace the caller started")
def caller_trace(context):
    caller = CallerContext.new()
    context.world.caller_trace = caller
    context.world.caller_headers = caller.headers
    context.world.evidence.note("caller's trace context", "\n".join(f"{k}: {v}" for k, v in caller.headers.items()))


@then("the request's spans are in the caller's trace, under the caller's span")
def continued(context):
    caller = context.world.caller_trace
    found = _traced(context, (GATEWAY, INVENTORY, PRICING))
    assert_that(found.trace_ids, equal_to([caller.trace_id]), "the request's trace ids")
    trace = found.only()
    assert_that(trace.entry_span(GATEWAY).parent_id, equal_to(caller.span_id), "parent of the gateway's span")
    assert_that(trace.orphans(caller.span_id), empty(), "spans whose parent is missing")


@then("every service received the caller's tracestate and baggage")
def context_passed_through(context):
    caller = context.world.caller_trace
    trace = _trace(context)
    for service in (GATEWAY, INVENTORY, PRICING):
        for span in trace.server_spans(service):
            for member in caller.tracestate_members:
                assert_that(str(span.attribute("w3c.tracestate", "")), contains_string(member), f"tracestate at {span}")
            assert_that(
                span.attributes,
                has_entries({f"baggage.{k}": v for k, v in caller.baggage.items()}),
                f"baggage at {span}",
            )


@then("the spans of {services:Services} record that correlation id")
def spans_record_correlation_id(context, services):
    sent = context.world.caller_headers["X-Correlation-Id"]
    trace = _traced(context, services).only()
    for service in services:
        entry = trace.entry_span(service)
        assert_that(entry, not_none(), f"{service} has a server span")
        assert_that(entry.attribute("correlation_id"), equal_to(sent), f"correlation id on {entry}")


# -- failures ----------------------------------------------------------------------------------------------


@then("the trace marks {failing:Service}'s spans as errors, and {healthy:Service}'s not")
def errors_where_they_happen(context, failing, healthy):
    trace = _traced(context, (GATEWAY, failing)).only()
    failing_spans = [s for s in trace.spans if s.service == failing and s.kind == "server"]
    assert_that(failing_spans, expect.not_empty(), f"{failing} has spans")
    assert_that([s for s in failing_spans if not s.error], empty(), f"{failing} spans not marked as errors")
    reaching = calls_to(trace, failing)
    assert_that([s for s in reaching if not s.error], empty(), f"calls to {failing} not marked as errors")
    others = [s for s in http_calls(trace) if s not in reaching]
    assert_that(others, expect.not_empty(), f"the gateway's call to {healthy}")
    assert_that([s for s in others if s.error], empty(), f"the call to {healthy} is not an error")
    assert_that(
        [s for s in trace.spans if s.service == healthy and s.error], empty(), f"{healthy} spans marked as errors"
    )


@then("the error propagates up to the gateway's span for the request")
def error_propagates(context):
    trace = _trace(context)
    entry = trace.entry_span(GATEWAY)
    expect.status(context.world.answer, 502)
    assert_that(entry.error, equal_to(True), f"the gateway's span is an error: {entry}")
    for span in trace.errors:
        chain = [span, *trace.ancestors(span)]
        assert_that(chain[-1], equal_to(entry), f"{span} hangs under the gateway's span")


@then("the trace shows one call from api-gateway to {service:Service} per attempt, one after another")
def repeated_calls(context, service):
    count = context.world.policy.retry_attempts
    trace = _traced(context, (GATEWAY, service), until=lambda f: len(calls_to(f.traces[0], service)) >= count).only()
    calls = calls_to(trace, service)
    assert_that(calls, has_length(count), f"calls to {service}")
    assert_that(sequential(calls), equal_to(True), "each retry started after the previous attempt ended")


@then("the trace shows no call to {service:Service}")
def no_call(context, service):
    expect.error(context.world.answer, 503, "CIRCUIT_OPEN")
    trace = _traced(context, (GATEWAY,)).only()
    assert_that([s for s in trace.spans if s.service == service], empty(), f"spans of {service}")
    stray = [s for s in http_calls(trace) if not any(c.kind == "server" for c in trace.children(s))]
    assert_that(stray, empty(), f"calls that reached no traced service (the open circuit must not call {service})")


# -- the agent's own checks ---------------------------------------------------------------------------------


@then("the trace collector's own checks found no violation in the traces of this run")
def agent_checks(context):
    _traced(context, (GATEWAY, INVENTORY, PRICING))  # the request's trace has reached the agent
    reader = context.world.traces.reader
    summary = reader.trace_check_summary()
    context.world.evidence.note("trace agent check summary", str(summary) or "{}")
    # Runs only with Datadog-format traces (@use.with_datadog_traces=yes): the agent does not check OTLP ones.
    assert_that(summary, expect.not_empty(), "the agent ran its checks on the Datadog payloads it received")
    assert_that(reader.trace_check_failures(), none(), "trace check failures reported by the test agent")
