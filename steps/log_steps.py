"""Log lines (observability): structured, correlated, at the right level, and never forged. The
services' lines come from the provider; harness.logs checks them, and each step attaches the lines of
the scenario's correlation ids to the report."""

from behave import then, when
from hamcrest import assert_that, empty, equal_to, greater_than, is_not

from hello_dd.harness import expect
from hello_dd.harness.logs import (
    DOCUMENTED_FIELDS,
    REQUEST_LINE_FIELDS,
    SETTLE_SECONDS,
    excerpt,
    lines_with,
    one_trace_problems,
    request_line_problems,
    structure_problems,
    wait_for_error_lines,
)
from hello_dd.polling import poll
from hello_dd.topology import GATEWAY, INVENTORY


def _attach_excerpt(context, logs):
    ids = list(context.world.evidence.correlation_ids)
    own = context.world.caller_headers.get("X-Correlation-Id")
    if own and own not in ids:
        ids.append(own)
    context.world.evidence.note(f"log lines of correlation id(s) {', '.join(ids)}", excerpt(logs, ids))


def _traced(context):
    return context.world.provider.tracer != "none"


@when("a request to {service:Service} fails unexpectedly")
def crash(context, service):
    context.world.service_client(service).get("/simulate/crash")


@then("every line each service has logged is a record with the fields listed in the contract")
def every_line_structured(context):
    wanted = DOCUMENTED_FIELDS
    logs = context.world.log_lines()
    assert_that([name for name, lines in logs.items() if not lines], empty(), "services that logged nothing")
    context.world.evidence.note("log lines checked", "\n".join(f"{s}: {len(lines)} lines" for s, lines in logs.items()))
    _attach_excerpt(context, logs)
    problems = structure_problems(logs, wanted, _traced(context))
    assert_that(problems[:20], equal_to([]), f"{len(problems)} log lines are not structured as documented")


@then("every line about a request also says its route, outcome and how long it took")
def request_lines_complete(context):
    wanted = REQUEST_LINE_FIELDS
    count, problems = request_line_problems(context.world.log_lines(), wanted)
    assert_that(count, greater_than(0), "request lines logged")
    assert_that(problems[:20], equal_to([]), f"{len(problems)} of {count} request lines lack {wanted} or their ids")


@then("all the lines with that correlation id carry one trace id, and each service its own span ids")
def one_trace_id(context):
    cid = context.world.caller_headers["X-Correlation-Id"]
    logs = context.world.log_lines()
    _attach_excerpt(context, logs)
    assert_that(
        one_trace_problems({name: lines_with(lines, correlation_id=cid) for name, lines in logs.items()}), equal_to([])
    )


@then("{services:Services} logged it as an error under the answer's correlation id")
def logged_error(context, services):
    _logged_at(context, services, "ERROR", context.world.last.correlation_id)


@then("{service:Service} logged the failure as an error with its stack trace, under its correlation id")
def logged_crash(context, service):
    _logged_at(context, [service], "ERROR", context.world.last.correlation_id, with_stack_trace=True)


@then("inventory-service logged a warning with the order's correlation id, naming product {product:ProductId}")
def logged_warning(context, product):
    found = _logged_at(context, [INVENTORY.name], "WARNING", context.world.answer.correlation_id)
    assert_that(
        any(product in line.raw for line in found[INVENTORY.name]),
        equal_to(True),
        f"a warning names product {product}",
    )


def _logged_at(context, services, level, correlation_id, with_stack_trace=False):
    assert_that(
        correlation_id or "",
        is_not(equal_to("")),
        f"the answer names its correlation id\n{context.world.last.describe()}",
    )
    logs, found = wait_for_error_lines(
        context.world.log_lines, services, correlation_id, level=level, with_stack_trace=with_stack_trace
    )
    _attach_excerpt(context, logs)
    for name in services:
        mine = "\n".join(line.raw[:400] for line in lines_with(logs[name], correlation_id=correlation_id)) or "(none)"
        what = f"a {level} line" + (" with its stack trace" if with_stack_trace else "")
        assert_that(
            found[name],
            expect.not_empty(),
            f"{name} logged no {what} for correlation id {correlation_id}; its lines:\n{mine}",
        )
    return found


@then("the caller was told only that something unexpected failed")
def told_only(context):
    exchange = context.world.last
    expect.error(exchange, 500, "INTERNAL_ERROR")
    expect.carries_correlation_id(exchange)
    expect.no_internals(exchange)
    assert_that(
        "simulated crash" in str(exchange.body),
        equal_to(False),
        f"the exception's text reached the caller:\n{exchange.describe()}",
    )


@then("every line each service has logged is still a whole record tied to its request")
def every_line_still_json(context):
    answer = context.world.raw_answer
    if answer is not None and answer.status == 200 and answer.header("X-Correlation-Id"):
        # The request was served: wait until the gateway has logged it, so its lines are checked too.
        poll(
            lambda: lines_with(
                context.world.log_lines((GATEWAY.name,))[GATEWAY.name],
                correlation_id=answer.header("X-Correlation-Id"),
            ),
            bool,
            timeout=SETTLE_SECONDS,
            what="the gateway's log lines of the request with the hostile correlation id",
        )
    logs = context.world.log_lines()
    _attach_excerpt(context, logs)
    assert_that(
        structure_problems(logs, (), _traced(context))[:20],
        equal_to([]),
        "a log line was split, forged or cut off from its request",
    )
