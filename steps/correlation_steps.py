"""Correlation ids: chosen by the caller or made by the gateway, echoed, and logged by every service."""

import uuid

from behave import given, then, when
from hamcrest import assert_that, equal_to, is_not

from hello_dd.harness import expect
from hello_dd.harness.logs import wait_for_lines_in_every_service
from hello_dd.topology import NAMES


@given("the caller sets its own correlation id and request id")
def caller_ids(context):
    context.world.caller_headers = {"X-Correlation-Id": f"spec-{uuid.uuid4()}", "X-Request-Id": f"req-{uuid.uuid4()}"}
    context.world.sent_ids = list(context.world.caller_headers.values())


@when("a shopper looks up product {product:ProductId} without a correlation id")
def look_up_without_id(context, product):
    context.world.gateway.product(product)


@when("a shopper looks up product {product:ProductId} twice without a correlation id")
def look_up_twice_without_id(context, product):
    context.world.answers = [context.world.gateway.product(product) for _ in range(2)]


@then("the answer carries the same correlation id and request id")
def same_ids(context):
    sent, exchange = context.world.caller_headers, context.world.answer
    expect.correlation_id_matches(exchange, sent["X-Correlation-Id"])
    assert_that(exchange.header("X-Request-Id"), equal_to(sent["X-Request-Id"]), exchange.describe())


@then("each answer carries a newly made correlation id, different from the other")
def new_unique_ids(context):
    first, second = (expect.fresh_id(answer, "X-Correlation-Id", []) for answer in context.world.answers)
    assert_that(second, is_not(equal_to(first)), "two requests without a correlation id got the same one")


@then("the answer carries a newly made correlation id instead of the hostile one")
def new_id(context):
    expect.fresh_id(context.world.answer, "X-Correlation-Id", context.world.sent_ids)


def _logged_by(context, services, **fields):
    found = wait_for_lines_in_every_service(context.world.log_lines, services, **fields)
    context.world.evidence.note(
        f"log lines with {fields}", "\n".join(line.raw for lines in found.values() for line in lines)
    )


@then("{services:Services} each logged that correlation id")
def logged_that_id(context, services):
    _logged_by(context, services, correlation_id=context.world.caller_headers["X-Correlation-Id"])


@then("all three services logged the correlation id the gateway made")
def logged_made_id(context):
    _logged_by(context, NAMES, correlation_id=context.world.answer.correlation_id)


@then("the request id finds the request's log lines in all three services")
def request_id_finds_lines(context):
    _logged_by(context, NAMES, request_id=context.world.caller_headers["X-Request-Id"])
