"""Errors: clear 4xx answers for bad input, the error format, and hostile correlation ids."""

import uuid

from behave import then, when
from hamcrest import assert_that, equal_to, is_in, matches_regexp

from hello_dd.harness import expect
from hello_dd.harness.clients import order_lines
from hello_dd.harness.logs import containing
from hello_dd.harness.raw_http import send_raw

# The contract's limits: a request body of at most 1 MiB, a correlation id of at most 128 characters.
BODY_LIMIT = 1024 * 1024
ID_LIMIT = 128


def _order_of_size(size: int) -> bytes:
    """A well-formed order body of exactly ``size`` bytes."""
    head, tail = b'{"items": [], "customerId": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


BAD_ORDER_BODIES = {
    "malformed JSON": b'{"items": [{"productId": "123", "quantity": 1}',
    "wrong types": b'{"items": "lots", "customerId": 789}',
    "an empty body": b"",
    "a body 1 byte over the 1 MiB limit": _order_of_size(BODY_LIMIT + 1),
    "a list instead of an object": b'[{"productId": "123", "quantity": 1}]',
}

HOSTILE_IDS = {
    "is 129 characters long (the limit is 128)": "a" * (ID_LIMIT + 1),
    "is 10 kilobytes long": "b" * 10 * 1024,
    "tries to close a JSON log line": 'x"}, {"level": "ERROR", "message": "forged',
}


@when("a caller places an order without a customer")
def order_without_customer(context):
    context.world.gateway.send_order({"items": order_lines((1, "123"))})


@then("the caller is told the request is invalid, naming the {field}")
def invalid_naming(context, field):
    expect.invalid_naming(context.world.answer, field)


@when("a caller sends {bad_input} as an order")
def send_bad_order(context, bad_input):
    context.world.gateway.send_order(BAD_ORDER_BODIES[bad_input])


@then("the caller is refused with {status:d} {code}, and sees nothing of the server's internals")
def answer_with_code(context, status, code):
    expect.error(context.world.answer, status, code)
    expect.no_internals(context.world.answer)


@then("the answer reveals nothing of the server's internals")
def reveals_nothing(context):
    expect.no_internals(context.world.answer)


@then("the answer carries the request's correlation id and nothing of the server's internals")
def correlation_id_and_no_internals(context):
    expect.carries_correlation_id(context.world.answer)
    expect.no_internals(context.world.answer)


SMUGGLING_HEADERS = {
    # An obsolete "folded" header: a client could try to smuggle a second log line this way.
    "hides a second line in a header split over lines": lambda marker: (
        b'X-Correlation-Id: abc\r\n {"level": "ERROR", "message": "' + marker + b'"}'
    ),
    # Bytes some HTTP parsers let through (obsolete "obs-text"); the id check must still refuse them.
    "carries bytes outside plain ASCII": lambda marker: b"X-Correlation-Id: abc\xc3\xa9\xff" + marker,
    # A tab is the one control character HTTP parsers let through in a header value.
    "hides a forged log line behind a tab": lambda marker: (
        b'X-Correlation-Id: abc\t"}, {"level": "ERROR", "message": "' + marker + b'"}'
    ),
    # 10 KB, and a forged line after an escaped line break, should the id ever be written raw.
    "is 10 kilobytes long and hides a forged log line": lambda marker: (
        b"X-Correlation-Id: " + b"c" * 10 * 1024 + b'"}\\n{"level": "ERROR", "message": "' + marker + b'"}'
    ),
}


@when("a shopper looks up product {product:ProductId} with a correlation id that {hostility}")
def look_up_with_hostile_id(context, product, hostility):
    hostile = HOSTILE_IDS[hostility]
    context.world.sent_ids = [hostile]
    context.world.gateway.product(product, headers={"X-Correlation-Id": hostile})


@when("a shopper sends a correlation id that {trick}")
def smuggle(context, trick):
    marker = f"smuggled-{uuid.uuid4().hex}"
    header = SMUGGLING_HEADERS[trick](marker.encode())
    answer = send_raw(context.world.provider.urls.gateway, "GET", "/api/v1/products/123", [header])
    context.world.evidence.note("raw exchange", f"sent header: {header!r}\nanswer: {answer}")
    context.world.raw_answer, context.world.header_marker = answer, marker


@then("the answer is either refused or carries a newly made correlation id")
def refused_or_replaced(context):
    answer = context.world.raw_answer
    if answer.status is not None and 400 <= answer.status < 500:
        return
    assert_that(answer.status, is_in([200]), f"answer: {answer}")
    correlation_id = answer.header("X-Correlation-Id") or ""
    assert_that(correlation_id, matches_regexp(expect.VALID_ID), str(answer))
    assert_that(context.world.header_marker in correlation_id or correlation_id == "abc", equal_to(False), str(answer))


@then("no service logged the smuggled text")
def smuggled_text_absent(context):
    marker = context.world.header_marker
    for name, lines in context.world.log_lines().items():
        assert_that([line.raw for line in containing(lines, marker)], equal_to([]), f"{name} logged the smuggled text")
