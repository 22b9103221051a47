import uuid

from behave import given, then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness import expect
from hello_dd.harness.logs import lines_with
from hello_dd.harness.polling import poll


@given("a shopper's request carries its own correlation id and request id")
def caller_ids(context):
    ids = {"X-Correlation-Id": f"spec-{uuid.uuid4()}", "X-Request-Id": f"req-{uuid.uuid4()}"}
    context.world.remembered["headers"] = ids
    context.world.remembered["sent_ids"] = list(ids.values())


@when("a shopper looks up product {product:ProductId} without a correlation id")
def look_up_without_id(context, product):
    context.world.remembered["sent_ids"] = []
    context.world.gateway.product(product)


@then("the response carries the same correlation id and request id")
def same_ids(context):
    sent = context.world.remembered["headers"]
    exchange = context.world.answer
    expect.correlation_id_matches(exchange, sent["X-Correlation-Id"])
    assert_that(exchange.header("X-Request-Id"), equal_to(sent["X-Request-Id"]), exchange.describe())


@then("the response carries a newly made correlation id")
@then("the response carries a newly made correlation id instead of the hostile one")
def new_id(context):
    expect.fresh_id(context.world.answer, "X-Correlation-Id", context.world.remembered.get("sent_ids", []))


@then("another request without a correlation id is given a different one")
def ids_are_unique(context):
    first = context.world.answer.correlation_id
    second = context.world.gateway.product("123")
    assert_that(second.correlation_id != first, equal_to(True), f"two requests got the same correlation id {first!r}")


def _logged_by_all(context, services, **fields):
    def lines():
        return {name: lines_with(found, **fields) for name, found in context.world.log_lines(tuple(services)).items()}

    found = poll(lines, lambda by_service: all(by_service.values()), timeout=5, what=f"log lines with {fields} in {services}")
    context.world.evidence.note(
        f"log lines with {fields}", "\n".join(line.raw for name in services for line in found[name])
    )


@then("{services:Services} each logged that correlation id")
def logged_that_id(context, services):
    _logged_by_all(context, services, correlation_id=context.world.remembered["headers"]["X-Correlation-Id"])


@then("{services:Services} each logged the correlation id the gateway made")
def logged_made_id(context, services):
    _logged_by_all(context, services, correlation_id=context.world.answer.correlation_id)


@then("the request id finds the request's log lines in all three services")
def request_id_finds_lines(context):
    _logged_by_all(
        context,
        ["api-gateway", "inventory-service", "pricing-service"],
        request_id=context.world.remembered["headers"]["X-Request-Id"],
    )
