"""Assertions the steps share, in PyHamcrest, so a failure says what was expected and shows the
exchange that came back."""

from __future__ import annotations

from hamcrest import assert_that, equal_to, has_entries, has_key, instance_of, is_in, matches_regexp

from hello_dd.harness.exchange import Exchange

VALID_ID = r"^[A-Za-z0-9._:@/+=-]{1,128}$"
# What a stack trace or internals leaking into a response would look like.
INTERNALS = ("Traceback", 'File "', ".py\"", "sqlalchemy", "psycopg", "Exception(", "site-packages")


def status(exchange: Exchange, expected: int) -> None:
    assert_that(exchange.status, equal_to(expected), f"unexpected status for\n{exchange.describe()}")


def error(exchange: Exchange, expected_status: int, expected_code: str) -> dict:
    """The exchange is an error in the contract's format with this status and code; returns the error."""
    status(exchange, expected_status)
    assert_that(exchange.body, instance_of(dict), f"the error body is not a JSON object:\n{exchange.describe()}")
    assert_that(exchange.body, has_key("error"), f"no error object in\n{exchange.describe()}")
    assert_that(exchange.body["error"], has_entries(code=expected_code, message=instance_of(str)), exchange.describe())
    return exchange.body["error"]


def invalid_naming(exchange: Exchange, *fields: str) -> dict:
    """A 422 validation error whose message or details name at least one of ``fields``."""
    found = error(exchange, 422, "VALIDATION_ERROR")
    text = str(found.get("details", "")) + found["message"]
    assert_that(any(f in text for f in fields), equal_to(True), f"the error should name {' or '.join(fields)}: {found}")
    return found


def correlation_id_matches(exchange: Exchange, expected: str) -> None:
    assert_that(exchange.correlation_id, equal_to(expected), f"X-Correlation-Id header of\n{exchange.describe()}")
    if exchange.error is not None:
        assert_that(exchange.body.get("correlationId"), equal_to(expected), "correlationId in the error body")


def fresh_id(exchange: Exchange, header: str, not_one_of: list[str]) -> str:
    value = exchange.header(header)
    assert_that(value, matches_regexp(VALID_ID), f"{header} of\n{exchange.describe()}")
    assert_that(value not in not_one_of, equal_to(True), f"{header} {value!r} should be newly made, not one the caller sent")
    return value  # type: ignore[return-value]


def no_internals(exchange: Exchange) -> None:
    text = exchange.describe()
    leaked = [marker for marker in INTERNALS if marker in str(exchange.body)]
    assert_that(leaked, equal_to([]), f"the answer reveals server internals:\n{text}")


def one_of(value: object, allowed: list[object], what: str) -> None:
    assert_that(value, is_in(allowed), what)
